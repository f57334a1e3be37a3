"""The background engine: when each source syncs next, when each couple is planned next,
and the write-back tasks that engine jobs carry out.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.add_column("source", sa.Column("next_sync_at", TS, nullable=True))
    op.add_column("source", sa.Column("sync_claimed_until", TS, nullable=True))
    op.create_index(op.f("ix_source_next_sync_at"), "source", ["next_sync_at"])
    op.add_column(
        "couple", sa.Column("plan_weekday", sa.Integer(), nullable=False, server_default="6")
    )
    op.add_column(
        "couple", sa.Column("plan_minute", sa.Integer(), nullable=False, server_default="1080")
    )
    op.add_column("couple", sa.Column("next_plan_at", TS, nullable=True))
    op.create_index(op.f("ix_couple_next_plan_at"), "couple", ["next_plan_at"])
    op.create_table(
        "write_back_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_ids", sa.Text(), nullable=False),
        sa.Column("user_ids", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("run_after", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_back_task")),
    )
    op.create_index(op.f("ix_write_back_task_run_after"), "write_back_task", ["run_after"])


def downgrade() -> None:
    op.drop_index(op.f("ix_write_back_task_run_after"), table_name="write_back_task")
    op.drop_table("write_back_task")
    op.drop_index(op.f("ix_couple_next_plan_at"), table_name="couple")
    op.drop_column("couple", "next_plan_at")
    op.drop_column("couple", "plan_minute")
    op.drop_column("couple", "plan_weekday")
    op.drop_index(op.f("ix_source_next_sync_at"), table_name="source")
    op.drop_column("source", "sync_claimed_until")
    op.drop_column("source", "next_sync_at")
