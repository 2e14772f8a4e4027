#!/usr/bin/env bash
# The fuzz targets of Sources/FuzzTargets.
#
#   Tests/Fuzz/fuzz.sh replay   replays every seed (Fixtures/fuzz/<target>, plus the repository's
#                               own fixtures) through the normal debug build; part of `make test`
#   Tests/Fuzz/fuzz.sh run      builds the libFuzzer binary (release, ASan) and fuzzes every
#                               target for FUZZ_SECONDS (default 600), FUZZ_JOBS at a time
#                               (default 1); `make fuzz`. CI uses FUZZ_SECONDS=60 FUZZ_JOBS=2.
#
# A crash, an input slower than 10 s, or more than 2 GiB of memory fails the run; the input is
# kept under .build/fuzz/findings/. New corpus entries go to .build/fuzz/corpus/<target>, never
# into Fixtures/. FUZZ_TARGETS picks targets (space-separated).
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGETS=${FUZZ_TARGETS:-"warc html jsonl tokenizer safetensors shard config filter pdfwire"}
SWIFT=${SWIFT:-swift}

seeds() {
  case "$1" in
    warc) echo "Fixtures/fuzz/warc Fixtures/warc" ;;
    html) echo "Fixtures/fuzz/html Fixtures/html" ;;
    config) echo "Fixtures/fuzz/config Pipelines" ;;
    filter) echo "Fixtures/fuzz/filter Fixtures/exercises Fixtures/junk" ;;
    *) echo "Fixtures/fuzz/$1" ;;
  esac
}

max_len() {
  case "$1" in
    warc | html) echo 131072 ;;
    jsonl | tokenizer) echo 32768 ;;
    *) echo 16384 ;;
  esac
}

replay() {
  $SWIFT build --product quarry-fuzz
  local bin
  bin="$($SWIFT build --show-bin-path)/quarry-fuzz"
  for t in $TARGETS; do
    # shellcheck disable=SC2046
    "$bin" "$t" $(seeds "$t")
  done
}

run() {
  local seconds=${FUZZ_SECONDS:-600} jobs=${FUZZ_JOBS:-1}
  local scratch=.build/fuzz
  # One -sanitize flag naming both: swiftc keeps only the last -sanitize it is given, and
  # SwiftPM orders its own --sanitize flags at random.
  $SWIFT build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DQUARRY_LIBFUZZER \
    --product quarry-fuzz --scratch-path "$scratch"
  local bin="$scratch/release/quarry-fuzz"
  # Coverage must reach the library modules, not only the entry point (an incremental build
  # once linked uninstrumented objects): count libFuzzer's counters.
  local counters
  counters=$(QUARRY_FUZZ_TARGET=jsonl "$bin" -runs=0 Fixtures/fuzz/jsonl 2>&1 |
    sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p')
  if [ "${counters:-0}" -lt 20000 ]; then
    echo "the fuzz build has only ${counters:-0} coverage counters (the libraries are not instrumented);" >&2
    echo "remove $scratch and run make fuzz again" >&2
    exit 1
  fi
  mkdir -p "$scratch/findings" "$scratch/logs"
  rm -f "$scratch/logs/"*
  echo "fuzzing $TARGETS for ${seconds} s each, $jobs at a time (logs: $scratch/logs)"
  local running=0 t
  for t in $TARGETS; do
    mkdir -p "$scratch/corpus/$t"
    # shellcheck disable=SC2046
    (
      QUARRY_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 \
        "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len="$(max_len "$t")" -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$scratch/findings/$t-" "$scratch/corpus/$t" $(seeds "$t") \
        >"$scratch/logs/$t.log" 2>&1
      echo $? >"$scratch/logs/$t.rc"
    ) &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait || true
  local failed=0 rc runs rate corpus
  printf '%-12s %8s %12s %10s %8s  %s\n' target seconds executions "exec/s" corpus result
  for t in $TARGETS; do
    rc=$(cat "$scratch/logs/$t.rc" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/logs/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/logs/$t.log" | tail -1)
    corpus=$(find "$scratch/corpus/$t" -type f | wc -l)
    if [ "$rc" = 0 ]; then
      printf '%-12s %8s %12s %10s %8s  %s\n' "$t" "$seconds" "${runs:-?}" "${rate:-?}" "$corpus" ok
    else
      failed=1
      printf '%-12s %8s %12s %10s %8s  %s\n' "$t" "$seconds" "${runs:-?}" "${rate:-?}" "$corpus" "FAILED (exit $rc)"
      grep -E "ERROR: |SUMMARY: |Test unit written|Fatal error|Crash" "$scratch/logs/$t.log" | head -8 | sed 's/^/    /'
    fi
  done
  if [ "$failed" != 0 ]; then
    echo "a target failed: the input is in $scratch/findings/; replay it with" >&2
    echo "  swift build --product quarry-fuzz && .build/debug/quarry-fuzz -v TARGET FILE" >&2
    exit 1
  fi
}

case "${1:-}" in
  replay) replay ;;
  run) run ;;
  *) echo "usage: $0 replay|run" >&2; exit 2 ;;
esac
