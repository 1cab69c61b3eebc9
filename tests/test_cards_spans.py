"""Spanned recordings the file names do not announce, and spans that grow: DJI and Sony 4 GB splits joined by
the card's own clocks (timecode, creation time) behind a size gate, a missing part named, and the part that
arrives later joining the clip already catalogued (its tags and stars kept); proxies read for speed; a real
camera's sidecar (tests/fixtures/sidecars) read as the camera wrote it. Driven through `vcat-core`."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import pytest

from vcat_core.models import Candidate, ClipAnalysis, ClipPart, FingerprintResult, TechnicalMetadata
from vcat_core.pipeline.cards.sidecars import parse_sidecar, sony_ltc
from vcat_core.pipeline.cards.splits import SplitRule, Take, continues, numbered
from vcat_core.pipeline.metadata.timecode import parse_timecode

from . import card_media as cm
from .helpers import run_cli

FAST = ("--skip-audio", "--skip-ai", "--thumbnails", "6")
REAL_FX3 = Path(__file__).parent / "fixtures" / "sidecars" / "commandpost_ILME-FX3_M01.XML"


def test_split_names_and_the_continuity_rule():
    assert numbered("C0001.MP4") == ("C", 1, ".MP4") and numbered("DJI_0012.MP4") == ("DJI_", 12, ".MP4")
    assert numbered("DJI_20240502080000_0007_D.MP4") == ("DJI_", 7, "_D.MP4")  # the stamp changes part to part
    assert numbered("interview.mov") is None
    rule = SplitRule()
    assert rule.near_limit(4_000_000_000) and rule.near_limit(2**32 - 1) and not rule.near_limit(3 * 2**30)
    t0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    first = Take(camera=("ILCE-7SM3", "1"), settings=("AVC", Fraction(25)), start=t0, seconds=600.0,
                 tc_frame=90000, frames=15000)

    def later(**kw) -> Take:
        return Take(**{**first.__dict__, "start": t0.replace(minute=10), "tc_frame": 105000, **kw})

    assert continues(first, later(), rule)
    assert continues(first, later(start=t0), rule)  # stamped with the recording's start, as some bodies do
    assert not continues(first, later(tc_frame=105001), rule)  # one frame off: another take
    assert not continues(first, later(start=t0.replace(minute=12)), rule)  # record-run TC, but minutes later
    assert not continues(first, later(camera=("ILCE-7SM3", "2")), rule)  # another body
    assert not continues(first, later(settings=("HEVC", Fraction(25))), rule)
    assert not continues(Take(camera=(), settings=()), Take(camera=(), settings=()), rule)  # no clock: no join


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("splits")
    made = cm.make_split_cards(root)
    files = made["sony"] + made["dji"]
    long_ = [f.stat().st_size for f in files if f.name in ("C0001.MP4", "C0004.MP4", "DJI_0001.MP4", "DJI_0003.MP4")]
    short = [f.stat().st_size for f in files if f.stat().st_size not in long_]
    assert max(short) < min(long_)  # the size window below holds the long files only
    env = {"VCAT_CARD_SPLIT_MIN_BYTES": str(min(long_)), "VCAT_CARD_SPLIT_MAX_BYTES": str(max(long_))}
    fx3 = root / "fx3" / "PRIVATE" / "M4ROOT" / "CLIP"  # a real camera's sidecar beside a clip of ours
    cm.tc_clip(fx3 / "C0001.MP4", None, fps=25, seconds=0.6)
    shutil.copyfile(REAL_FX3, fx3 / "C0001M01.XML")
    before = cm.snapshot(root)
    catalog = tmp_path_factory.mktemp("splits_catalog") / "cat"
    result = run_cli(catalog, "ingest", str(root), *FAST, **env)
    docs = {str(Path(d["file_path"]).relative_to(root)): d for d in run_cli(catalog, "list", "--json").json()}
    docs.update({Path(name).name: doc for name, doc in docs.items() if not name.startswith("fx3")})
    return {"root": root, "made": made, "env": env, "catalog": catalog, "result": result, "docs": docs,
            "before": before}


def _parts(doc: dict) -> list[str]:
    return [Path(p["path"]).name for p in doc["parts"] if p["role"] == "part"]


def test_sony_split_is_one_clip_and_record_run_is_not(splits):
    assert splits["result"].code == 0, splits["result"].stderr
    assert cm.snapshot(splits["root"]) == splits["before"]
    docs = splits["docs"]
    assert "C0002.MP4" not in docs and {"C0001.MP4", "C0003.MP4", "C0004.MP4"} <= set(docs)
    doc = docs["C0001.MP4"]
    assert _parts(doc) == ["C0001.MP4", "C0002.MP4"]
    assert doc["duration_seconds"] == pytest.approx(2.5, abs=0.05)
    assert [p["timecode"] for p in doc["parts"] if p["role"] == "part"] == ["01:00:00:00", "01:00:02:00"]
    assert not any(w.startswith(("timecode_gap", "missing_part")) for w in doc["metadata_warnings"])
    assert sorted(Path(x["path"]).name for x in doc["locations"]) == ["C0001.MP4", "C0002.MP4"]
    assert max(t["timestamp_seconds"] for t in doc["thumbnails"]) >= 2.0  # thumbnails from the second file too
    # C0003's timecode runs on from C0002 (record-run), but C0002 ended a recording well short of the limit
    assert docs["C0003.MP4"]["technical_metadata"]["part_count"] is None
    gap = docs["C0004.MP4"]["technical_metadata"]  # cut at the limit, and the next file is not on the card
    assert gap["parts_missing"] == ["C0005.MP4"] and "missing_part" in docs["C0004.MP4"]["metadata_warnings"]


def test_dji_split_is_joined_by_creation_time(splits):
    docs = splits["docs"]
    assert "DJI_0002.MP4" not in docs
    assert _parts(docs["DJI_0001.MP4"]) == ["DJI_0001.MP4", "DJI_0002.MP4"]
    assert docs["DJI_0001.MP4"]["duration_seconds"] == pytest.approx(2.5, abs=0.05)
    assert docs["DJI_0001.MP4"]["technical_metadata"]["card_layout"] == "dji"
    # DJI_0003 stopped near the limit but DJI_0004 started ten minutes later: two takes, nothing missing
    assert docs["DJI_0003.MP4"]["technical_metadata"]["part_count"] is None and "DJI_0004.MP4" in docs
    assert "missing_part" not in docs["DJI_0003.MP4"]["metadata_warnings"]


def test_default_limit_leaves_small_files_alone(splits, tmp_path):
    """Without the test's window (the FAT32 limit), small consecutive files are separate clips."""
    cat = tmp_path / "cat"
    assert run_cli(cat, "ingest", str(splits["root"] / "dji"), *FAST).code == 0
    assert sorted(Path(d["file_path"]).name for d in run_cli(cat, "list", "--json").json()) == \
        ["DJI_0001.MP4", "DJI_0002.MP4", "DJI_0003.MP4", "DJI_0004.MP4"]


def test_the_missing_part_arriving_later_joins_the_clip(splits, tmp_path):
    root = tmp_path / "card"
    shutil.copytree(splits["root"] / "sony", root)
    cat, env = tmp_path / "cat", splits["env"]
    assert run_cli(cat, "ingest", str(root), *FAST, **env).code == 0
    before = {Path(d["file_path"]).name: d for d in run_cli(cat, "list", "--json").json()}["C0004.MP4"]
    assert run_cli(cat, "rate", str(before["id"]), "4").code == 0
    assert run_cli(cat, "tag", "add", "aerial", str(before["id"])).code == 0
    clip = root / "PRIVATE" / "M4ROOT" / "CLIP"
    cm.sony_take(clip, 5, "02:00:02:01", "2024-05-01T11:00:02+02:00", 0.56)  # the card reader found it after all
    again = run_cli(cat, "ingest", str(root), *FAST, "--json", **env)
    assert again.code == 0, again.stderr
    docs = {Path(d["file_path"]).name: d for d in run_cli(cat, "list", "--json").json()}
    assert "C0005.MP4" not in docs
    doc = docs["C0004.MP4"]
    assert doc["id"] == before["id"] and _parts(doc) == ["C0004.MP4", "C0005.MP4"]
    assert doc["technical_metadata"]["parts_missing"] in (None, [])
    assert "missing_part" not in doc["metadata_warnings"]
    assert doc["duration_seconds"] == pytest.approx(2.6, abs=0.05)
    assert doc["rating"] == 4 and "aerial" in doc["tags"]  # the user's work on the clip stays
    assert max(t["timestamp_seconds"] for t in doc["thumbnails"]) >= 2.0


def test_a_grown_span_keeps_its_clip_only_while_its_parts_hold_the_same_bytes(store_url):
    """On both back ends: the part that arrives joins the clip; a card formatted and shot again under the same
    names is new content, a new clip."""
    from vcat_core.store.catalog import CatalogStore

    def save(store, paths, digests, missing=None):
        cands = [Candidate(path=p, size=10, mtime_ns=1, inode=i + 1, device=1) for i, p in enumerate(paths)]
        head = cands[0].model_copy(update={"size": 10 * len(cands), "parts": cands, "missing_parts": missing})
        md = TechnicalMetadata(codec="h264", duration_seconds=float(len(paths)), parts_missing=missing or [],
                               parts=[ClipPart(index=i, path=p, size=10, fingerprint=d)
                                      for i, (p, d) in enumerate(zip(paths, digests))])
        return store.save_analysis(ClipAnalysis(candidate=head, metadata=md, fingerprint=FingerprintResult(
            algorithm="xxh3_128", digest="+".join(digests), size=10 * len(paths), parts=digests)))

    store = CatalogStore(store_url)
    card = ["/card/C0004.MP4", "/card/C0005.MP4"]
    first, created = save(store, card[:1], ["d4"], missing=["C0005.MP4"])
    assert created
    assert save(store, card, ["d4", "d5"]) == (first, False)  # the same clip, now whole
    again, created = save(store, card[:1], ["e4"], missing=["C0005.MP4"])  # reformatted, shot again
    assert created and again != first
    later, created = save(store, card, ["f4", "e5"])  # C0004 changed under it: not the clip it was
    assert created and later not in (first, again)


def test_a_gopro_chapter_arriving_later_joins_the_clip(tmp_path):
    full = tmp_path / "full"
    chapters = cm.make_gopro_card(full, number="0051", chapters=3)
    card = tmp_path / "card" / "DCIM" / "100GOPRO"
    card.mkdir(parents=True)
    for ch in (chapters[0], chapters[2]):
        shutil.copy2(ch, card / ch.name)
    cat = tmp_path / "cat"
    assert run_cli(cat, "ingest", str(tmp_path / "card"), *FAST).code == 0
    first = run_cli(cat, "list", "--json").json()
    assert len(first) == 1 and first[0]["technical_metadata"]["parts_missing"] == ["GX020051.MP4"]
    assert run_cli(cat, "tag", "add", "surf", str(first[0]["id"])).code == 0
    shutil.copy2(chapters[1], card / chapters[1].name)
    assert run_cli(cat, "ingest", str(tmp_path / "card"), *FAST).code == 0
    docs = run_cli(cat, "list", "--json").json()
    assert [d["id"] for d in docs] == [first[0]["id"]] and "surf" in docs[0]["tags"]
    assert _parts(docs[0]) == ["GX010051.MP4", "GX020051.MP4", "GX030051.MP4"]
    assert docs[0]["duration_seconds"] == pytest.approx(3.0, abs=1e-6)
    assert not any(w.startswith(("missing_part", "timecode_gap")) for w in docs[0]["metadata_warnings"])


# ---- proxies read for speed, metadata from the original ---------------------------------------------------------

def test_a_matching_proxy_is_read_for_thumbnails_and_metadata_comes_from_the_original(tmp_path):
    edit = tmp_path / "edit"
    cm.tc_clip(edit / "talk.mov", "01:00:00:00", fps=25, seconds=1.0, size=(192, 128))
    cm.tc_clip(edit / "Proxy" / "talk_Proxy.mov", "01:00:00:00", fps=25, seconds=1.0, size=(64, 48))
    cm.tc_clip(edit / "take2.mov", "02:00:00:00", fps=25, seconds=1.0, size=(192, 128))
    cm.tc_clip(edit / "Proxy" / "take2_Proxy.mov", "02:00:00:00", fps=25, seconds=2.0, size=(64, 48))  # another take
    before = cm.snapshot(edit)
    cat = tmp_path / "cat"
    run = run_cli(cat, "ingest", str(edit), *FAST)
    assert run.code == 0, run.stderr
    assert cm.snapshot(edit) == before
    docs = {Path(d["file_path"]).name: d for d in run_cli(cat, "list", "--json").json()}
    assert sorted(docs) == ["take2.mov", "talk.mov"]
    talk = docs["talk.mov"]
    proxy = str(edit / "Proxy" / "talk_Proxy.mov")
    assert talk["stages"]["thumbnails"]["read_from"] == [proxy] and talk["stages"]["vision"]["read_from"] == [proxy]
    assert max(t["width"] for t in talk["thumbnails"]) <= 64  # the frames came from the proxy …
    tm = talk["technical_metadata"]
    # … the record from the original
    assert (tm["resolution_width"], tm["resolution_height"], tm["timecode"]) == (192, 128, "01:00:00:00")
    take2 = docs["take2.mov"]  # its proxy lasts twice as long: not the same recording, the original is read
    assert take2["stages"]["thumbnails"]["read_from"] is None
    assert any(w.startswith("proxy_mismatch") for w in take2["metadata_warnings"])
    assert max(t["width"] for t in take2["thumbnails"]) > 64


# ---- a real camera's sidecar --------------------------------------------------------------------------------------

def test_a_real_sony_sidecar_reads_as_the_camera_wrote_it():
    """An ILME-FX3's C….M01.XML (from CommandPost's source, MIT; see tests/fixtures/sidecars/README.md)."""
    facts = parse_sidecar(str(REAL_FX3), REAL_FX3.read_bytes())
    v = facts.values
    assert facts.kind == "sony_xml"
    assert (v["camera_make"], v["camera_model"], v["camera_serial"]) == ("Sony", "ILME-FX3", "4294967295")
    assert v["timecode"] == "19:57:30:17" and v["drop_frame"] is False and v["rate"] == 25
    assert v["frames"] == 4380 and v["video_codec"] == "AVC_3840_2160_HP@L51"
    assert v["created_at"].isoformat() == "2022-09-25T11:57:59+10:00"
    assert v["gamma"] == "s-cinetone" and v["log_profile"] is None  # a display look, not a log curve
    # the table's end entry (frame 4379) is the start plus 4379 frames: byte order and BCD read right
    end, _ = sony_ltc("21250020")
    assert parse_timecode(end, 25).frame == parse_timecode(v["timecode"], 25).frame + 4379


def test_sony_ltc_drop_frame_and_half_step_values():
    """Values as published from real clips: record-run DF ("67460811" = 11:08:46;27) and an XAVC-S 59.94p clip
    whose table counts LTC at 30 ("halfStep"): 209 frames end on 00:00:03;14 of the 30-frame count."""
    assert sony_ltc("67460811") == ("11:08:46;27", True)
    assert sony_ltc("48544103") == ("03:41:54;08", True)
    assert sony_ltc("01:02:03:04") == ("01:02:03:04", False)  # bodies that write the label as is
    end, drop = sony_ltc("54830000", half_step=True)
    assert drop and abs(parse_timecode(end, Fraction(60000, 1001)).frame - 209) <= 1
    xml = REAL_FX3.read_text().replace('tcFps="25" halfStep="false"', 'tcFps="30" halfStep="true"').replace(
        'value="17305719"', 'value="40000000"').replace('captureFps="25p" formatFps="25p"',
                                                          'captureFps="59.94p" formatFps="59.94p"')
    v = parse_sidecar("C0002M01.XML", xml.encode()).values
    assert v["timecode"] == "00:00:00;00" and v["rate"] == Fraction(60000, 1001)


def test_the_real_sidecar_on_a_card(splits):
    doc = splits["docs"]["fx3/PRIVATE/M4ROOT/CLIP/C0001.MP4"]
    tm, src = doc["technical_metadata"], doc["metadata_sources"]
    assert (tm["camera_model"], tm["timecode"], tm["timecode_frame"]) == \
        ("ILME-FX3", "19:57:30:17", parse_timecode("19:57:30:17", 25).frame)
    assert src["camera_model"] == src["timecode"] == "sidecar"
    assert tm["created_at_local"] == "2022-09-25T11:57:59+10:00"


def test_a_canon_xf_clip_xml_in_its_published_shape():
    """Canon XF's clip XML as the Adobe XMP Toolkit's CanonXF handler reads it: root `VideoClip` in the
    http://www.canon.com/ns/VideoClip namespace, `Device/Manufacturer|ModelName|SerialNo` (no timecode: that
    lives in the binary .CIF)."""
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<VideoClip xmlns="http://www.canon.com/ns/VideoClip"><Title>AA0001</Title><Creator>crew</Creator>
<Device><Manufacturer>Canon</Manufacturer><ModelName>XF305</ModelName><SerialNo>123456789</SerialNo>
<FirmVersion>1.0.1</FirmVersion></Device><Location><PlaceName>Harbour</PlaceName></Location></VideoClip>"""
    facts = parse_sidecar("AA0001.XML", xml)
    assert facts.kind == "canon_xml"
    assert (facts.values["camera_make"], facts.values["camera_model"], facts.values["camera_serial"]) == \
        ("Canon", "XF305", "123456789")
    assert "timecode" not in facts.values
