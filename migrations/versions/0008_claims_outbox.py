"""outbox rows are claimed with a lease; a shared send-slot row for Telegram's bot-wide limits

Revision ID: 0008_claims
Revises: 0007_periods
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0008_claims"
down_revision: str | None = "0007_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("slot_at", sa.Float(), nullable=True))
        batch_op.create_index("ix_outbox_chat_slot", ["chat_id", "slot_at"], unique=False)
    op.create_table(
        "sendpace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("sendpace")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_slot")
        batch_op.drop_column("slot_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
