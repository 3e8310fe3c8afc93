"""A case with planted markers, a vault with a two-key ring, and people in each role."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cases
from bot.artefacts.keys import KeyRing
from bot.artefacts.store import LocalDirectoryStore
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from workflows.assessment import Assessment, Decision, Outcome, Route, RuleResult
from workflows.policy import RetentionPolicy
from workflows.request import LogDiveRequest
from workflows.review import Person
from workflows.states import CaseState, Role

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy()

# Strings planted in everything a case holds; none may be found in a stored blob or after erasure.
MARKER = "ZQXMARKER"

CSM, SUPPORT, SIRT1, SIRT2, LEGAL1, LEGAL2, BOTH, NOBODY = (
    "U0CSM", "U0SUPPORT", "U0SIRT1", "U0SIRT2", "U0LEGAL1", "U0LEGAL2", "U0BOTH", "U0NOBODY",
)  # fmt: skip
ROLES: dict[str, frozenset[Role]] = {
    CSM: frozenset({Role.CSM}),
    SUPPORT: frozenset({Role.SUPPORT}),
    SIRT1: frozenset({Role.SIRT}),
    SIRT2: frozenset({Role.SIRT}),
    LEGAL1: frozenset({Role.LEGAL}),
    LEGAL2: frozenset({Role.LEGAL}),
    BOTH: frozenset({Role.SIRT, Role.LEGAL}),
    NOBODY: frozenset(),
}


def person(user: str) -> Person:
    """The person a signed Slack request would have authenticated as `user`."""
    return Person(user)


def key(seed: int) -> str:
    return base64.b64encode(bytes([seed]) * 32).decode()


def ring_text(*entries: tuple[str, int]) -> str:
    return ",".join(f"{key_id}:{key(seed)}" for key_id, seed in entries)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(LocalDirectoryStore(tmp_path / "artefacts"), KeyRing.parse(ring_text(("k1", 1))))


def planted_request(marker: str = MARKER) -> LogDiveRequest:
    return LogDiveRequest.model_validate(
        {
            "customer_namespace": "acme-corp",
            "requester_username": f"alice-{marker.lower()}",
            "window": {"start": "2026-11-16T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
            "resources": {
                "projects": [f"acme-corp/{marker.lower()}-api"],
                "users": [f"bob-{marker.lower()}"],
            },
            "event_types": ["user_access_token_created"],
            "paid_plan_confirmed": True,
            "description": f"The customer says {marker} in the description",
            "ticket_reference": f"ZD-{marker}",
        }
    )


def eligible() -> Assessment:
    return Assessment(
        decision=Decision.ELIGIBLE,
        route=Route.SECURITY,
        rules=(RuleResult(id="plan", outcome=Outcome.PASS, reason=f"acme-corp {MARKER} is on Ultimate"),),
        notes=(f"note {MARKER}",),
    )


@dataclass(frozen=True)
class CaseRef:
    id: int
    url: str


def open_case(url: str, *, key_: str = "intake-1", owner: str | None = SIRT1, with_issue: bool = True) -> int:
    """An eligible security case, claimed by `owner` and investigated, with (optionally) its SIRT issue."""
    with session_scope(url) as session:
        case, _ = cases.record_intake(
            session, request=planted_request(), assessment=eligible(), actor=CSM, now=NOW,
            idempotency_key=key_, channel="C0CASES",
        )  # fmt: skip
        assert case.id is not None
        if with_issue:
            case.sirt_issue_iid = 7
            session.add(case)
        case_id = case.id
    if owner:
        with session_scope(url) as session:
            cases.claim(session, case_id, actor=owner, roles=ROLES[owner], now=NOW)
        with session_scope(url) as session:
            cases.apply_transition(
                session, case_id, CaseState.INVESTIGATING, actor=owner, roles=ROLES[owner], now=NOW
            )
    return case_id


@pytest.fixture
def case_id(database_url: str) -> int:
    return open_case(database_url)
