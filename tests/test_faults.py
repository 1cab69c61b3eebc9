"""Faults beyond SIGKILL (issue 16), on real file systems: a source drive returning EIO mid-read, and a catalog
whose disk fills up mid-run (see tests/fault_fs.py for how each is made)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from . import media
from .fault_fs import FailingDisk, fill, small_tmpfs
from .helpers import run_cli, snapshot_tree

NO_AI = ("--skip-audio", "--skip-ai")


@pytest.fixture()
def failing_disk(tmp_path):
    disk = FailingDisk(tmp_path / "drive.img", tmp_path / "drive")
    yield disk
    disk.close()


def test_read_errors_fail_that_file_the_run_goes_on_and_a_later_run_retries(failing_disk, tmp_path):
    drive = failing_disk.mountpoint
    media.make_clip(drive / "a-good.mp4", width=320, height=240, seconds=1.0)
    media.make_clip(drive / "b-bad-sectors.mp4", width=640, height=480, seconds=2.0, gop=5, bit_rate=2_000_000)
    failing_disk.freeze()
    before = snapshot_tree(drive)
    failing_disk.fail_from(drive / "b-bad-sectors.mp4", 0.5)
    catalog = tmp_path / "catalog"
    res = run_cli(catalog, "ingest", str(drive), "--workers", "1", "--thumbnails", "2", "--json", *NO_AI)
    assert res.code == 1 and "Traceback" not in res.stderr, res.stderr[-2000:]
    failures = run_cli(catalog, "failures", "--json").json()
    assert [Path(f["path"]).name for f in failures] == ["b-bad-sectors.mp4"], failures
    assert "input/output error" in failures[0]["error"].lower(), failures[0]
    listed = run_cli(catalog, "list", "--json").json()
    assert [c["file_name"] for c in listed] == ["a-good.mp4"]

    failing_disk.heal()  # the drive reads again: the next run retries the file that failed, and only that one
    failing_disk.drop_cache(drive / "b-bad-sectors.mp4")
    res = run_cli(catalog, "ingest", str(drive), "--workers", "1", "--thumbnails", "2", "--json", *NO_AI)
    assert res.code == 0, res.stderr[-2000:]
    done = {Path(e["path"]).name: e["outcome"] for e in res.events() if e.get("kind") == "clip_done"}
    assert done.get("b-bad-sectors.mp4") == "new" and done.get("a-good.mp4") in (None, "known"), done
    assert run_cli(catalog, "failures", "--json").json() == []
    assert snapshot_tree(drive) == before  # read-only mount aside, vcat only ever read


def full_disk_run(tmp_path: Path, disk: Path):
    """Six distinct clips ingested into a catalog whose disk has 150 KB left: (catalog, footage, result)."""
    footage = tmp_path / "footage"
    for n in range(6):
        media.make_clip(footage / f"clip{n}.mp4", width=320 + 16 * n, height=240, seconds=1.0, gop=5)
    catalog = disk / "catalog"
    assert run_cli(catalog, "stats").code == 0  # the catalog exists; then the disk fills up
    filler = fill(disk, leave_kb=150)
    res = run_cli(catalog, "ingest", str(footage), "--workers", "1", "--thumbnails", "4", "--json", *NO_AI)
    return catalog, footage, filler, res


def test_a_full_disk_leaves_nothing_half_written_and_the_next_run_resumes(tmp_path):
    with small_tmpfs(tmp_path / "small", 4096) as disk:
        catalog, footage, filler, res = full_disk_run(tmp_path, disk)
        assert res.code != 0
        assert_consistent(catalog)
        filler.unlink()  # space freed: the same command again finishes the job
        res = run_cli(catalog, "ingest", str(footage), "--workers", "1", "--thumbnails", "4", "--json", *NO_AI)
        assert res.code == 0, res.stderr[-3000:]
        assert sorted(c["file_name"] for c in run_cli(catalog, "list", "--json").json()) == \
            [f"clip{n}.mp4" for n in range(6)]
        assert run_cli(catalog, "failures", "--json").json() == []  # a full disk is no file's fault
        assert_consistent(catalog)
        assert run_cli(catalog, "catalog", "check").code == 0


def test_a_full_disk_stops_the_run_with_one_clear_message(tmp_path):
    with small_tmpfs(tmp_path / "small", 4096) as disk:
        _, _, _, res = full_disk_run(tmp_path, disk)
        assert res.code == 2 and "Traceback" not in res.stderr, res.stderr[-3000:]
        assert res.stderr.count("is full") == 1 and "run the same command again" in res.stderr, res.stderr


def assert_consistent(catalog: Path) -> None:
    """No row points at a thumbnail that is not there (or not whole), and the file is sound."""
    with sqlite3.connect(catalog / "catalog.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        paths = [r[0] for r in conn.execute("SELECT path FROM thumbnails")]
    for p in paths:
        full = Path(p) if Path(p).is_absolute() else catalog / p
        assert full.exists() and full.stat().st_size > 0, full
        assert full.read_bytes()[-2:] == b"\xff\xd9" or full.suffix != ".jpg", f"{full} is cut short"


def test_a_source_mount_going_away_mid_run_fails_the_rest_and_a_later_run_finishes(failing_disk, tmp_path):
    """The drive is unmounted while a run reads it (a cable pulled, a network share dropped): the run does not
    hang; every file is catalogued or failed naming the cause; a run while the drive is gone marks its locations
    offline, never deletes them; once the drive is back, the next run catalogues the rest, each clip once."""
    import json
    import subprocess
    import time

    from .fault_fs import _run
    from .helpers import VCAT_CORE, cli_env

    drive = failing_disk.mountpoint
    media.make_segments(drive, 12, size="64x48", rate=5)
    failing_disk.freeze()
    before = snapshot_tree(drive)
    catalog = tmp_path / "catalog"
    proc = subprocess.Popen([VCAT_CORE, "ingest", str(drive), "--workers", "1", "--json", *NO_AI],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(catalog, VCAT_ANALYSIS_DEPTH="quick", VCAT_FAULT_HANG="seg_00004.mp4",
                                        VCAT_WATCHDOG_SECONDS="4", VCAT_WATCHDOG_PER_MEDIA_SECOND="0"))
    events, gone = [], False
    started = time.monotonic()
    for line in proc.stdout:  # one worker: four clips done, then it is held on seg_00004 (a stuck read)
        events.append(json.loads(line))
        if not gone and sum(e.get("kind") == "clip_done" for e in events) == 4:
            _run("umount", "-l", str(drive))  # pull the drive while the rest wait
            gone = True
    proc.wait(timeout=120)
    assert gone and time.monotonic() - started < 90, proc.stderr.read()[-2000:]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr.read()
    s = events[-1]["summary"]
    assert s["new"] >= 4 and s["new"] + s["failed"] == 12, s
    failures = run_cli(catalog, "failures", "--json").json()
    assert len({f["path"] for f in failures}) == s["failed"]  # a row per failed stage, one file each
    for f in failures:
        assert any(w in f["error"].lower() for w in ("watchdog", "disappeared", "not run")), f
    listed = {c["file_name"] for c in run_cli(catalog, "list", "--json").json()}
    failed = {Path(f["path"]).name for f in failures}
    assert listed | failed == {f"seg_{n:05d}.mp4" for n in range(12)}  # every file accounted for
    assert len(listed - failed) == s["new"]  # (a clip whose thumbnails failed is both: catalogued, partial)
    still_gone = run_cli(catalog, "ingest", str(drive), "--json", *NO_AI, VCAT_ANALYSIS_DEPTH="quick")
    assert still_gone.code in (0, 1) and "Traceback" not in still_gone.stderr, still_gone.stderr[-2000:]
    locations = [loc for d in run_cli(catalog, "export").json() for loc in d["locations"]]
    assert locations and not any(loc["online"] for loc in locations)  # the drive is gone: offline, kept

    _run("mount", "-o", "ro", failing_disk.device, str(drive))  # the drive is back
    res = run_cli(catalog, "ingest", str(drive), "--workers", "1", "--json", *NO_AI, VCAT_ANALYSIS_DEPTH="quick")
    assert res.code == 0, res.stderr[-2000:]
    assert run_cli(catalog, "failures", "--json").json() == []
    clips = run_cli(catalog, "list", "--json").json()
    assert sorted(c["file_name"] for c in clips) == [f"seg_{n:05d}.mp4" for n in range(12)]
    locations = [loc for d in run_cli(catalog, "export").json() for loc in d["locations"]]
    assert len(locations) == 12 and all(loc["online"] for loc in locations)
    assert snapshot_tree(drive) == before
