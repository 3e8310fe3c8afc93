"""The artefact service: store, version, read, submit for review, approve, deny; the case's NDA status.

Each function is one unit of work in the caller's session (`bot.db.engine.session_scope`): the
artefact rows, the case events and the notes owed to the SIRT issue are committed together, or not
at all. `roles` are the roles the caller has already looked up for `actor` (the Slack app through
Slack's user groups, the CLI through a `RoleProvider`). Decisions come from workflows.review and
workflows.retention; this module gathers their inputs and records their outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlmodel import Session, col, select

from bot import cases
from bot.artefacts.crypto import TamperedArtefact
from bot.artefacts.errors import ArtefactNotFound
from bot.artefacts.events import (
    Actor,
    actor_key,
    artefact_for,
    case_for,
    note_on_sirt_issue,
    permit,
    record_event,
    refuse,
    refuse_if_deleted,
)
from bot.artefacts.keys import UnknownKey
from bot.artefacts.store import BlobMissing
from bot.artefacts.vault import Vault
from bot.db.models import Artefact, ArtefactApproval, Case
from workflows.policy import RetentionPolicy
from workflows.retention import ArtefactKind, expiry_for
from workflows.review import (
    KEY_ROLES,
    Approval,
    CustodyAction,
    NdaStatus,
    Permission,
    Person,
    ReviewStatus,
    Subject,
    Submission,
    Verdict,
    case_target,
    custody_refusal,
    denial_reason,
    may_decide,
    review_status,
)
from workflows.states import CaseState, Role

MAX_NAME_LENGTH = 200


# ---------------------------------------------------------------------------------------------- reading


def get_artefact(session: Session, artefact_id: int) -> Artefact:
    artefact = session.get(Artefact, artefact_id)
    if artefact is None:
        raise ArtefactNotFound(f"no artefact {artefact_id}")
    return artefact


def list_artefacts(session: Session, case_id: int, *, include_deleted: bool = True) -> list[Artefact]:
    query = select(Artefact).where(Artefact.case_id == case_id)
    if not include_deleted:
        query = query.where(col(Artefact.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(Artefact.id))).all())


def subject_of(artefact: Artefact) -> Subject:
    """What a key for the artefact's current content approves."""
    assert artefact.id is not None
    return Subject(artefact.case_id, artefact.id, artefact.version, artefact.sha256)


def decisions_of(session: Session, artefact_id: int) -> list[Approval]:
    rows = session.exec(
        select(ArtefactApproval)
        .where(ArtefactApproval.artefact_id == artefact_id)
        .order_by(col(ArtefactApproval.at), col(ArtefactApproval.id))
    ).all()
    found = []
    for r in rows:
        if r.case_id is None or r.version is None or r.purpose is None:
            continue  # a key from before keys were bound to a version and purpose: it binds nothing
        subject = Subject(r.case_id, r.artefact_id, r.version, r.sha256, r.purpose)
        found.append(Approval(r.approver, Role(r.role), subject, Verdict(r.decision), r.reason))
    return found


def review_of(session: Session, artefact: Artefact, case: Case | None = None) -> ReviewStatus:
    assert artefact.id is not None
    case = case or session.get(Case, artefact.case_id)
    return review_status(
        subject_of(artefact),
        _submission(artefact),
        decisions_of(session, artefact.id),
        nda_status=case.nda_status if case else None,
    )


def refuse_unless_seen(
    session: Session,
    artefact: Artefact,
    seen: Subject | None,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    action: str,
) -> None:
    """Refuse (recorded) when the person acted on a card showing another version than the current one."""
    current = subject_of(artefact)
    if seen is not None and seen != current:
        refuse(
            session, artefact.case_id, kind="stale", actor=actor, roles=roles, now=now,
            message=f"artefact {artefact.id}: you were shown {seen.short} but it is now {current.short}",
            data={"action": action, "artefact_id": artefact.id, "version": artefact.version},
        )  # fmt: skip


def follow_artefacts(session: Session, case: Case, *, now: datetime, cause: dict[str, Any]) -> None:
    """Move the case where its artefacts' review puts it (workflows.review.case_target), as Logdive."""
    assert case.id is not None
    marked = [
        review_of(session, a, case)
        for a in list_artefacts(session, case.id, include_deleted=False)
        if a.submitted_sha256 is not None
    ]
    target = case_target(CaseState(case.state), marked)
    if target is not None:
        cases.apply_transition(
            session, case.id, target, actor=cases.SYSTEM, roles={Role.SYSTEM}, now=now, data=cause
        )


def artefact_summaries(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Each artefact of a case as JSON-ready facts, for `logdive cases show` and the Slack thread."""
    case = session.get(Case, case_id)
    summaries = []
    for artefact in list_artefacts(session, case_id):
        review = review_of(session, artefact, case)
        summaries.append(
            {
                "id": artefact.id,
                "name": artefact.name,
                "kind": artefact.kind,
                "version": artefact.version,
                "sha256": artefact.sha256,
                "size": artefact.size,
                "created_at": artefact.created_at.isoformat(),
                "expires_at": artefact.expires_at.isoformat(),
                "extension_reason": artefact.extension_reason,
                "customer_must_be_told": artefact.customer_must_be_told,
                "deleted_at": artefact.deleted_at.isoformat() if artefact.deleted_at else None,
                "review": review.state.value,
                "keys": {
                    role.value: (k.approver if (k := review.keys.get(role)) else None) for role in KEY_ROLES
                },
                "denied": (
                    {
                        "by": review.denial.approver,
                        "role": review.denial.role.value,
                        "reason": review.denial.reason,
                    }
                    if review.denial
                    else None
                ),
                "submitted_by": artefact.submitted_by,
                "nda_signed": review.nda_signed,
            }
        )
    return summaries


# ---------------------------------------------------------------------------------------------- storing


def store_artefact(
    session: Session,
    vault: Vault,
    case_id: int,
    *,
    name: str,
    kind: ArtefactKind | str,
    data: bytes,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    policy: RetentionPolicy,
    source: str = "upload",
) -> Artefact:
    """Seal `data` and record it on the case, expiring as the retention policy says for its kind."""
    kind = _kind(kind)
    name = _name(name)
    case_for(session, case_id, CustodyAction.ADD, actor=actor, roles=roles, now=now)
    sealed = vault.put(data)
    _discard_on_rollback(session, vault, sealed.ref)
    artefact = Artefact(
        case_id=case_id,
        name=name,
        kind=kind.value,
        sha256=sealed.sha256,
        size=sealed.size,
        key_id=sealed.key_id,
        storage_ref=sealed.ref,
        created_at=now,
        expires_at=expiry_for(kind, now, policy),
    )
    session.add(artefact)
    session.flush()
    record_event(
        session,
        case_id,
        kind="artefact_added",
        actor=actor,
        roles=roles,
        now=now,
        data={
            "artefact_id": artefact.id,
            "name": name,
            "artefact_kind": kind.value,
            "version": 1,
            "sha256": sealed.sha256,
            "size": sealed.size,
            "expires_at": artefact.expires_at.isoformat(),
            "source": source,
        },
    )
    return artefact


def add_version(
    session: Session,
    vault: Vault,
    artefact_id: int,
    *,
    data: bytes,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    policy: RetentionPolicy,
) -> Artefact:
    """Replace the content with a new version: a new checksum, so earlier review decisions stop counting."""
    artefact, case = artefact_for(session, artefact_id, CustodyAction.ADD, actor=actor, roles=roles, now=now)
    context = {"artefact_id": artefact_id}
    previous = artefact.sha256
    voided = sum(1 for d in decisions_of(session, artefact_id) if d.subject == subject_of(artefact))
    sealed = vault.put(data)
    _discard_on_rollback(session, vault, sealed.ref)
    _discard_on_commit(session, vault, artefact.storage_ref)
    artefact.storage_ref, artefact.key_id = sealed.ref, sealed.key_id
    artefact.sha256, artefact.size = sealed.sha256, sealed.size
    artefact.version += 1
    # A new version is new data: it is kept as long as its kind allows from now, never less than before.
    artefact.expires_at = max(artefact.expires_at, expiry_for(ArtefactKind(artefact.kind), now, policy))
    session.add(artefact)
    event = record_event(
        session,
        case.id or 0,
        kind="artefact_version_added",
        actor=actor,
        roles=roles,
        now=now,
        data={
            **context,
            "version": artefact.version,
            "sha256": sealed.sha256,
            "previous_sha256": previous,
            "size": sealed.size,
            "decisions_voided": voided,
        },
    )
    if artefact.submitted_sha256 is not None:
        note_on_sirt_issue(
            session,
            case,
            event,
            body=(
                f"Artefact {artefact_id} has a new version {artefact.version} (`{sealed.sha256}`); "
                f"{voided} review decision(s) on `{previous}` no longer count. It must be submitted again."
            ),
            now=now,
        )
    follow_artefacts(
        session, case, now=now, cause={"artefact_id": artefact_id, "by": "artefact_version_added"}
    )
    return artefact


def read_artefact(
    session: Session,
    vault: Vault,
    artefact_id: int,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    purpose: str = "review",
) -> bytes:
    """The plaintext for a reviewer or investigator, the read recorded; tampering is refused and recorded."""
    artefact = get_artefact(session, artefact_id)
    case = session.get(Case, artefact.case_id)
    assert case is not None
    context = {"artefact_id": artefact_id, "purpose": purpose}
    permit(session, case, CustodyAction.READ, actor=actor, roles=roles, now=now, data=context)
    refuse_if_deleted(session, artefact, actor=actor, roles=roles, now=now, action="read")
    plaintext = open_blob(session, vault, artefact, actor=actor, roles=roles, now=now)
    record_event(
        session,
        artefact.case_id,
        kind="artefact_read",
        actor=actor,
        roles=roles,
        now=now,
        data={**context, "version": artefact.version, "sha256": artefact.sha256},
    )
    return plaintext


def open_blob(
    session: Session,
    vault: Vault,
    artefact: Artefact,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> bytes:
    """Decrypt and check; a blob that fails is refused, and the refusal is recorded on the case."""
    try:
        return vault.get(artefact.storage_ref, sha256=artefact.sha256)
    except (TamperedArtefact, UnknownKey, BlobMissing) as exc:
        why = {TamperedArtefact: "tampered", UnknownKey: "unknown_key", BlobMissing: "missing"}[type(exc)]
        refuse(
            session,
            artefact.case_id,
            kind="artefact_unreadable",
            actor=actor,
            roles=roles,
            now=now,
            message=f"artefact {artefact.id} cannot be read ({why}): {exc}",
            data={"artefact_id": artefact.id, "why": why},
        )


# ---------------------------------------------------------------------------------------------- review


def submit_for_review(
    session: Session,
    artefact_id: int,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    seen: Subject | None = None,
) -> ReviewStatus:
    """Mark the artefact's current version (`seen`, when the person was shown one) for hand-over: it now
    needs the two keys. The case owner's act."""
    artefact, case = artefact_for(
        session, artefact_id, CustodyAction.SUBMIT, actor=actor, roles=roles, now=now
    )
    context = {"artefact_id": artefact_id, "sha256": artefact.sha256, "version": artefact.version}
    refuse_unless_seen(session, artefact, seen, actor=actor, roles=roles, now=now, action="submit")
    current = review_of(session, artefact, case)
    if artefact.submitted_sha256 == artefact.sha256 and artefact.submitted_version == artefact.version:
        return current  # a double click: already submitted, nothing more to record
    artefact.submitted_by, artefact.submitted_sha256 = actor_key(actor), artefact.sha256
    artefact.submitted_version, artefact.submitted_at = artefact.version, now
    session.add(artefact)
    status = review_of(session, artefact, case)
    event = record_event(
        session,
        case.id or 0,
        kind="artefact_submitted",
        actor=actor,
        roles=roles,
        now=now,
        data={**context, "nda_status": case.nda_status},
    )
    nda = "" if status.nda_signed else f" **{status.notes[0]}.**"
    note_on_sirt_issue(
        session,
        case,
        event,
        body=(
            f"Artefact {artefact_id} (version {artefact.version}, `{artefact.sha256}`) was submitted for "
            f"review by {actor_key(actor)}. It needs a Security key and a Legal key from two other "
            f"people.{nda}"
        ),
        now=now,
    )
    follow_artefacts(session, case, now=now, cause={"artefact_id": artefact_id, "by": "artefact_submitted"})
    return status


def approve(
    session: Session,
    artefact_id: int,
    *,
    actor: Person,
    roles: Collection[Role],
    now: datetime,
    seen: Subject,
    as_role: Role | None = None,
) -> ReviewStatus:
    """Give one key (sirt or legal) for `seen`, which must be the artefact's current subject."""
    return _decide(
        session, artefact_id, Verdict.APPROVED, actor=actor, roles=roles, now=now, as_role=as_role,
        seen=seen, reason=None,
    )  # fmt: skip


def deny(
    session: Session,
    artefact_id: int,
    *,
    reason: str,
    actor: Person,
    roles: Collection[Role],
    now: datetime,
    seen: Subject,
    as_role: Role | None = None,
) -> ReviewStatus:
    """Stop `seen`, the artefact's current subject; `reason` says what must change (ValueError when blank)."""
    text = denial_reason(reason)
    return _decide(
        session, artefact_id, Verdict.DENIED, actor=actor, roles=roles, now=now, as_role=as_role,
        seen=seen, reason=text,
    )  # fmt: skip


def permission_to_approve(
    session: Session,
    artefact_id: int,
    *,
    actor: Person,
    roles: Collection[Role],
    seen: Subject,
    as_role: Role | None = None,
) -> Permission:
    """Would `approve` give this key now? Read only: nothing is recorded (`approve` records its refusals)."""
    artefact = get_artefact(session, artefact_id)
    case = session.get(Case, artefact.case_id)
    assert case is not None
    permission = may_decide(
        Verdict.APPROVED, actor=actor.key, roles=roles, subject=subject_of(artefact),
        submission=_submission(artefact), decisions=decisions_of(session, artefact_id), as_role=as_role,
        seen=seen,
    )  # fmt: skip
    problem = custody_refusal(CaseState(case.state), erased=case.erased_at is not None, review=True)
    if artefact.deleted_at is not None or (permission.allowed and problem is not None):
        return Permission.refused(problem or "the artefact was deleted")
    return permission


def _decide(
    session: Session,
    artefact_id: int,
    verdict: Verdict,
    *,
    actor: Person,
    roles: Collection[Role],
    now: datetime,
    as_role: Role | None,
    seen: Subject,
    reason: str | None,
) -> ReviewStatus:
    if not isinstance(actor, Person):  # a key is never given by a name a command was handed
        raise TypeError("a review decision is made by an authenticated Person")
    artefact, case = artefact_for(
        session, artefact_id, None, actor=actor, roles=roles, now=now, data={"action": verdict.value}
    )
    subject = subject_of(artefact)
    context = {
        "action": verdict.value, "artefact_id": artefact_id, "sha256": artefact.sha256,
        "version": artefact.version, "purpose": subject.purpose,
    }  # fmt: skip
    permission = may_decide(
        verdict,
        actor=actor.key,
        roles=roles,
        subject=subject,
        submission=_submission(artefact),
        decisions=decisions_of(session, artefact_id),
        as_role=as_role,
        seen=seen,
    )
    state_problem = custody_refusal(CaseState(case.state), erased=case.erased_at is not None, review=True)
    if permission.allowed and state_problem is not None:
        permission = permission.refused(f"{cases.case_label(case.id or 0)}: {state_problem}")
    if not permission.allowed:
        refuse(
            session,
            case.id or 0,
            kind=permission.kind or "refused",
            actor=actor,
            roles=roles,
            now=now,
            message=f"artefact {artefact_id}: {permission.reason}",
            data=context,
        )
    assert permission.role is not None
    session.add(
        ArtefactApproval(
            artefact_id=artefact_id,
            sha256=subject.sha256,
            case_id=subject.case_id,
            version=subject.version,
            purpose=subject.purpose,
            role=permission.role.value,
            approver=actor.key,
            slack_id=actor.slack_id,
            decision=verdict.value,
            reason=reason,
            at=now,
        )
    )
    session.flush()
    status = review_of(session, artefact, case)
    kind = "artefact_approved" if verdict is Verdict.APPROVED else "artefact_denied"
    data = {**context, "role": permission.role.value, "review": status.state.value}
    event = record_event(
        session,
        case.id or 0,
        kind=kind,
        actor=actor,
        roles=roles,
        now=now,
        data={**data, "reason": reason} if reason else data,
    )
    if verdict is Verdict.DENIED:
        body = (
            f"Artefact {artefact_id} (`{artefact.sha256}`) was **denied** by {actor.key} "
            f"({permission.role}). "
            "The reason is in Logdive's case log (`logdive cases show`)."
        )
    elif status.approved:
        body = (
            f"Artefact {artefact_id} (`{artefact.sha256}`) is **approved**: Security key by "
            f"{status.keys[Role.SIRT].approver}, Legal key by {status.keys[Role.LEGAL].approver}."
        )
    else:
        body = (
            f"Artefact {artefact_id} (`{artefact.sha256}`): {permission.role} key given by {actor.key}; "
            f"still needed: {', '.join(r.value for r in status.missing)}."
        )
    note_on_sirt_issue(session, case, event, body=body, now=now)
    follow_artefacts(session, case, now=now, cause={"artefact_id": artefact_id, "by": kind})
    return status


# ---------------------------------------------------------------------------------------------- NDA


def set_nda_status(
    session: Session,
    case_id: int,
    status: NdaStatus | str,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> Case:
    """The CSM records where the NDA stands: offered, signed or declined."""
    try:
        wanted = NdaStatus(str(status).strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in NdaStatus)
        raise ValueError(f"nda status: {status!r} is not one of {allowed}") from None
    data = {"to": wanted.value}
    case = case_for(session, case_id, CustodyAction.SET_NDA, actor=actor, roles=roles, now=now, data=data)
    if case.nda_status == wanted.value:
        return case
    previous = case.nda_status
    case.nda_status = wanted.value
    case.version += 1
    case.updated_at = now
    session.add(case)
    record_event(
        session, case_id, kind="nda_status", actor=actor, roles=roles, now=now,
        data={"from": previous, "to": wanted.value},
    )  # fmt: skip
    return case


# ---------------------------------------------------------------------------------------------- helpers


def _submission(artefact: Artefact) -> Submission | None:
    if (
        artefact.submitted_sha256 is None
        or artefact.submitted_by is None
        or artefact.submitted_version is None
    ):
        return None
    assert artefact.id is not None
    subject = Subject(artefact.case_id, artefact.id, artefact.submitted_version, artefact.submitted_sha256)
    return Submission(artefact.submitted_by, subject)


def _kind(kind: ArtefactKind | str) -> ArtefactKind:
    try:
        return ArtefactKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in ArtefactKind)
        raise ValueError(f"kind: {kind!r} is not one of {allowed}") from None


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValueError("name: an artefact needs a name (e.g. the file name)")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name: at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    return name


def _discard_on_rollback(session: Session, vault: Vault, ref: str) -> None:
    """A blob written for a unit of work that is rolled back must not linger."""
    _after(session, on_rollback=lambda: vault.discard(ref))


def _discard_on_commit(session: Session, vault: Vault, ref: str) -> None:
    """The previous version's blob goes once the new version is committed (not before: it may roll back)."""
    _after(session, on_commit=lambda: vault.discard(ref))


def _after(
    session: Session,
    *,
    on_commit: Callable[[], object] | None = None,
    on_rollback: Callable[[], object] | None = None,
) -> None:
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            if on_commit:
                on_commit()

    def rolled_back(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            if on_rollback:
                on_rollback()

    sa_event.listen(session, "after_commit", committed, once=True)
    sa_event.listen(session, "after_rollback", rolled_back, once=True)
