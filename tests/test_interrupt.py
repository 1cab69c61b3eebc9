"""Ctrl-C always ends an ingest: should the orderly stop stall, the process ends STOP_GRACE seconds after the first
Ctrl-C with exit 130, every process it started killed (vcat_core/cli/interrupt.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

STALLING = textwrap.dedent("""
    import asyncio, subprocess, time
    from vcat_core.cli import interrupt
    interrupt.STOP_GRACE = 2
    child = subprocess.Popen(["sleep", "300"])
    async def main():
        try:
            await asyncio.sleep(100)
        except asyncio.CancelledError:
            time.sleep(120)  # an orderly stop that stalls
            raise
    print(child.pid, flush=True)
    interrupt.run_interruptible(main())
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_a_stalled_stop_still_ends_with_130_and_no_process_left():
    proc = subprocess.Popen([sys.executable, "-c", STALLING], stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    kid = int(proc.stdout.readline())
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert time.monotonic() - started < 30  # the grace (2 s here), not the stalled stop's two minutes
    time.sleep(0.2)
    assert not _alive(kid)
    proc.stdout.close()
