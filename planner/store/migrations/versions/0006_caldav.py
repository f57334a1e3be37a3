"""CalDAV: accounts (encrypted app password), calendars as sources, written events.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "caldav_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password", sa.LargeBinary(), nullable=False),
        sa.Column("calendars", sa.Text(), nullable=False),
        sa.Column("write_url", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["partner.id"],
            name=op.f("fk_caldav_account_user_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caldav_account")),
    )
    op.create_index(op.f("ix_caldav_account_user_id"), "caldav_account", ["user_id"], unique=False)
    op.create_table(
        "caldav_calendar",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("ctag", sa.Text(), nullable=True),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("window_start", TS, nullable=True),
        sa.Column("window_end", TS, nullable=True),
        sa.Column("expand", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["caldav_account.id"],
            name=op.f("fk_caldav_calendar_account_id_caldav_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_caldav_calendar_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_caldav_calendar")),
    )
    op.create_index(
        op.f("ix_caldav_calendar_account_id"), "caldav_calendar", ["account_id"], unique=False
    )
    op.create_table(
        "caldav_event",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("connection_uid", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("deleted_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["caldav_account.id"],
            name=op.f("fk_caldav_event_account_id_caldav_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "connection_uid", name=op.f("pk_caldav_event")),
    )


def downgrade() -> None:
    op.drop_table("caldav_event")
    op.drop_index(op.f("ix_caldav_calendar_account_id"), table_name="caldav_calendar")
    op.drop_table("caldav_calendar")
    op.drop_index(op.f("ix_caldav_account_user_id"), table_name="caldav_account")
    op.drop_table("caldav_account")
