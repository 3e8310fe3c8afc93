"""custody keys: each key bound to case, version and purpose; the card's message; an artefact's facts;
step-up sign-ins awaiting their OpenID Connect answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Keys given before this revision name no version or purpose: they match no subject, so they
    # stop counting (fail closed) and the artefact needs both keys again.
    with op.batch_alter_table("artefact_approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("slack_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("artefacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("details", _JSON, nullable=True))
        batch_op.add_column(sa.Column("slack_ts", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "step_ups",
        sa.Column("state_sha256", text(), primary_key=True),
        sa.Column("artefact_id", sa.Integer(), sa.ForeignKey("artefacts.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", text(), nullable=False),
        sa.Column("role", text(), nullable=False),
        sa.Column("slack_id", text(), nullable=False),
        sa.Column("enterprise_id", text(), nullable=True),
        sa.Column("nonce", text(), nullable=False),
        sa.Column("code_verifier", text(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("step_ups")
    with op.batch_alter_table("artefacts", schema=None) as batch_op:
        batch_op.drop_column("slack_ts")
        batch_op.drop_column("details")
        batch_op.drop_column("submitted_version")
    with op.batch_alter_table("artefact_approvals", schema=None) as batch_op:
        batch_op.drop_column("slack_id")
        batch_op.drop_column("purpose")
        batch_op.drop_column("version")
        batch_op.drop_column("case_id")
