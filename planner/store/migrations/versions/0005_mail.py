"""Invite mail: the outbox of messages to partners, one row per change and recipient.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)
STATE = "state IN ('pending', 'sending', 'sent', 'failed')"


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_status", sa.String(length=16), nullable=False),
        sa.Column("ritual", sa.String(length=40), nullable=False),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.CheckConstraint(STATE, name=op.f("ck_mail_message_state")),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couple.id"],
            name=op.f("fk_mail_message_couple_id_couple"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["partner.id"],
            name=op.f("fk_mail_message_user_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_message_message_id")),
    )
    op.create_index(op.f("ix_mail_message_couple_id"), "mail_message", ["couple_id"])
    op.create_index(op.f("ix_mail_message_user_id"), "mail_message", ["user_id"])
    op.create_index(op.f("ix_mail_message_uid"), "mail_message", ["uid"])
    op.create_index(
        "ix_mail_message_state_next_attempt_at", "mail_message", ["state", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_mail_message_state_next_attempt_at", table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_uid"), table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_user_id"), table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_couple_id"), table_name="mail_message")
    op.drop_table("mail_message")
