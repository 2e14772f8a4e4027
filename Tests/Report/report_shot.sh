#!/usr/bin/env bash
# Screenshots of a run's report.html in headless Chromium at 1280 px (desktop) and 390 px
# (phone) wide, and a check that the page logs no console errors (`make report-shot`).
# Chromium paints at most ~16,000 px of height, so besides the top of the page each section is
# shot on its own (a copy of the page showing only that section):
#   RUN_DIR/report-shots/<width>-page.png, <width>-<section>.png
# usage: report_shot.sh RUN_DIR
set -euo pipefail
run=${1:?usage: report_shot.sh RUN_DIR}
report=$(cd "$run" && pwd)/report.html
[ -f "$report" ] || { echo "no $report; run quarry run (or quarry report $run) first"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is missing: apt-get install chromium"; exit 1; }
out=$(cd "$run" && pwd)/report-shots
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
shoot() {  # shoot HTML_FILE WIDTH HEIGHT PNG
  local log="$work/log"
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --enable-logging=stderr --v=0 --window-size="$2,$3" --screenshot="$4" "file://$1" 2> "$log" || true
  if [ ! -s "$4" ]; then echo "chromium wrote no screenshot $4:"; tail -5 "$log"; status=1; fi
  # Messages from the page (Chromium logs them as CONSOLE lines). The report has no script, so
  # any message is an error: a blocked resource, a parse error.
  if grep -E 'CONSOLE[:(]|Uncaught|Failed to load resource' "$log" > /dev/null; then
    echo "console errors in $1 at $2 px:"; grep -E 'CONSOLE[:(]|Uncaught|Failed to load resource' "$log" | head; status=1
  fi
}
sections=$(grep -o '<section id="[a-z_-]*"' "$report" | sed 's/.*id="\([^"]*\)"/\1/')
for width in 1280 390; do
  height=$([ "$width" = 1280 ] && echo 9000 || echo 16000)
  shoot "$report" "$width" "$height" "$out/$width-page.png"
  for s in $sections; do
    # Only this section shown, the page's title and lead kept.
    sed "s#</head>#<style>section{display:none}section\#$s{display:block}nav.toc{display:none}</style></head>#" "$report" > "$work/$s.html"
    shoot "$work/$s.html" "$width" "$height" "$out/$width-$s.png"
  done
done
ls "$out"/*.png | sed 's/^/  /'
[ $status = 0 ] && echo "no console errors; screenshots in $out"
exit $status
