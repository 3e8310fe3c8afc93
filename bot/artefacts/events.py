"""Recording artefact custody on the case: events, refusals, notes owed to the SIRT issue, row locks.

Every read, export, review decision and deletion becomes a CaseEvent in the caller's transaction.
A refusal is committed on its own (the unit of work is rolled back first) so that an unauthorised
attempt changes nothing and still shows. Tombstones are the events erasure keeps.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, NoReturn

from sqlmodel import Session

from bot import cases, outbox
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.cases import case_label
from bot.db.locks import lock_row
from bot.db.models import Artefact, Case, CaseEvent
from workflows.review import CustodyAction, Person, custody_refusal, may_do
from workflows.states import CaseState, Role

SYSTEM = cases.SYSTEM

# Who acts: a Person a signed Slack request authenticated, or Logdive itself / an operator by name
# ("system", "cli:<os user>"), which never counts as a person for anything only people may do.
Actor = Person | str

# Actions that need the case accepted and open; with `review`, also being investigated or later.
_NEEDS_OPEN_CASE: dict[CustodyAction, bool] = {
    CustodyAction.ADD: False,
    CustodyAction.RUN_EXTRACT: True,
    CustodyAction.SUBMIT: True,
    CustodyAction.EXPORT: True,
    CustodyAction.DOWNLOAD_LINK: True,
    CustodyAction.SHARE_SUBCONTRACTOR: True,
}


def actor_key(actor: Actor) -> str:
    """How `actor` is recorded: a person's key (one for all their Slack ids), or the system's name."""
    return actor.key if isinstance(actor, Person) else actor


def person_of(actor: Actor) -> Person | None:
    return actor if isinstance(actor, Person) else None


ARTEFACT_CARD = "slack.artefact_card"  # redraw an artefact's card in the case thread
SLACK_TOMBSTONE = "slack.tombstone"  # replace Logdive's replies in an erased case's thread
GITLAB_TOMBSTONE = "gitlab.tombstone"  # the SIRT issue's title, description and Logdive's notes
# Events after which an artefact's card is redrawn (reads and refusals change nothing on it).
CARD_EVENTS = frozenset(
    {
        "artefact_added",
        "artefact_version_added",
        "artefact_submitted",
        "artefact_approved",
        "artefact_denied",
        "retention_extended",
        "retention_customer_told",
        "artefact_deleted",
        "download_link_issued",
        "artefacts_exported",
    }
)
ARTEFACT_DELETED = "artefact_deleted"
CASE_ERASED = "case_erased"
# What erasure keeps: what was deleted, when and why. Nothing in them is the customer's free text.
TOMBSTONE_KINDS = frozenset({ARTEFACT_DELETED, CASE_ERASED})


def record_event(
    session: Session,
    case_id: int,
    *,
    kind: str,
    actor: Actor,
    now: datetime,
    roles: Collection[Role] = (),
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """The case service's event log entry, for callers that hold an artefact rather than its case."""
    case = session.get(Case, case_id)
    if case is None:
        raise ArtefactNotFound(f"no case {case_label(case_id)}")
    event = cases.record_event(
        session,
        case,
        kind=kind,
        actor=actor_key(actor),
        now=now,
        roles=roles,
        data=_with_slack_id(actor, data),
    )
    if kind in CARD_EVENTS and case.slack_channel:
        for artefact_id in _artefacts_named(event.data):
            outbox.enqueue(
                session, case_id=case_id, kind=ARTEFACT_CARD, payload={"artefact_id": artefact_id},
                key=f"event:{event.id}:card:{artefact_id}", now=now,
            )  # fmt: skip
    return event


def _artefacts_named(data: Mapping[str, Any]) -> list[int]:
    named = [data["artefact_id"]] if isinstance(data.get("artefact_id"), int) else []
    named += [
        a["id"] for a in data.get("artefacts") or () if isinstance(a, dict) and isinstance(a.get("id"), int)
    ]
    return list(dict.fromkeys(named))


def _with_slack_id(actor: Actor, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The id the signed request carried, beside the person's key, when they differ (Enterprise Grid)."""
    extra = {"slack_id": actor.slack_id} if isinstance(actor, Person) and actor.slack_id != actor.key else {}
    return {**(data or {}), **extra}


def refuse(
    session: Session,
    case_id: int,
    *,
    kind: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    message: str,
    data: Mapping[str, Any],
) -> NoReturn:
    """Undo this unit of work, commit the refusal on its own, raise: nothing changed, and it shows."""
    cases.record_refusal(
        session, case_id, kind=kind, actor=actor_key(actor), roles=roles, now=now, message=message,
        data=_with_slack_id(actor, data),
    )  # fmt: skip
    raise ArtefactRefused(message, kind=kind)


def note_on_sirt_issue(session: Session, case: Case, event: CaseEvent, *, body: str, now: datetime) -> None:
    """Owe a note on the case's SIRT issue (when it has one, or one is owed) telling of `event`.

    `body` is GitLab Markdown built from ids, checksums, roles and times only, never user free text.
    """
    if not cases.sirt_issue_exists_or_owed(session, case):
        return
    outbox.enqueue(
        session,
        case_id=case.id,
        kind=cases.GITLAB_NOTE,
        payload={"case_id": case.id, "event_id": event.id, "event": event.kind, "body": body},
        key=f"event:{event.id}:{cases.GITLAB_NOTE}",
        now=now,
    )


lock_case = cases.lock_case


def lock_artefact(session: Session, artefact_id: int) -> Artefact:
    """The artefact locked for this transaction, as `lock_case` locks a case."""
    artefact = lock_row(session, Artefact, artefact_id)
    if artefact is None:
        raise ArtefactNotFound(f"no artefact {artefact_id}")
    return artefact


def permit(
    session: Session,
    case: Case,
    action: CustodyAction,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    data: dict[str, Any],
) -> Role | None:
    """The role `actor` acts in for `action`, or a recorded refusal: not theirs, or not on this case now."""
    permission = may_do(action, person=person_of(actor), roles=roles, case_owner=case.owner)
    if permission.allowed and action in _NEEDS_OPEN_CASE:
        refusal = custody_refusal(
            CaseState(case.state), erased=case.erased_at is not None, review=_NEEDS_OPEN_CASE[action],
            eligible=case.decision == "eligible",
        )  # fmt: skip
        if refusal is not None:
            refuse(
                session, case.id or 0, kind="refused", actor=actor, roles=roles, now=now,
                message=f"{case_label(case.id or 0)}: {refusal}", data={"action": action.value, **data},
            )  # fmt: skip
    if not permission.allowed:
        refuse(
            session,
            case.id or 0,
            kind="unauthorised",
            actor=actor,
            roles=roles,
            now=now,
            message=f"{case_label(case.id or 0)}: {permission.reason}",
            data={"action": action.value, **data},
        )
    return permission.role


def refuse_if_erased(
    session: Session, case: Case, *, actor: Actor, roles: Collection[Role], now: datetime, action: str
) -> None:
    if case.erased_at is not None:
        label = case_label(case.id or 0)
        refuse(
            session,
            case.id or 0,
            kind="refused",
            actor=actor,
            roles=roles,
            now=now,
            message=f"{label} was erased on {case.erased_at:%Y-%m-%d}: nothing new is kept",
            data={"action": action},
        )


def refuse_if_deleted(
    session: Session, artefact: Artefact, *, actor: Actor, roles: Collection[Role], now: datetime, action: str
) -> None:
    if artefact.deleted_at is not None:
        refuse(
            session,
            artefact.case_id,
            kind="refused",
            actor=actor,
            roles=roles,
            now=now,
            message=f"artefact {artefact.id} was deleted on {artefact.deleted_at:%Y-%m-%d %H:%M} UTC",
            data={"action": action, "artefact_id": artefact.id},
        )


def case_for(
    session: Session,
    case_id: int,
    action: CustodyAction,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    data: Mapping[str, Any] | None = None,
    erased_ok: bool = False,
) -> Case:
    """The case locked for `action` by `actor`; refused (and recorded) when not allowed or erased."""
    case = lock_case(session, case_id)
    permit(session, case, action, actor=actor, roles=roles, now=now, data=dict(data or {}))
    if not erased_ok:
        refuse_if_erased(session, case, actor=actor, roles=roles, now=now, action=action.value)
    return case


def artefact_for(
    session: Session,
    artefact_id: int,
    action: CustodyAction | None,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    data: Mapping[str, Any] | None = None,
) -> tuple[Artefact, Case]:
    """The live artefact and its case, locked for `action` (None: the review rules decide who)."""
    artefact = lock_artefact(session, artefact_id)
    case = lock_case(session, artefact.case_id)
    context = {"artefact_id": artefact_id, **(data or {})}
    if action is not None:
        permit(session, case, action, actor=actor, roles=roles, now=now, data=context)
    # Erasure deletes every artefact, so a live artefact also means a case that was not erased.
    name = action.value if action is not None else str(context.get("action", "review"))
    refuse_if_deleted(session, artefact, actor=actor, roles=roles, now=now, action=name)
    return artefact, case
