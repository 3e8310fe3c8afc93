"""A local S3 (moto's server mode) for the deletion checks, and a reported leak to act on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.db.engine import session_scope
from bot.leak import service
from tests.gitlab_issues.conftest import world  # noqa: F401 -- the fixture, for pytest
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from tests.local_s3 import local_s3
from workflows.leak import DataCategory
from workflows.leak_report import LeakReportForm
from workflows.states import Role

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SIRT, SUPPORT, CSM, LEGAL = (frozenset({r}) for r in (Role.SIRT, Role.SUPPORT, Role.CSM, Role.LEGAL))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A local S3 endpoint with a `telemetry` bucket; the env points boto at it. Yields an S3FileSystem."""
    with local_s3(monkeypatch, "telemetry") as (_endpoint, fs):
        yield fs


def report_form(**overrides: Any) -> LeakReportForm:
    values: dict[str, Any] = {
        "customer_namespace": "acme-corp",
        "contact": "Jane Roe",
        "category": DataCategory.CREDENTIALS,
        "storage_urls": ("s3://telemetry/acme/2026-11/",),
        "third_parties": ("Datadog",),
        "ticket_reference": "ZD-4711",
        "description": "We found our API tokens in your diagnostics export /close @everyone",
    }
    return LeakReportForm(**(values | overrides))


def reported(database_url: str, **overrides: Any) -> int:
    with session_scope(database_url) as session:
        case, created = service.report(
            session, report_form(**overrides), actor="U_CSM", roles=CSM, now=T0, idempotency_key="view:1"
        )
        assert created and case.id is not None
        return case.id


from tests.slack.conftest import bot, directory, slack_standin  # noqa: E402, F401 -- the fixtures, for pytest
