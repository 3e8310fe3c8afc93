"""Retention enforced: extensions with a reason, and the sweep that deletes what has expired.

The sweep runs on every scheduler tick (`logdive serve`, `logdive sweep`); each expired artefact's
blob is deleted and a tombstone (what, when, why) is left in the case's event log, so nothing
outlives its policy by more than one sweep. Deleting needs no key: only the blob store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.artefacts.events import (
    ARTEFACT_DELETED,
    SYSTEM,
    Actor,
    actor_key,
    artefact_for,
    note_on_sirt_issue,
    record_event,
    refuse,
)
from bot.artefacts.service import follow_artefacts
from bot.artefacts.store import BlobStore, LocalDirectoryStore
from bot.db.engine import session_scope
from bot.db.models import Artefact
from bot.logs import get_logger
from bot.settings import Settings
from workflows.retention import ExtensionRefused, Retained, due_for_deletion, extend
from workflows.review import CUSTODY_STATES, CustodyAction
from workflows.states import CaseState, Role

log = get_logger(__name__)

RETENTION = "retention"
ERASURE = "erasure"


def extend_retention(
    session: Session,
    artefact_id: int,
    *,
    until: datetime,
    reason: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    customer_told: bool = False,
) -> Artefact:
    """Keep an artefact longer (Legal), a reason recorded; the customer must be told unless they were."""
    artefact, case = artefact_for(
        session, artefact_id, CustodyAction.EXTEND, actor=actor, roles=roles, now=now
    )
    context = {"artefact_id": artefact_id}
    try:
        extension = extend(artefact.expires_at, until, reason, now)
    except ExtensionRefused as exc:
        refuse(
            session, artefact.case_id, kind="refused", actor=actor, roles=roles, now=now,
            message=f"artefact {artefact_id}: {exc}", data={"action": "extend", **context},
        )  # fmt: skip
    previous = artefact.expires_at
    artefact.expires_at = extension.expires_at
    artefact.extension_reason = extension.reason
    artefact.customer_must_be_told = extension.customer_must_be_told and not customer_told
    session.add(artefact)
    event = record_event(
        session,
        artefact.case_id,
        kind="retention_extended",
        actor=actor,
        roles=roles,
        now=now,
        data={
            **context,
            "from": previous.isoformat(),
            "to": extension.expires_at.isoformat(),
            "reason": extension.reason,
            "customer_must_be_told": artefact.customer_must_be_told,
            "customer_told": customer_told,
        },
    )
    note_on_sirt_issue(
        session,
        case,
        event,
        body=(
            f"Retention of artefact {artefact_id} was extended by {actor_key(actor)} "
            f"from {previous:%Y-%m-%d %H:%M} to "
            f"{extension.expires_at:%Y-%m-%d %H:%M} UTC. "
            + ("The customer was told. " if customer_told else "**The customer must be told.** ")
            + "The reason is in Logdive's case log."
        ),
        now=now,
    )
    return artefact


def record_customer_told(
    session: Session, artefact_id: int, *, actor: Actor, roles: Collection[Role], now: datetime
) -> Artefact:
    """The customer has been told about the extension."""
    artefact, _ = artefact_for(
        session, artefact_id, CustodyAction.CUSTOMER_TOLD, actor=actor, roles=roles, now=now
    )
    context = {"artefact_id": artefact_id}
    if not artefact.customer_must_be_told:
        return artefact
    artefact.customer_must_be_told = False
    session.add(artefact)
    record_event(
        session,
        artefact.case_id,
        kind="retention_customer_told",
        actor=actor,
        roles=roles,
        now=now,
        data=context,
    )
    return artefact


def erase_artefact(
    session: Session,
    store: BlobStore,
    artefact_id: int,
    *,
    reason: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> dict[str, Any]:
    """Erase one artefact on request (SIRT or Legal): its blob goes now; a tombstone with the reason stays."""
    why = (reason or "").strip()
    if not why:
        raise ValueError("reason: erasing an artefact needs a reason (e.g. the customer's request)")
    if len(why) > 2000:
        raise ValueError(f"reason: at most 2000 characters, got {len(why)}")
    artefact, case = artefact_for(
        session, artefact_id, CustodyAction.ERASE, actor=actor, roles=roles, now=now
    )
    tombstone = delete_artefact(
        session, store, artefact, why=ERASURE, actor=actor, roles=roles, now=now, detail=why
    )
    if CaseState(case.state) in CUSTODY_STATES:
        follow_artefacts(session, case, now=now, cause={"artefact_id": artefact_id, "by": ARTEFACT_DELETED})
    return tombstone


def delete_artefact(
    session: Session,
    store: BlobStore,
    artefact: Artefact,
    *,
    why: str,
    actor: Actor,
    now: datetime,
    roles: Collection[Role] = (),
    detail: str | None = None,
) -> dict[str, Any]:
    """Delete the blob, keep the row as a record without the name, and leave a tombstone. Idempotent."""
    # The blob goes before the commit: should the commit fail, the next sweep finds the row and finishes.
    store.delete(artefact.storage_ref)
    tombstone = {
        "artefact_id": artefact.id,
        "artefact_kind": artefact.kind,
        "version": artefact.version,
        "sha256": artefact.sha256,
        "size": artefact.size,
        "created_at": artefact.created_at.isoformat(),
        "expires_at": artefact.expires_at.isoformat(),
        "deleted_at": now.isoformat(),
        "why": why,
    }
    if detail:
        tombstone["detail"] = detail
    artefact.deleted_at = now
    artefact.name = ""  # names can carry customer data; the tombstone names the artefact by id and checksum
    artefact.extension_reason = None
    artefact.customer_must_be_told = False
    session.add(artefact)
    record_event(
        session, artefact.case_id, kind=ARTEFACT_DELETED, actor=actor, roles=roles, now=now, data=tombstone
    )
    return tombstone


def expire_due(
    session: Session, store: BlobStore, *, now: datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """Delete up to `limit` expired artefacts in this transaction; their tombstones."""
    expired = (col(Artefact.deleted_at).is_(None), col(Artefact.expires_at) <= now)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE: take its one write lock first, so two sweeps never both delete a row.
        session.execute(update(Artefact).where(*expired).values(version=Artefact.version))
    query = (
        select(Artefact)
        .where(*expired)
        .order_by(col(Artefact.expires_at), col(Artefact.id))
        .limit(limit)
        .with_for_update(skip_locked=True)  # replicas sweeping together take disjoint artefacts
    )
    candidates = {a.id: a for a in session.exec(query).all()}
    due = due_for_deletion((Retained(a.id or 0, a.expires_at) for a in candidates.values()), now)
    tombstones = []
    for artefact_id in due:
        artefact = candidates[artefact_id]
        kept = f"{artefact.kind} kept until {artefact.expires_at:%Y-%m-%d %H:%M} UTC"
        detail = kept + (" (extended)" if artefact.extension_reason else "")
        tombstones.append(
            delete_artefact(session, store, artefact, why=RETENTION, actor=SYSTEM, now=now, detail=detail)
        )
    return tombstones


@dataclass
class RetentionReport:
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deleted)


def sweep(url: str, store: BlobStore, *, now: datetime, batch: int = 200) -> RetentionReport:
    """Delete everything expired at `now`, a batch per transaction, until nothing expired is left."""
    report = RetentionReport()
    while True:
        with session_scope(url) as session:
            tombstones = expire_due(session, store, now=now, limit=batch)
        report.deleted.extend(tombstones)
        if len(tombstones) < batch:
            break
    if report.count:
        log.info("retention.swept", deleted=report.count)
    return report


def retention_job(settings: Settings) -> Callable[[datetime], RetentionReport]:
    """The scheduler tick job: `Runtime.tick_jobs.append(retention_job(settings))`."""
    store = LocalDirectoryStore(settings.artefact_dir)
    url = settings.database_url

    def retention_sweep(now: datetime) -> RetentionReport:
        return sweep(url, store, now=now)

    return retention_sweep
