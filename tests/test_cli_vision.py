"""Issue 3 through the CLI: quality, shots and flags land in the catalog, export and `list` filters."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from .helpers import run_cli
from .test_cuts import three_shots, write_clip
from .test_vision import render_scene


def _steady(img: np.ndarray, n: int) -> list[np.ndarray]:
    frames = []
    for i in range(n):  # a slow pan, so frames differ a little
        frames.append(np.ascontiguousarray(np.roll(img, i, axis=1)))
    return frames


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> tuple[Path, Path]:
    src = tmp_path_factory.mktemp("vision_src")
    write_clip(src / "three_shots.mp4", three_shots())  # cuts at 1.0 s and 2.2 s, 25 fps
    sharp = render_scene(640, 360, seed=3)
    write_clip(src / "sharp.mp4", _steady(sharp, 30), gop=10)
    soft = cv2.blur(sharp, (25, 25))  # well out of focus: sharpness ~3.8 < 5 (the default blurry threshold)
    write_clip(src / "soft.mp4", _steady(soft, 30), gop=10)
    cat = tmp_path_factory.mktemp("vision_cat") / "catalog"
    r = run_cli(cat, "ingest", str(src), "--thumbnails", "6", "--json", "--skip-audio", "--skip-ai")
    assert r.code == 0, r.stderr
    return cat, src


def _doc(cat: Path, name: str) -> dict:
    return next(d for d in run_cli(cat, "export").json() if d["file_name"] == name)


def test_shots_found_at_the_cuts(catalog):
    cat, _ = catalog
    doc = _doc(cat, "three_shots.mp4")
    starts = [s["start_seconds"] for s in doc["shots"]]
    assert len(starts) == 3 and starts[0] == pytest.approx(0.0, abs=0.01)
    assert starts[1] == pytest.approx(1.0, abs=0.081) and starts[2] == pytest.approx(2.2, abs=0.081)
    reps = [s["thumbnail"] for s in doc["shots"]]
    assert all(reps) and len(set(reps)) == 3  # one representative thumbnail per shot
    for t in doc["thumbnails"]:
        assert {"exposure", "quality", "ranking"} <= set(t["scores"])
    assert set(doc["thumbnail_paths"]) >= set(reps)


def test_quality_and_blurry_flag(catalog):
    cat, _ = catalog
    sharp, soft = _doc(cat, "sharp.mp4")["quality"], _doc(cat, "soft.mp4")["quality"]
    assert sharp["sharpness"] > 2 * soft["sharpness"]
    assert "blurry" in soft["flags"] and "blurry" not in sharp["flags"]
    for q in (sharp, soft):
        assert {"sharpness", "noise", "blockiness", "complexity", "shot_type", "flags"} <= set(q)
    names = lambda *a: sorted(d["file_name"] for d in run_cli(cat, "list", "--json", *a).json())  # noqa: E731
    blurry = names("--blurry")
    assert "soft.mp4" in blurry and "sharp.mp4" not in blurry
    assert "soft.mp4" not in names("--min-sharpness", str(round(sharp["sharpness"] / 2, 2)))
    assert names("--shot-type", "unknown") == ["sharp.mp4", "soft.mp4", "three_shots.mp4"]
    assert "blurry" in run_cli(cat, "list").stdout


def test_thresholds_are_settings(catalog, tmp_path):
    cat, src = catalog
    r = run_cli(cat, "config", "set", "blurry_below_sharpness=0.01")
    assert r.code == 0, r.stderr
    again = run_cli(cat, "ingest", str(src / "soft.mp4"), "--force", "--thumbnails", "6", "--skip-audio",
                    "--skip-ai")
    assert again.code == 0, again.stderr
    assert "blurry" not in _doc(cat, "soft.mp4")["quality"]["flags"]
