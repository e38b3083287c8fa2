"""follow-ups claimed with a lease (followup.claimed_by, lease_until); periodic jobs run once per
period (jobperiod), for several instances on one database

Revision ID: 0007_periods
Revises: 0006_i12c
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0007_periods"
down_revision: str | None = "0006_i12c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", models.types.UTCDateTime(), nullable=True))
    op.create_table(
        "jobperiod",
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("instance", sa.String(), nullable=False),
        sa.Column("claimed_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job", "period"),
    )
    with op.batch_alter_table("jobperiod", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobperiod_claimed_at"), ["claimed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobperiod", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobperiod_claimed_at"))
    op.drop_table("jobperiod")
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
