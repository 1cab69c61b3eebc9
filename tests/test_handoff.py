"""Hand-off to the edit: timelines written by `vcat-core export` and read back through OpenTimelineIO's own
adapters (clip count, order, in/out and markers to the frame at 23.976, 24, 25, 29.97 DF and 50 fps), FCPXML
checked element by element against the published structure (no DTD ships in any package), EDL events parsed back,
SRT/VTT parsed back with exact times, contact sheets that open."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import opentimelineio as otio
import pytest
import srt
import webvtt
from opentimelineio.opentime import from_timecode

from vcat_core.handoff.selects import make_select
from vcat_core.handoff.subtitles import transcript_text
from vcat_core.handoff.timeline import TimelineOptions, build_timeline, timeline_text
from vcat_core.models import ClipFilter
from vcat_core.service import open_catalog

from . import media
from .helpers import run_cli, snapshot_tree

# (tag, fps as encoded, exact OTIO rate, source timecode written into the file, frames)
RATES = [
    ("r2398", Fraction(24000, 1001), 24000 / 1001, "01:00:00:00", 13),
    ("r24", Fraction(24), 24.0, None, 12),
    ("r25", Fraction(25), 25.0, "10:00:00:00", 13),
    ("r2997", Fraction(30000, 1001), 30000 / 1001, "00:59:59;28", 16),
    ("r50", Fraction(50), 50.0, "23:59:59:00", 26),
]
ADAPTERS = {"xmeml": "fcp_xml", "edl": "cmx_3600", "otio": "otio_json", "fcpxml": "fcpx_xml"}


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    """Five tiny clips, one per rate, catalogued (quick depth) and tagged by rate; originals snapshotted."""
    root = tmp_path_factory.mktemp("handoff")
    src = root / "footage"
    src.mkdir()
    for tag, fps, _rate, tc, frames in RATES:
        media.make_clip(src / f"{tag}.mov", fps=fps, frames=frames, width=160, height=96, format="mov",
                        metadata={"timecode": tc} if tc else None, codec_options={"preset": "ultrafast"})
    before = snapshot_tree(src)
    cat = root / "cat"
    r = run_cli(cat, "ingest", str(src), "--thumbnails", "2", "--json", VCAT_ANALYSIS_DEPTH="quick")
    assert r.code == 0, r.stderr
    for tag, *_ in RATES:
        assert run_cli(cat, "tag", "add", tag, str(src / f"{tag}.mov")).code == 0
    _store_transcript(cat, src / "r50.mov", SPOKEN)  # what the transcribe stage stores (test pattern: no speech)
    assert run_cli(cat, "reindex").code == 0  # its words into the search index
    return {"src": src, "cat": cat, "before": before}


SPOKEN = [{"start": 0.04, "end": 0.2, "text": " We cut the budget in half.", "speaker": "SPEAKER_1"},
          {"start": 0.3, "end": 0.46, "text": " Nobody noticed.", "speaker": "SPEAKER_2"}]


def _store_transcript(cat: Path, path: Path, segments: list[dict]) -> None:
    from sqlmodel import Session

    from vcat_core.store.catalog import CatalogStore
    from vcat_core.store.tables import TranscriptRow

    store = CatalogStore.open_dir(cat)
    try:
        with Session(store.writer) as s, s.begin():
            s.add(TranscriptRow(clip_id=store.find_clip_id(str(path)), language="en", segments=segments,
                                text=" ".join(x["text"].strip() for x in segments), model="test",
                                speakers={"count": 2}))
    finally:
        store.close()


def _expected(tag: str):
    _, _fps, rate, tc, frames = next(r for r in RATES if r[0] == tag)
    start = from_timecode(tc, rate).value if tc else 0
    return rate, int(start), frames


def _read_back(path: Path, fmt: str, rate: float):
    return otio.adapters.read_from_file(str(path), ADAPTERS[fmt], **({"rate": rate} if fmt == "edl" else {}))


@pytest.mark.parametrize("fmt", ["xmeml", "edl", "otio", "fcpxml"])
def test_timeline_export_reads_back_frame_exact_at_each_rate(footage, tmp_path: Path, fmt: str):
    """One timeline of all five rates (an EDL has one rate, FCPXML conforms to the sequence's: one file per rate)."""
    cat = footage["cat"]
    per_rate = fmt in ("edl", "fcpxml")
    exports = [(tags, tmp_path / f"{'-'.join(tags)}.{fmt}")
               for tags in ([[r[0]] for r in RATES] if per_rate else [[r[0] for r in RATES]])]
    got: dict[str, tuple] = {}
    for tags, out in exports:
        if per_rate:  # through the service (the CLI path of these formats: the two tests below)
            with open_catalog(catalog=cat) as catalog:
                catalog.export_selects(catalog.handoff_selects(ClipFilter(tags=tags)), fmt, out)
        else:
            r = run_cli(cat, "export", "--format", fmt, "-o", str(out))
            assert r.code == 0, r.stderr
            assert f"wrote {len(tags)} clip(s)" in r.stdout
        if fmt == "fcpxml":
            # OTIO's fcpx_xml adapter reads rates as integers: every rate checked exactly from the XML itself,
            # whole-number rates also through the adapter
            for c in _fcpxml_clips(out):
                got[c["name"]] = (None, c["start"], c["duration"])
            for c in otio.adapters.read_from_file(str(out), "fcpx_xml").find_clips():
                rate = _expected(c.name.removesuffix(".mov"))[0]
                if rate == round(rate):
                    assert (c.source_range.start_time.value, c.source_range.duration.value) == got[c.name][1:]
            continue
        rate = _expected(tags[0])[0]
        for c in _read_back(out, fmt, rate).find_clips():
            got[c.name] = (c.source_range.start_time.rate, round(c.source_range.start_time.value),
                           round(c.source_range.duration.value))
            if fmt in ("otio", "xmeml"):
                assert c.media_reference.target_url == (footage["src"] / c.name).as_uri()
    assert list(got) == [f"{r[0]}.mov" for r in RATES]  # all clips, in export order
    for tag, *_ in RATES:
        rate, start, frames = _expected(tag)
        clip_rate, clip_start, clip_frames = got[f"{tag}.mov"]
        assert clip_rate is None or abs(clip_rate - rate) < 1e-9, tag
        assert (clip_start, clip_frames) == (start, frames), tag
    assert snapshot_tree(footage["src"]) == footage["before"]  # originals untouched


def _fcpxml_clips(path: Path) -> list[dict]:
    """Asset-clips of an FCPXML in frames of their own format (exact rationals)."""
    root = ET.parse(path).getroot()
    formats = {f.get("id"): _sec(f.get("frameDuration")) for f in root.iter("format")}
    out = []
    for ac in root.iter("asset-clip"):
        fd = formats[ac.get("format")]
        out.append({"name": ac.get("name"), "start": _sec(ac.get("start")) / fd,
                    "duration": _sec(ac.get("duration")) / fd,
                    "offset": _sec(ac.get("offset")), "ref": ac.get("ref"),
                    "markers": [(_sec(m.get("start")) / fd, m.get("value")) for m in ac.findall("marker")]})
    return out


def _sec(text: str) -> Fraction:
    return Fraction(text[:-1]) if text and text != "0s" else Fraction(0)


def test_fcpxml_follows_the_published_structure(footage, tmp_path: Path):
    out = tmp_path / "all.fcpxml"
    r = run_cli(footage["cat"], "export", "--format", "fcpxml", "-o", str(out), "--root", str(footage["src"]))
    assert r.code == 0, r.stderr
    text = out.read_text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>')
    root = ET.fromstring(text.split("\n", 2)[2])  # well-formed
    assert root.tag == "fcpxml" and root.get("version") == "1.9"
    assert [c.tag for c in root] == ["resources", "library"]
    resources = root.find("resources")
    ids = [e.get("id") for e in resources]
    assert len(ids) == len(set(ids)) and all(e.tag in ("format", "asset") for e in resources)
    for fmt in resources.findall("format"):
        assert fmt.get("frameDuration").endswith("s") and fmt.get("name")
    for asset in resources.findall("asset"):
        assert [c.tag for c in asset] == ["media-rep"]  # <!ELEMENT asset (media-rep+, metadata?)>
        assert asset.get("format") in ids and asset.find("media-rep").get("kind") == "original-media"
        assert asset.find("media-rep").get("src") == asset.get("name")  # relative to --root (the footage folder)
    seq = root.find("library/event/project/sequence")
    assert seq.get("format") in ids and seq.get("tcFormat") in ("DF", "NDF")
    assert [c.tag for c in seq] == ["spine"]
    seq_frame = _sec(next(f for f in resources.findall("format") if f.get("id") == seq.get("format"))
                     .get("frameDuration"))
    assert seq_frame == Fraction(1001, 24000)  # the first clip's rate
    clips = _fcpxml_clips(out)
    assert len(clips) == len(RATES)
    assert sorted(c["name"] for c in clips) == [c["name"] for c in clips]  # export order: by name
    offset = Fraction(0)
    for c, ac in zip(clips, seq.find("spine")):
        assert ac.tag == "asset-clip" and ac.get("ref") in ids and ac.get("duration")
        assert c["offset"] == offset  # clips butt-joined in order, on the sequence's frame grid
        duration = _sec(ac.get("duration"))
        assert (duration / seq_frame).denominator == 1
        offset += duration
        tag = c["name"].removesuffix(".mov")
        rate, start, frames = _expected(tag)
        assert c["start"] == start  # source in: the clip's own frames
        assert duration / seq_frame == round(Fraction(frames) / Fraction(rate).limit_denominator(1001) / seq_frame)
        assert ac.get("tcFormat") == ("DF" if tag == "r2997" else "NDF")
        assert (start, f"tag: {tag}") in c["markers"]
    assert _sec(seq.get("duration")) == offset


def test_edl_has_reels_fcm_and_events(footage, tmp_path: Path):
    out = tmp_path / "df.edl"
    assert run_cli(footage["cat"], "export", "--format", "edl", "--tag", "r2997", "-o", str(out)).code == 0
    text = out.read_text()
    assert "FCM: DROP FRAME" in text
    event = next(line for line in text.splitlines() if line.startswith("001"))
    parts = event.split()
    assert parts[1] == "R2997" and parts[2] == "V" and parts[3] == "C"
    rate, start, frames = _expected("r2997")
    assert parts[4] == "00:59:59;28" and from_timecode(parts[4], rate).value == start  # drop-frame source in
    assert from_timecode(parts[5], rate).value - from_timecode(parts[4], rate).value == frames
    assert "* LOC: 00:59:59;28 GREEN   TAG: R2997" in text  # marker (the adapter reads DF locators as nothing)


def test_search_moments_markers_and_proxies_in_process(footage, tmp_path: Path):
    """A select cut to a moment keeps only the markers inside it; transcript segments, shots, tags and the moment
    come back from the .otio and the xmeml with their text at the right frame; --proxies takes a proxy beside the
    original and says when there is none."""
    proxy_dir = footage["src"] / "Proxy"
    with open_catalog(catalog=footage["cat"]) as catalog:
        selects = catalog.handoff_selects(ClipFilter(tags=["r25"]))
        assert len(selects) == 1
        sel = selects[0]
        sel.doc["transcript"] = {"segments": [
            {"start_seconds": 0.12, "end_seconds": 0.28, "text": "first line", "speaker": "SPEAKER_1"},
            {"start_seconds": 0.44, "end_seconds": 0.5, "text": "outside", "speaker": None}]}
        sel.doc["shots"] = [{"start_seconds": 0.0}, {"start_seconds": 0.2}]
        moment = {"start_seconds": 0.08, "end_seconds": 0.36, "snippet": "first line"}
        cut = make_select(sel.doc, moment)
        assert (cut.in_frame, cut.out_frame) == (2, 9)
        for fmt in ("otio", "xmeml"):
            out = tmp_path / f"m.{fmt}"
            report = catalog.export_selects([cut], fmt, out, proxies=True)
            assert report.warnings and "no proxy" in report.warnings[0]
            clip = _read_back(out, fmt, 25.0).find_clips()[0]
            base = 10 * 3600 * 25
            assert (clip.source_range.start_time.value, clip.source_range.duration.value) == (base + 2, 7)
            got = sorted((m.marked_range.start_time.value - base, m.name) for m in clip.markers)
            assert got == sorted([(2, "search: first line"), (2, "tag: r25"), (3, "SPEAKER_1: first line"),
                                  (5, "shot 2")])
        proxy_dir.mkdir()
        (proxy_dir / "r25.mov").write_bytes(b"proxy")
        report = catalog.export_selects([cut], "otio", tmp_path / "p.otio", proxies=True)
        assert not report.warnings
        clip = _read_back(tmp_path / "p.otio", "otio", 25.0).find_clips()[0]
        assert clip.media_reference.target_url == (proxy_dir / "r25.mov").as_uri()
        catalog.export_selects([cut], "fcpxml", tmp_path / "p.fcpxml", proxies=True)
        reps = ET.parse(tmp_path / "p.fcpxml").getroot().findall("resources/asset/media-rep")
        assert [(r.get("kind"), r.get("src")) for r in reps] == [
            ("original-media", (footage["src"] / "r25.mov").as_uri()),
            ("proxy-media", (proxy_dir / "r25.mov").as_uri())]
    (proxy_dir / "r25.mov").unlink()
    proxy_dir.rmdir()


def test_search_hits_become_subclips_cut_to_their_moment(footage, tmp_path: Path):
    """`--search`: the hit that matched a transcript line is a subclip of that line, in/out on its frames, with
    the moment and the line as markers."""
    out = tmp_path / "hits.otio"
    r = run_cli(footage["cat"], "export", "--format", "otio", "--search", "budget cut", "-o", str(out))
    assert r.code == 0, r.stderr
    clips = otio.adapters.read_from_file(str(out)).find_clips()
    assert clips[0].name == "r50.mov"
    rate, start, _frames = _expected("r50")
    seg = SPOKEN[0]
    first, last = round(seg["start"] * rate), round(seg["end"] * rate)
    c = clips[0]
    assert (c.source_range.start_time.value, c.source_range.duration.value) == (start + first, last - first)
    markers = sorted((m.marked_range.start_time.value - start, m.name) for m in c.markers)
    assert markers == [(first, "SPEAKER_1: We cut the budget in half."), (first, "search: We cut the budget in half."),
                       (first, "tag: r50")]


def test_contact_sheets(footage, tmp_path: Path):
    cat = footage["cat"]
    for fmt, magic in (("pdf", b"%PDF"), ("png", b"\x89PNG")):
        sheet = tmp_path / f"sheet.{fmt}"
        r = run_cli(cat, "export", "--format", fmt, "-o", str(sheet), "--name", "Day 1 selects")
        assert r.code == 0, r.stderr
        assert sheet.read_bytes()[:4] == magic
    pdf = (tmp_path / "sheet.pdf").read_bytes()
    assert pdf.count(b"/Subtype /Image") >= len(RATES)  # thumbnails embedded
    from PIL import Image
    with Image.open(tmp_path / "sheet.png") as im:
        assert im.height > 60 + 150 * len(RATES)
    bad = run_cli(cat, "export", "--format", "fcpxml")
    assert bad.code == 2 and "-o FILE" in bad.stderr
    bad = run_cli(cat, "export", "--format", "json", "--search", "r50")
    assert bad.code == 2 and "search" in bad.stderr


def test_long_png_sheet_continues_on_more_pages(tmp_path: Path, monkeypatch):
    from PIL import Image

    from vcat_core.handoff import contact_sheet

    monkeypatch.setattr(contact_sheet, "ROWS_PER_PNG", 2)
    docs = [{"id": i, "file_name": f"c{i}.mov", "technical_metadata": {"frame_rate": 25.0, "duration_seconds": 2.0}}
            for i in range(5)]
    files = contact_sheet.write_contact_sheet([make_select(d) for d in docs], "png", tmp_path / "s.png", "t")
    assert [f.name for f in files] == ["s.png", "s-2.png", "s-3.png"]
    heights = [Image.open(f).height for f in files]
    assert heights[0] == heights[1] > heights[2]  # 2, 2 and 1 rows


def test_subtitles_parse_back_with_exact_times(footage):
    doc = {"id": 1, "file_name": "a.mov", "transcript": {"language": "en", "speakers": 2, "segments": [
        {"start_seconds": 0.0, "end_seconds": 1.234, "text": " Hello there.", "speaker": "SPEAKER_1"},
        {"start_seconds": 61.5, "end_seconds": 3725.007, "text": "Long answer", "speaker": None}]}}
    subs = list(srt.parse(transcript_text(doc, "srt")))
    assert [(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in subs] == [
        (0.0, 1.234, "SPEAKER_1: Hello there."), (61.5, 3725.007, "Long answer")]
    vtt = webvtt.from_string(transcript_text(doc, "vtt"))
    assert [(c.start, c.end, c.voice, c.text)
            for c in vtt] == [("00:00:00.000", "00:00:01.234", "SPEAKER_1", "Hello there."),
                              ("00:01:01.500", "01:02:05.007", None, "Long answer")]
    assert json.loads(transcript_text(doc, "json"))["segments"][1]["end_seconds"] == 3725.007
    assert transcript_text(doc, "txt").splitlines()[0] == "[00:00:00.000] SPEAKER_1: Hello there."
    r = run_cli(footage["cat"], "transcript", str(footage["src"] / "r50.mov"), "--format", "srt")
    assert r.code == 0, r.stderr
    assert [(x.start.total_seconds(), x.end.total_seconds(), x.content) for x in srt.parse(r.stdout)] == [
        (seg["start"], seg["end"], f"{seg['speaker']}: {seg['text'].strip()}") for seg in SPOKEN]
    r = run_cli(footage["cat"], "transcript", str(footage["src"] / "r25.mov"), "--format", "vtt")
    assert r.code == 0 and r.stdout.strip() == "WEBVTT"  # no speech in this one: an empty track
    assert run_cli(footage["cat"], "transcript", "nope", "--format", "srt").code == 1


def test_every_listed_rate_in_one_timeline_synthetic():
    """Synthetic rows (no media needed): mixed rates on one timeline keep each clip's own rate and timecode."""
    docs = [{"id": i, "file_name": f"{tag}.mov", "file_path": f"/m/{tag}.mov", "tags": [],
             "technical_metadata": {"frame_rate": float(fps), "timecode": tc, "frame_count": frames}}
            for i, (tag, fps, _r, tc, frames) in enumerate(RATES)]
    tl, _ = build_timeline([make_select(d) for d in docs], TimelineOptions())
    back = otio.adapters.read_from_string(timeline_text(tl, "otio"), "otio_json")
    for clip, (tag, *_r) in zip(back.find_clips(), RATES):
        rate, start, frames = _expected(tag)
        assert clip.source_range.start_time.rate == rate
        assert (clip.source_range.start_time.value, clip.source_range.duration.value) == (start, frames)


def test_source_timecode_counting_is_kept():
    """29.97 with colons is non-drop (as many cameras record), with a semicolon drop frame; no timecode: zero.
    The frame count of the start is what the timecode names in its own counting."""
    from vcat_core.handoff.timing import source_timing

    def timing(tc, fps=30000 / 1001):
        return source_timing({"technical_metadata": {"frame_rate": fps, "timecode": tc}})

    ndf, df, none = timing("01:00:00:00"), timing("01:00:00;00"), timing(None)
    assert (ndf.frames, ndf.drop_frame, ndf.source) == (108000, False, "catalog")
    assert (df.frames, df.drop_frame) == (107892, True)
    assert (none.frames, none.source, none.drop_frame) == (0, "default", True)
    assert timing("10:00:00:00", 25.0).frames == 900000 and timing("bad", 25.0).source == "default"
    assert timing("00:00:01:00", 23.976).rate == 24000 / 1001


def test_a_registered_timecode_source_comes_first(monkeypatch):
    """The camera-card work plugs its sidecar timecode in front of the catalog's field."""
    from opentimelineio.opentime import RationalTime

    from vcat_core.handoff import timing as st

    monkeypatch.setattr(st, "_SOURCES", list(st._SOURCES))
    doc = {"technical_metadata": {"frame_rate": 25.0, "timecode": "01:00:00:00"}}
    st.register_timing_source("sidecar", lambda d, rate: st.SourceTiming(RationalTime(250, rate), rate, False,
                                                                         "sidecar") if d.get("card") else None)
    assert st.source_timing(doc).source == "catalog"  # the sidecar source has nothing for it
    assert (st.source_timing({**doc, "card": 1}).frames, st.source_timing({**doc, "card": 1}).source) == (
        250, "sidecar")
