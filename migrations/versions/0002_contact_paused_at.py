"""a contact blocked by Telegram (403) is paused, not deactivated

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 09:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", models.types.UTCDateTime(), nullable=True))
    # Contacts deactivated by a 403 before this revision were paused in all but name.
    op.execute(
        "UPDATE contact SET active = true, paused_at = created_at "
        "WHERE active = false AND deactivated_reason = 'blocked the bot (403)'"
    )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("paused_at")
