"""Open a clip in the system's default player without waiting for it (xdg-open on Linux, open on macOS), or in mpv /
ffplay at a moment inside it (the clip detail's playhead)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def opener() -> list[str] | None:
    """The command that hands a file to the desktop's default application, or None when there is none."""
    if sys.platform == "darwin":
        return ["open"] if shutil.which("open") else None
    if os.name == "nt":
        return ["explorer"]
    for cmd in ("xdg-open", "gio"):
        if path := shutil.which(cmd):
            return [path, "open"] if cmd == "gio" else [path]
    return None


def at_time(seconds: float) -> list[str] | None:
    """A player command that starts `seconds` into the file (mpv, else ffplay), or None when neither is installed
    (the desktop opener cannot be told where to start)."""
    if path := shutil.which("mpv"):
        return [path, f"--start={seconds:.3f}", "--"]
    if path := shutil.which("ffplay"):
        return [path, "-hide_banner", "-autoexit", "-ss", f"{seconds:.3f}"]
    return None


def launch(path: str, command: list[str]) -> subprocess.Popen:
    """Start the player detached from the app's terminal (its output must not draw over the TUI)."""
    return subprocess.Popen([*command, path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
