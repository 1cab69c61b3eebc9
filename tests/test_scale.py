"""Scale as a tested property: a thousand real files with workers recycled many times, a decode that hangs, ten
thousand copies of one clip, and Ctrl-C leaving no process behind. (Speed figures live in bench/scale.py.)"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import VCAT_CORE, cli_env, run_cli, snapshot_tree
from tests.media import make_segments

QUICK = {"VCAT_ANALYSIS_DEPTH": "quick"}


@pytest.fixture(scope="module")
def thousand(tmp_path_factory) -> Path:
    """1,000 distinct one-second clips cut from one encode (a couple of seconds to make)."""
    folder = tmp_path_factory.mktemp("thousand")
    files = make_segments(folder, 1000, size="64x48", rate=5)
    assert len(files) == 1000
    return folder


def test_a_thousand_files_with_workers_recycled_every_25(thousand, tmp_path):
    """The run that used to stop at ~200 files for ever (gh-115634): every file catalogued, workers replaced
    dozens of times along the way, originals untouched."""
    catalog = tmp_path / "catalog"
    before = snapshot_tree(thousand)
    r = run_cli(catalog, "ingest", str(thousand), "--thumbnails", "1", "--json", timeout=600,
                VCAT_WORKER_MAX_TASKS="25", **QUICK)
    s = r.events()[-1]["summary"]
    assert r.code == 0, r.stderr
    assert (s["new"], s["failed"], s["candidates"]) == (1000, 0, 1000)
    # fingerprint groups are tasks too, so recycling happens at least every 25 analyses
    assert s["workers_started"] >= 1000 // 25
    listed = run_cli(catalog, "list", "--json", "--limit", "2000").json()
    assert len(listed) == 1000
    assert snapshot_tree(thousand) == before
    again = run_cli(catalog, "ingest", str(thousand), "--json", **QUICK).events()[-1]["summary"]
    assert again["known"] == 1000 and again["workers_started"] <= 2  # a rescan costs no analysis


def test_a_hung_decode_is_stopped_by_the_watchdog_and_the_run_goes_on(tmp_path):
    folder = tmp_path / "clips"
    make_segments(folder, 4, size="64x48", rate=5)
    catalog = tmp_path / "catalog"
    started = time.monotonic()
    r = run_cli(catalog, "ingest", str(folder), "--json", timeout=120, VCAT_FAULT_HANG="seg_00002.mp4",
                VCAT_WATCHDOG_SECONDS="3", VCAT_WATCHDOG_PER_MEDIA_SECOND="1", **QUICK)
    assert time.monotonic() - started < 60  # 3 s + 1 s per second of footage, not the day the hook sleeps
    s = r.events()[-1]["summary"]
    assert r.code == 1 and (s["new"], s["failed"], s["timed_out"]) == (3, 1, 1)
    failures = run_cli(catalog, "failures", "--json").json()
    assert [Path(f["path"]).name for f in failures] == ["seg_00002.mp4"]
    assert "stopped by the watchdog" in failures[0]["error"]
    # the next run (no hang this time) retries the file and clears its failure
    again = run_cli(catalog, "ingest", str(folder), "--json", **QUICK)
    assert again.code == 0 and again.events()[-1]["summary"]["new"] == 1
    assert run_cli(catalog, "failures", "--json").json() == []


def test_ten_thousand_copies_are_one_clip_with_ten_thousand_locations(tmp_path):
    source = make_segments(tmp_path / "src", 1, size="64x48", rate=5)[0]
    drive = tmp_path / "backup"
    for i in range(10_000):
        card = drive / f"card{i // 1000:02d}"
        if i % 1000 == 0:
            card.mkdir(parents=True)
        shutil.copyfile(source, card / f"C{i:05d}.MP4")
    catalog = tmp_path / "catalog"
    r = run_cli(catalog, "ingest", str(drive), "--json", timeout=600, **QUICK)
    s = r.events()[-1]["summary"]
    assert r.code == 0, r.stderr
    assert (s["new"], s["duplicates"]) == (1, 9_999)
    clips = run_cli(catalog, "list", "--json").json()
    assert len(clips) == 1
    shown = run_cli(catalog, "show", str(clips[0]["id"]), "--json").json()
    assert len(shown["locations"]) == 10_000
    # any one copy is found by its own path's words, and the clip comes back once, not 10,000 times
    hits = run_cli(catalog, "search", "C07345", "--json").json()["hits"]
    assert [h["clip"]["id"] for h in hits] == [clips[0]["id"]]
    hits = run_cli(catalog, "search", "card03", "--json").json()["hits"]
    assert len(hits) == 1


def test_ctrl_c_leaves_no_process_behind(tmp_path):
    """Workers, the fork server and every ExifTool are gone after an interrupted run."""
    folder = tmp_path / "clips"
    make_segments(folder, 30, size="64x48", rate=5)
    catalog = tmp_path / "catalog"
    proc = subprocess.Popen([VCAT_CORE, "ingest", str(folder), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=cli_env(catalog, VCAT_FAULT_HANG="seg_0001*.mp4", **QUICK),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a shell
    family: set[psutil.Process] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the workers are busy (two of them hang on purpose)
        kids = psutil.Process(proc.pid).children(recursive=True)
        family.update(kids)
        if sum(1 for k in kids if "exiftool" in " ".join(k.cmdline())) >= 2:
            break
        time.sleep(0.2)
    time.sleep(2)
    family.update(psutil.Process(proc.pid).children(recursive=True))
    assert len(family) >= 4  # fork server, two workers, their ExifTools
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=180)  # the orderly stop: workers killed, the run recorded
    except subprocess.TimeoutExpired:
        left = [" ".join(p.cmdline()[:3]) for p in psutil.Process(proc.pid).children(recursive=True)]
        proc.kill()
        raise AssertionError(f"the interrupted run did not end; its processes: {left}") from None
    assert proc.returncode == 130, err
    time.sleep(1)
    alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [p.cmdline() for p in alive]
    # what was catalogued before the interrupt is kept, and a rerun finishes the rest
    r = run_cli(catalog, "ingest", str(folder), "--json", timeout=120, **QUICK)
    assert r.code == 0 and r.events()[-1]["summary"]["failed"] == 0
    assert len(run_cli(catalog, "list", "--json").json()) == 30
