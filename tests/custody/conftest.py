"""The bot served for real against the Slack stand-in, with an artefact key ring, and people for custody.

People: OWNER claims every case (Support); SUP2 is Support but not the owner; FILER filed the case and
REQUESTER asked Legal for its exception (both CSMs); GRID holds SIRT and Legal and clicks sometimes by
their workspace id (U…) and sometimes by their Enterprise Grid id (W…): one person either way.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import cases
from bot.artefacts import service
from bot.artefacts.keys import KeyRing
from bot.artefacts.store import LocalDirectoryStore
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import Artefact
from bot.sandbox.slack import SlackStandIn
from tests.gitlab_issues.conftest import world  # noqa: F401 -- the fixture, for the SIRT-issue tests
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture, for pytest
from tests.slack.cases_setup import request
from tests.slack.harness import CASE_CHANNEL, Bot, FactsDirectory, start_bot, stop_bot
from workflows.eligibility import evaluate
from workflows.retention import ArtefactKind
from workflows.states import CaseState, Role

OWNER, SUP2, SIRT, LEGAL, CSM, FILER, REQUESTER, NOBODY = (
    "U0OWNER01", "U0SUPTWO1", "U0SIRT001", "U0LEGAL01", "U0CSM0001", "U0FILER01", "U0REQSTR1", "U0NOBODY1",
)  # fmt: skip
LEGAL2 = "U0LEGAL02"
GRID_U, GRID_W = "U0GRID001", "W0GRID001"
GROUPS = {
    "S0CSM": [CSM, FILER, REQUESTER],
    "S0SUP": [OWNER, SUP2],
    "S0SIR": [SIRT, GRID_U, GRID_W],
    "S0LEG": [LEGAL, LEGAL2, GRID_U, GRID_W],
}
USERS: dict[str, dict[str, Any]] = {
    u: {"id": u, "tz": "UTC", "tz_offset": 0}
    for u in (OWNER, SUP2, SIRT, LEGAL, LEGAL2, CSM, FILER, REQUESTER, NOBODY)
}
USERS[GRID_U] = {"id": GRID_U, "tz": "UTC", "enterprise_user": {"id": GRID_W, "enterprise_id": "E0GRID"}}
USERS[GRID_W] = {"id": GRID_W, "tz": "UTC", "enterprise_user": {"id": GRID_W, "enterprise_id": "E0GRID"}}
for _user in USERS.values():  # users.info gives the e-mail a step-up sign-in must match
    _user["profile"] = {"email": f"{_user['id'].lower()}@example.com"}
KEY_RING = "k1:" + base64.b64encode(bytes([7]) * 32).decode()
PUBLIC_URL = "https://logdive.example.test"


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    yield standin
    standin.stop()


@pytest.fixture
def artefact_dir(tmp_path: Path) -> Path:
    return tmp_path / "artefacts"


@pytest.fixture
def bot(database_url: str, slack_standin: SlackStandIn, artefact_dir: Path) -> Iterator[Bot]:
    running, server, thread = start_bot(
        database_url, slack_standin, FactsDirectory(), artefact_key=KEY_RING, artefact_dir=artefact_dir,
        public_url=PUBLIC_URL, artefact_download_seconds=3600,
    )  # fmt: skip
    yield running
    stop_bot(running, server, thread)
    invalid = [
        c for c in slack_standin.calls if c.response.get("error") in ("invalid_blocks", "invalid_arguments")
    ]
    assert not invalid, [(c.method, c.response) for c in invalid]


def vault(artefact_dir: Path) -> Vault:
    return Vault(LocalDirectoryStore(artefact_dir), KeyRing.parse(KEY_RING))


def investigating_case(bot: Bot) -> int:
    """Filed by FILER, exception asked by REQUESTER, approved by LEGAL2, claimed by OWNER: investigating."""
    req = request()
    now = datetime.now(UTC)
    assessment = evaluate(req, FactsDirectory(plan="free").facts_for(req), bot.runtime.policy, now)
    with session_scope(bot.database_url) as session:
        case, _ = cases.record_intake(
            session, request=req, assessment=assessment, actor=FILER, now=now,
            idempotency_key=f"custody:{uuid.uuid4()}", channel=CASE_CHANNEL,
        )  # fmt: skip
        case_id = case.id
        assert case_id is not None and case.route == "support", case.route
    steps = [
        lambda s: cases.request_exception(
            s, case_id, actor=REQUESTER, roles={Role.CSM}, now=now, reason="Board."
        ),
        lambda s: cases.decide_exception(
            s, case_id, approver=LEGAL2, roles={Role.LEGAL}, approve=True, reason=None, now=now
        ),
        lambda s: cases.claim(s, case_id, actor=OWNER, roles={Role.SUPPORT}, now=now),
        lambda s: cases.apply_transition(
            s, case_id, CaseState.INVESTIGATING, actor=OWNER, roles={Role.SUPPORT}, now=now
        ),
    ]
    for step in steps:
        with session_scope(bot.database_url) as session:
            step(session)
    bot.runtime.kick()
    return case_id


def store(
    bot: Bot, artefact_dir: Path, case_id: int, data: bytes = b'{"entries": 2}\n', **details: Any
) -> Artefact:
    """An extract output sealed on the case by Logdive itself, as the log-dive stores it."""
    with session_scope(bot.database_url) as session:
        artefact = service.store_artefact(
            session, vault(artefact_dir), case_id, name="LD-extract.jsonl", kind=ArtefactKind.RAW, data=data,
            actor=cases.SYSTEM, roles={Role.SYSTEM}, now=datetime.now(UTC),
            policy=bot.runtime.policy.retention, source="extract",
        )  # fmt: skip
        artefact.details = details or {"entries_kept": 2, "redactions": {"ip": 1, "pseudonym": 3}}
        session.add(artefact)
        session.flush()
        session.expunge(artefact)
        return artefact
