"""Scale benchmark: a real archive in one run. One command, figures printed (issue: hundreds of thousands of files).

    .venv/bin/python bench/scale.py                  # copies, rescan, new short clips, RSS (~5 min on 2 cores)
    .venv/bin/python bench/scale.py --copies 2000 --rescan 20000 --clips 200   # a quick look
    .venv/bin/python bench/scale.py --catalog        # + the million-clip catalog figures (bench/catalog_scale.py)
    .venv/bin/python bench/scale.py --endurance 5000 # + 5,000 generated files at full depth, RSS over time

What each figure is:
- copies: N byte-identical copies of one catalogued clip, ingested as new paths (files/s of the run itself;
  targets ≥ 2,000 files/s). Every copy must end as a location of the one clip.
- rescan: the same folder again, nothing changed (files/s; target ≥ 30,000).
- new clips: N distinct 1-second 1280×720 clips (cut from one encode) at `quick` depth, against the same clips
  decoded one by one in a bare PyAV loop (every frame, one process) and by an `ffmpeg -f null` loop (one process per
  file, as a shell loop would); target: vcat within 1.5× of the bare loop. Recycling runs with a small task limit so
  workers are replaced many times.
- RSS: every process of the run sampled twice a second; first and last quarter compared (flat = no growth).
Generated media lives under bench/.scale/ (reused between runs; delete it to rebuild).
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
from pathlib import Path

import av
import psutil

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests.media import make_segments  # noqa: E402

WORK = ROOT / ".scale"
VCAT = [sys.executable, "-m", "vcat_core"]


class RssSampler:
    """Resident memory of a process and all its children, twice a second, per process."""

    def __init__(self, pid: int, log: Path | None = None):
        self.root = psutil.Process(pid)
        self.log = log.open("w") if log else None  # time, pid, name, RSS MB: readable while a long run goes on
        self.samples: dict[int, list[tuple[float, float, str]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            now = time.monotonic() - self.started
            for p in procs:
                try:
                    rss, name = p.memory_info().rss / 2**20, p.name()
                except psutil.Error:
                    continue
                self.samples.setdefault(p.pid, []).append((now, rss, name))
                if self.log:
                    self.log.write(f"{now:.1f},{p.pid},{name},{rss:.1f}\n")
            if self.log:
                self.log.flush()

    def report(self) -> list[str]:
        """Per long-lived process: RSS in the first and the last quarter of its life (MB)."""
        lines = []
        total_peak = 0.0
        for pid, s in sorted(self.samples.items(), key=lambda kv: -len(kv[1])):
            total_peak = max(total_peak, max(r for _, r, _ in s))
            if len(s) < 8:
                continue
            q = max(1, len(s) // 4)
            first = sum(r for _, r, _ in s[:q]) / q
            last = sum(r for _, r, _ in s[-q:]) / q
            lines.append(f"    pid {pid:>7} {s[0][2][:16]:<16} {s[-1][0] - s[0][0]:6.0f} s  RSS first ¼ {first:7.1f} MB"
                         f"  last ¼ {last:7.1f} MB  ({last - first:+.1f})")
        short = sum(1 for s in self.samples.values() if len(s) < 8)
        lines.append(f"    {len(self.samples)} processes seen ({short} short-lived: recycled workers, ExifTool)")
        return lines


def vcat(args: list[str], env: dict[str, str], *, sample: bool = False,
         rss_log: Path | None = None) -> tuple[dict, list[str]]:
    """Run `vcat-core … --json`; return the run's summary (and RSS lines when sampling)."""
    proc = subprocess.Popen([*VCAT, *args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    rss: list[str] = []
    if sample:
        with RssSampler(proc.pid, rss_log) as sampler:
            out, err = proc.communicate()
        rss = sampler.report()
    else:
        out, err = proc.communicate()
    summary = None
    for line in out.splitlines():
        ev = json.loads(line)
        if ev["kind"] == "run_finished":
            summary = ev["summary"]
    if summary is None:
        raise SystemExit(f"vcat-core {' '.join(args)} failed:\n{err[-3000:]}")
    return summary, rss


def leftover_processes(before: set[int]) -> list[str]:
    names = []
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        if p.info["pid"] in before:
            continue
        cmd = " ".join(p.info["cmdline"] or [])
        if "vcat_core" in cmd or "exiftool" in cmd or "multiprocessing" in cmd:
            names.append(f"{p.info['pid']} {cmd[:80]}")
    return names


def env_for(catalog: Path, **settings: str) -> dict[str, str]:
    env = {**os.environ, "VCAT_CONFIG": str(WORK / "none.yaml"), "VCAT_CATALOG": str(catalog),
           "VCAT_ANALYSIS_DEPTH": "quick"}
    env.update({f"VCAT_{k.upper()}": v for k, v in settings.items()})
    return env


def make_copies(n: int) -> Path:
    src = WORK / "one" / "original.mp4"
    if not src.exists():
        make_segments(WORK / "one-src", 1, size="160x120", rate=10, prefix="o")
        src.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(next((WORK / "one-src").glob("o_*.mp4")), src)
    folder = WORK / f"copies-{n}"
    if not folder.exists():
        tmp = folder.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for i in range(n):
            sub = tmp / f"card{i // 1000:03d}"
            if i % 1000 == 0:
                sub.mkdir(parents=True)
            shutil.copyfile(src, sub / f"C{i:06d}.MP4")
        tmp.rename(folder)
    return folder


def bench_copies(n: int, rescan_n: int) -> None:
    catalog = WORK / "cat-copies"
    shutil.rmtree(catalog, ignore_errors=True)
    env = env_for(catalog)
    folder = make_copies(n)
    vcat(["ingest", str(WORK / "one")], env)
    s, _ = vcat(["ingest", str(folder)], env)
    dups = s["duplicates"]
    print(f"copies of known content: {n} files in {s['seconds']:.2f} s = {n / s['seconds']:,.0f} files/s "
          f"(target ≥ 2,000); {dups} recorded as locations of the one clip")
    s, _ = vcat(["ingest", str(folder)], env)
    print(f"unchanged rescan:        {n} files in {s['seconds']:.2f} s = {n / s['seconds']:,.0f} files/s")
    if rescan_n > n:
        big = make_copies(rescan_n)
        vcat(["ingest", str(big)], env)
        s, _ = vcat(["ingest", str(big)], env)
        print(f"unchanged rescan:        {rescan_n} files in {s['seconds']:.2f} s = "
              f"{rescan_n / s['seconds']:,.0f} files/s (target ≥ 30,000)")


def bare_pyav_loop(files: list[Path]) -> float:
    started = time.perf_counter()
    for f in files:
        with av.open(str(f)) as c:
            for _ in c.decode(video=0):
                pass
    return time.perf_counter() - started


def ffmpeg_loop(files: list[Path]) -> float:
    started = time.perf_counter()
    for f in files:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(f), "-f", "null", "-"], check=True)
    return time.perf_counter() - started


def segments_folder(name: str, n: int, **media) -> Path:
    """N generated one-second clips under bench/.scale/<name> (made once)."""
    folder = WORK / name
    if not folder.exists():
        make_segments(folder.with_suffix(".tmp"), n, **media)
        folder.with_suffix(".tmp").rename(folder)
    return folder


def measured_ingest(folder: Path, catalog: Path, env: dict[str, str],
                    rss_log: Path | None = None) -> tuple[dict, list[str], list[str], int]:
    """Ingest into a fresh catalog with every process sampled; (summary, RSS lines, processes left behind, files
    accounted for: catalogued, duplicate, known, passed over or failed)."""
    shutil.rmtree(catalog, ignore_errors=True)
    before = {p.pid for p in psutil.process_iter()}
    s, rss = vcat(["ingest", str(folder)], env, sample=True, rss_log=rss_log)
    time.sleep(1)
    accounted = s["new"] + s["duplicates"] + s["failed"] + s["passed_over"] + s["known"]
    return s, rss, leftover_processes(before), accounted


def bench_new_clips(n: int, max_tasks: int) -> None:
    folder = segments_folder(f"clips-{n}", n, size="1280x720", rate=25)
    files = sorted(folder.glob("*.mp4"))
    for f in files:  # page cache: compare CPU work, not the disk
        f.read_bytes()
    pyav = bare_pyav_loop(files)
    ff = ffmpeg_loop(files)
    s, rss, left, accounted = measured_ingest(folder, WORK / "cat-clips",
                                              env_for(WORK / "cat-clips", worker_max_tasks=str(max_tasks)))
    print(f"new short clips (quick): {n} files in {s['seconds']:.1f} s = {n / s['seconds']:.1f} files/s; "
          f"{s['workers_started']} workers started (recycled every {max_tasks} files); "
          f"{accounted}/{n} accounted for")
    print(f"  bare PyAV decode loop: {pyav:.1f} s → vcat / bare = {s['seconds'] / pyav:.2f}× (target ≤ 1.5×)")
    print(f"  ffmpeg -f null loop:   {ff:.1f} s → vcat / ffmpeg loop = {s['seconds'] / ff:.2f}×")
    print("  RSS over the run:")
    print("\n".join(rss))
    print(f"  processes left after exit: {len(left)}" + "".join(f"\n    {x}" for x in left))


def bench_endurance(n: int) -> None:
    folder = segments_folder(f"endurance-{n}", n, size="320x240", rate=25, audio=True)
    catalog = WORK / "cat-endurance"
    s, rss, left, accounted = measured_ingest(folder, catalog, env_for(catalog, analysis_depth="full"),
                                              rss_log=WORK / "rss-endurance.csv")
    print(f"endurance (full depth): {n} files in {s['seconds'] / 60:.1f} min; new {s['new']}, duplicates "
          f"{s['duplicates']}, failed {s['failed']}, passed over {s['passed_over']}: {accounted}/{n} accounted for;"
          f" {s['workers_started']} workers started")
    print("\n".join(rss))
    print(f"  processes left after exit: {len(left)}" + "".join(f"\n    {x}" for x in left))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=10_000)
    ap.add_argument("--rescan", type=int, default=100_000, help="files in the big unchanged rescan")
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--max-tasks", type=int, default=50, help="worker recycling limit for the new-clips run")
    ap.add_argument("--catalog", action="store_true", help="also the million-clip catalog figures")
    ap.add_argument("--catalog-clips", type=int, default=1_000_000)
    ap.add_argument("--endurance", type=int, default=0, help="files for the full-depth endurance run")
    ap.add_argument("--only-endurance", action="store_true", help="skip the other figures")
    a = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    (WORK / "none.yaml").touch()
    print(f"vcat scale benchmark · {os.cpu_count()} cores · {time.strftime('%Y-%m-%d %H:%M')}")
    if not a.only_endurance:
        bench_copies(a.copies, a.rescan)
        bench_new_clips(a.clips, a.max_tasks)
    if a.catalog:
        from bench import catalog_scale  # the million-clip figures (SQLite and Postgres)

        catalog_scale.main([f"--clips={a.catalog_clips}"])
    if a.endurance:
        bench_endurance(a.endurance)


if __name__ == "__main__":
    main()
