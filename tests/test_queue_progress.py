"""A queue-backed ingest watched through the job tables: `Catalog.queue_progress()` and the dashboard's Queue panel,
on a real Postgres with real workers (`vcat-core worker` subprocesses); nothing is mocked."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from vcat_core.queue.progress import read_progress
from vcat_core.service import Catalog
from vcat_tui.app import VcatApp
from vcat_tui.screens.ingest_screen import IngestScreen
from vcat_tui.widgets.queue_panel import QueueJobs, QueuePanel

from . import media
from .helpers import VCAT_CORE, cli_env, run_cli
from .test_tui_catalogs import open_catalog, settings_for, wait_for

SIZE = (120, 36)


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("queued_footage")
    for i in range(3):
        media.make_clip(src / f"clip_{i}.mp4", width=160, height=90, seconds=0.4 + 0.2 * i,
                        codec_options={"preset": "ultrafast"})  # different content: three clips
    return src


def pg_catalog(tmp_path: Path, url: str) -> tuple[Path, Catalog]:
    cat = tmp_path / "catalog"
    return cat, Catalog(settings_for(cat).model_copy(update={"database_url": url}))


def cli(cat: Path, url: str, *args: str):
    return run_cli(cat, "--database-url", url, *args)


def queue_files(cat: Path, url: str, footage: Path) -> list[dict]:
    r = cli(cat, url, "ingest", str(footage), "--queue", "--skip-audio", "--skip-ai", "--thumbnails", "2", "--json")
    assert r.code == 0, r.stderr
    return r.json()["queued"]


def test_progress_before_and_after_a_worker(postgres_url: str, tmp_path: Path, footage: Path):
    assert read_progress(None).state == "no-postgres"
    cat, catalog = pg_catalog(tmp_path, postgres_url)
    try:
        assert catalog.queue_progress().state == "no-schema"  # vcat's tables, but not the queue's yet
        assert cli(cat, postgres_url, "schema", "apply").code == 0
        empty = catalog.queue_progress()
        assert empty.ready and empty.total == 0 and [q.queue for q in empty.queues][:4] == [
            "ingest", "processing", "ai", "storage"]

        queued = queue_files(cat, postgres_url, footage)
        assert len(queued) == 3
        # a job that really fails: queued by a newer vcat whose task this worker does not know (version skew
        # between machines); Procrastinate fails it at once, with no retries
        with catalog.queue() as q:
            doomed = q.app.configure_task("vcat.from_a_newer_version", queue="ingest").defer(
                path=str(footage / "doomed.mp4"), options={})

        before = catalog.queue_progress()
        assert before.queue("ingest").todo == 4 and before.total == 4 and before.done == 0
        assert not before.running and not before.failures and before.jobs_per_second == 0
        assert [j.file_name for j in before.waiting] == ["clip_0.mp4", "clip_1.mp4", "clip_2.mp4", "doomed.mp4"]
        assert all(j.status == "todo" for j in before.waiting)

        w = cli(cat, postgres_url, "worker", "--queues", "ingest,processing", "--until-empty")
        assert w.code == 0, w.stderr[-3000:]

        after = catalog.queue_progress()
        ingest, processing = after.queue("ingest"), after.queue("processing")
        assert (ingest.succeeded, ingest.failed, ingest.todo, ingest.doing) == (3, 1, 0, 0)
        assert (processing.succeeded, processing.total) == (3, 3)  # each new clip went on to processing
        assert after.total == after.done == 7 and not after.running and not after.waiting
        assert [(j.id, j.file_name, j.status, j.attempts) for j in after.failures] == [
            (doomed, "doomed.mp4", "failed", 1)]
        assert after.finished_in_window == 7 and after.jobs_per_second == pytest.approx(7 / 60)
        doc = after.as_dict()
        assert doc["done"] == 7 and doc["failures"][0]["file_name"] == "doomed.mp4"
        assert catalog.count_clips() == 3
    finally:
        catalog.close()


def test_the_dashboard_watches_a_queue(postgres_url: str, tmp_path: Path, footage: Path):
    """The Queue panel shows the queued files, cancels one (c), queues it again (r), and follows a worker run in
    another process to the end."""
    cat, catalog = pg_catalog(tmp_path, postgres_url)
    assert cli(cat, postgres_url, "schema", "apply").code == 0
    queue_files(cat, postgres_url, footage)

    async def go():
        app = VcatApp(catalog, image_mode="halfcell", player_command=lambda: None)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, IngestScreen)
            panel = screen.query_one(QueuePanel)
            jobs = screen.query_one(QueueJobs)

            def counts(queue: str):
                qp = panel.progress
                return qp.queue(queue) if qp is not None and qp.ready else None

            await wait_for(pilot, lambda: panel.display and counts("ingest") and counts("ingest").todo == 3,
                           what="the queued files in the panel")
            await pilot.pause(0.1)
            assert "0 / 3 jobs done" in str(screen.query_one("#queue-headline").render())
            assert "ingest" in str(screen.query_one("#queue-counts").render())
            assert [j.file_name for j in jobs.jobs] == ["clip_0.mp4", "clip_1.mp4", "clip_2.mp4"]

            jobs.focus()
            first = jobs.selected
            assert first is not None and first.status == "todo"
            assert jobs.check_action("retry_job", ()) is None  # only failed or cancelled jobs are retried
            await pilot.press("c")
            await wait_for(pilot, lambda: counts("ingest").cancelled == 1 and counts("ingest").todo == 2,
                           what="the cancelled job")
            await wait_for(pilot, lambda: jobs.selected is not None and jobs.selected.status == "cancelled",
                           what="the cursor on the cancelled job")
            assert jobs.selected.id == first.id  # the cursor followed its job to the failures part
            await pilot.press("r")
            await wait_for(pilot, lambda: counts("ingest").todo == 3, what="the job queued again")
            with catalog.queue() as q:
                assert [j["status"] for j in q.file_status(first.path)] == ["cancelled", "todo"]

            env = cli_env(cat)
            proc = await asyncio.create_subprocess_exec(
                VCAT_CORE, "--database-url", postgres_url, "worker", "--queues", "ingest,processing",
                "--until-empty", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()[-3000:]
            await wait_for(pilot, lambda: counts("processing") and counts("processing").succeeded == 3,
                           timeout=20, what="the worker's jobs in the panel")
            qp = panel.progress
            assert counts("ingest").succeeded == 3 and qp.done == qp.total == 7 and not qp.running
            await pilot.pause(0.1)
            headline = str(screen.query_one("#queue-headline").render())
            assert "7 / 7 jobs done (100%)" in headline and "jobs/s" in headline
            assert [j.status for j in jobs.jobs] == ["cancelled"]  # only the cancelled original is left to act on

    try:
        asyncio.run(go())
    finally:
        catalog.close()
    assert os.path.isdir(cat / "thumbnails")  # the worker wrote into the shared catalog folder


def test_no_queue_panel_on_sqlite(tmp_path: Path):
    catalog = open_catalog(tmp_path / "catalog")

    async def go():
        app = VcatApp(catalog, image_mode="halfcell", player_command=lambda: None)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            screen = app.screen
            await wait_for(pilot, lambda: screen._queue_kind is not None, what="the first queue poll")
            assert screen._queue_kind == "no-postgres" and not screen.query_one(QueuePanel).display

    try:
        asyncio.run(go())
    finally:
        catalog.close()
