"""cadence: business hours spent paused on each case; attempts and last error of scheduled work

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:33:48.366580
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused_business_hours", sa.Float(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("scheduled_work", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_work", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("paused_business_hours")
