"""Erase case from the thread: SIRT or Legal, confirmed in a modal; the case ends and what Logdive wrote in
the thread (the case message, its replies, the artefact cards) no longer holds the customer's details."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import col, select

from bot.db.engine import session_scope
from bot.db.models import ScheduledWork
from tests.custody.conftest import CSM, LEGAL, investigating_case, store
from tests.slack.harness import Bot

CUSTOMER = ("acme-corp", "alice-acme", "Who made this token?", "ZD-7")


def thread_messages(bot: Bot, case_id: int) -> list[dict]:
    case = bot.case(case_id)
    home = case.slack_thread_ts
    return [
        m for (channel, ts), m in list(bot.slack.messages.items())
        if channel == case.slack_channel and home in (ts, m.get("thread_ts"))
    ]  # fmt: skip


def test_erase_case_in_the_thread(bot: Bot, artefact_dir: Path) -> None:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id)
    bot.wait(
        lambda: any(f"artefact {artefact.id} " in str(m.get("blocks")) for m in thread_messages(bot, case_id))
    )
    bot.wait(lambda: len(thread_messages(bot, case_id)) >= 5)  # the case message, four replies, the card
    assert any(word in str(thread_messages(bot, case_id)) for word in CUSTOMER)
    case = bot.case(case_id)
    value = f"{case.id}:{case.version}"

    # A CSM may not: refused before any form opens, recorded, told to them alone.
    ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
    bot.click("case.erase", value, user=CSM, message_ts=case.slack_thread_ts)
    told = bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[ephemerals:] if c.args["user"] == CSM]
    )
    assert "Nothing changed" in told[0].args["text"] and "erase needs" in told[0].args["text"]
    assert bot.case(case_id).erased_at is None and bot.events(case_id)[-1].kind == "unauthorised"
    assert not [c for c in bot.slack.calls_to("views.open") if c.args["view"]["callback_id"] == "case_erase"]

    bot.click("case.erase", value, user=LEGAL, message_ts=case.slack_thread_ts)
    opened = bot.slack.wait_for_call("views.open", lambda c: c.args["view"]["callback_id"] == "case_erase")
    assert json.loads(opened.args["view"]["private_metadata"])["case_id"] == case_id
    bot.submit(
        {"reason": {"reason": {"type": "plain_text_input", "value": "Customer request ZD-99"}}},
        view_id=opened.response["view"]["id"], user=LEGAL, callback_id="case_erase",
        private_metadata=opened.args["view"]["private_metadata"],
    )  # fmt: skip
    bot.wait(lambda: bot.case(case_id).erased_at is not None)
    erased = bot.case(case_id)
    assert erased.state == "cancelled" and erased.closed_at is not None  # ended: no clock, no more work
    with session_scope(bot.database_url) as session:
        pending = session.exec(
            select(ScheduledWork).where(
                ScheduledWork.case_id == case_id, col(ScheduledWork.status) == "pending"
            )
        ).all()
    assert pending == []

    def clean() -> bool:
        messages = thread_messages(bot, case_id)
        text = str(messages)
        replies = [m for m in messages if m.get("thread_ts") and "rtefact" not in str(m.get("blocks"))]
        return not any(word in text for word in CUSTOMER) and all(":wastebasket:" in str(m) for m in replies)

    bot.wait(clean, timeout=15)
    messages = thread_messages(bot, case_id)
    root = next(m for m in messages if m.get("thread_ts") is None)
    assert ":wastebasket:" in str(root["blocks"]) and "case.erase" not in str(root["blocks"])
    # Every reply Logdive wrote is a tombstone now; those posted before the erasure say who and why.
    card = [m for m in messages if f"Artefact {artefact.id} of" in str(m.get("blocks"))]
    assert len(card) == 1 and "was deleted" in str(card[0]["blocks"])
    replies = [m for m in messages if m.get("thread_ts") and m not in card]
    assert len(replies) >= 4 and all(":wastebasket:" in str(m["blocks"]) for m in replies)
    assert any(
        "by <@U0LEGAL01>" in str(m["blocks"]) and "Customer request ZD-99" in str(m["blocks"])
        for m in replies
    )
