"""Hostile files (issue 16), the small version of bench/fuzz.py: mutated media, 10,000 declared streams and a
decompression bomb through the real CLI end with each file catalogued or failed, within the per-file bound, and a
pool worker's memory is capped (RLIMIT_AS) so an absurd allocation fails the file, not the machine."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from . import hostile
from .helpers import run_cli


def test_mutated_files_each_end_catalogued_or_failed_within_the_bound(tmp_path):
    corpus = tmp_path / "corpus"
    seeds = hostile.seeds(tmp_path / "seeds")
    made = hostile.mutate(seeds, corpus / "mutated", 18)  # every mutation thrice
    made += hostile.built_whole(corpus / "whole", bomb_frames=400)
    catalog = tmp_path / "catalog"
    started = time.monotonic()
    res = run_cli(catalog, "ingest", str(corpus), "--workers", "2", "--json", timeout=300,
                  VCAT_WATCHDOG_SECONDS="10", VCAT_WATCHDOG_PER_MEDIA_SECOND="0.2", VCAT_ANALYSIS_DEPTH="quick",
                  VCAT_WORKER_ADDRESS_SPACE_MB="2048")
    took = time.monotonic() - started
    assert res.code in (0, 1) and "Traceback" not in res.stderr, res.stderr[-3000:]
    located = {loc["path"] for clip in run_cli(catalog, "export", "--format", "json").json()
               for loc in clip["locations"]}
    failed = {f["path"]: f for f in run_cli(catalog, "failures", "--json").json()}
    outcomes = {e["path"]: e["outcome"] for e in res.events() if e.get("kind") == "clip_done"}
    unaccounted = [str(p) for p in made if str(p) not in located and str(p) not in failed
                   and outcomes.get(str(p)) != "passed_over"]
    assert not unaccounted, unaccounted
    assert all(f["error"] for f in failed.values())  # each failure says why
    assert failed and located  # the corpus really holds both kinds (mutations that still decode, and not)
    # nothing ran past its bound: the slowest possible file is stopped after 10 s + 0.2 s per claimed second
    assert took < 200, took
    # a rerun finds nothing new to do for the files that failed the same way (no endless retry of bad bytes)
    again = run_cli(catalog, "ingest", str(corpus), "--workers", "2", "--json", timeout=300,
                    VCAT_WATCHDOG_SECONDS="10", VCAT_WATCHDOG_PER_MEDIA_SECOND="0.2", VCAT_ANALYSIS_DEPTH="quick")
    assert again.code in (0, 1) and "Traceback" not in again.stderr
    assert not [e for e in again.events() if e.get("kind") == "clip_done" and e.get("outcome") == "new"]


def test_a_worker_past_its_memory_cap_gets_a_memory_error_not_the_machine():
    """limit_memory is what the pool's initializer applies: a 65535×65535 plane (4 GB) cannot be allocated under a
    1 GB cap, and small work goes on in the same process."""
    script = textwrap.dedent("""
        import numpy as np
        from vcat_core.pipeline.worker import limit_memory, worker_init
        limit_memory(1024)
        try:
            np.ones((65535, 65535), dtype=np.uint8)
        except MemoryError:
            print("refused")
        print(int(np.ones((1000, 1000)).sum()))
        worker_init("interactive", 0)  # 0: no further cap (and it never raises the one already set)
        import resource
        print(resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["refused", "1000000", "1024"]
