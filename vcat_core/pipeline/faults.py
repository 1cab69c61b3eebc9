"""Faults on demand, for tests and benchmarks of the watchdog: a decode that hangs.

`VCAT_FAULT_HANG=<glob>` makes a pool worker sleep (as a stuck decoder would) when it starts decoding thumbnails of
a file whose name matches the glob. Unset (always, outside tests), it costs one environment read.
"""

from __future__ import annotations

import fnmatch
import os
import time

HANG_SECONDS = 24 * 3600


def maybe_hang(path: str) -> None:
    pattern = os.environ.get("VCAT_FAULT_HANG")
    if pattern and fnmatch.fnmatch(os.path.basename(path), pattern):
        time.sleep(HANG_SECONDS)
