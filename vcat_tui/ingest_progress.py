"""What the ingest dashboard shows, computed from the runner's typed events (or, for a run started by another
process, from the live counts it writes every second). Pure: times are passed in, so it is tested without a clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from vcat_core.events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    FilesUnchanged,
    IngestEvent,
    RunFinished,
    RunStarted,
    RunSummary,
    StageFailed,
    StageFinished,
    StageStarted,
)

STAGE_ORDER = ("fingerprint", "metadata", "thumbnails", "exposure")
"""The order stages are listed in; a stage not named here is listed after them, as it first appears."""

OUTCOMES = ("new", "known", "duplicate", "updated", "failed", "passed_over")
MAX_FAILURES = 500


@dataclass
class StageProgress:
    name: str
    started: int = 0
    finished: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def active(self) -> int:
        return max(self.started - self.finished - self.failed, 0)

    @property
    def done(self) -> int:
        return self.finished + self.failed

    @property
    def mean_seconds(self) -> float | None:
        return self.seconds / self.finished if self.finished else None


@dataclass
class Failure:
    path: str
    stage: str
    error: str


@dataclass
class IngestProgress:
    """Everything the dashboard draws, for one run."""

    run_id: int | None = None
    roots: list[str] = field(default_factory=list)
    workers: int = 0
    origin: str = "here"  # "here" (driven by this app: events) or "elsewhere" (another process: polled counts)
    state: str = "idle"  # idle | running | finished | cancelled | crashed | failed
    started_at: float | None = None  # seconds on the caller's clock
    ended_at: float | None = None
    discovered: int = 0
    discovered_bytes: int = 0
    discovery_done: bool = False
    candidates: int | None = None
    done: int = 0
    done_bytes: int = 0
    outcomes: Counter = field(default_factory=Counter)
    stages: dict[str, StageProgress] = field(default_factory=dict)
    in_flight: dict[str, list[str]] = field(default_factory=dict)  # path -> its stages started and not done
    failures: list[Failure] = field(default_factory=list)
    summary: RunSummary | None = None
    error: str | None = None
    _elapsed_override: float | None = None  # set for runs elsewhere: their age from the catalog's clock

    # ---- events from a run driven here -------------------------------------------------------------------------

    def apply(self, ev: IngestEvent, now: float) -> None:
        if self.started_at is None:
            self.started_at = now
        if isinstance(ev, RunStarted):
            self.run_id, self.roots, self.workers = ev.run_id, list(ev.roots), ev.workers
            self.state = "running"
        elif isinstance(ev, FileDiscovered):
            self.discovered += 1
            self.discovered_bytes += ev.size
        elif isinstance(ev, FilesUnchanged):
            self.discovered += ev.count
            self.discovered_bytes += ev.bytes
            self.done += ev.count
            self.done_bytes += ev.bytes
            self.outcomes["known"] += ev.count
        elif isinstance(ev, DiscoveryFinished):
            self.discovery_done = True
            self.candidates = ev.candidates
        elif isinstance(ev, StageStarted):
            self._stage(ev.stage).started += 1
            self.in_flight.setdefault(ev.path, []).append(ev.stage)
        elif isinstance(ev, StageFinished):
            st = self._stage(ev.stage)
            st.finished += 1
            st.seconds += ev.seconds
            self._leave_stage(ev.path, ev.stage)
        elif isinstance(ev, StageFailed):
            self._stage(ev.stage).failed += 1
            self._leave_stage(ev.path, ev.stage)
        elif isinstance(ev, ClipDone):
            self.done += 1
            self.done_bytes += ev.bytes
            self.outcomes[ev.outcome] += 1
            self.in_flight.pop(ev.path, None)
            if ev.outcome == "failed":
                stage, _, error = (ev.error or "failed").partition(": ")
                self.add_failure(Failure(ev.path, stage if error else "ingest", error or stage))
        elif isinstance(ev, RunFinished):
            self.summary = ev.summary
            self.state = "cancelled" if ev.summary.cancelled else "finished"
            self.ended_at = now
            self.in_flight.clear()

    def _stage(self, name: str) -> StageProgress:
        if name not in self.stages:
            self.stages[name] = StageProgress(name)
            order = {s: i for i, s in enumerate(STAGE_ORDER)}
            self.stages = dict(sorted(self.stages.items(), key=lambda kv: order.get(kv[0], len(order))))
        return self.stages[name]

    def _leave_stage(self, path: str, stage: str) -> None:
        stages = self.in_flight.get(path)
        if stages and stage in stages:
            stages.remove(stage)
            if not stages:
                del self.in_flight[path]

    def add_failure(self, failure: Failure) -> None:
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(failure)

    def end(self, state: str, now: float, error: str | None = None) -> None:
        """The run stopped without a RunFinished reaching us (cancelled here, or it raised)."""
        if self.state == "running" or self.state == "idle":
            self.state = state
        self.ended_at = now
        self.error = error
        self.in_flight.clear()

    # ---- counts of a run in another process --------------------------------------------------------------------

    @classmethod
    def from_run(cls, run: dict[str, Any], now_utc: datetime | None = None) -> "IngestProgress":
        """A run as `Catalog.ingest_runs()` reports it (its counts are refreshed every second by its process)."""
        counts = run.get("counts") or {}
        now_utc = now_utc or datetime.now(timezone.utc)
        started = _parse_time(run.get("started_at"))
        finished = _parse_time(run.get("finished_at"))
        elapsed = ((finished or now_utc) - started).total_seconds() if started else 0.0
        p = cls(run_id=run.get("id"), roots=list(run.get("paths") or []), origin="elsewhere",
                state=run.get("status") or "running", started_at=0.0, ended_at=elapsed if finished else None)
        p.discovered = int(counts.get("discovered") or 0)
        p.candidates = counts.get("candidates") or None
        p.discovery_done = bool(p.candidates)
        for name, key in (("new", "new"), ("known", "known"), ("duplicate", "duplicates"), ("updated", "updated"),
                          ("failed", "failed"), ("passed_over", "passed_over")):
            if counts.get(key):
                p.outcomes[name] = int(counts[key])
        p.done = sum(p.outcomes.values())
        p.done_bytes = int(counts.get("bytes_hashed") or 0)
        p._elapsed_override = max(elapsed, 0.0)
        return p

    # ---- derived figures ---------------------------------------------------------------------------------------

    def elapsed(self, now: float) -> float:
        if self._elapsed_override is not None:
            return self._elapsed_override
        if self.started_at is None:
            return 0.0
        return max((self.ended_at if self.ended_at is not None else now) - self.started_at, 0.0)

    @property
    def total(self) -> int | None:
        """Files this run will finish with: known once discovery is over (a lower bound before)."""
        return self.candidates if self.discovery_done and self.candidates is not None else None

    @property
    def failed(self) -> int:
        return self.outcomes.get("failed", 0)

    def clips_per_minute(self, now: float) -> float | None:
        t = self.elapsed(now)
        return self.done / t * 60 if t > 0 and self.done else None

    def bytes_per_second(self, now: float) -> float | None:
        t = self.elapsed(now)
        return self.done_bytes / t if t > 0 and self.done_bytes else None

    def eta_seconds(self, now: float) -> float | None:
        """Seconds left, from the bytes still to process at the byte rate so far (files when bytes are unknown)."""
        if self.state != "running" or self.total is None:
            return None
        t = self.elapsed(now)
        if t <= 0 or self.done == 0:
            return None
        if self.origin == "here" and self.discovered_bytes and self.done_bytes:
            left = max(self.discovered_bytes - self.done_bytes, 0)
            return left / (self.done_bytes / t)
        left = max(self.total - self.done, 0)
        return left / (self.done / t)

    def stage_total(self) -> int | None:
        """What each stage bar fills towards: every discovered file (files skipped as known count as done)."""
        return self.total if self.total is not None else (self.discovered or None)

    def current_stage(self, path: str) -> str | None:
        """The stage a file in flight is in: the first of its started stages not finished (the analysis stages of
        one file are started together and run in order in one worker)."""
        stages = self.in_flight.get(path)
        return stages[0] if stages else None

    def workers_busy(self) -> Counter:
        return Counter(stages[0] for stages in self.in_flight.values() if stages)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
