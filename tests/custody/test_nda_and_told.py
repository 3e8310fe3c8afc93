"""What the CSM records in the thread instead of a terminal: the case's NDA status (the case message's
select) and that the customer was told of a retention extension (the artefact card's button)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bot.artefacts import retention
from bot.db.engine import session_scope
from bot.db.models import Artefact
from tests.custody.conftest import CSM, LEGAL, NOBODY, SIRT, investigating_case, store
from tests.custody.test_slack_flow import card_for, click, told
from tests.slack.harness import CASE_CHANNEL, TEAM, Bot
from workflows.review import Person
from workflows.states import Role


def choose_nda(bot: Bot, case_id: int, status: str, user: str) -> None:
    case = bot.case(case_id)
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "api_app_id": "A0LOGDIVE",
        "trigger_id": "trigger-nda", "channel": {"id": CASE_CHANNEL},
        "container": {"type": "message", "message_ts": case.slack_thread_ts, "channel_id": CASE_CHANNEL},
        "message": {"ts": case.slack_thread_ts, "type": "message"},
        "actions": [{"action_id": "case.nda", "block_id": f"case:{case_id}", "type": "static_select",
                     "selected_option": {"value": f"{case_id}:{case.version}:{status}",
                                         "text": {"type": "plain_text", "text": status}},
                     "action_ts": str(time.time())}],
    }  # fmt: skip
    assert bot.signed_post(urlencode({"payload": json.dumps(payload)})).status_code == 200


def test_the_csm_sets_the_nda_status_others_are_refused(bot: Bot) -> None:
    case_id = investigating_case(bot)
    bot.wait(
        lambda: "case.nda" in str(bot.slack.messages.get((CASE_CHANNEL, bot.case(case_id).slack_thread_ts)))
    )
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    choose_nda(bot, case_id, "signed", SIRT)
    assert "set nda needs the csm role" in told(bot, SIRT, before)
    assert bot.case(case_id).nda_status is None and bot.events(case_id)[-1].kind == "unauthorised"
    choose_nda(bot, case_id, "signed", CSM)
    bot.wait(lambda: bot.case(case_id).nda_status == "signed")
    assert bot.events(case_id)[-1].kind == "nda_status" and bot.events(case_id)[-1].actor == CSM


def test_the_customer_told_of_an_extension(bot: Bot, artefact_dir: Path) -> None:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id)
    with session_scope(bot.database_url) as session:
        retention.extend_retention(
            session, artefact.id, until=datetime.now(UTC) + timedelta(days=40), reason="Legal hold",
            actor=Person(LEGAL), roles={Role.LEGAL}, now=datetime.now(UTC),
        )  # fmt: skip
    card = card_for(bot, artefact.id, showing="Customer told of extension")
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.customer_told", NOBODY)
    assert "Nothing changed" in told(bot, NOBODY, before)
    click(bot, card, "artefact.customer_told", CSM)

    def cleared() -> bool:
        with session_scope(bot.database_url) as session:
            row = session.get(Artefact, artefact.id)
            return row is not None and not row.customer_must_be_told

    bot.wait(cleared)
    assert [e.actor for e in bot.events(case_id) if e.kind == "retention_customer_told"] == [CSM]
