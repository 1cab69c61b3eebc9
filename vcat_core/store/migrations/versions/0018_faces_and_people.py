"""faces and people: a vector per face seen on a clip's frames, grouped into people that can be named

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-04 22:00:00

`faces` is keyed by clip like the other derived tables: on Postgres its rows follow the clip's visibility and only
the clip's owner writes them (migration 0009's rule). Face vectors live here, not in `embeddings`, so the text
search never meets them. `people` is shared like tags, but a member sees a person only once one of their faces is
visible to them (or they made the group), so names of people in clips one cannot see stay hidden.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

from vcat_core.store.types import VectorType

revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEMBER_ROLE = "vcat_member"
ME = "(SELECT vcat_current_user())"


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('centroid', VectorType(), nullable=True),
    sa.Column('face_count', sa.Integer(), nullable=False),
    sa.Column('clip_count', sa.Integer(), nullable=False),
    sa.Column('cover_face_id', sa.Integer(), nullable=True),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_people_name'), 'people', ['name'], unique=False)
    op.create_index(op.f('ix_people_merged_into'), 'people', ['merged_into'], unique=False)
    op.create_table('faces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clip_id', sa.Integer(), nullable=False),
    sa.Column('time_seconds', sa.Float(), nullable=False),
    sa.Column('frame_index', sa.Integer(), nullable=False),
    sa.Column('box', sa.JSON(), nullable=True),
    sa.Column('frame_width', sa.Integer(), nullable=False),
    sa.Column('frame_height', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('vector', VectorType(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('thumbnail_path', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_faces_clip_id'), 'faces', ['clip_id'], unique=False)
    op.create_index(op.f('ix_faces_person_id'), 'faces', ['person_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgres_security()


def _postgres_security() -> None:
    op.execute("ALTER TABLE people ALTER COLUMN created_by SET DEFAULT vcat_current_user()")
    visible = "clip_id IN (SELECT id FROM clips)"  # filtered by clips' own policies
    owned = f"EXISTS (SELECT 1 FROM clips c WHERE c.id = faces.clip_id AND c.owner = {ME})"
    op.execute("ALTER TABLE faces ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY vcat_faces_select ON faces FOR SELECT USING ({visible})")
    op.execute(f"CREATE POLICY vcat_faces_insert ON faces FOR INSERT WITH CHECK ({owned})")
    # naming, merging and splitting move faces between people: any member who sees the face may
    op.execute(f"CREATE POLICY vcat_faces_update ON faces FOR UPDATE USING ({visible}) WITH CHECK ({visible})")
    op.execute(f"CREATE POLICY vcat_faces_delete ON faces FOR DELETE USING ({owned})")
    seen = f"(created_by = {ME} OR id IN (SELECT person_id FROM faces))"  # faces: filtered by their policies
    op.execute("ALTER TABLE people ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY vcat_people_select ON people FOR SELECT USING ({seen})")
    op.execute("CREATE POLICY vcat_people_insert ON people FOR INSERT WITH CHECK (true)")
    op.execute(f"CREATE POLICY vcat_people_update ON people FOR UPDATE USING ({seen}) WITH CHECK (true)")
    op.execute(f"CREATE POLICY vcat_people_delete ON people FOR DELETE USING ({seen})")
    has_role = op.get_bind().execute(
        sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER_ROLE}).first()
    if has_role is not None:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON faces, people TO {MEMBER_ROLE}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE faces_id_seq, people_id_seq TO {MEMBER_ROLE}")
    op.execute("SELECT vcat_secure_workers()")  # queue workers write faces and people for every owner (0022)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # people's policies read faces: they go first
        for action in ("select", "update", "delete", "insert"):
            op.execute(f"DROP POLICY IF EXISTS vcat_people_{action} ON people")
    op.drop_index(op.f('ix_faces_person_id'), table_name='faces')
    op.drop_index(op.f('ix_faces_clip_id'), table_name='faces')
    op.drop_table('faces')
    op.drop_index(op.f('ix_people_merged_into'), table_name='people')
    op.drop_index(op.f('ix_people_name'), table_name='people')
    op.drop_table('people')
