#!/usr/bin/env bash
# Regenerates docs/html-report.png, the README's picture of the HTML report: a drill of
# docs/html-report-drill.yaml against the built-in simulator, screenshotted by headless
# Chromium (Debian's `chromium`). Sends nothing anywhere but the loopback simulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --locked
drbook="${CARGO_TARGET_DIR:-target}/debug/drbook"
"$drbook" drill docs/html-report-drill.yaml --simulate --sim-failover-time 1500ms \
    --approve all --report-dir "$work/reports" --report-format html
html=$(ls "$work"/reports/*.html)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$work/chromium" --window-size=1100,1500 \
    --screenshot="$PWD/docs/html-report.png" "file://$html" 2>/dev/null
echo "docs/html-report.png written from $html"
