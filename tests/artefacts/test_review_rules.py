"""The two-key review as pure rules: the role matrix, checksum binding, denials."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from workflows.review import (
    Approval,
    CustodyAction,
    ReviewState,
    Submission,
    Verdict,
    checksum_matches,
    denial_reason,
    may_decide,
    may_do,
    review_status,
)
from workflows.states import Role

SHA = "a" * 64
NEW_SHA = "b" * 64
SUBMITTED = Submission("U-SUB", SHA)
SIRT, LEGAL, CSM, SUPPORT = Role.SIRT, Role.LEGAL, Role.CSM, Role.SUPPORT


def ok(actor: str, roles: set[Role], decisions: list[Approval] = (), **kw: object) -> object:  # type: ignore[assignment]
    return may_decide(
        Verdict.APPROVED,
        actor=actor,
        roles=roles,
        sha256=SHA,
        submission=SUBMITTED,
        decisions=decisions,
        **kw,
    )


def key(approver: str, role: Role, sha: str = SHA, verdict: Verdict = Verdict.APPROVED) -> Approval:
    return Approval(approver, role, sha, verdict, "why" if verdict is Verdict.DENIED else None)


@pytest.mark.parametrize(
    ("actor", "roles", "allowed", "kind"),
    [
        ("U-S1", {SIRT}, True, None),
        ("U-L1", {LEGAL}, True, None),
        ("U-SUB", {SIRT}, False, "unauthorised"),  # the submitter cannot approve
        ("U-SUB", {LEGAL, SIRT}, False, "unauthorised"),
        ("U-C", {CSM}, False, "unauthorised"),  # non-members refused
        ("U-P", {SUPPORT}, False, "unauthorised"),
        ("U-N", set(), False, "unauthorised"),
        ("U-B", {SIRT, LEGAL}, False, "refused"),  # holds both: must say which key
    ],
)
def test_role_matrix_for_a_first_key(actor: str, roles: set[Role], allowed: bool, kind: str | None) -> None:
    verdict = ok(actor, roles)
    assert verdict.allowed is allowed, verdict.reason
    assert verdict.kind == kind


def test_the_same_person_cannot_give_both_keys() -> None:
    first = key("U-B", SIRT)
    verdict = ok("U-B", {SIRT, LEGAL}, [first], as_role=LEGAL)
    assert not verdict.allowed
    assert "already gave the sirt key" in verdict.reason
    assert review_status(SHA, SUBMITTED, [first, key("U-B", LEGAL)]).state is ReviewState.PENDING


def test_a_key_already_given_is_not_given_twice() -> None:
    verdict = ok("U-S2", {SIRT}, [key("U-S1", SIRT)])
    assert not verdict.allowed and "already given by U-S1" in verdict.reason


def test_two_different_people_approve() -> None:
    decisions = [key("U-S1", SIRT), key("U-L1", LEGAL)]
    status = review_status(SHA, SUBMITTED, decisions, nda_status="signed")
    assert status.approved and status.missing == () and status.notes == ()
    assert {r: a.approver for r, a in status.keys.items()} == {SIRT: "U-S1", LEGAL: "U-L1"}


def test_a_person_holding_both_roles_gives_the_key_still_missing() -> None:
    verdict = ok("U-B", {SIRT, LEGAL}, [key("U-S1", SIRT)])
    assert verdict.allowed and verdict.role is LEGAL


def test_as_role_must_be_held() -> None:
    verdict = ok("U-S1", {SIRT}, as_role=LEGAL)
    assert not verdict.allowed and verdict.kind == "unauthorised"


def test_a_new_checksum_voids_the_approvals() -> None:
    decisions = [key("U-S1", SIRT), key("U-L1", LEGAL)]
    assert review_status(SHA, SUBMITTED, decisions).approved
    changed = review_status(NEW_SHA, SUBMITTED, decisions)
    assert changed.state is ReviewState.CHANGED and not changed.approved and changed.voided == 2
    resubmitted = review_status(NEW_SHA, Submission("U-SUB", NEW_SHA), decisions)
    assert resubmitted.state is ReviewState.PENDING and resubmitted.missing == (SIRT, LEGAL)
    refused = may_decide(
        Verdict.APPROVED,
        actor="U-S1",
        roles={SIRT},
        sha256=NEW_SHA,
        submission=SUBMITTED,
        decisions=decisions,
    )
    assert not refused.allowed and "changed since it was submitted" in refused.reason


def test_an_approval_is_bound_to_the_checksum_the_reviewer_saw() -> None:
    assert not ok("U-S1", {SIRT}, seen_sha256=NEW_SHA).allowed
    assert ok("U-S1", {SIRT}, seen_sha256=SHA[:12]).allowed
    assert not ok("U-S1", {SIRT}, seen_sha256=SHA[:11]).allowed  # too short to name a version


def test_a_denial_stops_the_checksum() -> None:
    decisions = [key("U-S1", SIRT), key("U-L1", LEGAL, verdict=Verdict.DENIED)]
    status = review_status(SHA, SUBMITTED, decisions)
    assert status.state is ReviewState.DENIED and not status.approved
    assert status.denial is not None and status.denial.reason == "why"
    assert not ok("U-L2", {LEGAL}, decisions).allowed


def test_a_reviewer_who_approved_may_still_deny() -> None:
    verdict = may_decide(
        Verdict.DENIED,
        actor="U-S1",
        roles={SIRT},
        sha256=SHA,
        submission=SUBMITTED,
        decisions=[key("U-S1", SIRT)],
    )
    assert verdict.allowed and verdict.role is SIRT


def test_nothing_is_reviewed_before_submission() -> None:
    verdict = may_decide(
        Verdict.APPROVED, actor="U-S1", roles={SIRT}, sha256=SHA, submission=None, decisions=[]
    )
    assert not verdict.allowed and "not been submitted" in verdict.reason
    assert review_status(SHA, None, []).state is ReviewState.NOT_SUBMITTED


def test_no_signed_nda_shows_in_the_review() -> None:
    assert review_status(SHA, SUBMITTED, [], nda_status="offered").notes == (
        "no signed NDA on this case (NDA status: offered)",
    )
    assert not review_status(SHA, SUBMITTED, [], nda_status=None).nda_signed


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_denial_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ValueError, match="reason: a denial needs a reason"):
        denial_reason(reason)


def test_checksum_prefixes() -> None:
    assert checksum_matches(SHA.upper(), SHA)
    assert not checksum_matches("g" * 12, "g" * 64)
    assert not checksum_matches("", SHA)


def test_custody_permissions() -> None:
    assert may_do(CustodyAction.ERASE, actor="U", roles={LEGAL}, case_owner=None).allowed
    assert not may_do(CustodyAction.ERASE, actor="U", roles={CSM, SUPPORT}, case_owner="U").allowed
    assert may_do(CustodyAction.DOWNLOAD_LINK, actor="U-O", roles=set(), case_owner="U-O").allowed
    refused = may_do(CustodyAction.DOWNLOAD_LINK, actor="U-X", roles={SIRT}, case_owner="U-O")
    assert not refused.allowed and "case owner" in refused.reason
    assert may_do(CustodyAction.SET_NDA, actor="U", roles={CSM}, case_owner=None).allowed
    assert not may_do(CustodyAction.SET_NDA, actor="U", roles={SIRT}, case_owner=None).allowed


people = st.sampled_from(["U-SUB", "U-1", "U-2", "U-3"])
role_sets = st.sets(st.sampled_from([SIRT, LEGAL, CSM, SUPPORT]))


@given(st.lists(st.tuples(people, role_sets, st.sampled_from([None, SIRT, LEGAL])), max_size=8))
def test_approved_only_by_two_different_non_submitters_one_per_key(
    attempts: list[tuple[str, set[Role], Role | None]],
) -> None:
    """Whatever order people click in, what may_decide lets through never breaks the two-key rule."""
    decisions: list[Approval] = []
    for actor, roles, as_role in attempts:
        verdict = ok(actor, roles, decisions, as_role=as_role)
        if verdict.allowed:
            assert verdict.role in roles
            decisions.append(key(actor, verdict.role))
    status = review_status(SHA, SUBMITTED, decisions)
    assert len(decisions) == len(status.keys) <= 2
    approvers = [a.approver for a in status.keys.values()]
    assert "U-SUB" not in approvers and len(set(approvers)) == len(approvers)
    assert status.approved == (set(status.keys) == {SIRT, LEGAL})
