"""a report card joined into a coordinator's batch points at the joined message (outboxmessage.joined_into)

Revision ID: 0009_finish
Revises: 0008_claims
Create Date: 2026-12-03 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_finish"
down_revision: str | None = "0008_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_into", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outboxmessage_joined_into"), ["joined_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_joined_into"))
        batch_op.drop_column("joined_into")
