"""Every artefact-card action × every role, plus the case owner (also the submitter), another member of
the owner's team, the case's filer, the exception's requester, nobody, and one person holding both keys'
roles clicking by their Enterprise Grid id: allowed clicks change the artefact, every other click changes
nothing, is recorded, and is told to the clicker alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.artefacts import service
from bot.db.engine import session_scope
from bot.db.models import Artefact, ArtefactApproval, ArtefactDownload, Case
from tests.custody.conftest import (
    CSM,
    FILER,
    GRID_W,
    LEGAL,
    NOBODY,
    OWNER,
    REQUESTER,
    SIRT,
    SUP2,
    investigating_case,
    store,
)
from tests.slack.harness import CASE_CHANNEL, Bot
from workflows.review import Person, Subject
from workflows.states import Role

PEOPLE = {
    "owner_and_submitter": OWNER,
    "support_not_owner": SUP2,
    "sirt": SIRT,
    "legal": LEGAL,
    "csm": CSM,
    "filer": FILER,
    "exception_requester": REQUESTER,
    "nobody": NOBODY,
    "sirt_and_legal_by_w_id": GRID_W,
}
# action -> (the artefact's state before the click, the modal it opens, who may)
ACTIONS: dict[str, tuple[str, str | None, set[str]]] = {
    "artefact.submit": ("stored", None, {"owner_and_submitter"}),
    "artefact.approve.sirt": ("submitted", None, {"sirt", "sirt_and_legal_by_w_id"}),
    "artefact.approve.legal": ("submitted", None, {"legal", "sirt_and_legal_by_w_id"}),
    "artefact.deny": ("submitted", "artefact_deny", {"sirt", "legal", "sirt_and_legal_by_w_id"}),
    "artefact.share": ("approved", None, {"owner_and_submitter"}),
    "artefact.extend": ("stored", "artefact_extend", {"legal", "sirt_and_legal_by_w_id"}),
    "artefact.erase": ("stored", "artefact_erase", {"sirt", "legal", "sirt_and_legal_by_w_id"}),
}


def prepared(bot: Bot, artefact_dir: Path, how: str) -> tuple[int, Artefact]:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id)
    now = datetime.now(UTC)
    seen = Subject(case_id, artefact.id or 0, artefact.version, artefact.sha256)
    with session_scope(bot.database_url) as session:
        if how in ("submitted", "approved"):
            service.submit_for_review(
                session, seen.artefact_id, actor=Person(OWNER), roles={Role.SUPPORT}, now=now
            )
        if how == "approved":
            service.approve(
                session, seen.artefact_id, actor=Person(SIRT), roles={Role.SIRT}, now=now, seen=seen
            )
            service.approve(
                session, seen.artefact_id, actor=Person(LEGAL), roles={Role.LEGAL}, now=now, seen=seen
            )
    return case_id, artefact


def snapshot(bot: Bot, case_id: int, artefact_id: int) -> tuple[Any, ...]:
    with session_scope(bot.database_url) as session:
        case = session.get(Case, case_id)
        artefact = session.get(Artefact, artefact_id)
        assert case is not None and artefact is not None
        keys = session.exec(
            select(ArtefactApproval.id).where(ArtefactApproval.artefact_id == artefact_id)
        ).all()
        links = session.exec(
            select(ArtefactDownload.id).where(col(ArtefactDownload.case_id) == case_id)
        ).all()
        return (
            case.state, case.version, artefact.submitted_sha256, artefact.expires_at, artefact.deleted_at,
            artefact.customer_must_be_told, len(keys), len(links),
        )  # fmt: skip


def form_values(callback: str) -> dict[str, Any]:
    values: dict[str, Any] = {"reason": {"reason": {"type": "plain_text_input", "value": "Because of ZD-1."}}}
    if callback == "artefact_extend":
        until = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
        values["until"] = {"until": {"type": "datepicker", "selected_date": until}}
        values["customer_told"] = {"customer_told": {"type": "checkboxes", "selected_options": []}}
    return values


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_custody_role_matrix(bot: Bot, artefact_dir: Path, action: str) -> None:
    how, form, allowed = ACTIONS[action]
    for who, user in PEOPLE.items():
        case_id, artefact = prepared(bot, artefact_dir, how)
        value = f"{artefact.id}:{artefact.version}:{artefact.sha256}"
        before = snapshot(bot, case_id, artefact.id or 0)
        events_before = len(bot.events(case_id))
        ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
        bot.click(action, value, user=user, message_ts="1700000000.000100", channel=CASE_CHANNEL)
        if who in allowed:
            if form:
                opened = bot.slack.wait_for_call(
                    "views.open",
                    lambda c, v=value, f=form: (
                        c.args["view"]["callback_id"] == f
                        and json.loads(c.args["view"]["private_metadata"])["value"] == v
                    ),
                )
                bot.submit(
                    form_values(form), view_id=opened.response["view"]["id"], user=user, callback_id=form,
                    private_metadata=opened.args["view"]["private_metadata"],
                )  # fmt: skip
            bot.wait(lambda c=case_id, a=artefact.id, b=before: snapshot(bot, c, a) != b)
            mine = [e for e in bot.events(case_id)[events_before:] if e.actor == user]
            assert mine and mine[0].kind.startswith(("artefact", "download", "retention")), (
                action,
                who,
                mine,
            )
        else:
            told = bot.slack.wait_for(
                lambda n=ephemerals, u=user: [
                    c for c in bot.slack.calls_to("chat.postEphemeral")[n:] if c.args["user"] == u
                ]
            )
            assert "Nothing changed" in told[0].args["text"], (action, who)
            assert snapshot(bot, case_id, artefact.id or 0) == before, (action, who)
            refusals = [
                e for e in bot.events(case_id)[events_before:] if e.kind in ("unauthorised", "refused")
            ]
            assert [e.actor for e in refusals] == [user], (action, who, refusals)
            assert not [c for c in bot.slack.calls_to("views.open")[-1:] if c.args["view"]["private_metadata"]
                        and json.loads(c.args["view"]["private_metadata"]).get("value") == value]  # fmt: skip
