"""Culling: star ratings (0-5), pick / reject and colour labels, kept in `clip_ratings` (migration 0012).

User data like tags (DESIGN §10): only these functions write the table, each a person's explicit act (CLI, TUI),
except `seed_from_xmp`, which fills in a rating the file itself carries (XMP `Rating` / `Label`) for a clip that
has no row yet, so a re-run never overwrites what a person decided.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from ..errors import VcatError
from .catalog import CatalogStore, _chunks, bump_changes
from .tables import Clip, ClipRating, utcnow

FLAGS = ("pick", "reject")
LABELS = ("red", "yellow", "green", "blue", "purple")


class RatingError(VcatError):
    """A rating, flag or label that cannot be set (out of range, unknown colour, unknown clip)."""


def check_rating(value: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= 5:
        raise RatingError(f"a rating is 0 to 5 stars, not {value!r}")
    return value


def normalise_flag(value: str | None) -> str | None:
    if value is None or value.strip().lower() in ("", "none", "unflag", "unflagged"):
        return None
    flag = {"picked": "pick", "rejected": "reject"}.get(value.strip().lower(), value.strip().lower())
    if flag not in FLAGS:
        raise RatingError(f"a flag is pick, reject or none, not {value!r}")
    return flag


def normalise_label(value: str | None) -> str | None:
    if value is None or value.strip().lower() in ("", "none", "off", "clear"):
        return None
    label = value.strip().lower()
    if label not in LABELS:
        raise RatingError(f"a label is one of {', '.join(LABELS)} (or none), not {value!r}")
    return label


def _set(store: CatalogStore, clip_ids: list[int], **values: Any) -> int:
    """Write these fields on every clip (a row is made where none exists); returns how many clips changed."""
    changed = 0
    ids = list(dict.fromkeys(clip_ids))
    with Session(store.writer) as s, s.begin():
        found: set[int] = set()
        rows: dict[int, ClipRating] = {}
        for chunk in _chunks(ids, 500):
            found |= set(s.exec(select(Clip.id).where(col(Clip.id).in_(chunk))).all())
            rows.update({r.clip_id: r for r in s.exec(select(ClipRating).where(col(ClipRating.clip_id).in_(chunk)))})
        missing = [i for i in ids if i not in found]
        if missing:
            raise RatingError(f"no clip with id {', '.join(map(str, missing[:10]))}")
        for cid in ids:
            row = rows.get(cid) or ClipRating(clip_id=cid)
            if all(getattr(row, k) == v for k, v in values.items()) and cid in rows:
                continue
            for k, v in values.items():
                setattr(row, k, v)
            row.source, row.updated_at = "user", utcnow()
            s.add(row)
            changed += 1
        if changed:
            bump_changes(s)
    return changed


def rate(store: CatalogStore, clip_ids: list[int], rating: int) -> int:
    return _set(store, clip_ids, rating=check_rating(rating))


def set_flag(store: CatalogStore, clip_ids: list[int], flag: str | None) -> int:
    return _set(store, clip_ids, flag=normalise_flag(flag))


def set_label(store: CatalogStore, clip_ids: list[int], label: str | None) -> int:
    return _set(store, clip_ids, label=normalise_label(label))


def ratings_of(s: Session, clip_ids: list[int]) -> dict[int, ClipRating]:
    """The rows of these clips (inside the caller's session); clips without one are absent."""
    out: dict[int, ClipRating] = {}
    for chunk in _chunks(list(clip_ids), 500):
        out.update({r.clip_id: r for r in s.exec(select(ClipRating).where(col(ClipRating.clip_id).in_(chunk)))})
    return out


def as_dict(row: ClipRating | None) -> dict[str, Any]:
    """What list, show and export print: `rating` (0 = none), `pick` ("pick" | "reject" | None), `label`."""
    if row is None:
        return {"rating": 0, "pick": None, "label": None}
    return {"rating": row.rating, "pick": row.flag, "label": row.label}


# ---- read from the file at ingest ------------------------------------------------------------------------------

XMP_RATING_TAGS = ("XMP-xmp:Rating", "XMP:Rating")
XMP_LABEL_TAGS = ("XMP-xmp:Label", "XMP:Label")


def from_xmp(exiftool_tags: dict[str, Any]) -> dict[str, Any] | None:
    """The rating an XMP packet carries (Lightroom, Bridge, Photo Mechanic, Resolve write `xmp:Rating` 0-5, -1 for
    rejected, and `xmp:Label` as a colour name), or None when it carries none."""
    values: dict[str, Any] = {}
    raw = next((exiftool_tags[t] for t in XMP_RATING_TAGS if exiftool_tags.get(t) not in (None, "")), None)
    try:
        stars = round(float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        stars = None
    if stars is not None:
        if stars < 0:
            values["flag"] = "reject"
        else:
            values["rating"] = min(stars, 5)
    label = next((str(exiftool_tags[t]) for t in XMP_LABEL_TAGS if exiftool_tags.get(t)), None)
    if label and label.strip().lower() in LABELS:
        values["label"] = label.strip().lower()
    return values or None


def seed_from_xmp(s: Session, clip_id: int, exiftool_tags: dict[str, Any] | None) -> None:
    """Inside save_analysis's transaction: a clip that has no rating row yet takes the file's XMP rating. A row,
    once there (a person's decision, or an earlier seed), is never overwritten by an ingest."""
    values = from_xmp(exiftool_tags or {})
    if values is None or s.get(ClipRating, clip_id) is not None:
        return
    s.add(ClipRating(clip_id=clip_id, source="xmp", **values))


# ---- filter expressions (`list --rating`, the TUI's `rating:`, search's `rating:`) ----------------------------

_RATING_EXPR = re.compile(r"^\s*(?:(?P<op>>=|<=|>|<|=)?\s*(?P<n>[0-5])\s*(?P<plus>\+)?|(?P<a>[0-5])\s*-\s*(?P<b>[0-5])"
                          r"|(?P<unrated>unrated|none))\s*$", re.IGNORECASE)


def parse_rating(text: str) -> tuple[int | None, int | None]:
    """(min, max) stars for `4` (exactly), `>=4` / `4+`, `>3`, `<=2`, `<2`, `2-4`, `0` / `unrated`."""
    m = _RATING_EXPR.match(text or "")
    if not m:
        raise RatingError(f"not a rating: {text!r} (use 4, >=4, 4+, <=2, 2-4 or unrated)")
    if m.group("unrated"):
        return None, 0
    if m.group("a") is not None:
        lo, hi = sorted((int(m.group("a")), int(m.group("b"))))
        return lo or None, hi
    n, op = int(m.group("n")), "+" if m.group("plus") else (m.group("op") or "=")
    lo, hi = {"=": (n, n), ">=": (n, None), "+": (n, None), ">": (n + 1, None), "<=": (None, n),
              "<": (None, n - 1)}[op]
    if (lo is not None and lo > 5) or (hi is not None and hi < 0):
        raise RatingError(f"no clip can have a rating {text.strip()}")
    return lo or None, hi if hi is None or hi < 5 else None


def describe_rating(lo: int | None, hi: int | None) -> str | None:
    """The `rating:` text for (min, max): the inverse of parse_rating (None: no condition)."""
    if not lo and hi is None:
        return None
    if hi == 0:
        return "unrated"
    if lo == hi or (lo == 5 and hi is None):
        return str(lo)
    if hi is None:
        return f">={lo}"
    return f"<={hi}" if not lo else f"{lo}-{hi}"
