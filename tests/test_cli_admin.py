"""Reports, config backup/restore and system commands, on a small real catalog."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml

from . import media
from .helpers import run_cli


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("admin")
    a, b = root / "day1", root / "day2"
    media.make_apple(a)
    media.make_sony(a)
    b.mkdir()
    shutil.copy2(a / "iphone.mov", b / "iphone copy.mov")
    cat = root / "catalog"
    r = run_cli(cat, "ingest", str(root), "--thumbnails", "2", "--skip-audio", "--skip-ai")
    assert r.code == 0, r.stderr
    assert run_cli(cat, "tag", "add", "paris", str(a / "iphone.mov")).code == 0
    assert run_cli(cat, "collection", "create", "sony only").code == 0
    assert run_cli(cat, "collection", "add", "sony only", str(a / "sony_a7iv.mp4")).code == 0
    return cat


def test_storage_usage(catalog: Path):
    data = run_cli(catalog, "report", "storage-usage", "--format", "json").json()
    totals = data["totals"][0]
    iphone = (catalog.parent / "day1" / "iphone.mov").stat().st_size
    assert totals["files"] == 3 and totals["duplicate_copies"] == 1 and totals["reclaimable_bytes"] == iphone
    folders = {Path(r["folder"]).name: r["files"] for r in data["by_folder"]}
    assert folders == {"day1": 2, "day2": 1}
    assert {r["camera"] for r in data["by_camera"]} == {"Apple iPhone 15 Pro", "Sony ILCE-7M4"}
    rows = list(csv.DictReader(io.StringIO(run_cli(catalog, "report", "storage-usage", "--format", "csv").stdout)))
    assert {r["section"] for r in rows} == {"totals", "by_folder", "by_codec", "by_camera"}
    text = run_cli(catalog, "report", "storage-usage").stdout
    assert "# by folder" in text and "day2" in text
    assert run_cli(catalog, "report", "storage-usage", "--format", "xml").code == 2


def test_content_summary(catalog: Path):
    data = run_cli(catalog, "report", "content-summary", "--format", "json").json()
    assert data["totals"][0]["clips"] == 2
    assert data["top_tags"] == [{"tag": "paris", "clips": 1}]
    one = run_cli(catalog, "report", "content-summary", "--collection", "sony only", "--format", "json").json()
    assert one["totals"][0]["clips"] == 1 and one["top_cameras"] == [{"camera": "Sony ILCE-7M4", "clips": 1}]
    missing = run_cli(catalog, "report", "content-summary", "--collection", "nope")
    assert missing.code == 1 and "no collection named 'nope'" in missing.stderr


def test_ingest_history(catalog: Path):
    runs = run_cli(catalog, "report", "ingest-history", "--format", "json").json()["runs"]
    assert runs[0]["status"] == "finished" and runs[0]["new"] == 2 and runs[0]["duplicates"] == 1


def test_config_backup_restore(catalog: Path, tmp_path: Path):
    assert run_cli(catalog, "config", "set", "thumbnails=12").code == 0
    backup = tmp_path / "settings.yml"
    assert run_cli(catalog, "config", "backup", str(backup)).code == 0
    assert yaml.safe_load(backup.read_text())["thumbnails"] == 12
    assert run_cli(catalog, "config", "set", "thumbnails=40").code == 0
    assert run_cli(catalog, "config", "restore", str(backup)).code == 0
    assert run_cli(catalog, "config", "show", "--json").json()["settings"]["thumbnails"] == 12
    bad = tmp_path / "bad.yml"
    bad.write_text("thumbnails: 12\ncolour: blue\n")
    r = run_cli(catalog, "config", "restore", str(bad))
    assert r.code == 2 and "unknown setting 'colour'" in r.stderr
    r = run_cli(catalog, "config", "restore", str(tmp_path / "missing.yml"))
    assert r.code == 2 and "cannot read" in r.stderr
    garbage = tmp_path / "garbage.yml"
    garbage.write_bytes(b"\x00\xff: [unclosed")
    r = run_cli(catalog, "config", "restore", str(garbage))
    assert r.code == 2 and "not a valid vcat config" in r.stderr
    assert run_cli(catalog, "config", "show", "--json").json()["settings"]["thumbnails"] == 12  # unchanged


def test_system_commands(catalog: Path):
    status = run_cli(catalog, "system", "status", "--json").json()
    assert status["store"]["backend"] == "sqlite" and status["clips"] == 2
    assert status["store"]["schema_revision"] == status["store"]["schema_head"]
    assert status["versions"]["exiftool"] and status["versions"]["pyav"]
    checks = run_cli(catalog, "system", "healthchecks", "--json")
    assert checks.code == 0 and all(c["ok"] for c in checks.json())
    broken = run_cli(catalog, "system", "healthchecks", "--json", PATH="/nonexistent")  # no exiftool on PATH
    assert broken.code == 1
    assert [c["name"] for c in broken.json() if not c["ok"]] == ["exiftool answers"]
    assert run_cli(catalog, "system", "tasks", "--json").json() == []


def test_update_models(catalog: Path):
    r = run_cli(catalog, "system", "update-models", "--json")
    assert r.code == 0, r.stderr
    names = {c["name"] for c in r.json() if c["ok"]}
    assert {"local model whisper", "local model embedder", "face detector (OpenCV Haar cascade)"} <= names
    keyless = run_cli(catalog, "system", "update-models", "--json", VCAT_AI_PROVIDER="gemini", GEMINI_API_KEY="",
                      GOOGLE_API_KEY="")
    assert keyless.code == 1
    gem = next(c for c in keyless.json() if c["name"].startswith("Gemini"))
    assert not gem["ok"] and "API key" in gem["detail"]
