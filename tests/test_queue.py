"""Distributed ingest through Procrastinate on a real Postgres: queue, work, status, cancel, retry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import media
from .helpers import run_cli


@pytest.fixture()
def pg(postgres_url: str, tmp_path: Path):
    cat = tmp_path / "catalog"

    def cli(*args: str):
        return run_cli(cat, "--database-url", postgres_url, *args, VCAT_ANALYSIS_DEPTH="standard")
    assert cli("schema", "apply").code == 0
    return cli


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("queued")
    media.make_apple(src)
    media.make_mpeg2_ts(src)
    media.make_vp9(src)
    (src / "dup").mkdir()
    shutil.copy2(src / "iphone.mov", src / "dup" / "iphone again.mov")
    media.make_text(src / "notes.mp4")
    return src


def test_queue_then_work(pg, footage: Path):
    r = pg("ingest", str(footage), "--queue", "--thumbnails", "2", "--json")
    assert r.code == 0, r.stderr
    queued = r.json()
    assert len(queued["queued"]) == 5 and queued["already_queued"] == 0
    again = pg("ingest", str(footage), "--queue", "--json").json()
    assert again["already_queued"] == 5 and not again["queued"]  # a file is never queued twice
    status = {q["queue"]: q for q in pg("queue", "status", "--json").json()}
    assert status["ingest"]["todo"] == 5 and status["processing"]["jobs"] == 0
    assert pg("list", "--json").json() == []  # nothing ran here

    w = pg("worker", "--concurrency", "2", "--until-empty")  # every queue
    assert w.code == 0, w.stderr[-3000:]
    status = {q["queue"]: q for q in pg("queue", "status", "--json").json()}
    assert status["ingest"]["succeeded"] == 5 and status["ingest"]["todo"] == 0
    assert status["processing"]["succeeded"] >= 3 and status["processing"]["failed"] == 0, w.stderr[-4000:]

    docs = pg("export").json()
    assert len(docs) == 3 and {"mpeg2.ts", "vp9.webm"} <= {d["file_name"] for d in docs}
    apple = next(d for d in docs if d["file_name"].startswith("iphone"))  # whichever copy a worker saw first
    assert len(apple["locations"]) == 2 and apple["thumbnail_paths"] and apple["status"] == "ready"
    assert apple["technical_metadata"]["camera_model"] == "iPhone 15 Pro"
    fails = pg("failures", "--json").json()
    assert [Path(f["path"]).name for f in fails] == ["notes.mp4"] and "not a video" in fails[0]["error"]

    jobs = pg("queue", "file-status", str(footage / "mpeg2.ts"), "--json").json()
    assert [(j["task"], j["status"]) for j in jobs] == [("vcat.ingest_file", "succeeded"),
                                                        ("vcat.process_clip", "succeeded"),
                                                        ("vcat.analyze_clip", "succeeded")]  # transcribe: `ai`
    rerun = pg("ingest", str(footage), "--queue", "--json").json()
    assert [Path(q["path"]).name for q in rerun["queued"]] == ["notes.mp4"]  # failures are tried again
    assert rerun["known"] == 4


def test_cancel_and_retry(pg, footage: Path):
    r = pg("ingest", str(footage / "vp9.webm"), "--queue", "--json").json()
    job_id = r["queued"][0]["job_id"]
    assert pg("queue", "cancel", "--task-id", str(job_id)).code == 0
    assert pg("queue", "file-status", str(footage / "vp9.webm"), "--json").json()[0]["status"] == "cancelled"
    again = pg("queue", "retry", "--task-id", str(job_id))
    assert again.code == 0, again.stderr
    jobs = pg("queue", "file-status", str(footage / "vp9.webm"), "--json").json()
    assert [j["status"] for j in jobs] == ["cancelled", "todo"]
    todo_id = jobs[1]["id"]
    bad = pg("queue", "retry", "--task-id", str(todo_id))
    assert bad.code == 1 and "only failed or cancelled" in bad.stderr
    assert pg("queue", "cancel", "--task-id", "999999").code == 1
    newest = pg("queue", "jobs", "--limit", "1", "--json").json()
    assert [j["id"] for j in newest] == [todo_id]
    assert [j["id"] for j in pg("queue", "jobs", "--status", "cancelled", "--json").json()] == [job_id]
    bad = pg("queue", "jobs", "--status", "running")
    assert bad.code == 2 and "unknown job status 'running'" in bad.stderr
    checks = pg("queue", "healthchecks", "--json")
    assert checks.code == 0 and all(c["ok"] for c in checks.json())
    system = pg("system", "status", "--json").json()
    assert system["queue"]["ingest"]["todo"] == 1 and system["remote_storage"]["configured"] is False
    assert "job queue" in pg("system", "status").stdout
    health = pg("system", "healthchecks", "--json").json()
    assert {"queue schema applied", "no stalled jobs", "catalog schema is current"} <= {c["name"] for c in health}


def test_queue_needs_postgres(tmp_path: Path, footage: Path):
    r = run_cli(tmp_path / "cat", "ingest", str(footage), "--queue")
    assert r.code == 2 and "needs a Postgres catalog" in r.stderr


def test_worker_killed_mid_job(postgres_url: str, tmp_path: Path):
    """Two worker processes; one is SIGKILLed while it transcribes a clip. The other takes the stalled job over once
    the dead worker's heartbeat is old, and the catalog ends with every clip exactly once."""
    import os
    import signal
    import subprocess
    import time

    import psycopg

    from .helpers import VCAT_CORE, cli_env

    src = tmp_path / "footage"
    src.mkdir()
    media.make_vp9(src)
    media.make_mpeg2_ts(src)
    media.make_apple(src)
    cat = tmp_path / "catalog"

    def cli(*args: str):
        return run_cli(cat, "--database-url", postgres_url, *args, VCAT_ANALYSIS_DEPTH="standard")

    assert cli("schema", "apply").code == 0
    assert cli("ingest", str(src), "--queue", "--thumbnails", "2").code == 0
    env = cli_env(cat, VCAT_ANALYSIS_DEPTH="standard")
    worker = [VCAT_CORE, "--database-url", postgres_url, "worker", "--stalled-after", "3"]

    logs = []

    def start():
        logs.append(open(tmp_path / f"worker{len(logs)}.log", "w+"))  # a file: a full pipe would stall it
        return subprocess.Popen(worker, env=env, stdin=subprocess.DEVNULL, stdout=logs[-1], stderr=logs[-1])

    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    doomed, survivor = start(), None
    killed_job = None
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            def left() -> int:
                return conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                                    ).fetchone()[0]

            deadline = time.monotonic() + 120
            while killed_job is None and time.monotonic() < deadline:  # wait until it is transcribing a clip
                row = conn.execute("SELECT id FROM procrastinate_jobs WHERE queue_name = 'ai' AND status = 'doing'"
                                   ).fetchone()
                killed_job = row[0] if row else None
                time.sleep(0.05)
            assert killed_job is not None, "the first worker never started an ai job"
            survivor = start()  # two workers now; the first dies mid-job
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait()
            deadline = time.monotonic() + 240
            while left() and time.monotonic() < deadline and survivor.poll() is None:
                time.sleep(0.5)
            assert left() == 0, "the surviving worker did not finish the queue"
        survivor.send_signal(signal.SIGINT)  # a graceful stop
        assert survivor.wait(timeout=60) in (0, 130), (tmp_path / "worker1.log").read_text()[-3000:]
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    job = cli("queue", "jobs", "--queue", "ai", "--json").json()
    rescued = next(j for j in job if j["id"] == killed_job)
    assert rescued["status"] == "succeeded" and rescued["attempts"] == 2  # the same job: killed once, then run
    status = {q["queue"]: q for q in cli("queue", "status", "--json").json()}
    assert all(status[q]["failed"] == 0 and status[q]["doing"] == 0 and status[q]["todo"] == 0
               for q in ("ingest", "processing", "ai"))
    docs = cli("export").json()
    assert sorted(d["file_name"] for d in docs) == ["iphone.mov", "mpeg2.ts", "vp9.webm"]
    assert len({d["file_checksum"] for d in docs}) == 3 and all(len(d["locations"]) == 1 for d in docs)
    assert all(d["status"] == "ready" and d["transcript"] is not None for d in docs)


def test_schema_apply_records_and_upgrades(pg):
    """`schema apply` made the queue's tables (fixture); again it has nothing to do. Upgrades run Procrastinate's
    own migration files, newer than the version recorded at the last apply, in order."""
    import procrastinate

    from procrastinate.schema import SchemaManager

    from vcat_core.queue import pending_migrations

    again = pg("schema", "apply", "--json").json()
    assert again["queue_schema"] == "current" and again["queue_schema_created"] is False
    folder = SchemaManager.get_migrations_path()
    names = [p.name for p in pending_migrations("3.2.0", "3.10.0", folder)]
    assert names[0].startswith("03.03.00_01_pre") and names[-1].startswith("03.04.00_50_post")
    assert names == sorted(names) and not [n for n in names if n.startswith(("03.02", "02."))]
    assert pending_migrations(procrastinate.__version__, procrastinate.__version__, folder) == []


def test_rescue_of_stalled_jobs(pg, postgres_url: str, footage: Path):
    """A job held by a worker that stopped answering goes back to the queue once (two rescuers at the same time
    do not both take it), and is failed instead once its queue's attempts are spent."""
    import asyncio

    import psycopg
    from procrastinate import PsycopgConnector

    from vcat_core.queue import QueueClient, rescue_stalled_jobs
    from vcat_core.queue.tasks import RETRY, build_app

    job_id = pg("ingest", str(footage / "vp9.webm"), "--queue", "--json").json()["queued"][0]["job_id"]
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)

    def strand(attempts: int) -> None:  # as if a worker took the job, then died an hour ago
        with psycopg.connect(conninfo, autocommit=True) as conn:
            dead = conn.execute("INSERT INTO procrastinate_workers (last_heartbeat) "
                                "VALUES (now() - interval '1 hour') RETURNING id").fetchone()[0]
            conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s, attempts = %s "
                         "WHERE id = %s", (dead, attempts, job_id))

    async def rescue_twice() -> list[list[int]]:
        apps = [build_app(PsycopgConnector(conninfo=conninfo)) for _ in range(2)]
        for app in apps:
            await app.open_async()
        try:
            return await asyncio.gather(*(rescue_stalled_jobs(app, ["ingest"], 30) for app in apps))
        finally:
            for app in apps:
                await app.close_async()

    strand(attempts=0)
    assert sorted(map(len, asyncio.run(rescue_twice()))) == [0, 1]
    with QueueClient(postgres_url) as q:
        job = q.job(job_id)
    assert (job["status"], job["attempts"]) == ("todo", 1)

    strand(attempts=RETRY["ingest"].max_attempts)
    assert sum(map(len, asyncio.run(rescue_twice()))) == 1
    with QueueClient(postgres_url) as q:
        assert q.job(job_id)["status"] == "failed"


def test_a_hung_decode_in_a_worker_is_stopped_by_the_watchdog(postgres_url: str, tmp_path: Path):
    """Workers read files in their own processes under the same watchdog as a local run: a decode that hangs is
    failed with the watchdog's reason, the other files are catalogued, and the worker finishes (issue 12)."""
    folder = tmp_path / "clips"
    media.make_segments(folder, 3, size="64x48", rate=5)
    cat = tmp_path / "catalog"

    def cli(*args: str, **env: str):
        return run_cli(cat, "--database-url", postgres_url, *args, VCAT_ANALYSIS_DEPTH="quick", **env)

    assert cli("schema", "apply").code == 0
    assert cli("ingest", str(folder), "--queue", "--skip-ai").code == 0
    w = cli("worker", "--concurrency", "2", "--until-empty", timeout=180, VCAT_FAULT_HANG="seg_00001.mp4",
            VCAT_WATCHDOG_SECONDS="3", VCAT_WATCHDOG_PER_MEDIA_SECOND="1")
    assert w.code == 0, w.stderr[-3000:]
    failures = cli("failures", "--json").json()
    assert [Path(f["path"]).name for f in failures] == ["seg_00001.mp4"]
    assert "stopped by the watchdog" in failures[0]["error"]
    assert sorted(d["file_name"] for d in cli("export").json()) == ["seg_00000.mp4", "seg_00002.mp4"]
    status = {q["queue"]: q for q in cli("queue", "status", "--json").json()}
    assert status["processing"]["failed"] == 0 and status["processing"]["succeeded"] == 3  # a result, not a crash
