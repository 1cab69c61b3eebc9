"""clip ratings: stars, pick / reject and colour labels (culling), user data kept apart from derived results

Revision ID: 0012
Revises: 0017
Create Date: 2026-12-04 19:00:00

A table of its own (not columns of `clips`), so that nothing an ingest or a re-analysis writes can touch it. On
Postgres its rows follow the clip's visibility, and - unlike the derived tables, which only a clip's owner writes -
any member who sees a clip may rate it: culling is done by the team (the same rule as clip_locations in 0009).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEMBER_ROLE = "vcat_member"


def upgrade() -> None:
    op.create_table('clip_ratings',
    sa.Column('clip_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('flag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('clip_id')
    )
    with op.batch_alter_table('clip_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clip_ratings_rating'), ['rating'], unique=False)
        batch_op.create_index(batch_op.f('ix_clip_ratings_flag'), ['flag'], unique=False)
        batch_op.create_index(batch_op.f('ix_clip_ratings_label'), ['label'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        visible = "clip_id IN (SELECT id FROM clips)"  # filtered by clips' own policies
        op.execute("ALTER TABLE clip_ratings ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vcat_clip_ratings_select ON clip_ratings FOR SELECT USING ({visible})")
        op.execute(f"CREATE POLICY vcat_clip_ratings_insert ON clip_ratings FOR INSERT WITH CHECK ({visible})")
        op.execute(f"CREATE POLICY vcat_clip_ratings_update ON clip_ratings FOR UPDATE USING ({visible}) "
                   f"WITH CHECK ({visible})")
        op.execute(f"CREATE POLICY vcat_clip_ratings_delete ON clip_ratings FOR DELETE USING ({visible})")
        has_role = op.get_bind().execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": MEMBER_ROLE}).first()
        if has_role is not None:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON clip_ratings TO {MEMBER_ROLE}")


def downgrade() -> None:
    with op.batch_alter_table('clip_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clip_ratings_label'))
        batch_op.drop_index(batch_op.f('ix_clip_ratings_flag'))
        batch_op.drop_index(batch_op.f('ix_clip_ratings_rating'))
    op.drop_table('clip_ratings')
