"""a dispatch run is handed out by one instance at a time, under a lease; answer holds

Revision ID: 0011_send6_run_lease
Revises: 0010_perf10
Create Date: 2026-12-03 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0011_send6_run_lease"
down_revision: str | None = "0010_perf10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answerhold",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    with op.batch_alter_table("answerhold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answerhold_until"), ["until"], unique=False)
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", models.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answerhold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answerhold_until"))
    op.drop_table("answerhold")
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
