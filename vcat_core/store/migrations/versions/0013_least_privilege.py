"""least privilege for team members: own failure rows, run records and collections; jobs only through a checked
function; nobody learns another user's projects

Revision ID: 0013
Revises: 0016
Create Date: 2026-12-04 19:30:00

Closes the gaps migration 0009 left open on Postgres (SQLite gets the plain columns):

* `file_failures`, `ingest_runs`, `collections` get an `owner` (filled in by the database, like `clips.owner`).
  Failure rows and run records are read and written by their owner only (they name paths); a failure is unique per
  (owner, path), so two members failing the same shared file each get their own row. Collections stay one shared
  namespace that everyone reads and fills, but only their owner renames or deletes one.
* `vcat_current_user()` asks the `role` setting (SET ROLE, as PostgREST does) before the session user instead of
  `current_user`, so it names the caller inside a SECURITY DEFINER function too (there `current_user` is the
  function's owner). Same answer everywhere else.
* `vcat_projects_of(who)` answers only about the caller (the admin may ask about anyone: workers check a job's
  owner with it); any other question is refused (42501).
* the job queue: members lose every write on Procrastinate's tables and may read only their own jobs (row-level
  security on `procrastinate_jobs`, `procrastinate_events`); they queue files only through
  `vcat_defer_ingest(path, options, priority, candidate)`, which sets the job's owner to the caller, checks the
  project against the caller's memberships and caps the priority. `vcat_secure_queue()` applies this to the queue tables
  (run again by `schema apply` after Procrastinate creates or upgrades them). Workers run as the catalog's admin,
  which owns the tables and is not subject to the policies.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEMBER_ROLE = "vcat_member"
OWNED_TABLES = ("file_failures", "ingest_runs", "collections")
ME = "(SELECT vcat_current_user())"
MAX_MEMBER_PRIORITY = 10  # tasks.PRIORITY["interactive"]


def upgrade() -> None:
    for table in OWNED_TABLES:
        op.add_column(table, sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_index(op.f('ix_file_failures_owner'), 'file_failures', ['owner'], unique=False)
    op.create_index(op.f('ix_ingest_runs_owner'), 'ingest_runs', ['owner'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_security()


def _postgres_security() -> None:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute("""
        CREATE OR REPLACE FUNCTION vcat_current_user() RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN r IN ('authenticated', 'anon') THEN
                       coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub', r)
                   ELSE r END
            FROM (SELECT coalesce(nullif(current_setting('role'), 'none'), session_user::text) AS r) AS caller
        $$""")
    # the catalog's admin: a superuser, or a role that holds the tables' owner (workers run as it)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_is_admin(who text) RETURNS boolean LANGUAGE sql STABLE
        SET search_path = "{schema}", pg_catalog AS $$
            SELECT coalesce((SELECT r.rolsuper OR pg_has_role(r.oid, t.tableowner, 'USAGE')
                             FROM pg_roles r, pg_tables t
                             WHERE r.rolname = who AND t.schemaname = current_schema() AND t.tablename = 'clips'),
                            false)
        $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_projects_of(who text) RETURNS SETOF integer
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
        BEGIN
            IF who IS DISTINCT FROM vcat_current_user() AND NOT vcat_is_admin(vcat_current_user()) THEN
                RAISE EXCEPTION 'only your own projects can be listed' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN QUERY SELECT project_id FROM project_members WHERE member = who
                         UNION SELECT id FROM projects WHERE created_by = who;
        END $$""")

    for table in OWNED_TABLES:
        op.execute(f"UPDATE {table} SET owner = current_user WHERE owner IS NULL")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN owner SET DEFAULT vcat_current_user()")
    op.drop_constraint("file_failures_path_key", "file_failures", type_="unique")
    op.create_unique_constraint("uq_file_failures_owner_path", "file_failures", ["owner", "path"])

    for table in ("file_failures", "ingest_runs"):
        mine = f"owner = {ME}"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vcat_{table}_select ON {table} FOR SELECT USING ({mine})")
        op.execute(f"CREATE POLICY vcat_{table}_insert ON {table} FOR INSERT WITH CHECK ({mine})")
        op.execute(f"CREATE POLICY vcat_{table}_update ON {table} FOR UPDATE USING ({mine}) WITH CHECK ({mine})")
        op.execute(f"CREATE POLICY vcat_{table}_delete ON {table} FOR DELETE USING ({mine})")
    # collections: everyone reads them and files clips into them (collection_clips follows the clip), only the
    # owner renames or deletes one (deleting cascades into other users' entries: it is the owner's collection)
    for action in ("insert", "update", "delete"):
        op.execute(f"DROP POLICY IF EXISTS vcat_collections_{action} ON collections")
    op.execute(f"CREATE POLICY vcat_collections_insert ON collections FOR INSERT WITH CHECK (owner = {ME})")
    op.execute(f"CREATE POLICY vcat_collections_update ON collections FOR UPDATE USING (owner = {ME}) "
               f"WITH CHECK (owner = {ME})")
    op.execute(f"CREATE POLICY vcat_collections_delete ON collections FOR DELETE USING (owner = {ME})")

    # queueing a file: the one write a member may make on the job queue, checked here
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_defer_ingest(path text, options jsonb, priority integer,
                                                     candidate jsonb DEFAULT NULL) RETURNS bigint
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
        DECLARE
            me text := vcat_current_user();
            project integer := nullif(options ->> 'project_id', '')::integer;
            prio integer := least(greatest(coalesce(priority, 0), 0), {MAX_MEMBER_PRIORITY});
            job bigint;
        BEGIN
            IF path IS NULL OR path = '' OR jsonb_typeof(options) IS DISTINCT FROM 'object' THEN
                RAISE EXCEPTION 'a job needs a path and an options object' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF project IS NOT NULL AND project NOT IN (SELECT vcat_projects_of(me)) THEN
                RAISE EXCEPTION '% is not a member of project #%', me, project
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            options := options || jsonb_build_object('owner', me, 'priority_value', prio);
            INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
            VALUES ('ingest', 'vcat.ingest_file', prio, NULL, 'ingest:' || path,
                    jsonb_build_object('path', path, 'options', options)
                    || CASE WHEN candidate IS NULL THEN '{{}}'::jsonb
                            ELSE jsonb_build_object('candidate', candidate) END)
            RETURNING id INTO job;
            RETURN job;
        EXCEPTION WHEN unique_violation THEN
            RETURN NULL;  -- already queued (the queueing lock): a file is never queued twice
        END $$""")
    # the queue's tables, as members may use them; run again by `schema apply` once Procrastinate made them
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_secure_queue() RETURNS void LANGUAGE plpgsql
        SET search_path = "{schema}", pg_temp AS $$
        DECLARE obj record;
        BEGIN
            FOR obj IN SELECT c.relname, c.relkind FROM pg_class c
                       WHERE c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'procrastinate\\_%'
                       AND c.relkind IN ('r', 'p', 'S') LOOP
                IF obj.relkind = 'S' THEN
                    EXECUTE format('REVOKE ALL ON SEQUENCE %I FROM {MEMBER_ROLE}', obj.relname);
                    CONTINUE;
                END IF;
                EXECUTE format('REVOKE ALL ON %I FROM {MEMBER_ROLE}', obj.relname);
                -- RLS everywhere: no write passes for anyone but the owner, whatever else was granted
                -- (Supabase grants its API roles every table by default)
                EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', obj.relname);
            END LOOP;
            IF to_regclass('procrastinate_jobs') IS NULL THEN
                RETURN;
            END IF;
            GRANT SELECT ON procrastinate_jobs, procrastinate_events, procrastinate_workers TO {MEMBER_ROLE};
            DROP POLICY IF EXISTS vcat_jobs_select ON procrastinate_jobs;
            CREATE POLICY vcat_jobs_select ON procrastinate_jobs FOR SELECT
                USING (args -> 'options' ->> 'owner' = {ME});
            DROP POLICY IF EXISTS vcat_events_select ON procrastinate_events;
            CREATE POLICY vcat_events_select ON procrastinate_events FOR SELECT
                USING (job_id IN (SELECT id FROM procrastinate_jobs));
            DROP POLICY IF EXISTS vcat_workers_select ON procrastinate_workers;
            CREATE POLICY vcat_workers_select ON procrastinate_workers FOR SELECT USING (true);
        END $$""")
    for fn in ("vcat_defer_ingest(text, jsonb, integer, jsonb)", "vcat_secure_queue()"):
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION vcat_defer_ingest(text, jsonb, integer, jsonb) TO {MEMBER_ROLE}")
    op.execute("SELECT vcat_secure_queue()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
        for table in ("file_failures", "ingest_runs"):
            for action in ("select", "insert", "update", "delete"):
                op.execute(f"DROP POLICY IF EXISTS vcat_{table}_{action} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for action in ("insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS vcat_collections_{action} ON collections")
        op.execute("CREATE POLICY vcat_collections_insert ON collections FOR INSERT WITH CHECK (true)")
        op.execute("CREATE POLICY vcat_collections_update ON collections FOR UPDATE USING (true) WITH CHECK (true)")
        op.execute("CREATE POLICY vcat_collections_delete ON collections FOR DELETE "
                   "USING (NOT vcat_collection_in_use(id))")
        op.execute("""
            DO $$ DECLARE obj record; BEGIN
                FOR obj IN SELECT c.relname, c.relkind FROM pg_class c
                           WHERE c.relnamespace = current_schema()::regnamespace
                           AND c.relname LIKE 'procrastinate\\_%' AND c.relkind IN ('r', 'p', 'S') LOOP
                    IF obj.relkind = 'S' THEN
                        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO vcat_member', obj.relname);
                    ELSE
                        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', obj.relname);
                        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO vcat_member', obj.relname);
                    END IF;
                END LOOP;
            END $$""")
        op.execute("DROP FUNCTION IF EXISTS vcat_defer_ingest(text, jsonb, integer, jsonb)")
        op.execute("DROP FUNCTION IF EXISTS vcat_secure_queue()")
        op.drop_constraint("uq_file_failures_owner_path", "file_failures", type_="unique")
        op.execute("DELETE FROM file_failures a USING file_failures b WHERE a.path = b.path AND a.id > b.id")
        op.create_unique_constraint("file_failures_path_key", "file_failures", ["path"])
        op.execute(f"""
            CREATE OR REPLACE FUNCTION vcat_projects_of(who text) RETURNS SETOF integer
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
                SELECT project_id FROM project_members WHERE member = who
                UNION SELECT id FROM projects WHERE created_by = who
            $$""")
        op.execute("DROP FUNCTION IF EXISTS vcat_is_admin(text)")
        op.execute("""
            CREATE OR REPLACE FUNCTION vcat_current_user() RETURNS text LANGUAGE sql STABLE AS $$
                SELECT CASE WHEN current_user IN ('authenticated', 'anon') THEN
                           coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                    nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub',
                                    current_user::text)
                       ELSE current_user::text END
            $$""")
    op.drop_index(op.f('ix_ingest_runs_owner'), table_name='ingest_runs')
    op.drop_index(op.f('ix_file_failures_owner'), table_name='file_failures')
    for table in OWNED_TABLES:
        op.drop_column(table, 'owner')
