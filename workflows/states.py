"""The case state machine: which state may follow which, and who may move a case along.

Buttons ask `allowed_targets`; handlers call `transition`, which refuses with a reason a person can read.
"""

from __future__ import annotations

from enum import StrEnum

from workflows.assessment import Route

__all__ = [
    "CASE_ROLES",
    "OPEN_STATES",
    "PAUSED_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "CaseState",
    "Role",
    "TransitionRefused",
    "allowed_targets",
    "can_claim",
    "exception_decider_problem",
    "needs",
    "transition",
]


class CaseState(StrEnum):
    REQUESTED = "requested"
    AWAITING_EXCEPTION = "awaiting_exception"
    EXCEPTION_APPROVED = "exception_approved"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    AWAITING_CUSTOMER = "awaiting_customer"
    ARTEFACTS_IN_REVIEW = "artefacts_in_review"
    ARTEFACTS_APPROVED = "artefacts_approved"
    SHARED = "shared"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Role(StrEnum):
    CSM = "csm"
    SUPPORT = "support"
    SIRT = "sirt"
    LEGAL = "legal"
    SYSTEM = "system"  # Logdive itself, e.g. triaging an eligible request on its own


class TransitionRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


S, R = CaseState, Role

# The roles that handle cases: intake, `/security status` and `/security list` are theirs alone.
CASE_ROLES: frozenset[Role] = frozenset({R.CSM, R.SUPPORT, R.SIRT, R.LEGAL})

TERMINAL_STATES: frozenset[CaseState] = frozenset({S.CLOSED, S.CANCELLED, S.REJECTED})
OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - TERMINAL_STATES
# The customer-update cadence clock stops while the case waits on Legal or on the customer.
PAUSED_STATES: frozenset[CaseState] = frozenset({S.AWAITING_EXCEPTION, S.AWAITING_CUSTOMER})

_INVESTIGATORS = frozenset({R.SUPPORT, R.SIRT})
_REVIEWERS = frozenset({R.SIRT, R.LEGAL})
# Logdive alone: the case follows its artefacts' keys and hand-overs (workflows.review.case_target).
_BY_ARTEFACTS = frozenset({R.SYSTEM})

TRANSITIONS: dict[tuple[CaseState, CaseState], frozenset[Role]] = {
    (S.REQUESTED, S.AWAITING_EXCEPTION): frozenset({R.CSM}),
    # Claimed by the routed team (see can_claim), or by Logdive when the request is plainly eligible.
    (S.REQUESTED, S.TRIAGED): _INVESTIGATORS | {R.SYSTEM},
    (S.REQUESTED, S.REJECTED): _INVESTIGATORS | {R.LEGAL},
    (S.AWAITING_EXCEPTION, S.EXCEPTION_APPROVED): frozenset({R.LEGAL}),
    (S.AWAITING_EXCEPTION, S.REJECTED): frozenset({R.LEGAL}),
    (S.EXCEPTION_APPROVED, S.TRIAGED): _INVESTIGATORS | {R.SYSTEM},
    (S.TRIAGED, S.INVESTIGATING): _INVESTIGATORS,
    (S.INVESTIGATING, S.AWAITING_CUSTOMER): _INVESTIGATORS,
    (S.AWAITING_CUSTOMER, S.INVESTIGATING): _INVESTIGATORS | {R.CSM},
    (S.INVESTIGATING, S.ARTEFACTS_IN_REVIEW): _BY_ARTEFACTS,  # an artefact submitted for review
    (S.INVESTIGATING, S.ARTEFACTS_APPROVED): _BY_ARTEFACTS,  # a new artefact's keys completed the set
    (S.ARTEFACTS_IN_REVIEW, S.ARTEFACTS_APPROVED): _BY_ARTEFACTS,  # every marked artefact has both keys
    (S.ARTEFACTS_APPROVED, S.ARTEFACTS_IN_REVIEW): _BY_ARTEFACTS,  # a new version or artefact to review
    (S.ARTEFACTS_IN_REVIEW, S.INVESTIGATING): _REVIEWERS,  # rework
    (S.ARTEFACTS_APPROVED, S.SHARED): _BY_ARTEFACTS,  # only a hand-over
    (S.SHARED, S.CLOSED): _INVESTIGATORS | {R.CSM, R.SYSTEM},
    # Cancelled by a person, or by Logdive when the case is erased (nothing is left to work on).
    **{(state, S.CANCELLED): frozenset({R.CSM, R.SUPPORT, R.SIRT, R.SYSTEM}) for state in OPEN_STATES},
}


def needs(current: CaseState, target: CaseState) -> frozenset[Role]:
    """The roles that may move a case from `current` to `target`; empty when no such step exists."""
    return TRANSITIONS.get((current, target), frozenset())


def allowed_targets(current: CaseState, roles: frozenset[Role]) -> tuple[CaseState, ...]:
    """The states these roles may move the case to next, in the order the states are declared."""
    return tuple(target for target in CaseState if needs(current, target) & roles)


def transition(current: CaseState, target: CaseState, roles: frozenset[Role]) -> CaseState:
    """`target` if these roles may take the case there from `current`; else TransitionRefused says why."""
    allowed = needs(current, target)
    if not allowed:
        raise TransitionRefused(_no_such_step(current, target))
    if not allowed & roles:
        held = ", ".join(sorted(roles)) if roles else "none"
        raise TransitionRefused(
            f"Moving a case from {current} to {target} needs one of the roles {', '.join(sorted(allowed))}; "
            f"your roles: {held}."
        )
    return target


def can_claim(route: Route, roles: frozenset[Role]) -> bool:
    """Support claims Support-routed cases; SIRT claims Security-routed ones."""
    return (Role.SUPPORT if route is Route.SUPPORT else Role.SIRT) in roles


def exception_decider_problem(decider: str, *, filed_by: str | None, requested_by: str | None) -> str | None:
    """Why `decider` may not decide a case's Legal exception, or None. Neither the person who filed
    the case nor the one who asked for the exception decides it: the decision needs a second person."""
    if decider == filed_by:
        return "the person who filed a case cannot decide its exception"
    if decider == requested_by:
        return "the person who requested an exception cannot decide it"
    return None


def _no_such_step(current: CaseState, target: CaseState) -> str:
    if current == target:
        return f"The case is already {current}."
    if current in TERMINAL_STATES:
        return f"The case is {current}; nothing follows from {current}."
    onward = [t for t in CaseState if needs(current, t)]
    return f"A case cannot go from {current} to {target}; from {current} it can go to {', '.join(onward)}."
