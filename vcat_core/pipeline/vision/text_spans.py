"""Timed on-screen text from the lines read in a clip's frames: lines of one frame that belong together (a slate's
rows, a two-line lower third) become one block, and a block seen on consecutive frames becomes one span (first and
last time seen), not one row per frame.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pydantic import BaseModel

from ...ai.screen_text import TextLine

SAME_TEXT = 0.8  # similarity at which two readings are the same text (OCR varies a letter between frames)
MIN_CHARS = 2  # a block with fewer letters or digits is dropped: textures read as one glyph ("0" in a fractal)


class TextSpan(BaseModel):
    """Text on screen from `start_seconds` to `end_seconds` (the first and last frame it was read on)."""

    text: str
    start_seconds: float
    end_seconds: float
    score: float  # best recogniser confidence over its frames
    frames: int = 1


def blocks(lines: list[TextLine]) -> list[tuple[str, float]]:
    """Lines (top to bottom) grouped into blocks: the next line starts within one line height below the last and
    overlaps it horizontally. Returns (text, lowest confidence) per block of at least MIN_CHARS letters/digits."""
    groups: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1], ln.box[0])):
        last = groups[-1][-1] if groups else None
        if last is not None:
            height = max(1.0, last.box[3] - last.box[1])
            below = line.box[1] - last.box[3]
            overlaps = min(line.box[2], last.box[2]) > max(line.box[0], last.box[0])
            if -0.5 * height <= below <= 1.0 * height and overlaps:
                groups[-1].append(line)
                continue
        groups.append([line])
    out = [(" ".join(ln.text for ln in g), min(ln.score for ln in g)) for g in groups]
    return [(text, score) for text, score in out if sum(ch.isalnum() for ch in text) >= MIN_CHARS]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _same(a: str, b: str) -> bool:
    return a == b or SequenceMatcher(None, a, b).ratio() >= SAME_TEXT


def spans(frames: list[tuple[float, list[TextLine]]]) -> list[TextSpan]:
    """`frames`: (time in seconds, lines read) for each frame read, any order. A block continues its span when the
    previous frame read showed the same text; the best-confidence reading names the span."""
    done: list[TextSpan] = []
    open_: list[tuple[str, TextSpan]] = []
    for at, lines in sorted(frames, key=lambda f: f[0]):
        still: list[tuple[str, TextSpan]] = []
        for text, score in blocks(lines):
            key = _key(text)
            match = next((i for i, (k, _) in enumerate(open_) if _same(k, key)), None)
            if match is None:
                still.append((key, TextSpan(text=text, start_seconds=at, end_seconds=at, score=score)))
                continue
            k, span = open_.pop(match)
            span.end_seconds, span.frames = at, span.frames + 1
            if score > span.score:
                span.text, span.score, k = text, score, key
            still.append((k, span))
        done += [span for _, span in open_]  # not on this frame: their spans end
        open_ = still
    done += [span for _, span in open_]
    return sorted(done, key=lambda s: (s.start_seconds, s.text))
