"""Settings layering (file < env < flag) and `vcat-core config show|set|init`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vcat_core.config import load_settings, set_config_values
from vcat_core.errors import ConfigError

from .helpers import run_cli


@pytest.fixture()
def cfg(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "config.yaml"
    monkeypatch.setenv("VCAT_CONFIG", str(path))
    for k in ("VCAT_THUMBNAILS", "VCAT_WORKERS", "VCAT_CATALOG", "VCAT_HASH_ALGORITHM"):
        monkeypatch.delenv(k, raising=False)
    return path


def test_layering(cfg: Path, monkeypatch):
    assert load_settings().thumbnails == 30
    cfg.write_text("thumbnails: 12\nworkers: 3\n")
    assert load_settings().thumbnails == 12
    monkeypatch.setenv("VCAT_THUMBNAILS", "7")
    s = load_settings()
    assert s.thumbnails == 7 and s.workers == 3
    assert load_settings(thumbnails=4).thumbnails == 4


def test_set_validates(cfg: Path):
    assert set_config_values({"--thumbnails": "20", "thumbnail-widths": "320,160"}) == {
        "thumbnails": 20, "thumbnail_widths": [160, 320]}
    assert yaml.safe_load(cfg.read_text())["thumbnails"] == 20
    with pytest.raises(ConfigError, match="unknown setting 'nope'; valid settings: .*catalog"):
        set_config_values({"nope": "1"})
    with pytest.raises(ConfigError, match="hash_algorithm"):
        set_config_values({"hash_algorithm": "sha1"})


def test_cli_config_commands(tmp_path: Path):
    cat = tmp_path / "cat"
    r = run_cli(cat, "config", "init")
    assert r.code == 0, r.stderr
    assert run_cli(cat, "config", "init").code == 2  # refuses to overwrite
    r = run_cli(cat, "config", "set", "thumbnails=20", "--hash-algorithm=md5")
    assert r.code == 0, r.stderr
    shown = run_cli(cat, "config", "show", "--json").json()
    assert shown["settings"]["thumbnails"] == 20 and shown["sources"]["thumbnails"] == "file"
    assert shown["settings"]["hash_algorithm"] == "md5"
    assert shown["sources"]["catalog"] == "env"
    r = run_cli(cat, "config", "set", "bogus=1")
    assert r.code == 2 and "unknown setting 'bogus'" in r.stderr and "thumbnails" in r.stderr
    r = run_cli(cat, "config", "set", "workers=0")
    assert r.code == 2 and "workers" in r.stderr
    env_over = run_cli(cat, "config", "show", "--json", VCAT_THUMBNAILS="9").json()
    assert env_over["settings"]["thumbnails"] == 9 and env_over["sources"]["thumbnails"] == "env"


def test_config_init_interactive_and_depth(tmp_path: Path):
    import subprocess

    from .helpers import VCAT_CORE, cli_env

    cat = tmp_path / "cat"
    answers = "\n".join([str(tmp_path / "mycat"), "3", "12", "quick", "local"]) + "\n"
    proc = subprocess.run([VCAT_CORE, "config", "init", "--interactive"], input=answers, text=True,
                          capture_output=True, env=cli_env(cat), timeout=60)
    assert proc.returncode == 0, proc.stderr
    shown = run_cli(cat, "config", "show", "--json").json()["settings"]
    assert (shown["workers"], shown["thumbnails"], shown["analysis_depth"]) == (3, 12, "quick")
    bad = run_cli(cat, "config", "set", "--analysis-depth=deep")
    assert bad.code == 2 and "analysis_depth" in bad.stderr
    assert run_cli(cat, "config", "set", "--thumbnails=20", "--analysis-depth=full").code == 0
