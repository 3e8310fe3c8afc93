"""The Slack stand-in holds Slack's documented limits itself: checked over raw HTTP, not through slack_sdk
(whose own checks must not be what makes the stand-in strict)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.triggers import TRIGGER_TTL_SECONDS, Triggers

TOKEN = "xoxb-standin-token"
CASES = "C0CASES01"
ELSEWHERE = "C0ELSEWHERE"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(channels={CASES}).start()
    yield standin
    standin.stop()


def call(slack: SlackStandIn, method: str, **args: Any) -> dict[str, Any]:
    answer = httpx.post(
        slack.base_url + method, json=args, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert answer.status_code == 200  # Slack answers refusals with 200 and ok: false
    body: dict[str, Any] = answer.json()
    return body


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(blocks: list[dict[str, Any]], title: str = "Logdive") -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks}


# -- messages -------------------------------------------------------------------------------------


def test_message_text_is_at_most_40000_characters(slack: SlackStandIn) -> None:
    assert call(slack, "chat.postMessage", channel=CASES, text="x" * 40_000)["ok"]
    refused = call(slack, "chat.postMessage", channel=CASES, text="x" * 40_001)
    assert refused == {"ok": False, "error": "msg_too_long"}


def test_a_section_text_is_at_most_3000_characters(slack: SlackStandIn) -> None:
    assert call(slack, "chat.postMessage", channel=CASES, text="t", blocks=[section("y" * 3000)])["ok"]
    refused = call(slack, "chat.postMessage", channel=CASES, text="t", blocks=[section("y" * 3001)])
    assert refused["ok"] is False and refused["error"] == "invalid_blocks"
    assert "blocks[0].text is 3001 characters; at most 3000" in refused["detail"]


def test_a_message_holds_at_most_50_blocks(slack: SlackStandIn) -> None:
    assert call(slack, "chat.postMessage", channel=CASES, text="t", blocks=[section("b")] * 50)["ok"]
    refused = call(slack, "chat.postMessage", channel=CASES, text="t", blocks=[section("b")] * 51)
    assert refused["error"] == "invalid_blocks" and "51 blocks" in refused["detail"]


def test_a_channel_the_bot_was_not_invited_to_is_refused(slack: SlackStandIn) -> None:
    refused = call(slack, "chat.postMessage", channel=ELSEWHERE, text="hello")
    assert refused == {"ok": False, "error": "not_in_channel"}
    ephemeral = call(slack, "chat.postEphemeral", channel=ELSEWHERE, user="U1", text="hello")
    assert ephemeral == {"ok": False, "error": "not_in_channel"}
    assert call(slack, "chat.postMessage", channel=CASES, text="hello")["ok"]
    assert call(slack, "chat.postMessage", channel="U0SOMEONE", text="a DM needs no invitation")["ok"]
    assert all(channel != ELSEWHERE for channel, _ in slack.messages)


# -- modals ---------------------------------------------------------------------------------------


def test_a_modal_holds_at_most_100_blocks(slack: SlackStandIn) -> None:
    fine = call(slack, "views.open", trigger_id=slack.triggers.issue(), view=modal([section("b")] * 100))
    assert fine["ok"], fine
    refused = call(slack, "views.open", trigger_id=slack.triggers.issue(), view=modal([section("b")] * 101))
    assert refused["error"] == "invalid_arguments" and "101 blocks" in refused["detail"]
    long_title = call(
        slack, "views.open", trigger_id=slack.triggers.issue(), view=modal([section("a")], "T" * 25)
    )
    assert long_title["error"] == "invalid_arguments" and "view.title" in long_title["detail"]


def test_a_trigger_is_exchanged_once(slack: SlackStandIn) -> None:
    trigger = slack.triggers.issue()
    assert call(slack, "views.open", trigger_id=trigger, view=modal([section("a")]))["ok"]
    again = call(slack, "views.open", trigger_id=trigger, view=modal([section("a")]))
    assert again == {"ok": False, "error": "exchanged_trigger_id"}


def test_triggers_expire_after_3_seconds_when_enforced() -> None:
    """Dedicated to expiry: the stand-in's trigger clock is the test's, so no real time passes."""
    now = [0.0]
    standin = SlackStandIn(trigger_ttl_seconds=TRIGGER_TTL_SECONDS).start()
    try:
        standin.triggers = Triggers(TRIGGER_TTL_SECONDS, clock=lambda: now[0])
        fresh, stale = standin.triggers.issue(), standin.triggers.issue()
        now[0] = 2.9
        assert call(standin, "views.open", trigger_id=fresh, view=modal([section("a")]))["ok"]
        now[0] = 3.1
        late = call(standin, "views.open", trigger_id=stale, view=modal([section("a")]))
        assert late == {"ok": False, "error": "expired_trigger_id"}
        made_up = call(standin, "views.open", trigger_id="1.2.abc", view=modal([section("a")]))
        assert made_up == {"ok": False, "error": "invalid_trigger_id"}
        assert len(standin.views) == 1
    finally:
        standin.stop()


def test_views_push_only_onto_an_open_modal_and_at_most_three_deep(slack: SlackStandIn) -> None:
    from_a_message = call(slack, "views.push", trigger_id=slack.triggers.issue(), view=modal([section("p")]))
    assert from_a_message["ok"] is False and from_a_message["error"] == "not_found"
    root = call(slack, "views.open", trigger_id=slack.triggers.issue(), view=modal([section("r")]))["view"]
    page = modal([section("p")])
    second = call(slack, "views.push", trigger_id=slack.triggers.issue(root["id"]), view=page)
    assert second["ok"], second
    assert second["view"]["root_view_id"] == root["id"] and second["view"]["previous_view_id"] == root["id"]
    third_id = slack.triggers.issue(second["view"]["id"])
    third = call(slack, "views.push", trigger_id=third_id, view=modal([section("3")]))
    assert third["ok"], third
    fourth_id = slack.triggers.issue(third["view"]["id"])
    fourth = call(slack, "views.push", trigger_id=fourth_id, view=modal([section("4")]))
    assert fourth == {"ok": False, "error": "push_limit_reached"}
    slack.close_view(root["id"])  # the person closed the modal: the whole stack is gone
    assert not slack.views
    closed = call(
        slack, "views.push", trigger_id=slack.triggers.issue(root["id"]), view=modal([section("p")])
    )
    assert closed["ok"] is False and closed["error"] == "not_found"
