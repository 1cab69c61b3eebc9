"""camera cards: typed source timecode, HDR / log facets, sidecar fields, and clip_parts (spans, proxies)

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-04 19:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TEXT = sqlmodel.sql.sqltypes.AutoString
COLUMNS = [
    ('timecode_frame', sa.BigInteger()), ('timecode_rate_num', sa.Integer()), ('timecode_rate_den', sa.Integer()),
    ('timecode_drop_frame', sa.Boolean()), ('hdr_format', TEXT()), ('log_profile', TEXT()), ('gamma', TEXT()),
    ('mastering_display', sa.JSON()), ('max_cll', sa.Integer()), ('max_fall', sa.Integer()), ('iso', sa.Integer()),
    ('exposure_index', TEXT()), ('card_layout', TEXT()), ('decodable', sa.Boolean()), ('part_count', sa.Integer()),
    ('parts_missing', sa.JSON()), ('description', TEXT()), ('created_at_local', TEXT()),
]


def upgrade() -> None:
    with op.batch_alter_table('technical_metadata') as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_index('ix_technical_metadata_hdr_format', 'technical_metadata', ['hdr_format'])
    op.create_index('ix_technical_metadata_log_profile', 'technical_metadata', ['log_profile'])
    op.create_table(
        'clip_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('clip_id', sa.Integer(), nullable=False),
        sa.Column('part_index', sa.Integer(), nullable=False),
        sa.Column('role', TEXT(), nullable=False),
        sa.Column('path', TEXT(), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('fingerprint', TEXT(), nullable=True),
        sa.Column('duration_seconds', sa.Float(), nullable=True),
        sa.Column('offset_seconds', sa.Float(), nullable=False),
        sa.Column('timecode', TEXT(), nullable=True),
        sa.Column('timecode_frame', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['clip_id'], ['clips.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('clip_id', 'role', 'part_index', name='uq_clip_part'),
    )
    op.create_index('ix_clip_parts_clip_id', 'clip_parts', ['clip_id'])
    if op.get_bind().dialect.name == "postgresql":  # visibility follows the clip's, as for every clip table (0009)
        me = "(SELECT vcat_current_user())"
        visible = "clip_id IN (SELECT id FROM clips)"
        owned = f"EXISTS (SELECT 1 FROM clips c WHERE c.id = clip_parts.clip_id AND c.owner = {me})"
        op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON clip_parts TO vcat_member")
        op.execute("GRANT USAGE, SELECT ON SEQUENCE clip_parts_id_seq TO vcat_member")
        op.execute("ALTER TABLE clip_parts ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY vcat_clip_parts_select ON clip_parts FOR SELECT USING ({visible})")
        op.execute(f"CREATE POLICY vcat_clip_parts_insert ON clip_parts FOR INSERT WITH CHECK ({owned})")
        op.execute(f"CREATE POLICY vcat_clip_parts_update ON clip_parts FOR UPDATE USING ({owned}) "
                   f"WITH CHECK ({owned})")
        op.execute(f"CREATE POLICY vcat_clip_parts_delete ON clip_parts FOR DELETE USING ({owned})")


def downgrade() -> None:
    op.drop_index('ix_clip_parts_clip_id', table_name='clip_parts')
    op.drop_table('clip_parts')
    op.drop_index('ix_technical_metadata_log_profile', table_name='technical_metadata')
    op.drop_index('ix_technical_metadata_hdr_format', table_name='technical_metadata')
    with op.batch_alter_table('technical_metadata') as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
