"""A damaged SQLite catalog: found at open, checked in full on request, and recovered as far as SQLite can.

Catalogs live on drives nobody trusts: a truncated copy, a sector gone bad, a crash of the file system. Opening one
must say so in a sentence (exit 2), not crash in the middle of a run. Two levels:
- at every open (`assert_openable`, instant): the header is SQLite's, the file holds every page the header counts,
  and the schema can be read;
- `vcat-core catalog check` (`check`): SQLite's `integrity_check` and `foreign_key_check` over every page.
`recover` builds a new file from what can be read: the sqlite3 command-line tool's `.recover` (it reads pages even
where the b-tree above them is broken) when it is installed, else a row-by-row copy of every table that skips what
cannot be read. The damaged file is kept beside it, never deleted.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import VcatError

HEADER_MAGIC = b"SQLite format 3\x00"


class CatalogDamaged(VcatError):
    """The catalog file cannot be trusted; the message says what is wrong and what to run."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"the catalog {path} is damaged ({problem}); run `vcat-core catalog check` to see how "
                         "much, and `vcat-core catalog recover` to save what can be read (the damaged file is kept)")


def assert_openable(path: Path) -> None:
    """Raise CatalogDamaged unless `path` (when it exists and is not empty: a new catalog) looks like a whole
    SQLite database whose schema reads. Cheap: reads the header and the schema, not the pages."""
    if not path.exists() or path.stat().st_size == 0:
        return
    problem = header_problem(path)
    if problem is None:
        try:
            with sqlite3.connect(path, timeout=60) as conn:  # read-write: a crash's WAL may need recovery
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            pass  # locked, unreadable folder…: not damage; the real open says what it is
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            problem = str(exc)
    if problem is not None:
        raise CatalogDamaged(path, problem)


def header_problem(path: Path) -> str | None:
    """What is wrong with the file's header, or None (also for a missing or empty file)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    if len(header) < 100 or not header.startswith(HEADER_MAGIC):
        return "not an SQLite database: its header is missing or overwritten"
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages, valid_for = (struct.unpack(">I", header[o:o + 4])[0] for o in (24, 28, 92))
    if page_size < 512 or page_size & (page_size - 1):
        return f"impossible page size {page_size}"
    if size % page_size:
        return f"{size} bytes is not a whole number of {page_size}-byte pages: the file was cut short"
    if pages and valid_for == change_counter and size < pages * page_size:
        return f"the file holds {size // page_size} of its {pages} pages: it was cut short"
    return None


@dataclass
class CheckReport:
    path: str
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "problems": self.problems}


def check(path: Path, *, max_problems: int = 100) -> CheckReport:
    """SQLite's full integrity check and foreign key check."""
    problem = header_problem(path)
    if problem is not None:
        return CheckReport(str(path), False, [problem])
    problems: list[str] = []
    try:
        # read-write on purpose: after a crash the WAL index may need rebuilding, which a read-only connection
        # cannot do (it would report a sound catalog as unreadable); the checks themselves write nothing
        with sqlite3.connect(path, timeout=60) as conn:
            rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({int(max_problems)})")]
            problems += [r for r in rows if r != "ok"]
            problems += [f"row {rowid} of {table} points at a missing row of {parent}"
                         for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")][:max_problems]
    except sqlite3.OperationalError as exc:  # busy, locked, unreadable folder: no answer about the pages
        raise VcatError(f"could not check {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        problems.append(str(exc))
    return CheckReport(str(path), not problems, problems)


@dataclass
class RecoverReport:
    path: str
    kept_damaged_as: str
    method: str  # "sqlite3 .recover" or "row-by-row copy"
    rows: dict[str, int]
    rows_lost: int | None  # row-by-row: rows that could not be read; .recover does not know
    check_after: CheckReport

    def as_dict(self) -> dict:
        return {"path": self.path, "kept_damaged_as": self.kept_damaged_as, "method": self.method,
                "rows": self.rows, "rows_lost": self.rows_lost, "check_after": self.check_after.as_dict()}


def recover(path: Path, *, use_cli: bool = True) -> RecoverReport:
    """Rebuild the catalog at `path` from what can be read. The rebuilt file is made beside it first; only then is
    the damaged one (with its -wal/-shm) renamed to `<name>.damaged-<UTC time>` and kept. `use_cli=False` forces
    the row-by-row copy. Raises CatalogUnrecoverable (files left as they were) when nothing can be read."""
    if not path.exists():
        raise VcatError(f"no catalog file at {path}")
    rebuilt = path.with_name(path.name + ".recovering")
    rebuilt.unlink(missing_ok=True)
    cli = recover_tool() if use_cli else None
    rows_lost: int | None = None
    try:
        if cli:
            _recover_with_cli(cli, path, rebuilt)
            method = "sqlite3 .recover"
        else:
            rows_lost = _copy_rows(path, rebuilt)
            method = "row-by-row copy" if not use_cli else \
                "row-by-row copy (no sqlite3 tool whose .recover works: install a build with the dbpage table)"
    except sqlite3.DatabaseError as exc:
        rebuilt.unlink(missing_ok=True)
        raise CatalogUnrecoverable(path, str(exc)) from exc
    except BaseException:
        rebuilt.unlink(missing_ok=True)
        raise
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(damaged.with_name(damaged.name + suffix))
    rebuilt.rename(path)
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
        rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    return RecoverReport(str(path), str(damaged), method, rows, rows_lost, check(path))


class CatalogUnrecoverable(VcatError):
    def __init__(self, path: Path, problem: str):
        backups = sorted((path.parent / "backups").glob(f"{path.stem}-rev*.db"))
        where = (f"the newest backup is {backups[-1]} (taken before a migration): copy it over {path} to go back "
                 "to it, then ingest again to catalogue what came later" if backups else "there is no backup in "
                 f"{path.parent / 'backups'}: move {path} aside and ingest again")
        super().__init__(f"nothing can be read from {path} ({problem}); without a sqlite3 tool whose .recover "
                         f"works, its schema must be readable to copy rows; {where}. The file is left as it was")


def recover_tool() -> str | None:
    """The sqlite3 command-line tool, if its `.recover` works: it needs SQLite built with the `sqlite_dbpage`
    table, which Debian 12's sqlite3 3.40 lacks (its .recover stops with "SQL logic error")."""
    cli = shutil.which("sqlite3")
    if cli is None:
        return None
    try:
        probe = subprocess.run([cli, ":memory:", "SELECT count(*) FROM sqlite_dbpage"], capture_output=True,
                               timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return cli if probe.returncode == 0 else None


def _recover_with_cli(cli: str, damaged: Path, target: Path) -> None:
    dump = subprocess.run([cli, f"file:{damaged}?mode=ro", ".recover"], capture_output=True, timeout=3600)
    if b"COMMIT" not in dump.stdout:
        raise VcatError(f"sqlite3 .recover failed: {dump.stderr.decode(errors='replace').strip()[:300]}")
    load = subprocess.run([cli, str(target)], input=dump.stdout, capture_output=True, timeout=3600)
    if load.returncode != 0 and not target.exists():
        raise VcatError(f"loading the recovered rows failed: {load.stderr.decode(errors='replace').strip()[:300]}")
    with sqlite3.connect(target) as conn:  # .recover parks pages it cannot place here; empty means all placed
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'lost_and_found'").fetchone()
        if found and conn.execute("SELECT count(*) FROM lost_and_found").fetchone()[0] == 0:
            conn.execute("DROP TABLE lost_and_found")


def _copy_rows(damaged: Path, target: Path) -> int:
    """Copy the schema, then every table in rowid order, 500 rows at a time, narrowing a batch that cannot be read
    down to single rows. Returns how many rows were lost (a table whose root cannot be read counts as one)."""
    lost = 0
    with sqlite3.connect(f"file:{damaged}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        schema = src.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                             "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
        virtual = [name for kind, name, sql in schema if kind == "table" and sql.upper().startswith("CREATE VIRTUAL")]
        # a full-text index and its shadow tables: made empty here, rebuilt from the copied rows at the end
        tables = [(name, sql) for kind, name, sql in schema if kind == "table" and name not in virtual
                  and not any(name.startswith(f"{v}_") for v in virtual)]
        for kind, name, sql in schema:
            if kind == "table" and (name in virtual or (name, sql) in tables):
                dst.execute(sql)
        for name, sql in tables:
            try:
                top = src.execute(f'SELECT max(rowid) FROM "{name}"').fetchone()[0] or 0
            except sqlite3.DatabaseError:
                lost += 1
                continue
            rowid = 0
            while rowid < top:
                try:
                    batch = src.execute(f'SELECT rowid, * FROM "{name}" WHERE rowid > ? ORDER BY rowid LIMIT 500',
                                        (rowid,)).fetchall()
                except sqlite3.DatabaseError:
                    batch = []
                    for one in range(rowid + 1, min(rowid + 500, top) + 1):
                        try:
                            batch += src.execute(f'SELECT rowid, * FROM "{name}" WHERE rowid = ?', (one,)).fetchall()
                        except sqlite3.DatabaseError:
                            lost += 1
                    rowid = min(rowid + 500, top)
                else:
                    if not batch:
                        break
                    rowid = batch[-1][0]
                _insert(dst, name, batch)
        for kind, _, sql in schema:
            if kind in ("index", "trigger", "view"):
                try:
                    dst.execute(sql)
                except sqlite3.DatabaseError:
                    pass  # e.g. an index of a virtual table's shadow tables, made with its table
        for name in virtual:
            try:
                dst.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
            except sqlite3.DatabaseError:
                pass  # not an external-content full-text index: `vcat-core reindex` refills it
    return lost


def _insert(dst: sqlite3.Connection, table: str, rows: list[tuple]) -> None:
    if not rows:
        return
    cols = [d[1] for d in dst.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(['rowid', *(f'"{c}"' for c in cols)])
    dst.executemany(f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * (len(cols) + 1))})',
                    rows)
