"""The case state machine: every allowed step with its roles, and refusals that say why."""

from __future__ import annotations

import pytest

from workflows.assessment import Route
from workflows.states import (
    OPEN_STATES,
    PAUSED_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    CaseState,
    Role,
    TransitionRefused,
    allowed_targets,
    can_claim,
    needs,
    transition,
)

S, R = CaseState, Role
ALL_ROLES = frozenset(Role)

# The agreed transitions, written out independently of the module's table.
EXPECTED = {
    (S.REQUESTED, S.AWAITING_EXCEPTION): {R.CSM},
    (S.REQUESTED, S.TRIAGED): {R.SUPPORT, R.SIRT, R.SYSTEM},
    (S.REQUESTED, S.REJECTED): {R.SUPPORT, R.SIRT, R.LEGAL},
    (S.AWAITING_EXCEPTION, S.EXCEPTION_APPROVED): {R.LEGAL},
    (S.AWAITING_EXCEPTION, S.REJECTED): {R.LEGAL},
    (S.EXCEPTION_APPROVED, S.TRIAGED): {R.SUPPORT, R.SIRT, R.SYSTEM},
    (S.TRIAGED, S.INVESTIGATING): {R.SUPPORT, R.SIRT},
    (S.INVESTIGATING, S.AWAITING_CUSTOMER): {R.SUPPORT, R.SIRT},
    (S.AWAITING_CUSTOMER, S.INVESTIGATING): {R.SUPPORT, R.SIRT, R.CSM},
    # Only Logdive moves a case into and through review: its artefacts' keys and a hand-over decide.
    (S.INVESTIGATING, S.ARTEFACTS_IN_REVIEW): {R.SYSTEM},
    (S.INVESTIGATING, S.ARTEFACTS_APPROVED): {R.SYSTEM},
    (S.ARTEFACTS_IN_REVIEW, S.ARTEFACTS_APPROVED): {R.SYSTEM},
    (S.ARTEFACTS_APPROVED, S.ARTEFACTS_IN_REVIEW): {R.SYSTEM},
    (S.ARTEFACTS_IN_REVIEW, S.INVESTIGATING): {R.SIRT, R.LEGAL},
    (S.ARTEFACTS_APPROVED, S.SHARED): {R.SYSTEM},
    (S.SHARED, S.CLOSED): {R.SUPPORT, R.SIRT, R.CSM, R.SYSTEM},
} | {(state, S.CANCELLED): {R.CSM, R.SUPPORT, R.SIRT, R.SYSTEM} for state in OPEN_STATES}


def test_state_sets() -> None:
    assert {s.value for s in TERMINAL_STATES} == {"closed", "cancelled", "rejected"}
    assert set(CaseState) == OPEN_STATES | TERMINAL_STATES and not OPEN_STATES & TERMINAL_STATES
    assert {S.AWAITING_EXCEPTION, S.AWAITING_CUSTOMER} == PAUSED_STATES and PAUSED_STATES <= OPEN_STATES
    assert [s.value for s in CaseState] == [
        "requested",
        "awaiting_exception",
        "exception_approved",
        "triaged",
        "investigating",
        "awaiting_customer",
        "artefacts_in_review",
        "artefacts_approved",
        "shared",
        "closed",
        "cancelled",
        "rejected",
    ]
    assert {r.value for r in Role} == {"csm", "support", "sirt", "legal", "system"}


def test_the_table_is_exactly_the_agreed_one() -> None:
    assert {k: set(v) for k, v in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("step", "roles"), sorted(EXPECTED.items()))
def test_every_allowed_step_for_each_of_its_roles(
    step: tuple[CaseState, CaseState], roles: set[Role]
) -> None:
    current, target = step
    for role in roles:
        assert transition(current, target, frozenset({role})) is target
        assert target in allowed_targets(current, frozenset({role}))
    for role in set(Role) - roles:
        with pytest.raises(TransitionRefused) as refused:
            transition(current, target, frozenset({role}))
        assert f"your roles: {role}" in refused.value.reason
        assert target not in allowed_targets(current, frozenset({role}))


def test_refusal_for_a_missing_role_names_the_roles_needed() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.AWAITING_EXCEPTION, S.EXCEPTION_APPROVED, frozenset({R.CSM, R.SUPPORT}))
    assert refused.value.reason == (
        "Moving a case from awaiting_exception to exception_approved needs one of the roles legal; "
        "your roles: csm, support."
    )
    with pytest.raises(TransitionRefused, match="your roles: none"):
        transition(S.TRIAGED, S.INVESTIGATING, frozenset())


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.REQUESTED, S.INVESTIGATING),
        (S.TRIAGED, S.SHARED),
        (S.ARTEFACTS_APPROVED, S.INVESTIGATING),
        (S.AWAITING_CUSTOMER, S.ARTEFACTS_IN_REVIEW),
        (S.TRIAGED, S.REJECTED),
        (S.EXCEPTION_APPROVED, S.REJECTED),
    ],
)
def test_steps_that_do_not_exist_are_refused_for_everyone(current: CaseState, target: CaseState) -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(current, target, ALL_ROLES)
    assert f"cannot go from {current} to {target}" in refused.value.reason
    assert f"from {current} it can go to " in refused.value.reason
    assert needs(current, target) == frozenset()


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_nothing_follows_a_terminal_state(terminal: CaseState) -> None:
    assert allowed_targets(terminal, ALL_ROLES) == ()
    with pytest.raises(TransitionRefused, match=f"The case is {terminal}; nothing follows"):
        transition(terminal, S.INVESTIGATING, ALL_ROLES)


def test_moving_to_the_same_state_is_refused() -> None:
    with pytest.raises(TransitionRefused, match="already investigating"):
        transition(S.INVESTIGATING, S.INVESTIGATING, ALL_ROLES)


def test_allowed_targets_for_buttons() -> None:
    assert allowed_targets(S.REQUESTED, frozenset({R.CSM})) == (S.AWAITING_EXCEPTION, S.CANCELLED)
    assert allowed_targets(S.REQUESTED, frozenset({R.SYSTEM})) == (S.TRIAGED, S.CANCELLED)  # erasure ends it
    assert allowed_targets(S.INVESTIGATING, frozenset({R.SIRT})) == (S.AWAITING_CUSTOMER, S.CANCELLED)
    assert allowed_targets(S.ARTEFACTS_IN_REVIEW, frozenset({R.LEGAL})) == (S.INVESTIGATING,)
    people = frozenset({R.CSM, R.SUPPORT, R.SIRT, R.LEGAL})
    for state in (S.ARTEFACTS_IN_REVIEW, S.ARTEFACTS_APPROVED):
        assert S.ARTEFACTS_APPROVED not in allowed_targets(state, people)
        assert S.SHARED not in allowed_targets(state, people)
    assert allowed_targets(S.SHARED, frozenset({R.LEGAL})) == ()
    assert allowed_targets(S.TRIAGED, frozenset()) == ()


def test_every_open_state_can_reach_a_terminal_state() -> None:
    reachable = set(TERMINAL_STATES)
    changed = True
    while changed:
        before = len(reachable)
        reachable |= {state for (state, target) in TRANSITIONS if target in reachable}
        changed = len(reachable) != before
    assert reachable == set(CaseState)


def test_the_routed_team_claims() -> None:
    assert can_claim(Route.SUPPORT, frozenset({R.SUPPORT}))
    assert not can_claim(Route.SUPPORT, frozenset({R.SIRT, R.CSM}))
    assert can_claim(Route.SECURITY, frozenset({R.SIRT}))
    assert not can_claim(Route.SECURITY, frozenset({R.SUPPORT, R.LEGAL}))
