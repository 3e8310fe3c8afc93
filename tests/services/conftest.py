"""Requests and assessments as the Slack modal and `workflows.eligibility` would hand them to the service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.assessment import Assessment, Decision, Outcome, Route, RuleResult
from workflows.request import LogDiveRequest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_request(**overrides: object) -> LogDiveRequest:
    fields: dict[str, object] = {
        "customer_namespace": "acme-corp",
        "requester_username": "alice-acme",
        "window": {"start": "2026-11-16T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
        "resources": {"projects": ["acme-corp/api"]},
        "event_types": ["user_access_token_created"],
        "paid_plan_confirmed": True,
        "description": "A token nobody recognises",
    }
    fields.update(overrides)
    return LogDiveRequest.model_validate(fields)


def make_assessment(
    decision: Decision = Decision.ELIGIBLE, route: Route | None = Route.SECURITY
) -> Assessment:
    outcome = {
        Decision.ELIGIBLE: Outcome.PASS,
        Decision.EXCEPTION_REQUIRED: Outcome.EXCEPTION_REQUIRED,
        Decision.RESCOPE: Outcome.RESCOPE,
        Decision.INELIGIBLE: Outcome.FAIL,
    }[decision]
    rules = (
        RuleResult(id="plan", outcome=outcome, reason="acme-corp is on Premium", remedy=None),
        RuleResult(id="ownership", outcome=Outcome.PASS, reason="every resource is acme-corp's"),
    )
    if decision in (Decision.RESCOPE, Decision.INELIGIBLE):
        route = None
    return Assessment(decision=decision, route=route, rules=rules, notes=("a note",))


@pytest.fixture
def request_() -> LogDiveRequest:
    return make_request()
