"""The TUI's pure parts: the filter bar's language, the ingest dashboard's figures, thumbnail picking, completions,
metadata grouping (including the transcript / analysis sections the later stages will add)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vcat_core.events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    RunFinished,
    RunStarted,
    RunSummary,
    StageFailed,
    StageFinished,
    StageStarted,
)
from vcat_core.models import ClipFilter
from vcat_tui import format as fmt
from vcat_tui.filters import FilterError, describe, parse_filter
from vcat_tui.images import normalise_mode, pick
from vcat_tui.ingest_progress import IngestProgress
from vcat_tui.suggesters import FilterSuggester, complete_directory
from vcat_tui.widgets.metadata_view import metadata_groups
from vcat_tui.widgets.thumbnail_strip import caption, window


def test_filter_language_round_trips():
    f = parse_filter('codec:prores res:4K camera:"iphone 15" min:1m30s max:2h vfr exposure:no tag:b-roll '
                     'tag:"day 2" collection:Selects beach sunset')
    assert f == ClipFilter(codec="prores", resolution="4k", camera="iphone 15", min_duration=90, max_duration=7200,
                           vfr=True, exposure_warning=False, tags=["b-roll", "day 2"], collection="Selects",
                           text="beach sunset")
    assert parse_filter(describe(f)) == f
    assert parse_filter("") == ClipFilter()
    assert parse_filter("cam:sony warn") == ClipFilter(camera="sony", exposure_warning=True)
    assert parse_filter("A001:C003") == ClipFilter(text="A001:C003")  # not a key: a word to find


@pytest.mark.parametrize("text, message", [
    ("colour:red", "unknown filter 'colour'"), ("res:huge", "res: 'huge'"), ("min:soon", "not a duration"),
    ("min:60 max:10", "min is longer than max"), ('camera:"sony', "unbalanced quotes"), ("codec:", "needs a value"),
    ("vfr:maybe", "yes or no"),
])
def test_filter_language_errors(text, message):
    with pytest.raises(FilterError, match=message):
        parse_filter(text)


def test_formatting():
    assert fmt.human_duration(42) == "0:42" and fmt.human_duration(3723) == "1:02:03"
    assert fmt.timestamp(12.44) == "0:12.4" and fmt.timestamp(59.96) == "1:00.0"
    assert fmt.human_bytes(1_234_567) == "1.2 MB" and fmt.human_bytes(None) == "—"
    assert fmt.plural(1, "clip") == "1 clip" and fmt.plural(1200, "clip") == "1,200 clips"


def test_ingest_progress_from_events():
    p = IngestProgress(state="running")
    feed = [RunStarted(run_id=3, roots=["/m"], workers=2)]
    feed += [FileDiscovered(path=f"/m/{i}.mov", size=100) for i in range(4)]
    feed += [DiscoveryFinished(candidates=4, bytes=400, passed_over=0, problems=0)]
    feed += [StageStarted(path="/m/0.mov", stage="fingerprint"), StageFinished(path="/m/0.mov", stage="fingerprint",
                                                                               seconds=2.0)]
    feed += [StageStarted(path="/m/0.mov", stage=s) for s in ("metadata", "thumbnails")]
    feed += [StageFinished(path="/m/0.mov", stage="metadata", seconds=1.0)]
    feed += [StageStarted(path="/m/1.mov", stage="fingerprint"), StageFailed(path="/m/1.mov", stage="fingerprint",
                                                                             error="gone")]
    feed += [ClipDone(path="/m/1.mov", outcome="failed", bytes=100, error="fingerprint: gone")]
    feed += [ClipDone(path="/m/2.mov", outcome="known", bytes=100)]
    for i, ev in enumerate(feed):
        p.apply(ev, float(i))
    now = 30.0
    assert (p.run_id, p.workers, p.total, p.done, p.done_bytes) == (3, 2, 4, 2, 200)
    assert list(p.stages) == ["fingerprint", "metadata", "thumbnails"]
    assert (p.stages["fingerprint"].finished, p.stages["fingerprint"].failed) == (1, 1)
    assert p.current_stage("/m/0.mov") == "thumbnails" and p.workers_busy() == {"thumbnails": 1}
    assert [(f.path, f.stage, f.error) for f in p.failures] == [("/m/1.mov", "fingerprint", "gone")]
    assert p.clips_per_minute(now) == pytest.approx(2 / 30 * 60)
    assert p.eta_seconds(now) == pytest.approx(200 / (200 / 30))
    p.apply(RunFinished(run_id=3, summary=RunSummary(cancelled=True), exit_code=0), 31.0)
    assert p.state == "cancelled" and p.eta_seconds(40.0) is None and not p.in_flight
    assert p.elapsed(100.0) == 31.0


def test_ingest_progress_of_a_run_elsewhere():
    started = datetime(2024, 6, 1, 9, 0, tzinfo=timezone.utc)
    run = {"id": 9, "status": "running", "started_at": started.isoformat(), "finished_at": None, "paths": ["/m"],
           "counts": {"discovered": 50, "candidates": 50, "new": 10, "known": 5, "failed": 1,
                      "bytes_hashed": 3_000_000_000}}
    p = IngestProgress.from_run(run, now_utc=started + timedelta(minutes=2))
    assert p.origin == "elsewhere" and p.done == 16 and p.total == 50 and p.failed == 1
    assert p.elapsed(0) == 120 and p.clips_per_minute(0) == 8.0
    assert p.eta_seconds(0) == pytest.approx(34 / (16 / 120))


def test_pick_thumbnail_variants():
    thumbs = [{"frame_index": f, "width": w, "path": f"{f}_{w}"} for f in (1, 0) for w in (160, 320, 640)]
    assert [t["width"] for t in pick(thumbs, 300).values()] == [320, 320]
    assert list(pick(thumbs, 300)) == [0, 1]
    assert [t["width"] for t in pick(thumbs, 1000).values()] == [640, 640]
    assert [t["width"] for t in pick(thumbs, 100).values()] == [160, 160]


def test_image_modes(monkeypatch):
    assert normalise_mode("kitty") == "tgp" and normalise_mode("HALFCELL") == "halfcell"
    monkeypatch.setenv("VCAT_TUI_IMAGES", "sixel")
    assert normalise_mode(None) == "sixel"
    with pytest.raises(ValueError):
        normalise_mode("ascii-art")


def test_strip_window_and_caption():
    assert list(window(12, 0)) == [0, 1, 2, 3, 4] and list(window(12, 6)) == [4, 5, 6, 7, 8]
    assert list(window(12, 11)) == [7, 8, 9, 10, 11] and list(window(3, 2)) == [0, 1, 2]
    frames = [{"timestamp_seconds": 4.26, "is_keyframe": True,
               "scores": {"exposure": {"exposure_stops": -2.1, "exposure_warning": "underexposed"}}}]
    assert caption(frames, 0) == "frame 1/1 · 0:04.3 · keyframe · -2.1 EV · underexposed"


def test_directory_completion(tmp_path: Path):
    (tmp_path / "footage_2024").mkdir()
    (tmp_path / "footage_2023").mkdir()
    (tmp_path / "footnotes.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    assert complete_directory(str(tmp_path / "foo")) == str(tmp_path / "footage_2023") + "/"
    assert complete_directory(str(tmp_path / "footage_2024")) is None
    assert complete_directory(str(tmp_path / ".hi")) == str(tmp_path / ".hidden") + "/"
    assert complete_directory(str(tmp_path / "nothing")) is None


def test_filter_completion():
    s = FilterSuggester()
    s.values.update(codec=["prores", "h264"], camera=["Sony ILCE-7M4"])
    get = lambda v: asyncio.run(s.get_suggestion(v))  # noqa: E731
    assert get("co") == "codec:" and get("vf") == "vfr"
    assert get("beach codec:pr") == "beach codec:prores"
    assert get('camera:"so') == 'camera:"sony ILCE-7M4"'  # values with spaces complete once quoted
    assert get("res:10") == "res:1080p"
    assert get("codec:xyz") is None


def test_metadata_groups_and_later_sections():
    doc = {"file_path": "/m/a.mov", "file_size_bytes": 2_000_000, "status": "ready",
           "technical_metadata": {"codec": "h264", "resolution_width": 1920, "resolution_height": 1080,
                                  "frame_rate": 25.0, "color_primaries": "bt709", "exposure_issue": None,
                                  "exposure_warning": False},
           "metadata_sources": {"codec": "pyav", "width": "pyav"}, "locations": [
               {"path": "/m/a.mov", "online": True}, {"path": "/n/a.mov", "online": False}]}
    groups = dict(metadata_groups(doc))
    assert list(groups) == ["File", "Video", "Color", "Camera", "Audio", "Exposure"]
    assert ("codec", "h264", "pyav") in groups["Video"] and ("resolution", "1920x1080", "pyav") in groups["Video"]
    assert ("also at", "/n/a.mov  (offline)", None) in groups["File"]
    assert groups["Camera"] == [] and ("warning", "none", None) in groups["Exposure"]
    doc["transcript"] = {"language": "en", "segments": [{"start": 1.0, "end": 2.0, "text": " Rolling.",
                                                         "speaker": "A"}]}
    doc["analysis"] = {"summary": "A beach at dawn.", "keywords": ["beach", "dawn"], "sentiment": None}
    groups = dict(metadata_groups(doc))
    assert groups["Transcript"] == [("language", "en", None), ("0:01.0", "A: Rolling.", None)]
    assert groups["Analysis"] == [("summary", "A beach at dawn.", None), ("keywords", "beach, dawn", None)]
