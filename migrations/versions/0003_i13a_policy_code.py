"""policies get a code (P1, J1 …) and a kind; a coordinator's selected policy

Revision ID: 0003_i13a
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_i13a"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="document"))
    # Every policy before this revision came from a document: P1, P2 … in the order they arrived.
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM policy ORDER BY id"))]
    for n, policy_id in enumerate(ids, start=1):
        conn.execute(
            sa.text("UPDATE policy SET code = :code WHERE id = :id"), {"code": f"P{n}", "id": policy_id}
        )
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(), nullable=False)
        batch_op.alter_column("kind", existing_type=sa.String(), server_default=None)
        batch_op.create_unique_constraint("uq_policy_code", ["code"])
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("selected_policy_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_contact_selected_policy", "policy", ["selected_policy_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_constraint("fk_contact_selected_policy", type_="foreignkey")
        batch_op.drop_column("selected_policy_id")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_constraint("uq_policy_code", type_="unique")
        batch_op.drop_column("kind")
        batch_op.drop_column("code")
