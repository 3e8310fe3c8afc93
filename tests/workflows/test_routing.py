"""Routing: Support for small, recent, impersonal requests; the Security team for the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.workflows.factories import NOW, request, window
from workflows.assessment import Route
from workflows.policy import Policy, RoutingPolicy
from workflows.routing import as_utc, route

POLICY = Policy()
SEVEN_DAYS = timedelta(days=7)
ONE_SECOND = timedelta(seconds=1)


def test_small_recent_request_goes_to_support_without_notes() -> None:
    assert route(request(), POLICY, NOW) == (Route.SUPPORT, ())


def test_exactly_seven_days_back_is_support() -> None:
    chosen, notes = route(request(window=window(NOW - SEVEN_DAYS)), POLICY, NOW)
    assert chosen is Route.SUPPORT and notes == ()


def test_seven_days_and_a_second_back_is_security_with_a_longer_turnaround() -> None:
    chosen, notes = route(
        request(window=window(NOW - SEVEN_DAYS - ONE_SECOND, NOW - SEVEN_DAYS)), POLICY, NOW
    )
    assert chosen is Route.SECURITY
    assert "window reaches further back than 7 days" in notes[0]
    assert "longer turnaround" in notes[1] and "cold storage" in notes[1]


def test_window_ending_in_the_future_is_not_within_the_last_seven_days() -> None:
    chosen, _ = route(request(window=window(NOW - timedelta(days=1), NOW + ONE_SECOND)), POLICY, NOW)
    assert chosen is Route.SECURITY


def test_personal_data_goes_to_security() -> None:
    chosen, notes = route(request(personal_data=True), POLICY, NOW)
    assert chosen is Route.SECURITY
    assert notes == ("The Security team takes this request because personal data is requested.",)


def test_support_takes_up_to_the_resource_and_event_type_limits() -> None:
    at_limit = request(resources={"users": ["a", "b", "c"]}, event_types=[f"t_{i}" for i in range(5)])
    assert route(at_limit, POLICY, NOW)[0] is Route.SUPPORT

    too_many_resources = request(resources={"users": ["a", "b", "c", "d"]})
    chosen, notes = route(too_many_resources, POLICY, NOW)
    assert chosen is Route.SECURITY and "4 resources are in scope (Support takes up to 3)" in notes[0]

    too_many_types = request(event_types=[f"t_{i}" for i in range(6)])
    chosen, notes = route(too_many_types, POLICY, NOW)
    assert chosen is Route.SECURITY and "6 event types are requested (Support takes up to 5)" in notes[0]


def test_every_reason_for_security_is_listed() -> None:
    req = request(personal_data=True, resources={"users": ["a", "b", "c", "d"]})
    _, notes = route(req, POLICY, NOW)
    assert notes[0] == (
        "The Security team takes this request because personal data is requested and "
        "4 resources are in scope (Support takes up to 3)."
    )


def test_limits_come_from_the_policy() -> None:
    policy = Policy(routing=RoutingPolicy(support_max_window_days=2, support_max_resources=1))
    assert route(request(window=window(NOW - timedelta(days=2))), policy, NOW)[0] is Route.SECURITY
    assert route(request(window=window(NOW - timedelta(days=2)), resources={"users": ["a"]}), policy, NOW)[
        0
    ] is (Route.SUPPORT)


@pytest.mark.parametrize("hours", [9, -5])
def test_time_zones_do_not_change_the_route(hours: int) -> None:
    tz = timezone(timedelta(hours=hours))
    start = NOW - SEVEN_DAYS
    for begin, expected in ((start, Route.SUPPORT), (start - ONE_SECOND, Route.SECURITY)):
        req = request(window=window(begin.astimezone(tz), NOW.astimezone(tz)))
        assert route(req, POLICY, NOW.astimezone(tz))[0] is expected


def test_as_utc_refuses_naive_datetimes() -> None:
    assert as_utc(datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="no time zone"):
        as_utc(datetime(2026, 1, 1))
