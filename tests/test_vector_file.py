"""SQLite vector search from the memory-mapped file beside the catalog: exact answers, kept in step with the
catalog (added, replaced and deleted vectors; models apart), rebuilt when damaged, memory at one chunk."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import insert

from vcat_core.search import vector_file
from vcat_core.store.catalog import CatalogStore
from vcat_core.store.tables import Clip, EmbeddingRow, utcnow

DIM = 32


@pytest.fixture()
def store(tmp_path):
    s = CatalogStore.open_dir(tmp_path / "catalog")
    yield s
    vector_file.forget(s)
    s.close()


def add_vectors(store, vectors: np.ndarray, model: str = "m", first_clip: int = 1) -> None:
    """Clips and one vector each, written as the catalog writes them (and the vector counter moved)."""
    n = len(vectors)
    with store.writer.begin() as conn:
        conn.execute(insert(Clip.__table__), [
            {"id": first_clip + i, "fingerprint": f"{model}{first_clip + i:030x}", "hash_algorithm": "xxh3_128",
             "size": 1, "name": f"c{first_clip + i}", "status": "ready", "first_seen_at": utcnow()}
            for i in range(n)])
        conn.execute(insert(EmbeddingRow.__table__), [
            {"clip_id": first_clip + i, "kind": "clip", "ref": 0, "text": f"clip {first_clip + i}", "model": model,
             "dim": vectors.shape[1], "vector": vectors[i]} for i in range(n)])
        conn.exec_driver_sql("UPDATE catalog_state SET vector_changes = vector_changes + 1")


def exact(vectors: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return list(np.argsort(-(unit @ q), kind="stable")[:k])


def top_clips(store, q, k=10, model="m") -> list[int]:
    hits = vector_file.nearest(store, q / np.linalg.norm(q), model, k)
    ids = [eid for eid, _ in hits]
    with store.engine.connect() as conn:
        by_id = dict(conn.exec_driver_sql(f"SELECT id, clip_id FROM embeddings WHERE id IN ({','.join(map(str, ids))})")
                     .all())
    return [by_id[i] for i in ids]


def test_answers_are_exact_and_the_file_survives_reopening(store, monkeypatch):
    monkeypatch.setattr(vector_file, "CHUNK", 1000)  # several chunks
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((5000, DIM)).astype(np.float32)
    add_vectors(store, vectors)
    for q in rng.standard_normal((20, DIM)).astype(np.float32):
        q /= np.linalg.norm(q)
        assert top_clips(store, q) == [i + 1 for i in exact(vectors, q, 10)]
    files = list(vector_file.vector_dir(store.engine).glob("*.vec"))
    assert len(files) == 1 and files[0].stat().st_size > 5000 * DIM * 4
    vector_file.forget(store)  # another process: reads the file, does not rebuild it
    mtime = files[0].stat().st_mtime_ns
    q = vectors[123] / np.linalg.norm(vectors[123])
    assert top_clips(store, q, 1) == [124]
    assert files[0].stat().st_mtime_ns == mtime


def test_follows_new_replaced_and_deleted_vectors(store, monkeypatch):
    monkeypatch.setattr(vector_file, "MERGE_AT", 300)
    rng = np.random.default_rng(3)
    first = rng.standard_normal((1000, DIM)).astype(np.float32)
    add_vectors(store, first)
    q = first[10] / np.linalg.norm(first[10])
    assert top_clips(store, q, 1) == [11]
    more = rng.standard_normal((700, DIM)).astype(np.float32)  # past MERGE_AT: the file is rewritten
    add_vectors(store, more, first_clip=1001)
    q2 = more[500] / np.linalg.norm(more[500])
    assert top_clips(store, q2, 1) == [1501]
    # a re-analysis replaces clip 11's vector: the old one is never returned again
    store.replace_embeddings(11, [{"kind": "clip", "ref": 0, "start_seconds": None, "end_seconds": None,
                                   "text": "new", "model": "m", "dim": DIM, "vector": list(-first[10])}])
    assert 11 not in top_clips(store, q, 5)
    assert top_clips(store, -q, 1) == [11]
    with store.writer.begin() as conn:  # clips deleted (a third of the file): masked, then the file is rewritten
        conn.exec_driver_sql("DELETE FROM embeddings WHERE clip_id <= 600")
        conn.exec_driver_sql("UPDATE catalog_state SET vector_changes = vector_changes + 1")
    every = np.vstack([first, more])
    q3 = every[700] / np.linalg.norm(every[700])
    got = top_clips(store, q3, 10)
    assert all(c > 600 for c in got) and got[0] == 701


def test_models_and_dimensions_never_mix(store):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((200, DIM)).astype(np.float32)
    b = rng.standard_normal((200, 16)).astype(np.float32)
    add_vectors(store, a, model="m")
    add_vectors(store, b, model="other", first_clip=1001)
    q = a[5] / np.linalg.norm(a[5])
    assert all(c <= 200 for c in top_clips(store, q, 20, model="m"))
    assert vector_file.nearest(store, q, "other", 5) == []  # another dimension: nothing, not an error
    qb = b[7] / np.linalg.norm(b[7])
    assert top_clips(store, qb, 1, model="other") == [1008]


def test_a_damaged_file_is_rebuilt_from_the_catalog(store):
    rng = np.random.default_rng(9)
    vectors = rng.standard_normal((300, DIM)).astype(np.float32)
    add_vectors(store, vectors)
    q = vectors[42] / np.linalg.norm(vectors[42])
    assert top_clips(store, q, 1) == [43]
    path = next(vector_file.vector_dir(store.engine).glob("*.vec"))
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)  # cut short, as by a crash elsewhere
    vector_file.forget(store)
    assert top_clips(store, q, 1) == [43]
    assert vector_file._read_file(path) is not None


def clustered(rng, n: int, subjects: int = 60) -> np.ndarray:
    """Vectors around `subjects` centres, as text embeddings cluster (an index has neighbours to find)."""
    centres = rng.standard_normal((subjects, DIM)).astype(np.float32)
    return centres[rng.integers(0, subjects, n)] + 0.3 * rng.standard_normal((n, DIM)).astype(np.float32)


def lists_in_file(store) -> int:
    path = next(vector_file.vector_dir(store.engine).glob("*.vec"))
    return len(vector_file._read_file(path).centroids)


def test_a_large_file_is_indexed_and_reads_only_the_nearest_lists(store, monkeypatch):
    monkeypatch.setattr(vector_file, "IVF_MIN_ROWS", 3000)
    rng = np.random.default_rng(11)
    vectors = clustered(rng, 6000)
    add_vectors(store, vectors)
    queries = clustered(np.random.default_rng(11), 6000)[:40] + 0.05 * rng.standard_normal((40, DIM))
    recall = []
    for q in queries.astype(np.float32):
        q /= np.linalg.norm(q)
        want = {i + 1 for i in exact(vectors, q, 10)}
        recall.append(len(want & set(top_clips(store, q, 10))) / 10)
    assert np.mean(recall) >= 0.9, np.mean(recall)
    assert lists_in_file(store) == vector_file.ivf.list_count(6000)
    st = next(iter(vector_file._states.values()))
    read = sum(hi - lo for lo, hi in vector_file._ranges(st, queries[0] / np.linalg.norm(queries[0])))
    assert read < 6000 / 3  # a fraction of the rows, not all of them


def test_an_indexed_file_follows_the_catalog_and_is_retrained_as_it_grows(store, monkeypatch):
    monkeypatch.setattr(vector_file, "IVF_MIN_ROWS", 1000)
    monkeypatch.setattr(vector_file, "MERGE_AT", 400)
    rng = np.random.default_rng(13)
    first = clustered(rng, 1200)
    add_vectors(store, first)
    q = first[10] / np.linalg.norm(first[10])
    assert top_clips(store, q, 1) == [11]
    lists = lists_in_file(store)
    more = clustered(rng, 500)  # past MERGE_AT: filed under the existing centroids
    add_vectors(store, more, first_clip=1201)
    q2 = more[100] / np.linalg.norm(more[100])
    assert top_clips(store, q2, 1) == [1301]
    assert lists_in_file(store) == lists
    store.replace_embeddings(11, [{"kind": "clip", "ref": 0, "start_seconds": None, "end_seconds": None,
                                   "text": "new", "model": "m", "dim": DIM, "vector": list(-first[10])}])
    assert 11 not in top_clips(store, q, 5)
    assert top_clips(store, -q, 1) == [11]
    grown = clustered(rng, 4 * lists ** 2)  # RETRAIN_GROWTH times the rows its lists were made for
    add_vectors(store, grown, first_clip=2001)
    q3 = grown[-1] / np.linalg.norm(grown[-1])
    assert top_clips(store, q3, 1) == [2000 + len(grown)]
    assert lists_in_file(store) == vector_file.ivf.list_count(1700 + len(grown))
