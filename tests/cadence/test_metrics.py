"""/metrics: open cases by state, overdue updates, SLA breaches and time to first update, read from the
database at scrape time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bot.clock import fixed
from bot.metrics import exposition
from tests.cadence.conftest import World, at
from tests.slack.harness import FactsDirectory, start_bot, stop_bot
from workflows.assessment import Route
from workflows.states import CaseState


def _samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _value(samples: Iterable[Sample], name: str, **labels: str) -> float:
    [value] = [
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return value


def test_case_gauges_follow_the_database(world: World) -> None:
    # Overdue: a support case claimed Monday 10:00, due Tuesday 14:00, escalated Wednesday 10:00.
    overdue = world.open_case(channel=None)
    world.claim(overdue, at(23, 10))
    # Kept up to date: first update two hours after triage, the latest on Wednesday morning.
    kept = world.open_case(channel=None, route=Route.SECURITY)
    world.claim(kept, at(23, 10))
    world.update(kept, at(23, 12))
    world.update(kept, at(25, 9))
    # Waiting on the customer: paused, never overdue.
    waiting = world.open_case(channel=None)
    world.claim(waiting, at(23, 10))
    world.move(waiting, CaseState.INVESTIGATING, at(23, 11))
    world.move(waiting, CaseState.AWAITING_CUSTOMER, at(23, 12))
    world.open_case(channel=None)  # requested, not triaged
    world.tick(at(24, 14))
    world.tick(at(25, 10))

    samples = _samples(exposition(world.database_url, fixed(at(25, 10, 30))).decode())
    assert _value(samples, "logdive_open_cases", state="triaged") == 2
    assert _value(samples, "logdive_open_cases", state="awaiting_customer") == 1
    assert _value(samples, "logdive_open_cases", state="requested") == 1
    states = {s.labels["state"] for s in samples if s.name == "logdive_open_cases"}
    assert "investigating" in states and not states & {"closed", "cancelled", "rejected"}
    assert _value(samples, "logdive_overdue_updates") == 1
    assert _value(samples, "logdive_sla_breaches_total") == 1
    assert _value(samples, "logdive_time_to_first_update_seconds_count") == 1
    assert _value(samples, "logdive_time_to_first_update_seconds_sum") == 7200
    assert _value(samples, "logdive_time_to_first_update_seconds_bucket", le="3600.0") == 0
    assert _value(samples, "logdive_time_to_first_update_seconds_bucket", le="14400.0") == 1

    # Before the due time nothing is overdue; once the overdue case is updated, nothing is either.
    early = _samples(exposition(world.database_url, fixed(at(24, 13))).decode())
    assert _value(early, "logdive_overdue_updates") == 0
    world.update(overdue, at(25, 11))
    later = _samples(exposition(world.database_url, fixed(at(25, 11, 30))).decode())
    assert _value(later, "logdive_overdue_updates") == 0
    assert _value(later, "logdive_time_to_first_update_seconds_count") == 2


def test_the_server_serves_the_case_gauges_with_its_own_metrics(world: World) -> None:
    case_id = world.open_case(channel=None)
    world.claim(case_id, datetime.now(UTC) - timedelta(days=10))  # long overdue by the real clock
    bot, server, thread = start_bot(world.database_url, world.slack, FactsDirectory())
    try:
        response = bot.http.get(f"{bot.url}/metrics")
    finally:
        stop_bot(bot, server, thread)
    assert response.status_code == 200
    samples = _samples(response.text)
    assert _value(samples, "logdive_open_cases", state="triaged") == 1
    assert _value(samples, "logdive_overdue_updates") == 1
    assert "# TYPE logdive_http_requests_total counter" in response.text  # the process's own, alongside
