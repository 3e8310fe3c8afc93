"""The two-key review of an artefact, and who may do what with artefacts. Pure: facts in, a verdict out.

An artefact leaves Logdive for the customer only after a Security (SIRT) member and a Legal member
have each approved it: two different people, neither of them the one who submitted it, both
approving the same SHA-256. Approvals are bound to that checksum, so a new version of the artefact
(a new checksum) needs both keys again. One denial, with its reason, stops the checksum it names.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from workflows.states import Role

__all__ = [
    "CUSTODY_ROLES",
    "KEY_ROLES",
    "Approval",
    "CustodyAction",
    "NdaStatus",
    "Permission",
    "ReviewState",
    "ReviewStatus",
    "Submission",
    "Verdict",
    "checksum_matches",
    "denial_reason",
    "may_decide",
    "may_do",
    "review_status",
]

# The two keys, in the order they are shown.
KEY_ROLES: tuple[Role, Role] = (Role.SIRT, Role.LEGAL)
MAX_REASON_LENGTH = 2000
MIN_CHECKSUM_PREFIX = 12  # hex digits a person types to say which version they reviewed
_HEX = re.compile(r"[0-9a-f]+")


class NdaStatus(StrEnum):
    """Set by the CSM; a case without a signed NDA says so on the case and in the review step."""

    OFFERED = "offered"
    SIGNED = "signed"
    DECLINED = "declined"


class Verdict(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"


@dataclass(frozen=True)
class Approval:
    """One reviewer's decision on one checksum."""

    approver: str
    role: Role
    sha256: str
    verdict: Verdict
    reason: str | None = None


@dataclass(frozen=True)
class Submission:
    submitter: str
    sha256: str


class ReviewState(StrEnum):
    NOT_SUBMITTED = "not_submitted"
    CHANGED = "changed"  # a new version since it was submitted: submit again
    PENDING = "pending"
    DENIED = "denied"
    APPROVED = "approved"


@dataclass(frozen=True)
class ReviewStatus:
    state: ReviewState
    sha256: str
    keys: dict[Role, Approval] = field(default_factory=dict)  # the keys given for this checksum
    denial: Approval | None = None
    missing: tuple[Role, ...] = ()
    voided: int = 0  # decisions on earlier checksums, which no longer count
    nda_signed: bool = False
    notes: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return self.state is ReviewState.APPROVED


def review_status(
    sha256: str,
    submission: Submission | None,
    decisions: Iterable[Approval],
    *,
    nda_status: str | None = None,
) -> ReviewStatus:
    """Where the review of the artefact's current content stands."""
    decisions = list(decisions)
    current = [d for d in decisions if d.sha256 == sha256]
    voided = len(decisions) - len(current)
    nda_signed = nda_status == NdaStatus.SIGNED
    notes = () if nda_signed else (f"no signed NDA on this case (NDA status: {nda_status or 'not set'})",)
    if submission is None:
        return ReviewStatus(
            ReviewState.NOT_SUBMITTED, sha256, voided=voided, nda_signed=nda_signed, notes=notes
        )
    if submission.sha256 != sha256:
        return ReviewStatus(ReviewState.CHANGED, sha256, voided=voided, nda_signed=nda_signed, notes=notes)
    denial = next((d for d in current if d.verdict is Verdict.DENIED), None)
    keys = _valid_keys(current, submission)
    missing = tuple(role for role in KEY_ROLES if role not in keys)
    if denial is not None:
        state = ReviewState.DENIED
    elif missing:
        state = ReviewState.PENDING
    else:
        state = ReviewState.APPROVED
    return ReviewStatus(state, sha256, keys, denial, missing, voided, nda_signed, notes)


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
    sha256: str,
    submission: Submission | None,
    decisions: Iterable[Approval],
    as_role: Role | None = None,
    seen_sha256: str | None = None,
) -> Permission:
    """May `actor` approve (give one key) or deny the artefact's current content? Which key is it?"""
    decisions = list(decisions)
    held = [role for role in KEY_ROLES if role in set(roles)]
    if submission is None:
        return Permission.refused("the artefact has not been submitted for review")
    if submission.sha256 != sha256:
        return Permission.refused(
            f"the artefact changed since it was submitted ({_short(submission.sha256)} → {_short(sha256)}):"
            " submit the new version for review"
        )
    if seen_sha256 is not None and not checksum_matches(seen_sha256, sha256):
        return Permission.refused(
            f"you reviewed {_short(seen_sha256)} but the artefact is now {_short(sha256)}: review it again"
        )
    if not held:
        return Permission.unauthorised("reviewing an artefact needs the sirt or legal role")
    if as_role is not None and as_role not in held:
        return Permission.unauthorised(f"you do not hold the {as_role} role, so you cannot give its key")
    if actor == submission.submitter:
        return Permission.unauthorised("the person who submitted an artefact cannot review it")
    current = [d for d in decisions if d.sha256 == sha256]
    denial = next((d for d in current if d.verdict is Verdict.DENIED), None)
    if denial is not None:
        return Permission.refused(
            f"{_short(sha256)} was denied by {denial.approver} ({denial.role}): submit a new version"
        )
    if verdict is Verdict.DENIED:
        # Anyone who could give a key may stop the artefact, even after approving it themselves.
        return Permission.grant(as_role or held[0])
    keys = _valid_keys(current, submission)
    mine = next((k for k in keys.values() if k.approver == actor), None)
    if mine is not None:
        return Permission.refused(
            f"you already gave the {mine.role} key for {_short(sha256)}: the other key needs another person"
        )
    if as_role is None:
        open_roles = [role for role in held if role not in keys]
        if len(open_roles) > 1:
            return Permission.refused("you hold both the sirt and legal roles: say which key you give")
        as_role = open_roles[0] if open_roles else held[0]
    given = keys.get(as_role)
    if given is not None:
        return Permission.refused(
            f"the {as_role} key for {_short(sha256)} was already given by {given.approver}"
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


def checksum_matches(given: str, sha256: str) -> bool:
    """A full SHA-256, or a prefix of at least 12 hex digits, that names `sha256`."""
    given = given.strip().lower()
    return len(given) >= MIN_CHECKSUM_PREFIX and bool(_HEX.fullmatch(given)) and sha256.startswith(given)


def _short(sha256: str) -> str:
    return sha256[:MIN_CHECKSUM_PREFIX]


# ------------------------------------------------------------------------------------ who may do what


class CustodyAction(StrEnum):
    ADD = "add"
    READ = "read"
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
    A.ADD: _INVESTIGATORS | {R.SYSTEM},  # the extractor stores its outputs as Logdive itself
    A.READ: _INVESTIGATORS | {R.LEGAL},
    A.SUBMIT: _INVESTIGATORS,
    A.EXPORT: _INVESTIGATORS | {R.CSM},
    A.DOWNLOAD_LINK: frozenset(),  # the case owner only
    A.EXTEND: _INVESTIGATORS | {R.LEGAL},
    A.CUSTOMER_TOLD: _INVESTIGATORS | {R.CSM},
    A.ERASE: frozenset({R.SIRT, R.LEGAL}),
    A.SET_NDA: frozenset({R.CSM}),
    A.RECORD_CONSENT: frozenset({R.CSM}),
    A.SHARE_SUBCONTRACTOR: frozenset({R.SIRT}),
}
# The case owner talks to the customer: they may hand over what was approved.
_OWNER_MAY = frozenset({A.EXPORT, A.DOWNLOAD_LINK, A.CUSTOMER_TOLD})


def may_do(
    action: CustodyAction, *, actor: str, roles: Collection[Role], case_owner: str | None
) -> Permission:
    allowed = CUSTODY_ROLES[action]
    if action in _OWNER_MAY and case_owner is not None and actor == case_owner:
        return Permission.grant(None, "the case owner")
    held = sorted(allowed & set(roles))
    if held:
        return Permission.grant(Role(held[0]))
    who = [f"the {r} role" for r in sorted(allowed)] + (["the case owner"] if action in _OWNER_MAY else [])
    return Permission.unauthorised(f"{action.replace('_', ' ')} needs {' or '.join(who)}")
