"""projects, clip owners and (Postgres) row-level security for multi-user catalogs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:00:00

Every catalog gets `projects`, `project_members`, `clips.owner` and `clips.project_id`. On Postgres the database
itself then decides who sees what, so it holds for every client (the CLI, the TUI, a worker, PostgREST/Supabase):

* `vcat_current_user()`: for PostgREST's roles (`authenticated`, `anon`: Supabase) the user id from the request's JWT,
  else the Postgres role. Only those roles: any session may set `request.jwt.*` itself, so for a login role the
  claims would be a forgeable identity.
* `clips.owner` defaults to it (existing clips go to the role running this migration, the admin so far).
* group role `vcat_member` (NOLOGIN): the privileges a team member needs; `vcat-core schema grant ROLE` hands it out.
* clips: readable by their owner and by members of the clip's project; written only by their owner.
* tables keyed by clip_id: readable when the clip is, written only by the clip's owner - except clip_locations,
  where any member who sees the clip may record a copy of it (a path holding the same bytes).
* projects / project_members: readable by the project's members and creator; the creator manages the members.
* shared bookkeeping (ingest_runs, file_failures, catalog_state): grants, no RLS - every writer bumps
  catalog_state, and runs/failures are keyed by path, not by clip.
* tags, collections: one shared namespace (anyone reads, adds, renames), but a tag or collection still holding
  clip rows (its members' rows may be invisible to the one deleting) cannot be deleted: deleting it would cascade
  into rows of clips the deleter cannot see (`tag remove` drops tags that look unused).

Table owners and superusers bypass RLS (RLS is enabled, not forced): they are the catalog's admin.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEMBER_ROLE = "vcat_member"
# tables whose rows belong to one clip: their visibility follows the clip's
CLIP_TABLES = ("clip_locations", "technical_metadata", "thumbnails", "vision_metrics", "stage_runs", "transcripts",
               "analysis_results", "embeddings", "search_documents", "clip_tags", "collection_clips")
SHARED_TABLES = ("ingest_runs", "file_failures", "catalog_state", "tags", "collections")
ALL_TABLES = ("clips", "projects", "project_members", *CLIP_TABLES, *SHARED_TABLES)
TABLES_WITH_IDS = ("clips", "projects", "clip_locations", "thumbnails", "stage_runs", "embeddings",
                   "search_documents", "ingest_runs", "file_failures", "catalog_state", "tags", "collections")

DEFINER_FUNCTIONS = ("vcat_projects_of(text)", "vcat_tag_in_use(integer)", "vcat_collection_in_use(integer)",
                     "vcat_fingerprint_taken(text)")

ME = "(SELECT vcat_current_user())"  # a sub-select: evaluated once per statement, not once per row
MY_PROJECTS = f"(SELECT vcat_projects_of({ME}))"


def upgrade() -> None:
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('project_members',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('member', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'member')
    )
    op.create_index(op.f('ix_project_members_member'), 'project_members', ['member'], unique=False)
    # plain ADD COLUMN (the reference inline): a batch copy of `clips` on SQLite would drop the old table, and with
    # foreign keys on that cascades into every child table
    op.add_column('clips', sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('clips', sa.Column('project_id', sa.Integer(), sa.ForeignKey('projects.id', ondelete='SET NULL'),
                                     nullable=True), inline_references=True)
    op.create_index(op.f('ix_clips_owner'), 'clips', ['owner'], unique=False)
    op.create_index(op.f('ix_clips_project_id'), 'clips', ['project_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_security()


def _postgres_security() -> None:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute("""
        CREATE OR REPLACE FUNCTION vcat_current_user() RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN current_user IN ('authenticated', 'anon') THEN
                       coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub',
                                current_user::text)
                   ELSE current_user::text END
        $$""")
    # The projects a user belongs to or created. SECURITY DEFINER (runs as the tables' owner, so without RLS):
    # policies on projects, project_members and clips all need it, and querying project_members from those
    # policies directly would recurse (project_members' own policy asks the same question).
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_projects_of(who text) RETURNS SETOF integer
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT project_id FROM project_members WHERE member = who
            UNION SELECT id FROM projects WHERE created_by = who
        $$""")
    # whether content is catalogued already, by anyone (the caller may not see that clip): a member with a copy of
    # unshared footage is told so instead of failing on the unique fingerprint after analysing it
    op.execute(f"""
        CREATE OR REPLACE FUNCTION vcat_fingerprint_taken(fp text) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
            SELECT EXISTS (SELECT 1 FROM clips WHERE fingerprint = fp)
        $$""")
    # whether anyone's clip still uses a tag / collection (the caller may not see those clips)
    for fn, table, column in (("vcat_tag_in_use", "clip_tags", "tag_id"),
                              ("vcat_collection_in_use", "collection_clips", "collection_id")):
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {fn}(ref integer) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
                SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = ref)
            $$""")
    op.execute("ALTER TABLE clips ALTER COLUMN owner SET DEFAULT vcat_current_user()")
    op.execute("ALTER TABLE projects ALTER COLUMN created_by SET DEFAULT vcat_current_user()")
    op.execute("UPDATE clips SET owner = current_user WHERE owner IS NULL")

    # the group role is cluster-wide: another catalog database on the server may have made it already
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MEMBER_ROLE}') THEN
                CREATE ROLE {MEMBER_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {MEMBER_ROLE}')
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(ALL_TABLES)} TO {MEMBER_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {MEMBER_ROLE}")  # every open checks the schema revision
    for fn in DEFINER_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO {MEMBER_ROLE}")
    op.execute(_sequence_grants("GRANT USAGE, SELECT ON SEQUENCE %s TO " + MEMBER_ROLE))
    # the job queue, when `schema apply` made it already (it grants again after creating it)
    op.execute(f"""
        DO $$ DECLARE obj record; BEGIN
            FOR obj IN SELECT c.relname, c.relkind FROM pg_class c
                       WHERE c.relnamespace = '"{schema}"'::regnamespace AND c.relname LIKE 'procrastinate\\_%'
                       AND c.relkind IN ('r', 'p', 'S') LOOP
                IF obj.relkind = 'S' THEN
                    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO {MEMBER_ROLE}', obj.relname);
                ELSE
                    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {MEMBER_ROLE}', obj.relname);
                END IF;
            END LOOP;
        END $$""")

    op.execute("ALTER TABLE clips ENABLE ROW LEVEL SECURITY")
    in_my_project = f"project_id IN {MY_PROJECTS}"
    project_ok = f"(project_id IS NULL OR {in_my_project})"  # clips go only into projects the owner is in
    op.execute(f"CREATE POLICY vcat_clips_select ON clips FOR SELECT USING (owner = {ME} OR {in_my_project})")
    op.execute(f"CREATE POLICY vcat_clips_insert ON clips FOR INSERT WITH CHECK (owner = {ME} AND {project_ok})")
    op.execute(f"CREATE POLICY vcat_clips_update ON clips FOR UPDATE USING (owner = {ME}) "
               f"WITH CHECK (owner = {ME} AND {project_ok})")
    op.execute(f"CREATE POLICY vcat_clips_delete ON clips FOR DELETE USING (owner = {ME})")

    for t in CLIP_TABLES:
        # the sub-select on clips is itself filtered by clips' policies: visibility follows the clip
        visible = "clip_id IN (SELECT id FROM clips)"
        owned = f"EXISTS (SELECT 1 FROM clips c WHERE c.id = {t}.clip_id AND c.owner = {ME})"
        # where a shared clip's bytes live is a fact any member holding a copy may record (and mark seen/offline)
        writable = visible if t == "clip_locations" else owned
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vcat_{t}_select ON {t} FOR SELECT USING ({visible})")
        op.execute(f"CREATE POLICY vcat_{t}_insert ON {t} FOR INSERT WITH CHECK ({writable})")
        op.execute(f"CREATE POLICY vcat_{t}_update ON {t} FOR UPDATE USING ({writable}) WITH CHECK ({writable})")
        op.execute(f"CREATE POLICY vcat_{t}_delete ON {t} FOR DELETE USING ({owned})")

    for t, in_use in (("tags", "vcat_tag_in_use"), ("collections", "vcat_collection_in_use")):
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vcat_{t}_select ON {t} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY vcat_{t}_insert ON {t} FOR INSERT WITH CHECK (true)")
        op.execute(f"CREATE POLICY vcat_{t}_update ON {t} FOR UPDATE USING (true) WITH CHECK (true)")
        op.execute(f"CREATE POLICY vcat_{t}_delete ON {t} FOR DELETE USING (NOT {in_use}(id))")

    managed = f"project_id IN (SELECT id FROM projects WHERE created_by = {ME})"
    op.execute("ALTER TABLE projects ENABLE ROW LEVEL SECURITY")
    # created_by first: a new row is not yet visible to vcat_projects_of (INSERT … RETURNING checks this policy)
    op.execute(f"CREATE POLICY vcat_projects_select ON projects FOR SELECT USING "
               f"(created_by = {ME} OR id IN {MY_PROJECTS})")
    op.execute(f"CREATE POLICY vcat_projects_insert ON projects FOR INSERT WITH CHECK (created_by = {ME})")
    op.execute(f"CREATE POLICY vcat_projects_update ON projects FOR UPDATE USING (created_by = {ME}) "
               f"WITH CHECK (created_by = {ME})")
    op.execute(f"CREATE POLICY vcat_projects_delete ON projects FOR DELETE USING (created_by = {ME})")
    op.execute("ALTER TABLE project_members ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY vcat_project_members_select ON project_members FOR SELECT USING "
               f"(project_id IN {MY_PROJECTS})")
    op.execute(f"CREATE POLICY vcat_project_members_insert ON project_members FOR INSERT WITH CHECK ({managed})")
    op.execute(f"CREATE POLICY vcat_project_members_update ON project_members FOR UPDATE USING ({managed}) "
               f"WITH CHECK ({managed})")
    # the creator removes anyone; a member may leave
    op.execute(f"CREATE POLICY vcat_project_members_delete ON project_members FOR DELETE USING "
               f"({managed} OR member = {ME})")


def _sequence_grants(statement: str) -> str:
    """A DO block running `statement` (with %s for the name) on the id sequence of every vcat table."""
    tables = ", ".join(f"'{t}'" for t in TABLES_WITH_IDS)
    return f"""
        DO $$ DECLARE seq text; BEGIN
            FOR seq IN SELECT pg_get_serial_sequence(t, 'id') FROM unnest(ARRAY[{tables}]) AS t LOOP
                IF seq IS NOT NULL THEN
                    EXECUTE format('{statement}', seq);
                END IF;
            END LOOP;
        END $$"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in ("clips", "projects", "project_members", "tags", "collections", *CLIP_TABLES):
            for action in ("select", "insert", "update", "delete"):
                op.execute(f"DROP POLICY IF EXISTS vcat_{t}_{action} ON {t}")
            op.execute(f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY")
        # vcat_member itself stays: it is cluster-wide and other catalog databases may use it
        op.execute(f"REVOKE ALL ON {', '.join(ALL_TABLES)}, alembic_version FROM {MEMBER_ROLE}")
        op.execute(_sequence_grants("REVOKE ALL ON SEQUENCE %s FROM " + MEMBER_ROLE))
        schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
        op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {MEMBER_ROLE}')
        for fn in DEFINER_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_index(op.f('ix_clips_project_id'), table_name='clips')
    op.drop_index(op.f('ix_clips_owner'), table_name='clips')
    op.drop_column('clips', 'project_id')  # SQLite ≥ 3.35 drops it in place (no table copy, see upgrade)
    op.drop_column('clips', 'owner')
    op.drop_index(op.f('ix_project_members_member'), table_name='project_members')
    op.drop_table('project_members')
    op.drop_table('projects')
    if op.get_bind().dialect.name == "postgresql":  # last: the column defaults used it
        op.execute("DROP FUNCTION IF EXISTS vcat_current_user()")
