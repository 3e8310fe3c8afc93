"""Erasure on request: afterwards no case data is readable from the database or the store, only tombstones."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from bot import cases, outbox
from bot.artefacts import erasure, export, retention, service
from bot.artefacts.errors import ArtefactRefused
from bot.artefacts.vault import Vault
from bot.db.engine import get_engine, session_scope
from bot.db.models import CaseEvent, OutboxItem
from tests.artefacts.conftest import CSM, LEGAL1, MARKER, NOW, POLICY, ROLES, SIRT1, SIRT2, SUPPORT, person
from workflows.retention import ArtefactKind
from workflows.states import Role


def _plant_everywhere(url: str, vault: Vault, case_id: int) -> list[int]:
    """Customer data in every place Logdive keeps it: case, request, events, artefacts, reasons, outbox."""
    ids = []
    with session_scope(url) as session:
        for kind in (ArtefactKind.RAW, ArtefactKind.AUTOMATED_ANALYSIS):
            artefact = service.store_artefact(
                session, vault, case_id, name=f"{MARKER}.json", kind=kind, data=f"log {MARKER}".encode(),
                actor=person(SUPPORT), roles=ROLES[SUPPORT], now=NOW, policy=POLICY,
            )  # fmt: skip
            ids.append(artefact.id)
    with session_scope(url) as session:
        service.submit_for_review(session, ids[1], actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW)
        service.deny(
            session,
            ids[1],
            reason=f"mentions {MARKER}",
            actor=person(LEGAL1),
            roles=ROLES[LEGAL1],
            now=NOW,
            seen=service.subject_of(service.get_artefact(session, ids[1])),
        )
        retention.extend_retention(
            session, ids[0], until=NOW + timedelta(days=20), reason=f"hold {MARKER}", actor=person(LEGAL1),
            roles=ROLES[LEGAL1], now=NOW,
        )  # fmt: skip
        export.record_subcontractor_consent(
            session, case_id, subcontractor=f"Forensics {MARKER}", evidence=f"email {MARKER}",
            actor=person(CSM), roles=ROLES[CSM], now=NOW,
        )  # fmt: skip
        cases.log_customer_update(
            session, case_id, actor=SIRT1, roles={Role.SIRT}, now=NOW, summary=f"told them {MARKER}"
        )
        item = outbox.enqueue(
            session, case_id=case_id, kind="slack.thread_post", payload={"text": f"hello {MARKER}"},
            key="planted", now=NOW,
        )  # fmt: skip
        outbox.mark_done(session, item, result={"echo": MARKER}, now=NOW)
        item.leased_by = None
    # A retention deletion before the erasure: its tombstone must not carry customer text either.
    with session_scope(url) as session:
        manual = service.store_artefact(
            session, vault, case_id, name=f"notes-{MARKER}", kind=ArtefactKind.MANUAL_ANALYSIS, data=b"n",
            actor=person(SUPPORT), roles=ROLES[SUPPORT], now=NOW, policy=POLICY,
        )  # fmt: skip
        ids.append(manual.id)
    retention.sweep(url, vault.store, now=NOW + timedelta(days=1))
    return ids


def _database_text(url: str) -> str:
    """Every row of every table, as text: what anyone with database access could read."""
    rows = []
    with get_engine(url).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                rows.append(json.dumps(dict(row), default=str))
    return "\n".join(rows)


def _erase(
    url: str, vault: Vault, case_id: int, who: str = LEGAL1, reason: str = "customer request ZD-1"
) -> None:
    with session_scope(url) as session:
        erasure.erase_case(
            session, vault.store, case_id, reason=reason, actor=person(who), roles=ROLES[who], now=NOW
        )


def test_after_erasure_only_tombstones_remain(database_url: str, vault: Vault, case_id: int) -> None:
    ids = _plant_everywhere(database_url, vault, case_id)
    assert MARKER.lower() in _database_text(database_url).lower()  # the test would catch a leak
    _erase(database_url, vault, case_id)

    assert MARKER.lower() not in _database_text(database_url).lower()
    assert list(vault.store.refs()) == []
    assert not [p for p in vault.store.root.rglob("*") if p.is_file()]
    with session_scope(database_url) as session:
        events = cases.case_events(session, case_id)
        case = cases.get_case(session, case_id)
        summaries = service.artefact_summaries(session, case_id)
    tombstones = [e for e in events if e.kind in {"artefact_deleted", "case_erased"}]
    assert sorted(e.data["artefact_id"] for e in tombstones if e.kind == "artefact_deleted") == sorted(ids)
    [erased] = [e for e in tombstones if e.kind == "case_erased"]
    assert erased.actor == LEGAL1 and erased.data["reason"] == "customer request ZD-1"
    assert erased.data["artefacts_deleted"] == 2  # the third had already expired
    before = [e for e in events if (e.id or 0) < (erased.id or 0)]
    assert all(e.data.get("erased") for e in before if e not in tombstones)
    # What follows the erasure is its own doing: the case ends (no clock, no more work).
    assert [(e.kind, e.actor, e.to_state) for e in events if (e.id or 0) > (erased.id or 0)] == [
        ("transition", "system", "cancelled")
    ]
    assert case.state == "cancelled" and case.next_update_due is None
    assert case.erased_at == NOW and case.description == "" and case.customer_namespace == "[erased]"
    assert case.request == {
        "window": {"start": "2026-11-16T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
        "event_types": ["user_access_token_created"],
        "log_sources": ["application"],
        "personal_data": False,
        "erased": True,
    }
    assert all(s["deleted_at"] and s["name"] == "" for s in summaries)
    with session_scope(database_url) as session:
        notes = session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
    [note] = [n for n in notes if n.payload.get("event") == "case_erased"]
    assert "erased on request" in note.payload["body"] and note.status == "pending"


def test_sqlite_file_keeps_no_erased_bytes(database_url: str, vault: Vault, case_id: int) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the database file is on this machine only for SQLite")
    _plant_everywhere(database_url, vault, case_id)
    path = Path(database_url.removeprefix("sqlite:///"))

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))

    assert MARKER.encode() in on_disk()
    get_engine(database_url).dispose()  # no idle connection holds the write-ahead log open
    _erase(database_url, vault, case_id)
    get_engine(database_url).dispose()
    assert MARKER.lower().encode() not in on_disk().lower()


def test_erasure_is_for_sirt_or_legal_once_and_keeps_nothing_new(
    database_url: str, vault: Vault, case_id: int
) -> None:
    with pytest.raises(ArtefactRefused, match="erase needs the legal role or the sirt role"):
        _erase(database_url, vault, case_id, who=CSM)
    with pytest.raises(ValueError, match="reason: erasure needs a reason"):
        _erase(database_url, vault, case_id, reason="  ")
    _erase(database_url, vault, case_id, who=SIRT2)
    with pytest.raises(ArtefactRefused, match="already erased"):
        _erase(database_url, vault, case_id)
    with pytest.raises(ArtefactRefused, match="nothing new is kept"), session_scope(database_url) as session:
        service.store_artefact(
            session, vault, case_id, name="late.log", kind="raw", data=b"late", actor=person(SUPPORT),
            roles=ROLES[SUPPORT], now=NOW, policy=POLICY,
        )  # fmt: skip
    assert list(vault.store.refs()) == []
    with session_scope(database_url) as session:
        kinds = [e.kind for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()]
    assert (
        kinds.count("unauthorised") == 1 and kinds.count("refused") == 2 and kinds.count("case_erased") == 1
    )


def test_a_rolled_back_add_leaves_no_blob(database_url: str, vault: Vault, case_id: int) -> None:
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        service.store_artefact(
            session, vault, case_id, name="x.log", kind="raw", data=b"x", actor=person(SUPPORT),
            roles=ROLES[SUPPORT], now=NOW, policy=POLICY,
        )  # fmt: skip
        raise RuntimeError("the unit of work failed after the blob was written")
    assert list(vault.store.refs()) == []
    with get_engine(database_url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM artefacts")).scalar() == 0
