"""Retention with a passed-in clock: nothing outlives its policy by more than one sweep; tombstones stay."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import cases
from bot.artefacts import retention, service
from bot.artefacts.errors import ArtefactRefused
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import Artefact, CaseEvent
from tests.artefacts.conftest import CSM, LEGAL1, MARKER, NOW, POLICY, ROLES, SUPPORT, open_case, person
from workflows.retention import ArtefactKind


def _add(url: str, vault: Vault, case_id: int, kind: ArtefactKind, at: timedelta = timedelta(0)) -> int:
    with session_scope(url) as session:
        artefact = service.store_artefact(
            session, vault, case_id, name=f"{kind}-{MARKER}.log", kind=kind, data=f"{kind} {MARKER}".encode(),
            actor=person(SUPPORT), roles=ROLES[SUPPORT], now=NOW + at, policy=POLICY,
        )  # fmt: skip
        assert artefact.id is not None
        return artefact.id


def test_each_kind_expires_on_its_policy_and_leaves_a_tombstone(
    database_url: str, vault: Vault, case_id: int
) -> None:
    ids = {kind: _add(database_url, vault, case_id, kind) for kind in ArtefactKind}
    days = {ArtefactKind.RAW: 7, ArtefactKind.AUTOMATED_ANALYSIS: 30, ArtefactKind.MANUAL_ANALYSIS: 1}
    for kind, n in sorted(days.items(), key=lambda kv: kv[1]):
        before = retention.sweep(
            database_url, vault.store, now=NOW + timedelta(days=n) - timedelta(seconds=1)
        )
        assert all(t["artefact_id"] != ids[kind] for t in before.deleted)
        swept = retention.sweep(database_url, vault.store, now=NOW + timedelta(days=n))
        assert [t["artefact_id"] for t in swept.deleted] == [ids[kind]]
    assert list(vault.store.refs()) == []
    with session_scope(database_url) as session:
        tombstones = cases.case_events(session, case_id)
        artefacts = session.exec(select(Artefact)).all()
    deleted = [e for e in tombstones if e.kind == "artefact_deleted"]
    assert [e.data["artefact_kind"] for e in deleted] == ["manual_analysis", "raw", "automated_analysis"]
    first = deleted[0].data
    assert first["why"] == "retention" and first["deleted_at"] == (NOW + timedelta(days=1)).isoformat()
    assert first["detail"] == "manual_analysis kept until 2026-11-24 09:00 UTC"
    assert all(e.actor == "system" for e in deleted)
    assert all(a.deleted_at is not None and a.name == "" for a in artefacts)
    assert MARKER not in str([e.data for e in deleted])


def test_nothing_outlives_its_policy_by_more_than_one_sweep(database_url: str, vault: Vault) -> None:
    rng = random.Random(7)
    case_id = open_case(database_url)
    for _ in range(12):
        _add(
            database_url,
            vault,
            case_id,
            rng.choice(list(ArtefactKind)),
            timedelta(hours=rng.randrange(0, 200)),
        )
    every = timedelta(hours=6)
    moment = NOW
    while moment <= NOW + timedelta(days=40):
        retention.sweep(database_url, vault.store, now=moment)
        with session_scope(database_url) as session:
            overdue = session.exec(
                select(Artefact).where(col(Artefact.deleted_at).is_(None), col(Artefact.expires_at) <= moment)
            ).all()
        assert overdue == []
        moment += every
    with session_scope(database_url) as session:
        artefacts = session.exec(select(Artefact)).all()
    assert len(artefacts) == 12 and all(a.deleted_at is not None for a in artefacts)
    assert all(timedelta(0) <= a.deleted_at - a.expires_at < every for a in artefacts if a.deleted_at)


def test_an_extension_needs_a_reason_and_marks_the_customer_must_be_told(
    database_url: str, vault: Vault, case_id: int
) -> None:
    artefact_id = _add(database_url, vault, case_id, ArtefactKind.RAW)
    until = NOW + timedelta(days=14)
    refused = pytest.raises(ArtefactRefused, match="reason: an extension needs a reason")
    with refused, session_scope(database_url) as session:
        retention.extend_retention(
            session, artefact_id, until=until, reason="", actor=person(LEGAL1), roles=ROLES[LEGAL1], now=NOW
        )
    with pytest.raises(ArtefactRefused, match="extend needs"), session_scope(database_url) as session:
        retention.extend_retention(
            session, artefact_id, until=until, reason="hold", actor=person(CSM), roles=ROLES[CSM], now=NOW
        )
    with session_scope(database_url) as session:
        retention.extend_retention(
            session,
            artefact_id,
            until=until,
            reason="legal hold LH-9",
            actor=person(LEGAL1),
            roles=ROLES[LEGAL1],
            now=NOW,
        )
        [summary] = service.artefact_summaries(session, case_id)
    assert summary["expires_at"] == until.isoformat() and summary["customer_must_be_told"] is True
    assert summary["extension_reason"] == "legal hold LH-9"
    assert retention.sweep(database_url, vault.store, now=NOW + timedelta(days=8)).count == 0
    with session_scope(database_url) as session:
        retention.record_customer_told(session, artefact_id, actor=person(CSM), roles=ROLES[CSM], now=NOW)
        [summary] = service.artefact_summaries(session, case_id)
        kinds = [e.kind for e in cases.case_events(session, case_id)]
    assert summary["customer_must_be_told"] is False
    assert kinds.count("refused") == 1 and kinds.count("unauthorised") == 1
    assert "retention_extended" in kinds and "retention_customer_told" in kinds
    [gone] = retention.sweep(database_url, vault.store, now=until).deleted
    assert gone["artefact_id"] == artefact_id and gone["detail"].endswith("(extended)")


def test_a_sweep_after_a_lost_commit_finishes_the_job(database_url: str, vault: Vault, case_id: int) -> None:
    """The blob goes before the commit; if the commit is lost, the next sweep records the deletion."""
    artefact_id = _add(database_url, vault, case_id, ArtefactKind.MANUAL_ANALYSIS)
    later = NOW + timedelta(days=2)
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        retention.expire_due(session, vault.store, now=later)
        raise RuntimeError("the database went away before the commit")
    assert list(vault.store.refs()) == []
    [tombstone] = retention.sweep(database_url, vault.store, now=later).deleted
    assert tombstone["artefact_id"] == artefact_id
    with session_scope(database_url) as session:
        events = session.exec(select(CaseEvent).where(CaseEvent.kind == "artefact_deleted")).all()
    assert len(events) == 1


def test_the_tick_job_uses_the_configured_store(database_url: str, vault: Vault, case_id: int) -> None:
    from bot.settings import Settings

    _add(database_url, vault, case_id, ArtefactKind.MANUAL_ANALYSIS)
    job = retention.retention_job(Settings(database_url=database_url, artefact_dir=vault.store.root))
    assert job(NOW).count == 0
    assert job(NOW + timedelta(days=1)).count == 1
