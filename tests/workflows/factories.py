"""Plain-value builders for eligibility, routing and request tests: one eligible case, varied per test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from workflows.facts import OWNER_ACCESS_LEVEL, DirectoryFacts, NamespaceFacts, ResourceFacts
from workflows.request import LogDiveRequest

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def request(**overrides: Any) -> LogDiveRequest:
    """An eligible, Support-sized request over the 3 days before NOW, with fields overridden."""
    data: dict[str, Any] = {
        "customer_namespace": "acme-corp",
        "requester_username": "alice-acme",
        "window": {"start": NOW - timedelta(days=3), "end": NOW - timedelta(days=1)},
        "resources": {"projects": ["acme-corp/api"], "groups": [], "users": ["bob-acme"]},
        "event_types": ["member_updated"],
        "personal_data": False,
        "log_sources": ["application"],
        "paid_plan_confirmed": True,
        "description": "Who changed the members?",
    }
    data.update(overrides)
    return LogDiveRequest.model_validate(data)


def window(start: datetime, end: datetime = NOW) -> dict[str, datetime]:
    return {"start": start, "end": end}


def namespace(**overrides: Any) -> NamespaceFacts:
    data: dict[str, Any] = {"id": 7, "full_path": "acme-corp", "kind": "group", "plan": "ultimate"}
    data.update(overrides)
    return NamespaceFacts(**data)


def facts_for(req: LogDiveRequest, **overrides: Any) -> DirectoryFacts:
    """What GitLab would say if everything in the request existed and belonged to the customer."""
    top = req.customer_namespace
    resources = (
        [ResourceFacts(kind="project", name=p, exists=True, full_path=p) for p in req.resources.projects]
        + [ResourceFacts(kind="group", name=g, exists=True, full_path=g) for g in req.resources.groups]
        + [
            ResourceFacts(kind="user", name=u, exists=True, member_of_namespace=True)
            for u in req.resources.users
        ]
    )
    data: dict[str, Any] = {
        "namespace": namespace(full_path=top),
        "requester_exists": True,
        "requester_access_level": OWNER_ACCESS_LEVEL,
        "resources": tuple(resources),
    }
    data.update(overrides)
    return DirectoryFacts(**data)


def day(d: datetime) -> date:
    return d.astimezone(UTC).date()
