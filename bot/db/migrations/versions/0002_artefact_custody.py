"""artefact custody: versions, the submitted checksum, one-time downloads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:09:40.387155
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artefact_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("artefacts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("issued_to", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256", name="uq_artefact_downloads_token"),
    )
    with op.batch_alter_table("artefact_approvals", schema=None) as batch_op:
        batch_op.create_index("ix_artefact_approvals_artefact_id", ["artefact_id"], unique=False)

    with op.batch_alter_table("artefacts", schema=None) as batch_op:
        # Existing artefacts are their first version.
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("submitted_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", bot.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_artefacts_case_id", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("artefacts", schema=None) as batch_op:
        batch_op.drop_index("ix_artefacts_case_id")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("submitted_sha256")
        batch_op.drop_column("version")

    with op.batch_alter_table("artefact_approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_artefact_approvals_artefact_id")

    op.drop_table("artefact_downloads")
