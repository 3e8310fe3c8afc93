"""No call-home: through a whole case, Logdive connects to the configured Slack, GitLab and database only.

An audit hook (sys.addaudithook) records every `socket.connect`, `socket.getaddrinfo` and
`socket.sendto` in this process, all threads included, while a case runs from `/security` through
eligibility (the GitLab stand-in answering the directory look-ups), the thread message, the claim,
the log extraction, encrypted artefacts, the two-key review, the export, retention and erasure,
with the scheduler delivering the outbox throughout. Every destination must be one of the stand-ins
on 127.0.0.1, the bot's own HTTP port (where this test plays Slack calling in) or the database.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot import cases
from bot.artefacts import erasure, export, service
from bot.artefacts.keys import KeyRing
from bot.artefacts.store import LocalDirectoryStore
from bot.artefacts.vault import Vault
from bot.cli import extract as extract_cli
from bot.clock import utc_now
from bot.db.engine import normalise_url, session_scope
from bot.gitlab.directory import directory_from_settings
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.slack import SlackStandIn
from bot.settings import Settings, get_settings
from tests.artefacts.conftest import ring_text
from tests.extract import synthetic
from tests.slack.harness import CSM, GROUPS, LEGAL, SIRT, SUPPORT, USERS, form_values, start_bot, stop_bot
from workflows.policy import RetentionPolicy
from workflows.retention import ArtefactKind
from workflows.review import Person
from workflows.states import CaseState, Role

_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.sendto"}
_recording = threading.Event()
_seen: list[tuple[str, Any]] = []
_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Cheap when not recording: the hook stays installed for the rest of the process (hooks cannot go).
    if event in _EVENTS and _recording.is_set():
        if event == "socket.getaddrinfo":
            _seen.append((event, (args[0], args[1])))
        else:
            _seen.append((event, args[1]))


@pytest.fixture
def outbound() -> Iterator[list[tuple[str, Any]]]:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    _seen.clear()
    _recording.set()
    try:
        yield _seen
    finally:
        _recording.clear()


def _gitlab() -> GitLabStandIn:
    standin = GitLabStandIn()
    standin.state.seed(
        {
            "users": [{"username": "alice-acme"}],
            "groups": [{"full_path": "acme-corp", "plan": "ultimate"}],
            "projects": [{"full_path": "acme-corp/api"}],
            "members": [{"source": "acme-corp", "username": "alice-acme", "access_level": 50}],
        }
    )
    return standin


def _port(url: str) -> int:
    parts = urlsplit(url)
    assert parts.port is not None, url
    return parts.port


def _extract(tmp_path: Path, gitlab: GitLabStandIn) -> list[Path]:
    """`logdive extract --request FILE LOG` as a person runs it: the outputs become artefacts.
    It asks GitLab (GITLAB_URL) for the ids of the case's people and projects when it starts."""
    request = tmp_path / "request.json"
    request.write_text(json.dumps(synthetic.request_data()))
    log = synthetic.write_log(
        tmp_path / "production_json.log",
        synthetic.encode([s.entry for s in synthetic.scenarios()] + list(synthetic.noise(50))),
    )
    app = typer.Typer()
    extract_cli.register(app)
    app.command("noop", hidden=True)(lambda: None)  # a group of two, so `extract` is a sub-command
    out = tmp_path / "LD-extract.jsonl"
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app,
        ["extract", "--request", str(request), str(log), "--out", str(out), "--route", "security"],
        env={"GITLAB_URL": gitlab.url, "GITLAB_TOKEN": gitlab.token},
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return sorted(p for p in tmp_path.iterdir() if p.name.startswith("LD-extract"))


def test_a_full_case_connects_only_to_slack_gitlab_and_the_database(
    database_url: str, tmp_path: Path, outbound: list[tuple[str, Any]]
) -> None:
    gitlab = _gitlab().start()
    slack = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    store_dir = tmp_path / "store"
    settings = Settings(gitlab_url=gitlab.url, gitlab_token=gitlab.token, directory_cache_seconds=0)
    bot, server, thread = start_bot(
        database_url,
        slack,
        directory_from_settings(settings),  # type: ignore[arg-type]
        gitlab_url=gitlab.url,
        artefact_dir=store_dir,
        artefact_key=ring_text(("k1", 1)),
    )
    slack_port, gitlab_port, bot_port = _port(slack.base_url), _port(gitlab.url), _port(bot.url)
    try:
        # Intake from Slack: the modal, eligibility against GitLab, the case and its thread.
        view_id = bot.open_intake(user=CSM)
        assert bot.submit(form_values(description="no call-home"), view_id=view_id).status_code == 200
        bot.slack.wait_for_call("chat.postMessage", lambda c: "LD-1" in str(c.args.get("blocks")))
        [case] = bot.cases()
        assert case.decision == "eligible", case.assessment
        owner, owner_role = (SIRT, Role.SIRT) if case.route == "security" else (SUPPORT, Role.SUPPORT)
        now = utc_now()
        with session_scope(database_url) as session:
            cases.claim(session, case.id or 0, actor=owner, roles={owner_role}, now=now)
        with session_scope(database_url) as session:
            cases.apply_transition(
                session, case.id or 0, CaseState.INVESTIGATING, actor=owner, roles={owner_role}, now=now
            )

        # The log-dive, its outputs stored encrypted, reviewed by two keys, exported, downloaded.
        vault = Vault(LocalDirectoryStore(store_dir), KeyRing.parse(ring_text(("k1", 1))))
        ids = []
        with session_scope(database_url) as session:
            for path in _extract(tmp_path, gitlab):
                artefact = service.store_artefact(
                    session,
                    vault,
                    case.id or 0,
                    name=path.name,
                    kind=ArtefactKind.AUTOMATED_ANALYSIS,
                    data=path.read_bytes(),
                    actor=Person(owner),
                    roles={owner_role},
                    now=now,
                    policy=RetentionPolicy(),
                    source="extract",
                )
                ids.append(artefact.id)
        assert len(ids) == 2  # the entries and their manifest
        with session_scope(database_url) as session:
            for artefact_id in ids:
                assert artefact_id is not None
                service.submit_for_review(
                    session, artefact_id, actor=Person(owner), roles={owner_role}, now=now
                )
                seen = service.subject_of(service.get_artefact(session, artefact_id))
                reviewer = Person(SIRT if owner != SIRT else "U0SIR0002")
                service.approve(session, artefact_id, actor=reviewer, roles={Role.SIRT}, now=now, seen=seen)
                service.approve(
                    session, artefact_id, actor=Person(LEGAL), roles={Role.LEGAL}, now=now, seen=seen
                )
            bundle = export.export_for_customer(
                session, vault, case.id or 0, actor=Person(owner), roles={owner_role}, now=now
            )
            link = export.issue_download(
                session, case.id or 0, actor=Person(owner), roles={owner_role}, now=now,
                lifetime=timedelta(hours=1),
            )  # fmt: skip
        assert len(bundle.artefacts) == 2
        with session_scope(database_url) as session:
            export.redeem_download(session, vault, link.token, now=now)

        # The scheduler's tick: outbox delivery and retention (a month on), then erasure on request.
        bot.runtime.tick(now)
        swept = bot.runtime.tick(now + timedelta(days=31))
        assert swept["retention_sweep"].count == 2
        with session_scope(database_url) as session:
            erasure.erase_case(
                session,
                vault.store,
                case.id or 0,
                reason="customer request",
                actor=Person(LEGAL),
                roles={Role.LEGAL},
                now=now,
            )
        bot.runtime.tick(now)
    finally:
        stop_bot(bot, server, thread)
        slack.stop()
        gitlab.stop()

    allowed_ports = {slack_port, gitlab_port, bot_port}
    if not database_url.startswith("sqlite"):
        allowed_ports.add(make_url(normalise_url(database_url)).port or 5432)
    destinations = set()
    for _event, where in outbound:
        if isinstance(where, tuple) and len(where) >= 2:
            destinations.add((str(where[0]), int(where[1]) if where[1] not in (None, "") else None))
        else:  # a Unix socket path, or something no test here expected: keep it to fail on
            destinations.add((repr(where), None))
    loopback = {"127.0.0.1", "localhost", "::1"}
    stray = [
        d for d in destinations if d[0] not in loopback or (d[1] is not None and d[1] not in allowed_ports)
    ]
    assert stray == [], f"connections beyond Slack, GitLab and the database: {stray}"
    ports = {d[1] for d in destinations}
    # The hook saw the flow's real traffic: Logdive called both services (and the test called the bot).
    assert {slack_port, gitlab_port, bot_port} <= ports
