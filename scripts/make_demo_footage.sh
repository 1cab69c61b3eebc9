#!/usr/bin/env bash
# A few short demo clips to try vcat on a machine with no footage: a test card, a spoken "interview", a blurry
# shot and a vertical phone-style clip with camera tags. Uses ffmpeg and espeak-ng (scripts/setup.sh installs them).
set -euo pipefail
out=${1:-"$HOME/vcat-demo"}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 8 \
   -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$out/testcard.mp4"
espeak-ng -w "$tmp/speech.wav" "Welcome to the harbour. Today the fishing boats came back early because a storm \
is coming from the north. The captain says the catch was good this week."
ff -f lavfi -i mandelbrot=size=960x540:rate=25 -i "$tmp/speech.wav" -c:v libx264 -pix_fmt yuv420p -c:a aac \
   -shortest "$out/harbour_interview.mov"
ff -f lavfi -i testsrc=size=1280x720:rate=25 -t 5 -vf boxblur=12 -c:v libx264 -pix_fmt yuv420p "$out/soft_focus.mp4"
ff -f lavfi -i cellauto=s=540x960:rate=30 -t 6 -c:v libx264 -pix_fmt yuv420p \
   -metadata make=Apple -metadata model="iPhone 15 Pro" -metadata creation_time=2024-05-17T12:23:05Z \
   "$out/IMG_0420.MOV"
echo "demo footage in $out"
