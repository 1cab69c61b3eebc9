"""ExifTool tags through ONE long-lived `exiftool -stay_open` process per OS process (pyexiftool's ExifToolHelper).

* `get_exiftool()` starts the process lazily on first use and returns it; later calls reuse it (same pid). A process
  inherited through `fork()` is never used by the child (its pipes belong to the parent): the child starts its own.
* Shutdown is registered per process both with `atexit` and with `multiprocessing.util.Finalize(None, …,
  exitpriority=10)`, because process-pool workers leave through `os._exit` and never run atexit handlers. If a worker
  is killed outright, exiftool sees EOF on its stdin and exits by itself.
* `read_tags(path)` returns ``{"Group1:TagName": value}`` from ``-j -G1 -n`` (family-1 groups such as ``Keys``,
  ``UserData``, ``ItemList``, ``XMP-exif``, ``ExifIFD``, ``Composite``, ``Track1``; ``-n`` gives numbers, decimal GPS
  degrees and unconverted date strings). Binary-data placeholders are dropped. It never raises: a file ExifTool can't
  read (``File is empty``, ``File format error``) gives ``{}``, so does a timeout or a crash; a dead process is
  replaced on the next call (and a write to a process that died since the last call is retried once on a fresh one).

Only reading options are ever sent: ExifTool never writes to the media file from here.

pyexiftool's own `execute()` blocks forever if exiftool dies mid-answer (it polls `select` on a pipe at EOF), so the
helper below overrides it with one that reads stdout and stderr together, with a deadline, and treats EOF as a crash.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import select
import threading
import time
from typing import Any

from exiftool import ExifToolHelper

log = logging.getLogger(__name__)

COMMON_ARGS = ["-G1", "-n", "-api", "LargeFileSupport=1"]
DEFAULT_TIMEOUT = 60.0
_ERROR_ONLY_GROUPS = {"ExifTool", "System", "File"}
# path-dependent or changing on every read: kept out so the same file always gives the same tags
_VOLATILE = {"System:FileName", "System:Directory", "System:FileAccessDate", "System:FileInodeChangeDate"}


class ExifToolFailure(RuntimeError):
    """The exiftool process died, timed out or answered something unparseable."""


class ExifToolDied(ExifToolFailure):
    pass


class ExifToolTimeout(ExifToolFailure):
    pass


class BatchExifTool(ExifToolHelper):
    """ExifToolHelper with an `execute()` that cannot hang: deadline + EOF detection on both pipes."""

    timeout: float = DEFAULT_TIMEOUT

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, executable: str | None = None) -> None:
        kwargs: dict[str, Any] = {"common_args": list(COMMON_ARGS), "encoding": "utf-8"}
        if executable:
            kwargs["executable"] = executable
        super().__init__(auto_start=False, check_execute=False, check_tag_names=False, **kwargs)
        self.timeout = timeout

    @property
    def pid(self) -> int | None:
        proc = getattr(self, "_process", None)
        return proc.pid if proc is not None else None

    def alive(self) -> bool:
        proc = getattr(self, "_process", None)
        return bool(self._running and proc is not None and proc.poll() is None)

    def execute(self, *params: Any, raw_bytes: bool = False) -> Any:  # type: ignore[override]
        proc = self._process
        if proc is None or proc.poll() is not None:
            raise ExifToolDied("exiftool is not running")
        n = random.randint(100000, 999999)
        ready = f"{{ready{n}}}".encode()
        post = f"post{n}".encode()
        args = [p if isinstance(p, bytes) else str(p).encode(self._encoding, errors="surrogateescape") for p in params]
        args += [b"-echo4", b"=${status}=" + post, f"-execute{n}".encode()]
        try:
            proc.stdin.write(b"\n".join(args) + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise ExifToolDied(f"exiftool stdin closed: {exc}") from exc
        out, err = self._read_answer(proc, ready, post)
        out = out.rstrip()[: -len(ready)]
        err = err.rstrip()[: -len(post)]
        # stderr ends with "=<status>="
        status = None
        if err.endswith(b"="):
            start = err.rfind(b"=", 0, len(err) - 1)
            if start >= 0:
                try:
                    status = int(err[start + 1 : -1])
                except ValueError:
                    status = None
                err = err[:start]
        self._last_stdout = out if raw_bytes else out.decode(self._encoding, errors="replace")
        self._last_stderr = err if raw_bytes else err.decode(self._encoding, errors="replace")
        self._last_status = status
        return self._last_stdout

    def _read_answer(self, proc: Any, ready: bytes, post: bytes) -> tuple[bytes, bytes]:
        deadline = time.monotonic() + self.timeout
        fds = {proc.stdout.fileno(): ready, proc.stderr.fileno(): post}
        bufs: dict[int, bytearray] = {fd: bytearray() for fd in fds}
        pending = set(fds)
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ExifToolTimeout(f"exiftool gave no answer within {self.timeout:.0f} s")
            readable, _, _ = select.select(list(pending), [], [], remaining)
            for fd in readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise ExifToolDied("exiftool closed its output (crashed?)")
                buf = bufs[fd]
                buf += chunk
                tail = bytes(buf[-(len(fds[fd]) + 16) :]).rstrip()
                if tail.endswith(fds[fd]):
                    pending.discard(fd)
        return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()])

    def kill(self) -> None:
        """Stop the process hard (after a timeout or a garbled answer) and reap it."""
        proc = getattr(self, "_process", None)
        if proc is not None:
            try:
                proc.kill()
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            _close_pipes(proc)
        self._flag_running_false()

    def shutdown(self, timeout: float = 5.0) -> None:
        proc = getattr(self, "_process", None)
        if proc is None:
            self._flag_running_false()
            return
        if proc.poll() is None:
            try:
                proc.communicate(input=b"-stay_open\nFalse\n", timeout=timeout)
            except Exception:  # noqa: BLE001
                pass
        if proc.poll() is None:
            self.kill()
            return
        _close_pipes(proc)
        self._flag_running_false()


def _close_pipes(proc: Any) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except Exception:  # noqa: BLE001
            pass


# --------------------------------------------------------------------------------------------------------------------

_lock = threading.RLock()
_instance: BatchExifTool | None = None
_owner_pid: int | None = None
_registered_pids: set[int] = set()
_starts = 0  # how many processes this OS process has started (tests read it)


def get_exiftool() -> BatchExifTool:
    """The process-wide exiftool, started on first use (and restarted if it died)."""
    global _instance, _owner_pid, _starts
    with _lock:
        pid = os.getpid()
        if _instance is not None and _owner_pid != pid:
            _abandon_inherited(_instance)
            _instance = None
        if _instance is not None and not _instance.alive():
            log.warning("exiftool (pid %s) died; starting a new one", _instance.pid)
            _instance.kill()
            _instance = None
        if _instance is None:
            et = BatchExifTool()
            et.run()
            _instance = et
            _owner_pid = pid
            _starts += 1
            _register_shutdown(pid)
        return _instance


def _abandon_inherited(et: BatchExifTool) -> None:
    """A forked child holds copies of the parent's pipes: close our copies, never signal the parent's exiftool."""
    proc = getattr(et, "_process", None)
    if proc is not None:
        _close_pipes(proc)
    et._process = None  # so ExifTool.__del__ won't send "-stay_open False" to the parent's process
    et._running = False


def _register_shutdown(pid: int) -> None:
    if pid in _registered_pids:
        return
    _registered_pids.add(pid)
    atexit.register(shutdown_exiftool)
    try:
        from multiprocessing import util

        util.Finalize(None, shutdown_exiftool, exitpriority=10)
    except Exception:  # noqa: BLE001
        pass


def shutdown_exiftool() -> None:
    """Stop this process's exiftool (idempotent; safe in atexit / multiprocessing finalizers)."""
    global _instance
    with _lock:
        et, _instance_pid = _instance, _owner_pid
        if et is None:
            return
        _instance = None
        if _instance_pid != os.getpid():
            _abandon_inherited(et)
            return
        try:
            et.shutdown()
        except Exception:  # noqa: BLE001
            pass


def exiftool_pid() -> int | None:
    """Pid of this process's exiftool, or None when none is running (for tests and diagnostics)."""
    with _lock:
        if _instance is None or _owner_pid != os.getpid() or not _instance.alive():
            return None
        return _instance.pid


def _file_arg(path: str) -> str:
    if "\n" in path or "\r" in path:
        # exiftool's argfile is line-based; "#[CSTR]" lines take C escapes
        escaped = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return "#[CSTR]" + escaped
    return path


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "SourceFile" or key in _VOLATILE:
            continue
        if isinstance(value, str) and value.startswith("(Binary data ") and value.endswith(")"):
            continue
        out[key] = value
    groups = {k.split(":", 1)[0] for k in out}
    if "ExifTool:Error" in out and groups <= _ERROR_ONLY_GROUPS:
        return {}
    return out


def read_tags(path: str | os.PathLike, timeout: float | None = None) -> dict[str, Any]:
    """Grouped numeric tags of one file; {} when exiftool can't read it or fails (never raises)."""
    target = _file_arg(os.path.abspath(os.fspath(path)))  # absolute: a name starting with "-" is not an option
    for attempt in (1, 2):
        with _lock:
            try:
                et = get_exiftool()
            except Exception as exc:  # noqa: BLE001 - exiftool missing or broken: degrade to no tags
                log.warning("exiftool unavailable: %s", exc)
                return {}
            if timeout is not None:
                et.timeout = timeout
            try:
                raw = et.execute("-j", target)
            except ExifToolDied as exc:
                et.kill()
                _forget(et)
                if attempt == 1 and "stdin" in str(exc):
                    continue  # it died before reading our request: one retry on a fresh process
                log.warning("exiftool died reading %s: %s", path, exc)
                return {}
            except ExifToolTimeout as exc:
                log.warning("exiftool timed out reading %s: %s", path, exc)
                et.kill()
                _forget(et)
                return {}
            except Exception as exc:  # noqa: BLE001
                log.warning("exiftool failed reading %s: %s", path, exc)
                et.kill()
                _forget(et)
                return {}
            finally:
                if timeout is not None:
                    et.timeout = DEFAULT_TIMEOUT
        if not raw.strip():
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            log.warning("exiftool gave invalid JSON for %s", path)
            return {}
        if not parsed or not isinstance(parsed, list) or not isinstance(parsed[0], dict):
            return {}
        return _clean(parsed[0])
    return {}


def _forget(et: BatchExifTool) -> None:
    global _instance
    with _lock:
        if _instance is et:
            _instance = None
