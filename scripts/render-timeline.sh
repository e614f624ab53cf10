#!/usr/bin/env bash
# Draws the timeline of a failing run and renders it to a PNG.
#
# 1. Runs sim-core/examples/timeline.rs: a lost update among a few named tasks, found under
#    some seed by a search that records every run's events. It writes
#    target/timeline/lost_update.json (Chrome trace: open in ui.perfetto.dev or chrome://tracing),
#    target/timeline/lost_update.svg and target/timeline/lost_update.html.
# 2. If chromium is installed, renders the HTML page headless to target/timeline/lost_update.png
#    and checks that the PNG is non-empty. (docs/images/timeline-lost-update.png is a copy.)
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(pwd)/target/timeline"
mkdir -p "$out"

cargo run -q -p sim-core --example timeline -- "$out/lost_update"
for ext in json svg html; do
    if [ ! -s "$out/lost_update.$ext" ]; then
        echo "error: $out/lost_update.$ext was not written" >&2
        exit 1
    fi
done

browser=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser="$candidate"
        break
    fi
done
if [ -z "$browser" ]; then
    echo "chromium is not installed, so no PNG was rendered." >&2
    echo "Install it (Debian/Ubuntu, as root) with: apt-get update && apt-get install -y chromium" >&2
    echo "Meanwhile, open file://$out/lost_update.html in a browser." >&2
    exit 0
fi

profile="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$profile" "$log"' EXIT
png="$out/lost_update.png"
rm -f "$png"
if ! "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --screenshot="$png" --window-size=1400,700 \
    "file://$out/lost_update.html" >"$log" 2>&1; then
    cat "$log" >&2
    echo "error: $browser failed" >&2
    exit 1
fi
if [ ! -s "$png" ] || [ "$(head -c 4 "$png" | tail -c 3)" != "PNG" ]; then
    cat "$log" >&2
    echo "error: $png is missing, empty or not a PNG" >&2
    exit 1
fi
echo "rendered $png ($(wc -c <"$png") bytes)"
