"""A SIRT project, a gap project and customers in the GitLab stand-in; Logdive's outbox pointed at them.

Workers run with back-off in tenths of a second (settings and a RetryPolicy), so fault runs take
seconds, not the minutes production back-off would take.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from bot import cases, outbox
from bot.db.engine import session_scope
from bot.db.models import Case, OutboxItem
from bot.gitlab.client import make_gitlab
from bot.gitlab.issues import IssueWriter, cap_rate_limit_waits
from bot.runtime import Runtime
from bot.sandbox.gitlab import OWNER, REPORTER, GitLabStandIn, Project, User
from bot.sandbox.gitlab.issues import Issue, IssueTracker, issues_of
from bot.settings import Settings
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from tests.services.conftest import make_assessment, make_request
from workflows.assessment import Decision, Route
from workflows.request import LogDiveRequest

SIRT_PROJECT = "gl-security/sirt/operations"  # nested: its id in a URL must be %2F-encoded
GAP_PROJECT = "gitlab-org/gitlab"
SIRT_HANDLE = "@gl-security/sirt"
WEBHOOK_SECRET = "hook-secret-0123456789"
GAP_MARKER_SECRET = "gap-marker-secret-0123456789"
FAST_RETRY = outbox.RetryPolicy(base_seconds=0.05, cap_seconds=0.3, max_attempts=6)
CUSTOMER_USERS = ("alice-acme", "bob-acme")


@dataclass
class World:
    standin: GitLabStandIn
    sirt: Project
    gap: Project
    tracker: IssueTracker
    sirt_member: User  # a person in SIRT, acting in GitLab with their own token
    sirt_token: str

    def sirt_issues(self) -> list[Issue]:
        return self.tracker.in_project(self.sirt)

    def gap_issues(self) -> list[Issue]:
        return self.tracker.in_project(self.gap)


@pytest.fixture
def world(gitlab_standin: GitLabStandIn) -> World:  # noqa: F811 -- pytest's fixture injection
    state = gitlab_standin.state
    security = state.add_group("gl-security")
    state.add_group("gl-security/sirt")
    sirt = state.add_project(SIRT_PROJECT)
    state.add_group("gitlab-org", plan="ultimate")
    gap = state.add_project(GAP_PROJECT, visibility="public")
    sam = state.add_user("sirt-sam", name="Sam SIRT")
    state.add_member(security, sam, REPORTER)
    for username in CUSTOMER_USERS:  # real users: a mention of them would notify someone
        state.add_user(username)
    customer = state.add_group("acme-corp", plan="ultimate")
    state.add_member(customer, state.user_by_username("alice-acme"), OWNER)  # type: ignore[arg-type]
    state.add_token("sam-token", sam)
    return World(gitlab_standin, sirt, gap, issues_of(gitlab_standin), sam, "sam-token")


def settings_for(world: World, database_url: str, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "gitlab_url": world.standin.url,
        "gitlab_token": world.standin.token,
        "gitlab_timeout_seconds": 2.0,
        "gitlab_max_retries": 1,
        "gitlab_rate_limit_wait_seconds": 1.0,
        "database_url": database_url,
        "sirt_project": SIRT_PROJECT,
        "audit_gap_project": GAP_PROJECT,
        "sirt_group_handle": SIRT_HANDLE,
        "gitlab_webhook_secret": WEBHOOK_SECRET,
        "gap_marker_secret": GAP_MARKER_SECRET,
        "outbox_concurrency": 4,
    }
    fields.update(overrides)
    return Settings(**fields)


def writer_for(world: World, **overrides: Any) -> IssueWriter:
    settings = settings_for(world, "sqlite://", **overrides)
    client = make_gitlab(settings)
    return IssueWriter(
        client, rate_limits=cap_rate_limit_waits(client, settings.gitlab_rate_limit_wait_seconds)
    )


def runtime_for(settings: Settings, **kwargs: Any) -> Runtime:
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("lease_seconds", 30.0)
    return Runtime(settings, **kwargs)


def now() -> datetime:
    return datetime.now(UTC)


def open_case(
    database_url: str,
    key: str = "k",
    *,
    decision: Decision = Decision.ELIGIBLE,
    route: Route = Route.SECURITY,
    channel: str | None = None,
    request: LogDiveRequest | None = None,
) -> int:
    with session_scope(database_url) as session:
        case, _ = cases.record_intake(
            session,
            request=request or make_request(),
            assessment=make_assessment(decision, route),
            actor="U0CSM0001",
            now=now(),
            idempotency_key=key,
            channel=channel,
        )
        assert case.id is not None
        return case.id


def owed(database_url: str, *, kinds: tuple[str, ...] | None = None) -> list[OutboxItem]:
    with session_scope(database_url) as session:
        query = select(OutboxItem).where(OutboxItem.status != outbox.DONE)
        if kinds:
            query = query.where(col(OutboxItem.kind).in_(kinds))
        return list(session.exec(query.order_by(col(OutboxItem.id))).all())


def case_row(database_url: str, case_id: int) -> Case:
    with session_scope(database_url) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def drain(runtime: Runtime, *, timeout: float = 15.0, until: Callable[[], bool] | None = None) -> None:
    """Tick until nothing pending is left (parked items stay) or `until` holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime.tick()
        pending = [i for i in owed(runtime.database_url) if i.status == outbox.PENDING]
        if (until is not None and until()) or (until is None and not pending):
            return
        time.sleep(0.05)
    left = [(i.kind, i.status, i.last_error) for i in owed(runtime.database_url)]
    raise AssertionError(f"still owed after {timeout} s: {left}")


__all__ = ["make_assessment", "make_request"]
