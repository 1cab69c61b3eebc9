"""Crash consistency (issue 16), the small version of bench/killloop.py: an ingest SIGKILLed at random moments;
after each kill `catalog check` is clean, and a rerun ends with every content once and every path once."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path


def _killloop():
    path = Path(__file__).resolve().parent.parent / "bench" / "killloop.py"
    spec = importlib.util.spec_from_file_location("killloop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kills_at_random_moments_leave_a_clean_catalog_and_a_rerun_completes(tmp_path, monkeypatch):
    killloop = _killloop()
    monkeypatch.setattr(killloop, "WORK", tmp_path)
    folder, distinct = killloop.footage(3, 1, seconds=1.0)
    result = killloop.local_loop(3, folder, distinct, random.Random(16), settle=0.2,
                                 whole=5.0)
    assert result["kills"] >= 2, result  # most rounds were killed mid-run (not finished first)
    assert result["checks_clean"] == result["kills"], result
    assert result["final_exit"] == 0 and result["integrity"] == "ok", result
    assert result["ok"], result  # 3 clips, 4 paths each located once, no failures, every thumbnail present
