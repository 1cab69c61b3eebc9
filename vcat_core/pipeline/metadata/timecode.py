"""SMPTE source timecode as a typed value: a frame count at a rate, drop-frame aware (pure: no I/O).

Cameras write a start timecode as text ("01:00:00:00", "01:00:00;00" for drop-frame) in tmcd tracks, MXF, MPEG GOP
headers and XML sidecars. Text cannot be added to, so a clip keeps `Timecode(frame, rate, drop_frame)`: the frame
number since 00:00:00:00 counted in real frames, which an edit (or the next part of a spanned recording) can add
durations to and print back.

Drop-frame (29.97, 59.94; SMPTE ST 12-1): frame numbers 0 and 1 (0–3 at 59.94) are skipped at the start of every
minute except minutes divisible by ten, so the label keeps pace with the wall clock. Nominal rates are the
rounded ones (24 for 23.976, 30 for 29.97).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_TC_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})[:.](\d{2})([:;.,])(\d{2,3})\s*$")
# rates written as decimals by tools and sidecars, snapped to the exact NTSC fractions
_STANDARD_RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                   Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60), Fraction(120000, 1001),
                   Fraction(120)]


@dataclass(frozen=True)
class Timecode:
    """A start timecode: `frame` real frames since 00:00:00:00 at `rate` frames per second."""

    frame: int
    rate: Fraction
    drop_frame: bool = False

    @property
    def nominal(self) -> int:
        return round(self.rate)

    def __str__(self) -> str:
        return format_timecode(self.frame, self.rate, self.drop_frame)

    def plus(self, frames: int) -> "Timecode":
        return Timecode(self.frame + frames, self.rate, self.drop_frame)

    @property
    def rate_text(self) -> str:
        return f"{self.rate.numerator}/{self.rate.denominator}" if self.rate.denominator != 1 else str(self.rate)


def snap_rate(rate: float | Fraction | str | None) -> Fraction | None:
    """23.976 / "23.98" / 24000/1001 → Fraction(24000, 1001); an unusual rate stays as given (to 1/1001)."""
    if rate in (None, "", 0):
        return None
    try:
        value = Fraction(str(rate)) if not isinstance(rate, Fraction) else rate
    except (ValueError, ZeroDivisionError):
        return None
    if value <= 0:
        return None
    best = min(_STANDARD_RATES, key=lambda r: abs(float(r) - float(value)))
    if abs(float(best) - float(value)) < 0.01:
        return best
    return value.limit_denominator(1001)


def _drop_per_minute(nominal: int) -> int:
    return nominal // 15  # 2 at 29.97, 4 at 59.94


def drop_frame_allowed(rate: Fraction) -> bool:
    return rate.denominator == 1001 and round(rate) in (30, 60, 120)


def parse_timecode(text: str | None, rate: float | Fraction | str | None,
                   drop_frame: bool | None = None) -> Timecode | None:
    """"HH:MM:SS:FF" (";" or "," before the frames: drop-frame) at `rate` → Timecode; None when unreadable.
    `drop_frame` overrides the separator (sidecars say it in an attribute)."""
    rate_f = snap_rate(rate)
    if text is None or rate_f is None:
        return None
    m = _TC_RE.match(str(text))
    if not m:
        return None
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    nominal = round(rate_f)
    if mm > 59 or ss > 59 or ff >= nominal:
        return None
    df = (sep in ";,") if drop_frame is None else drop_frame
    df = df and drop_frame_allowed(rate_f)
    frame = (hh * 3600 + mm * 60 + ss) * nominal + ff
    if df:
        minutes = hh * 60 + mm
        frame -= _drop_per_minute(nominal) * (minutes - minutes // 10)
    return Timecode(frame, rate_f, df)


def format_timecode(frame: int, rate: Fraction, drop_frame: bool = False) -> str:
    """Frame number → "HH:MM:SS:FF" ("HH:MM:SS;FF" drop-frame); wraps at 24 hours like a camera's clock."""
    nominal = round(rate)
    if drop_frame:
        drop = _drop_per_minute(nominal)
        per_10min = nominal * 600 - drop * 9
        per_min = nominal * 60 - drop
        tens, rest = divmod(frame, per_10min)
        frame += drop * 9 * tens + (drop * ((rest - drop) // per_min) if rest >= drop else 0)
    ff = frame % nominal
    ss = frame // nominal % 60
    mm = frame // (nominal * 60) % 60
    hh = frame // (nominal * 3600) % 24
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop_frame else ':'}{ff:02d}"


def frames_in(seconds: float, rate: Fraction) -> int:
    """How many frames `seconds` of footage hold at `rate` (rounded to the nearest frame)."""
    return round(seconds * rate)
