"""stage_runs.read_from: the files a decoding stage read when not the clip's own (a proxy)

Revision ID: 0021
Revises: 0022
Create Date: 2026-12-04 22:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('stage_runs') as batch:
        batch.add_column(sa.Column('read_from', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stage_runs') as batch:
        batch.drop_column('read_from')
