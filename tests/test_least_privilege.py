"""The adversarial suite (issue 16): a team member tries every read, write, queue and rename of another member's
things that migrations 0009/0013 should refuse, as two login roles and as two Supabase JWT users (PostgREST's shared
`authenticated` role, the user being the JWT's subject). Each attempt must be refused - an error from the database,
or nothing seen / changed - and each is counted; the victim's own use of the same rows is checked to work first,
so a refusal means the policy, not a broken setup."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg.types.json import Jsonb

from .helpers import run_cli
from .test_rls import role_url

CLIP = ("INSERT INTO clips (fingerprint, hash_algorithm, size, name, first_seen_at, status) "
        "VALUES (%s, 'xxh3_128', 1, %s, now(), 'ready') RETURNING id")


class Actor:
    """Someone acting on the catalog: a login role, or a JWT user behind PostgREST's `authenticated` role."""

    def __init__(self, name: str, url: str, jwt_sub: str | None = None):
        self.name, self.url, self.jwt_sub = name, url, jwt_sub

    @contextmanager
    def conn(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            if self.jwt_sub is not None:  # what PostgREST does per request
                conn.execute("SET ROLE authenticated")
                conn.execute("SELECT set_config('request.jwt.claims', %s, false)",
                             (json.dumps({"sub": self.jwt_sub, "role": "authenticated"}),))
            yield conn

    def sql(self, statement: str, *args) -> tuple[list[tuple], int]:
        with self.conn() as conn:
            cur = conn.execute(statement, args or None)
            return (cur.fetchall() if cur.description else []), cur.rowcount

    def one(self, statement: str, *args):
        return self.sql(statement, *args)[0][0][0]


def seed(victim: Actor, tag: str) -> dict[str, int]:
    """The victim's own things, made as the victim (which proves the victim may make them)."""
    ids = {"clip": victim.one(CLIP, f"fp-{tag}", f"{tag}.mov"),
           "failure": victim.one("INSERT INTO file_failures (path, stage, error, error_kind, attempts, "
                                 "first_failed_at, last_failed_at) VALUES (%s, 'metadata', 'bad', 'X', 1, now(), "
                                 "now()) RETURNING id", f"/secret/{tag}/broken.mov"),
           "run": victim.one("INSERT INTO ingest_runs (started_at, status, paths) VALUES (now(), 'running', %s) "
                             "RETURNING id", json.dumps([f"/secret/{tag}"])),
           "collection": victim.one("INSERT INTO collections (name, created_at) VALUES (%s, now()) RETURNING id",
                                    f"selects-{tag}"),
           "project": victim.one("INSERT INTO projects (name, created_at) VALUES (%s, now()) RETURNING id",
                                 f"private-{tag}")}
    victim.sql("INSERT INTO project_members (project_id, member, added_at) VALUES (%s, %s, now())",
               ids["project"], victim.jwt_sub or victim.name)
    ids["job"] = victim.one("SELECT vcat_defer_ingest(%s, '{}'::jsonb, 0)", f"/secret/{tag}/queued.mov")
    # the victim reads all of it back, renames its collection, sees its own project list
    assert victim.one("SELECT count(*) FROM file_failures WHERE id = %s", ids["failure"]) == 1
    assert victim.one("SELECT count(*) FROM ingest_runs WHERE id = %s", ids["run"]) == 1
    assert victim.one("SELECT count(*) FROM procrastinate_jobs WHERE id = %s", ids["job"]) == 1
    assert victim.sql("UPDATE collections SET name = name WHERE id = %s", ids["collection"])[1] == 1
    assert victim.one("SELECT count(*) FROM vcat_projects_of(vcat_current_user())") == 1
    return ids


def attacks(victim: Actor, v: dict[str, int], queued_path: str) -> dict[str, Callable[[Actor], object]]:
    """What the attacker tries: each returns a value, refused when it raises 42501 or reads/changes nothing."""
    who = victim.jwt_sub or victim.name
    job_json = json.dumps({"path": "/x.mov", "options": {"owner": who}})
    return {
        # reads
        "read their failure rows": lambda a: a.one("SELECT count(*) FROM file_failures"),
        "read their failure by id": lambda a: a.one("SELECT count(*) FROM file_failures WHERE id = %s", v["failure"]),
        "read their run records": lambda a: a.one("SELECT count(*) FROM ingest_runs WHERE id = %s", v["run"]),
        "read their unshared clip": lambda a: a.one("SELECT count(*) FROM clips WHERE id = %s", v["clip"]),
        "read their jobs": lambda a: a.one("SELECT count(*) FROM procrastinate_jobs WHERE id = %s", v["job"]),
        "read their job events": lambda a: a.one("SELECT count(*) FROM procrastinate_events WHERE job_id = %s",
                                                 v["job"]),
        "list their projects": lambda a: a.one("SELECT count(*) FROM vcat_projects_of(%s)", who),
        "read their project": lambda a: a.one("SELECT count(*) FROM projects WHERE id = %s", v["project"]),
        "read their project's members": lambda a: a.one("SELECT count(*) FROM project_members WHERE project_id = %s",
                                                        v["project"]),
        # writes
        "rewrite their failure": lambda a: a.sql("UPDATE file_failures SET error = 'x' WHERE id = %s",
                                                 v["failure"])[1],
        "delete their failure": lambda a: a.sql("DELETE FROM file_failures WHERE id = %s", v["failure"])[1],
        "record a failure as them": lambda a: a.sql(
            "INSERT INTO file_failures (path, stage, error, error_kind, attempts, first_failed_at, last_failed_at, "
            "owner) VALUES ('/y', 'metadata', 'x', 'X', 1, now(), now(), %s)", who)[1],
        "finish their run": lambda a: a.sql("UPDATE ingest_runs SET status = 'crashed' WHERE id = %s", v["run"])[1],
        "delete their run": lambda a: a.sql("DELETE FROM ingest_runs WHERE id = %s", v["run"])[1],
        "start a run as them": lambda a: a.sql("INSERT INTO ingest_runs (started_at, status, owner) "
                                               "VALUES (now(), 'running', %s)", who)[1],
        "rename their collection": lambda a: a.sql("UPDATE collections SET name = 'pwned' WHERE id = %s",
                                                   v["collection"])[1],
        "take over their collection": lambda a: a.sql("UPDATE collections SET owner = vcat_current_user() "
                                                      "WHERE id = %s", v["collection"])[1],
        "delete their collection": lambda a: a.sql("DELETE FROM collections WHERE id = %s", v["collection"])[1],
        "create a collection as them": lambda a: a.sql("INSERT INTO collections (name, created_at, owner) "
                                                       "VALUES ('fake', now(), %s)", who)[1],
        "change their clip": lambda a: a.sql("UPDATE clips SET name = 'x' WHERE id = %s", v["clip"])[1],
        "delete their clip": lambda a: a.sql("DELETE FROM clips WHERE id = %s", v["clip"])[1],
        "catalogue a clip as them": lambda a: a.sql(CLIP.replace("status)", "status, owner)")
                                                    .replace("'ready')", "'ready', %s)"), "fp-forged", "f", who)[1],
        "join their project": lambda a: a.sql("INSERT INTO project_members (project_id, member, added_at) "
                                              "VALUES (%s, vcat_current_user(), now())", v["project"])[1],
        # the queue
        "insert a job directly": lambda a: a.sql("INSERT INTO procrastinate_jobs (queue_name, task_name, args) "
                                                 "VALUES ('ingest', 'vcat.ingest_file', %s)", job_json)[1],
        "defer through Procrastinate": lambda a: ran(
            a, "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('ingest', 'vcat.ingest_file', 0, NULL, NULL, "
            "%s::jsonb, NULL)::procrastinate_job_to_defer_v1])", job_json),
        "queue into their project": lambda a: a.one("SELECT vcat_defer_ingest('/z.mov', %s, 0)",
                                                    Jsonb({"project_id": v["project"]})),
        "queue as them": lambda a: queued(a, "/w.mov", Jsonb({"owner": who}), 0)[0] == who,
        "jump the queue": lambda a: queued(a, "/p.mov", Jsonb({}), 1_000_000)[1] > 10,
        "cancel their job": lambda a: a.sql("UPDATE procrastinate_jobs SET status = 'cancelled' WHERE id = %s",
                                            v["job"])[1],
        "delete their job": lambda a: a.sql("DELETE FROM procrastinate_jobs WHERE id = %s", v["job"])[1],
        "steal a job as a worker": lambda a: ran(a, "SELECT procrastinate_fetch_job_v2(ARRAY['ingest'], NULL)"),
        "register a worker": lambda a: a.sql("INSERT INTO procrastinate_workers DEFAULT VALUES")[1],
        "re-open the queue": lambda a: ran(a, "SELECT vcat_secure_queue()"),
        "re-queue their file": lambda a: ran(a, "SELECT procrastinate_retry_job_v2(%s, now(), NULL, NULL, NULL)",
                                               v["job"]),
        # the schema
        "drop a table": lambda a: ran(a, "DROP TABLE file_failures"),
        "turn RLS off": lambda a: ran(a, "ALTER TABLE clips DISABLE ROW LEVEL SECURITY"),
    }


def queued(actor: Actor, path: str, options: Jsonb, priority: int) -> tuple[str, int]:
    """Queue a file through the checked function: (the owner, the priority) the job got."""
    job = actor.one("SELECT vcat_defer_ingest(%s, %s, %s)", f"/{actor.name}{path}", options, priority)
    return actor.sql("SELECT args -> 'options' ->> 'owner', priority FROM procrastinate_jobs WHERE id = %s",
                     job)[0][0]


def ran(actor: Actor, statement: str, *args) -> str:
    """For attempts whose success is simply running: "ran" unless the database refused."""
    actor.sql(statement, *args)
    return "ran"


def refused(attacker: Actor, attempt: Callable[[Actor], object]) -> bool:
    try:
        result = attempt(attacker)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return result in (0, False, None)


@pytest.fixture()
def catalog(postgres_url, tmp_path):
    """A catalog with the job queue, two login roles and Supabase's `authenticated` as members."""
    from vcat_core.service import open_catalog

    tag = uuid.uuid4().hex[:8]
    roles = [f"alice_{tag}", f"bob_{tag}"]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for role in roles:
            conn.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD \'pw-{role}\'')
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN "
                     "CREATE ROLE authenticated NOLOGIN; END IF; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    with open_catalog(catalog=tmp_path / "admin", database_url=postgres_url) as cat:
        cat.apply_schema()
        for role in (*roles, "authenticated"):
            cat.grant_member(role)
    yield {"logins": [Actor(r, role_url(postgres_url, r, f"pw-{r}")) for r in roles],
           "jwt": [Actor(f"user-{s}-{tag}", postgres_url, jwt_sub=f"user-{s}-{tag}") for s in ("a", "b")],
           "tag": tag}
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for role in roles:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_every_attempt_on_another_members_things_is_refused(catalog, capsys):
    tried = refused_count = 0
    let_through = []
    for kind in ("logins", "jwt"):
        victim, attacker = catalog[kind]
        v = seed(victim, f"{kind}-{catalog['tag']}")
        # a login role cannot pose as a JWT user (or anyone) by setting the claims itself
        forged = Actor(attacker.name, attacker.url) if kind == "logins" else None
        for name, attempt in attacks(victim, v, "/secret").items():
            tried += 1
            if refused(attacker, attempt):
                refused_count += 1
            else:
                let_through.append(f"{kind}: {name}")
        if forged is not None:
            tried += 1
            with forged.conn() as conn:
                conn.execute("SELECT set_config('request.jwt.claims', %s, false)",
                             (json.dumps({"sub": victim.name}),))
                if conn.execute("SELECT count(*) FROM file_failures").fetchone()[0] == 0:
                    refused_count += 1
                else:
                    let_through.append("logins: forged JWT claims")
        # nothing of the victim's changed
        assert victim.one("SELECT error FROM file_failures WHERE id = %s", v["failure"]) == "bad"
        assert victim.one("SELECT name FROM collections WHERE id = %s", v["collection"]).startswith("selects-")
        assert victim.one("SELECT status FROM ingest_runs WHERE id = %s", v["run"]) == "running"
        assert victim.one("SELECT status FROM procrastinate_jobs WHERE id = %s", v["job"]) == "todo"
    with capsys.disabled():
        print(f"\nleast privilege: {refused_count} of {tried} attempts refused")
    assert not let_through, let_through
    assert refused_count == tried >= 70


def test_members_rename_and_queue_through_the_cli(catalog, postgres_url, tmp_path):
    """The user-facing side: a member told in a sentence that a collection is not theirs; their queued files carry
    their name whatever the options said; their failures are theirs alone."""
    alice, bob = catalog["logins"]

    def cli(who: Actor, *args: str):
        return run_cli(tmp_path / who.name, *args, VCAT_DATABASE_URL=who.url)

    assert cli(alice, "collection", "create", "reel").code == 0
    for args in (("rename", "reel", "mine"), ("delete", "reel")):
        res = cli(bob, "collection", *args)
        assert res.code == 1 and "only its owner" in res.stderr, res.stderr
    assert cli(alice, "collection", "rename", "reel", "reel2").code == 0
    footage = tmp_path / "bob-footage"
    footage.mkdir()
    (footage / "not-really.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + b"\x00" * 64)
    res = cli(bob, "ingest", str(footage), "--queue", "--json")
    assert res.code == 0 and len(res.json()["queued"]) == 1, res.stderr
    assert run_cli(tmp_path / "admin", "worker", "--queues", "ingest,processing", "--until-empty",
                   VCAT_DATABASE_URL=postgres_url).code == 0
    assert [f["path"] for f in cli(bob, "failures", "--json").json()] == [str(footage / "not-really.mov")]
    assert cli(alice, "failures", "--json").json() == []


def test_a_member_cancelling_a_job_is_told_it_is_the_admins(catalog, postgres_url, tmp_path):
    alice, _ = catalog["logins"]
    job = alice.one("SELECT vcat_defer_ingest('/mine.mov', '{}'::jsonb, 0)")
    res = run_cli(tmp_path / "alice", "queue", "cancel", "--task-id", str(job), VCAT_DATABASE_URL=alice.url)
    assert res.code == 1 and "not allowed" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert alice.one("SELECT status FROM procrastinate_jobs WHERE id = %s", job) == "todo"


def test_a_worker_role_catalogues_for_every_member_and_can_do_nothing_else(catalog, postgres_url, tmp_path,
                                                                           capsys):
    """Workers log in as a role holding `vcat_worker` (`schema grant ROLE --worker`), not as the admin: it runs
    two members' jobs, each clip and failure ending up theirs; everything an admin could do besides is refused."""
    from . import media

    alice, bob = catalog["logins"]
    name = f"worker_{catalog['tag']}"
    admin = Actor("admin", postgres_url)
    admin.sql(f'CREATE ROLE "{name}" LOGIN PASSWORD \'pw-{name}\'')
    worker = Actor(name, role_url(postgres_url, name, f"pw-{name}"))
    shared = tmp_path / "shared-catalog"  # the thumbnails folder every machine mounts
    res = run_cli(shared, "schema", "grant", name, "--worker", VCAT_DATABASE_URL=postgres_url)
    assert res.code == 0 and "granted vcat_worker" in res.stdout, res.stderr
    for who, size in ((alice, "64x48"), (bob, "96x64")):
        folder = tmp_path / f"{who.name}-footage"
        media.make_segments(folder, 1, size=size, rate=5, prefix=who.name)
        if who is alice:
            media.make_text(folder / "notes.mp4")
        res = run_cli(shared, "ingest", str(folder), "--queue", "--skip-ai", "--json", VCAT_DATABASE_URL=who.url)
        assert res.code == 0 and res.json()["queued"], res.stderr

    # every table a worker writes, those of later migrations included (faces, people…), is open to it
    cannot = admin.sql("SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                       "AND c.relkind = 'r' AND c.relname NOT IN ('alembic_version', 'projects', "
                       "'project_members', 'collections', 'collection_clips', 'vcat_queue_schema') "
                       "AND NOT (has_table_privilege(%s, c.oid, 'INSERT, UPDATE, DELETE') AND (NOT c.relrowsecurity "
                       "OR EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid "
                       "AND p.polname = 'vcat_worker_all')))", name)[0]
    assert cannot == [], cannot
    res = run_cli(shared, "worker", "--until-empty", VCAT_DATABASE_URL=worker.url, VCAT_ANALYSIS_DEPTH="quick")
    assert res.code == 0, res.stderr[-3000:]
    owners = dict(admin.sql("SELECT name, owner FROM clips WHERE name LIKE %s OR name LIKE %s",
                            f"{alice.name}%", f"{bob.name}%")[0])
    assert owners == {f"{alice.name}_00000.mp4": alice.name, f"{bob.name}_00000.mp4": bob.name}
    assert admin.sql("SELECT owner FROM file_failures WHERE path LIKE '%%notes.mp4'")[0] == [(alice.name,)]
    assert [c["file_name"] for c in run_cli(shared, "list", "--json", VCAT_DATABASE_URL=alice.url).json()] == \
        [f"{alice.name}_00000.mp4"]  # each member sees their own
    status = {q["queue"]: q for q in run_cli(shared, "queue", "status", "--json",
                                             VCAT_DATABASE_URL=postgres_url).json()}
    assert status["ingest"]["failed"] == status["processing"]["failed"] == 0

    project = admin.one("INSERT INTO projects (name, created_at, created_by) VALUES (%s, now(), %s) RETURNING id",
                        f"p-{catalog['tag']}", alice.name)
    beyond = {
        "drop a table": "DROP TABLE clips",
        "truncate": "TRUNCATE clips CASCADE",
        "turn row security off": "ALTER TABLE clips DISABLE ROW LEVEL SECURITY",
        "drop a policy": "DROP POLICY vcat_clips_select ON clips",
        "add a policy": "CREATE POLICY evil ON clips FOR SELECT USING (true)",
        "create a table": "CREATE TABLE evil (x int)",
        "make a role": "CREATE ROLE evil_role",
        "grant itself membership": f'GRANT vcat_member TO "{name}"',
        "grant the worker role on": f'GRANT vcat_worker TO "{alice.name}"',
        "join a project": f"INSERT INTO project_members (project_id, member, added_at) VALUES ({project}, "
                          f"'{name}', now())",
        "rename a project": f"UPDATE projects SET name = 'mine' WHERE id = {project}",
        "delete a project": f"DELETE FROM projects WHERE id = {project}",
        "make a collection": "INSERT INTO collections (name, created_at) VALUES ('evil', now())",
        "rewrite the schema revision": "UPDATE alembic_version SET version_num = '0001'",
        "re-run the worker grants": "SELECT vcat_secure_workers()",
        "replace a function": "CREATE OR REPLACE FUNCTION vcat_current_user() RETURNS text LANGUAGE sql AS "
                              "$$ SELECT 'postgres' $$",
    }
    let_through = [what for what, statement in beyond.items() if not refused(worker, lambda a, s=statement: a.sql(s))]
    schema_apply = run_cli(shared, "schema", "apply", VCAT_DATABASE_URL=worker.url)
    with capsys.disabled():
        print(f"\nworker role: {len(beyond) + 1 - len(let_through) - (schema_apply.code == 0)} of "
              f"{len(beyond) + 1} attempts beyond its job refused")
    assert not let_through, let_through
    assert schema_apply.code != 0 and "Traceback" not in schema_apply.stderr, schema_apply.stderr[-2000:]
    assert admin.one("SELECT count(*) FROM project_members WHERE member = %s", name) == 0
    admin.sql(f'DROP OWNED BY "{name}"')
    admin.sql(f'DROP ROLE "{name}"')
