"""`vcat-core watch`: a clip copied in slowly is catalogued once, after the copy ends; restarts ingest nothing twice."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from vcat_core.pipeline.watch import SettleTracker

from . import media
from .helpers import VCAT_CORE, cli_env, run_cli


def _start(folder: Path, catalog: Path):
    proc = subprocess.Popen([VCAT_CORE, "watch", str(folder), "--settle", "1", "--workers", "1",
                             "--thumbnails", "2", "--json"], env=cli_env(catalog, VCAT_ANALYSIS_DEPTH="quick"),
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    events: queue.Queue = queue.Queue()

    def pump():
        for line in proc.stdout:
            events.put((time.monotonic(), json.loads(line)))
    threading.Thread(target=pump, daemon=True).start()
    return proc, events


def _wait_for(events: queue.Queue, pred, timeout: float):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            at, ev = events.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(ev)
        if pred(ev):
            return at, ev, seen
    raise AssertionError(f"event not seen in {timeout}s; saw {[e['kind'] for e in seen]}")


def _stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read()[-2000:]


def test_slow_copy_is_ingested_once_after_it_ends(tmp_path: Path):
    folder, catalog = tmp_path / "incoming", tmp_path / "catalog"
    folder.mkdir()
    source = media.make_clip(tmp_path / "source.mp4", codec="libx264", width=320, height=180, fps=25, seconds=1)
    data = source.read_bytes()
    proc, events = _start(folder, catalog)
    try:
        _wait_for(events, lambda e: e["kind"] == "run_finished", 60)  # the initial scan of the empty folder
        target = folder / "card_offload.mp4"
        with open(target, "wb") as fh:  # a slow copy: chunks with pauses shorter than the settle time
            for i in range(0, len(data), len(data) // 5 + 1):
                fh.write(data[i:i + len(data) // 5 + 1])
                fh.flush()
                time.sleep(0.4)
        copy_done = time.monotonic()
        at, ev, seen = _wait_for(events, lambda e: e["kind"] == "clip_done" and e["path"] == str(target), 60)
        assert ev["outcome"] == "new" and at >= copy_done
        assert not [e for e in seen if e["kind"] == "clip_done" and e["outcome"] == "failed"]
    finally:
        _stop(proc)
    docs = run_cli(catalog, "export").json()
    assert len(docs) == 1 and docs[0]["file_size_bytes"] == len(data)
    assert run_cli(catalog, "failures", "--json").json() == []

    proc, events = _start(folder, catalog)  # restart: the first scan finds it known
    try:
        _, ev, _ = _wait_for(events, lambda e: e["kind"] == "run_finished", 60)
        assert ev["summary"]["known"] == 1 and ev["summary"]["new"] == 0
    finally:
        _stop(proc)
    assert len(run_cli(catalog, "export").json()) == 1


def test_settle_tracker(tmp_path: Path):
    f = tmp_path / "growing.mov"
    f.write_bytes(b"x")
    t = SettleTracker(settle=2.0)
    t.touch(str(f))
    assert t.poll(now=100.0) == []          # first look
    f.write_bytes(b"xx")
    assert t.poll(now=101.5) == []          # changed: the clock restarts
    assert t.poll(now=103.0) == []          # stable 1.5 s only
    assert t.poll(now=103.6) == [str(f)]    # stable 2.1 s
    assert t.pending() == 0
    t.touch(str(tmp_path / "vanished.mov"))
    assert t.poll(now=200.0) == [] and t.pending() == 0


def test_watch_rejects_missing_folder(tmp_path: Path):
    r = run_cli(tmp_path / "cat", "watch", str(tmp_path / "nope"))
    assert r.code == 2 and "not a folder" in r.stderr
