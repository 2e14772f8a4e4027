#!/usr/bin/env bash
# Runs every example of `quarry --help`, of each subcommand's --help and of the README's code
# blocks, in that order, in the current directory (a fresh clone), with the `quarry` on PATH. Prints each command with ok or
# FAIL, then "N passed, M failed". Examples marked "on a Slurm cluster" need one running.
set -uo pipefail
commands() {
  quarry --help
  for c in run run-task status extract extract-html extract-pdf warc-stats filter decontaminate classifier "classifier train" \
           dedup "dedup signatures" "dedup buckets" \
           "dedup clusters" "dedup filter" "dedup finish" tokenizer "tokenizer train" "tokenizer encode" \
           "tokenizer decode" tokenize shards "shards decode" mix train generate eval report inspect model "model logits" "model init" "model info"; do
    # shellcheck disable=SC2086
    quarry $c --help
  done
}
# The quarry command lines of the README's code blocks.
readme() {
  awk '/^```/ { inside = !inside; next } inside && /^(quarry |for .*quarry)/' README.md
}
# Example lines start with "quarry " (or "for … quarry"); a trailing backslash continues a line.
mapfile -t examples < <((commands | awk '
  cont { s = $0; sub(/^ +/, "", s); line = line " " s }
  !cont && /^  +(quarry |for [A-Za-z_]+ in )/ { line = $0; sub(/^ +/, "", line); cont = 1 }
  cont && /\\$/ { sub(/\\$/, "", line); next }
  cont { print line; cont = 0; line = "" }'; readme) | awk '!seen[$0]++')
passed=0; failed=0
for cmd in "${examples[@]}"; do
  if bash -c "$cmd" > /tmp/quarry-example.log 2>&1; then
    passed=$((passed + 1)); echo "ok    $cmd"
  else
    failed=$((failed + 1)); echo "FAIL  $cmd"; tail -n 3 /tmp/quarry-example.log | sed 's/^/      /'
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
