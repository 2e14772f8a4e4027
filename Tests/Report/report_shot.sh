#!/usr/bin/env bash
# Screenshots of a run's report.html in headless Chromium at 1280 px (desktop) and 390 px
# (phone) wide, and a check that the page logs no console errors (`make report-shot`).
# usage: report_shot.sh RUN_DIR   → RUN_DIR/report-1280.png, RUN_DIR/report-390.png
set -euo pipefail
run=${1:?usage: report_shot.sh RUN_DIR}
report=$(cd "$run" && pwd)/report.html
[ -f "$report" ] || { echo "no $report; run quarry run (or quarry report $run) first"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is missing: apt-get install chromium"; exit 1; }
status=0
for spec in 1280:9000 390:22000; do
  width=${spec%%:*}; height=${spec##*:}
  out="$run/report-$width.png"
  log=$(mktemp)
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --enable-logging=stderr --v=0 --window-size="$width,$height" --screenshot="$out" "file://$report" 2> "$log" || true
  if [ ! -s "$out" ]; then echo "chromium wrote no screenshot at $width px:"; tail -5 "$log"; status=1; fi
  # Console messages from the page (Chromium logs them as CONSOLE lines); the report has no script,
  # so any message is an error (a blocked resource, a parse error).
  if grep -E 'CONSOLE[:(]|Uncaught|Failed to load resource' "$log" > /dev/null; then
    echo "console errors at $width px:"; grep -E 'CONSOLE[:(]|Uncaught|Failed to load resource' "$log" | head; status=1
  fi
  rm -f "$log"
  [ -s "$out" ] && echo "$out (${width} px wide)"
done
exit $status
