#!/bin/sh
# After `npm pack` ("postpack"): removes what pack/emit.sh wrote, listed in pack/.emitted.
set -eu
cd "$(dirname "$0")/.."
[ -f pack/.emitted ] || exit 0
while IFS= read -r f; do rm -f -- "$f"; done < pack/.emitted
rm -f pack/.emitted
rmdir dist 2>/dev/null || true
[ ! -d types ] || find types -depth -type d -empty -delete
