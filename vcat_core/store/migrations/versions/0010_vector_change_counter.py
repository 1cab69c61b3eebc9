"""vector change counter: searches reload the in-process vector matrix only when vectors changed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 20:25:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vector_changes', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('catalog_state', schema=None) as batch_op:
        batch_op.drop_column('vector_changes')
