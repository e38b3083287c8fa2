"""updates that could not be handled are parked whole (parkedupdate)

Revision ID: 0006_i12c
Revises: 0003_i13a
Create Date: 2026-12-03 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0006_i12c"
down_revision: str | None = "0005_i14b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parkedupdate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("parked_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("announced_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("handled_at", models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id"),
    )
    with op.batch_alter_table("parkedupdate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parkedupdate_handled_at"), ["handled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parkedupdate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parkedupdate_handled_at"))
    op.drop_table("parkedupdate")
