"""A claim from Slack starts the update clock in the claimer's time zone, as Slack knows it; when Slack
does not say, the team calendar's own zone is kept (never a default stood in for the owner's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.cadence_service import ROUTE_TEAMS
from bot.calendar_config import calendar_for
from bot.sandbox.slack import SlackStandIn
from tests.slack.cases_setup import make_case
from tests.slack.harness import GROUPS, SUPPORT, USERS, Bot, FactsDirectory, start_bot, stop_bot
from workflows.business_calendar import add_business_hours


@pytest.fixture(params=["Europe/Berlin", None], ids=["slack-knows-the-zone", "slack-does-not-say"])
def claimer_zone(request: pytest.FixtureRequest) -> str | None:
    return request.param


@pytest.fixture
def bot(database_url: str, claimer_zone: str | None) -> Iterator[Bot]:
    users = {**USERS, SUPPORT: {"id": SUPPORT, **({"tz": claimer_zone} if claimer_zone else {})}}
    slack = SlackStandIn(users=users, usergroups=GROUPS).start()
    running, server, thread = start_bot(database_url, slack, FactsDirectory())
    yield running
    stop_bot(running, server, thread)
    slack.stop()


def test_a_slack_claim_counts_business_hours_in_the_claimers_zone(bot: Bot, claimer_zone: str | None) -> None:
    case = make_case(bot, "eligible")
    bot.click("case.claim", f"{case.id}:{case.version}", user=SUPPORT, message_ts=case.slack_thread_ts)
    claimed = bot.wait(lambda: (c := bot.case(case.id)).triaged_at and c)
    assert claimed.owner == SUPPORT and claimed.owner_timezone == claimer_zone
    calendar = calendar_for(ROUTE_TEAMS.get(claimed.route or ""), claimer_zone)
    assert calendar.timezone == (claimer_zone or "UTC")
    assert claimed.next_update_due == add_business_hours(claimed.triaged_at, 12, calendar)
