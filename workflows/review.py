"""The two-key review of an artefact, who may do what with artefacts, and who a person is. Pure.

An artefact leaves Logdive for the customer only after a Security (SIRT) member and a Legal member
have each given a key: two different people, neither of them the one who submitted it. A key is bound
to a `Subject` (the case, the artefact, its version, its full SHA-256 and the purpose: hand-over to the
customer), so a new version is a new subject and needs both keys again. One denial stops the subject.

People are compared by `Person.key`: a Slack id is checked against Slack's shape and never stripped or
re-cased, and a person's workspace (U…) and Enterprise Grid (W…) ids share one key, so no variant of an
id can pass for a second person. The case follows its artefacts (`case_target`): it is approved only
when every artefact marked for hand-over carries both keys on its current version, and shared only by
a hand-over (`state_after_handover`); nothing is kept, reviewed or handed over on a case that is not
accepted and open (`custody_refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from workflows.states import CaseState, Role

__all__ = [
    "CUSTODY_ROLES",
    "CUSTODY_STATES",
    "HANDOVER",
    "KEY_ROLES",
    "OWNER_ONLY",
    "Approval",
    "CustodyAction",
    "InvalidActor",
    "NdaStatus",
    "Permission",
    "Person",
    "ReviewState",
    "ReviewStatus",
    "Subject",
    "Submission",
    "Verdict",
    "case_target",
    "custody_refusal",
    "denial_reason",
    "is_owner",
    "may_decide",
    "may_do",
    "review_status",
    "slack_id",
    "state_after_handover",
]

# The two keys, in the order they are shown.
KEY_ROLES: tuple[Role, Role] = (Role.SIRT, Role.LEGAL)
HANDOVER = "handover_to_customer"  # the one purpose a key is given for today
MAX_REASON_LENGTH = 2000
SHORT = 12  # hex digits shown where a whole checksum does not fit
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


# ------------------------------------------------------------------------------------------ identity


class InvalidActor(ValueError):
    """Not an id Slack gives a person; the message names the field and what is allowed."""


def slack_id(value: object, field_name: str = "user") -> str:
    """`value` itself when it is a Slack user id (U… or W…, capital letters and digits); never cleaned up."""
    if not isinstance(value, str) or _SLACK_ID.fullmatch(value) is None:
        raise InvalidActor(
            f"{field_name}: {value!r} is not a Slack user id (U or W, then capital letters and digits)"
        )
    return value


@dataclass(frozen=True)
class Person:
    """Someone a signed Slack request authenticated: the id it carried, and the one key all their ids share.

    `enterprise_id` is the W… id Slack's users.info gives for an Enterprise Grid member; a person
    without one is keyed by their own id. Two clicks are by one person when their keys are equal.
    """

    slack_id: str
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        slack_id(self.slack_id)
        if self.enterprise_id is not None:
            slack_id(self.enterprise_id, "enterprise_user.id")
            if not self.enterprise_id.startswith("W"):
                raise InvalidActor(f"enterprise_user.id: {self.enterprise_id!r} is not a W… id")
        elif self.slack_id.startswith("W"):
            object.__setattr__(self, "enterprise_id", self.slack_id)

    @property
    def key(self) -> str:
        return self.enterprise_id or self.slack_id


# ------------------------------------------------------------------------------------------ the keys


class NdaStatus(StrEnum):
    """Set by the CSM; a case without a signed NDA says so on the case and in the review step."""

    OFFERED = "offered"
    SIGNED = "signed"
    DECLINED = "declined"


class Verdict(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"


@dataclass(frozen=True)
class Subject:
    """Exactly what a key approves: these bytes (full SHA-256), as this version of this artefact of this
    case, for this purpose. Anything else is another subject, on which the key says nothing."""

    case_id: int
    artefact_id: int
    version: int
    sha256: str
    purpose: str = HANDOVER

    def __post_init__(self) -> None:
        if _SHA256.fullmatch(self.sha256) is None:
            raise ValueError(f"sha256: {self.sha256!r} is not a full SHA-256 (64 lowercase hex digits)")

    @property
    def short(self) -> str:
        return f"v{self.version} {self.sha256[:SHORT]}"


@dataclass(frozen=True)
class Approval:
    """One reviewer's decision on one subject; `approver` is the person's key."""

    approver: str
    role: Role
    subject: Subject
    verdict: Verdict
    reason: str | None = None


@dataclass(frozen=True)
class Submission:
    submitter: str  # the person's key
    subject: Subject


class ReviewState(StrEnum):
    NOT_SUBMITTED = "not_submitted"
    CHANGED = "changed"  # a new version since it was submitted: submit again
    PENDING = "pending"
    DENIED = "denied"
    APPROVED = "approved"


@dataclass(frozen=True)
class ReviewStatus:
    state: ReviewState
    subject: Subject
    keys: dict[Role, Approval] = field(default_factory=dict)  # the keys given for this subject
    denial: Approval | None = None
    missing: tuple[Role, ...] = ()
    voided: int = 0  # decisions on other subjects (earlier versions), which no longer count
    nda_signed: bool = False
    notes: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return self.state is ReviewState.APPROVED

    @property
    def sha256(self) -> str:
        return self.subject.sha256


def review_status(
    subject: Subject,
    submission: Submission | None,
    decisions: Iterable[Approval],
    *,
    nda_status: str | None = None,
) -> ReviewStatus:
    """Where the review of the artefact's current subject stands."""
    decisions = list(decisions)
    current = [d for d in decisions if d.subject == subject]
    voided = len(decisions) - len(current)
    nda_signed = nda_status == NdaStatus.SIGNED
    notes = () if nda_signed else (f"no signed NDA on this case (NDA status: {nda_status or 'not set'})",)
    base = {"voided": voided, "nda_signed": nda_signed, "notes": notes}
    if submission is None:
        return ReviewStatus(ReviewState.NOT_SUBMITTED, subject, **base)  # type: ignore[arg-type]
    if submission.subject != subject:
        return ReviewStatus(ReviewState.CHANGED, subject, **base)  # type: ignore[arg-type]
    denial = next((d for d in current if d.verdict is Verdict.DENIED), None)
    keys = _valid_keys(current, submission)
    missing = tuple(role for role in KEY_ROLES if role not in keys)
    if denial is not None:
        state = ReviewState.DENIED
    elif missing:
        state = ReviewState.PENDING
    else:
        state = ReviewState.APPROVED
    return ReviewStatus(state, subject, keys, denial, missing, voided, nda_signed, notes)


def _valid_keys(current: list[Approval], submission: Submission) -> dict[Role, Approval]:
    """The first approval per role that keeps the rules, so a bad row recorded elsewhere cannot count."""
    keys: dict[Role, Approval] = {}
    for decision in current:
        if decision.verdict is not Verdict.APPROVED or decision.role not in KEY_ROLES:
            continue
        if decision.approver == submission.submitter or decision.role in keys:
            continue
        if any(k.approver == decision.approver for k in keys.values()):
            continue
        keys[decision.role] = decision
    return keys


@dataclass(frozen=True)
class Permission:
    """May this person do it? `kind` is how a refusal is recorded: unauthorised (who) or refused (when)."""

    allowed: bool
    reason: str
    role: Role | None = None
    kind: str | None = None

    @classmethod
    def grant(cls, role: Role | None, reason: str = "allowed") -> Permission:
        return cls(True, reason, role)

    @classmethod
    def unauthorised(cls, reason: str) -> Permission:
        return cls(False, reason, kind="unauthorised")

    @classmethod
    def refused(cls, reason: str) -> Permission:
        return cls(False, reason, kind="refused")


def may_decide(
    verdict: Verdict,
    *,
    actor: str,
    roles: Collection[Role],
    subject: Subject,
    submission: Submission | None,
    decisions: Iterable[Approval],
    seen: Subject,
    as_role: Role | None = None,
) -> Permission:
    """May the person keyed `actor` approve (give one key) or deny `subject`? Which key is it?

    `seen` is the subject the person was shown (the card's button carries it): a key is for exactly
    the bytes, version and purpose they looked at, never for whatever the artefact holds now.
    """
    decisions = list(decisions)
    held = [role for role in KEY_ROLES if role in set(roles)]
    if not held:
        return Permission.unauthorised("reviewing an artefact needs the sirt or legal role")
    if as_role is not None and as_role not in held:
        return Permission.unauthorised(f"you do not hold the {as_role} role, so you cannot give its key")
    if seen != subject:
        return Permission.refused(
            f"you were shown {seen.short} but the artefact is now {subject.short}: review it again"
        )
    if submission is None:
        return Permission.refused("the artefact has not been submitted for review")
    if submission.subject != subject:
        return Permission.refused(
            f"the artefact changed since it was submitted ({submission.subject.short} → {subject.short}):"
            " submit the new version for review"
        )
    if actor == submission.submitter:
        return Permission.unauthorised("the person who submitted an artefact cannot review it")
    current = [d for d in decisions if d.subject == subject]
    denial = next((d for d in current if d.verdict is Verdict.DENIED), None)
    if denial is not None:
        return Permission.refused(
            f"{subject.short} was denied by {denial.approver} ({denial.role}): submit a new version"
        )
    if verdict is Verdict.DENIED:
        # Anyone who could give a key may stop the artefact, even after approving it themselves.
        return Permission.grant(as_role or held[0])
    keys = _valid_keys(current, submission)
    mine = next((k for k in keys.values() if k.approver == actor), None)
    if mine is not None:
        return Permission.refused(
            f"you already gave the {mine.role} key for {subject.short}: the other key needs another person"
        )
    if as_role is None:
        open_roles = [role for role in held if role not in keys]
        if len(open_roles) > 1:
            return Permission.refused("you hold both the sirt and legal roles: say which key you give")
        as_role = open_roles[0] if open_roles else held[0]
    given = keys.get(as_role)
    if given is not None:
        return Permission.refused(
            f"the {as_role} key for {subject.short} was already given by {given.approver}"
        )
    return Permission.grant(as_role)


def denial_reason(text: str | None) -> str:
    """A denial needs a reason a person can act on; ValueError names the field otherwise."""
    reason = (text or "").strip()
    if not reason:
        raise ValueError("reason: a denial needs a reason (what must change before it can be approved)")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"reason: at most {MAX_REASON_LENGTH} characters, got {len(reason)}")
    return reason


# ------------------------------------------------------------------------------------ the case follows

# Accepted (claimed after an eligible intake or an approved exception) and open.
CUSTODY_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.TRIAGED,
        CaseState.INVESTIGATING,
        CaseState.AWAITING_CUSTOMER,
        CaseState.ARTEFACTS_IN_REVIEW,
        CaseState.ARTEFACTS_APPROVED,
        CaseState.SHARED,
    }
)
# Review starts once the case is being investigated.
REVIEW_STATES = CUSTODY_STATES - {CaseState.TRIAGED, CaseState.AWAITING_CUSTOMER}


def custody_refusal(
    state: CaseState, *, erased: bool, review: bool = False, eligible: bool = False
) -> str | None:
    """Why nothing may be kept (or, with `review`, reviewed or handed over) on this case now; None: go on.

    Accepted: eligible at intake (`eligible`) or its Legal exception approved; kept only while open."""
    if erased:
        return "the case was erased: nothing new is kept"
    accepted = {CaseState.EXCEPTION_APPROVED} | ({CaseState.REQUESTED} if eligible else set())
    allowed = REVIEW_STATES if review else CUSTODY_STATES | accepted
    if state in allowed:
        return None
    if state is CaseState.REQUESTED or state is CaseState.EXCEPTION_APPROVED:
        return f"the case is {state}: it is claimed before anything is kept on it"
    if state is CaseState.AWAITING_EXCEPTION:
        return "the case waits on a Legal exception: nothing is kept before it is approved"
    if state in (CaseState.TRIAGED, CaseState.AWAITING_CUSTOMER):
        return f"the case is {state}: artefacts are reviewed and handed over while it is investigated"
    return f"the case is {state}: nothing is kept, reviewed or handed over on it"


def case_target(current: CaseState, marked: Sequence[ReviewStatus]) -> CaseState | None:
    """Where the case goes after a change to its artefacts (`marked`: those submitted for hand-over).

    In review once something is submitted; approved when every marked artefact carries both keys on
    its current version; back in review when one of them no longer does. None: it stays.
    """
    every_approved = bool(marked) and all(status.approved for status in marked)
    if current is CaseState.INVESTIGATING and marked:
        return CaseState.ARTEFACTS_APPROVED if every_approved else CaseState.ARTEFACTS_IN_REVIEW
    if current is CaseState.ARTEFACTS_IN_REVIEW and every_approved:
        return CaseState.ARTEFACTS_APPROVED
    if current is CaseState.ARTEFACTS_APPROVED and not every_approved:
        return CaseState.ARTEFACTS_IN_REVIEW
    return None


def state_after_handover(current: CaseState) -> CaseState | None:
    """A completed hand-over makes an approved case shared; nothing else does."""
    return CaseState.SHARED if current is CaseState.ARTEFACTS_APPROVED else None


# ------------------------------------------------------------------------------------ who may do what


class CustodyAction(StrEnum):
    ADD = "add"
    READ = "read"
    RUN_EXTRACT = "run_extract"
    SUBMIT = "submit"
    EXPORT = "export"
    DOWNLOAD_LINK = "download_link"
    EXTEND = "extend"
    CUSTOMER_TOLD = "customer_told"
    ERASE = "erase"
    SET_NDA = "set_nda"
    RECORD_CONSENT = "record_consent"
    SHARE_SUBCONTRACTOR = "share_subcontractor"


A, R = CustodyAction, Role
_INVESTIGATORS = frozenset({R.SUPPORT, R.SIRT})

CUSTODY_ROLES: dict[CustodyAction, frozenset[Role]] = {
    A.ADD: _INVESTIGATORS | {R.SYSTEM},  # Logdive's extractor, an operator's upload, the owner's upload
    A.READ: _INVESTIGATORS | {R.LEGAL, R.SYSTEM},
    A.RUN_EXTRACT: _INVESTIGATORS,
    A.SUBMIT: _INVESTIGATORS,
    A.EXPORT: _INVESTIGATORS,
    A.DOWNLOAD_LINK: _INVESTIGATORS,
    A.EXTEND: frozenset({R.LEGAL}),
    A.CUSTOMER_TOLD: _INVESTIGATORS | {R.CSM},
    A.ERASE: frozenset({R.SIRT, R.LEGAL}),
    A.SET_NDA: frozenset({R.CSM}),
    A.RECORD_CONSENT: frozenset({R.CSM}),
    A.SHARE_SUBCONTRACTOR: frozenset({R.SIRT}),
}
# The case owner runs the log-dive and talks to the customer: these are theirs alone, and only while
# they still hold the role that let them claim the case.
OWNER_ONLY = frozenset({A.RUN_EXTRACT, A.SUBMIT, A.EXPORT, A.DOWNLOAD_LINK})
# What only a person may do (Logdive itself never approves, hands over, extends or erases).
PEOPLE_ONLY = OWNER_ONLY | {A.EXTEND, A.ERASE, A.CUSTOMER_TOLD, A.SET_NDA, A.RECORD_CONSENT}


def is_owner(person: Person | None, case_owner: str | None) -> bool:
    return person is not None and case_owner is not None and case_owner in (person.slack_id, person.key)


def may_do(
    action: CustodyAction, *, person: Person | None, roles: Collection[Role], case_owner: str | None
) -> Permission:
    """May this person (None: Logdive itself or an operator) do `action` on a case owned by `case_owner`?"""
    allowed = CUSTODY_ROLES[action]
    held = sorted(allowed & set(roles) - ({R.SYSTEM} if person is not None else set()))
    label = action.replace("_", " ")
    if person is None and action in PEOPLE_ONLY:
        return Permission.unauthorised(f"{label} is done by an authenticated person, never by a command")
    if action in OWNER_ONLY:
        if is_owner(person, case_owner) and held:
            return Permission.grant(Role(held[0]), "the case owner")
        return Permission.unauthorised(f"{label} is for the case owner (holding the support or sirt role)")
    if held:
        return Permission.grant(Role(held[0]))
    who = " or ".join(f"the {r} role" for r in sorted(allowed - {R.SYSTEM}))
    return Permission.unauthorised(f"{label} needs {who}")
