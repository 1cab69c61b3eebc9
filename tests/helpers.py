"""Shared test helpers: drive the real `vcat-core` console script in a subprocess, snapshot originals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VCAT_CORE = str(Path(sys.executable).with_name("vcat-core"))


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def cli_env(catalog: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"VCAT_CATALOG": str(catalog), "VCAT_CONFIG": str(catalog.parent / f"{catalog.name}-config.yaml"),
                "NO_COLOR": "1", "COLUMNS": "200"})
    for k in [k for k in env if k.startswith("VCAT_") and k not in ("VCAT_CATALOG", "VCAT_CONFIG")]:
        env.pop(k)
    env.update(extra)
    return env


def run_cli(catalog: Path, *args: str, timeout: float = 240, prefix: list[str] | None = None,
            **env: str) -> CliResult:
    proc = subprocess.run([*(prefix or []), VCAT_CORE, *args], capture_output=True, text=True, timeout=timeout,
                          env=cli_env(catalog, **env), stdin=subprocess.DEVNULL)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def snapshot_tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime_ns of every file under root (to prove originals are never written)."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            st = os.stat(p)
            try:
                data = Path(p).read_bytes()
            except PermissionError:
                data = b"<unreadable>"
            out[p] = (data, st.st_mtime_ns)
    return out


def drop_read_override() -> list[str]:
    """Prefix that makes root obey file permissions (so 'permission denied' can be tested as root)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
            "--inh-caps", "-dac_override,-dac_read_search"]
