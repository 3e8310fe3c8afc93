"""leak cases: a case type, the leak report, its storage locations and third parties

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 03:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_WHEN = bot.db.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # Every existing case is a log-dive.
        batch_op.add_column(sa.Column("type", _TEXT(), server_default="log_dive", nullable=False))

    op.create_table(
        "leak_reports",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("category", _TEXT(), nullable=False),
        sa.Column("contact", _TEXT(), nullable=False),
        sa.Column("first_exported", _TEXT(), nullable=True),
        sa.Column("legal_signed_off_by", _TEXT(), nullable=True),
        sa.Column("legal_signed_off_at", _WHEN(timezone=True), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("improvement_url", _TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "leak_storage_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("url", _TEXT(), nullable=False),
        sa.Column("holds", _TEXT(), nullable=False),
        sa.Column("identified_by", _TEXT(), nullable=False),
        sa.Column("identified_at", _WHEN(timezone=True), nullable=False),
        sa.Column("evidence", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "url", name="uq_leak_storage_location"),
    )
    op.create_table(
        "leak_third_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", _TEXT(), nullable=False),
        sa.Column("holds", _TEXT(), nullable=False),
        sa.Column("identified_by", _TEXT(), nullable=False),
        sa.Column("identified_at", _WHEN(timezone=True), nullable=False),
        sa.Column("requested_at", _WHEN(timezone=True), nullable=True),
        sa.Column("requested_by", _TEXT(), nullable=True),
        sa.Column("request_reference", _TEXT(), nullable=True),
        sa.Column("confirmed_at", _WHEN(timezone=True), nullable=True),
        sa.Column("confirmed_by", _TEXT(), nullable=True),
        sa.Column("confirmation_reference", _TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "name", name="uq_leak_third_party"),
    )


def downgrade() -> None:
    op.drop_table("leak_third_parties")
    op.drop_table("leak_storage_locations")
    op.drop_table("leak_reports")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("type")
