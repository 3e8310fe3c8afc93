"""The case message's Decision follows Legal's answer: "Legal exception needed" no longer once approved."""

from __future__ import annotations

from tests.slack.cases_setup import make_case
from tests.slack.harness import CASE_CHANNEL, LEGAL, Bot


def decision_shown(bot: Bot, ts: str) -> str:
    blocks = bot.slack.message(CASE_CHANNEL, ts)["blocks"]
    fields = [f["text"] for b in blocks for f in b.get("fields") or []]
    return next(f for f in fields if f.startswith("*Decision*")).split("\n", 1)[1]


def test_the_decision_reads_eligible_after_the_exception_is_approved(bot: Bot) -> None:
    case = make_case(bot, "pending")
    assert case.slack_thread_ts is not None
    assert decision_shown(bot, case.slack_thread_ts) == "Legal exception requested"
    bot.click(
        "case.approve_exception", f"{case.id}:{case.version}", user=LEGAL, message_ts=case.slack_thread_ts
    )
    bot.wait(lambda: decision_shown(bot, case.slack_thread_ts) == "Eligible after a Legal exception")
    assert bot.case(case.id).decision == "exception_required"  # the intake decision stays on record


def test_an_exception_not_yet_asked_for_is_still_needed(bot: Bot) -> None:
    case = make_case(bot, "exception")
    assert case.slack_thread_ts is not None
    assert decision_shown(bot, case.slack_thread_ts) == "Legal exception needed"
