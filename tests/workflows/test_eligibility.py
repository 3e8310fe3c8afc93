"""The eligibility rules at their boundaries, and how their outcomes combine into a decision."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tests.workflows.factories import NOW, day, facts_for, namespace, request, window
from workflows import eligibility
from workflows.assessment import Decision, Outcome, Route
from workflows.facts import ResourceFacts
from workflows.policy import EligibilityPolicy, Policy

POLICY = Policy()
ONE_SECOND = timedelta(seconds=1)


def rule(rule_id: str, req=None, facts=None, policy: Policy = POLICY, now: datetime = NOW):
    req = req or request()
    facts = facts or facts_for(req)
    return next(r for r in eligibility.evaluate(req, facts, policy, now).rules if r.id == rule_id)


def test_rule_ids_in_order() -> None:
    assert eligibility.ids == ("instance", "plan", "requester", "ownership", "window", "scope", "log_sources")
    assessment = eligibility.evaluate(request(), facts_for(request()), POLICY, NOW)
    assert tuple(r.id for r in assessment.rules) == eligibility.ids


def test_the_baseline_is_eligible_for_support() -> None:
    assessment = eligibility.evaluate(request(), facts_for(request()), POLICY, NOW)
    assert assessment.decision is Decision.ELIGIBLE
    assert assessment.route is Route.SUPPORT
    assert all(r.outcome is Outcome.PASS and r.remedy is None for r in assessment.rules)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        eligibility.evaluate(request(), facts_for(request()), POLICY, NOW.replace(tzinfo=None))


# --- plan ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_name", "shown"),
    [
        ("premium", "Premium"),
        ("ultimate", "Ultimate"),
        ("silver", "Silver (now Premium)"),
        ("gold", "Gold (now Ultimate)"),
        ("ULTIMATE", "Ultimate"),
    ],
)
def test_paid_plans_pass(plan_name: str, shown: str) -> None:
    req = request()
    result = rule("plan", req, facts_for(req, namespace=namespace(plan=plan_name)))
    assert result.outcome is Outcome.PASS
    assert shown in result.reason


@pytest.mark.parametrize(
    ("facts_overrides", "words"),
    [
        ({"plan": "free"}, "Free plan"),
        ({"plan": "bronze"}, "deprecated Bronze"),
        ({"plan": "starter"}, "deprecated Starter"),
        ({"plan": "ultimate", "trial": True, "trial_ends_on": date(2026, 12, 1)}, "trial"),
        ({"plan": "ultimate_trial"}, "trial"),
        ({"plan": None}, "no plan"),
        ({"plan": "premium", "end_date": date(2026, 11, 19)}, "ended on 2026-11-19"),
    ],
)
def test_unpaid_plans_need_an_exception(facts_overrides: dict, words: str) -> None:
    req = request()
    assessment = eligibility.evaluate(
        req, facts_for(req, namespace=namespace(**facts_overrides)), POLICY, NOW
    )
    result = assessment.rules[1]
    assert result.outcome is Outcome.EXCEPTION_REQUIRED
    assert words in result.reason
    assert "Legal may approve an exception" in (result.remedy or "")
    assert assessment.decision is Decision.EXCEPTION_REQUIRED
    assert assessment.route is Route.SUPPORT  # where it goes once Legal approves


def test_subscription_ending_today_still_counts() -> None:
    req = request()
    result = rule("plan", req, facts_for(req, namespace=namespace(end_date=day(NOW))))
    assert result.outcome is Outcome.PASS


def test_unpaid_plan_is_ineligible_when_the_policy_allows_no_plan_exception() -> None:
    policy = Policy(eligibility=EligibilityPolicy(exception_overridable=("window",)))
    req = request()
    assessment = eligibility.evaluate(req, facts_for(req, namespace=namespace(plan="free")), policy, NOW)
    assert assessment.rules[1].outcome is Outcome.FAIL
    assert "Legal" not in (assessment.rules[1].remedy or "")
    assert assessment.decision is Decision.INELIGIBLE and assessment.route is None


def test_unknown_namespace_fails_outright_with_a_remedy() -> None:
    req = request(customer_namespace="acme-crop")
    assessment = eligibility.evaluate(req, facts_for(req, namespace=None), POLICY, NOW)
    result = assessment.rules[1]
    assert result.outcome is Outcome.FAIL  # nothing for Legal to approve: fix the name
    assert "acme-crop" in result.reason
    assert "top-level namespace" in (result.remedy or "")
    assert assessment.decision is Decision.INELIGIBLE


def test_paid_since_after_the_window_starts_needs_an_exception() -> None:
    req = request()
    start = day(req.window.start)
    result = rule("plan", req, facts_for(req, namespace=namespace(paid_since=start + timedelta(days=1))))
    assert result.outcome is Outcome.EXCEPTION_REQUIRED
    assert str(start + timedelta(days=1)) in result.reason and "after the window starts" in result.reason


@pytest.mark.parametrize("days_before", [0, 400])
def test_paid_since_on_or_before_the_window_start_passes_without_confirmation(days_before: int) -> None:
    req = request(paid_plan_confirmed=False)
    paid = day(req.window.start) - timedelta(days=days_before)
    result = rule("plan", req, facts_for(req, namespace=namespace(paid_since=paid)))
    assert result.outcome is Outcome.PASS
    assert f"paid since {paid}" in result.reason


def test_unknown_paid_since_needs_the_csms_confirmation() -> None:
    req = request(paid_plan_confirmed=False)
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[1]
    assert result.outcome is Outcome.FAIL  # the CSM can settle it; it is not a case for Legal
    assert "cannot tell" in result.reason
    assert "confirm" in (result.remedy or "")
    assert assessment.decision is Decision.INELIGIBLE


def test_confirmed_plan_rests_on_the_confirmation() -> None:
    result = rule("plan", request(paid_plan_confirmed=True))
    assert result.outcome is Outcome.PASS
    assert "rests on the CSM's confirmation" in result.reason


# --- requester -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "role"),
    [
        (10, "Guest (10)"),
        (15, "Planner (15)"),
        (20, "Reporter (20)"),
        (30, "Developer (30)"),
        (40, "Maintainer (40)"),
        (5, "Minimal Access (5)"),
        (42, "access level 42"),
    ],
)
def test_requester_below_owner_is_told_their_role(level: int, role: str) -> None:
    req = request()
    result = rule("requester", req, facts_for(req, requester_access_level=level))
    assert result.outcome is Outcome.FAIL
    assert f"alice-acme is a {role} of acme-corp" in result.reason
    assert "Owner (50)" in (result.remedy or "")


def test_owner_passes() -> None:
    result = rule("requester")
    assert result.outcome is Outcome.PASS and "Owner" in result.reason


def test_requester_not_a_member() -> None:
    req = request()
    result = rule("requester", req, facts_for(req, requester_access_level=None))
    assert result.outcome is Outcome.FAIL and "not a member of acme-corp" in result.reason


def test_requester_unknown_to_gitlab() -> None:
    req = request()
    result = rule("requester", req, facts_for(req, requester_exists=False, requester_access_level=None))
    assert result.outcome is Outcome.FAIL and "no user 'alice-acme'" in result.reason


# --- ownership -------------------------------------------------------------------------------------


def test_paths_under_the_namespace_belong_to_it() -> None:
    assert eligibility.belongs_to("acme-corp/x", "acme-corp")
    assert eligibility.belongs_to("acme-corp", "acme-corp")
    assert eligibility.belongs_to("ACME-Corp/Sub/Api", "acme-corp")
    assert not eligibility.belongs_to("acme-corporate/x", "acme-corp")
    assert not eligibility.belongs_to("acme-corporate", "acme-corp")
    assert not eligibility.belongs_to("other/acme-corp", "acme-corp")


def test_lookalike_prefix_is_not_owned_and_goes_to_legal() -> None:
    req = request(resources={"projects": ["acme-corporate/api"]})
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[3]
    assert result.outcome is Outcome.FAIL
    assert "not owned by acme-corp: project acme-corporate/api" in result.reason
    assert "refer the customer to Legal" in (result.remedy or "") and "subpoena" in (result.remedy or "")
    assert assessment.decision is Decision.INELIGIBLE and assessment.route is None


def test_path_case_does_not_matter() -> None:
    req = request(resources={"projects": ["ACME-Corp/API"], "groups": ["Acme-Corp/Platform"]})
    assert rule("ownership", req).outcome is Outcome.PASS


def test_canonical_path_from_gitlab_decides() -> None:
    # A project moved out of the namespace: GitLab redirects the old path to the new one.
    req = request(resources={"projects": ["acme-corp/api"]})
    moved = ResourceFacts(kind="project", name="acme-corp/api", exists=True, full_path="elsewhere/api")
    result = rule("ownership", req, facts_for(req, resources=(moved,)))
    assert result.outcome is Outcome.FAIL and "elsewhere/api" in result.reason


def test_missing_resources_are_named() -> None:
    req = request(
        resources={"projects": ["acme-corp/gone"], "groups": ["acme-corp/unchecked"], "users": ["ghost"]}
    )
    facts = facts_for(
        req,
        resources=(
            ResourceFacts(kind="project", name="acme-corp/gone", exists=False),
            ResourceFacts(kind="user", name="ghost", exists=False),
        ),
    )
    result = rule("ownership", req, facts)
    assert result.outcome is Outcome.FAIL
    assert (
        "not found in GitLab: project acme-corp/gone, group acme-corp/unchecked, user ghost" in result.reason
    )


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (False, "not owned by acme-corp: user mallory (not a member of acme-corp)"),
        (None, "of unconfirmed membership in acme-corp: user mallory"),
    ],
)
def test_users_must_be_members(member: bool | None, words: str) -> None:
    req = request(resources={"users": ["mallory"]})
    user = ResourceFacts(kind="user", name="mallory", exists=True, member_of_namespace=member)
    result = rule("ownership", req, facts_for(req, resources=(user,)))
    assert result.outcome is Outcome.FAIL and words in result.reason
    assert "subpoena" in (result.remedy or "")


def test_ownership_is_never_overridable_even_if_the_policy_says_so() -> None:
    policy = Policy(eligibility=EligibilityPolicy(exception_overridable=("plan", "window", "ownership")))
    req = request(resources={"projects": ["acme-corporate/api"]})
    assessment = eligibility.evaluate(req, facts_for(req), policy, NOW)
    assert assessment.rules[3].outcome is Outcome.FAIL
    assert assessment.decision is Decision.INELIGIBLE


# --- window ----------------------------------------------------------------------------------------


def test_exactly_one_month_back_passes() -> None:
    result = rule("window", request(window=window(datetime(2026, 10, 20, 12, 0, tzinfo=UTC))))
    assert result.outcome is Outcome.PASS and "within the last 1 month" in result.reason


def test_one_month_and_one_second_back_needs_an_exception() -> None:
    req = request(window=window(datetime(2026, 10, 20, 12, 0, tzinfo=UTC) - ONE_SECOND))
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[4]
    assert result.outcome is Outcome.EXCEPTION_REQUIRED
    assert "earliest start is 2026-10-20 12:00:00 UTC" in result.reason
    assert assessment.decision is Decision.EXCEPTION_REQUIRED
    assert assessment.route is Route.SECURITY  # older than 7 days
    assert any("longer turnaround" in note for note in assessment.notes)


def test_end_equal_to_now_passes_and_one_second_later_fails() -> None:
    assert rule("window", request(window=window(NOW - timedelta(days=1), NOW))).outcome is Outcome.PASS
    req = request(window=window(NOW - timedelta(days=1), NOW + ONE_SECOND))
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    assert assessment.rules[4].outcome is Outcome.FAIL  # not a case for an exception
    assert "ends in the future" in assessment.rules[4].reason
    assert assessment.decision is Decision.INELIGIBLE


@pytest.mark.parametrize("offset_hours", [9, -5, 0])
def test_same_instant_in_any_time_zone_gives_the_same_answer(offset_hours: int) -> None:
    tz = timezone(timedelta(hours=offset_hours))
    boundary = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    for start, expected in ((boundary, Outcome.PASS), (boundary - ONE_SECOND, Outcome.EXCEPTION_REQUIRED)):
        req = request(window=window(start.astimezone(tz), NOW.astimezone(tz)))
        assert rule("window", req, now=NOW.astimezone(tz)).outcome is expected


@pytest.mark.parametrize(
    ("now", "earliest"),
    [
        (datetime(2026, 3, 31, 12, tzinfo=UTC), datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2028, 3, 31, 12, tzinfo=UTC), datetime(2028, 2, 29, 12, tzinfo=UTC)),  # leap year
        (datetime(2026, 1, 15, 0, tzinfo=UTC), datetime(2025, 12, 15, 0, tzinfo=UTC)),  # across a year
        (datetime(2026, 5, 31, 8, tzinfo=UTC), datetime(2026, 4, 30, 8, tzinfo=UTC)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_the_month(now: datetime, earliest: datetime) -> None:
    assert rule("window", request(window=window(earliest, now)), now=now).outcome is Outcome.PASS
    late = rule("window", request(window=window(earliest - ONE_SECOND, now)), now=now)
    assert late.outcome is Outcome.EXCEPTION_REQUIRED


def test_longer_lookback_from_policy() -> None:
    policy = Policy(eligibility=EligibilityPolicy(max_lookback_months=3))
    now = datetime(2026, 5, 31, tzinfo=UTC)
    ok = rule(
        "window", request(window=window(datetime(2026, 2, 28, tzinfo=UTC), now)), policy=policy, now=now
    )
    assert ok.outcome is Outcome.PASS and "last 3 months" in ok.reason
    late = request(window=window(datetime(2026, 2, 27, 23, 59, 59, tzinfo=UTC), now))
    assert rule("window", late, policy=policy, now=now).outcome is Outcome.EXCEPTION_REQUIRED


# --- scope -----------------------------------------------------------------------------------------


def test_empty_scope_fails() -> None:
    result = rule("scope", request(resources={}, event_types=[]))
    assert result.outcome is Outcome.FAIL
    assert result.reason == "The scope names no resources and no event types."
    assert rule("scope", request(event_types=[])).reason == "The scope names no event types."


def test_scope_at_the_maxima_passes() -> None:
    users = [f"user{i}" for i in range(10)]
    events = [f"type_{i}" for i in range(10)]
    assert rule("scope", request(resources={"users": users}, event_types=events)).outcome is Outcome.PASS


def test_scope_beyond_the_maxima_is_rescoped_with_a_cost() -> None:
    users = [f"user{i}" for i in range(12)]
    events = [f"type_{i}" for i in range(13)]
    req = request(resources={"users": users}, event_types=events)
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[5]
    assert result.outcome is Outcome.RESCOPE
    assert "12 resources (maximum 10) and 13 event types (maximum 10)" in result.reason
    assert "about 7 hours of extra effort" in result.reason  # 2 × 2 h + 3 × 1 h
    assert result.remedy == (
        "Narrow to at most 10 resources and 10 event types, or record that the customer accepts the stated "
        "cost (about 7 extra hours; scope_cost_accepted_hours)."
    )
    assert assessment.decision is Decision.RESCOPE and assessment.route is None


def test_rescope_cost_uses_the_policy_figures() -> None:
    policy = Policy(eligibility=EligibilityPolicy(max_resources=1, extra_effort_hours_per_resource=1.5))
    result = rule("scope", request(resources={"users": ["a", "b", "c"]}), policy=policy)
    assert "about 3 hours" in result.reason and "2 × 1.5 h per extra resource" in result.reason
    assert result.remedy == (
        "Narrow to at most 1 resources, or record that the customer accepts the stated cost "
        "(about 3 extra hours; scope_cost_accepted_hours)."
    )


def _users(n: int) -> dict[str, list[str]]:
    return {"users": [f"user{i}" for i in range(n)]}


@pytest.mark.parametrize("accepted", [None, 0, 5])
def test_an_accepted_cost_changes_nothing_at_the_standard_limit(accepted: float | None) -> None:
    req = request(
        resources=_users(10), event_types=[f"type_{i}" for i in range(10)], scope_cost_accepted_hours=accepted
    )
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[5]
    assert result.outcome is Outcome.PASS and result.remedy is None
    assert result.reason == "10 of at most 10 resources and 10 of at most 10 event types."
    assert assessment.decision is Decision.ELIGIBLE and assessment.extra_effort_hours is None


def test_one_over_the_limit_needs_a_rescope_unless_the_cost_is_accepted() -> None:
    narrow = request(resources=_users(11))
    assert rule("scope", narrow).outcome is Outcome.RESCOPE
    accepted = request(resources=_users(11), scope_cost_accepted_hours=2)
    assessment = eligibility.evaluate(accepted, facts_for(accepted), POLICY, NOW)
    result = assessment.rules[5]
    assert result.outcome is Outcome.PASS and result.remedy is None
    assert result.reason == (
        "The scope is wider than standard: 11 resources (maximum 10). The customer accepted about 2 hours "
        "of extra effort (1 × 2 h per extra resource)."
    )
    assert assessment.decision is Decision.ELIGIBLE and assessment.extra_effort_hours == 2


def test_accepted_cost_states_the_same_hours_the_rescope_quoted() -> None:
    wide = {"resources": _users(12), "event_types": [f"type_{i}" for i in range(13)]}
    quoted = eligibility.evaluate(request(**wide), facts_for(request(**wide)), POLICY, NOW)
    req = request(**wide, scope_cost_accepted_hours=7)
    accepted = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    assert quoted.extra_effort_hours == accepted.extra_effort_hours == 7  # 2 × 2 h + 3 × 1 h
    assert "about 7 hours of extra effort (2 × 2 h per extra resource + 3 × 1 h per extra event type)" in (
        accepted.rules[5].reason
    )
    assert "12 resources (maximum 10) and 13 event types (maximum 10)" in accepted.rules[5].reason
    assert accepted.decision is Decision.ELIGIBLE
    # Wider than Support takes: SIRT, as before the cost was accepted.
    assert accepted.route is Route.SECURITY
    assert "12 resources are in scope" in " ".join(accepted.notes)


def test_an_accepted_cost_lifts_no_other_rule() -> None:
    foreign = request(
        resources={"users": [f"user{i}" for i in range(11)], "projects": ["other/api"]},
        scope_cost_accepted_hours=4,
    )
    assessment = eligibility.evaluate(foreign, facts_for(foreign), POLICY, NOW)
    assert {r.id: r.outcome for r in assessment.rules}["ownership"] is Outcome.FAIL
    assert assessment.rules[5].outcome is Outcome.PASS
    assert assessment.decision is Decision.INELIGIBLE and assessment.route is None

    old = request(
        resources=_users(11),
        window=window(NOW - timedelta(days=40), NOW - timedelta(days=1)),
        scope_cost_accepted_hours=2,
    )
    assessment = eligibility.evaluate(old, facts_for(old), POLICY, NOW)
    assert {r.id: r.outcome for r in assessment.rules}["window"] is Outcome.EXCEPTION_REQUIRED
    assert assessment.decision is Decision.EXCEPTION_REQUIRED and assessment.route is Route.SECURITY


def test_an_accepted_cost_does_not_fill_an_empty_scope() -> None:
    result = rule("scope", request(event_types=[], scope_cost_accepted_hours=100))
    assert result.outcome is Outcome.FAIL and result.reason == "The scope names no event types."


def test_consent_is_to_a_figure_exactly_the_needed_hours_pass_one_step_less_does_not() -> None:
    wide = {"resources": _users(12), "event_types": [f"type_{i}" for i in range(13)]}  # about 7 hours
    exactly = rule("scope", request(**wide, scope_cost_accepted_hours=7))
    assert exactly.outcome is Outcome.PASS
    short = rule("scope", request(**wide, scope_cost_accepted_hours=math.nextafter(7, 0)))
    assert short.outcome is Outcome.RESCOPE
    # Short figures that read the same are shown in full, so the reason never says "accepted 7; needs 7".
    assert "The customer accepted about 6.999999999999999 hours; this scope needs about 7.0 (" in short.reason
    assert short.remedy is not None and "scope_cost_accepted_hours" in short.remedy


@pytest.mark.parametrize(
    ("users", "accepted", "outcome", "said"),
    [
        # Ticked at 2 hours (11 users), then widened to 13 users: 6 hours nobody agreed to.
        (
            13,
            2,
            Outcome.RESCOPE,
            "accepted about 2 hours; this scope needs about 6 (3 × 2 h per extra resource)",
        ),
        (
            11,
            0,
            Outcome.RESCOPE,
            "accepted about 0 hours; this scope needs about 2 (1 × 2 h per extra resource)",
        ),
        (
            11,
            10,
            Outcome.PASS,
            "accepted up to 10 hours of extra effort; this scope needs about 2 (1 × 2 h per extra resource)",
        ),
    ],
)
def test_the_reason_says_the_hours_accepted_and_the_hours_needed(
    users: int, accepted: float, outcome: Outcome, said: str
) -> None:
    result = rule("scope", request(resources=_users(users), scope_cost_accepted_hours=accepted))
    assert result.outcome is outcome
    assert (
        result.reason
        == f"The scope is wider than standard: {users} resources (maximum 10). The customer {said}."
    )
    needed = 2 * (users - 10)
    remedy = (
        "Narrow to at most 10 resources, or record that the customer accepts the stated cost "
        f"(about {needed} extra hours; scope_cost_accepted_hours)."
    )
    assert result.remedy == (remedy if outcome is Outcome.RESCOPE else None)


def test_the_needed_hours_are_the_decimal_figure_people_read_and_accept() -> None:
    policy = Policy(eligibility=EligibilityPolicy(max_resources=1, extra_effort_hours_per_resource=0.1))
    req = request(resources=_users(4), scope_cost_accepted_hours=0.3)  # 3 × 0.1 h, not 0.30000000000000004
    assessment = eligibility.evaluate(req, facts_for(req), policy, NOW)
    assert assessment.extra_effort_hours == 0.3 and assessment.rules[5].outcome is Outcome.PASS


# --- log sources -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sources", [["access"], ["application", "access"]])
def test_access_logs_are_not_supported(sources: list[str]) -> None:
    req = request(log_sources=sources)
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    result = assessment.rules[6]
    assert result.outcome is Outcome.FAIL and "not supported" in result.reason
    assert "application logs" in (result.remedy or "") and "sign_ins" in (result.remedy or "")
    assert assessment.decision is Decision.INELIGIBLE


def test_no_log_source_fails() -> None:
    assert rule("log_sources", request(log_sources=[])).outcome is Outcome.FAIL


# --- combining ---------------------------------------------------------------------------------------


def test_a_hard_failure_beats_rescope_and_exception() -> None:
    req = request(log_sources=["access"], event_types=[f"t_{i}" for i in range(11)])
    facts = facts_for(req, namespace=namespace(plan="free"))
    assessment = eligibility.evaluate(req, facts, POLICY, NOW)
    assert {r.outcome for r in assessment.rules} >= {
        Outcome.FAIL,
        Outcome.RESCOPE,
        Outcome.EXCEPTION_REQUIRED,
    }
    assert assessment.decision is Decision.INELIGIBLE and assessment.route is None


def test_rescope_beats_an_exception() -> None:
    req = request(event_types=[f"t_{i}" for i in range(11)])
    assessment = eligibility.evaluate(req, facts_for(req, namespace=namespace(plan="free")), POLICY, NOW)
    assert assessment.decision is Decision.RESCOPE and assessment.route is None


@pytest.mark.parametrize(
    ("outcomes", "decision"),
    [
        ([Outcome.PASS, Outcome.PASS], Decision.ELIGIBLE),
        ([Outcome.EXCEPTION_REQUIRED, Outcome.PASS], Decision.EXCEPTION_REQUIRED),
        ([Outcome.EXCEPTION_REQUIRED, Outcome.RESCOPE], Decision.RESCOPE),
        ([Outcome.RESCOPE, Outcome.FAIL], Decision.INELIGIBLE),
        ([], Decision.ELIGIBLE),
    ],
)
def test_decide(outcomes: list[Outcome], decision: Decision) -> None:
    from workflows.assessment import RuleResult

    results = tuple(RuleResult(id=f"r{i}", outcome=o, reason="x") for i, o in enumerate(outcomes))
    assert eligibility.decide(results) is decision


def test_personal_data_sends_an_eligible_request_to_security() -> None:
    req = request(personal_data=True)
    assessment = eligibility.evaluate(req, facts_for(req), POLICY, NOW)
    assert assessment.decision is Decision.ELIGIBLE and assessment.route is Route.SECURITY
    assert any("personal data" in note for note in assessment.notes)


def test_the_window_reason_says_up_front_which_part_of_the_logs_is_gone() -> None:
    policy = Policy(eligibility=EligibilityPolicy(max_lookback_months=3))
    start, end = NOW - timedelta(days=40), NOW - timedelta(days=1)
    result = rule("window", request(window=window(start, end)), policy=policy)
    assert result.outcome is Outcome.PASS
    cutoff = NOW - timedelta(days=30)
    assert result.reason.startswith("Logs already deleted: application logs are kept 30 days, so ")
    assert f"to {cutoff:%Y-%m-%d %H:%M:%S} UTC no longer exists there" in result.reason
    assert "whole window" not in result.reason

    gone = rule("window", request(window=window(start, NOW - timedelta(days=35))), policy=policy)
    assert "(the whole window) no longer exists" in gone.reason

    fresh = rule("window", request(window=window(NOW - timedelta(days=5), NOW)), policy=policy)
    assert "deleted" not in fresh.reason


def test_a_window_past_the_lookback_also_says_the_logs_are_gone() -> None:
    late = rule("window", request(window=window(NOW - timedelta(days=45), NOW)))
    assert late.outcome is Outcome.EXCEPTION_REQUIRED
    assert late.reason.startswith("Logs already deleted: application logs are kept 30 days")
