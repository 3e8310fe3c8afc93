"""Acknowledgements first: follow-up work waits in a bounded queue, and when it is full the person is
told to try again in the acknowledgement itself, at once, instead of the work piling up."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.sandbox.slack import SlackStandIn
from bot.slack.busy import BUSY
from tests.slack.harness import CSM, SIRT, TEAM, Bot, FactsDirectory, form_values, start_bot, stop_bot
from workflows.facts import DirectoryFacts
from workflows.request import LogDiveRequest


class HeldDirectory(FactsDirectory):
    """GitLab that answers only when the test lets it: the one worker stays busy until then."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def facts_for(self, request: LogDiveRequest) -> DirectoryFacts:
        self.calls += 1
        assert self.release.wait(60)
        return super().facts_for(request)


@pytest.fixture
def busy_bot(database_url: str, slack_standin: SlackStandIn) -> Iterator[tuple[Bot, HeldDirectory]]:
    directory = HeldDirectory()
    running, server, thread = start_bot(
        database_url, slack_standin, directory, follow_up_workers=1, follow_up_queue=1
    )
    try:
        yield running, directory
    finally:
        directory.release.set()
        stop_bot(running, server, thread)


def submission(view_id: str, *, with_blocks: bool) -> dict[str, object]:
    view: dict[str, object] = {
        "id": view_id,
        "type": "modal",
        "callback_id": "intake",
        "hash": "h",
        "private_metadata": '{"attempt":1,"tz":"UTC"}',
        "state": {"values": form_values()},
    }
    if with_blocks:  # what Slack sends: the view's blocks with the values
        view["blocks"] = [
            {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "…"}},
            {"type": "input", "block_id": "customer_namespace", "element": {"type": "plain_text_input"}},
        ]
    return {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": CSM}, "view": view}


def test_a_full_queue_answers_busy_in_the_ack_and_keeps_what_it_took(
    busy_bot: tuple[Bot, HeldDirectory],
) -> None:
    bot, directory = busy_bot
    view_id = bot.open_intake()
    bot.wait(lambda: not bot.runtime.work.pending)
    # One submission runs (its GitLab look-up held), one waits: the queue of one is full.
    assert bot.payload(submission(view_id, with_blocks=False)).json()["response_action"] == "update"
    bot.wait(lambda: directory.calls == 1)
    assert bot.payload(submission(view_id, with_blocks=False)).json()["response_action"] == "update"
    assert bot.runtime.work.full

    # Each is answered at once, while the held look-up has not even let the second one start.
    command = bot.command("")
    assert command.status_code == 200
    assert command.json() == {"text": BUSY, "response_type": "ephemeral"}
    refused = bot.payload(submission(view_id, with_blocks=True)).json()
    assert refused == {"response_action": "errors", "errors": {"customer_namespace": BUSY}}
    click = bot.click("case.claim", "1", user=SIRT, message_ts="1700000000.000100")
    assert click.status_code == 200
    told = bot.slack.wait_for_call("response_url", lambda c: c.args.get("text") == BUSY)
    assert told.args.get("response_type") == "ephemeral"
    assert directory.calls == 1 and bot.runtime.work.full
    assert len(bot.slack.calls_to("views.open")) == 1  # the busy command opened nothing

    # What was taken in is done once GitLab answers; then the bot takes work again.
    directory.release.set()
    bot.wait(lambda: not bot.runtime.work.pending, timeout=30)
    assert directory.calls >= 2  # the queued submission ran too (the same modal: the same case)
    assert len(bot.cases()) == 1
    bot.open_intake()
    assert len(bot.slack.calls_to("views.open")) == 2
