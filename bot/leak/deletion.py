"""Deleting a leak's storage location: a person's explicit, confirmed action, then checked by listing.

Each function checks first (in its own transaction, through the aggregate's rules) that this person may
record a deletion of this location now, then does the storage I/O outside any transaction, then records
the step with the evidence the listing gave. Nothing here runs on its own: deletion needs the location
confirmed by name (the confirmation modal sends it back), and a person's report is accepted only
where Logdive cannot look.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn

from sqlmodel import Session

from bot.cases import ActionRefused
from bot.db.engine import session_scope
from bot.leak import service, storage
from workflows import leak as L
from workflows.states import Role

Clock = Callable[[], datetime]


def _precheck(
    database_url: str, case_id: int, url: str, *, actor: str, roles: frozenset[Role], now: datetime
) -> None:
    """Refuse (recorded) unless the aggregate would accept a deletion of `url` by these roles now."""
    probe = L.RecordStorageDeletion(url=url, evidence=L.StorageEvidence(kind="verified_empty", at=now))
    with session_scope(database_url) as session:
        case = service.leak_case(session, case_id)
        try:
            L.apply(case, probe, actor=actor, roles=roles, at=now)
        except L.LeakRefused as refused:
            _refuse(
                session,
                case_id,
                actor=actor,
                roles=roles,
                now=now,
                message=refused.reason,
                kind="refused" if L.may(probe.action, roles) else "unauthorised",
            )


def _refuse(
    session: Session,
    case_id: int,
    *,
    actor: str,
    roles: frozenset[Role],
    now: datetime,
    message: str,
    kind: str,
) -> NoReturn:
    service.refuse(
        session,
        case_id,
        L.LeakAction.RECORD_STORAGE_DELETION,
        actor=actor,
        roles=roles,
        now=now,
        message=message,
        kind=kind,
    )
    raise ActionRefused(message, kind=kind)


def _record(
    database_url: str,
    case_id: int,
    url: str,
    evidence: L.StorageEvidence,
    *,
    actor: str,
    roles: frozenset[Role],
) -> L.StepRecord:
    with session_scope(database_url) as session:
        return service.take_step(
            session,
            case_id,
            L.RecordStorageDeletion(url=url, evidence=evidence),
            actor=actor,
            roles=roles,
            now=evidence.at,
        )


def delete_location(
    database_url: str,
    case_id: int,
    url: str,
    *,
    confirmed: str,
    actor: str,
    roles: frozenset[Role],
    clock: Clock,
) -> L.StepRecord:
    """Delete everything under `url`, then list it and record what the listing shows. `confirmed` is
    the location as the person confirmed it: anything but the exact URL deletes nothing."""
    _precheck(database_url, case_id, url, actor=actor, roles=roles, now=clock())
    if confirmed != url:
        with session_scope(database_url) as session:
            _refuse(
                session,
                case_id,
                actor=actor,
                roles=roles,
                now=clock(),
                kind="refused",
                message=f"Nothing was deleted: the confirmation did not name {url}.",
            )

    def delete_then_list(at: datetime) -> L.StorageEvidence:
        storage.delete_prefix(url)
        return storage.verify(url, at=at)

    return _listed(
        database_url, case_id, url, delete_then_list, "Delete it by other means and report its deletion.",
        actor=actor, roles=roles, clock=clock,
    )  # fmt: skip


def check_location(
    database_url: str, case_id: int, url: str, *, actor: str, roles: frozenset[Role], clock: Clock
) -> L.StepRecord:
    """List `url` now (deleted by other means) and record what the listing shows; deletes nothing."""
    _precheck(database_url, case_id, url, actor=actor, roles=roles, now=clock())
    return _listed(
        database_url, case_id, url, lambda at: storage.verify(url, at=at), "Report its deletion instead.",
        actor=actor, roles=roles, clock=clock,
    )  # fmt: skip


def _listed(
    database_url: str,
    case_id: int,
    url: str,
    listing: Callable[[datetime], L.StorageEvidence],
    remedy: str,
    *,
    actor: str,
    roles: frozenset[Role],
    clock: Clock,
) -> L.StepRecord:
    """Record what `listing` shows of `url`; where Logdive cannot reach it, refuse (recorded): `remedy`."""
    try:
        evidence = listing(clock())
    except storage.Unreachable as unreachable:
        with session_scope(database_url) as session:
            _refuse(
                session, case_id, actor=actor, roles=roles, now=clock(), kind="refused",
                message=f"{unreachable}. {remedy}",
            )  # fmt: skip
        raise  # pragma: no cover -- _refuse raised
    return _record(database_url, case_id, url, evidence, actor=actor, roles=roles)


def report_location_deleted(
    database_url: str,
    case_id: int,
    url: str,
    *,
    reference: str,
    actor: str,
    roles: frozenset[Role],
    clock: Clock,
) -> L.StepRecord:
    """A person's word that `url` is gone, accepted only where Logdive cannot look: where it can, its
    own listing is recorded instead."""
    _precheck(database_url, case_id, url, actor=actor, roles=roles, now=clock())
    try:
        evidence = storage.verify(url, at=clock())
    except storage.Unreachable:
        evidence = L.StorageEvidence(kind="reported", at=clock(), reported_by=actor, reference=reference)
    return _record(database_url, case_id, url, evidence, actor=actor, roles=roles)
