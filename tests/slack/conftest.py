"""Fixtures: the Slack stand-in, and the bot served by uvicorn against it and a fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.slack import SlackStandIn
from tests.slack.harness import CASE_CHANNEL, GROUPS, USERS, Bot, FactsDirectory, start_bot, stop_bot


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    # The bot is invited to the case channel only, as the README asks: a post anywhere else is refused.
    standin = SlackStandIn(users=USERS, usergroups=GROUPS, channels={CASE_CHANNEL}).start()
    yield standin
    standin.stop()


@pytest.fixture
def directory() -> FactsDirectory:
    return FactsDirectory()


@pytest.fixture
def bot(database_url: str, slack_standin: SlackStandIn, directory: FactsDirectory) -> Iterator[Bot]:
    running, server, thread = start_bot(database_url, slack_standin, directory)
    yield running
    stop_bot(running, server, thread)
    # Every view and message the bot sent passed the stand-in's checks, and went to a channel it is in.
    refused = ("invalid_blocks", "invalid_arguments", "not_in_channel")
    invalid = [c for c in slack_standin.calls if c.response.get("error") in refused]
    assert not invalid, [(c.method, c.response) for c in invalid]
