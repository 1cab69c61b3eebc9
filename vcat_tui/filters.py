"""The filter bar's little language, parsed into the same `ClipFilter` that `vcat-core list` builds.

    codec:prores res:4k camera:"iphone 15" min:10 max:2m vfr exposure tag:b-roll collection:selects beach
    rating:>=4 pick label:red
    hdr log gamma:slog3 person:"Maria"

`key:value` pairs set a filter; bare `vfr` / `exposure` switch a flag on (`vfr:no` / `exposure:no` off); bare
`pick`, `reject` and `unflagged` keep clips so flagged; `rating:` takes 4, >=4, 4+, <=2, 2-4 or unrated; any other
word must appear in the clip's name, a path, its codec, camera or a tag. Quote values that hold spaces.
"""

from __future__ import annotations

import re
import shlex

from vcat_core.models import ClipFilter
from vcat_core.service import LABELS, RatingError, describe_rating, parse_rating

KEYS: dict[str, str] = {
    "codec": "codec",
    "res": "resolution", "resolution": "resolution",
    "camera": "camera", "cam": "camera",
    "min": "min_duration", "min-duration": "min_duration", "min_duration": "min_duration",
    "max": "max_duration", "max-duration": "max_duration", "max_duration": "max_duration",
    "vfr": "vfr",
    "exposure": "exposure_warning", "exposure-warning": "exposure_warning", "warn": "exposure_warning",
    "tag": "tags", "tags": "tags",
    "collection": "collection", "coll": "collection",
    "rating": "rating", "stars": "rating",
    "label": "label",
    "hdr": "hdr", "log": "log", "gamma": "gamma",
    "person": "person", "who": "person",
}
"""Every key the bar accepts, with its aliases, mapped to the `ClipFilter` field it sets."""

CANONICAL = ("codec", "res", "camera", "min", "max", "vfr", "exposure", "tag", "collection", "rating", "label",
             "pick", "reject", "unflagged", "hdr", "log", "gamma", "person")
PICKS = ("pick", "reject", "unflagged")
"""The spelling the bar writes back (and suggests)."""

_FLAGS = {"vfr", "exposure_warning", "hdr", "log"}
_YES = {"yes", "y", "true", "on", "1"}
_NO = {"no", "n", "false", "off", "0"}
_RES = re.compile(r"^(\d{3,4}p|4k|uhd|8k|hd|fhd|\d{2,5}x\d{2,5})$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


class FilterError(ValueError):
    """The bar's text cannot be read; the message says which part and why."""


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `1m30s`, `1.5m`, `1h`."""
    m = _DURATION.match(text.strip().lower())
    if not text.strip() or not m or not any(m.groups()):
        raise FilterError(f"not a duration: {text!r} (use seconds, or 1m30s, 2h)")
    h, mins, secs = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mins * 60 + secs


def parse_filter(text: str) -> ClipFilter:
    """Read the filter bar's text; raises FilterError naming the part it cannot read."""
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise FilterError(f"unbalanced quotes ({exc})") from None
    values: dict = {}
    words: list[str] = []
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep and key.lower() in PICKS:
            if values.get("pick") not in (None, key.lower()):
                raise FilterError(f"{values['pick']} and {key.lower()} exclude each other")
            values["pick"] = key.lower()
            continue
        field = KEYS.get(key.lower()) if sep or key.lower() in ("vfr", "exposure", "warn", "hdr", "log") else None
        if field is None:
            if sep and key.lower() not in KEYS and re.fullmatch(r"[a-z_-]+", key.lower()):
                raise FilterError(f"unknown filter {key!r}; use {', '.join(CANONICAL)}")
            words.append(part)
            continue
        value = value.strip()
        if field in _FLAGS:
            if not value or value.lower() in _YES:
                values[field] = True
            elif value.lower() in _NO:
                values[field] = False
            else:
                raise FilterError(f"{key}: say yes or no, not {value!r}")
            continue
        if not value:
            raise FilterError(f"{key}: needs a value ({key}:…)")
        if field in ("min_duration", "max_duration"):
            values[field] = parse_duration(value)
        elif field == "resolution":
            if not _RES.match(value.lower()):
                raise FilterError(f"res: {value!r} is not 720p, 1080p, 2160p, 4k, 8k or WIDTHxHEIGHT")
            values[field] = value.lower()
        elif field == "tags":
            values.setdefault("tags", []).append(value)
        elif field == "rating":
            try:
                values["min_rating"], values["max_rating"] = parse_rating(value)
            except RatingError as exc:
                raise FilterError(f"rating: {exc}") from None
        elif field == "label":
            if value.lower() not in (*LABELS, "none"):
                raise FilterError(f"label: one of {', '.join(LABELS)} or none, not {value!r}")
            values["label"] = value.lower()
        else:
            values[field] = value
    if words:
        values["text"] = " ".join(words)
    if values.get("min_duration") is not None and values.get("max_duration") is not None \
            and values["min_duration"] > values["max_duration"]:
        raise FilterError("min is longer than max")
    return ClipFilter(**values)


def _quote(value: str) -> str:
    return shlex.quote(value) if (not value or any(c.isspace() or c in "'\"" for c in value)) else value


def _seconds(value: float) -> str:
    return f"{value:g}"


def describe(f: ClipFilter) -> str:
    """The bar's text for a filter (parse_filter(describe(f)) == f)."""
    out = []
    if f.codec:
        out.append(f"codec:{_quote(f.codec)}")
    if f.resolution:
        out.append(f"res:{f.resolution}")
    if f.camera:
        out.append(f"camera:{_quote(f.camera)}")
    if f.min_duration is not None:
        out.append(f"min:{_seconds(f.min_duration)}")
    if f.max_duration is not None:
        out.append(f"max:{_seconds(f.max_duration)}")
    if f.vfr is not None:
        out.append("vfr" if f.vfr else "vfr:no")
    if f.exposure_warning is not None:
        out.append("exposure" if f.exposure_warning else "exposure:no")
    for flag, on in (("hdr", f.hdr), ("log", f.log)):
        if on is not None:
            out.append(flag if on else f"{flag}:no")
    if f.gamma:
        out.append(f"gamma:{_quote(f.gamma)}")
    for tag in f.tags or []:
        out.append(f"tag:{_quote(tag)}")
    if f.collection:
        out.append(f"collection:{_quote(f.collection)}")
    if (stars := describe_rating(f.min_rating, f.max_rating)) is not None:
        out.append(f"rating:{stars}")
    if f.pick:
        out.append(f.pick)
    if f.label:
        out.append(f"label:{f.label}")
    if f.person:
        out.append(f"person:{_quote(f.person)}")
    if f.text:
        out.append(f.text)
    return " ".join(out)


def is_empty(f: ClipFilter) -> bool:
    return f == ClipFilter()
