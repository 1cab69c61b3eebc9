"""Camera cards as cameras write them, driven through `vcat-core` like a user: spanned recordings as one clip, XML
and XMP sidecars with provenance, source timecode exact to the frame, HDR / log facets, camera raw that cannot be
decoded here, originals untouched; plus the pure pieces (timecode arithmetic, layout plans, sidecar parsing)."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from vcat_core.models import (
    Candidate,
    ClipAnalysis,
    ClipFilter,
    ClipPart,
    FingerprintResult,
    TechnicalMetadata,
)
from vcat_core.pipeline.cards.layouts import plan_folder
from vcat_core.pipeline.cards.sidecars import log_profile, parse_sidecar
from vcat_core.pipeline.metadata.timecode import format_timecode, parse_timecode
from vcat_core.store.catalog import CatalogStore

from . import card_media as cm
from . import media
from .helpers import run_cli

FAST = ("--skip-audio", "--skip-ai", "--thumbnails", "6")

# start timecodes written into plain files, one per rate: (file, rate, timecode, frames since midnight)
RATES = [
    ("tc_23976.mov", Fraction(24000, 1001), "00:59:59:23", 86399),
    ("tc_25.mxf", Fraction(25), "10:00:00:12", 900012),
    ("tc_2997df.mov", Fraction(30000, 1001), "01:00:00;00", 107892),
    ("tc_5994df.mp4", Fraction(60000, 1001), "00:09:59;58", 35962),
]


# ---- the pure pieces ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rate,drop", [(Fraction(24000, 1001), False), (Fraction(25), False),
                                       (Fraction(30000, 1001), True), (Fraction(60000, 1001), True)])
def test_timecode_round_trips_every_frame_of_two_hours(rate, drop):
    nominal = round(rate)
    last = None
    for frame in range(0, 2 * 3600 * nominal, 7):
        text = format_timecode(frame, rate, drop)
        tc = parse_timecode(text, rate)
        assert tc.frame == frame and tc.drop_frame == drop and str(tc) == text
        assert last is None or text > last  # labels only ever grow (drop-frame skips labels, never goes back)
        last = text
    if drop:  # the labels drop-frame skips do not exist; minute ten keeps them
        assert format_timecode(parse_timecode("00:00:59;29", rate).frame + 1, rate, True) == \
            ("00:01:00;02" if nominal == 30 else "00:00:59;30")
        assert str(parse_timecode("00:09:59;59", Fraction(60000, 1001)).plus(1)) == "00:10:00;00"


def test_drop_frame_known_values():
    ntsc = Fraction(30000, 1001)
    assert parse_timecode("01:00:00;00", ntsc).frame == 107892  # one hour of 29.97 DF is 107,892 frames
    assert parse_timecode("00:10:00;00", ntsc).frame == 17982
    assert parse_timecode("01:00:00:00", ntsc).drop_frame is False  # ':' means non-drop
    assert parse_timecode("01:00:00;00", 25).drop_frame is False  # no drop-frame at 25
    assert parse_timecode("25:00:00:00", 25) is None or parse_timecode("00:00:00:25", 25) is None


def test_ordinary_folders_get_no_plan():
    assert plan_folder("/footage/2024/trip", ["a.mp4", "b.mov", "notes.txt"]) is None
    assert plan_folder("/x/DCIM/100GOPRO", ["GX010001.MP4"]).layout == "gopro"
    assert plan_folder("/x/PRIVATE/M4ROOT/CLIP", ["C0001.MP4"]).layout == "xavc"
    assert plan_folder("/x/CONTENTS/VIDEO", ["0001AB.MXF"]).layout == "p2"
    assert plan_folder("/x/PRIVATE/AVCHD/BDMV/STREAM", ["00000.MTS"]).layout == "avchd"


def test_gopro_names_make_spans_and_name_the_missing_chapter():
    names = ["GX010042.MP4", "GX030042.MP4", "GL010042.LRV", "GX010042.THM", "GOPR0007.MP4", "GP010007.MP4"]
    plan = plan_folder("/card/DCIM/100GOPRO", names)
    assert plan.spans["GX010042.MP4"] == ("GX0042", 1) and plan.spans["GX030042.MP4"] == ("GX0042", 3)
    assert plan.expected["GX0042"] == ["GX010042.MP4", "GX020042.MP4", "GX030042.MP4"]
    assert plan.spans["GOPR0007.MP4"][0] == plan.spans["GP010007.MP4"][0]  # HERO5-era naming
    assert "GL010042.LRV" in plan.skip  # the camera's proxy is not footage of its own
    assert plan_folder("/c/DCIM/101GOPRO", ["GX020050.MP4"]).expected["GX0050"] == ["GX010050.MP4", "GX020050.MP4"]
    red = plan_folder("/c/A001_C001.RDC", ["A001_C001_002.R3D", "A001_C001_003.R3D"])
    assert red.expected["R3D:A001_C001"][0] == "A001_C001_001.R3D"  # a first part that never arrived


def test_sidecars_parse_with_their_schema():
    sony = parse_sidecar("C0001M01.XML", cm.sony_xml("01:16:07;15", "29.97p", 15).encode())
    assert sony.kind == "sony_xml"
    v = sony.values
    assert (v["camera_make"], v["camera_model"], v["camera_serial"]) == ("Sony", "ILCE-7SM3", "5551234")
    assert v["lens_model"] == cm.SONY["lens"] and v["iso"] == 12800 and v["log_profile"] == "S-Log3"
    assert v["timecode"] == "01:16:07;15" and v["drop_frame"] is True and v["rate"] == Fraction(30000, 1001)
    assert v["created_at"].isoformat() == "2024-03-02T09:15:30+09:00"  # with its zone
    p2 = parse_sidecar("0001AB.XML", cm.p2_xml("0001AB", "12:00:00:00", False, "50p", "A1", next_="A2").encode())
    assert p2.kind == "p2_xml" and p2.values["camera_serial"] == "C9TA00123" and p2.values["gamma"] == "V-Log"
    assert p2.connection["next"] == "A2"
    canon = parse_sidecar("AA0001.XML", cm.canon_xml("05:00:00:00").encode())
    assert canon.kind == "canon_xml" and canon.values["lens_model"] == cm.CANON["lens"]
    assert log_profile(canon.values["gamma"]) == "C-Log3"
    assert parse_sidecar("x.xml", b"<html><body/></html>") is None
    assert parse_sidecar("x.xml", b"<NonRealTimeMeta><unclosed") is None


def test_clip_parts_and_timecodes_on_both_backends(store_url):
    """A spanned clip's parts and its typed start timecode round-trip through SQLite and Postgres."""
    parts = [Candidate(path=f"/card/GX0{i}0042.MP4", size=100, mtime_ns=1, inode=i, device=1) for i in (1, 2)]
    head = parts[0].model_copy(update={"size": 200, "parts": parts})
    md = TechnicalMetadata(codec="h264", duration_seconds=2.0, frame_rate=29.97, timecode="01:00:00;00",
                           timecode_frame=107892, timecode_rate_num=30000, timecode_rate_den=1001,
                           timecode_drop_frame=True, part_count=2,
                           parts=[ClipPart(index=0, path=parts[0].path, size=100, duration_seconds=1.0,
                                           timecode="01:00:00;00", timecode_frame=107892),
                                  ClipPart(index=1, path=parts[1].path, size=100, duration_seconds=1.0,
                                           offset_seconds=1.0, timecode="01:00:01;00", timecode_frame=107922)])
    store = CatalogStore(store_url)
    cid, _ = store.save_analysis(ClipAnalysis(candidate=head, metadata=md, fingerprint=FingerprintResult(
        algorithm="xxh3_128", digest="span1", size=200, parts=["a", "b"])))
    tc = store.source_timecodes([cid])[cid]
    assert tc.timecode == "01:00:00;00" and tc.rate == Fraction(30000, 1001) and tc.drop_frame
    assert [p.path for p in tc.parts] == [p.path for p in parts]
    assert str(tc.at(1.5)) == "01:00:01;15"  # inside part 2, from part 2's own timecode
    assert sorted(store.lookup_locations([p.path for p in parts])) == sorted(p.path for p in parts)
    # the HDR / log facets filter the same on both back ends
    for i, (hdr, log_name) in enumerate([("PQ", None), (None, "S-Log3"), ("HLG", "HLG")]):
        one = Candidate(path=f"/facets/{i}.mov", size=10, mtime_ns=1, inode=100 + i, device=1)
        store.save_analysis(ClipAnalysis(candidate=one, fingerprint=FingerprintResult(
            algorithm="xxh3_128", digest=f"facet{i}", size=10), metadata=TechnicalMetadata(
            codec="hevc", hdr_format=hdr, log_profile=log_name, gamma=log_name and log_name.lower())))
    names = lambda **f: sorted(c.name for c in store.list_clips(ClipFilter(path_prefix="/facets/", **f)))  # noqa
    assert names(hdr=True) == ["0.mov", "2.mov"] and names(hdr=False) == ["1.mov"]
    assert names(log=True) == ["1.mov"] and names(log=False) == ["0.mov", "2.mov"]
    assert names(gamma="slog3") == ["1.mov"] and names(gamma="S-LOG 3") == ["1.mov"] and names(gamma="hlg") == \
        ["2.mov"]


# ---- a whole card bag, ingested once -----------------------------------------------------------------------------

def _mts_with_gop_timecode(path: Path) -> Path:
    """MPEG-2 in M2TS with a drop-frame GOP timecode (what HDV / AVCHD-era cameras write), via the ffmpeg CLI."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30000/1001",
                    "-t", "0.5", "-c:v", "mpeg2video", "-timecode", "02:00:00;02", "-f", "mpegts",
                    "-mpegts_m2ts_mode", "1", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def cards(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("cards")
    made = {
        "gopro": cm.make_gopro_card(root / "gopro_card"),
        "gopro_gap": cm.make_gopro_card(root / "gopro_gap", number="0043", chapters=3, skip=(2,)),
        "sony": cm.make_sony_card(root / "sony_card"),
        "p2": cm.make_p2_card(root / "p2_card"),
        "canon": cm.make_canon_xf_card(root / "canon_card"),
        "avchd": cm.make_avchd_card(root / "avchd_card"),
        "braw": cm.make_braw(root / "bmpcc" / "A001_08151200_C001.braw"),
        "r3d": [cm.make_braw(root / "RED" / "A001_C002_0101XY.RDC" / f"A001_C002_0101XY_00{i}.R3D") for i in (1, 2)],
        "hdr": cm.make_hdr10(root / "grading" / "hdr10.mp4"),
        "hlg": media.make_hlg(root / "grading"),
    }
    cm.tc_clip(root / "sony_card" / "PRIVATE" / "M4ROOT" / "SUB" / "C0001S03.MP4", None, fps=30, seconds=0.5)
    made["edit"] = cm.tc_clip(root / "edit" / "interview.mov", "01:00:00:00", fps=25, seconds=0.8)
    cm.tc_clip(root / "edit" / "Proxy" / "interview_Proxy.mov", "01:00:00:00", fps=25, seconds=0.8)
    xmp_clip = cm.tc_clip(root / "selects" / "ceo.mp4", None, fps=25, seconds=0.4)
    cm.xmp_sidecar(root / "selects" / "ceo.xmp")
    made["xmp"] = xmp_clip
    for name, rate, tc, _ in RATES:
        fmt, codec = ("mxf", "mpeg2video") if name.endswith(".mxf") else (None, "libx264")
        made[name] = cm.tc_clip(root / "rates" / name, tc, fps=rate, seconds=0.3, codec=codec, fmt=fmt)
    made["tc_mts"] = _mts_with_gop_timecode(root / "rates" / "tc_2997df.mts")
    before = cm.snapshot(root)
    catalog = tmp_path_factory.mktemp("catalog") / "cat"
    result = run_cli(catalog, "ingest", str(root), *FAST)
    # `list --json` prints every clip in `show --json`'s detail (sources, stages, parts): one call for all
    docs = {Path(d["file_path"]).name: d for d in run_cli(catalog, "list", "--json").json()}
    return {"root": root, "made": made, "catalog": catalog, "result": result, "docs": docs, "before": before}


def _show(cards, name: str) -> dict:
    return cards["docs"][name]


def test_card_ingest_succeeds_and_leaves_originals_untouched(cards):
    assert cards["result"].code == 0, cards["result"].stderr
    assert cm.snapshot(cards["root"]) == cards["before"]
    assert "no failures" in run_cli(cards["catalog"], "failures").stdout


def test_gopro_chapters_are_one_clip(cards):
    docs = cards["docs"]
    assert [n for n in docs if n.startswith(("GX02", "GX03", "GL"))] == []  # no chapter or proxy on its own
    doc = _show(cards, "GX010042.MP4")
    assert doc["duration_seconds"] == pytest.approx(3.0, abs=1e-6)  # 3 × 25 frames at 25 fps
    assert doc["technical_metadata"]["part_count"] == 3 and doc["technical_metadata"]["frame_count"] == 75
    parts = [p for p in doc["parts"] if p["role"] == "part"]
    assert [Path(p["path"]).name for p in parts] == ["GX010042.MP4", "GX020042.MP4", "GX030042.MP4"]
    assert [p["offset_seconds"] for p in parts] == pytest.approx([0.0, 1.0, 2.0])
    assert [p["timecode"] for p in parts] == ["10:00:00:00", "10:00:01:00", "10:00:02:00"]
    assert sorted(Path(loc["path"]).name for loc in doc["locations"]) == \
        ["GX010042.MP4", "GX020042.MP4", "GX030042.MP4"]
    assert doc["file_size_bytes"] == sum(p.stat().st_size for p in cards["made"]["gopro"])
    stamps = sorted({t["timestamp_seconds"] for t in doc["thumbnails"]})
    assert stamps[-1] > 2.0 and stamps[0] < 1.0  # thumbnails across the whole span, not the first chapter
    assert doc["stages"]["vision"]["status"] == "succeeded"


def test_a_missing_chapter_is_reported_on_the_clip(cards):
    doc = _show(cards, "GX010043.MP4")
    tm = doc["technical_metadata"]
    assert tm["parts_missing"] == ["GX020043.MP4"] and tm["part_count"] == 2
    assert doc["duration_seconds"] == pytest.approx(2.0, abs=1e-6)
    assert "missing_part" in doc["metadata_warnings"]
    assert any(w.startswith("timecode_gap") for w in doc["metadata_warnings"])  # 10:00:00:00 → 10:00:02:00


def test_sony_sidecar_fields_with_provenance(cards):
    doc = _show(cards, "C0001.MP4")
    tm, src = doc["technical_metadata"], doc["metadata_sources"]
    assert (tm["camera_make"], tm["camera_model"], tm["camera_serial"]) == ("Sony", "ILCE-7SM3", "5551234")
    assert tm["lens_model"] == cm.SONY["lens"] and tm["iso"] == 12800
    assert tm["gamma"] == "s-log3-cine" and tm["log_profile"] == "S-Log3"
    assert tm["timecode"] == "01:16:07;15" and tm["timecode_drop_frame"] is True
    assert tm["timecode_rate"] == "30000/1001"
    assert tm["timecode_frame"] == parse_timecode("01:16:07;15", Fraction(30000, 1001)).frame
    for field in ("camera_model", "camera_serial", "lens_model", "log_profile", "timecode", "created_at"):
        assert src[field] == "sidecar", field
    assert doc["created_at"].startswith("2024-03-02T00:15:30")  # 09:15:30+09:00 from the XML, in UTC
    assert tm["created_at_local"] == "2024-03-02T09:15:30+09:00"  # and as the camera wrote it, with its zone
    assert tm["card_layout"] == "xavc"


def test_p2_and_canon_sidecars(cards):
    p2 = _show(cards, "0001AB.MXF")
    tm = p2["technical_metadata"]
    assert (tm["camera_make"], tm["camera_model"], tm["log_profile"]) == ("Panasonic", "AU-EVA1", "V-Log")
    assert tm["timecode"] == "12:00:00:00" and p2["metadata_sources"]["timecode"] == "sidecar"
    canon = _show(cards, "AA000101.MXF")
    tm = canon["technical_metadata"]
    assert tm["part_count"] == 2 and canon["duration_seconds"] == pytest.approx(0.8, abs=1e-6)
    assert tm["camera_model"] == cm.CANON["model"] and tm["log_profile"] == "C-Log3" and tm["iso"] == 800
    assert tm["timecode"] == "05:00:00:00"


def test_start_timecode_exact_to_the_frame(cards):
    for name, rate, tc, frame in RATES:
        tm = _show(cards, name)["technical_metadata"]
        assert tm["timecode"] == tc and tm["timecode_frame"] == frame, name
        assert tm["timecode_rate"] == (f"{rate.numerator}/{rate.denominator}" if rate.denominator > 1
                                       else f"{rate.numerator}/1"), name
        assert tm["timecode_drop_frame"] is (";" in tc), name
    mts = _show(cards, "tc_2997df.mts")["technical_metadata"]  # MPEG-2 GOP header timecode in M2TS
    assert mts["timecode"] == "02:00:00;02" and mts["timecode_frame"] == 215786


def test_timecode_in_exports_and_the_catalog_api(cards):
    out = run_cli(cards["catalog"], "export", "--format", "csv")
    assert "timecode_frame" in out.stdout.splitlines()[0] and "01:16:07;15" in out.stdout
    store = CatalogStore.open_dir(cards["catalog"])
    cid = cards["docs"]["GX010042.MP4"]["id"]
    tc = store.source_timecodes([cid])[cid]
    assert tc.timecode == "10:00:00:00" and tc.rate == 25 and len(tc.parts) == 3
    assert str(tc.at(2.5)) == "10:00:02:12"  # a moment 2.5 s in: inside chapter 3


def test_hdr_and_log_facets_filter(cards):
    cat = cards["catalog"]
    names = lambda *a: sorted(Path(d["file_path"]).name for d in run_cli(cat, "list", "--json", *a).json())  # noqa
    assert names("--hdr") == sorted(["hdr10.mp4", media.HLG["file"]])
    assert names("--log") == ["0001AB.MXF", "0002CD.MXF", "AA000101.MXF", "C0001.MP4"]  # HLG: HDR, not a log
    assert names("--gamma", "slog3") == ["C0001.MP4"] and names("--gamma", "V-Log") == ["0001AB.MXF", "0002CD.MXF"]
    hdr10 = _show(cards, "hdr10.mp4")["technical_metadata"]
    assert (hdr10["hdr_format"], hdr10["max_cll"], hdr10["max_fall"]) == ("PQ", 1000, 400)
    assert hdr10["mastering_display"] == {"primaries": "Display P3", "min_luminance": 0.0001,
                                          "max_luminance": 1000.0}
    assert _show(cards, media.HLG["file"])["technical_metadata"]["hdr_format"] == "HLG"
    hits = run_cli(cat, "search", "S-Log3 clips", "--json").json()  # search phrasing reads the same facets
    assert [Path(h["clip"]["path"]).name for h in hits["hits"]] == ["C0001.MP4"]


def test_xmp_sidecar_keywords_become_tags(cards):
    doc = _show(cards, "ceo.mp4")
    assert set(cm.XMP["keywords"]) <= set(doc["tags"])
    assert doc["technical_metadata"]["description"] == cm.XMP["description"]
    assert doc["metadata_sources"]["keywords"] == "xmp" and doc["metadata_sources"]["timecode"] == "xmp"
    assert doc["technical_metadata"]["timecode"] == cm.XMP["timecode"]
    hits = run_cli(cards["catalog"], "search", "roof", "--json").json()["hits"]  # the description is searchable
    assert [Path(h["clip"]["path"]).name for h in hits][:1] == ["ceo.mp4"]


def test_camera_raw_is_catalogued_as_not_decodable(cards):
    doc = _show(cards, "A001_08151200_C001.braw")
    assert doc["technical_metadata"]["decodable"] is False and doc["technical_metadata"]["card_layout"] == "braw"
    assert doc["stages"]["metadata"]["status"] == "succeeded"
    assert doc["stages"]["thumbnails"]["status"] == "skipped"
    assert "not decodable here" in doc["stages"]["thumbnails"]["error"]
    red = _show(cards, "A001_C002_0101XY_001.R3D")  # a RED clip's files are one clip even undecoded
    assert red["technical_metadata"]["decodable"] is False and red["technical_metadata"]["part_count"] == 2
    assert len(red["locations"]) == 2 and "A001_C002_0101XY_002.R3D" not in cards["docs"]


def test_rescan_is_all_known_and_a_card_copy_is_the_same_clip(cards, tmp_path):
    cat = cards["catalog"]
    again = run_cli(cat, "ingest", str(cards["root"]), *FAST, "--json").events()[-1]["summary"]
    assert again["new"] == 0 and again["failed"] == 0 and again["known"] == len(cards["docs"])
    copy = tmp_path / "backup"
    shutil.copytree(cards["root"] / "gopro_card", copy / "gopro_card")
    summary = run_cli(cat, "ingest", str(copy), *FAST, "--json").events()[-1]["summary"]
    assert summary["duplicates"] == 1 and summary["new"] == 0
    doc = run_cli(cat, "show", str(cards["docs"]["GX010042.MP4"]["id"]), "--json").json()
    assert len(doc["locations"]) == 6  # three chapters at two places


def test_proxies_are_listed_on_their_originals(cards):
    docs = cards["docs"]
    assert not {"C0001S03.MP4", "interview_Proxy.mov", "GL010042.LRV"} & set(docs)  # never clips of their own
    proxies = lambda name: [(Path(p["path"]).name, p["timecode"]) for p in docs[name]["parts"]  # noqa: E731
                            if p["role"] == "proxy"]
    assert proxies("C0001.MP4") == [("C0001S03.MP4", None)]  # Sony SUB/
    assert proxies("interview.mov") == [("interview_Proxy.mov", "01:00:00:00")]  # an editor's Proxy/ folder
    assert proxies("GX010042.MP4") == [("GL010042.LRV", "10:00:00:00"), ("GL020042.LRV", "10:00:01:00"),
                                       ("GL030042.LRV", "10:00:02:00")]  # GoPro, one per chapter
    assert not any(w.startswith("proxy_mismatch") for w in docs["GX010042.MP4"]["metadata_warnings"])
    tm = docs["interview.mov"]["technical_metadata"]  # metadata comes from the original, never the proxy
    assert tm["resolution_width"] == 96 and docs["interview.mov"]["file_path"].endswith("edit/interview.mov")


def test_avchd_playlist_and_p2_relations_join_spanned_files(cards):
    docs = cards["docs"]
    assert "00001.MTS" not in docs and "0003EF.MXF" not in docs
    avchd = docs["00000.MTS"]
    assert [Path(p["path"]).name for p in avchd["parts"]] == ["00000.MTS", "00001.MTS"]
    assert avchd["duration_seconds"] == pytest.approx(2.0, abs=0.05)  # MPEG-TS: first to last timestamp
    assert avchd["technical_metadata"]["timecode"] == "03:00:00:00" and avchd["technical_metadata"]["card_layout"] \
        == "avchd"
    assert docs["00002.MTS"]["technical_metadata"]["part_count"] is None  # the next recording stands alone
    p2 = docs["0002CD.MXF"]
    assert [Path(p["path"]).name for p in p2["parts"]] == ["0002CD.MXF", "0003EF.MXF"]
    assert p2["duration_seconds"] == pytest.approx(0.8, abs=1e-6)
    assert p2["technical_metadata"]["timecode"] == "13:00:00:00"
    assert [p["timecode"] for p in p2["parts"]] == ["13:00:00:00", "13:00:00:10"]  # each part's own sidecar


def test_queue_workers_catalogue_a_spanned_recording_as_one_clip(postgres_url, tmp_path):
    card = tmp_path / "card"
    cm.make_gopro_card(card, chapters=2)
    cat = tmp_path / "catalog"

    def pg(*args: str):
        return run_cli(cat, "--database-url", postgres_url, *args)
    assert pg("schema", "apply").code == 0
    queued = pg("ingest", str(card), "--queue", *FAST, "--json").json()
    assert [Path(q["path"]).name for q in queued["queued"]] == ["GX010042.MP4"]  # the recording, not its files
    w = pg("worker", "--until-empty")
    assert w.code == 0, w.stderr[-3000:]
    docs = pg("list", "--json").json()
    assert len(docs) == 1 and docs[0]["duration_seconds"] == pytest.approx(2.0, abs=1e-6)
    assert sorted(Path(loc["path"]).name for loc in docs[0]["locations"]) == ["GX010042.MP4", "GX020042.MP4"]
    assert pg("ingest", str(card), "--queue", *FAST, "--json").json()["known"] == 1


def test_the_tui_shows_timecode_parts_and_facets(cards):
    from vcat_tui.filters import describe, parse_filter
    from vcat_tui.widgets.metadata_view import metadata_groups

    groups = dict(metadata_groups(cards["docs"]["GX010043.MP4"]))
    rows = {label: (value, src) for label, value, src in groups["Video"] + groups["File"]}
    assert rows["timecode"] == ("10:00:00:00  25 fps", "pyav")
    assert rows["missing parts"][0] == "GX020043.MP4"
    card = [value for _, value, _ in groups["Card"]]
    assert card[0].endswith("GX010043.MP4  +0:00.0  TC 10:00:00:00") and "TC 10:00:02:00" in card[1]
    sony = dict(metadata_groups(cards["docs"]["C0001.MP4"]))
    assert ("log profile", "S-Log3", "sidecar") in sony["Color"]
    assert sony["Video"][-1][1] == "01:16:07;15  29.97 fps drop-frame"
    f = parse_filter("hdr log:no gamma:slog3 beach")
    assert (f.hdr, f.log, f.gamma, f.text) == (True, False, "slog3", "beach") and parse_filter(describe(f)) == f


def test_a_single_file_of_a_card_is_catalogued_as_its_recording(tmp_path):
    """`watch` hands settled files over one by one: a chapter given alone still lands in its recording."""
    card = tmp_path / "card"
    chapters = cm.make_gopro_card(card, chapters=2)
    cat = tmp_path / "catalog"
    run = run_cli(cat, "ingest", str(chapters[1]), *FAST, "--json").events()[-1]["summary"]
    assert run["new"] == 1 and run["failed"] == 0
    docs = run_cli(cat, "list", "--json").json()
    assert [len(d["locations"]) for d in docs] == [2] and docs[0]["duration_seconds"] == pytest.approx(2.0)


def test_a_timeline_with_proxies_takes_the_proxy_the_card_links(cards, tmp_path):
    """Sony keeps its proxy in SUB/, not beside the original: only the catalog's link finds it (hand-off work)."""
    out = tmp_path / "selects.otio"
    r = run_cli(cards["catalog"], "export", "--format", "otio", "--proxies", "-o", str(out))
    assert r.code == 0, r.stderr
    import opentimelineio as otio

    timeline = otio.adapters.read_from_file(str(out))
    urls = {c.name: c.media_reference.target_url for c in timeline.find_clips()}
    assert urls["C0001.MP4"].endswith("/SUB/C0001S03.MP4")
    assert urls["interview.mov"].endswith("/Proxy/interview_Proxy.mov")
