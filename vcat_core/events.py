"""Typed progress events of an ingest run: the CLI renders them as Rich progress or JSON lines, the TUI as its
dashboard. Every event has a `kind` so a JSON-lines reader can dispatch on it."""

from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, Field

Outcome = Literal["new", "known", "duplicate", "updated", "failed", "passed_over", "deferred"]


class RunStarted(BaseModel):
    kind: Literal["run_started"] = "run_started"
    run_id: int
    roots: list[str]
    workers: int


class FileDiscovered(BaseModel):
    kind: Literal["file_discovered"] = "file_discovered"
    path: str
    size: int


class FilesUnchanged(BaseModel):
    """A batch of discovered files already catalogued and unchanged: counted, not listed one by one (a rescan of a
    million files would otherwise print two million lines). Each counts as discovered and done, outcome `known`."""

    kind: Literal["files_unchanged"] = "files_unchanged"
    count: int
    bytes: int


class DiscoveryFinished(BaseModel):
    kind: Literal["discovery_finished"] = "discovery_finished"
    candidates: int
    bytes: int
    passed_over: int
    problems: int


class StageStarted(BaseModel):
    kind: Literal["stage_started"] = "stage_started"
    path: str
    stage: str


class StageFinished(BaseModel):
    kind: Literal["stage_finished"] = "stage_finished"
    path: str
    stage: str
    seconds: float


class StageFailed(BaseModel):
    kind: Literal["stage_failed"] = "stage_failed"
    path: str
    stage: str
    error: str


class ClipDone(BaseModel):
    """One file is finished with: `outcome` says what happened to it."""

    kind: Literal["clip_done"] = "clip_done"
    path: str
    outcome: Outcome
    clip_id: int | None = None
    bytes: int = 0
    error: str | None = None


class PoolWarning(BaseModel):
    """The worker pool had to recover by itself (a worker stuck past its bound was stopped); the run goes on."""

    kind: Literal["pool_warning"] = "pool_warning"
    message: str


class RunSummary(BaseModel):
    new: int = 0
    known: int = 0
    duplicates: int = 0
    updated: int = 0
    failed: int = 0
    passed_over: int = 0
    deferred: int = 0  # left for a later run by --limit
    candidates: int = 0
    bytes_hashed: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    cancelled: bool = False
    uploaded: int = 0  # thumbnails copied to remote storage (shared catalogs with Supabase Storage)
    upload_failed: int = 0  # clips whose remote copy failed: `vcat-core storage push` tries again
    timed_out: int = 0  # files stopped by the watchdog (also counted in `failed`)
    workers_started: int = 0  # pool processes started over the run (recycling and replacements included)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class RunFinished(BaseModel):
    kind: Literal["run_finished"] = "run_finished"
    run_id: int
    summary: RunSummary
    exit_code: int


IngestEvent = Union[RunStarted, FileDiscovered, FilesUnchanged, DiscoveryFinished, StageStarted, StageFinished, StageFailed,
                    ClipDone, PoolWarning, RunFinished]
