""" "Run log-dive" from the case thread: the owner's click, the background run, its progress message,
the sealed outputs as cards; a missing source says so and changes nothing else; nobody else may run it."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from bot.artefacts import service
from bot.db.engine import session_scope
from bot.sandbox.slack import SlackStandIn
from tests.custody.conftest import KEY_RING, NOBODY, OWNER, SIRT, SUP2, investigating_case
from tests.gitlab_issues.conftest import World
from tests.slack.harness import Bot, FactsDirectory, start_bot, stop_bot


def audit_line(when: datetime, path: str, event: str = "member_updated") -> bytes:
    return orjson.dumps(
        {
            "severity": "INFO", "time": when.isoformat(), "created_at": when.isoformat(),
            "correlation_id": "",
            "author_id": 17, "author_name": "alice-acme", "entity_id": 31, "entity_type": "Project",
            "entity_path": path, "target_id": 5, "target_type": "User", "target_details": "bob-acme",
            "event_name": event, "ip_address": "198.51.100.7",
        }
    )  # fmt: skip


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """One day's audit log inside the case window: two lines for the customer, one for another tenant."""
    day = datetime.now(UTC) - timedelta(days=2)
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [
        audit_line(day, "acme-corp/api"),
        audit_line(day, "beta-inc/secret"),
        audit_line(day, "acme-corp/api"),
    ]
    (folder / f"audit-{day.date().isoformat()}.log").write_bytes(b"\n".join(lines) + b"\n")
    return folder


@pytest.fixture(params=["present", "missing"])
def bot(request: pytest.FixtureRequest, database_url: str, slack_standin: SlackStandIn, tmp_path: Path,
        logs: Path, world: World) -> Iterator[Bot]:  # fmt: skip
    state = world.standin.state
    state.add_project("acme-corp/api")  # GitLab resolves the scope's ids when the run starts
    state.add_token("glpat-standin", state.user_for_token(world.standin.token))  # the bot's token
    present = {"audit_json": str(logs / "audit-{date}.log")}
    sources = present if request.param == "present" else {"audit_json": str(logs / "nothing-here-{date}.log")}
    running, server, thread = start_bot(
        database_url, slack_standin, FactsDirectory(), artefact_key=KEY_RING, artefact_dir=tmp_path / "store",
        log_sources=sources, gitlab_url=world.standin.url,
    )  # fmt: skip
    running.sources_present = request.param == "present"  # type: ignore[attr-defined]
    yield running
    stop_bot(running, server, thread)


def run_button(bot: Bot, case_id: int) -> tuple[str, str]:
    """The case message's "Run log-dive" button value, once the message shows it, and the thread's ts."""

    def root() -> dict | None:
        case = bot.case(case_id)
        message = bot.slack.messages.get((case.slack_channel, case.slack_thread_ts)) or {}
        return message if "Run log-dive" in str(message.get("blocks")) else None

    found = bot.wait(root)
    value = next(
        e["value"]
        for b in found["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == "case.run_logdive"
    )
    return value, str(bot.case(case_id).slack_thread_ts)


def test_run_logdive_from_the_thread(bot: Bot, logs: Path) -> None:
    case_id = investigating_case(bot)
    value, thread = run_button(bot, case_id)

    # Someone else than the owner: refused, recorded, told; nothing runs.
    ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
    bot.click("case.run_logdive", value, user=SUP2, message_ts=thread)
    told = bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[ephemerals:] if c.args["user"] == SUP2]
    )
    assert "run extract is for the case owner" in told[0].args["text"]
    assert [e.kind for e in bot.events(case_id)][-1] == "unauthorised"

    started = datetime.now(UTC)
    response = bot.click("case.run_logdive", value, user=OWNER, message_ts=thread)
    assert response.status_code == 200  # acknowledged; the run goes on in the background
    outcome = bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.update") if "Log-dive for" in str(c.args.get("text"))
                 and ("done" in c.args["text"] or "failed" in c.args["text"])],
        timeout=30,
    )  # fmt: skip
    text = outcome[-1].args["text"]
    kinds = [e.kind for e in bot.events(case_id)]
    with session_scope(bot.database_url) as session:
        stored = service.list_artefacts(session, case_id)
    if bot.sources_present:  # type: ignore[attr-defined]
        assert "done" in text and "2 entries kept" in text and "1 artefact(s) sealed" in text
        [run] = [e for e in bot.events(case_id) if e.kind == "extract_run"]
        [source] = list(logs.iterdir())
        assert run.data["operator"] == OWNER
        assert run.data["inputs"][0]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        [summary] = stored
        assert summary.kind == "automated_analysis" and summary.submitted_sha256 is None  # unreviewed
        assert summary.details == {"entries_kept": 2, "redactions": summary.details["redactions"]}
        # Its card arrives in the thread.
        bot.wait(lambda: [m for m in bot.slack.messages.values() if m.get("thread_ts") == thread
                          and f"artefact {summary.id} " in str(m.get("blocks"))])  # fmt: skip
    else:
        assert (
            "failed: no log file exists" in text
            and "nothing-here-" in text
            and "Nothing else changed" in text
        )
        assert stored == [] and "log_dive_failed" in kinds and "extract_run" not in kinds
        assert bot.case(case_id).state == "investigating"
    # Progress redraws of the one message come at most every few seconds.
    updates = [c.at for c in bot.slack.calls_to("chat.update") if "Log-dive for" in str(c.args.get("text"))]
    progress = updates[:-1]  # the last redraw is the outcome, which is never held back
    assert all(b - a >= 2.9 for a, b in itertools.pairwise(progress))
    assert datetime.now(UTC) >= started


def test_progress_is_redrawn_at_most_every_interval() -> None:
    """However often the scanner reports, the thread message is redrawn at most once per interval."""
    import asyncio
    import time

    from bot.slack.flows.logdive import ThreadProgress

    async def scenario() -> tuple[float, int, int]:
        shown: list[str] = []

        async def show(text: str) -> None:
            shown.append(text)

        began = time.monotonic()
        progress = ThreadProgress(show, asyncio.get_running_loop(), "LD-1", every=0.2)
        progress.start(10_000_000)
        reports = 0

        def scan() -> None:
            nonlocal reports
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                progress.advance(1000)
                reports += 1

        await asyncio.to_thread(scan)
        elapsed = time.monotonic() - began
        await asyncio.sleep(0.1)
        return elapsed, reports, len(shown)

    elapsed, reports, shown = asyncio.run(scenario())
    assert 1 <= shown <= elapsed / 0.2 + 1 < reports


@pytest.mark.parametrize("bot", ["present"], indirect=True)
def test_a_findings_report_from_the_extracts_card(bot: Bot, logs: Path) -> None:
    """ "Build findings report" on the sealed summary's card: two new artefacts (HTML and PDF), unreviewed,
    bound to that summary's SHA-256; someone without a role builds nothing."""
    from tests.custody.test_slack_flow import card_for, click

    case_id = investigating_case(bot)
    value, thread = run_button(bot, case_id)
    bot.click("case.run_logdive", value, user=OWNER, message_ts=thread)
    bot.wait(lambda: [e for e in bot.events(case_id) if e.kind == "extract_run"], timeout=30)
    with session_scope(bot.database_url) as session:
        [summary] = service.list_artefacts(session, case_id)
    card = card_for(bot, summary.id, showing="Build findings report")

    ephemerals = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.report", NOBODY)
    bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[ephemerals:] if c.args["user"] == NOBODY]
    )
    click(bot, card, "artefact.report", SIRT)
    told = bot.wait(
        lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[ephemerals:] if c.args["user"] == SIRT],
        timeout=60,
    )
    assert "Findings report of" in told[-1].args["text"] and "two keys" in told[-1].args["text"]
    with session_scope(bot.database_url) as session:
        stored = {a.name: a for a in service.list_artefacts(session, case_id)}
    label = f"LD-{case_id}"
    html, pdf = stored[f"{label}-report.html"], stored[f"{label}-report.pdf"]
    assert {html.kind, pdf.kind} == {"automated_analysis"} and html.submitted_sha256 is None
    [built] = [e for e in bot.events(case_id) if e.kind == "report_built"]
    assert summary.sha256 in str(built.data)
    assert len(stored) == 3  # the person without a role built nothing
