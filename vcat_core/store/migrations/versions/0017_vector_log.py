"""vector log: every vector written or deleted on a SQLite catalog, in order, for the vector file to follow

SQLite re-uses the largest row id after a delete, so "ids above the last one seen" cannot tell a replaced vector
from an old one; triggers write each insert and delete here with an ever-growing sequence number instead
(search/vector_file.py reads what came after the last number it applied). Postgres searches with pgvector and
keeps the table empty.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04 20:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('vector_log',
                    sa.Column('seq', sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column('embedding_id', sa.Integer(), nullable=False),
                    sa.Column('model', sa.String(), nullable=False),
                    sa.Column('deleted', sa.Boolean(), nullable=False),
                    sqlite_autoincrement=True)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER embeddings_log_ai AFTER INSERT ON embeddings BEGIN "
                   "INSERT INTO vector_log (embedding_id, model, deleted) VALUES (new.id, new.model, 0); END")
        op.execute("CREATE TRIGGER embeddings_log_ad AFTER DELETE ON embeddings BEGIN "
                   "INSERT INTO vector_log (embedding_id, model, deleted) VALUES (old.id, old.model, 1); END")
        op.execute("CREATE TRIGGER embeddings_log_au AFTER UPDATE ON embeddings BEGIN "
                   "INSERT INTO vector_log (embedding_id, model, deleted) VALUES (old.id, old.model, 1); "
                   "INSERT INTO vector_log (embedding_id, model, deleted) VALUES (new.id, new.model, 0); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("embeddings_log_ai", "embeddings_log_ad", "embeddings_log_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('vector_log')
