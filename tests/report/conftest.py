"""A recorded case whose sealed extract is a real extraction of the planted synthetic logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import cases
from bot.artefacts import service as artefacts
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from tests.artefacts.conftest import NOW, POLICY, ROLES, SIRT1, SUPPORT, vault  # noqa: F401 -- fixture
from tests.report import planted
from workflows.assessment import Assessment, Decision, Outcome, Route, RuleResult
from workflows.retention import ArtefactKind


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The CLI sets the root logger to ERROR (bot.cli.artefacts._handled); Slack's libraries copy the root
    level into each new app's logger, so a later test's app would stay at ERROR. Leave logging as found."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@dataclass(frozen=True)
class SealedCase:
    id: int
    label: str
    extract: planted.Extract
    owner: str


def open_case(url: str, route: Route, *, owner: str, key: str = "intake-1") -> int:
    request = planted.request(event_types=planted.EVENT_TYPES, personal_data=route is Route.SECURITY)
    assessment = Assessment(
        decision=Decision.ELIGIBLE,
        route=route,
        rules=(RuleResult(id="plan", outcome=Outcome.PASS, reason="on Ultimate"),),
    )
    with session_scope(url) as session:
        case, _ = cases.record_intake(
            session, request=request, assessment=assessment, actor="U0CSM", now=NOW, idempotency_key=key,
            channel="C0CASES",
        )  # fmt: skip
        assert case.id is not None
        case.sirt_issue_iid = 7
        session.add(case)
        case_id = case.id
    with session_scope(url) as session:
        cases.claim(session, case_id, actor=owner, roles=ROLES[owner], now=NOW)
    return case_id


def seal(url: str, sealed_in: Vault, case_id: int, extract: planted.Extract, actor: str) -> list[int]:
    """Store the extract's files on the case as `logdive artefacts add` does; their artefact ids."""
    ids = []
    with session_scope(url) as session:
        for path, kind in (
            (extract.entries, ArtefactKind.RAW),
            (extract.manifest, ArtefactKind.AUTOMATED_ANALYSIS),
        ):
            if path is None:
                continue
            artefact = artefacts.store_artefact(
                session, sealed_in, case_id, name=path.name, kind=kind, data=path.read_bytes(), actor=actor,
                roles=ROLES[actor], now=NOW, policy=POLICY,
            )  # fmt: skip
            ids.append(artefact.id)
    return ids


@pytest.fixture
def sealed_case(database_url: str, vault: Vault, tmp_path: Path) -> Callable[[Route], SealedCase]:  # noqa: F811
    def make(route: Route) -> SealedCase:
        owner = SIRT1 if route is Route.SECURITY else SUPPORT
        case_id = open_case(database_url, route, owner=owner, key=f"intake-{route.value}")
        label = cases.case_label(case_id)
        extract = planted.extract(tmp_path / route.value, route, case=label)
        seal(database_url, vault, case_id, extract, owner)
        return SealedCase(case_id, label, extract, owner)

    return make
