"""A data leak end to end through the Slack stand-in: signed requests into the running bot, deletions
checked against a local S3 (moto server mode)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from bot.db.engine import session_scope
from bot.db.models import OutboxItem
from bot.leak.models import LeakThirdParty
from bot.sandbox.slack import SlackStandIn
from tests.gitlab_issues.conftest import GAP_PROJECT, World, settings_for
from tests.slack.harness import (
    CASE_CHANNEL,
    CSM,
    LEGAL,
    NOBODY,
    SIRT,
    SUPPORT,
    Bot,
    FactsDirectory,
    start_bot,
    stop_bot,
)

A = "s3://telemetry/acme/a/"
B = "s3://telemetry/acme/b/"


def _text(block: str, value: str) -> dict[str, Any]:
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def _report_values(locations: str) -> dict[str, Any]:
    return {
        **_text("customer_namespace", "acme-corp"),
        **_text("contact", "Jane Roe <jane@acme.example>"),
        "category": {"category": {"type": "static_select", "selected_option": {"value": "personal_data"}}},
        **_text("locations", locations),
        "first_exported": {"first_exported": {"type": "datepicker", "selected_date": "2026-11-02"}},
        **_text("ticket_reference", "ZD-4711"),
        **_text("description", "our users' e-mails are in your telemetry"),
    }


def _value(bot: Bot, case_id: int, index: int | None = None) -> str:
    version = bot.case(case_id).version
    return f"{case_id}:{version}" + (f":{index}" if index is not None else "")


def _click(bot: Bot, case_id: int, action: str, user: str, index: int | None = None) -> None:
    ts = bot.case(case_id).slack_thread_ts
    assert (
        bot.click(f"leak:{action}", _value(bot, case_id, index), user=user, message_ts=ts).status_code == 200
    )


def _modal(
    bot: Bot, case_id: int, action: str, user: str, values: dict[str, Any], index: int | None = None
) -> int:
    """Click, wait for the modal Slack opens, submit it as `user`; the number of steps recorded after."""
    before = len(bot.slack.calls_to("views.open"))
    _click(bot, case_id, action, user, index)
    opened = bot.wait(lambda: bot.slack.calls_to("views.open")[before:])[0]
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "leak_step"
    response = bot.submit(
        values,
        view_id=str(opened.response["view"]["id"]),
        user=user,
        callback_id="leak_step",
        private_metadata=view["private_metadata"],
    )
    assert response.status_code == 200, response.text


def _steps(bot: Bot, case_id: int) -> list[str]:
    return [e.data["action"] for e in bot.events(case_id) if e.kind == "leak_step"]


def _wait_steps(bot: Bot, case_id: int, count: int) -> None:
    bot.wait(lambda: len(_steps(bot, case_id)) >= count, timeout=15)


@pytest.fixture
def gl_bot(database_url: str, slack_standin: SlackStandIn, world: World) -> Iterator[Bot]:
    """The bot with GitLab configured: the SIRT issue and the improvement go to the GitLab stand-in."""
    gitlab = settings_for(world, database_url, leak_improvement_project=GAP_PROJECT)
    world.standin.state.add_token("glpat-standin", world.standin.bot)  # the harness's token, as the bot
    overrides = {
        name: getattr(gitlab, name)
        for name in (
            "gitlab_url",
            "sirt_project",
            "sirt_group_handle",
            "gap_marker_secret",
            "leak_improvement_project",
            "gitlab_timeout_seconds",
            "gitlab_max_retries",
        )
    }
    running, server, thread = start_bot(database_url, slack_standin, FactsDirectory(), **overrides)
    yield running
    stop_bot(running, server, thread)


def test_a_leak_from_report_to_closed(gl_bot: Bot, s3: Any, world: World) -> None:
    bot = gl_bot
    for key in ("acme/a/1.json", "acme/a/2/3.json", "acme/b/4.json"):
        s3.pipe(f"telemetry/{key}", b"{}")

    # Only the case-handling roles open the form; the refusal is recorded.
    bot.command("leak", user=NOBODY)
    bot.wait(lambda: [e for e in bot.events() if e.data.get("action") == "leak.open"])
    assert bot.slack.calls_to("views.open") == []

    bot.command("leak", user=CSM, trigger_id="trig-leak")
    opened = bot.slack.wait_for_call("views.open", lambda c: c.args.get("trigger_id") == "trig-leak")
    view_id = str(opened.response["view"]["id"])
    bad = bot.submit(_report_values("https://files.example/x"), view_id=view_id, callback_id="leak_report")
    assert bad.json()["response_action"] == "errors"
    assert "object-storage URL" in bad.json()["errors"]["locations"]
    assert bot.cases() == []

    good = bot.submit(_report_values(f"{A}\n{B}\nDatadog"), view_id=view_id, callback_id="leak_report")
    assert good.status_code == 200
    [case] = bot.wait(lambda: [c for c in bot.cases() if c.slack_thread_ts])
    case_id = case.id
    assert (case.type, case.state, case.slack_channel) == ("data_leak", "leak_reported", CASE_CHANNEL)

    _click(bot, case_id, "triage", SUPPORT)  # SIRT triages: Support's click changes nothing, and shows
    bot.wait(lambda: [e for e in bot.events(case_id) if e.kind == "unauthorised"])
    assert bot.case(case_id).state == "leak_reported"
    _click(bot, case_id, "triage", SIRT)
    _wait_steps(bot, case_id, 1)

    identify = {
        **_text("storage", f"{A} | diagnostics with e-mails\n{B} | metrics labels"),
        **_text("third_parties", "Datadog | log copies"),
    }
    _modal(bot, case_id, "identify", SUPPORT, identify)
    _wait_steps(bot, case_id, 2)

    _modal(bot, case_id, "delete", SUPPORT, _text("confirm", A), index=0)
    _wait_steps(bot, case_id, 3)
    assert s3.find("telemetry/acme/a/") == [] and s3.exists("telemetry/acme/b/4.json")

    _modal(bot, case_id, "delete", SUPPORT, _text("confirm", "yes"), index=1)  # not the location: refused
    bot.wait(lambda: [e for e in bot.events(case_id) if e.kind == "refused"])
    assert s3.exists("telemetry/acme/b/4.json")
    # Told to the person alone (a direct message: a modal has no channel to answer in).
    bot.slack.wait_for_call(
        "chat.postMessage", lambda c: c.args.get("channel") == SUPPORT and "did not name" in str(c.args)
    )

    _modal(bot, case_id, "delete", SIRT, _text("confirm", B), index=1)
    _wait_steps(bot, case_id, 4)
    assert s3.find("telemetry/acme/b/") == []

    _modal(bot, case_id, "request_third_party_deletion", LEGAL, _text("text", "Datadog | DD-REQ-17"))
    _wait_steps(bot, case_id, 5)
    _modal(bot, case_id, "confirm_third_party", LEGAL, _text("text", "Datadog | DD-DONE-17"))
    _wait_steps(bot, case_id, 6)
    assert bot.case(case_id).state == "leak_deleted"

    _modal(bot, case_id, "record_root_cause", SIRT, _text("text", "debug logging exported user e-mails"))
    _wait_steps(bot, case_id, 7)
    area = {"area": {"area": {"type": "static_select", "selected_option": {"value": "redaction"}}}}
    _modal(bot, case_id, "file_improvement", SIRT, area)
    _wait_steps(bot, case_id, 8)
    [public] = world.gap_issues()
    assert not public.confidential and public.title == "Exported data is not redacted (personal data)"
    text = f"{public.title}\n{public.description}".lower()
    for secret in ("acme", "jane", "roe", "zd-4711", "telemetry", "datadog", "e-mails"):
        assert secret not in text
    assert "2 object-storage location(s) and 1 third-party system(s)" in public.description
    [sirt_issue] = world.sirt_issues()
    assert "acme-corp" in sirt_issue.description and sirt_issue.confidential
    _modal(bot, case_id, "tell_customer", CSM, _text("text", "told Jane on ZD-4711"))
    _wait_steps(bot, case_id, 9)

    _click(bot, case_id, "close", SIRT)  # personal data: Legal signs off first
    bot.wait(lambda: len([e for e in bot.events(case_id) if e.kind == "refused"]) == 2)
    assert bot.case(case_id).state == "leak_customer_told"
    _modal(bot, case_id, "acknowledge_legal", LEGAL, _text("text", "DPA duties met"))
    _wait_steps(bot, case_id, 10)
    _click(bot, case_id, "close", SIRT)
    _wait_steps(bot, case_id, 11)

    final = bot.case(case_id)
    assert final.state == "leak_closed"
    steps = [e for e in bot.events(case_id) if e.kind == "leak_step"]
    deletions = [e.data["evidence"]["result"] for e in steps if e.data["action"] == "record_storage_deletion"]
    assert len(deletions) == 2 and all(r.startswith("verified empty at ") for r in deletions)
    assert {(e.actor, e.actor_role) for e in steps if e.data["action"] == "confirm_third_party"} == {
        (LEGAL, "legal")
    }
    with session_scope(bot.database_url) as session:
        party = session.exec(select(LeakThirdParty)).one()
        assert (party.request_reference, party.confirmation_reference) == ("DD-REQ-17", "DD-DONE-17")

    def message() -> str:
        return json.dumps(bot.slack.message(CASE_CHANNEL, str(final.slack_thread_ts)))

    bot.wait(lambda: "*closed*" in message())  # redrawn after the click's step is recorded
    assert "verified empty at" in message()

    # Everything owed went out: the SIRT issue, a note per step, the message redrawn; nothing parked.
    def owed() -> list[tuple[str, str, str | None]]:
        with session_scope(bot.database_url) as session:
            items = session.exec(select(OutboxItem).where(OutboxItem.status != "done")).all()
            return [(i.kind, i.status, i.last_error) for i in items]

    bot.wait(lambda: not owed(), timeout=20)
    [sirt_issue] = world.sirt_issues()
    assert "status::leak_closed" in sirt_issue.labels and sirt_issue.state == "closed"
    assert len([n for n in sirt_issue.notes if " by U0" in n.body]) >= 11
