"""Google Calendar: accounts (encrypted refresh token), calendars, write-back issues.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.create_table(
        "google_account",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("privacy", sa.Boolean(), nullable=False),
        sa.Column("write_back", sa.Boolean(), nullable=False),
        sa.Column("write_calendar_id", sa.String(length=255), nullable=False),
        sa.Column("reconnect_needed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["partner.id"],
            name=op.f("fk_google_account_user_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_google_account")),
    )
    op.create_table(
        "google_calendar",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("window_start", TS, nullable=True),
        sa.Column("window_end", TS, nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_google_calendar_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_google_calendar")),
    )
    op.create_table(
        "write_back_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("connection_uid", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["partner.id"],
            name=op.f("fk_write_back_issue_user_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_back_issue")),
    )
    op.create_index(
        op.f("ix_write_back_issue_user_id"), "write_back_issue", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_write_back_issue_user_id"), table_name="write_back_issue")
    op.drop_table("write_back_issue")
    op.drop_table("google_calendar")
    op.drop_table("google_account")
