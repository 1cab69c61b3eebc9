"""`vcat-core` end to end, like a user: ingest a folder of real (generated) footage with bad files mixed in, then
list / show / export / failures / stats; rescans, duplicates, a kill mid-run, two ingests at once.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from . import media
from .helpers import VCAT_CORE, cli_env, drop_read_override, run_cli, snapshot_tree

THUMBS = "4"
NO_AI = ("--skip-audio", "--skip-ai")  # these tests are about cataloguing; test_cli_ai covers the AI stages


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("footage")
    cards = root / "cards" / "A"
    made = {name: fn(cards) for name, fn in media.VIDEO_FIXTURES.items()}
    dup_dir = root / "cards" / "B"
    dup_dir.mkdir(parents=True)
    shutil.copy2(made["apple"], dup_dir / "copy of iphone.mov")
    odd = root / "cards" / "odd names"
    odd.mkdir()
    made["unicode"] = media.make_clip(odd / "ünïcødé clip 日本.mp4", codec="libx264", width=160, height=90,
                                      fps=25, seconds=0.4)
    made["newline"] = media.make_clip(odd / "new\nline.mp4", codec="libx264", width=160, height=96, fps=25,
                                      seconds=0.4)
    made["noext"] = media.make_clip(odd / "clip_without_extension", codec="libx264", width=176, height=96,
                                    fps=25, seconds=0.4, format="mp4")
    bad = root / "bad"
    bad_files = media.make_bad_inputs(bad)
    bad_files.pop("png"), bad_files.pop("wav")  # passed over quietly, not failures
    (bad / "cfr.mp4").unlink()  # the source of the truncated copy: keep the bad folder bad only
    (bad / "readme.txt").write_text("shot list\n")
    unreadable = media.make_clip(bad / "locked.mp4", codec="libx264", width=160, height=90, fps=25, seconds=0.4)
    os.chmod(unreadable, 0)
    bad_files["unreadable"] = unreadable
    os.symlink(root, bad / "loop")  # a symlink loop back to the top
    return {"root": root, "videos": made, "bad": bad_files, "good": root / "cards"}


def _ingest(catalog: Path, *paths: Path, extra=(), prefix=None):
    r = run_cli(catalog, "ingest", *map(str, paths), "--thumbnails", THUMBS, "--json", *NO_AI, *extra,
                prefix=prefix)
    events = r.events()
    assert events and events[-1]["kind"] == "run_finished", r.stderr
    return r, events, events[-1]["summary"]


@pytest.fixture(scope="module")
def first_run(footage, tmp_path_factory):
    catalog = tmp_path_factory.mktemp("cat") / "catalog"
    before = snapshot_tree(footage["root"])
    r, events, summary = _ingest(catalog, footage["root"], prefix=drop_read_override())
    after = snapshot_tree(footage["root"])
    return {"catalog": catalog, "result": r, "events": events, "summary": summary, "before": before,
            "after": after}


def test_first_ingest_summary(first_run, footage):
    s = first_run["summary"]
    n_videos = len(footage["videos"])
    assert first_run["result"].code == 1  # some files failed, the rest catalogued
    # truncated.mp4 is catalogued (what can be read) and also reported as failed
    assert s["new"] == n_videos
    assert s["duplicates"] == 1
    assert s["failed"] == len(footage["bad"])
    assert s["passed_over"] >= 3  # png, wav, readme.txt


def test_originals_untouched(first_run):
    assert first_run["before"] == first_run["after"]


def test_failures_are_clear(first_run, footage):
    rows = run_cli(first_run["catalog"], "failures", "--json").json()
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {Path(p).name for p in footage["bad"].values()}
    assert "empty file" in by_name["empty.mp4"]["error"]
    assert "not a video" in by_name["random.mp4"]["error"]
    assert "not a video" in by_name["notes.mp4"]["error"]
    assert "permission denied" in by_name["locked.mp4"]["error"]
    assert by_name["truncated.mp4"]["stage"] == "metadata" and "truncated" in by_name["truncated.mp4"]["error"]
    text = run_cli(first_run["catalog"], "failures").stdout
    assert "locked.mp4" in text and "permission denied" in text


def test_list_and_filters(first_run, footage):
    cat = first_run["catalog"]
    rows = run_cli(cat, "list", "--json").json()
    assert len(rows) == len(footage["videos"]) + 1  # + the readable part of truncated.mp4
    names = lambda *a: sorted(d["file_name"] for d in run_cli(cat, "list", "--json", *a).json())  # noqa: E731
    assert names("--codec", "prores") == ["prores_hq.mov"]
    assert names("--resolution", "4k") == ["hevc_4k_hdr.mp4"]
    assert names("--camera", "iphone") == ["iphone.mov"]
    assert names("--camera", "sony") == ["sony_a7iv.mp4"]
    assert names("--vfr") == ["vfr.mp4"]
    assert "mpeg2.ts" in names("--min-duration", "1.9") and "vfr.mp4" not in names("--min-duration", "1.9")
    table = run_cli(cat, "list").stdout
    assert "prores_hq.mov" in table and "hevc" in table
    bad = run_cli(cat, "list", "--resolution", "huge")
    assert bad.code == 2 and "unknown resolution" in bad.stderr


def test_export_json_contract(first_run, footage):
    docs = run_cli(first_run["catalog"], "export", "--format", "json").json()
    apple = next(d for d in docs if d["file_name"] == "iphone.mov")
    for key in ("id", "file_path", "file_name", "file_checksum", "file_size_bytes", "created_at", "processed_at",
                "duration_seconds", "technical_metadata", "thumbnail_paths", "locations", "thumbnails"):
        assert key in apple
    tm = apple["technical_metadata"]
    assert tm["codec"] == "h264" and tm["resolution_width"] == 640 and tm["resolution_height"] == 360
    assert tm["camera_make"] == "Apple" and tm["camera_model"] == "iPhone 15 Pro"
    assert tm["frame_rate"] == pytest.approx(30.0) and tm["is_vfr"] is False
    assert tm["audio_codec"] == "aac" and tm["audio_channels"] == 2
    assert apple["created_at"].startswith("2024-05-17T12:23:05")  # camera tag 14:23:05+02:00, in UTC
    for key in ("exposure_warning", "exposure_stops", "overexposed_percentage", "underexposed_percentage",
                "color_primaries", "color_transfer", "camera_serial", "bit_depth", "color_space", "focal_length"):
        assert key in tm
    assert {Path(loc["path"]).name for loc in apple["locations"]} == {"iphone.mov", "copy of iphone.mov"}
    assert apple["file_size_bytes"] == Path(apple["file_path"]).stat().st_size
    assert 1 <= len(apple["thumbnail_paths"]) <= int(THUMBS)
    widths = {t["width"] for t in apple["thumbnails"]}
    assert widths == {160, 320, 640}  # 640 wide source: every size, no upscaling beyond it
    for t in apple["thumbnails"]:
        assert Path(t["path"]).is_file() and Path(t["path"]).stat().st_size > 0
        assert 0 <= t["timestamp_seconds"] <= 1.0 and t["frame_number"] >= 0
    ts = sorted({t["timestamp_seconds"] for t in apple["thumbnails"]})
    assert len(ts) >= 2  # one keyframe in this 1 s clip: the rest come from a bounded decode forward
    prores = next(d for d in docs if d["file_name"] == "prores_hq.mov")  # intra-only: every target reachable
    ts = sorted({t["timestamp_seconds"] for t in prores["thumbnails"]})
    assert ts == pytest.approx([0.12, 0.36, 0.6, 0.88], abs=0.041)  # evenly spread, one per quarter
    sony = next(d for d in docs if d["file_name"] == "sony_a7iv.mp4")["technical_metadata"]
    assert sony["camera_serial"] == media.SONY["serial"]
    hdr = next(d for d in docs if d["file_name"] == "hevc_4k_hdr.mp4")["technical_metadata"]
    assert (hdr["bit_depth"], hdr["color_primaries"], hdr["color_transfer"]) == (10, "bt2020", "smpte2084")
    widths_4k = {t["width"] for t in next(d for d in docs if d["file_name"] == "hevc_4k_hdr.mp4")["thumbnails"]}
    assert widths_4k == {160, 320, 640}


def test_export_csv_and_filters(first_run, footage):
    r = run_cli(first_run["catalog"], "export", "--format", "csv", "--codec", "h264")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(row["codec"] == "h264" for row in rows)
    assert {"file_checksum", "resolution_width", "is_vfr", "camera_serial", "locations"} <= set(rows[0])
    assert run_cli(first_run["catalog"], "export", "--format", "xml").code == 2


def test_show_by_path_and_id(first_run, footage):
    cat = first_run["catalog"]
    doc = run_cli(cat, "show", str(footage["videos"]["mpeg2_ts"]), "--json").json()
    assert doc["technical_metadata"]["container"] == "mpegts"
    assert doc["technical_metadata"]["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert doc["metadata_sources"]["duration_seconds"] == "pyav"  # the MPEG-TS rule
    assert doc["stages"]["thumbnails"]["status"] == "succeeded"
    again = run_cli(cat, "show", str(doc["id"]), "--json").json()
    assert again["file_checksum"] == doc["file_checksum"]
    assert "mpeg2video" in run_cli(cat, "show", str(doc["id"])).stdout
    missing = run_cli(cat, "show", "/no/such/clip.mp4")
    assert missing.code == 1 and "no clip" in missing.stderr
    odd = run_cli(cat, "show", str(footage["videos"]["newline"]), "--json").json()
    assert odd["file_name"] == "new\nline.mp4"


def test_stats(first_run, footage):
    data = run_cli(first_run["catalog"], "stats", "--json").json()
    assert data["clips"] == len(footage["videos"]) + 1
    assert data["locations"] == data["clips"] + 1
    codecs = {g["name"]: g["clips"] for g in data["by_codec"]}
    assert codecs["prores"] == 1 and codecs["hevc"] == 2
    assert data["bytes"] > 0 and data["hours"] > 0
    assert "# by codec" in run_cli(first_run["catalog"], "stats").stdout


def test_rescan_skips_unchanged(first_run, footage):
    r, events, s = _ingest(first_run["catalog"], footage["good"])
    assert r.code == 0, r.stderr
    assert s["new"] == 0 and s["failed"] == 0
    assert s["known"] == len(footage["videos"]) + 1  # every path, the duplicate included
    assert not [e for e in events if e["kind"] == "stage_started"]  # nothing re-hashed or re-analysed
    assert s["bytes_hashed"] == 0


def test_progress_and_summary_for_people(footage, tmp_path):
    r = run_cli(tmp_path / "cat", "ingest", str(footage["videos"]["vp9"]), "--thumbnails", "2", *NO_AI)
    assert r.code == 0, r.stderr
    assert "new" in r.stdout and "passed over" in r.stdout and "ingest summary" in r.stdout
    missing = run_cli(tmp_path / "cat", "ingest", str(tmp_path / "nope"))
    assert missing.code == 2 and "path not found" in missing.stderr


def test_kill_and_resume(footage, tmp_path):
    """SIGKILL mid-run loses nothing already stored, and a rerun completes without duplicates."""
    catalog = tmp_path / "catalog"
    src = footage["good"] / "A"
    proc = subprocess.Popen([VCAT_CORE, "ingest", str(src), "--workers", "1", "--thumbnails", THUMBS, "--json",
                             *NO_AI],
                            env=cli_env(catalog), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    db = catalog / "catalog.db"
    deadline = time.time() + 120
    stored = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                    stored = conn.execute("select count(*) from clips").fetchone()[0]
            except sqlite3.Error:
                stored = 0
        if stored >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the corpus bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        kept = conn.execute("select count(*) from clips").fetchone()[0]
    assert kept >= 3
    r, events, s = _ingest(catalog, src)
    assert r.code == 0, r.stderr
    assert s["known"] >= kept and s["new"] + s["known"] == len(media.VIDEO_FIXTURES)
    docs = run_cli(catalog, "export").json()
    assert len(docs) == len(media.VIDEO_FIXTURES)
    assert len({d["file_checksum"] for d in docs}) == len(docs)
    for d in docs:
        assert d["status"] == "ready" and d["thumbnail_paths"]


def test_two_ingests_at_once(footage, tmp_path):
    catalog = tmp_path / "catalog"
    src = footage["good"]
    cmd = [VCAT_CORE, "ingest", str(src), "--workers", "1", "--thumbnails", "2", "--json", *NO_AI]
    procs = [subprocess.Popen(cmd, env=cli_env(catalog), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    docs = run_cli(catalog, "export").json()
    expected = len(footage["videos"])
    assert len(docs) == expected and len({d["file_checksum"] for d in docs}) == expected
    assert sum(len(d["locations"]) for d in docs) == expected + 1


def test_file_vanishing_mid_run(tmp_path):
    """A file deleted after discovery, before it is read: one clear failure, the rest catalogued."""
    import asyncio

    from vcat_core.config import load_settings
    from vcat_core.events import FileDiscovered, RunFinished
    from vcat_core.service import Catalog

    src = tmp_path / "src"
    for i in range(5):
        media.make_clip(src / f"c{i}.mp4", codec="libx264", width=128 + 16 * i, height=72, fps=25, seconds=0.3)
    victim = src / "c4.mp4"
    summary = None
    settings = load_settings(catalog=tmp_path / "cat", workers=1, thumbnails=2)
    with Catalog(settings) as catalog:
        async def drive():
            nonlocal summary
            async for ev in catalog.ingest([str(src)]):
                if isinstance(ev, FileDiscovered) and ev.path == str(victim):
                    victim.unlink()
                if isinstance(ev, RunFinished):
                    summary = ev.summary
        asyncio.run(drive())
        fails = catalog.failures()
    assert summary.new == 4 and summary.failed == 1
    assert [Path(f.path).name for f in fails] == ["c4.mp4"] and "disappeared" in fails[0].error


def test_offline_locations(footage, tmp_path):
    src = tmp_path / "drive"
    src.mkdir()
    for name in ("vp9", "mkv"):
        shutil.copy2(footage["videos"][name], src)
    catalog = tmp_path / "catalog"
    assert _ingest(catalog, src)[0].code == 0
    gone = src / footage["videos"]["mkv"].name
    gone.unlink()
    r, _, s = _ingest(catalog, src)
    assert r.code == 0 and s["known"] == 1
    doc = run_cli(catalog, "show", str(gone), "--json").json()
    assert doc["locations"][0]["online"] is False  # kept, marked offline, never deleted


def test_shared_catalog_on_postgres(footage, postgres_url, tmp_path):
    """The same ingest on a Postgres catalog (VCAT_DATABASE_URL), two processes at once, nothing twice."""
    env = cli_env(tmp_path / "catalog", VCAT_DATABASE_URL=postgres_url)
    cmd = [VCAT_CORE, "ingest", str(footage["good"]), "--workers", "1", "--thumbnails", "2", "--json", *NO_AI]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    docs = run_cli(tmp_path / "catalog", "export", VCAT_DATABASE_URL=postgres_url).json()
    expected = len(footage["videos"])
    assert len(docs) == expected and len({d["file_checksum"] for d in docs}) == expected
    apple = next(d for d in docs if d["file_name"] == "iphone.mov")
    assert apple["technical_metadata"]["camera_model"] == "iPhone 15 Pro" and len(apple["locations"]) == 2
    status = run_cli(tmp_path / "catalog", "system", "status", "--json", VCAT_DATABASE_URL=postgres_url).json()
    assert status["store"]["backend"] == "postgresql" and "password" not in status["store"]["database"]
