"""The tables. Every datetime is timezone-aware UTC; the event log is append-only.

One schema serves every issue: cases and their event log, the outbox of owed side effects,
idempotency keys for duplicate deliveries, scheduled work (reminders, escalations, warnings),
and artefacts with their review approvals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import JSONType, UTCDateTime


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


def _json(**kw: Any) -> Any:
    return Field(sa_type=JSONType, **kw)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # The scheduler claims due work by these; cost follows what is due, not what is open.
        Index("ix_cases_next_update_due", "next_update_due"),
        Index("ix_cases_state", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # log_dive | data_leak: which lifecycle `state` follows (workflows.states or workflows.leak).
    type: str = Field(default="log_dive", sa_column_kwargs={"server_default": "log_dive"})
    state: str  # workflows.states.CaseState, or workflows.leak.LeakState for a data_leak
    decision: str  # workflows.assessment.Decision at intake
    route: str | None = None  # workflows.assessment.Route
    customer_namespace: str
    requester_username: str
    ticket_reference: str | None = None
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    request: dict[str, Any] = _json()  # LogDiveRequest.model_dump(mode="json")
    assessment: dict[str, Any] = _json()  # Assessment.model_dump(mode="json")
    created_by: str  # Slack user id, or "cli:<user>"
    owner: str | None = None  # who claimed it (Slack user id)
    owner_timezone: str | None = None
    slack_channel: str | None = None
    slack_thread_ts: str | None = None
    sirt_issue_iid: int | None = None
    sirt_issue_url: str | None = None
    audit_gap_issue_url: str | None = None
    nda_status: str | None = None  # offered | signed | declined
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    triaged_at: datetime | None = _utc(default=None)
    closed_at: datetime | None = _utc(default=None)
    # Customer-update cadence.
    last_customer_update_at: datetime | None = _utc(default=None)
    first_customer_update_at: datetime | None = _utc(default=None)
    next_update_due: datetime | None = _utc(default=None)
    paused_at: datetime | None = _utc(default=None)
    # Business hours the clock spent paused since its anchor: they push the due time back as much.
    paused_business_hours: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    erased_at: datetime | None = _utc(default=None)
    version: int = 1  # bumped on every change: stale Slack clicks compare it


class CaseEvent(SQLModel, table=True):
    """Append-only: who did what to a case, when, from which state to which."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")  # None: refused before a case existed
    at: datetime = _utc()
    actor: str  # Slack user id, "cli:<user>", "gitlab:<username>" or "system"
    actor_role: str | None = None
    kind: str  # created, eligibility, transition, unauthorised, exception_requested, customer_update, …
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] = _json(default_factory=dict)


class OutboxItem(SQLModel, table=True):
    """A side effect owed by a committed change: delivered by workers, each exactly once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    kind: str  # gitlab.create_issue, gitlab.note, gitlab.update_issue, slack.post, slack.update, …
    payload: dict[str, Any] = _json(default_factory=dict)
    idempotency_key: str
    status: str = "pending"  # pending | done | parked
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    lease_until: datetime | None = _utc(default=None)
    leased_by: str | None = None
    last_error: str | None = None
    result: dict[str, Any] | None = _json(default=None)
    created_at: datetime = _utc()
    done_at: datetime | None = _utc(default=None)


class IdempotencyKey(SQLModel, table=True):
    """A delivery already handled: Slack retries, view submissions, GitLab webhook UUIDs."""

    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True)
    created_at: datetime = _utc()
    case_id: int | None = None


class ScheduledWork(SQLModel, table=True):
    """One due slot of timed work (a reminder, an escalation, a retention warning): sent once."""

    __tablename__ = "scheduled_work"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "due_at", name="uq_scheduled_work_slot"),
        Index("ix_scheduled_work_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    kind: str  # update_reminder | escalation | retention_warning
    due_at: datetime = _utc()
    status: str = "pending"  # pending | done | cancelled | parked
    lease_until: datetime | None = _utc(default=None)
    leased_by: str | None = None
    done_at: datetime | None = _utc(default=None)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = None
    data: dict[str, Any] = _json(default_factory=dict)


class Artefact(SQLModel, table=True):
    """An encrypted artefact of a case: what it is, where it lives, when it must be gone."""

    __tablename__ = "artefacts"
    __table_args__ = (
        Index("ix_artefacts_expires_at", "expires_at"),
        Index("ix_artefacts_case_id", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    name: str
    kind: str  # raw | automated_analysis | manual_analysis
    sha256: str  # of the plaintext
    size: int
    key_id: str
    storage_ref: str
    version: int = 1  # a new version has a new checksum: review approvals do not carry over
    submitted_by: str | None = None  # who submitted it for review
    submitted_sha256: str | None = None  # the checksum that was submitted
    submitted_version: int | None = None  # and its version: the subject the keys are given for
    submitted_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    extension_reason: str | None = None
    customer_must_be_told: bool = False
    deleted_at: datetime | None = _utc(default=None)
    details: dict[str, Any] | None = _json(default=None)  # facts for the card: entries kept, redactions
    slack_ts: str | None = None  # the artefact's card in the case thread


class ArtefactApproval(SQLModel, table=True):
    """One key of the two-key review, bound to its subject: case, artefact, version, SHA-256, purpose."""

    __tablename__ = "artefact_approvals"
    __table_args__ = (Index("ix_artefact_approvals_artefact_id", "artefact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    artefact_id: int = Field(foreign_key="artefacts.id")
    sha256: str
    case_id: int | None = None
    version: int | None = None
    purpose: str | None = None  # workflows.review.HANDOVER
    role: str  # sirt | legal
    approver: str  # the person's key (workflows.review.Person.key)
    slack_id: str | None = None  # the id the signed request carried
    decision: str  # approved | denied
    reason: str | None = None
    at: datetime = _utc()


class StepUp(SQLModel, table=True):
    """A key clicked in Slack, waiting for the clicker's fresh OpenID Connect sign-in (bot/oidc).

    Only the state's SHA-256 is stored; the state, nonce and PKCE verifier are single-use."""

    __tablename__ = "step_ups"

    state_sha256: str = Field(primary_key=True)
    artefact_id: int = Field(foreign_key="artefacts.id")
    case_id: int
    version: int
    sha256: str
    role: str  # the key asked for: sirt | legal
    slack_id: str
    enterprise_id: str | None = None
    nonce: str
    code_verifier: str
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None)


class ArtefactDownload(SQLModel, table=True):
    """A one-time download of approved artefacts for the case owner, bound to the approved checksums."""

    __tablename__ = "artefact_downloads"
    __table_args__ = (UniqueConstraint("token_sha256", name="uq_artefact_downloads_token"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    token_sha256: str  # the link's token is shown once and never stored
    artefacts: dict[str, Any] = _json(default_factory=dict)  # {artefact id: sha256 at issue time}
    issued_to: str
    issued_at: datetime = _utc()
    expires_at: datetime = _utc()
    used_at: datetime | None = _utc(default=None)


# The data-leak tables live with their case type; imported here so the metadata is whole wherever
# the tables are (migrations, schema checks).
from bot.leak import models as _leak_models  # noqa: E402, F401
