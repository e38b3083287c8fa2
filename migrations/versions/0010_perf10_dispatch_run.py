"""a confirmed dispatch is handed out in the background, its progress in dispatchrun

Revision ID: 0010_perf10
Revises: 0009_finish
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0010_perf10"
down_revision: str | None = "0009_finish"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatchrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("assignment_ids", sa.JSON(), nullable=False),
        sa.Column("unbound", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("handed_out", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatchrun_finished_at"), ["finished_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatchrun_finished_at"))
    op.drop_table("dispatchrun")
