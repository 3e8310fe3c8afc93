"""The custody rules as pure values: identity, the two keys bound to a subject, the case following them."""

from __future__ import annotations

import dataclasses

import hypothesis.strategies as st
import pytest
from hypothesis import given

from workflows.review import (
    Approval,
    CustodyAction,
    InvalidActor,
    Person,
    ReviewState,
    Subject,
    Submission,
    Verdict,
    case_target,
    custody_refusal,
    denial_reason,
    may_decide,
    may_do,
    review_status,
    slack_id,
    state_after_handover,
)
from workflows.states import CaseState, Role

SUBJECT = Subject(case_id=1, artefact_id=7, version=1, sha256="a" * 64)
NEW = Subject(case_id=1, artefact_id=7, version=2, sha256="b" * 64)
SUBMITTED = Submission("USUB", SUBJECT)
SIRT, LEGAL, CSM, SUPPORT = Role.SIRT, Role.LEGAL, Role.CSM, Role.SUPPORT
S = CaseState


def ok(actor: str, roles: set[Role], decisions: list[Approval] = (), **kw: object) -> object:  # type: ignore[assignment]
    kw.setdefault("seen", SUBJECT)
    return may_decide(
        Verdict.APPROVED, actor=actor, roles=roles, subject=SUBJECT, submission=SUBMITTED,
        decisions=decisions, **kw,
    )  # fmt: skip


def key(
    approver: str, role: Role, subject: Subject = SUBJECT, verdict: Verdict = Verdict.APPROVED
) -> Approval:
    return Approval(approver, role, subject, verdict, "why" if verdict is Verdict.DENIED else None)


# -------------------------------------------------------------------------------------------- identity


@pytest.mark.parametrize("good", ["U0BOTH", "W0BOTH", "U01", "UABCDEF123"])
def test_slack_ids_pass_unchanged(good: str) -> None:
    assert slack_id(good) is good


@pytest.mark.parametrize(
    "bad",
    ["U0BOTH ", " U0BOTH", "\tU0SIRT1", "u0both", "U0both", "U0BOTH\n", "B0BOT", "U", "U0", "", None, 7,
     "U0BÖTH", "U0BOTH\u200b", "U-SIRT"],
)  # fmt: skip
def test_anything_else_is_refused_never_cleaned_up(bad: object) -> None:
    with pytest.raises(InvalidActor, match="is not a Slack user id"):
        slack_id(bad)
    with pytest.raises(InvalidActor):
        Person(bad)  # type: ignore[arg-type]


def test_a_workspace_id_and_its_enterprise_id_are_one_person() -> None:
    via_workspace = Person("U0BOTH", enterprise_id="W0BOTH")
    via_grid = Person("W0BOTH")
    assert via_workspace.key == via_grid.key == "W0BOTH"
    assert Person("U0BOTH").key == "U0BOTH"
    with pytest.raises(InvalidActor, match=r"enterprise_user\.id"):
        Person("U0BOTH", enterprise_id="U0OTHER")


def test_one_person_by_two_ids_gives_one_key_only() -> None:
    """The attack: the Security key by the U id, then the Legal key by the same person's W id."""
    first = Person("U0BOTH", enterprise_id="W0BOTH")
    second = Person("W0BOTH")
    decisions = [key(first.key, SIRT)]
    verdict = ok(second.key, {SIRT, LEGAL}, decisions, as_role=LEGAL)
    assert not verdict.allowed and "already gave the sirt key" in verdict.reason
    # Even if such a row were written elsewhere, it does not count as the second key.
    assert (
        review_status(SUBJECT, SUBMITTED, [*decisions, key(second.key, LEGAL)]).state is ReviewState.PENDING
    )


def test_the_submitter_by_another_id_cannot_review() -> None:
    submitter = Person("U0SUB", enterprise_id="W0SUB")
    submitted = Submission(submitter.key, SUBJECT)
    verdict = may_decide(
        Verdict.APPROVED, actor=Person("W0SUB").key, roles={SIRT}, subject=SUBJECT, submission=submitted,
        decisions=[], seen=SUBJECT,
    )  # fmt: skip
    assert not verdict.allowed and verdict.kind == "unauthorised"


# -------------------------------------------------------------------------------------------- the keys


@pytest.mark.parametrize(
    ("actor", "roles", "allowed", "kind"),
    [
        ("US1", {SIRT}, True, None),
        ("UL1", {LEGAL}, True, None),
        ("USUB", {SIRT}, False, "unauthorised"),
        ("USUB", {LEGAL, SIRT}, False, "unauthorised"),
        ("UC", {CSM}, False, "unauthorised"),
        ("UP", {SUPPORT}, False, "unauthorised"),
        ("UN", set(), False, "unauthorised"),
        ("UB", {SIRT, LEGAL}, False, "refused"),  # holds both: must say which key
    ],
)
def test_role_matrix_for_a_first_key(actor: str, roles: set[Role], allowed: bool, kind: str | None) -> None:
    verdict = ok(actor, roles)
    assert verdict.allowed is allowed, verdict.reason
    assert verdict.kind == kind


def test_two_different_people_approve_and_a_key_is_not_given_twice() -> None:
    decisions = [key("US1", SIRT), key("UL1", LEGAL)]
    status = review_status(SUBJECT, SUBMITTED, decisions, nda_status="signed")
    assert status.approved and status.missing == () and status.notes == ()
    assert not ok("US2", {SIRT}, decisions[:1]).allowed
    assert ok("UB", {SIRT, LEGAL}, decisions[:1]).role is LEGAL


@pytest.mark.parametrize(
    "other",
    [
        dataclasses.replace(SUBJECT, version=2),
        dataclasses.replace(SUBJECT, case_id=2),
        dataclasses.replace(SUBJECT, artefact_id=8),
        dataclasses.replace(SUBJECT, purpose="share_with_subcontractor"),
        dataclasses.replace(SUBJECT, sha256="c" * 64),
    ],
)
def test_a_key_binds_case_artefact_version_sha256_and_purpose(other: Subject) -> None:
    """Keys given for any other subject count for nothing here, and a key is only for what was shown."""
    decisions = [key("US1", SIRT, other), key("UL1", LEGAL, other)]
    status = review_status(SUBJECT, SUBMITTED, decisions)
    assert status.state is ReviewState.PENDING and status.voided == 2
    verdict = ok("US1", {SIRT}, seen=other)
    assert not verdict.allowed and "review it again" in verdict.reason


def test_only_a_full_sha256_makes_a_subject() -> None:
    with pytest.raises(ValueError, match="full SHA-256"):
        Subject(1, 7, 1, "a" * 12)
    with pytest.raises(ValueError, match="full SHA-256"):
        Subject(1, 7, 1, "A" * 64)


def test_a_new_version_voids_both_keys() -> None:
    decisions = [key("US1", SIRT), key("UL1", LEGAL)]
    changed = review_status(NEW, SUBMITTED, decisions)
    assert changed.state is ReviewState.CHANGED and changed.voided == 2
    resubmitted = review_status(NEW, Submission("USUB", NEW), decisions)
    assert resubmitted.state is ReviewState.PENDING and resubmitted.missing == (SIRT, LEGAL)
    refused = may_decide(
        Verdict.APPROVED, actor="US1", roles={SIRT}, subject=NEW, submission=SUBMITTED, decisions=decisions,
        seen=NEW,
    )  # fmt: skip
    assert not refused.allowed and "changed since it was submitted" in refused.reason


def test_a_denial_stops_the_subject_and_a_reviewer_who_approved_may_still_deny() -> None:
    decisions = [key("US1", SIRT), key("UL1", LEGAL, verdict=Verdict.DENIED)]
    status = review_status(SUBJECT, SUBMITTED, decisions)
    assert status.state is ReviewState.DENIED and status.denial is not None
    assert not ok("UL2", {LEGAL}, decisions).allowed
    again = may_decide(
        Verdict.DENIED, actor="US1", roles={SIRT}, subject=SUBJECT, submission=SUBMITTED,
        decisions=[key("US1", SIRT)], seen=SUBJECT,
    )  # fmt: skip
    assert again.allowed and again.role is SIRT


def test_nothing_is_reviewed_before_submission_and_a_denial_needs_a_reason() -> None:
    verdict = may_decide(
        Verdict.APPROVED,
        actor="US1",
        roles={SIRT},
        subject=SUBJECT,
        submission=None,
        decisions=[],
        seen=SUBJECT,
    )
    assert not verdict.allowed and "not been submitted" in verdict.reason
    with pytest.raises(ValueError, match="reason: a denial needs a reason"):
        denial_reason("  ")


people = st.sampled_from(["USUB", "U01", "U02", "W02", "U03"])
role_sets = st.sets(st.sampled_from([SIRT, LEGAL, CSM, SUPPORT]))


@given(st.lists(st.tuples(people, role_sets, st.sampled_from([None, SIRT, LEGAL])), max_size=8))
def test_approved_only_by_two_different_non_submitters_one_per_key(
    attempts: list[tuple[str, set[Role], Role | None]],
) -> None:
    """Whatever order people click in (U02 and W02 being one person), the two-key rule holds."""
    grid = {"U02": Person("U02", enterprise_id="W02")}
    decisions: list[Approval] = []
    for actor, roles, as_role in attempts:
        person = grid.get(actor) or Person(actor)
        verdict = ok(person.key, roles, decisions, as_role=as_role)
        if verdict.allowed:
            assert verdict.role in roles
            decisions.append(key(person.key, verdict.role))
    status = review_status(SUBJECT, SUBMITTED, decisions)
    assert len(decisions) == len(status.keys) <= 2
    approvers = [a.approver for a in status.keys.values()]
    assert "USUB" not in approvers and len(set(approvers)) == len(approvers)
    assert status.approved == (set(status.keys) == {SIRT, LEGAL})


# ---------------------------------------------------------------------------------- who may do what


def test_owner_only_actions_need_the_owner_holding_an_investigator_role() -> None:
    owner = Person("U0OWNER", enterprise_id="W0OWNER")
    for action in (CustodyAction.SUBMIT, CustodyAction.DOWNLOAD_LINK, CustodyAction.RUN_EXTRACT):
        assert may_do(action, person=owner, roles={SIRT}, case_owner="U0OWNER").allowed
        assert may_do(action, person=Person("W0OWNER"), roles={SIRT}, case_owner="U0OWNER").allowed is False
        assert not may_do(action, person=owner, roles={CSM}, case_owner="U0OWNER").allowed  # lost the role
        assert not may_do(action, person=Person("U0OTHER"), roles={SIRT}, case_owner="U0OWNER").allowed
        assert not may_do(action, person=None, roles={Role.SYSTEM}, case_owner="U0OWNER").allowed


def test_people_only_actions_are_never_done_by_a_command() -> None:
    for action in (CustodyAction.ERASE, CustodyAction.EXTEND, CustodyAction.SET_NDA):
        refused = may_do(action, person=None, roles={Role.SYSTEM, SIRT, LEGAL, CSM}, case_owner=None)
        assert not refused.allowed and "authenticated person" in refused.reason
    assert may_do(CustodyAction.ADD, person=None, roles={Role.SYSTEM}, case_owner=None).allowed
    assert may_do(CustodyAction.ERASE, person=Person("U0L"), roles={LEGAL}, case_owner=None).allowed
    assert may_do(CustodyAction.EXTEND, person=Person("U0L"), roles={LEGAL}, case_owner=None).allowed
    assert not may_do(CustodyAction.EXTEND, person=Person("U0S"), roles={SIRT}, case_owner=None).allowed
    # A person never acts as Logdive itself, whatever roles a caller claims for them.
    assert not may_do(CustodyAction.ADD, person=Person("U0X"), roles={Role.SYSTEM}, case_owner=None).allowed


# -------------------------------------------------------------------------------- the case follows


@pytest.mark.parametrize("state", [S.REQUESTED, S.AWAITING_EXCEPTION, S.REJECTED, S.CANCELLED, S.CLOSED])
def test_nothing_is_kept_on_a_case_not_accepted_and_open(state: CaseState) -> None:
    assert custody_refusal(state, erased=False) is not None  # a request not (yet) accepted, or ended
    assert custody_refusal(state, erased=False, review=True) is not None


def test_an_accepted_request_keeps_its_extract_but_reviews_nothing_before_investigation() -> None:
    assert custody_refusal(S.REQUESTED, erased=False, eligible=True) is None
    assert custody_refusal(S.EXCEPTION_APPROVED, erased=False) is None
    assert custody_refusal(S.REQUESTED, erased=False, review=True, eligible=True) is not None
    assert custody_refusal(S.CANCELLED, erased=False, eligible=True) is not None


def test_custody_on_an_accepted_open_case_and_review_once_investigating() -> None:
    assert custody_refusal(S.TRIAGED, erased=False) is None
    assert custody_refusal(S.TRIAGED, erased=False, review=True) is not None
    assert custody_refusal(S.INVESTIGATING, erased=False, review=True) is None
    assert custody_refusal(S.INVESTIGATING, erased=True) is not None


def _status(approved: bool) -> object:
    decisions = [key("US1", SIRT), key("UL1", LEGAL)] if approved else []
    return review_status(SUBJECT, SUBMITTED, decisions)


def test_the_case_is_approved_only_when_every_marked_artefact_has_both_keys() -> None:
    yes, no = _status(True), _status(False)
    assert case_target(S.INVESTIGATING, []) is None
    assert case_target(S.INVESTIGATING, [no]) is S.ARTEFACTS_IN_REVIEW
    assert case_target(S.ARTEFACTS_IN_REVIEW, [yes, no]) is None
    assert case_target(S.ARTEFACTS_IN_REVIEW, [yes, yes]) is S.ARTEFACTS_APPROVED
    assert case_target(S.ARTEFACTS_APPROVED, [yes, no]) is S.ARTEFACTS_IN_REVIEW
    assert case_target(S.ARTEFACTS_APPROVED, []) is S.ARTEFACTS_IN_REVIEW
    assert case_target(S.SHARED, [no]) is None


def test_shared_only_by_a_hand_over_of_an_approved_case() -> None:
    assert state_after_handover(S.ARTEFACTS_APPROVED) is S.SHARED
    for state in CaseState:
        if state is not S.ARTEFACTS_APPROVED:
            assert state_after_handover(state) is None
