"""SQLite catalogs' vector search: one memory-mapped matrix file per model beside the catalog, scanned in chunks.

Chosen by measurement (bench/catalog_scale.py, 1,000,000 × 384 on 2 cores): the in-process float32 matrix it
replaces held every vector plus every vector's text in Python objects (614 MB at 400k vectors, growing without
limit). Float16 in numpy has no BLAS kernel (2–3 s per query at 1M after conversion); usearch's HNSW index answered
in under 1 ms but took ~3 minutes per 200k vectors to build here with recall@10 of 0.6–0.67 on clustered synthetic
vectors; a float32 matrix mapped from a file and multiplied chunk by chunk answers exactly in ~60–190 ms at 1M and
keeps the process's own memory at one chunk: the pages belong to the kernel's page cache, which reclaims them.

Layout of `<catalog>/vectors/<model key>.vec`: a 32-byte header (magic, rows, dim, the `vector_log` sequence number
it reflects), the unit vectors (float32, row by row), then their embedding ids (int64). Every vector written or
deleted later is in `vector_log` (triggers, migration 0017); a search applies what came after the file's number:
stale rows masked, new vectors kept in memory (`delta`) until there are MERGE_AT of them, then the file is rewritten
(to a new name, then renamed over: readers of the old file keep their mapping). Texts and times are read from the
catalog for the top hits only.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import text

MAGIC = b"VCATVEC1"
HEADER = struct.Struct("<8sqqq")  # magic, rows, dim, the vector log sequence number it reflects
CHUNK = 65_536  # rows multiplied at a time: ~100 MB of float32 at 384 dims
MERGE_AT = 50_000  # new vectors held in memory before the file is rewritten
READ_BATCH = 20_000


@dataclass
class _State:
    path: Path | None
    version: int = -1  # the catalog's vector counter when last brought up to date
    seq: int = 0  # the vector log's sequence number the state reflects
    dim: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    matrix: np.ndarray | None = None  # memory-mapped (rows × dim), rows in the order of `ids`
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    by_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # row positions sorted by id
    sorted_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    delta: dict[int, np.ndarray] = field(default_factory=dict)  # written since the file: id → unit vector

    def load(self, found: tuple[np.ndarray, np.ndarray, int]) -> None:
        self.ids, self.matrix, self.seq = found
        self.dim = self.matrix.shape[1]
        self.alive = np.ones(len(self.ids), bool)
        self.by_id = np.argsort(self.ids, kind="stable")
        self.sorted_ids = self.ids[self.by_id]
        self.delta = {}

    def mask(self, ids: np.ndarray) -> None:
        """The file's rows of these embedding ids are stale (deleted, or their id now holds another vector)."""
        if not len(self.ids) or not len(ids):
            return
        pos = np.searchsorted(self.sorted_ids, ids)
        found = pos < len(self.sorted_ids)
        pos, ids = pos[found], ids[found]
        self.alive[self.by_id[pos[self.sorted_ids[pos] == ids]]] = False


_states: dict[tuple[str, str], _State] = {}
_lock = threading.Lock()


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def vector_dir(engine) -> Path | None:
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        return None
    return Path(db).resolve().parent / "vectors"


def _file_for(engine, model: str) -> Path | None:
    folder = vector_dir(engine)
    if folder is None:
        return None
    return folder / (hashlib.sha1(model.encode()).hexdigest()[:16] + ".vec")


def _read_file(path: Path) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(ids, memory-mapped matrix, log sequence number) of a vector file; None when missing or not ours."""
    try:
        with open(path, "rb") as fh:
            magic, rows, dim, seq = HEADER.unpack(fh.read(HEADER.size))
        size = path.stat().st_size
    except (OSError, struct.error):
        return None
    if magic != MAGIC or rows < 0 or dim <= 0 or size != HEADER.size + rows * dim * 4 + rows * 8:
        return None  # not ours, or cut short: rebuilt from the catalog
    ids = np.fromfile(path, dtype=np.int64, count=rows, offset=HEADER.size + rows * dim * 4)
    matrix = np.memmap(path, dtype=np.float32, mode="r", offset=HEADER.size, shape=(rows, dim)) \
        if rows else np.zeros((0, dim), np.float32)
    return ids, matrix, seq


def _write_file(path: Path, seq: int, parts) -> None:
    """Write (ids, unit vectors) chunks from `parts` (streamed: memory stays at one chunk plus 8 bytes a row) as a
    new vector file — header, vectors, ids — then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    all_ids: list[np.ndarray] = []
    dim = 0
    try:
        with open(tmp, "wb") as out:
            out.write(HEADER.pack(MAGIC, 0, 0, seq))
            for ids, vectors in parts:
                if len(ids) == 0:
                    continue
                dim = dim or vectors.shape[1]
                out.write(np.ascontiguousarray(vectors, np.float32).tobytes())
                all_ids.append(np.asarray(ids, np.int64))
            ids = np.concatenate(all_ids) if all_ids else np.zeros(0, np.int64)
            out.write(ids.tobytes())
            out.seek(0)
            out.write(HEADER.pack(MAGIC, len(ids), max(dim, 1), seq))
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def _rows(conn, model: str):
    """(ids, unit vectors) of one model in id order, READ_BATCH at a time."""
    last = 0
    while True:
        got = conn.execute(text("SELECT id, vector FROM embeddings WHERE model = :m AND id > :last ORDER BY id "
                                "LIMIT :n"), {"m": model, "last": last, "n": READ_BATCH}).all()
        if not got:
            return
        ids = np.fromiter((r[0] for r in got), np.int64, len(got))
        yield ids, _unit(np.stack([np.frombuffer(r[1], dtype=np.float32) for r in got]))
        last = int(ids[-1])


def _refresh(engine, model: str, version: int, st: _State) -> None:
    """Bring the state up to the catalog: load (or build) the file, then apply the vector log written after it."""
    with engine.connect() as conn:
        if st.matrix is None:
            found = _read_file(st.path) if st.path is not None else None
            if found is None:  # first search of this catalog (or a damaged file): build it, streaming
                seq = conn.execute(text("SELECT coalesce(max(seq), 0) FROM vector_log")).scalar()
                if st.path is not None:
                    _write_file(st.path, seq, _rows(conn, model))
                    found = _read_file(st.path)
                if found is None:  # nowhere to write (in-memory catalog): the same rows, kept in memory
                    st.seq = seq
                    st.delta = {int(i): v for ids, vs in _rows(conn, model) for i, v in zip(ids, vs)}
            if found is not None:
                st.load(found)
        log = conn.execute(text("SELECT seq, embedding_id, deleted FROM vector_log WHERE model = :m AND seq > :s "
                                "ORDER BY seq"), {"m": model, "s": st.seq}).all()
        if log:
            touched = np.fromiter({r[1] for r in log}, np.int64)
            st.mask(touched)  # a touched id's old vector is stale whatever happened to it
            for chunk in range(0, len(touched), 500):
                ids = [int(i) for i in touched[chunk:chunk + 500]]
                for i in ids:
                    st.delta.pop(i, None)
                got = conn.execute(text(f"SELECT id, vector FROM embeddings WHERE model = :m AND id IN "
                                        f"({','.join(map(str, ids))})"), {"m": model}).all()
                for i, blob in got:
                    v = np.frombuffer(blob, dtype=np.float32)
                    if st.dim and len(v) != st.dim:
                        continue  # another dimension under the same model name: never compared
                    st.dim = len(v)
                    st.delta[int(i)] = _unit(v[None, :])[0]
            st.seq = int(log[-1][0])
        if st.path is not None and (len(st.delta) >= MERGE_AT or (~st.alive).sum() > max(len(st.ids) // 5,
                                                                                         MERGE_AT)):
            _merge(st)
    st.version = version


def _merge(st: _State) -> None:
    """Rewrite the file with its live rows and the new ones (memory: one chunk at a time)."""
    def parts():
        for i in range(0, len(st.ids), CHUNK):
            keep = st.alive[i:i + CHUNK]
            yield st.ids[i:i + CHUNK][keep], np.asarray(st.matrix[i:i + CHUNK])[keep]
        if st.delta:
            yield np.fromiter(st.delta, np.int64, len(st.delta)), np.stack(list(st.delta.values()))

    _write_file(st.path, st.seq, parts())
    found = _read_file(st.path)
    if found is not None:
        st.load(found)


def nearest(store, vector: np.ndarray, model: str, limit: int) -> list[tuple[int, float]]:
    """(embedding id, cosine similarity) of the `limit` nearest vectors of `model`, best first; `vector` is unit."""
    key = (store.url, model)
    version = store.vector_counter()  # tags, moves, new clips without vectors: nothing to re-read
    with _lock:
        st = _states.get(key)
        if st is None:
            st = _states[key] = _State(path=_file_for(store.engine, model))
        if st.version != version:
            _refresh(store.engine, model, version, st)
        if st.dim and st.dim != vector.shape[0]:
            return []
        scored: list[tuple[np.ndarray, np.ndarray]] = []
        if st.matrix is not None and len(st.ids):
            buf = np.empty((min(CHUNK, len(st.ids)), st.dim), np.float32)
            for i in range(0, len(st.ids), CHUNK):
                block = buf[:min(CHUNK, len(st.ids) - i)]
                block[...] = st.matrix[i:i + len(block)]
                sims = block @ vector
                sims[~st.alive[i:i + len(block)]] = -np.inf
                scored.append(_top(sims, st.ids[i:i + len(block)], limit))
        if st.delta:
            ids = np.fromiter(st.delta, np.int64, len(st.delta))
            scored.append(_top(np.stack(list(st.delta.values())) @ vector, ids, limit))
    if not scored:
        return []
    sims = np.concatenate([s for s, _ in scored])
    ids = np.concatenate([i for _, i in scored])
    sims, ids = _top(sims, ids, limit)
    return [(int(i), float(s)) for s, i in zip(sims, ids) if np.isfinite(s)]


def _top(sims: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if len(sims) > k:
        part = np.argpartition(-sims, k)[:k]
        sims, ids = sims[part], ids[part]
    order = np.argsort(-sims, kind="stable")
    return sims[order], ids[order]


def forget(store) -> None:
    """Drop this process's state of a catalog (tests, `reembed`): the next search reads the file again."""
    with _lock:
        for key in [k for k in _states if k[0] == store.url]:
            del _states[key]
