"""a dispatch run is handed out by one instance at a time, under a lease

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
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", models.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dispatchrun", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
