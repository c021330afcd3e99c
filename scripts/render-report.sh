#!/usr/bin/env bash
# Renders a pottsrbm HTML report (e.g. `pottsrbm motifs ... -o DIR` -> DIR/report.html) to a PNG
# with headless Chromium, so that the page can be checked as a person sees it. DNS resolution is
# disabled, so anything the page tried to fetch from the network would be missing from the image.
#
# usage: scripts/render-report.sh [--force] REPORT.html OUT.png [WIDTH [HEIGHT]]   (defaults 1320 x 4000)
# An existing OUT.png is replaced only with --force; the PNG is written beside it under a temporary
# name and renamed into place, so a failed run leaves no partial file.
# exit:  0 written, 1 Chromium failed or wrote nothing, 2 bad usage, 3 Chromium not installed.
# Needs Debian's `chromium` (or chromium-browser / google-chrome) on PATH; nothing else.
set -euo pipefail

force=0
if [[ ${1:-} == --force || ${1:-} == -f ]]; then
    force=1
    shift
fi
if [[ $# -lt 2 || $# -gt 4 ]]; then
    echo "usage: $0 [--force] REPORT.html OUT.png [WIDTH [HEIGHT]]" >&2
    exit 2
fi
report=$1
out=$2
width=${3:-1320}
height=${4:-4000}
if [[ ! -f $report ]]; then
    echo "$0: no such file: $report" >&2
    exit 2
fi
if ! [[ $width =~ ^[0-9]+$ && $height =~ ^[0-9]+$ ]] || ((width < 200 || height < 200 || width > 20000 || height > 50000)); then
    echo "$0: WIDTH and HEIGHT must be integers in [200, 20000] and [200, 50000], got '$width' and '$height'" >&2
    exit 2
fi
if [[ -e $out && $force -eq 0 ]]; then
    echo "$0: output file '$out' already exists (use --force to overwrite)" >&2
    exit 2
fi
if [[ ! -d $(dirname -- "$out") ]]; then
    echo "$0: cannot write '$out': directory '$(dirname -- "$out")' does not exist" >&2
    exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$candidate
        break
    fi
done
if [[ -z $browser ]]; then
    echo "$0: chromium not found on PATH (Debian: apt-get install chromium)" >&2
    exit 3
fi

report_abs=$(realpath "$report")
out_abs=$(realpath -m "$out")
profile=$(mktemp -d)
partial="$out_abs.tmp-$$.png"
trap 'rm -rf "$profile"; rm -f "$partial"' EXIT

flags=(--headless --disable-gpu --hide-scrollbars --no-first-run --no-default-browser-check
    --disable-extensions --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND"
    --window-size="$width,$height" --screenshot="$partial")
if [[ $(id -u) -eq 0 ]]; then
    flags+=(--no-sandbox)  # Chromium refuses to run as root with its sandbox
fi

if ! timeout 120 "$browser" "${flags[@]}" "file://$report_abs" >"$profile/chromium.log" 2>&1; then
    echo "$0: $browser failed; its output:" >&2
    tail -n 20 "$profile/chromium.log" >&2
    exit 1
fi
if [[ ! -s $partial ]]; then
    echo "$0: $browser wrote no screenshot (to $partial)" >&2
    exit 1
fi
mv -f -- "$partial" "$out_abs"
echo "$out_abs"
