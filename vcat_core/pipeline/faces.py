"""Faces in a frame: where they are and a 128-number description of each (who it is), from dlib's models.

* Detection: dlib's HOG frontal-face detector (built into dlib, no weights file) on the frame upsampled once, so faces
  from about 40 px high are found (on a 640-px-wide thumbnail: a face of ~11 % of a 16:9 frame's height). Its score
  is kept as the face's quality; a box scoring under MIN_SCORE or smaller than MIN_FACE_PX is dropped.
* Description: dlib's ResNet face-recognition model (`dlib_face_recognition_resnet_model_v1.dat`, 29 layers, 128-d,
  99.38 % on LFW) on the face aligned with the 5-point landmark model. Two faces of one person lie within ~0.6 of
  each other (Euclidean), faces of two people further apart (dlib's rule).
* Weights ship in the `face-recognition-models` package (CC0); nothing is downloaded. The package is located
  without importing it (its `__init__` needs `pkg_resources`, gone from new setuptools).

A pure function of pixels: `find_faces(rgb)` -> list of `Face`. Models load once per process.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

MODEL = "dlib-resnet-v1"  # stored with every face vector: vectors of another model are never compared
UPSAMPLE = 1
MIN_FACE_PX = 36
MIN_SCORE = 0.0
CHIP_SIZE = 150  # the aligned face crop the model reads; also the person's thumbnail


class FaceModelMissing(RuntimeError):
    """dlib or the face-recognition-models package is not installed."""


@dataclass
class Face:
    box: tuple[int, int, int, int]  # x, y, width, height in the frame's pixels
    score: float  # detector confidence (HOG margin); higher is clearer
    vector: list[float] = field(default_factory=list)  # 128 floats
    chip: np.ndarray | None = None  # aligned RGB face, CHIP_SIZE square


def models_dir() -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelMissing("face analysis needs the face-recognition-models package (pip install "
                               "face-recognition-models)")
    return os.path.join(list(spec.submodule_search_locations)[0], "models")


@lru_cache(maxsize=1)
def _models():
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - a dependency
        raise FaceModelMissing("face analysis needs dlib (pip install dlib-bin)") from exc
    base = models_dir()
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(os.path.join(base, "shape_predictor_5_face_landmarks.dat")),
            dlib.face_recognition_model_v1(os.path.join(base, "dlib_face_recognition_resnet_model_v1.dat")))


def detect(rgb: np.ndarray, upsample: int = UPSAMPLE) -> list[tuple[tuple[int, int, int, int], float]]:
    """Face boxes (x, y, w, h) with their detector score, largest first."""
    detector, _, _ = _models()
    img = np.ascontiguousarray(rgb[..., :3] if rgb.ndim == 3 else np.stack([rgb] * 3, -1), dtype=np.uint8)
    rects, scores, _ = detector.run(img, upsample, MIN_SCORE)
    h, w = img.shape[:2]
    out = []
    for r, s in zip(rects, scores):
        x0, y0, x1, y1 = max(0, r.left()), max(0, r.top()), min(w, r.right()), min(h, r.bottom())
        if min(x1 - x0, y1 - y0) >= MIN_FACE_PX:
            out.append(((x0, y0, x1 - x0, y1 - y0), float(s)))
    out.sort(key=lambda b: b[0][2] * b[0][3], reverse=True)
    return out


_DETECTED: dict[tuple[str, int], list] = {}  # per process: (image path, mtime) -> boxes, the last few frames
_DETECTED_KEEP = 64


def detect_file(path: str) -> tuple[np.ndarray, list[tuple[tuple[int, int, int, int], float]]]:
    """(RGB pixels, `detect`'s boxes) of an image file. The boxes are remembered for the last few files, so the
    vision stage (shot type on each shot's representative frame) and the faces stage (the same frames among
    others) detect once."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    key = (str(path), os.stat(path).st_mtime_ns)
    if key not in _DETECTED:
        if len(_DETECTED) >= _DETECTED_KEEP:
            _DETECTED.pop(next(iter(_DETECTED)))
        _DETECTED[key] = detect(rgb)
    return rgb, _DETECTED[key]


def find_faces(rgb: np.ndarray, *, boxes: list | None = None, with_chips: bool = True) -> list[Face]:
    """Every face dlib finds in an RGB frame (or the `boxes` `detect` gave for it), with its 128-d description and
    the aligned crop."""
    import dlib

    _, landmarks, describe = _models()
    img = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    faces = []
    for (x, y, w, h), score in (detect(img) if boxes is None else boxes):
        shape = landmarks(img, dlib.rectangle(x, y, x + w, y + h))
        vector = np.asarray(describe.compute_face_descriptor(img, shape), dtype=np.float32)
        chip = np.asarray(dlib.get_face_chip(img, shape, size=CHIP_SIZE)) if with_chips else None
        faces.append(Face(box=(x, y, w, h), score=round(score, 4), vector=[float(v) for v in vector], chip=chip))
    return faces
