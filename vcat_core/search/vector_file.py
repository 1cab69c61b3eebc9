"""SQLite catalogs' vector search: one memory-mapped matrix file per model beside the catalog, scanned in chunks
(small catalogs) or through its IVF lists (past IVF_MIN_ROWS vectors).

Chosen by measurement (bench/catalog_scale.py, 1,000,000 × 384 on 2 cores): the in-process float32 matrix it
replaces held every vector plus every vector's text in Python objects (614 MB at 400k vectors, growing without
limit). Float16 in numpy has no BLAS kernel (2–3 s per query at 1M after conversion); usearch's HNSW index answered
in under 1 ms but took ~3 minutes per 200k vectors to build here with recall@10 of 0.6–0.67 on clustered synthetic
vectors; a float32 matrix mapped from a file and multiplied chunk by chunk answers exactly in ~60–190 ms at 1M and
keeps the process's own memory at one chunk: the pages belong to the kernel's page cache, which reclaims them.
Grouping that file's rows by k-means list (an IVF index over the same matrix) reads ~3 % of it per search: 4–25 ms
at 1M with recall@10 1.0 on the bench's clustered vectors, for a one-off ~40 s build.

Layout of `<catalog>/vectors/<model key>.vec`: a 40-byte header (magic, rows, dim, the `vector_log` sequence number
it reflects, lists), the IVF centroids (lists × dim float32; none below IVF_MIN_ROWS), the unit vectors (float32,
row by row, grouped by list), their embedding ids (int64), then where each list starts (lists + 1 int64). Past
IVF_MIN_ROWS vectors a search reads only the lists nearest the query (search/ivf.py: ~3 % of the file at 10⁶,
recall@10 measured by bench/catalog_scale.py); below it, every row. Every vector written or deleted later is in
`vector_log` (triggers, migration 0017); a search applies what came after the file's number: stale rows masked, new
vectors kept in memory (`delta`, scanned exactly) until there are MERGE_AT of them, then the file is rewritten (to a
new name, then renamed over: readers of the old file keep their mapping), new vectors filed under the existing
centroids. Texts and times are read from the catalog for the top hits only.
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

from . import ivf

MAGIC = b"VCATVEC2"
HEADER = struct.Struct("<8sqqqq")  # magic, rows, dim, the vector log sequence number it reflects, IVF lists
CHUNK = 65_536  # rows multiplied at a time: ~100 MB of float32 at 384 dims
MERGE_AT = 50_000  # new vectors held in memory before the file is rewritten
READ_BATCH = 20_000
IVF_MIN_ROWS = 200_000  # below this an exact scan takes < 40 ms: no index
RETRAIN_GROWTH = 4  # centroids are trained again once the file holds this many times the rows they were made for


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
    centroids: np.ndarray | None = None  # IVF lists (None: scanned whole)
    offsets: np.ndarray | None = None  # row where each list starts (lists + 1)

    def load(self, found: "_File") -> None:
        self.ids, self.matrix, self.seq = found.ids, found.matrix, found.seq
        self.centroids, self.offsets = found.centroids, found.offsets
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


@dataclass
class _File:
    ids: np.ndarray
    matrix: np.ndarray  # memory-mapped
    seq: int
    centroids: np.ndarray | None
    offsets: np.ndarray | None


def _read_file(path: Path) -> _File | None:
    """A vector file's contents (the matrix memory-mapped); None when missing or not ours."""
    try:
        with open(path, "rb") as fh:
            magic, rows, dim, seq, lists = HEADER.unpack(fh.read(HEADER.size))
        size = path.stat().st_size
    except (OSError, struct.error):
        return None
    if magic != MAGIC or rows < 0 or dim <= 0 or lists < 0 or \
            size != HEADER.size + lists * dim * 4 + rows * dim * 4 + rows * 8 + (lists + 1 if lists else 0) * 8:
        return None  # not ours, or cut short: rebuilt from the catalog
    at = HEADER.size + lists * dim * 4
    centroids = np.fromfile(path, np.float32, lists * dim, offset=HEADER.size).reshape(lists, dim) if lists else None
    ids = np.fromfile(path, dtype=np.int64, count=rows, offset=at + rows * dim * 4)
    offsets = np.fromfile(path, np.int64, lists + 1, offset=at + rows * dim * 4 + rows * 8) if lists else None
    matrix = np.memmap(path, dtype=np.float32, mode="r", offset=at, shape=(rows, dim)) \
        if rows else np.zeros((0, dim), np.float32)
    return _File(ids, matrix, seq, centroids, offsets)


def _write_file(path: Path, seq: int, parts, centroids: np.ndarray | None = None) -> None:
    """Write (ids, unit vectors[, list of each row]) chunks from `parts` (streamed: memory stays at one chunk plus
    8 bytes a row; with `centroids`, rows come list by list) as a new vector file, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    lists = 0 if centroids is None else len(centroids)
    counts = np.zeros(lists, np.int64)
    all_ids: list[np.ndarray] = []
    dim = 0 if centroids is None else centroids.shape[1]
    try:
        with open(tmp, "wb") as out:
            out.write(HEADER.pack(MAGIC, 0, 0, seq, 0))
            if lists:
                out.write(np.ascontiguousarray(centroids, np.float32).tobytes())
            for ids, vectors, *labels in parts:
                if len(ids) == 0:
                    continue
                dim = dim or vectors.shape[1]
                out.write(np.ascontiguousarray(vectors, np.float32).tobytes())
                all_ids.append(np.asarray(ids, np.int64))
                if lists:
                    counts += np.bincount(labels[0], minlength=lists)
            ids = np.concatenate(all_ids) if all_ids else np.zeros(0, np.int64)
            out.write(ids.tobytes())
            if lists:
                out.write(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64).tobytes())
            out.seek(0)
            out.write(HEADER.pack(MAGIC, len(ids), max(dim, 1), seq, lists))
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def _write_indexed(path: Path, flat: _File) -> None:
    """Rewrite a flat file's rows grouped by IVF list (centroids trained on it) at `path`."""
    rows = len(flat.ids)
    centroids = ivf.train(flat.matrix, ivf.list_count(rows))
    labels = ivf.assign(flat.matrix, centroids)
    order = np.argsort(labels, kind="stable")

    def parts():
        for i in range(0, rows, CHUNK):
            pick = order[i:i + CHUNK]
            yield flat.ids[pick], np.asarray(flat.matrix[np.sort(pick)])[np.argsort(np.argsort(pick))], labels[pick]

    _write_file(path, flat.seq, parts(), centroids)


def _settle(flat_path: Path, path: Path) -> _File | None:
    """A freshly written flat file becomes the model's file: indexed when large enough, else renamed as it is."""
    flat = _read_file(flat_path)
    if flat is not None and len(flat.ids) >= IVF_MIN_ROWS:
        _write_indexed(path, flat)
        del flat
        flat_path.unlink()
    else:
        os.replace(flat_path, path)
    return _read_file(path)


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
                    flat = st.path.with_name(st.path.name + ".flat")
                    _write_file(flat, seq, _rows(conn, model))
                    found = _settle(flat, st.path)
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
    """Rewrite the file with its live rows and the new ones (memory: one chunk at a time). An indexed file keeps
    its centroids (new rows filed under them) until it has grown RETRAIN_GROWTH times; a flat one that has grown
    past IVF_MIN_ROWS is indexed."""
    new_ids = np.fromiter(st.delta, np.int64, len(st.delta))
    new_rows = np.stack(list(st.delta.values())) if st.delta else np.zeros((0, st.dim), np.float32)
    rows = int(st.alive.sum()) + len(new_ids)
    if st.centroids is not None and rows < RETRAIN_GROWTH * len(st.centroids) ** 2:  # ~√rows lists were trained
        labels = ivf.assign(new_rows, st.centroids)

        def listed():
            for j in range(len(st.centroids)):
                lo, hi = int(st.offsets[j]), int(st.offsets[j + 1])
                keep = st.alive[lo:hi]
                mine = labels == j
                yield np.concatenate([st.ids[lo:hi][keep], new_ids[mine]]), \
                    np.concatenate([np.asarray(st.matrix[lo:hi])[keep], new_rows[mine]]), \
                    np.full(int(keep.sum() + mine.sum()), j, np.int32)

        _write_file(st.path, st.seq, listed(), st.centroids)
        found = _read_file(st.path)
    else:
        def parts():
            for i in range(0, len(st.ids), CHUNK):
                keep = st.alive[i:i + CHUNK]
                yield st.ids[i:i + CHUNK][keep], np.asarray(st.matrix[i:i + CHUNK])[keep]
            yield new_ids, new_rows

        flat = st.path.with_name(st.path.name + ".flat")
        _write_file(flat, st.seq, parts())
        found = _settle(flat, st.path)
    if found is not None:
        st.load(found)


_blas = None


def _one_blas_thread():
    """A search's products run on one BLAS thread: they are small (a list at a time), and OpenBLAS's threads wait
    for each other by spinning, which on a busy machine turned a 4 ms search into 20-800 ms (measured at 10⁶
    vectors on 2 shared cores)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


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
        with _one_blas_thread():
            if st.matrix is not None and len(st.ids):
                for lo, hi in _ranges(st, vector):
                    sims = np.asarray(st.matrix[lo:hi]) @ vector
                    sims[~st.alive[lo:hi]] = -np.inf
                    scored.append(_top(sims, st.ids[lo:hi], limit))
            if st.delta:
                ids = np.fromiter(st.delta, np.int64, len(st.delta))
                scored.append(_top(np.stack(list(st.delta.values())) @ vector, ids, limit))
    if not scored:
        return []
    sims = np.concatenate([s for s, _ in scored])
    ids = np.concatenate([i for _, i in scored])
    sims, ids = _top(sims, ids, limit)
    return [(int(i), float(s)) for s, i in zip(sims, ids) if np.isfinite(s)]


def _ranges(st: _State, vector: np.ndarray):
    """The row ranges a search reads: the nearest lists of an indexed file, else every row, CHUNK at a time."""
    if st.centroids is None:
        return [(i, min(i + CHUNK, len(st.ids))) for i in range(0, len(st.ids), CHUNK)]
    lists = ivf.nearest_lists(st.centroids, vector, ivf.probe_count(len(st.centroids)))
    return [(int(st.offsets[j]), int(st.offsets[j + 1])) for j in lists if st.offsets[j + 1] > st.offsets[j]]


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
