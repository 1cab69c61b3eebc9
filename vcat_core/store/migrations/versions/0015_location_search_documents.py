"""location search documents: each location's path words in a document of its own (kind 'path')

A new copy of known content no longer rebuilds the clip's whole search document from all of its locations; its
words get one document, ref = the location's id. Existing catalogs get those documents here (the clip documents
keep the words they have until their next rebuild, which no longer adds paths).

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-04 19:20:00

"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, clip_id, path FROM clip_locations WHERE id > :last ORDER BY id "
                                    "LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        bind.execute(sa.text("INSERT INTO search_documents (clip_id, kind, ref, text) VALUES (:c, 'path', :r, :t)"),
                     [{"c": cid, "r": lid, "t": re.sub(r"[\W_]+", " ", path).strip()} for lid, cid, path in rows])
        last = rows[-1][0]


def downgrade() -> None:
    op.execute("DELETE FROM search_documents WHERE kind = 'path'")
