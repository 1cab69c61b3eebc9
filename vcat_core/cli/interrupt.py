"""Ctrl-C always ends an ingest. The first one stops the run in order (workers killed, what was catalogued kept,
the run recorded, exit 130); should that orderly stop itself stall, the process ends anyway `STOP_GRACE` seconds
later, with every process it started killed first."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Coroutine
from typing import Any

STOP_GRACE = 60.0


class _Runner(asyncio.Runner):
    """asyncio's runner (its first Ctrl-C cancels the main task, a second raises), with the deadline armed on the
    first. `_on_sigint` is asyncio's own hook (Python 3.11+): the public API cannot see the first Ctrl-C without
    replacing asyncio's handling of it; where the hook is missing, only the deadline is lost."""

    def _on_sigint(self, signum, frame, main_task):
        if getattr(self, "_interrupt_count", 0) == 0:
            _arm_deadline(STOP_GRACE)
        return super()._on_sigint(signum, frame, main_task)


def run_interruptible(coro: Coroutine[Any, Any, Any]) -> Any:
    with _Runner() as runner:
        return runner.run(coro)


def _arm_deadline(seconds: float) -> None:
    def fire() -> None:
        time.sleep(seconds)
        for pid in _descendants(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(130)

    threading.Thread(target=fire, name="vcat-stop-deadline", daemon=True).start()


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc; elsewhere none: workers there end with their parent's pipe)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *_descendants(kid)]
    return found
