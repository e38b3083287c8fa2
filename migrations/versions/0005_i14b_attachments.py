"""plain reports awaiting their task, and the evidence attached to reports

Revision ID: 0005_i14b
Revises: 0003_i13a
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0005_i14b"
down_revision: str | None = "0004_i13b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unplacedreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["progressreport.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_unplacedreport_unit_id"), "unplacedreport", ["unit_id"], unique=False)
    op.create_table(
        "reportattachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_unique_id", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("stored_path", sa.Text(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["progressreport.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_reportattachment_report_id"), "reportattachment", ["report_id"], unique=False)
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edits_message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("telegram_file_id", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outboxmessage_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_report_id"))
        batch_op.drop_column("telegram_file_id")
        batch_op.drop_column("report_id")
        batch_op.drop_column("edits_message_id")
    op.drop_index(op.f("ix_reportattachment_report_id"), table_name="reportattachment")
    op.drop_table("reportattachment")
    op.drop_index(op.f("ix_unplacedreport_unit_id"), table_name="unplacedreport")
    op.drop_table("unplacedreport")
