"""Projects: clips shared with a team. On Postgres the database enforces who sees what (row-level security,
migration 0009): a clip is read by its owner and by the members of its project, and written only by its owner.
On SQLite a project is a plain grouping of clips (one user, no policies).

Also the grants an admin hands out: `vcat_member` is the group role that carries a team member's privileges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, func, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, col, select

from ..errors import ConfigError, VcatError
from .catalog import CatalogStore, _chunks, bump_changes
from .engine import is_postgres
from .tables import Clip, Project, ProjectMember

MEMBER_ROLE = "vcat_member"
WORKER_ROLE = "vcat_worker"  # queue workers: every clip's rows, nothing else (migration 0022)


class ProjectError(VcatError):
    """A project operation that cannot be done (unknown or taken name, empty name)."""


class AccessDenied(VcatError):
    """The database refused a write: on a shared catalog only a clip's owner changes it."""


@contextmanager
def denied_as_error(what: str, hint: str = "on a shared catalog only a clip's owner (or a project's creator) "
                                           "may change it") -> Iterator[None]:
    """Turn Postgres' "permission denied" / "violates row-level security policy" (SQLSTATE 42501) into a sentence,
    instead of a driver traceback."""
    try:
        yield
    except Exception as exc:  # SQLAlchemy wraps the driver's error in .orig, Procrastinate in __cause__
        driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
        if getattr(driver_error, "sqlstate", None) != "42501" and exc.__cause__ is not None:
            driver_error = exc.__cause__
        if getattr(driver_error, "sqlstate", None) != "42501":
            raise
        detail = str(driver_error).splitlines()[0]
        raise AccessDenied(f"{what}: not allowed ({detail}); {hint}") from exc


def normalise_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ProjectError("a project needs a name")
    if len(name) > 100:
        raise ProjectError("a project name is at most 100 characters")
    return name


def current_user(store: CatalogStore) -> str | None:
    """Who the database says we are (the Postgres role or the Supabase user id); None on SQLite."""
    if not is_postgres(store.engine):
        return None
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT vcat_current_user()")).scalar_one()


def may_file_into(store: CatalogStore, who: str | None, project_id: int | None) -> bool:
    """Whether `who` may put clips into the project (a member or its creator), as the clips policy demands of
    a user's own writes: a queue worker writing for someone (bypassing the policies) checks it itself."""
    if project_id is None or who is None or not is_postgres(store.engine):
        return True
    with store.engine.connect() as conn:
        return bool(conn.execute(text("SELECT :p IN (SELECT vcat_projects_of(:who))"),
                                 {"p": project_id, "who": who}).scalar())


def _get(s: Session, name: str) -> Project:
    project = s.exec(select(Project).where(Project.name == normalise_name(name))).first()
    if project is None:
        raise ProjectError(f"no project named {name!r} (or you are not one of its members)")
    return project


def find_project_id(store: CatalogStore, name: str) -> int | None:
    with Session(store.engine) as s:
        return s.exec(select(Project.id).where(Project.name == normalise_name(name))).first()


def create_project(store: CatalogStore, name: str, members: list[str] | tuple[str, ...] = ()) -> int:
    """A new project; on Postgres its creator (who manages it) is also its first member."""
    name = normalise_name(name)
    me = current_user(store)
    try:
        with Session(store.writer) as s, s.begin():
            if s.exec(select(Project.id).where(Project.name == name)).first() is not None:
                raise ProjectError(f"a project named {name!r} already exists")
            project = Project(name=name)
            s.add(project)
            s.flush()  # the database fills created_by (Postgres); a hidden project of that name fails here
            assert project.id is not None
            for member in dict.fromkeys([m for m in (me, *members) if m]):
                s.add(ProjectMember(project_id=project.id, member=member))
            bump_changes(s)
            return project.id
    except IntegrityError as exc:
        raise ProjectError(f"a project named {name!r} already exists (you are not one of its members: ask its "
                           "creator to add you)") from exc


def ensure_project(store: CatalogStore, name: str) -> int:
    """The project's id, creating it when missing (`ingest --project NAME`)."""
    found = find_project_id(store, name)
    if found is not None:
        return found
    try:
        return create_project(store, name)
    except ProjectError:
        found = find_project_id(store, name)  # another ingest made it a moment ago
        if found is None:
            raise
        return found


def add_member(store: CatalogStore, name: str, member: str) -> bool:
    """Let `member` read the project's clips; False when it already could."""
    member = member.strip()
    if not member:
        raise ProjectError("a member needs a name (a Postgres role or a Supabase user id)")
    with denied_as_error(f"adding {member!r} to project {name!r}"), Session(store.writer) as s, s.begin():
        project = _get(s, name)
        if s.get(ProjectMember, (project.id, member)) is not None:
            return False
        s.add(ProjectMember(project_id=project.id, member=member))
        bump_changes(s)
        return True


def remove_member(store: CatalogStore, name: str, member: str) -> int:
    """Rows removed: 0 when `member` was not in it, or when we may not manage the project (the database hides it)."""
    with denied_as_error(f"removing {member!r} from project {name!r}"), Session(store.writer) as s, s.begin():
        project = _get(s, name)
        res = s.exec(delete(ProjectMember).where(ProjectMember.project_id == project.id,
                                                 ProjectMember.member == member.strip()))
        bump_changes(s)
        return res.rowcount or 0


def list_projects(store: CatalogStore) -> list[dict[str, Any]]:
    """The projects we can see, with their members and how many of their clips we can see."""
    with Session(store.engine) as s:
        projects = s.exec(select(Project).order_by(Project.name)).all()
        members: dict[int, list[str]] = defaultdict(list)
        for pid, member in s.exec(select(ProjectMember.project_id, ProjectMember.member)
                                  .order_by(ProjectMember.member)):
            members[pid].append(member)
        counts = dict(s.exec(select(Clip.project_id, func.count(Clip.id)).where(col(Clip.project_id).is_not(None))
                             .group_by(Clip.project_id)).all())
    return [{"name": p.name, "created_by": p.created_by, "created_at": p.created_at.isoformat(),
             "members": members.get(p.id, []), "clips": int(counts.get(p.id, 0))} for p in projects]


def assign(store: CatalogStore, name: str | None, clip_ids: list[int]) -> int:
    """Put clips into a project (None: take them out of theirs). Returns how many changed: on Postgres only our
    own clips can be moved, the database leaves the others as they are."""
    with denied_as_error(f"moving clips into project {name!r}"), Session(store.writer) as s, s.begin():
        project_id = _get(s, name).id if name is not None else None
        changed = 0
        for chunk in _chunks(list(dict.fromkeys(clip_ids)), 500):
            res = s.exec(update(Clip).where(col(Clip.id).in_(chunk)).values(project_id=project_id))
            changed += res.rowcount or 0
        bump_changes(s)
        return changed


# ---- grants (Postgres) ------------------------------------------------------------------------------------------

def _quote(conn: Connection, identifier: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(identifier)


def grant_role_privileges(conn: Connection) -> None:
    """(Re)grant `vcat_member` what a team member needs: every vcat table and id sequence; of the job queue, which
    `schema apply` creates after the migrations ran, only reading their own jobs (`vcat_secure_queue`, migration
    0013: members queue files through `vcat_defer_ingest`). Then `vcat_worker` its narrow rights on every table
    there is now (`vcat_secure_workers`, migration 0022). Idempotent; run by the admin."""
    names = sorted(SQLModel.metadata.tables)
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(names)} TO {MEMBER_ROLE}"))
    conn.execute(text(f"GRANT SELECT ON alembic_version TO {MEMBER_ROLE}"))
    sequences = [conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": t}).scalar()
                 for t, table in SQLModel.metadata.tables.items() if "id" in table.c]
    for seq in filter(None, sequences):
        conn.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {seq} TO {MEMBER_ROLE}"))
    conn.execute(text("SELECT vcat_secure_queue()"))
    conn.execute(text("SELECT vcat_secure_workers()"))


def grant_role(store: CatalogStore, role: str, *, revoke: bool = False, worker: bool = False) -> None:
    """Make an existing Postgres role a team member of this catalog (GRANT vcat_member TO role), or a queue worker
    (`worker`: GRANT vcat_worker), or stop it."""
    if not is_postgres(store.engine):
        raise ConfigError("roles and grants exist on Postgres catalogs only (--database-url postgresql://…)")
    group = WORKER_ROLE if worker else MEMBER_ROLE
    with store.writer.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            raise ProjectError(f"no Postgres role {role!r}: create it first (CREATE ROLE … LOGIN PASSWORD …)")
        with denied_as_error(f"granting {group} to {role!r}"):
            if revoke:
                conn.execute(text(f"REVOKE {group} FROM {_quote(conn, role)}"))
            else:
                conn.execute(text(f"GRANT {group} TO {_quote(conn, role)}"))
                grant_role_privileges(conn)
