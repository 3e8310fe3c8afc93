"""A seeded customer world in the GitLab stand-in, and a directory pointed at it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.gitlab import GitLabDirectory, make_gitlab
from bot.gitlab.overrides import DirectoryOverrides
from bot.sandbox.gitlab import DEVELOPER, MAINTAINER, OWNER, GitLabStandIn, Namespace, Project, User
from bot.settings import Settings
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from workflows.request import LogDiveRequest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand, so cache expiry needs no sleeping."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Acme:
    """acme-corp (Ultimate) with a nested platform/backend, and other-corp next door."""

    standin: GitLabStandIn
    acme: Namespace
    platform: Namespace
    backend: Namespace
    other: Namespace
    api: Project
    gateway: Project
    alice: User  # Owner of acme-corp
    bob: User  # Developer of acme-corp
    carol: User  # Maintainer of acme-corp/platform only
    dave: User  # Owner of other-corp
    erin: User  # a member of nothing


@pytest.fixture
def acme(gitlab_standin: GitLabStandIn) -> Acme:  # noqa: F811 -- pytest's fixture injection
    state = gitlab_standin.state
    users = {
        name: state.add_user(name) for name in ("alice-acme", "bob-acme", "carol-acme", "dave-other", "erin")
    }
    acme = state.add_group("acme-corp", name="ACME Corp", plan="ultimate", end_date=date(2027, 12, 31))
    platform = state.add_group("acme-corp/platform")
    backend = state.add_group("acme-corp/platform/backend")
    other = state.add_group("other-corp", plan="premium")
    world = Acme(
        gitlab_standin,
        acme,
        platform,
        backend,
        other,
        api=state.add_project("acme-corp/api"),
        gateway=state.add_project("acme-corp/platform/backend/api-gateway"),
        alice=users["alice-acme"],
        bob=users["bob-acme"],
        carol=users["carol-acme"],
        dave=users["dave-other"],
        erin=users["erin"],
    )
    state.add_project("other-corp/secrets")
    state.add_member(acme, world.alice, OWNER)
    state.add_member(acme, world.bob, DEVELOPER)
    state.add_member(platform, world.carol, MAINTAINER)
    state.add_member(other, world.dave, OWNER)
    return world


def settings_for(standin: GitLabStandIn, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "gitlab_url": standin.url,
        "gitlab_token": standin.token,
        "gitlab_timeout_seconds": 5.0,
        "gitlab_max_retries": 2,
    }
    fields.update(overrides)
    return Settings(**fields)


def directory_for(
    standin: GitLabStandIn,
    *,
    clock: Callable[[], datetime] | None = None,
    cache_ttl: float = 300.0,
    overrides: DirectoryOverrides | None = None,
    **settings: Any,
) -> GitLabDirectory:
    return GitLabDirectory(
        make_gitlab(settings_for(standin, **settings)),
        overrides=overrides,
        cache_ttl=cache_ttl,
        clock=clock or FakeClock(),
    )


def request_for(**overrides: Any) -> LogDiveRequest:
    fields: dict[str, Any] = {
        "customer_namespace": "acme-corp",
        "requester_username": "alice-acme",
        "window": {"start": "2026-11-16T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
        "resources": {
            "projects": ["acme-corp/platform/backend/api-gateway"],
            "groups": ["acme-corp/platform"],
            "users": ["bob-acme"],
        },
        "event_types": ["user_access_token_created"],
        "paid_plan_confirmed": True,
    }
    fields.update(overrides)
    return LogDiveRequest.model_validate(fields)
