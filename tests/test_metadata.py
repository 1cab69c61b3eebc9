"""Technical metadata extraction (PyAV + MediaInfo + ExifTool, reconciled) against generated media of known truth."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vcat_core import errors
from vcat_core.models import TechnicalMetadata
from vcat_core.pipeline.metadata import exiftool, extract_metadata, mediainfo_probe, pyav_probe
from vcat_core.pipeline.metadata.reconcile import format_aspect, parse_date, parse_iso6709, reconcile

from . import media

VIDEOS = list(media.VIDEO_FIXTURES)
CFR_FIXTURES = [n for n in VIDEOS if n != "vfr"]


@pytest.fixture(scope="module")
def meta(media_corpus) -> dict[str, TechnicalMetadata]:
    return {name: extract_metadata(str(media_corpus[name])) for name in VIDEOS + ["truncated"]}


def _common(m: TechnicalMetadata, truth: dict, duration_tol: float = 0.05) -> None:
    assert m.container == truth["container"]
    assert m.codec == truth["codec"]
    assert (m.width, m.height) == (truth["width"], truth["height"])
    if "codec_profile" in truth:
        assert m.codec_profile == truth["codec_profile"]
    if "frame_rate" in truth:
        assert m.frame_rate == pytest.approx(truth["frame_rate"], abs=1e-3)
    if "seconds" in truth:
        assert m.duration_seconds == pytest.approx(truth["seconds"], abs=duration_tol)
    for key in ("aspect_ratio", "bit_depth", "pixel_format", "chroma_subsampling", "color_primaries",
                "color_transfer", "color_space", "color_range", "audio_codec", "audio_channels",
                "audio_sample_rate", "audio_tracks"):
        if key in truth:
            assert getattr(m, key) == truth[key], key
    assert m.video_tracks == 1
    assert "truncated" not in m.warnings


# ---- per-fixture truths ----------------------------------------------------------------------------------------------


def test_prores_422_hq(meta):
    m = meta["prores"]
    _common(m, media.PRORES)
    assert m.codec_long_name and "ProRes" in m.codec_long_name
    assert (m.color_primaries, m.color_transfer, m.color_space) == ("bt709", "bt709", "bt709")
    assert m.frame_count == 25 and m.scan_type == "progressive"
    assert m.bit_rate_kbps and m.video_bit_rate_kbps and m.video_bit_rate_kbps < m.bit_rate_kbps
    assert m.sources["codec"] == "pyav" and m.sources["codec_profile"] == "pyav"
    # MediaInfo calls the same profile "422 HQ"
    assert m.raw["mediainfo"]["video"][0]["format_profile"] == "422 HQ"


def test_dnxhr_in_mxf(meta):
    m = meta["dnxhr_mxf"]
    _common(m, media.DNXHR)
    assert m.timecode == "00:00:00:00"  # the MXF muxer always writes a start timecode
    assert m.created_at is None  # MXF zero dates are placeholders, not dates
    assert m.raw["mediainfo"]["general"]["format"] == "MXF"


def test_dnxhr_in_mov(meta):
    _common(meta["dnxhr_mov"], media.DNXHR_MOV)


def test_apple_camera_tags(meta):
    m, t = meta["apple"], media.APPLE
    _common(m, t)
    assert (m.camera_make, m.camera_model) == (t["make"], t["model"])
    assert m.lens_model == t["lens_model"]
    assert m.focal_length_35mm == t["focal_length_35mm"] and m.focal_length is None
    assert m.software == t["software"]
    assert m.camera_serial is None
    assert m.gps_latitude == pytest.approx(t["gps_latitude"]) and m.gps_longitude == pytest.approx(t["gps_longitude"])
    assert m.gps_altitude == pytest.approx(t["gps_altitude"])
    # camera tag (local time with its zone) wins over the container's UTC date, which is 2 s later
    assert m.created_at == datetime.fromisoformat(t["creation_date"])
    assert m.created_at.utcoffset() == timedelta(hours=2)
    assert m.created_at_source == "exiftool:Keys:CreationDate"
    for field in ("camera_make", "camera_model", "lens_model", "gps_latitude", "created_at"):
        assert m.sources[field] == "exiftool", field
    assert m.is_vfr is False


def test_sony_camera_tags(meta):
    m, t = meta["sony"], media.SONY
    _common(m, t)
    assert (m.camera_make, m.camera_model, m.camera_serial) == (t["make"], t["model"], t["serial"])
    assert m.lens_model == t["lens_model"] and m.focal_length == t["focal_length"]
    assert m.focal_length_35mm is None  # no 35 mm-equivalent tag: never guessed from the real focal length
    assert m.created_at == datetime.fromisoformat(t["date_time_original"])
    assert m.created_at_source == "exiftool:UserData:DateTimeOriginal"
    assert m.gps_latitude is None
    assert m.sources["camera_serial"] == "exiftool"


def test_hevc_4k_hdr_colour(meta):
    m = meta["hevc_hdr"]
    _common(m, media.HEVC_HDR)
    assert m.frame_count == 12
    assert m.sources["color_transfer"] == "pyav"
    # MediaInfo agrees, in its own words (mapped to FFmpeg's)
    mv = m.raw["mediainfo"]["video"][0]
    assert (mv["color_primaries"], mv["color_transfer"], mv["color_space"]) == ("bt2020", "smpte2084", "bt2020nc")


def test_hevc_hlg(meta):
    _common(meta["hlg"], media.HLG)


def test_vp9_webm(meta):
    _common(meta["vp9"], media.VP9)


@pytest.mark.parametrize("name", ["mpeg2_ts", "mpeg2_mts"])
def test_mpeg_ts_duration_comes_from_pyav(meta, name):
    m = meta[name]
    _common(m, media.MPEG2_TS, duration_tol=0.05)
    assert m.aspect_ratio == "5:4"
    assert m.sources["duration_seconds"] == "pyav"
    assert m.frame_count == 50
    mi_duration = m.raw["mediainfo"]["general"]["duration"]
    assert mi_duration > m.duration_seconds + 0.05  # MediaInfo's extrapolation is off on TS


def test_mts_is_m2ts(meta):
    assert meta["mpeg2_mts"].raw["mediainfo"]["general"]["format"] == "BDAV"


def test_mpeg4_in_avi(meta):
    m = meta["mpeg4_avi"]
    _common(m, media.MPEG4_AVI)
    assert m.codec_profile == "Simple Profile"


def test_mkv(meta):
    m = meta["mkv"]
    _common(m, media.MKV)
    assert m.frame_count == 25  # PyAV doesn't know it for Matroska; MediaInfo does
    assert m.sources["frame_count"] == "mediainfo"


def test_vfr_detected(meta):
    m, t = meta["vfr"], media.VFR
    assert m.is_vfr is True
    assert m.frame_count == t["frames"]
    assert m.duration_seconds == pytest.approx(t["seconds"], abs=0.05)
    assert m.frame_rate == pytest.approx(t["frames"] / m.duration_seconds, rel=0.01)  # the mean rate
    # both tools see it independently
    assert m.raw["mediainfo"]["video"][0]["frame_rate_mode"] == "VFR"
    assert m.raw["pyav"]["timestamps"]["vfr"] is True


@pytest.mark.parametrize("name", CFR_FIXTURES)
def test_cfr_clips_are_not_vfr(meta, name):
    assert meta[name].is_vfr is False


def test_timecode(meta):
    m = meta["timecode"]
    assert m.timecode == media.TIMECODE["timecode"] and m.sources["timecode"] == "pyav"
    assert meta["cfr"].timecode is None


def test_rotation(meta):
    m = meta["rotated"]
    assert m.rotation == media.ROTATED["rotation"]
    assert (m.width, m.height) == (320, 240)  # coded size, rotation is separate
    assert m.raw["mediainfo"]["video"][0]["rotation"] == 90
    assert meta["cfr"].rotation == 0


def test_every_record_is_complete_and_serialisable(meta):
    for name in VIDEOS:
        m = meta[name]
        for field in ("container", "codec", "width", "height", "frame_rate", "duration_seconds", "bit_depth",
                      "chroma_subsampling", "is_vfr", "aspect_ratio"):
            assert getattr(m, field) not in (None, ""), (name, field)
            assert m.sources[field] in ("pyav", "mediainfo", "exiftool", "derived"), (name, field)
        assert set(m.raw) == {"pyav", "mediainfo", "exiftool"}
        json.dumps(m.raw)
        TechnicalMetadata.model_validate_json(m.model_dump_json())
        assert not [w for w in m.warnings if w.startswith("missing_")], (name, m.warnings)


# ---- damaged and non-video inputs ------------------------------------------------------------------------------------


def test_truncated_copy_still_reads_with_warning(meta):
    m = meta["truncated"]
    assert m.codec == "h264" and (m.width, m.height) == (320, 240)
    assert "truncated" in m.warnings
    assert m.duration_seconds == pytest.approx(1.0, abs=0.05)  # what the header claims


@pytest.mark.parametrize("name", sorted(media.BAD))
def test_bad_inputs(media_corpus, name):
    cls_name, needle = media.BAD[name]
    with pytest.raises(errors.MediaError) as info:
        extract_metadata(str(media_corpus[name]))
    assert type(info.value).__name__ == cls_name
    assert needle in str(info.value).lower()


def test_missing_file(tmp_path):
    with pytest.raises(errors.FileVanishedError):
        extract_metadata(str(tmp_path / "gone.mp4"))


def test_directory_is_unreadable(tmp_path):
    with pytest.raises(errors.UnreadableFileError):
        extract_metadata(str(tmp_path))


def test_permission_denied(tmp_path, media_corpus):
    locked = tmp_path / "locked.mp4"
    shutil.copy(media_corpus["cfr"], locked)
    os.chmod(locked, 0)
    code = ("import sys\nfrom vcat_core.pipeline.metadata import extract_metadata\n"
            "try:\n    extract_metadata(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n")
    prefix = []
    if os.geteuid() == 0:  # root reads anything: drop the override capabilities for the child
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
                  "--inh-caps", "-dac_override,-dac_read_search"]
    out = subprocess.run([*prefix, sys.executable, "-c", code, str(locked)], capture_output=True, text=True,
                         timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.startswith("UnreadableFileError"), out.stdout + out.stderr
    assert "permission denied" in out.stdout


# ---- read-only guarantee ---------------------------------------------------------------------------------------------


def test_reading_never_changes_files(media_corpus):
    def snap():
        return {n: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size)
                for n, p in media_corpus.items()}

    before = snap()
    time.sleep(0.01)
    for path in media_corpus.values():
        try:
            extract_metadata(str(path))
        except errors.MediaError:
            pass
        exiftool.read_tags(path)
    assert snap() == before


# ---- the exiftool process --------------------------------------------------------------------------------------------


def test_exiftool_process_is_reused(media_corpus):
    exiftool.read_tags(media_corpus["apple"])
    pid = exiftool.exiftool_pid()
    starts = exiftool._starts
    assert pid is not None
    for name in ("sony", "prores", "vfr"):
        assert exiftool.read_tags(media_corpus[name])
    extract_metadata(str(media_corpus["mkv"]))
    assert exiftool.exiftool_pid() == pid
    assert exiftool._starts == starts


def test_exiftool_unreadable_files_give_empty_dict(media_corpus, tmp_path):
    assert exiftool.read_tags(media_corpus["empty"]) == {}
    assert exiftool.read_tags(media_corpus["random_bytes"]) == {}
    assert exiftool.read_tags(tmp_path / "missing.mp4") == {}
    tags = exiftool.read_tags(media_corpus["sony"])
    assert tags["UserData:Make"] == "Sony" and str(tags["UserData:SerialNumber"]) == media.SONY["serial"]


def test_exiftool_restarts_after_crash(media_corpus):
    exiftool.read_tags(media_corpus["apple"])
    pid = exiftool.exiftool_pid()
    os.kill(pid, signal.SIGKILL)  # our own child process
    deadline = time.monotonic() + 5
    while exiftool._instance is not None and exiftool._instance._process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    tags = exiftool.read_tags(media_corpus["apple"])
    assert tags.get("Keys:Make") == "Apple"
    new_pid = exiftool.exiftool_pid()
    assert new_pid is not None and new_pid != pid


def _child_read(path: str, queue) -> None:
    tags = exiftool.read_tags(path)
    queue.put((exiftool.exiftool_pid(), tags.get("Keys:Make")))


def test_forked_child_gets_its_own_exiftool(media_corpus):
    exiftool.read_tags(media_corpus["apple"])
    parent_pid = exiftool.exiftool_pid()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_read, args=(str(media_corpus["apple"]), queue))
    proc.start()
    child_et, make = queue.get(timeout=60)
    proc.join(timeout=60)
    assert make == "Apple" and child_et not in (None, parent_pid)
    # the child's exit neither stopped nor confused the parent's process
    assert exiftool.exiftool_pid() == parent_pid
    assert exiftool.read_tags(media_corpus["sony"]).get("UserData:Make") == "Sony"
    _wait_gone(child_et)


def _pool_read(path: str) -> int | None:
    exiftool.read_tags(path)
    return exiftool.exiftool_pid()


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"exiftool {pid} still running after its owner exited")


def test_pool_worker_exiftool_stops_with_the_worker(media_corpus):
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as ex:
        first = ex.submit(_pool_read, str(media_corpus["apple"])).result(timeout=120)
        second = ex.submit(_pool_read, str(media_corpus["sony"])).result(timeout=60)
    assert first is not None and first == second  # one exiftool per worker, reused across tasks
    _wait_gone(first)


# ---- probes and the pure reconcile rules -----------------------------------------------------------------------------


def test_probes_do_not_raise_on_garbage(media_corpus):
    for name in ("random_bytes", "text", "empty", "no_moov"):
        p = pyav_probe.probe(str(media_corpus[name]))
        assert p["ok"] is False and p["error"]
        mediainfo_probe.probe(str(media_corpus[name]))


def test_pyav_probe_uses_sample_index_for_mp4(media_corpus):
    p = pyav_probe.probe(str(media_corpus["prores"]))
    assert p["timestamps"]["source"] == "index"  # no packet reading needed for MOV/MP4
    assert p["first_frame"]["pix_fmt"] == "yuv422p10le"
    ts = pyav_probe.probe(str(media_corpus["mpeg2_ts"]))
    assert ts["timestamps"]["source"] == "packets" and ts["timestamps"]["reached_eof"] is True


def _pv(**video):
    base = {"codec": "h264", "width": 1920, "height": 1080, "average_rate": 25.0, "pix_fmt": "yuv420p",
            "bit_depth": 8, "chroma_subsampling": "4:2:0"}
    base.update(video)
    return {"ok": True, "format": {"name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": 10.0, "metadata": {}},
            "video": [base], "audio": [], "main_video": 0}


def test_reconcile_camera_date_beats_container_date():
    pyav = _pv()
    pyav["format"]["metadata"] = {"creation_time": "2023-06-01T10:00:00.000000Z", "major_brand": "mp42"}
    m = reconcile(pyav, {"ok": True}, {"ExifIFD:DateTimeOriginal": "2023:06:01 11:59:58",
                                        "ExifIFD:OffsetTimeOriginal": "+02:00"})
    assert m.created_at == datetime(2023, 6, 1, 11, 59, 58, tzinfo=timezone(timedelta(hours=2)))
    assert m.created_at_source == "exiftool:ExifIFD:DateTimeOriginal"
    # without a camera tag: the container date, aware UTC
    m2 = reconcile(pyav, {"ok": True}, {})
    assert m2.created_at == datetime(2023, 6, 1, 10, 0, tzinfo=timezone.utc)
    assert m2.created_at_source == "pyav:creation_time" and m2.sources["created_at"] == "pyav"
    assert m2.container == "mp4"
    # a camera tag with no zone stays naive (wall-clock time, zone unknown)
    m3 = reconcile(pyav, {"ok": True}, {"UserData:DateTimeOriginal": "2023:06:01 12:00:00"})
    assert m3.created_at == datetime(2023, 6, 1, 12, 0) and m3.created_at.tzinfo is None


def test_reconcile_duration_rule():
    mi = {"ok": True, "general": {"duration": 12.5, "container": "mp4"}, "video": [{"duration": 10.0}]}
    assert reconcile(_pv(), mi, {}).duration_seconds == 12.5  # container duration: MediaInfo's first
    ts = _pv()
    ts["format"]["name"] = "mpegts"
    mi_ts = {"ok": True, "general": {"duration": 12.5, "container": "mpegts"}}
    m = reconcile(ts, mi_ts, {})
    assert m.duration_seconds == 10.0 and m.sources["duration_seconds"] == "pyav"


def test_reconcile_vfr_rule():
    vfr_by_mi = reconcile(_pv(), {"ok": True, "video": [{"frame_rate_mode": "VFR"}]}, {})
    assert vfr_by_mi.is_vfr is True and vfr_by_mi.sources["is_vfr"] == "mediainfo"
    pv = _pv()
    pv["timestamps"] = {"vfr": True, "source": "packets"}
    vfr_by_pts = reconcile(pv, {"ok": True, "video": [{"frame_rate_mode": "CFR"}]}, {})
    assert vfr_by_pts.is_vfr is True and vfr_by_pts.sources["is_vfr"] == "pyav"
    assert reconcile(_pv(), {"ok": True}, {}).is_vfr is None  # nobody looked


def test_reconcile_falls_back_to_mediainfo_and_flags_missing():
    mi = {"ok": True, "general": {"duration": 3.0, "container": "mxf"},
          "video": [{"codec": "dnxhd", "width": 1920, "height": 1080, "frame_rate": 25.0, "bit_depth": 10,
                     "color_primaries": "bt709", "rotation": 0}]}
    m = reconcile({"ok": False, "error": "x"}, mi, {})
    assert (m.codec, m.width, m.bit_depth, m.color_primaries) == ("dnxhd", 1920, 10, "bt709")
    assert m.sources["codec"] == "mediainfo" and m.aspect_ratio == "16:9" and m.sources["aspect_ratio"] == "derived"
    assert "pyav_failed" in m.warnings and "exiftool_no_tags" in m.warnings
    empty = reconcile({"ok": True, "format": {"name": "mov,mp4,m4a,3gp,3g2,mj2"}, "video": [{}], "audio": []},
                      {"ok": True}, {})
    assert {"missing_codec", "missing_width", "missing_duration", "missing_frame_rate"} <= set(empty.warnings)


def test_reconcile_gps_altitude_below_sea_level():
    exif = {"Composite:GPSLatitude": -33.8688, "Composite:GPSLongitude": 151.2093, "Composite:GPSAltitude": 12.5,
            "Composite:GPSAltitudeRef": 1}
    m = reconcile(_pv(), {"ok": True}, exif)
    assert (m.gps_latitude, m.gps_longitude, m.gps_altitude) == (-33.8688, 151.2093, -12.5)


def test_small_parsers():
    assert format_aspect(__import__("fractions").Fraction(3840, 2160)) == "16:9"
    assert format_aspect(__import__("fractions").Fraction(4096, 2160)) == "1.90:1"
    assert parse_iso6709("+48.8584+002.2945+035.000/") == (48.8584, 2.2945, 35.0)
    assert parse_iso6709("-33.8688+151.2093/") == (-33.8688, 151.2093, None)
    assert parse_date("0000:00:00 00:00:00") is None
    assert parse_date("2024-05-17 12:23:07 UTC") == datetime(2024, 5, 17, 12, 23, 7, tzinfo=timezone.utc)
    assert parse_date("2024-03-02T09:15:30+0900").utcoffset() == timedelta(hours=9)
