"""Multi-user catalogs: row-level security (migration 0009) on a real Postgres, driven by two login roles through the
real CLI. A clip is read by its owner and its project's members, written only by its owner; the admin sees all."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from . import media
from .helpers import run_cli

NO_AI = ("--skip-audio", "--skip-ai")


def role_url(admin_url: str, role: str, password: str) -> str:
    """The admin's URL (same host or socket, port and database) logged in as another role."""
    parts = urlsplit(admin_url)
    where = parts.netloc.rsplit("@", 1)[-1]  # "host:port", or "" with ?host=/socket/dir
    return urlunsplit(parts._replace(netloc=f"{quote(role, safe='')}:{quote(password, safe='')}@{where}"))


@pytest.fixture()
def team(postgres_url):
    """Two fresh login roles (alice, bob; unique names: roles are server-wide), dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    names = {"alice": f"alice_{tag}", "bob": f"bob_{tag}"}
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for role in names.values():
            conn.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD \'pw-{role}\'')
    yield {k: (role, role_url(postgres_url, role, f"pw-{role}")) for k, role in names.items()}
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for role in names.values():
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _sql(url: str, statement: str, *args) -> tuple[list[tuple], int]:
    """Run one statement as whoever `url` logs in as: (rows, rowcount)."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, args or None)
        return (cur.fetchall() if cur.description else []), cur.rowcount


def test_two_roles_see_their_own_and_shared_clips(postgres_url, team, tmp_path):
    alice, alice_url = team["alice"]
    bob, bob_url = team["bob"]
    urls = {"admin": postgres_url, "alice": alice_url, "bob": bob_url}

    def cli(who: str, *args: str):
        return run_cli(tmp_path / who, *args, VCAT_DATABASE_URL=urls[who])

    def listed(who: str) -> list[str]:
        res = cli(who, "list", "--json")
        assert res.code == 0, res.stderr
        return sorted(d["file_name"] for d in res.json())

    def visible(who: str) -> list[str]:  # the same question, asked of the database directly (quicker)
        return [r[0] for r in _sql(urls[who], "SELECT name FROM clips ORDER BY name")[0]]

    alice_dir, bob_dir = tmp_path / "alice-footage", tmp_path / "bob-footage"
    alice_dir.mkdir(), bob_dir.mkdir()
    media.make_vp9(alice_dir), media.make_mpeg2_ts(alice_dir), media.make_cfr(bob_dir)

    # the admin (the server's superuser) sets up the catalog and makes both roles team members
    assert cli("admin", "schema", "apply").code == 0
    for role in (alice, bob):
        res = cli("admin", "schema", "grant", role)
        assert res.code == 0 and "granted vcat_member" in res.stdout, res.stderr

    # alice catalogues her footage: hers alone
    res = cli("alice", "ingest", str(alice_dir), "--workers", "1", "--thumbnails", "2", "--json", *NO_AI)
    assert res.code == 0, [e["error"][:600] for e in res.events() if e.get("error")]
    assert visible("alice") == ["mpeg2.ts", "vp9.webm"]
    assert listed("bob") == []
    # bob has a copy of her (unshared) footage: told so, not an internal error
    copy_dir = tmp_path / "bob-copy"
    copy_dir.mkdir()
    (copy_dir / "same.webm").write_bytes((alice_dir / "vp9.webm").read_bytes())
    res = cli("bob", "ingest", str(copy_dir), "--workers", "1", "--thumbnails", "2", *NO_AI)
    assert res.code == 1 and listed("bob") == []
    failures = cli("bob", "failures", "--json").json()
    assert [f["kind"] for f in failures if f["path"].endswith("same.webm")] == ["NotShared"], failures
    assert _sql(postgres_url, "SELECT owner, project_id FROM clips")[0] == [(alice, None)] * 2  # filled in by the db
    alice_ids = [str(r[0]) for r in _sql(alice_url, "SELECT id FROM clips ORDER BY name DESC")[0]]  # vp9 first
    _sql(alice_url, "INSERT INTO tags (name, created_at) VALUES ('secret', now())")
    _sql(alice_url, "INSERT INTO clip_tags (clip_id, tag_id, added_at) SELECT %s, id, now() FROM tags",
         int(alice_ids[0]))
    # bob sees none of her rows anywhere, not even through the clip-keyed tables
    for table in ("clips", "clip_locations", "technical_metadata", "thumbnails", "stage_runs", "search_documents",
                  "clip_tags"):
        assert _sql(bob_url, f"SELECT count(*) FROM {table}")[0] == [(0,)], table
    # a tag still on someone's clip cannot be deleted from under them (it would cascade into her rows)
    assert _sql(bob_url, "DELETE FROM tags WHERE name = 'secret'")[1] == 0
    # nor can he rate a clip he does not see (migration 0012: ratings follow the clip's visibility)
    assert cli("bob", "rate", alice_ids[0], "1").code == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _sql(bob_url, "INSERT INTO clip_ratings (clip_id, rating, source, updated_at) VALUES (%s, 1, 'user', now())",
             int(alice_ids[0]))

    # alice shares them through a project with bob as a member
    res = cli("alice", "project", "create", "shoot", "--member", bob)
    assert res.code == 0, res.stderr
    res = cli("alice", "project", "assign", "shoot", *alice_ids)
    assert res.code == 0 and "assigned 2 of 2" in res.stdout, res.stdout + res.stderr
    assert listed("bob") == ["mpeg2.ts", "vp9.webm"]
    # now that he sees it, his copy is one more location of her clip (members may record where a copy lives)
    res = cli("bob", "ingest", str(copy_dir), "--workers", "1", "--json", *NO_AI)
    assert res.code == 0 and [e["outcome"] for e in res.events() if e.get("kind") == "clip_done"] == ["duplicate"], \
        [e.get("error") for e in res.events() if e.get("error")]
    assert _sql(postgres_url, "SELECT count(*) FROM clip_locations WHERE path LIKE '%%same.webm'")[0] == [(1,)]
    shown = cli("bob", "show", alice_ids[0], "--json")
    assert shown.code == 0 and shown.json()["tags"] == ["secret"] and shown.json()["file_name"] == "vp9.webm"
    hits = cli("bob", "search", "webm", "--json")
    assert hits.code == 0 and [h["clip"]["name"] for h in hits.json()["hits"]] == ["vp9.webm"]
    # meaning search ran for him too (a member may not create the vector index: the search must not try)
    assert hits.json()["embedding_model"] and not [x for x in hits.json()["explanation"] if "unavailable" in x]
    projects = {p["name"]: p for p in json.loads(cli("bob", "project", "list", "--json").stdout)}
    assert projects["shoot"]["members"] == sorted([alice, bob]) and projects["shoot"]["clips"] == 2
    assert projects["shoot"]["created_by"] == alice

    # culling is team work: a member rates and picks a shared clip, and its owner sees it
    assert cli("bob", "rate", alice_ids[0], "4").code == 0 and cli("bob", "pick", alice_ids[0]).code == 0
    shown = cli("alice", "show", alice_ids[0], "--json").json()
    assert (shown["rating"], shown["pick"]) == (4, "pick")

    # ... but reading is all he may do with them
    res = cli("bob", "tag", "add", "mine", alice_ids[0])
    assert res.code == 1 and "not allowed" in res.stderr, res.stderr
    for statement in ("UPDATE clips SET name = 'x'", "UPDATE clips SET project_id = NULL", "DELETE FROM clips",
                      "DELETE FROM clip_locations", "DELETE FROM clip_tags", "UPDATE thumbnails SET path = 'x'",
                      "DELETE FROM project_members WHERE member <> current_user"):
        assert _sql(bob_url, statement)[1] == 0, statement
    for statement, args in (  # nor add rows to her clips (but a copy's location) or to a project he did not create
            ("INSERT INTO thumbnails (clip_id, frame_index, frame_number, timestamp_seconds, width, height, path, "
             "is_keyframe) VALUES (%s, 99, 1, 0, 16, 16, 'x.jpg', true)", (int(alice_ids[0]),)),
            ("INSERT INTO project_members (project_id, member, added_at) SELECT id, 'mallory', now() FROM projects",
             ())):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _sql(bob_url, statement, *args)
    assert visible("alice") == ["mpeg2.ts", "vp9.webm"]
    assert _sql(alice_url, "SELECT count(*) FROM clip_tags")[0] == [(1,)]

    # bob's own footage, into his own project: invisible to alice until he adds her
    res = cli("bob", "ingest", str(bob_dir), "--project", "bobs", "--workers", "1", "--thumbnails", "2", "--json",
              *NO_AI)
    assert res.code == 0, [e["error"][:600] for e in res.events() if e.get("error")]
    assert visible("bob") == ["cfr.mp4", "mpeg2.ts", "vp9.webm"]
    assert visible("alice") == ["mpeg2.ts", "vp9.webm"]
    assert cli("bob", "project", "add-member", "bobs", alice).code == 0
    assert visible("alice") == ["cfr.mp4", "mpeg2.ts", "vp9.webm"]
    # a member can queue work too (the job queue's tables are granted to vcat_member); the workers (run by the
    # admin here) catalogue on his behalf, into his project
    queued_dir = tmp_path / "bob-queued"
    queued_dir.mkdir()
    media.make_mpeg4_avi(queued_dir)
    res = cli("bob", "ingest", str(queued_dir), "--queue", "--project", "bobs", "--json", *NO_AI)
    assert res.code == 0 and len(res.json()["queued"]) == 1, res.stderr
    res = cli("admin", "worker", "--queues", "ingest,processing", "--until-empty")
    assert res.code == 0, res.stderr[-2000:]
    assert visible("bob") == ["cfr.mp4", "mpeg2.ts", "mpeg4.avi", "vp9.webm"]
    assert "mpeg4.avi" in visible("alice")  # she is a member of bobs
    # a job forged to file his footage into a project he is not in: the database refuses to queue it (migration
    # 0013), and should one get in anyway (written by the admin), the worker (which bypasses the policies) refuses
    assert cli("alice", "project", "create", "private").code == 0
    private = _sql(alice_url, "SELECT id FROM projects WHERE name = 'private'")[0][0][0]
    forged_dir = tmp_path / "bob-forged"
    forged_dir.mkdir()
    media.make_mkv(forged_dir)
    from vcat_core.queue import QueueClient

    forged_options = {"stages": ["metadata"], "owner": bob, "project_id": private}
    with pytest.raises(psycopg.errors.InsufficientPrivilege), QueueClient(bob_url) as q:
        q.defer_file(str(next(forged_dir.iterdir())), forged_options)
    _sql(postgres_url, "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args) VALUES "
                       "('ingest', 'vcat.ingest_file', 'forged', %s)",
         json.dumps({"path": str(next(forged_dir.iterdir())), "options": forged_options}))
    assert cli("admin", "worker", "--queues", "ingest,processing", "--until-empty").code == 0
    forged = [f for f in cli("admin", "failures", "--json").json() if f["path"].startswith(str(forged_dir))]
    assert [f["kind"] for f in forged] == ["NotAMember"] and "mkv" not in " ".join(visible("admin"))
    # recorded as his failure (the file he queued), which only he reads
    assert [f["kind"] for f in cli("bob", "failures", "--json").json() if f["path"].startswith(str(forged_dir))] \
        == ["NotAMember"]
    assert not [f for f in cli("alice", "failures", "--json").json() if f["path"].startswith(str(forged_dir))]

    # remote thumbnails: a member pushes her own clips' thumbnails only (she sees bob's but may not record theirs)
    from vcat_core.storage import SupabaseStorage, push_thumbnails
    from vcat_core.store.catalog import CatalogStore

    from .supabase_storage_server import SupabaseStorageServer

    hers = _sql(postgres_url, "SELECT count(*) FROM thumbnails t JOIN clips c ON c.id = t.clip_id "
                              "WHERE c.owner = %s", alice)[0][0][0]
    with SupabaseStorageServer("k") as srv, SupabaseStorage(srv.url, "k", "thumbs") as storage:
        store = CatalogStore(alice_url)
        done = push_thumbnails(store, storage, tmp_path / "alice")
        assert done == {"uploaded": hers, "missing_locally": 0, "bucket": "thumbs"} and hers > 0
        assert push_thumbnails(store, storage, tmp_path / "alice")["uploaded"] == 0
        store.close()

    # the admin (table owner) is not subject to the policies
    assert visible("admin") == ["cfr.mp4", "mpeg2.ts", "mpeg4.avi", "vp9.webm"]
    rows, _ = _sql(postgres_url, "SELECT c.owner, p.name FROM clips c JOIN projects p ON p.id = c.project_id "
                                 "ORDER BY c.owner, c.name")
    assert rows == [(alice, "shoot"), (alice, "shoot"), (bob, "bobs"), (bob, "bobs")]


def test_supabase_jwt_subject_is_the_user(postgres_url, tmp_path):
    """Through PostgREST the role is shared (`authenticated`); the user is the JWT's subject."""
    from vcat_core.service import open_catalog
    from vcat_core.store.projects import ProjectError

    with open_catalog(catalog=tmp_path, database_url=postgres_url) as cat:
        with pytest.raises(ProjectError, match="no Postgres role"):
            cat.grant_member("nobody_at_all")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert conn.execute("SELECT vcat_current_user() = current_user::text").fetchone() == (True,)
        # a login role cannot claim to be someone else: any session may set these settings itself
        conn.execute("SELECT set_config('request.jwt.claims', '{\"sub\": \"user-42\", \"role\": \"x\"}', false)")
        assert conn.execute("SELECT vcat_current_user() = current_user::text").fetchone() == (True,)
        # PostgREST's role: the JWT's subject is the user
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN "
                     "CREATE ROLE authenticated NOLOGIN; END IF; END $$")
        conn.execute("SET ROLE authenticated")
        assert conn.execute("SELECT vcat_current_user()").fetchone() == ("user-42",)
        conn.execute("SELECT set_config('request.jwt.claim.sub', 'user-7', false)")
        assert conn.execute("SELECT vcat_current_user()").fetchone() == ("user-7",)
        conn.execute("RESET ROLE")


def test_migration_downgrade_removes_policies(postgres_url):
    from alembic import command
    from sqlalchemy import inspect

    from vcat_core.store import migrate
    from vcat_core.store.catalog import CatalogStore

    store = CatalogStore(postgres_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_policies WHERE policyname LIKE 'vcat\\_%%'").scalar() > 0
    cfg = migrate.alembic_config()
    with store.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_policies WHERE policyname LIKE 'vcat\\_%%'").scalar() == 0
        assert conn.exec_driver_sql("SELECT bool_or(relrowsecurity) FROM pg_class WHERE relname = 'clips'").scalar() \
            is False
    assert "owner" not in {c["name"] for c in inspect(store.engine).get_columns("clips")}
    assert "projects" not in inspect(store.engine).get_table_names()
    store.close()
    CatalogStore(postgres_url).close()  # and up again


def test_sqlite_projects_are_plain_groups(tmp_path):
    """Without Postgres a project is just a grouping: `ingest --project` and `project list` work, grants do not."""
    footage = tmp_path / "footage"
    footage.mkdir()
    media.make_vp9(footage)
    catalog = tmp_path / "catalog"
    res = run_cli(catalog, "ingest", str(footage), "--project", "holiday", "--workers", "1", "--thumbnails", "2",
                  "--json", *NO_AI)
    assert res.code == 0, res.stderr[-2000:]
    listed = run_cli(catalog, "project", "list", "--json")
    assert listed.code == 0 and [(p["name"], p["clips"], p["members"]) for p in listed.json()] == [("holiday", 1, [])]
    res = run_cli(catalog, "schema", "grant", "someone")
    assert res.code == 2 and "Postgres catalogs only" in res.stderr

    from vcat_core.service import open_catalog
    from vcat_core.store.projects import ProjectError

    with open_catalog(catalog=catalog) as cat:
        with pytest.raises(ProjectError, match="already exists"):
            cat.create_project("holiday")
        cat.create_project("work", ["someone"])
        assert cat.assign_to_project("work", cat.resolve_clips(["1"])) == 1
        assert {p["name"]: (p["clips"], p["members"]) for p in cat.list_projects()} == \
            {"holiday": (0, []), "work": (1, ["someone"])}
        assert cat.remove_project_member("work", "someone") == 1
