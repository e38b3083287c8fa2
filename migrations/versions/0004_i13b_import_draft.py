"""import in chat: a decomposition previewed before it is saved

Revision ID: 0004_i13b
Revises: 0003_i13a
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0004_i13b"
down_revision: str | None = "0003_i13a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "importdraft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=False),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("decomposition", sa.JSON(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["policy_id"], ["policy.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("importdraft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_importdraft_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_importdraft_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("importdraft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_importdraft_expires_at"))
        batch_op.drop_index(batch_op.f("ix_importdraft_owner_user_id"))
    op.drop_table("importdraft")
