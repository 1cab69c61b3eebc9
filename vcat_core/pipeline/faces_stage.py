"""The faces stage of one clip: faces on frames the thumbnail stage already wrote (no extra decode), each with its
vector and an aligned crop saved under `<catalog>/faces/<fingerprint>/`. Which person a face is, is decided when the
clip is stored (store/people.py), against every person of the catalog.

Cost control: faces are looked for on the chosen thumbnails only (near-duplicates already dropped), best first,
one frame per FRAME_EVERY_SECONDS of footage and never more than MAX_FRAMES — about 0.1 s per frame to find faces
and 0.1 s per face to describe it, on one core (bench/faces.py prints the figures); the representative frames were
already searched by the vision stage (shot type) and are not searched again.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

from PIL import Image

from ..models import FaceSeen, FacesResult, ThumbnailsResult
from . import faces as face_model

FRAME_EVERY_SECONDS = 4.0
MAX_FRAMES = 20


def frames_for(thumbs: ThumbnailsResult, duration: float | None) -> list:
    """The thumbnails to look at: chosen ones (representatives of their shot first, then by rank), as many as the
    clip's length allows, in time order."""
    chosen = [t for t in thumbs.thumbnails if t.images and (t.ranking or {}).get("chosen")]
    if not chosen:  # no vision ranking (an older catalog): the evenly spread candidates
        chosen = [t for t in thumbs.thumbnails if t.images]
    chosen.sort(key=lambda t: (not (t.ranking or {}).get("representative"), (t.ranking or {}).get("rank", 0),
                               t.timestamp_seconds))
    budget = MAX_FRAMES if not duration else max(1, min(MAX_FRAMES, math.ceil(duration / FRAME_EVERY_SECONDS)))
    return sorted(chosen[:budget], key=lambda t: t.timestamp_seconds)


def run_faces(thumbs: ThumbnailsResult, catalog_dir: str, fingerprint: str,
              duration: float | None = None) -> FacesResult:
    rel_dir = f"faces/{fingerprint}"
    out_dir = Path(catalog_dir) / rel_dir
    shutil.rmtree(out_dir, ignore_errors=True)  # a re-run replaces the crops of the earlier one
    result = FacesResult(model=face_model.MODEL)
    detect_s = embed_s = 0.0
    for thumb in frames_for(thumbs, duration):
        image = thumb.images[-1]
        started = time.perf_counter()
        rgb, boxes = face_model.detect_file(str(Path(catalog_dir) / image.path))
        detect_s += time.perf_counter() - started
        result.frames += 1
        if not boxes:
            continue
        started = time.perf_counter()
        found = face_model.find_faces(rgb, boxes=boxes)
        embed_s += time.perf_counter() - started
        for n, face in enumerate(found):
            rel = None
            if face.chip is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                rel = f"{rel_dir}/{thumb.index:04d}_{n}.jpg"
                Image.fromarray(face.chip).save(Path(catalog_dir) / rel, quality=88)
            result.faces.append(FaceSeen(time_seconds=thumb.timestamp_seconds, frame_index=thumb.index,
                                         box=list(face.box), frame_width=image.width, frame_height=image.height,
                                         score=face.score, vector=face.vector, thumbnail_path=rel))
    result.detect_ms = round(detect_s * 1000 / max(1, result.frames), 2)
    result.embed_ms = round(embed_s * 1000 / max(1, len(result.faces)), 2)
    return result
