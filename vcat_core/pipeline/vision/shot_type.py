"""Shot type (framing): wide / medium / close-up / extreme close-up, from the size of the largest face.

The rule:

1. Faces are found by dlib's HOG detector (pipeline/faces.py, the people stage's: faces from ~36 px on the 640-px
   thumbnail, about 10 % of a 16:9 frame's height; it finds faces the cascade misses, e.g. a portrait at a tenth of
   the frame's height in tests/test_people.py) together with OpenCV's bundled Haar frontal-face cascade
   (``haarcascade_frontalface_default.xml``, shipped with opencv-python 4.x under ``cv2.data.haarcascades``) on the
   grey frame resized so its shorter side is 270 px; scale step 1.15, at least 6 neighbouring detections, smallest face 24 px, and a final-stage confidence (the
   cascade's level weight) of at least 3 -- drawn faces score 6-11 and a real talking head (the QCIF "carphone" test
   sequence) 5.4-8, while the false hits seen on busy synthetic frames (shapes, text, noise) scored 1.5-3.5. The
   cascade finds no face smaller than ~9 % of the frame height (24 / 270), and misses many a little larger.
2. The **largest** face is the subject. Its box height divided by the frame height, ``r``, decides (a Haar box
   spans roughly brows to chin, about two thirds of a head; a standing adult is about eight heads tall):

   ================  ==================  ==========================================================
   ``r``             shot type           framing it corresponds to
   ================  ==================  ==========================================================
   r >= 0.55         extreme_close_up    the face fills the frame (Haar rarely fires this close)
   0.25 <= r < 0.55  close_up            head and shoulders, up to a medium close-up (chest up)
   0.10 <= r < 0.25  medium              waist up (head about a quarter of the frame)
   r < 0.10          wide                a full figure or more (face under ~1/8 of the frame)
   ================  ==================  ==========================================================

   Because faces under ~9 % are not detected, ``wide`` comes from faces of 9-10 % of the height (4:3 frames: from
   ~7.5 %, dlib's 36 px of 480) only; a wider shot with smaller faces gives ``unknown``.
3. No face: ``unknown``. Framing cannot be told from a frame without a subject cue we trust: OpenCV's HOG
   people detector was tried and fires on shapes and text in busy frames, so it is not used, and a landscape gives
   no size reference. ``unknown`` is returned rather than a guess.

Either detector alone suffices: without dlib the cascade decides, without the cascade (opencv 5) dlib does.

``classify_face_ratio`` and ``shot_type_from_faces`` are the rule alone, for callers (and tests) that have face boxes
from elsewhere. If the cascade is missing (opencv-python 5.x dropped them) detection returns no faces.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from vcat_core.pipeline.vision.models import ShotType

EXTREME_CLOSE_UP = 0.55
CLOSE_UP = 0.25
MEDIUM = 0.10
FACE_ANALYSIS_SHORT_SIDE = 270
MIN_FACE_PX = 24
SCALE_FACTOR = 1.15
MIN_NEIGHBOURS = 6
MIN_WEIGHT = 3.0

_CASCADE: cv2.CascadeClassifier | None = None
_CASCADE_LOADED = False

Box = tuple[int, int, int, int]  # x, y, width, height


def classify_face_ratio(ratio: float | None) -> ShotType:
    """Shot type for a face box height / frame height `ratio` (the table in the module docstring); None -> unknown."""
    if ratio is None or not ratio > 0:
        return "unknown"
    if ratio >= EXTREME_CLOSE_UP:
        return "extreme_close_up"
    if ratio >= CLOSE_UP:
        return "close_up"
    if ratio >= MEDIUM:
        return "medium"
    return "wide"


def shot_type_from_faces(boxes: Sequence[Box], frame_height: int) -> tuple[ShotType, float | None]:
    """(shot type, largest face height / frame height) for face boxes in a frame `frame_height` px tall."""
    if not boxes or frame_height <= 0:
        return "unknown", None
    ratio = max(float(b[3]) for b in boxes) / float(frame_height)
    return classify_face_ratio(ratio), ratio


def _cascade() -> cv2.CascadeClassifier | None:
    global _CASCADE, _CASCADE_LOADED
    if not _CASCADE_LOADED:
        _CASCADE_LOADED = True
        base = getattr(getattr(cv2, "data", None), "haarcascades", None)
        path = os.path.join(base, "haarcascade_frontalface_default.xml") if base else None
        if path and os.path.exists(path) and hasattr(cv2, "CascadeClassifier"):
            c = cv2.CascadeClassifier(path)
            _CASCADE = None if c.empty() else c
    return _CASCADE


def detect_faces(luma: np.ndarray) -> list[Box]:
    """Frontal faces in a 2-D luma (any size; a 640-px analysis copy is as good as the full frame), as boxes in that
    luma's pixel coordinates, largest first."""
    cascade = _cascade()
    if cascade is None:
        return []
    lum = np.asarray(luma)
    if lum.dtype != np.uint8:
        lum = np.clip(lum, 0, 255).astype(np.uint8)
    h, w = lum.shape
    scale = min(1.0, FACE_ANALYSIS_SHORT_SIDE / float(min(h, w)))
    small = lum
    if scale < 1.0:
        small = cv2.resize(lum, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    if min(small.shape) < MIN_FACE_PX:
        return []
    found, _levels, weights = cascade.detectMultiScale3(
        small, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS, minSize=(MIN_FACE_PX, MIN_FACE_PX),
        outputRejectLevels=True,
    )
    weights = np.ravel(weights) if len(found) else np.zeros(0)
    boxes = [tuple(round(float(v) / scale) for v in b) for b, wt in zip(found, weights) if wt >= MIN_WEIGHT]
    boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
    return boxes  # type: ignore[return-value]


def merge_boxes(found: Sequence[Box], more: Sequence[Box]) -> list[Box]:
    """`found` plus the boxes of `more` whose centre lies in none of them (one face found twice counts once)."""
    out = list(found)
    for x, y, w, h in more:
        cx, cy = x + w / 2, y + h / 2
        if not any(fx <= cx <= fx + fw and fy <= cy <= fy + fh for fx, fy, fw, fh in out):
            out.append((x, y, w, h))
    return out


def shot_type(image: np.ndarray, faces: Sequence[Box] | None = None) -> tuple[ShotType, float | None, int]:
    """(shot type, largest face height / frame height or None, number of faces) of an RGB or luma frame;
    `faces`: boxes another detector found on it (dlib's, pipeline/faces.py), counted with the cascade's."""
    from vcat_core.pipeline.vision.sharpness import to_luma

    lum = to_luma(image)
    boxes = merge_boxes(list(faces or []), detect_faces(lum))
    kind, ratio = shot_type_from_faces(boxes, lum.shape[0])
    return kind, ratio, len(boxes)
