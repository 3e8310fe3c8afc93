"""Properties of the eligibility policy and routing over generated requests, facts and policies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from dateutil.relativedelta import relativedelta
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from workflows.assessment import Decision
from workflows.eligibility import evaluate
from workflows.facts import DirectoryFacts, NamespaceFacts, ResourceFacts
from workflows.policy import EligibilityPolicy, Policy, RoutingPolicy
from workflows.request import LogDiveRequest

RANK = {Decision.ELIGIBLE: 0, Decision.EXCEPTION_REQUIRED: 1, Decision.RESCOPE: 2, Decision.INELIGIBLE: 3}

# Pools lean towards what an eligible request holds, so every decision turns up often.
PROJECTS = ["acme-corp/api", "acme-corp/web", "ACME-Corp/Infra", "acme-corp/ops"]
GROUPS = ["acme-corp/platform", "acme-corp", "acme-corp/sub/team"]
NOT_OWNED = ["acme-corporate/api", "other/acme-corp"]
USERS = ["bob-acme", "carol", "dave", "eve"]
EVENT_TYPES = [f"type_{i}" for i in range(14)] + ["sign_ins", "member_updated"]


def mostly(good: Any, *bad: Any) -> st.SearchStrategy[Any]:
    """`good` nineteen times in twenty, else one of `bad`."""
    return st.sampled_from([good] * 19 * len(bad) + list(bad))


zones = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))])
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=zones)
policies = st.builds(
    Policy,
    eligibility=st.builds(
        EligibilityPolicy,
        max_lookback_months=st.integers(1, 3),
        max_resources=st.integers(1, 10),
        max_event_types=st.integers(1, 10),
        exception_overridable=st.sampled_from([("plan", "window"), (), ("plan",), ("window", "requester")]),
    ),
    routing=st.builds(RoutingPolicy, support_max_resources=st.integers(1, 5)),
)


@st.composite
def cases(draw: st.DrawFn, with_dates: bool = True) -> tuple[LogDiveRequest, DirectoryFacts, datetime]:
    now = draw(moments)
    start = now - timedelta(seconds=draw(st.integers(1, draw(mostly(20, 100)) * 86400)))
    inside = now - timedelta(seconds=draw(st.integers(0, int((now - start).total_seconds()) - 1)))
    # A window that does not end after it starts is no request at all (tests/workflows/test_request.py).
    end = draw(mostly(inside, now + timedelta(seconds=draw(st.integers(1, 86400)))))
    request = LogDiveRequest(
        customer_namespace="acme-corp",
        requester_username="alice-acme",
        window={"start": start, "end": end},
        resources={
            "projects": draw(st.lists(st.sampled_from(PROJECTS), unique=True, max_size=4))
            + draw(mostly([], NOT_OWNED[:1], NOT_OWNED[1:])),
            "groups": draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=2)),
            "users": draw(st.lists(st.sampled_from(USERS), unique=True, max_size=4)),
        },
        event_types=draw(
            st.lists(
                st.sampled_from(EVENT_TYPES),
                unique=True,
                min_size=draw(mostly(1, 0)),
                max_size=draw(mostly(4, 13)),
            )
        ),
        personal_data=draw(st.booleans()),
        log_sources=draw(mostly(["application"], ["access"], ["application", "access"], [])),
        paid_plan_confirmed=draw(mostly(True, False)),
    )

    def near(day: date) -> date | None:
        if not with_dates or draw(mostly(True, False)):
            return None
        return day + timedelta(days=draw(st.integers(-60, 60)))

    namespace = NamespaceFacts(
        id=1,
        full_path="acme-corp",
        kind="group",
        plan=draw(mostly("ultimate", "premium", "gold", "silver", "free", "bronze", None)),
        trial=draw(mostly(False, True)),
        end_date=near(now.astimezone(UTC).date()),
        paid_since=near(start.astimezone(UTC).date()),
    )
    resources = tuple(
        [
            ResourceFacts(kind="project", name=p, exists=draw(mostly(True, False)), full_path=p)
            for p in PROJECTS + NOT_OWNED
        ]
        + [ResourceFacts(kind="group", name=g, exists=draw(mostly(True, False)), full_path=g) for g in GROUPS]
        + [
            ResourceFacts(
                kind="user",
                name=u,
                exists=draw(mostly(True, False)),
                member_of_namespace=draw(mostly(True, False, None)),
            )
            for u in USERS
        ]
    )
    facts = DirectoryFacts(
        namespace=draw(mostly(namespace, None)),
        requester_exists=draw(mostly(True, False)),
        requester_access_level=draw(mostly(50, 40, 10, None)),
        resources=resources,
    )
    return request, facts, now


def _subset(draw: st.DrawFn, items: tuple[str, ...]) -> list[str]:
    return [item for item in items if draw(st.booleans())]


@settings(max_examples=300)
@given(case=cases(), policy=policies, data=st.data())
def test_narrowing_the_scope_never_makes_a_request_worse(
    case: Any, policy: Policy, data: st.DataObject
) -> None:
    request, facts, now = case
    scope = request.resources
    projects = _subset(data.draw, scope.projects)
    groups = _subset(data.draw, scope.groups)
    users = _subset(data.draw, scope.users)
    events = _subset(data.draw, request.event_types)
    # Narrowing keeps at least one resource and one event type: an empty scope is no request at all.
    if scope.size and not (projects or groups or users):
        if scope.projects:
            projects = [scope.projects[0]]
        elif scope.groups:
            groups = [scope.groups[0]]
        else:
            users = [scope.users[0]]
    if request.event_types and not events:
        events = [request.event_types[0]]
    narrowed = request.model_copy(
        update={
            "resources": scope.model_copy(
                update={"projects": tuple(projects), "groups": tuple(groups), "users": tuple(users)}
            ),
            "event_types": tuple(events),
        }
    )
    before = evaluate(request, facts, policy, now).decision
    after = evaluate(narrowed, facts, policy, now).decision
    event(f"{before} -> {after}")
    assert RANK[after] <= RANK[before]
    if before is Decision.ELIGIBLE:
        assert after is Decision.ELIGIBLE


@given(case=cases(), policy=policies, fraction=st.one_of(st.just(1.0), st.floats(0, 2)))
def test_accepting_the_scope_cost_never_makes_a_request_worse(
    case: Any, policy: Policy, fraction: float
) -> None:
    request, facts, now = case
    before = evaluate(request, facts, policy, now)
    needed = before.extra_effort_hours or 0.0
    accepted = round(needed * fraction, 3)
    after = evaluate(request.model_copy(update={"scope_cost_accepted_hours": accepted}), facts, policy, now)
    event(f"{before.decision} -> {after.decision}")
    assert RANK[after.decision] <= RANK[before.decision]
    assert after.extra_effort_hours == before.extra_effort_hours
    # Only the scope rule may change, from re-scope to pass; the route follows the scope, not the cost.
    changed = [(b.id, b.outcome, a.outcome) for b, a in zip(before.rules, after.rules, strict=True) if b != a]
    assert all(rule == "scope" and b == "rescope" and a in ("rescope", "pass") for rule, b, a in changed)
    if before.route is not None:
        assert after.route == before.route
    if accepted >= needed:
        # Enough hours accepted: the only re-scope, a wide scope, is now paid for.
        assert after.decision is not Decision.RESCOPE
        others = [r.outcome for r in before.rules if r.id != "scope"]
        if before.decision is Decision.RESCOPE and all(o == "pass" for o in others):
            assert after.decision is Decision.ELIGIBLE  # the scope was the only problem
    else:
        # Fewer hours than needed change no outcome (the scope rule's reason says what was accepted).
        assert [r.outcome for r in after.rules] == [r.outcome for r in before.rules]
        assert after.decision is before.decision and after.route == before.route


@given(case=cases(), policy=policies)
def test_evaluate_is_deterministic(case: Any, policy: Policy) -> None:
    request, facts, now = case
    assert evaluate(request, facts, policy, now) == evaluate(request, facts, policy, now)


@given(case=cases(), policy=policies)
def test_route_is_set_exactly_when_the_request_can_go_ahead(case: Any, policy: Policy) -> None:
    assessment = evaluate(*case[:2], policy, case[2])
    assert (assessment.route is None) == (assessment.decision in {Decision.RESCOPE, Decision.INELIGIBLE})
    assert assessment.notes == () or assessment.route is not None


def _shift(
    request: LogDiveRequest, facts: DirectoryFacts, delta: timedelta
) -> tuple[LogDiveRequest, DirectoryFacts]:
    window = request.window.model_copy(
        update={"start": request.window.start + delta, "end": request.window.end + delta}
    )
    namespace = facts.namespace
    if namespace is not None:
        days = timedelta(days=delta.days)  # deltas with dates in play are whole days
        namespace = namespace.model_copy(
            update={
                "end_date": namespace.end_date and namespace.end_date + days,
                "paid_since": namespace.paid_since and namespace.paid_since + days,
            }
        )
    return request.model_copy(update={"window": window}), facts.model_copy(update={"namespace": namespace})


def _clear_of_the_month_boundary(request: LogDiveRequest, policy: Policy, now: datetime) -> bool:
    # Calendar months vary by up to 3 days, so a start within 3 days of the look-back limit may
    # legitimately change sides when moved to another month; away from it, nothing may change.
    earliest = now.astimezone(UTC) - relativedelta(months=policy.eligibility.max_lookback_months)
    return abs(request.window.start.astimezone(UTC) - earliest) > timedelta(days=4)


@given(case=cases(with_dates=True), policy=policies, days=st.integers(-800, 800))
def test_shifting_now_and_window_by_whole_days_keeps_the_decision(
    case: Any, policy: Policy, days: int
) -> None:
    request, facts, now = case
    assume(_clear_of_the_month_boundary(request, policy, now))
    delta = timedelta(days=days)
    shifted_request, shifted_facts = _shift(request, facts, delta)
    before = evaluate(request, facts, policy, now)
    after = evaluate(shifted_request, shifted_facts, policy, now + delta)
    assert (after.decision, after.route) == (before.decision, before.route)
    assert [r.outcome for r in after.rules] == [r.outcome for r in before.rules]


@given(case=cases(with_dates=False), policy=policies, seconds=st.integers(-(10**8), 10**8))
def test_shifting_by_any_delta_keeps_the_decision(case: Any, policy: Policy, seconds: int) -> None:
    request, facts, now = case
    assume(_clear_of_the_month_boundary(request, policy, now))
    delta = timedelta(seconds=seconds)
    shifted_request, shifted_facts = _shift(request, facts, delta)
    before = evaluate(request, facts, policy, now)
    after = evaluate(shifted_request, shifted_facts, policy, now + delta)
    assert (after.decision, after.route) == (before.decision, before.route)
