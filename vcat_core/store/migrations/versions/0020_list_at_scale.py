"""list at a million clips: codecs stored lower case

Revision ID: 0020
Revises: 0021
Create Date: 2026-12-04 22:00:00

`list --codec` compared `lower(codec)`, which no index serves (150–600 ms at 10⁶ clips); the store now writes
codecs lower case (FFmpeg's short names already are) and compares the column as it is, so the codec index answers.
Rows written before are lowered here.
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("UPDATE technical_metadata SET codec = lower(codec) WHERE codec <> lower(codec)")


def downgrade() -> None:
    pass  # lower-case codecs are what every earlier version wrote for FFmpeg's names
