"""What the eligibility policy and routing say about a request: the values `evaluate` returns."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 -- an outcome, not a password
    FAIL = "fail"
    RESCOPE = "rescope"
    EXCEPTION_REQUIRED = "exception_required"


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    RESCOPE = "rescope"
    EXCEPTION_REQUIRED = "exception_required"
    INELIGIBLE = "ineligible"


class Route(StrEnum):
    SUPPORT = "support"
    SECURITY = "security"


class RuleResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # plan, requester, ownership, window, scope, log_sources
    outcome: Outcome
    reason: str  # what a CSM reads
    remedy: str | None = None  # what to do about it; None when the rule passed


class Assessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    route: Route | None  # None unless the request can go ahead (eligible or after an exception)
    rules: tuple[RuleResult, ...]
    notes: tuple[str, ...] = ()  # e.g. the longer-turnaround note for windows beyond 7 days
    # Hours of extra effort a scope wider than standard costs (None within standard); the scope rule's
    # reason says whether the customer accepted them (request.scope_cost_accepted_hours).
    extra_effort_hours: float | None = None
