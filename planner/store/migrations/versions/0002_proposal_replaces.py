"""Proposals can be the alternative offered for a conflicted connection.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("replaces_connection_id", sa.Integer(), nullable=True))
        batch.create_index(
            "ix_proposal_replaces_connection_id", ["replaces_connection_id"], unique=False
        )
        batch.create_foreign_key(
            "fk_proposal_replaces_connection_id_connection",
            "connection",
            ["replaces_connection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_constraint("fk_proposal_replaces_connection_id_connection", type_="foreignkey")
        batch.drop_index("ix_proposal_replaces_connection_id")
        batch.drop_column("replaces_connection_id")
