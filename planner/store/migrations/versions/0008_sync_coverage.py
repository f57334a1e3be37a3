"""Sync without rewriting: the stretch a link's stored blocks cover, and an index for
reading busy time by where it ends. A CalDAV calendar's stored blocks covered only the
window asked for, not the stretch its markers were kept for: forget that stretch, so the
next sync reads it whole once.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("covered_from", TS, nullable=True))
        batch.add_column(sa.Column("covered_until", TS, nullable=True))
    op.create_index("ix_busy_block_source_id_end", "busy_block", ["source_id", "end"])
    op.execute("UPDATE caldav_calendar SET window_start = NULL, window_end = NULL")


def downgrade() -> None:
    op.drop_index("ix_busy_block_source_id_end", table_name="busy_block")
    with op.batch_alter_table("source") as batch:
        batch.drop_column("covered_until")
        batch.drop_column("covered_from")
