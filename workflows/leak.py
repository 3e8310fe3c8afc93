"""The data-leak case: from "you sent us something you should not have" to deleted, explained and closed.

reported → triaged → identified → deleted → root cause recorded → improvement filed → customer told → closed.

`LeakCase` is the aggregate: `apply(case, step, actor=…, roles=…, at=…)` checks who may take the step in
which state and returns the changed case and the `StepRecord` (who, in which role, when, with what
evidence) that the audit trail keeps; a refusal raises `LeakRefused` with a reason a person can read.

Deletion is checked, not claimed: a storage location counts as deleted only with evidence that Logdive
listed its prefix empty, or, where Logdive cannot look, a person's report with a reference. A listing that
still finds objects is recorded and leaves the location open. Each third party counts once its deletion
was requested and then confirmed. The case is deleted when every location and third party is.

Personal data brings Legal in: such a case is not closed until a Legal member has signed it off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.business_calendar import BusinessCalendar, is_working_day
from workflows.leak_model import (
    LEAK_OPEN_STATES,
    LEAK_TERMINAL_STATES,
    AcknowledgeLegal,
    Close,
    ConfirmThirdParty,
    DataCategory,
    FileImprovement,
    Identify,
    LeakAction,
    LeakCase,
    LeakState,
    RecordRootCause,
    RecordStorageDeletion,
    RequestThirdPartyDeletion,
    Step,
    StepRecord,
    StorageEvidence,
    StorageLocation,
    TellCustomer,
    ThirdParty,
    Triage,
)
from workflows.states import Role

__all__ = [
    "LEAK_OPEN_STATES",
    "LEAK_ROLES",
    "LEAK_TERMINAL_STATES",
    "AcknowledgeLegal",
    "Close",
    "ConfirmThirdParty",
    "DataCategory",
    "FileImprovement",
    "Identify",
    "LeakAction",
    "LeakCase",
    "LeakRefused",
    "LeakState",
    "RecordRootCause",
    "RecordStorageDeletion",
    "RequestThirdPartyDeletion",
    "Step",
    "StepRecord",
    "StorageEvidence",
    "StorageLocation",
    "TellCustomer",
    "ThirdParty",
    "Triage",
    "apply",
    "available_actions",
    "may",
    "outstanding",
    "third_party_reminders",
]


S, A, R = LeakState, LeakAction, Role
_HANDLERS = frozenset({R.SUPPORT, R.SIRT})

# Who may take each step. Leaks go to SIRT; Support helps find and delete; the CSM talks to the customer;
# Legal follows third parties and signs off personal data. Logdive itself (SYSTEM) takes none of them.
LEAK_ROLES: dict[LeakAction, frozenset[Role]] = {
    A.TRIAGE: frozenset({R.SIRT}),
    A.IDENTIFY: _HANDLERS,
    A.RECORD_STORAGE_DELETION: _HANDLERS,
    A.REQUEST_THIRD_PARTY_DELETION: _HANDLERS | {R.LEGAL},
    A.CONFIRM_THIRD_PARTY: _HANDLERS | {R.LEGAL},
    A.RECORD_ROOT_CAUSE: _HANDLERS,
    A.FILE_IMPROVEMENT: frozenset({R.SIRT}),
    A.TELL_CUSTOMER: frozenset({R.CSM, R.SIRT}),
    A.ACKNOWLEDGE_LEGAL: frozenset({R.LEGAL}),
    A.CLOSE: frozenset({R.SIRT}),
}

# The states in which each step may be taken.
_WHEN: dict[LeakAction, frozenset[LeakState]] = {
    A.TRIAGE: frozenset({S.REPORTED}),
    A.IDENTIFY: frozenset({S.TRIAGED, S.IDENTIFIED}),
    A.RECORD_STORAGE_DELETION: frozenset({S.IDENTIFIED}),
    A.REQUEST_THIRD_PARTY_DELETION: frozenset({S.IDENTIFIED}),
    A.CONFIRM_THIRD_PARTY: frozenset({S.IDENTIFIED}),
    A.RECORD_ROOT_CAUSE: frozenset({S.DELETED}),
    A.FILE_IMPROVEMENT: frozenset({S.ROOT_CAUSE_RECORDED}),
    A.TELL_CUSTOMER: frozenset({S.IMPROVEMENT_FILED}),
    A.ACKNOWLEDGE_LEGAL: LEAK_OPEN_STATES,
    A.CLOSE: frozenset({S.CUSTOMER_TOLD}),
}


class LeakRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def may(action: LeakAction, roles: frozenset[Role]) -> bool:
    return bool(LEAK_ROLES[action] & roles)


def available_actions(case: LeakCase, roles: frozenset[Role]) -> tuple[LeakAction, ...]:
    """The steps these roles may take on the case now, in declaration order (what buttons to show)."""
    found = [a for a in LeakAction if case.state in _WHEN[a] and may(a, roles)]
    if not case.legal_required or case.legal_signed_off_by is not None:
        found = [a for a in found if a is not A.ACKNOWLEDGE_LEGAL]
    return tuple(found)


def outstanding(case: LeakCase) -> list[str]:
    """What still stands between an identified case and `deleted`, one line each."""
    lines = [f"{s.url}: not yet shown deleted" for s in case.storage if not s.deleted]
    for party in case.third_parties:
        if party.requested_at is None:
            lines.append(f"{party.name}: deletion not yet requested")
        elif not party.deleted:
            lines.append(f"{party.name}: deletion requested, not yet confirmed")
    return lines


def apply(
    case: LeakCase, step: Step, *, actor: str, roles: frozenset[Role], at: datetime
) -> tuple[LeakCase, StepRecord]:
    """Take `step` as `actor` holding `roles` at `at`; LeakRefused says why not."""
    action = step.action
    allowed = LEAK_ROLES[action]
    acting = sorted(allowed & roles)
    if not acting:
        held = ", ".join(sorted(roles)) or "none"
        raise LeakRefused(
            f"{action} needs one of the roles {', '.join(sorted(allowed))}; your roles: {held}."
        )
    if case.state not in _WHEN[action]:
        raise LeakRefused(f"{action} cannot be taken while the case is {case.state}.")
    changed, evidence = _change(case, step, actor=actor, at=at)
    if (
        changed.state is S.IDENTIFIED
        and not outstanding(changed)
        and (changed.storage or changed.third_parties)
    ):
        changed = changed.model_copy(update={"state": S.DELETED})
    record = StepRecord(
        action=action,
        actor=actor,
        role=Role(acting[0]),
        at=at,
        from_state=case.state,
        to_state=changed.state,
        evidence=evidence,
    )
    return changed, record


def _change(
    case: LeakCase, step: Step, *, actor: str, at: datetime
) -> tuple[LeakCase, dict[str, str | list[str]]]:
    match step:
        case Triage(note=note):
            return case.model_copy(update={"state": S.TRIAGED}), {"note": note or ""}
        case Identify(storage=storage, third_parties=parties):
            return _identify(case, storage, parties)
        case RecordStorageDeletion(url=url, evidence=evidence):
            return _record_storage(case, url, evidence, actor=actor)
        case RequestThirdPartyDeletion(name=name, reference=reference):
            party = _party(case, name)
            if party.requested_at is not None:
                raise LeakRefused(
                    f"the deletion at {name} was already requested ({party.request_reference})."
                )
            updated = party.model_copy(
                update={"requested_at": at, "requested_by": actor, "request_reference": reference}
            )
            return _with_party(case, updated), {"third_party": name, "reference": reference}
        case ConfirmThirdParty(name=name, reference=reference):
            party = _party(case, name)
            if party.requested_at is None:
                raise LeakRefused(f"request the deletion at {name} before recording its confirmation.")
            if party.deleted:
                raise LeakRefused(f"{name} already confirmed the deletion ({party.confirmation_reference}).")
            updated = party.model_copy(
                update={"confirmed_at": at, "confirmed_by": actor, "confirmation_reference": reference}
            )
            return _with_party(case, updated), {"third_party": name, "reference": reference}
        case RecordRootCause(root_cause=text):
            return case.model_copy(update={"state": S.ROOT_CAUSE_RECORDED, "root_cause": text}), {
                "root_cause": text
            }
        case FileImprovement(issue_url=url):
            return case.model_copy(update={"state": S.IMPROVEMENT_FILED, "improvement_url": url}), {
                "issue_url": url
            }
        case TellCustomer(note=note):
            return case.model_copy(update={"state": S.CUSTOMER_TOLD}), {"note": note}
        case AcknowledgeLegal(note=note):
            if not case.legal_required:
                raise LeakRefused("Legal sign-off is only asked for cases involving personal data.")
            if case.legal_signed_off_by is not None:
                raise LeakRefused(f"Legal already signed this case off ({case.legal_signed_off_by}).")
            return case.model_copy(update={"legal_signed_off_by": actor}), {"note": note}
        case Close():
            if case.legal_required and case.legal_signed_off_by is None:
                raise LeakRefused(
                    "the case involves personal data: Legal must sign it off before it is closed."
                )
            return case.model_copy(update={"state": S.CLOSED}), {}
    raise LeakRefused(f"unknown step {step!r}")  # pragma: no cover - the union is exhaustive


def _identify(
    case: LeakCase, storage: tuple[StorageLocation, ...], parties: tuple[ThirdParty, ...]
) -> tuple[LeakCase, dict[str, str | list[str]]]:
    if not storage and not parties:
        raise LeakRefused("identify at least one location: an object-storage URL or a third party.")
    known = {s.url for s in case.storage} | {p.name.casefold() for p in case.third_parties}
    clashes = [s.url for s in storage if s.url in known] + [
        p.name for p in parties if p.name.casefold() in known
    ]
    if clashes:
        raise LeakRefused(f"already identified: {', '.join(clashes)}.")
    fresh_storage = tuple(s.model_copy(update={"evidence": None}) for s in storage)
    fresh_parties = tuple(ThirdParty(name=p.name, holds=p.holds) for p in parties)
    changed = case.model_copy(
        update={
            "state": S.IDENTIFIED,
            "storage": case.storage + fresh_storage,
            "third_parties": case.third_parties + fresh_parties,
        }
    )
    return changed, {
        "storage": [f"{s.url}: {s.holds}" for s in storage],
        "third_parties": [f"{p.name}: {p.holds}" for p in parties],
    }


def _record_storage(
    case: LeakCase, url: str, evidence: StorageEvidence, *, actor: str
) -> tuple[LeakCase, dict[str, str | list[str]]]:
    location = next((s for s in case.storage if s.url == url), None)
    if location is None:
        raise LeakRefused(f"{url} is not one of this case's storage locations.")
    if location.deleted:
        raise LeakRefused(f"{url} is already shown deleted ({location.evidence.describe()}).")  # type: ignore[union-attr]
    if evidence.kind == "reported" and (evidence.reported_by != actor or not evidence.reference):
        raise LeakRefused("a reported deletion names the person reporting it and their reference or note.")
    updated = location.model_copy(update={"evidence": evidence})
    storage = tuple(updated if s.url == url else s for s in case.storage)
    detail: dict[str, str | list[str]] = {"location": url, "result": evidence.describe()}
    if evidence.objects:
        detail["objects"] = list(evidence.objects)
    if evidence.reference:
        detail["reference"] = evidence.reference
    return case.model_copy(update={"storage": storage}), detail


def _party(case: LeakCase, name: str) -> ThirdParty:
    for party in case.third_parties:
        if party.name.casefold() == name.casefold():
            return party
    raise LeakRefused(f"{name} is not one of this case's third parties.")


def _with_party(case: LeakCase, updated: ThirdParty) -> LeakCase:
    parties = tuple(
        updated if p.name.casefold() == updated.name.casefold() else p for p in case.third_parties
    )
    return case.model_copy(update={"third_parties": parties})


def third_party_reminders(
    case: LeakCase, calendar: BusinessCalendar, business_days: int
) -> list[tuple[ThirdParty, datetime]]:
    """Each third party whose deletion was requested and not yet confirmed, with when its requester is
    reminded: `business_days` working days after the request (same time of day)."""
    if case.state is not S.IDENTIFIED:
        return []
    found = []
    for party in case.third_parties:
        if party.requested_at is None or party.deleted:
            continue
        due, counted = party.requested_at, 0
        while counted < business_days:
            due += timedelta(days=1)
            counted += is_working_day(due.date(), calendar)
        found.append((party, due))
    return found
