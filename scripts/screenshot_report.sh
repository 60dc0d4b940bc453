#!/usr/bin/env bash
# Render a run's report.html in headless Chromium and save a full-page PNG beside it.
#   scripts/screenshot_report.sh build/mit_sigma70 [WIDTH] [HEIGHT]
# Needs Debian's chromium (apt-get install chromium); nothing is fetched from the network.
set -euo pipefail
run_dir=${1:?usage: $0 RUN_DIR [WIDTH] [HEIGHT]}
width=${2:-1280}
height=${3:-4000}
html=$(realpath "$run_dir/report.html")
out=$(realpath "$run_dir")/report.png
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$out" "file://$html" >/dev/null 2>&1
echo "$out"
