"""Generated footage with text burned in (ffmpeg drawtext): slates, lower thirds, signs and screen text in several
Debian fonts, sizes and backgrounds. Used by tests/test_screen_text.py and bench/ocr.py.

The text goes through `textfile=` so no drawtext escaping is needed; `enable='between(t,a,b)'` times each caption.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Debian packages: fonts-dejavu-core / -extra, fonts-liberation, fonts-freefont-ttf (scripts/setup.sh installs them)
FONT_FILES = {
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "dejavu-sans-bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "liberation-sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "liberation-serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "liberation-mono": "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "free-sans-bold": "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "free-serif": "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
}

# lavfi sources behind the text: flat dark, light and grey, colour bars, a busy fractal, a gradient
BACKGROUNDS = {
    "black": "color=c=black:",
    "white": "color=c=white:",
    "grey": "color=c=0x556070:",
    "bars": "smptehdbars=",
    "fractal": "mandelbrot=",
    "gradient": "gradients=c0=0x203050:c1=0xa0a080:",
}


def fonts() -> dict[str, str]:
    """The fonts of FONT_FILES present on this machine."""
    return {name: path for name, path in FONT_FILES.items() if Path(path).exists()}


@dataclass(frozen=True)
class Caption:
    """One piece of text on screen: what, where (`layout`), how (font, size in px at the frame's height) and when."""

    text: str
    font: str = "dejavu-sans"
    size: int = 48
    layout: str = "center"  # center | lower_third | slate | top_left
    start: float = 0.0
    end: float = 1e9


def _ink(background: str) -> str:
    return "black" if background == "white" else "white"


def _drawtext(caption: Caption, textfile: Path, background: str) -> str:
    font = FONT_FILES[caption.font]
    pos = {
        "center": "x=(w-text_w)/2:y=(h-text_h)/2",
        "lower_third": "x=w*0.08:y=h*0.78:box=1:boxcolor=black@0.65:boxborderw=12",
        "slate": "x=(w-text_w)/2:y=h*0.3:line_spacing=18",
        "top_left": "x=w*0.05:y=h*0.06",
    }[caption.layout]
    ink = "white" if caption.layout == "lower_third" else _ink(background)
    shadow = ":shadowx=2:shadowy=2:shadowcolor=black@0.6" if background in ("bars", "fractal", "gradient") else ""
    return (f"drawtext=fontfile={font}:textfile={textfile}:fontsize={caption.size}:fontcolor={ink}:{pos}{shadow}"
            f":enable='between(t,{caption.start},{caption.end})'")


def render(dest: str | os.PathLike, captions: list[Caption], *, seconds: float = 1.0, size: str = "1280x720",
           background: str = "black", rate: int = 10, frame_only: bool = False) -> Path:
    """Write a clip (H.264 MP4) or, with `frame_only`, one PNG frame showing `captions` on `background`."""
    dest = Path(dest)
    src = f"{BACKGROUNDS[background]}s={size}:r={rate}"
    with tempfile.TemporaryDirectory(prefix="vcat-text-") as tmp:
        filters = []
        for i, caption in enumerate(captions):
            textfile = Path(tmp) / f"caption{i}.txt"
            textfile.write_text(caption.text)
            filters.append(_drawtext(caption, textfile, background))
        cmd = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-t", str(seconds), "-i", src]
        if filters:
            cmd += ["-vf", ",".join(filters)]
        if frame_only:
            cmd += ["-frames:v", "1", str(dest)]
        else:
            cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(rate), str(dest)]
        subprocess.run(cmd, check=True)
    return dest
