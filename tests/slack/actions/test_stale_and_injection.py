"""Stale clicks are refused cleanly; hostile text never becomes a mention, broadcast or link."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.cases_setup import make_case
from tests.slack.harness import CSM, SUPPORT, Bot, form_values

INJECTIONS = ["<!channel>", "<!here>", "<@U123>", "<https://evil|click>", "&amp;", "*bold*", "x" * 5000]
RAW_CONTROL = ("<!channel>", "<!here>", "<@U123>", "<https://evil")


def test_a_click_on_an_old_message_is_refused(bot: Bot) -> None:
    case = make_case(bot, "eligible")
    old_value = f"{case.id}:{case.version}"
    bot.click("case.claim", old_value, user=SUPPORT, message_ts=case.slack_thread_ts)
    bot.wait(lambda: bot.case(case.id).state == "triaged")
    # The message was redrawn with the new version: its buttons no longer offer Claim.
    root = bot.slack.wait_for(
        lambda: [
            c
            for c in bot.slack.calls_to("chat.update", ok=True)
            if "triaged" in json.dumps(c.args["blocks"]).lower()
        ]
    )
    assert "case.claim" not in json.dumps(root[-1].args["blocks"])
    triaged = bot.case(case.id)
    bot.click("case.transition.investigating", old_value, user=SUPPORT, message_ts=case.slack_thread_ts)
    told = bot.slack.wait_for_call("chat.postEphemeral", lambda c: c.args["user"] == SUPPORT)
    assert "changed since you looked" in told.args["text"]
    assert bot.case(case.id).version == triaged.version
    assert bot.events(case.id)[-1].kind == "stale"


def _mrkdwn_texts(node: Any) -> list[str]:
    """Every string Slack would parse as mrkdwn: mrkdwn text objects and top-level `text` arguments."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node.get("text", ""))
        for value in node.values():
            found.extend(_mrkdwn_texts(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_mrkdwn_texts(value))
    return found


def test_injection_strings_in_every_text_field_stay_literal(bot: Bot) -> None:
    for text in INJECTIONS:
        view_id = bot.open_intake()
        if not text.startswith("x"):  # identifiers refuse markup outright, on their own fields
            refused = bot.submit(form_values(namespace=text, contact=text, projects=text), view_id=view_id)
            assert set(refused.json()["errors"]) >= {"customer_namespace", "requester_username", "projects"}
        # Free text is accepted and shown literally.
        bot.submit(form_values(description=text[:3000], ticket=text[:200]), view_id=view_id)
    bot.wait(lambda: len([c for c in bot.cases() if c.slack_thread_ts]) == len(INJECTIONS))
    for case in bot.cases():
        bot.click("case.log_update", f"{case.id}:{case.version}", user=CSM, message_ts=case.slack_thread_ts)
    bot.wait(lambda: len(bot.slack.calls_to("views.open")) >= 2 * len(INJECTIONS))
    for call in bot.slack.calls:
        texts = _mrkdwn_texts(call.args.get("blocks")) + _mrkdwn_texts(call.args.get("view"))
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            texts.append(call.args.get("text") or "")
        for text in texts:
            assert not any(raw in text for raw in RAW_CONTROL), (call.method, text[:200])
    # The description went out as plain text, whole, and the '&amp;' stayed as typed.
    posted = [c for c in bot.slack.calls_to("chat.postMessage") if not c.args.get("thread_ts")]
    plain = [
        b["text"]["text"]
        for c in posted
        for b in c.args["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("type") == "plain_text"
    ]
    assert set(INJECTIONS[:-1]) <= set(plain)
    assert "x" * 3000 in plain  # the longest description allowed, whole, within the 3000-character limit
    tickets = [
        f["text"]
        for c in posted
        for b in c.args["blocks"]
        for f in b.get("fields") or []
        if f["text"].startswith("*Ticket*")
    ]
    assert "*Ticket*\n&amp;amp;" in tickets and "*Ticket*\n&lt;!channel&gt;" in tickets
