"""Runner internals that a user cannot trigger on demand: a pool worker dying mid-task."""

from __future__ import annotations

import asyncio
import operator
import os
from pathlib import Path

import pytest

from vcat_core.errors import MediaError
from vcat_core.pipeline.pool import Budget
from vcat_core.pipeline.runner import IngestOptions, IngestRunner
from vcat_core.pipeline.worker import AnalysisOptions
from vcat_core.store.catalog import CatalogStore


def test_crashed_worker_fails_one_task_and_pool_recovers(tmp_path: Path):
    store = CatalogStore.open_dir(tmp_path)
    opts = IngestOptions(workers=1, hash_algorithm="xxh3_128", analysis=AnalysisOptions(catalog_dir=str(tmp_path)))
    runner = IngestRunner(store, [], opts)

    async def go():
        runner._pool = runner._new_pool()
        try:
            with pytest.raises(MediaError, match="died"):
                await runner._in_pool(os._exit, 3, budget=Budget(60))  # the worker dies, as on a decoder segfault
            assert await runner._in_pool(operator.add, 2, 3, budget=Budget(60)) == 5  # a fresh worker carries on
        finally:
            runner._pool.shutdown()

    asyncio.run(go())


def test_a_run_that_cannot_start_ends_its_event_stream(tmp_path: Path):
    """The pool failing to start must surface as an error, not a silent hang."""
    store = CatalogStore.open_dir(tmp_path)
    opts = IngestOptions(workers=1, hash_algorithm="xxh3_128", analysis=AnalysisOptions(catalog_dir=str(tmp_path)))
    runner = IngestRunner(store, [str(tmp_path)], opts)

    def broken_pool():
        raise OSError("cannot start worker processes")
    runner._new_pool = broken_pool

    async def go():
        async for _ in runner.events():
            pass

    with pytest.raises(OSError, match="cannot start"):
        asyncio.run(asyncio.wait_for(go(), timeout=30))
