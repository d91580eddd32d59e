#!/usr/bin/env bash
# Draws the tray icons and the app icon into assets/ with ImageMagick (Debian: apt-get install -y imagemagick).
# Run once by hand; the PNGs are committed. Each state has one glyph (so the monochrome macOS template images
# still tell the states apart) drawn on a 64×64 canvas and scaled down to 16×16 and 32×32 (@2x):
#   idle = ring, running = play triangle, paused = two bars, offline = ring with a slash, error = exclamation mark.
# Colour images (Windows, Linux) use the state's colour; *Template.png (macOS) are black on transparent.
set -euo pipefail
cd "$(dirname "$0")/.."
IM=${IM:-/usr/bin/convert}
out=assets/tray
mkdir -p "$out"

glyph() { # name colour → draw arguments
  local c=$2
  case $1 in
    idle) echo "-fill none -stroke '$c' -strokewidth 8 -draw 'circle 32,32 32,8'" ;;
    running) echo "-fill '$c' -stroke none -draw 'polygon 16,8 56,32 16,56'" ;;
    paused) echo "-fill '$c' -stroke none -draw 'roundrectangle 12,8 27,56 3,3' -draw 'roundrectangle 37,8 52,56 3,3'" ;;
    offline) echo "-fill none -stroke '$c' -strokewidth 8 -draw 'circle 32,32 32,10' -draw 'line 10,54 54,10'" ;;
    error) echo "-fill '$c' -stroke none -draw 'roundrectangle 24,4 40,40 5,5' -draw 'circle 32,53 32,61'" ;;
  esac
}

declare -A colour=([idle]='#4b5563' [running]='#15803d' [paused]='#b45309' [offline]='#9ca3af' [error]='#b91c1c')
for name in idle running paused offline error; do
  for variant in colour template; do
    c=${colour[$name]}
    suffix=''
    if [ "$variant" = template ]; then c='#000000'; suffix='Template'; fi
    big=$(mktemp --suffix=.png)
    eval "$IM -size 64x64 xc:none $(glyph "$name" "$c") $big"
    $IM "$big" -resize 16x16 -strip "PNG32:$out/$name$suffix.png"
    $IM "$big" -resize 32x32 -strip "PNG32:$out/$name$suffix@2x.png"
    rm -f "$big"
  done
done

# App icon: 1024×1024 (electron-builder derives .icns and .ico from it).
$IM -size 1024x1024 xc:none -fill '#1d4ed8' -draw 'roundrectangle 64,64 960,960 180,180' \
  -fill white -draw 'polygon 380,280 760,512 380,744' -strip PNG32:assets/icon.png
echo "icons written to assets/"
