"""Hostile files: a fuzz run of mutated test media through the real CLI (issue 16). One command, figures printed.

    .venv/bin/python bench/fuzz.py                    # 1,000 mutated files + 10,000 streams + a decompression bomb
    .venv/bin/python bench/fuzz.py --files 100        # a quick look
    .venv/bin/python bench/fuzz.py --json

Files come from tests/hostile.py (byte flips, truncations, zeroed / repeated runs, swapped halves, 65535×65535
headers; seed 16, so a file that breaks vcat can be made again). They are ingested by `vcat-core ingest` with
`--workers 2` at quick depth, under a per-file bound (`watchdog_seconds`, `watchdog_per_media_second`) and a memory
cap per worker (`worker_address_space_mb`, RLIMIT_AS). Figures:
- files: made / catalogued / failed / unaccounted (neither a clip location nor a failure row: must be 0);
- hangs: files stopped by the watchdog (`WatchdogTimeout`); the run itself must end before `--run-timeout`;
- crashes: files whose worker died twice (`WorkerCrashed`), pool warnings, and the run's exit code (0 or 1 only;
  anything else, or a traceback, is a crash of vcat itself);
- memory: the peak resident (VmHWM) and address space (VmPeak) of any worker process, sampled 10 times a second,
  against the cap;
- left behind: processes of the run still alive after it ended (must be 0).
Generated files live under bench/.fuzz/ (reused; delete it to rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests import hostile  # noqa: E402

WORK = ROOT / ".fuzz"
VCAT_CORE = str(Path(sys.executable).with_name("vcat-core"))


def build(files: int, bomb_frames: int) -> Path:
    corpus = WORK / f"corpus-{files}-{bomb_frames}"
    if not (corpus / ".done").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        seeds = hostile.seeds(WORK / "seeds")
        hostile.mutate(seeds, corpus / "mutated", files)
        hostile.built_whole(corpus / "whole", bomb_frames=bomb_frames)
        (corpus / ".done").write_text("")
    return corpus


class Sampler(threading.Thread):
    """Peak VmHWM / VmPeak (MB) over the run's worker processes (children of the CLI, not exiftool)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.stop, self.rss, self.vm, self.seen = psutil.Process(pid), threading.Event(), 0, 0, set()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                kids = self.root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for kid in kids:
                try:
                    if kid.name().startswith(("exiftool", "perl")):
                        continue
                    with open(f"/proc/{kid.pid}/status") as fh:
                        status = dict(line.split(":", 1) for line in fh if ":" in line)
                    self.rss = max(self.rss, int(status["VmHWM"].split()[0]) // 1024)
                    self.vm = max(self.vm, int(status["VmPeak"].split()[0]) // 1024)
                    self.seen.add(kid.pid)
                except (OSError, KeyError, psutil.Error):
                    continue
            time.sleep(0.1)


def fuzz(corpus: Path, *, workers: int, memory_mb: int, watchdog: float, per_media_second: float,
         run_timeout: float) -> dict:
    catalog = WORK / "catalog"
    shutil.rmtree(catalog, ignore_errors=True)
    env = {**os.environ, "VCAT_CATALOG": str(catalog), "VCAT_CONFIG": str(WORK / "config.yaml"),
           "VCAT_WORKER_ADDRESS_SPACE_MB": str(memory_mb), "VCAT_WATCHDOG_SECONDS": str(watchdog),
           "VCAT_WATCHDOG_PER_MEDIA_SECOND": str(per_media_second), "VCAT_ANALYSIS_DEPTH": "quick"}
    made = sorted(str(p) for p in corpus.rglob("*") if p.is_file() and p.name != ".done")
    started = time.monotonic()
    proc = subprocess.Popen([VCAT_CORE, "ingest", str(corpus), "--workers", str(workers), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=run_timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        timed_out = True
    seconds = time.monotonic() - started
    sampler.stop.set()
    time.sleep(0.5)
    left = [pid for pid in sampler.seen if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    listed = json.loads(subprocess.run([VCAT_CORE, "export", "--format", "json"], env=env, capture_output=True,
                                       text=True).stdout or "[]")
    located = {loc["path"] for clip in listed for loc in clip.get("locations", [])}
    failures = json.loads(subprocess.run([VCAT_CORE, "failures", "--json"], env=env, capture_output=True,
                                         text=True).stdout or "[]")
    failed = {f["path"] for f in failures}
    kinds = Counter(f["kind"] for f in failures)
    passed_over = {e.get("path") for e in events if e.get("kind") == "clip_done" and e.get("outcome") == "passed_over"}
    return {
        "files": len(made), "catalogued": len(located & set(made)), "failed": len(failed & set(made) - located),
        "catalogued_with_a_failed_stage": len(failed & located & set(made)),
        "watchdog_files": sorted(os.path.basename(f["path"]) for f in failures if f["kind"] == "WatchdogTimeout"),
        "passed_over": len(passed_over & set(made)),
        "unaccounted": sorted(set(made) - located - failed - passed_over)[:20],
        "hangs": kinds.get("WatchdogTimeout", 0), "worker_crashes": kinds.get("WorkerCrashed", 0),
        "pool_warnings": sum(1 for e in events if e.get("kind") == "pool_warning"),
        "exit_code": proc.returncode, "run_timed_out": timed_out, "traceback": "Traceback" in stderr,
        "failure_kinds": dict(kinds.most_common()), "seconds": round(seconds, 1),
        "peak_worker_rss_mb": sampler.rss, "peak_worker_address_space_mb": sampler.vm,
        "address_space_cap_mb": memory_mb, "processes_left": len(left),
        "stderr_tail": stderr[-1500:] if proc.returncode not in (0, 1) else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000, help="mutated files (plus the two built whole)")
    ap.add_argument("--bomb-frames", type=int, default=20_000, help="4096² frames the decompression bomb holds")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-mb", type=int, default=2048, help="address-space cap per worker (RLIMIT_AS)")
    ap.add_argument("--watchdog", type=float, default=30.0, help="per-file bound, seconds")
    ap.add_argument("--per-media-second", type=float, default=0.5, help="bound added per second of footage")
    ap.add_argument("--run-timeout", type=float, default=3600.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    corpus = build(args.files, args.bomb_frames)
    result = fuzz(corpus, workers=args.workers, memory_mb=args.memory_mb, watchdog=args.watchdog,
                  per_media_second=args.per_media_second, run_timeout=args.run_timeout)
    if args.json:
        print(json.dumps(result))
        return
    print(f"fuzz files         {result['files']} ({result['catalogued']} catalogued, {result['failed']} failed, "
          f"{result['passed_over']} passed over, {len(result['unaccounted'])} unaccounted)")
    print(f"  of the catalogued, {result['catalogued_with_a_failed_stage']} with a stage failed (kept, marked)")
    print(f"hangs              {result['hangs']} stopped by the watchdog {result['watchdog_files'][:5]}; run "
          f"finished in time: {not result['run_timed_out']} ({result['seconds']} s)")
    print(f"crashes            {result['worker_crashes']} files crashed their worker twice, "
          f"{result['pool_warnings']} pool warnings, exit code {result['exit_code']}, "
          f"traceback: {result['traceback']}")
    print(f"peak worker memory {result['peak_worker_rss_mb']} MB resident, {result['peak_worker_address_space_mb']} MB "
          f"address space (cap {result['address_space_cap_mb']} MB)")
    print(f"processes left     {result['processes_left']}")
    print(f"failure kinds      {result['failure_kinds']}")
    if result["unaccounted"]:
        print("unaccounted:", *result["unaccounted"], sep="\n  ")
    if result["stderr_tail"]:
        print(result["stderr_tail"])


if __name__ == "__main__":
    main()
