"""Validation of an analysis result: an incomplete result is marked incomplete, never passed as complete.

``validate_analysis`` returns a copy with ``problems`` listed and ``complete`` set:

- *missing* (→ ``complete=False``): empty summary, no keywords, empty scene classification, a sentiment score that
  is not a finite number in -1..1, a technical-quality score outside 0..1, an entity with empty text;
- *out of the seed's ranges* (listed, but the result stays complete): a summary of fewer than 3 or more than 5
  sentences, fewer than 5 keywords. More than 10 keywords are cut to 10, duplicates (case-insensitive) dropped.

A result already marked incomplete (e.g. by its provider) stays incomplete.
"""

from __future__ import annotations

import math
import re

from .schema import Analysis

MISSING = "missing"
RANGE = "range"


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if len(s.strip()) > 1])


def check(analysis: Analysis) -> list[tuple[str, str]]:
    """(kind, message) for every problem found; kind is MISSING or RANGE."""
    out: list[tuple[str, str]] = []
    if not analysis.summary.strip():
        out.append((MISSING, "summary is empty"))
    else:
        n = _sentences(analysis.summary)
        if not 3 <= n <= 5:
            out.append((RANGE, f"summary has {n} sentence(s), the schema wants 3-5"))
    kws = [k for k in analysis.keywords if k.strip()]
    if not kws:
        out.append((MISSING, "no keywords"))
    elif len(kws) < 5:
        out.append((RANGE, f"{len(kws)} keyword(s), the schema wants 5-10"))
    if not analysis.scene_classification.strip():
        out.append((MISSING, "scene_classification is empty"))
    s = analysis.sentiment.score
    if s is None or not math.isfinite(s) or not -1.0 <= s <= 1.0:
        out.append((MISSING, f"sentiment score {s!r} is not in -1..1"))
    tq = analysis.technical_quality
    if tq.score is not None and (not math.isfinite(tq.score) or not 0.0 <= tq.score <= 1.0):
        out.append((MISSING, f"technical_quality score {tq.score!r} is not in 0..1"))
    if any(not e.text.strip() for e in analysis.entities):
        out.append((MISSING, "an entity has no text"))
    return out


def validate_analysis(analysis: Analysis) -> Analysis:
    seen: set[str] = set()
    keywords = []
    for k in analysis.keywords:
        k = k.strip()
        if k and k.lower() not in seen:
            seen.add(k.lower())
            keywords.append(k)
    cut = len(keywords) > 10
    fixed = analysis.model_copy(update={"keywords": keywords[:10]})
    found = check(fixed)
    problems = list(analysis.problems)
    if cut:
        problems.append("more than 10 keywords: kept the first 10")
    problems.extend(msg for _, msg in found if msg not in problems)
    complete = analysis.complete and not any(kind == MISSING for kind, _ in found)
    return fixed.model_copy(update={"problems": problems, "complete": complete})
