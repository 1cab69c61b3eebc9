"""Catalogs for the TUI tests and bench/tui.py, plus checks of the builders themselves.

- `build_demo_catalog(dir)`: a dozen clips with fixed names, paths, dates, metadata, tags, collections and real
  JPEG thumbnails, every timestamp pinned, so screenshots of the app are identical from run to run.
- `build_bulk_catalog(dir, n)`: n synthetic clips bulk-inserted with SQLAlchemy core (100,000 in a few seconds),
  for the scale test and the benchmark. No thumbnails.

These write the catalog through the store directly (fast, deterministic); the app under test only uses the service.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from sqlalchemy import insert, update
from sqlmodel import Session

from vcat_core.config import load_settings
from vcat_core.models import (
    Candidate,
    ClipAnalysis,
    ExposureMetrics,
    FaceSeen,
    FacesResult,
    FingerprintResult,
    StageOutcome,
    TechnicalMetadata,
    Thumbnail,
    ThumbnailImage,
    ThumbnailsResult,
    VisionResult,
)
from vcat_core.service import Catalog
from vcat_core.store import labels, people, ratings
from vcat_core.store.catalog import CatalogStore
from vcat_core.store.tables import (
    STAGES,
    Clip,
    ClipLocation,
    ClipRating,
    ClipTag,
    Collection,
    CollectionClip,
    Person,
    Tag,
    TechnicalMetadataRow,
    ThumbnailRow,
    TranscriptRow,
    VisionMetrics,
)

FIXED = datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)
DEMO_DIR = (Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())) / "vcat-tui-demo-catalog"
"""A fixed place for the screenshot catalog: its path shows in the help screen."""


def pin_cell_size() -> None:
    """textual-image sizes half-cell images from the terminal's cell size in pixels (asked once, cached); pin it to
    its no-terminal default so screenshots do not depend on the terminal pytest runs in."""
    from textual_image._terminal import CellSize, get_cell_size

    get_cell_size._result = CellSize(10, 20)

# name, codec, width, height, fps, seconds, make, model, created (local), extras
DEMO_CLIPS: list[tuple] = [
    ("A001_C001_beach.mov", "prores", 3840, 2160, 25.0, 42.0, "Sony", "ILCE-7M4", "2024-05-17 09:15",
     {"exposure": "overexposed", "tags": ["b-roll", "beach"], "cull": (4, "pick", "red"),
      "shots": [(0.0, 14.0), (14.0, 30.5), (30.5, 42.0)],
      "speech": [(3.0, 9.5, "the waves are huge this morning"), (20.0, 27.0, "look at that light on the water")]}),
    ("A001_C002_beach.mov", "prores", 3840, 2160, 25.0, 18.5, "Sony", "ILCE-7M4", "2024-05-17 09:21",
     {"tags": ["b-roll", "beach"], "cull": (3, None, "green")}),
    ("A002_C001_interview.mov", "dnxhd", 1920, 1080, 25.0, 612.0, "Sony", "ILCE-7M4", "2024-05-17 11:02",
     {"tags": ["interview"]}),
    ("A002_C002_interview.mov", "dnxhd", 1920, 1080, 25.0, 388.2, "Sony", "ILCE-7M4", "2024-05-17 11:20",
     {"tags": ["interview"], "failed": "thumbnails", "cull": (0, "reject", None)}),
    ("IMG_0420.MOV", "hevc", 1080, 1920, 29.97, 12.3, "Apple", "iPhone 15 Pro", "2024-05-18 18:44",
     {"vfr": True, "tags": ["vertical"]}),
    ("IMG_0421.MOV", "hevc", 1080, 1920, 29.97, 8.0, "Apple", "iPhone 15 Pro", "2024-05-18 18:47",
     {"vfr": True, "exposure": "underexposed"}),
    ("drone_0007.mp4", "h264", 3840, 2160, 59.94, 95.0, "DJI", "Mavic 3", "2024-05-19 07:05",
     {"cull": (5, "pick", "blue")}),
    ("drone_0008.mp4", "h264", 3840, 2160, 59.94, 61.0, "DJI", "Mavic 3", "2024-05-19 07:12", {"tags": ["b-roll"]}),
    ("gopro_surf_01.mp4", "h264", 2704, 1520, 50.0, 33.0, "GoPro", "HERO12 Black", "2024-05-19 16:30", {}),
    ("old_tape_capture.avi", "mpeg4", 720, 576, 25.0, 1800.0, None, None, None,
     {"tags": ["archive"], "cull": (1, "reject", "yellow")}),
    ("timelapse_city.mkv", "h264", 1920, 1080, 24.0, 20.0, None, None, "2024-05-20 21:00", {}),
    ("zoom_call_export.mp4", "h264", 1280, 720, 30.0, 2701.0, None, None, "2024-05-21 15:00",
     {"tags": ["interview"]}),
]
DEMO_COLLECTIONS = {"Selects": [0, 2, 6], "Interviews": [2, 3, 11], "Empty bin": []}


def settings_for(catalog_dir: Path):
    """Settings for a test catalog that ignore the user's config file and VCAT_* environment (restored after)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("VCAT_")}
    try:
        for key in saved:
            os.environ.pop(key)
        os.environ["VCAT_CONFIG"] = str(catalog_dir.parent / "vcat-tui-no-config.yaml")
        return load_settings(catalog=catalog_dir, workers=2, thumbnails=4)
    finally:
        os.environ.pop("VCAT_CONFIG", None)
        os.environ.update(saved)


def open_catalog(catalog_dir: Path) -> Catalog:
    return Catalog(settings_for(catalog_dir))


def _thumb_jpeg(path: Path, width: int, seed: int, frame: int) -> None:
    height = width * 9 // 16
    y, x = np.mgrid[0:height, 0:width]
    hue = (seed * 37) % 255
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[..., 0] = (x * 255 // max(width - 1, 1) + hue) % 256
    img[..., 1] = y * 200 // max(height - 1, 1) + 30
    img[..., 2] = (255 - hue + frame * 40) % 256
    bx = (frame * width // 4) % (width - width // 5)
    img[height // 3: height // 3 + height // 3, bx: bx + width // 5] = (250, 250, 240)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, quality=85)


def demo_analysis(i: int, spec: tuple, catalog_dir: Path) -> ClipAnalysis:
    name, codec, w, h, fps, secs, make, model, created, extra = spec
    digest = f"{i + 1:02d}" + "5eed" * 7 + "00"
    path = f"/footage/2024-05-shoot/{'card_a' if i < 4 else 'card_b'}/{name}"
    exp_warning = extra.get("exposure")
    exposure = ExposureMetrics(
        overexposed_percentage=12.5 if exp_warning == "overexposed" else 0.4,
        underexposed_percentage=18.0 if exp_warning == "underexposed" else 1.1,
        mean_luma=205.0 if exp_warning == "overexposed" else 40.0 if exp_warning == "underexposed" else 118.0,
        exposure_stops=1.8 if exp_warning == "overexposed" else -2.1 if exp_warning == "underexposed" else -0.1,
        exposure_warning=exp_warning)
    thumbs = []
    failed = extra.get("failed")
    if failed != "thumbnails":
        for f in range(3):
            imgs = []
            for width in (160, 320, 640):
                rel = f"thumbnails/{digest}/{f:03d}_{width}.jpg"
                _thumb_jpeg(catalog_dir / rel, width, i, f)
                imgs.append(ThumbnailImage(width=width, height=width * 9 // 16, path=rel))
            thumbs.append(Thumbnail(index=f, frame_number=int(f * secs * fps / 3), timestamp_seconds=f * secs / 3,
                                    is_keyframe=f != 1, images=imgs, exposure=exposure))
    when = datetime.strptime(created, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc) if created else None
    md = TechnicalMetadata(
        container=name.rsplit(".", 1)[1].lower().replace("mov", "mov").replace("mkv", "matroska"),
        codec=codec, codec_profile={"prores": "HQ", "dnxhd": "DNXHR HQ", "hevc": "Main 10"}.get(codec, "High"),
        width=w, height=h, aspect_ratio="16:9" if w > h else "9:16", frame_rate=fps, is_vfr=extra.get("vfr", False),
        frame_count=int(secs * fps), duration_seconds=secs, bit_depth=10 if codec in ("prores", "hevc") else 8,
        pixel_format="yuv422p10le" if codec == "prores" else "yuv420p", bit_rate_kbps=round(w * h * fps / 2000, 1),
        chroma_subsampling="4:2:2" if codec in ("prores", "dnxhd") else "4:2:0",
        color_space="bt709", color_primaries="bt709", color_transfer="bt709", color_range="limited",
        scan_type="progressive", camera_make=make, camera_model=model,
        camera_serial="5123456" if make == "Sony" else None,
        lens_model="FE 24-70mm F2.8 GM II" if make == "Sony" else None, focal_length=35.0 if make == "Sony" else None,
        gps_latitude=48.8584 if make == "Apple" else None, gps_longitude=2.2945 if make == "Apple" else None,
        timecode="01:00:00:00" if make == "Sony" else None, audio_codec="pcm_s24le" if codec == "prores" else "aac",
        audio_channels=2, audio_sample_rate=48000, audio_tracks=1, video_tracks=1, created_at=when,
        created_at_source="QuickTime:CreateDate" if when else None,
        sources={"codec": "pyav", "width": "pyav", "frame_rate": "pyav", "camera_make": "exiftool",
                 "camera_model": "exiftool", "color_space": "mediainfo", "bit_rate_kbps": "mediainfo",
                 "created_at": "exiftool", "audio_codec": "pyav", "lens_model": "exiftool"})
    outcomes = [StageOutcome(stage=s, status="failed" if s == failed else "succeeded",
                             error="decoder returned no frames" if s == failed else None, seconds=0.25)
                for s in STAGES]
    vision = None
    if extra.get("shots"):
        vision = VisionResult(quality={"sharpness": 41.5, "noise": 1.2, "blockiness": 0.02, "complexity": 5.1,
                                       "shot_type": "wide", "flags": []},
                              shots=[{"start_seconds": a, "end_seconds": b, "thumbnail_index": n % len(thumbs)}
                                     for n, (a, b) in enumerate(extra["shots"])])
    audio = None
    if extra.get("speech"):
        audio = {"transcript": {"language": "en", "model": "demo", "segments": [
            {"start": a, "end": b, "text": text} for a, b, text in extra["speech"]]}, "duration": secs}
    return ClipAnalysis(
        candidate=Candidate(path=path, size=int(secs * 1_000_000) + i, mtime_ns=1, inode=1000 + i, device=1),
        fingerprint=FingerprintResult(algorithm="xxh3_128", digest=digest, size=int(secs * 1_000_000) + i),
        metadata=md, thumbnails=ThumbnailsResult(thumbnails=thumbs) if thumbs else None, exposure=exposure,
        vision=vision, audio=audio, outcomes=outcomes)


_demo_template: Path | None = None


def copy_demo_catalog(catalog_dir: Path) -> Path:
    """A fresh copy of the demo catalog (built once per process, then copied: tests edit their copy)."""
    global _demo_template
    if _demo_template is None or not _demo_template.exists():
        _demo_template = build_demo_catalog(Path(tempfile.mkdtemp(prefix="vcat-tui-demo-")) / "catalog")
    shutil.copytree(_demo_template, catalog_dir)
    return catalog_dir


def build_demo_catalog(catalog_dir: Path = DEMO_DIR) -> Path:
    """The screenshot catalog (rebuilt from scratch each call)."""
    shutil.rmtree(catalog_dir, ignore_errors=True)
    store = CatalogStore.open_dir(catalog_dir)
    ids = []
    for i, spec in enumerate(DEMO_CLIPS):
        clip_id, _ = store.save_analysis(demo_analysis(i, spec, catalog_dir))
        ids.append(clip_id)
    for i, spec in enumerate(DEMO_CLIPS):
        if spec[-1].get("tags"):
            labels.add_tags(store, [ids[i]], spec[-1]["tags"])
    for name, members in DEMO_COLLECTIONS.items():
        labels.create_collection(store, name)
        if members:
            labels.add_to_collection(store, name, [ids[m] for m in members])
    _demo_people(store, ids, catalog_dir)
    for i, spec in enumerate(DEMO_CLIPS):
        if cull := spec[-1].get("cull"):
            ratings.rate(store, [ids[i]], cull[0])
            ratings.set_flag(store, [ids[i]], cull[1])
            ratings.set_label(store, [ids[i]], cull[2])
    with store.writer.begin() as conn:  # pin every "now" the store wrote
        conn.execute(update(Clip).values(processed_at=FIXED, first_seen_at=FIXED))
        conn.execute(update(ClipLocation).values(seen_at=FIXED))
        conn.execute(update(ClipTag).values(added_at=FIXED))
        conn.execute(update(Tag).values(created_at=FIXED))
        conn.execute(update(Collection).values(created_at=FIXED))
        conn.execute(update(CollectionClip).values(added_at=FIXED))
        conn.execute(update(ClipRating).values(updated_at=FIXED))
        conn.execute(update(TranscriptRow).values(created_at=FIXED))
        conn.execute(update(Person).values(created_at=FIXED, updated_at=FIXED))
    store.close()
    return catalog_dir


# who is seen in the demo clips: (clip index, person, seconds); person 0 is named, person 1 is not
DEMO_FACES = [(2, 0, 4.0), (2, 0, 120.0), (3, 0, 30.0), (0, 1, 3.0), (1, 1, 9.0), (4, 1, 2.0)]
DEMO_PEOPLE = ["Maria Lopez", None]


def _demo_face(person: int) -> np.ndarray:
    """A drawn face crop (deterministic): skin disc, eyes, mouth; hair colour tells the two people apart."""
    img = np.full((150, 150, 3), (40, 44, 52), np.uint8)
    yy, xx = np.mgrid[:150, :150]
    hair = (60, 40, 20) if person == 0 else (200, 170, 90)
    img[(yy - 70) ** 2 + (xx - 75) ** 2 < 60 ** 2] = hair
    img[((yy - 85) / 1.25) ** 2 + (xx - 75) ** 2 < 45 ** 2] = (224, 180, 150)
    for ex in (58, 92):
        img[(yy - 75) ** 2 + (xx - ex) ** 2 < 36] = (30, 30, 30)
    img[(abs(yy - 112) < 3) & (abs(xx - 75) < 16)] = (150, 60, 60)
    return img


def _demo_people(store: CatalogStore, ids: list[int], catalog_dir: Path) -> None:
    """Faces on some demo clips, grouped by the store's own rule (two people), the first one named."""
    rng = np.random.default_rng(7)
    centres = [rng.normal(0, 0.09, 128).astype(np.float32) for _ in DEMO_PEOPLE]
    (catalog_dir / "faces" / "demo").mkdir(parents=True, exist_ok=True)
    for person in range(len(DEMO_PEOPLE)):
        Image.fromarray(_demo_face(person)).save(catalog_dir / "faces" / "demo" / f"p{person}.jpg")
    for i, clip_id in enumerate(ids):
        seen = [(p, t) for c, p, t in DEMO_FACES if c == i]
        if not seen:
            continue
        result = FacesResult(faces=[FaceSeen(
            time_seconds=t, frame_index=k, box=[100, 80, 200, 200], frame_width=640, frame_height=360,
            score=1.5, vector=(centres[p] + rng.normal(0, 0.01, 128)).tolist(),
            thumbnail_path=f"faces/demo/p{p}.jpg") for k, (p, t) in enumerate(seen)])
        with store.writer.begin() as conn, Session(bind=conn) as s:
            people.write_faces(s, clip_id, result)
    listed = people.list_people(store)
    named = next(p for p in listed if p["cover_clip_id"] == ids[2] or p["cover_clip_id"] == ids[3])
    people.name_person(store, named["id"], DEMO_PEOPLE[0])


CODECS = ("h264", "hevc", "prores", "dnxhd")
CAMERAS = (("Sony", "ILCE-7M4"), ("Apple", "iPhone 15 Pro"), ("Canon", "EOS R5"), (None, None))
SIZES = ((1920, 1080), (3840, 2160), (1280, 720), (1080, 1920))
RATES = (23.976, 25.0, 29.97, 59.94)


def build_bulk_catalog(catalog_dir: Path, n: int = 100_000, *, thumbnails: bool = False) -> Path:
    """n synthetic clips (names spread over the alphabet, 50 folders, four codecs/cameras/sizes, some VFR and
    exposure warnings, every 7th rated), inserted with SQLAlchemy core executemany in one transaction per table.
    `thumbnails`: one 160 px thumbnail row per clip, pointing at one of 64 shared JPEGs (for the grid)."""
    shutil.rmtree(catalog_dir, ignore_errors=True)
    store = CatalogStore.open_dir(catalog_dir)
    clips, locations, metadata, vision, rated, thumbs = [], [], [], [], [], []
    if thumbnails:
        for k in range(64):
            _thumb_jpeg(catalog_dir / "thumbnails" / "bulk" / f"{k:02d}_160.jpg", 160, k, k % 3)
    for i in range(1, n + 1):
        name = f"clip_{(i * 7919) % n:06d}.mov"
        seconds = float(i % 600) + 0.5
        created = FIXED - timedelta(minutes=i)
        clips.append(dict(id=i, fingerprint=f"{i:032x}", hash_algorithm="xxh3_128", size=10_000_000 + i, name=name,
                          duration_seconds=seconds, created_at=created, processed_at=FIXED, first_seen_at=FIXED,
                          status="ready"))
        locations.append(dict(clip_id=i, path=f"/footage/card{i % 50:02d}/{name}", size=10_000_000 + i,
                              mtime_ns=i, inode=i, device=1, seen_at=FIXED, online=True))
        w, h = SIZES[i % 4]
        make, model = CAMERAS[i % 4]
        metadata.append(dict(clip_id=i, codec=CODECS[i % 4], width=w, height=h, frame_rate=RATES[i % 4],
                             is_vfr=i % 17 == 0, duration_seconds=seconds, camera_make=make, camera_model=model,
                             audio_tracks=1, video_tracks=1))
        if i % 23 == 0:
            vision.append(dict(clip_id=i, exposure_warning="overexposed", overexposed_percentage=9.0,
                               algorithm_version="exposure-1"))
        if i % 7 == 0:
            rated.append(dict(clip_id=i, rating=i % 6, flag=("pick", "reject", None)[i % 3],
                              label=(None, "red", "green")[i % 3], source="user", updated_at=FIXED))
        if thumbnails:
            thumbs.append(dict(clip_id=i, frame_index=0, frame_number=0, timestamp_seconds=0.0, width=160, height=90,
                               path=f"thumbnails/bulk/{i % 64:02d}_160.jpg", is_keyframe=True))
    with store.writer.begin() as conn:
        conn.execute(insert(Clip.__table__), clips)
        conn.execute(insert(ClipLocation.__table__), locations)
        conn.execute(insert(TechnicalMetadataRow.__table__), metadata)
        conn.execute(insert(VisionMetrics.__table__), vision)
        conn.execute(insert(ClipRating.__table__), rated)
        if thumbs:
            conn.execute(insert(ThumbnailRow.__table__), thumbs)
    store.close()
    return catalog_dir


class KeyTimer:
    """Sends keys the way the terminal driver does and times each one until the app has drawn the screen update it
    caused. Headless Textual skips turning updates into escape codes; the hook does that work too, so the figure
    includes what a real terminal costs. (Pilot.press is not for timing: it sleeps ~40 ms per key waiting for the
    process to go idle.)"""

    def __init__(self, app) -> None:
        self.app = app
        self.frames: list[float] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is not None and not app._batch_count:
                if hasattr(renderable, "render_segments"):
                    renderable.render_segments(app.console)
                self.frames.append(time.perf_counter())

        app._display = display

    async def press(self, key: str, timeout: float = 10.0, settle: float = 0.0) -> float:
        from textual import events

        seen = len(self.frames)
        start = time.perf_counter()
        self.app._driver.send_message(events.Key(key, None))
        while len(self.frames) == seen:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no frame after {key!r}")
            await asyncio.sleep(0.0005)
        latency = self.frames[seen] - start
        if settle:
            await asyncio.sleep(settle)
        return latency


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Let the app run until `predicate()` holds (workers load data in threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.02)


# ---- checks of the builders ------------------------------------------------------------------------------------


def test_demo_catalog_is_what_the_screens_expect(tmp_path: Path):
    catalog = open_catalog(build_demo_catalog(tmp_path / "demo"))
    try:
        assert catalog.count_clips() == len(DEMO_CLIPS)
        doc = catalog.clip_detail("1")
        assert doc["processed_at"] == FIXED.isoformat()
        assert len(doc["thumbnails"]) == 9 and all(Path(t["path"]).is_file() for t in doc["thumbnails"])
        assert {c["name"]: c["clips"] for c in catalog.list_collections()} == {"Empty bin": 0, "Interviews": 3,
                                                                             "Selects": 3}
        assert catalog.list_clips(limit=1)[0].name == "A001_C001_beach.mov"
    finally:
        catalog.close()


def test_bulk_catalog_small(tmp_path: Path):
    catalog = open_catalog(build_bulk_catalog(tmp_path / "bulk", n=500))
    try:
        assert catalog.count_clips() == 500
        page = catalog.list_clips(limit=10, offset=100)
        assert len(page) == 10 and page[0].path.startswith("/footage/card")
    finally:
        catalog.close()

