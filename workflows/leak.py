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
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from workflows.business_calendar import BusinessCalendar, is_working_day
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


class LeakState(StrEnum):
    REPORTED = "leak_reported"
    TRIAGED = "leak_triaged"
    IDENTIFIED = "leak_identified"
    DELETED = "leak_deleted"
    ROOT_CAUSE_RECORDED = "leak_root_cause_recorded"
    IMPROVEMENT_FILED = "leak_improvement_filed"
    CUSTOMER_TOLD = "leak_customer_told"
    CLOSED = "leak_closed"


LEAK_TERMINAL_STATES: frozenset[LeakState] = frozenset({LeakState.CLOSED})
LEAK_OPEN_STATES: frozenset[LeakState] = frozenset(LeakState) - LEAK_TERMINAL_STATES


class DataCategory(StrEnum):
    CREDENTIALS = "credentials"
    PERSONAL_DATA = "personal_data"
    CUSTOMER_CONTENT = "customer_content"
    OTHER = "other"


class LeakAction(StrEnum):
    TRIAGE = "triage"
    IDENTIFY = "identify"
    RECORD_STORAGE_DELETION = "record_storage_deletion"
    REQUEST_THIRD_PARTY_DELETION = "request_third_party_deletion"
    CONFIRM_THIRD_PARTY = "confirm_third_party"
    RECORD_ROOT_CAUSE = "record_root_cause"
    FILE_IMPROVEMENT = "file_improvement"
    TELL_CUSTOMER = "tell_customer"
    ACKNOWLEDGE_LEGAL = "acknowledge_legal"
    CLOSE = "close"


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

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LeakRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StorageEvidence(_Frozen):
    """What shows a storage location is gone: Logdive's own listing, or a person's word if it cannot look."""

    kind: Literal["verified_empty", "still_present", "reported"]
    at: datetime
    objects: tuple[str, ...] = ()  # what the listing still found (a sample), for still_present
    reported_by: str | None = None  # for reported: the person, from a signed request
    reference: str | None = None  # for reported: their confirmation reference or note

    @property
    def deleted(self) -> bool:
        return self.kind in ("verified_empty", "reported")

    def describe(self) -> str:
        when = self.at.isoformat(timespec="seconds")
        if self.kind == "verified_empty":
            return f"verified empty at {when}"
        if self.kind == "still_present":
            return f"{len(self.objects)} object(s) still present at {when}"
        return f"reported by {self.reported_by} at {when}"


class StorageLocation(_Frozen):
    url: Ref  # s3://bucket/prefix, gs://…, az://…
    holds: Text
    evidence: StorageEvidence | None = None

    @field_validator("url")
    @classmethod
    def _object_storage(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in {"s3", "gs", "gcs", "az", "abfs"} or not rest.split("/")[0]:
            raise ValueError("a storage location is an object-storage URL such as s3://bucket/prefix")
        return value

    @property
    def deleted(self) -> bool:
        return self.evidence is not None and self.evidence.deleted


class ThirdParty(_Frozen):
    name: Ref
    holds: Text
    requested_at: datetime | None = None
    requested_by: str | None = None
    request_reference: str | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    confirmation_reference: str | None = None

    @property
    def deleted(self) -> bool:
        return self.confirmed_at is not None


# ------------------------------------------------------------------------------------------------- steps


class Triage(_Frozen):
    action: Literal[A.TRIAGE] = A.TRIAGE
    note: str | None = None


class Identify(_Frozen):
    action: Literal[A.IDENTIFY] = A.IDENTIFY
    storage: tuple[StorageLocation, ...] = ()
    third_parties: tuple[ThirdParty, ...] = ()


class RecordStorageDeletion(_Frozen):
    action: Literal[A.RECORD_STORAGE_DELETION] = A.RECORD_STORAGE_DELETION
    url: str
    evidence: StorageEvidence


class RequestThirdPartyDeletion(_Frozen):
    action: Literal[A.REQUEST_THIRD_PARTY_DELETION] = A.REQUEST_THIRD_PARTY_DELETION
    name: str
    reference: Ref


class ConfirmThirdParty(_Frozen):
    action: Literal[A.CONFIRM_THIRD_PARTY] = A.CONFIRM_THIRD_PARTY
    name: str
    reference: Ref


class RecordRootCause(_Frozen):
    action: Literal[A.RECORD_ROOT_CAUSE] = A.RECORD_ROOT_CAUSE
    root_cause: Text


class FileImprovement(_Frozen):
    action: Literal[A.FILE_IMPROVEMENT] = A.FILE_IMPROVEMENT
    issue_url: Ref


class TellCustomer(_Frozen):
    action: Literal[A.TELL_CUSTOMER] = A.TELL_CUSTOMER
    note: Text


class AcknowledgeLegal(_Frozen):
    action: Literal[A.ACKNOWLEDGE_LEGAL] = A.ACKNOWLEDGE_LEGAL
    note: Text


class Close(_Frozen):
    action: Literal[A.CLOSE] = A.CLOSE


Step = (
    Triage
    | Identify
    | RecordStorageDeletion
    | RequestThirdPartyDeletion
    | ConfirmThirdParty
    | RecordRootCause
    | FileImprovement
    | TellCustomer
    | AcknowledgeLegal
    | Close
)


class StepRecord(_Frozen):
    """One step as the audit trail keeps it."""

    action: LeakAction
    actor: str
    role: Role
    at: datetime
    from_state: LeakState
    to_state: LeakState
    evidence: dict[str, str | list[str]] = Field(default_factory=dict)


class LeakCase(_Frozen):
    state: LeakState = S.REPORTED
    category: DataCategory
    storage: tuple[StorageLocation, ...] = ()
    third_parties: tuple[ThirdParty, ...] = ()
    legal_signed_off_by: str | None = None
    root_cause: str | None = None
    improvement_url: str | None = None

    @property
    def legal_required(self) -> bool:
        return self.category is DataCategory.PERSONAL_DATA


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
