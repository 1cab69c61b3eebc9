"""a narrow role for queue workers: every clip's rows for any owner, nothing else

Revision ID: 0022
Revises: 0013
Create Date: 2026-12-04 21:40:00

Until now workers of a multi-user catalog ran as the catalog's admin (the tables' owner): one leaked worker
password could drop the catalog, rewrite its policies or hand out memberships. `vcat_worker` (NOLOGIN; `vcat-core
schema grant ROLE --worker` gives it to a login role) holds only what a worker does:

* reads and writes every clip's rows whoever owns them (a worker catalogues files for the member who queued them):
  a policy `vcat_worker_all` beside the members' policies on each table under row-level security;
* reads, but never changes, projects, their members and collections (it checks a job's project, never edits it),
  and the schema's revision;
* works the job queue: Procrastinate's tables and sequences;
* may ask `vcat_projects_of(who)` about any user (to check the project of a job it runs).
It owns nothing, so it cannot drop, alter or truncate a table, change a policy, grant a role or run migrations.
`vcat_secure_workers()` applies this to every table of the schema; `schema apply` and `schema grant` run it again
(tables added by later migrations, Procrastinate's own).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WORKER_ROLE = "vcat_worker"
# tables a worker reads and never writes
READ_ONLY = ("alembic_version", "projects", "project_members", "collections", "collection_clips",
             "vcat_queue_schema")
DEFINER_FUNCTIONS = ("vcat_projects_of(text)", "vcat_tag_in_use(integer)", "vcat_collection_in_use(integer)",
                     "vcat_fingerprint_taken(text)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{WORKER_ROLE}') THEN
                CREATE ROLE {WORKER_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {WORKER_ROLE}')
    read_only = ", ".join(f"'{t}'" for t in READ_ONLY)
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_secure_workers() RETURNS void LANGUAGE plpgsql
        SET search_path = "{schema}", pg_temp AS $$
        DECLARE obj record; writes boolean;
        BEGIN
            FOR obj IN SELECT c.oid, c.relname, c.relkind, c.relrowsecurity FROM pg_class c
                       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'S') LOOP
                IF obj.relkind = 'S' THEN
                    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO {WORKER_ROLE}', obj.relname);
                    CONTINUE;
                END IF;
                writes := obj.relname NOT IN ({read_only});
                EXECUTE format('REVOKE ALL ON %I FROM {WORKER_ROLE}', obj.relname);
                EXECUTE format('GRANT %s ON %I TO {WORKER_ROLE}',
                               CASE WHEN writes THEN 'SELECT, INSERT, UPDATE, DELETE' ELSE 'SELECT' END,
                               obj.relname);
                IF obj.relrowsecurity THEN
                    EXECUTE format('DROP POLICY IF EXISTS vcat_worker_all ON %I', obj.relname);
                    EXECUTE format('CREATE POLICY vcat_worker_all ON %I %s TO {WORKER_ROLE} USING (true) %s',
                                   obj.relname, CASE WHEN writes THEN 'FOR ALL' ELSE 'FOR SELECT' END,
                                   CASE WHEN writes THEN 'WITH CHECK (true)' ELSE '' END);
                END IF;
            END LOOP;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION vcat_secure_workers() FROM PUBLIC")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_projects_of(who text) RETURNS SETOF integer
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
        BEGIN
            IF who IS DISTINCT FROM vcat_current_user() AND NOT vcat_is_admin(vcat_current_user())
               AND NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = vcat_current_user()
                               AND pg_has_role(r.oid, '{WORKER_ROLE}', 'MEMBER')) THEN
                RAISE EXCEPTION 'only your own projects can be listed' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN QUERY SELECT project_id FROM project_members WHERE member = who
                         UNION SELECT id FROM projects WHERE created_by = who;
        END $$""")
    for fn in DEFINER_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO {WORKER_ROLE}")
    op.execute("SELECT vcat_secure_workers()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute(f"""
        DO $$ DECLARE obj record; BEGIN
            FOR obj IN SELECT c.relname, c.relkind FROM pg_class c
                       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'S') LOOP
                IF obj.relkind = 'S' THEN
                    EXECUTE format('REVOKE ALL ON SEQUENCE %I FROM {WORKER_ROLE}', obj.relname);
                ELSE
                    EXECUTE format('DROP POLICY IF EXISTS vcat_worker_all ON %I', obj.relname);
                    EXECUTE format('REVOKE ALL ON %I FROM {WORKER_ROLE}', obj.relname);
                END IF;
            END LOOP;
        END $$""")
    for fn in DEFINER_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM {WORKER_ROLE}")
    op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {WORKER_ROLE}')
    op.execute("DROP FUNCTION IF EXISTS vcat_secure_workers()")
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
