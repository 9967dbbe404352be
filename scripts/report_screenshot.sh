#!/usr/bin/env bash
# Regenerates docs/report.png, the README's picture of `installsift report`:
# the HTML report of the whole corpus as it first opens, in headless Chromium
# (Debian package `chromium`) at 1280x900. Not run by CI (the picture
# changes with fonts and Chromium versions); run it after changing the page
# (crates/installsift/src/render/report.{js,css}) and look at the result.
# Prints the report's size and the time Chromium took to load and draw it.
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "no chromium: apt-get install chromium" >&2
  exit 1
fi
cargo build --release --locked -p installsift-cli
out=target/report-corpus.html
target/release/installsift report -o "$out" corpus/
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# As root Chromium's sandbox will not start; the page is the one just written.
sandbox=()
[ "$(id -u)" != 0 ] || sandbox=(--no-sandbox)
start=$(date +%s.%N)
"$browser" --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1280,900 \
  --screenshot=docs/report.png "file://$PWD/$out" 2>/dev/null
end=$(date +%s.%N)
echo "$out: $(stat -c %s "$out") bytes; Chromium took $(awk "BEGIN { printf \"%.1f\", $end - $start }") s to load, draw and shoot docs/report.png"
