#!/usr/bin/env bash
# Set up vcat on a fresh Debian/Ubuntu machine: system tools (ExifTool, ffmpeg, espeak-ng for test speech) and a
# virtualenv in .venv with vcat installed (editable, with test extras). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
need=()
command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
# fonts the on-screen text tests and bench/ocr.py burn into generated frames (tests/text_media.py)
for font in fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf; do
  dpkg -s "$font" >/dev/null 2>&1 || need+=("$font")
done
# the real-terminal test of the app's images (tests/test_tui_real_terminal.py): a headless X server, xterm (Sixel as
# a VT340), kitty (graphics protocol, software OpenGL), screenshots (ImageMagick's import) and keystrokes (xdotool)
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xterm >/dev/null || need+=(xterm)
command -v kitty >/dev/null || need+=(kitty)
command -v import >/dev/null || need+=(imagemagick)
command -v xdotool >/dev/null || need+=(xdotool)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,bench]'
echo "vcat is set up: .venv/bin/vcat-core --help"
