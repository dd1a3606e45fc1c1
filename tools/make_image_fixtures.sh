#!/usr/bin/env bash
# Regenerates the awkward-but-valid image fixtures the decoder tests read
# (core/src/test/resources/images/). Needs ImageMagick (Debian package imagemagick).
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/core/src/test/resources/images"
mkdir -p "$out"
# 6x4 gradient: red rises left to right, green top to bottom, blue constant 64.
convert -size 6x4 xc: -fx 'r=i/5; g=j/3; b=0.25; 0' -channel R -fx 'i/5' -channel G -fx 'j/3' -channel B -fx '0.25' \
  +channel -depth 8 "$out/rgb.png"
convert "$out/rgb.png" -colorspace CMYK -quality 100 "$out/cmyk.jpg"
convert "$out/rgb.png" -define webp:lossless=true "$out/lossless.webp"
convert "$out/rgb.png" -colorspace Gray -depth 16 "$out/gray16.png"
ls -l "$out"
