"""Google push channels: one row per open events.watch channel of a Google source.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "google_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.Column("expiration", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_google_channel_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_channel")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_google_channel_channel_id")),
    )
    op.create_index(
        op.f("ix_google_channel_source_id"), "google_channel", ["source_id"], unique=False
    )
    op.create_index(
        op.f("ix_google_channel_expiration"), "google_channel", ["expiration"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_google_channel_expiration"), table_name="google_channel")
    op.drop_index(op.f("ix_google_channel_source_id"), table_name="google_channel")
    op.drop_table("google_channel")
