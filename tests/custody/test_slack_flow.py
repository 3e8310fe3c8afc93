"""The second half of a case through the Slack stand-in: card → submit → Security key → Legal key → share →
download once; a second download refused; a new version voids the keys."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from bot.artefacts import service
from bot.cases import SYSTEM
from bot.db.engine import session_scope
from bot.db.models import ArtefactApproval, OutboxItem
from tests.custody.conftest import (
    GRID_U,
    GRID_W,
    LEGAL,
    OWNER,
    PUBLIC_URL,
    SIRT,
    investigating_case,
    store,
    vault,
)
from tests.slack.harness import Bot
from workflows.states import Role


def card_for(bot: Bot, artefact_id: int, *, showing: str | None = None) -> dict[str, Any]:
    """The artefact's card as the channel shows it now (waiting until it shows `showing`)."""

    def current() -> dict[str, Any] | None:
        for message in list(bot.slack.messages.values()):
            blocks = message.get("blocks") or []
            if any(
                b.get("type") == "header" and f"artefact {artefact_id} " in b["text"]["text"] for b in blocks
            ) and (showing is None or showing in str(blocks)):
                return message
        return None

    return bot.wait(current)


def button(message: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    return None


def click(bot: Bot, message: dict[str, Any], action_id: str, user: str) -> None:
    found = button(message, action_id)
    assert found is not None, (action_id, [b.get("elements") for b in message["blocks"]])
    response = bot.click(action_id, found["value"], user=user, message_ts=message["ts"])
    assert response.status_code == 200


def told(bot: Bot, user: str, after: int) -> str:
    calls = bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[after:] if c.args["user"] == user]
    )
    return str(calls[-1].args["text"])


def state(bot: Bot, case_id: int) -> str:
    return bot.case(case_id).state


def test_run_review_share_and_download_once(bot: Bot, artefact_dir: Path) -> None:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id, data=b'{"event": "token_created"}\n')
    card = card_for(bot, artefact.id, showing="Submit for review")
    text = str(card["blocks"])
    # The card shows the full SHA-256, entries kept and redactions by kind, and nothing to approve yet.
    assert artefact.sha256 in text and "Entries kept" in text and "ip: 1" in text
    assert button(card, "artefact.approve.sirt") is None and button(card, "artefact.share") is None
    assert card["thread_ts"] == bot.case(case_id).slack_thread_ts

    click(bot, card, "artefact.submit", OWNER)
    card = card_for(bot, artefact.id, showing="Approve as Security")
    bot.wait(lambda: state(bot, case_id) == "artefacts_in_review")
    click(bot, card, "artefact.approve.sirt", SIRT)
    card = card_for(bot, artefact.id, showing="Security key*: <@")
    assert (
        button(card, "artefact.approve.sirt") is None and button(card, "artefact.approve.legal") is not None
    )
    assert state(bot, case_id) == "artefacts_in_review"
    click(bot, card, "artefact.approve.legal", LEGAL)
    card = card_for(bot, artefact.id, showing="Share with customer")
    bot.wait(lambda: state(bot, case_id) == "artefacts_approved")

    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.share", OWNER)
    message = told(bot, OWNER, before)
    assert f"{PUBLIC_URL}/artefacts/download/" in message
    path = message.split(PUBLIC_URL, 1)[1].split(" ", 1)[0]
    # Nobody else was told the link.
    links = [c for c in bot.slack.calls if "/artefacts/download/" in str(c.args)]
    assert {c.method for c in links} == {"chat.postEphemeral"} and {c.args["user"] for c in links} == {OWNER}

    with httpx.Client(base_url=bot.url) as http:
        page = http.get(path)
        assert page.status_code == 200
        assert (
            f"LD-{case_id}" in page.text and "LD-extract.jsonl" in page.text and artefact.sha256 in page.text
        )
        got = http.post(path)
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        assert zipfile.ZipFile(io.BytesIO(got.content)).read(f"{artefact.id}-v1-LD-extract.jsonl") == (
            b'{"event": "token_created"}\n'
        )
        again = http.post(path)
        assert again.status_code == 410 and "was used on" in again.text
    assert state(bot, case_id) == "shared"
    kinds = [e.kind for e in bot.events(case_id)]
    assert kinds.count("artefacts_exported") == 1 and kinds.count("refused") == 1
    with session_scope(bot.database_url) as session:
        notes = [
            i.payload.get("body", "")
            for i in session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
            if i.case_id == case_id
        ]
    handed = [n for n in notes if "Handed over to the customer" in n]
    assert len(handed) == 1 and artefact.sha256 in handed[0] and OWNER in handed[0]


def test_a_new_version_voids_both_keys_and_an_old_card_gives_no_key(bot: Bot, artefact_dir: Path) -> None:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id)
    card = card_for(bot, artefact.id, showing="Submit for review")
    click(bot, card, "artefact.submit", OWNER)
    old = card_for(bot, artefact.id, showing="Approve as Security")
    click(bot, old, "artefact.approve.sirt", SIRT)
    card = card_for(bot, artefact.id, showing="Security key*: <@")
    click(bot, card, "artefact.approve.legal", LEGAL)
    bot.wait(lambda: state(bot, case_id) == "artefacts_approved")

    with session_scope(bot.database_url) as session:
        service.add_version(
            session, vault(artefact_dir), artefact.id, data=b"a second version\n", actor=SYSTEM,
            roles={Role.SYSTEM}, now=datetime.now(UTC), policy=bot.runtime.policy.retention,
        )  # fmt: skip
    bot.wait(lambda: state(bot, case_id) == "artefacts_in_review")
    card = card_for(bot, artefact.id, showing="New version: submit it for review")
    assert button(card, "artefact.share") is None and "*Version*\\n2" in str(card["blocks"])

    # A click on the old card's button is for version 1: refused, recorded, nothing given.
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, old, "artefact.approve.legal", GRID_U)
    assert "Nothing changed" in told(bot, GRID_U, before)
    with session_scope(bot.database_url) as session:
        rows = session.exec(select(ArtefactApproval).where(ArtefactApproval.artefact_id == artefact.id)).all()
        assert sorted((r.version, r.role) for r in rows) == [(1, "legal"), (1, "sirt")]

    # Resubmitted: the Security key by one id of GRID, the Legal key by their other id: one person.
    click(bot, card, "artefact.submit", OWNER)
    card = card_for(bot, artefact.id, showing="Approve as Security")
    click(bot, card, "artefact.approve.sirt", GRID_U)
    card = card_for(bot, artefact.id, showing="Security key*: <@W0GRID001>")
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.approve.legal", GRID_W)
    assert "already gave the sirt key" in told(bot, GRID_W, before)
    assert state(bot, case_id) == "artefacts_in_review"
    refusals = [e for e in bot.events(case_id) if e.kind in ("refused", "unauthorised", "stale")]
    assert [e.actor for e in refusals][-2:] == [GRID_W, GRID_W]  # recorded as the person, whichever id
