"""A diagnostic file shared in the case thread is sealed on the case at once, unreviewed; from someone
who may not add artefacts it is refused (recorded) and never downloaded."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.artefacts import service
from bot.db.engine import session_scope
from tests.custody.conftest import CSM, OWNER, investigating_case, vault
from tests.custody.test_slack_flow import card_for, told
from tests.slack.harness import CASE_CHANNEL, TEAM, Bot


def share_file(bot: Bot, case_id: int, user: str, file_id: str, content: bytes) -> None:
    thread = bot.wait(lambda: bot.case(case_id).slack_thread_ts)
    bot.slack.add_file(file_id, f"{file_id}-diag.tar", content, user)
    body = {
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A0LOGDIVE", "event_id": f"Ev{file_id}",
        "event_time": int(time.time()),
        "event": {"type": "message", "subtype": "file_share", "channel": CASE_CHANNEL, "user": user,
                  "thread_ts": thread, "ts": f"{time.time():.6f}", "text": "", "files": [{"id": file_id}]},
    }  # fmt: skip
    assert bot.signed_post(json.dumps(body), content_type="application/json").status_code == 200


def test_a_file_shared_in_the_thread_is_sealed_unreviewed(bot: Bot, artefact_dir: Path) -> None:
    case_id = investigating_case(bot)
    content = b"diagnostic bundle \x00\x01 from the customer\n"
    share_file(bot, case_id, OWNER, "F0GOOD", content)
    [artefact] = bot.wait(lambda: _artefacts(bot, case_id))
    assert artefact.kind == "manual_analysis" and artefact.submitted_sha256 is None
    assert artefact.name == "F0GOOD-diag.tar"
    assert vault(artefact_dir).get(artefact.storage_ref, sha256=artefact.sha256) == content  # sealed as sent
    assert [e.data["source"] for e in bot.events(case_id) if e.kind == "artefact_added"] == ["slack_upload"]
    card_for(bot, artefact.id, showing="Submit for review")


def test_a_file_from_someone_who_may_not_add_is_refused_and_never_downloaded(bot: Bot) -> None:
    case_id = investigating_case(bot)
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    share_file(bot, case_id, CSM, "F0CSM", b"from a CSM")
    assert "Your file was not kept" in told(bot, CSM, before)
    assert _artefacts(bot, case_id) == []
    assert bot.events(case_id)[-1].kind == "unauthorised" and bot.events(case_id)[-1].actor == CSM
    assert bot.slack.calls_to("files-pri") == []


def _artefacts(bot: Bot, case_id: int) -> list:
    with session_scope(bot.database_url) as session:
        found = service.list_artefacts(session, case_id)
        for artefact in found:
            session.expunge(artefact)
        return found
