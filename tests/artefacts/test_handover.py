"""One-time downloads for the case owner, sharing with a subcontractor, key rotation over the database."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest

from bot import cases
from bot.artefacts import export, rotation, service
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.keys import KeyRing
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from tests.artefacts.conftest import CSM, LEGAL1, NOW, POLICY, ROLES, SIRT1, SIRT2, SUPPORT, person, ring_text
from workflows.states import Role


def _approved_artefact(url: str, vault: Vault, case_id: int, data: bytes = b"approved content") -> int:
    with session_scope(url) as session:
        artefact = service.store_artefact(
            session, vault, case_id, name="out.csv", kind="automated_analysis", data=data,
            actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW, policy=POLICY,
        )  # fmt: skip
        artefact_id = artefact.id
        assert artefact_id is not None
        service.submit_for_review(session, artefact_id, actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW)
        seen = service.subject_of(artefact)
        service.approve(session, artefact_id, actor=person(SIRT2), roles=ROLES[SIRT2], now=NOW, seen=seen)
        service.approve(session, artefact_id, actor=person(LEGAL1), roles=ROLES[LEGAL1], now=NOW, seen=seen)
    return artefact_id


def _kinds(url: str, case_id: int) -> list[str]:
    with session_scope(url) as session:
        return [e.kind for e in cases.case_events(session, case_id)]


def test_the_case_owner_downloads_once(database_url: str, vault: Vault, case_id: int) -> None:
    _approved_artefact(database_url, vault, case_id)
    refused = pytest.raises(ArtefactRefused, match="download link is for the case owner")
    with refused, session_scope(database_url) as session:
        export.issue_download(
            session, case_id, actor=person(SIRT2), roles=ROLES[SIRT2], now=NOW, lifetime=timedelta(hours=1)
        )
    with session_scope(database_url) as session:  # SIRT1 claimed the case: the owner
        link = export.issue_download(
            session, case_id, actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW, lifetime=timedelta(hours=1)
        )
    assert link.path == f"/artefacts/download/{link.token}"
    with session_scope(database_url) as session:
        bundle = export.redeem_download(session, vault, link.token, now=NOW + timedelta(minutes=5))
    assert zipfile.ZipFile(BytesIO(bundle.content)).read("1-v1-out.csv") == b"approved content"
    with pytest.raises(ArtefactRefused, match="was used on"), session_scope(database_url) as session:
        export.redeem_download(session, vault, link.token, now=NOW + timedelta(minutes=6))
    with pytest.raises(ArtefactNotFound), session_scope(database_url) as session:
        export.redeem_download(session, vault, "not-a-token", now=NOW)
    kinds = _kinds(database_url, case_id)
    assert kinds.count("download_link_issued") == 1 and kinds.count("artefacts_exported") == 1
    with session_scope(database_url) as session:
        assert cases.get_case(session, case_id).state == "shared"  # only the hand-over made it so


def test_a_download_expires_and_dies_with_a_new_version(
    database_url: str, vault: Vault, case_id: int
) -> None:
    artefact_id = _approved_artefact(database_url, vault, case_id)

    def issue() -> str:
        with session_scope(database_url) as session:
            return export.issue_download(
                session,
                case_id,
                actor=person(SIRT1),
                roles=ROLES[SIRT1],
                now=NOW,
                lifetime=timedelta(hours=1),
            ).token

    expired = issue()
    with pytest.raises(ArtefactRefused, match="expired"), session_scope(database_url) as session:
        export.redeem_download(session, vault, expired, now=NOW + timedelta(hours=1))
    voided = issue()
    with session_scope(database_url) as session:
        service.add_version(
            session, vault, artefact_id, data=b"changed", actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW,
            policy=POLICY,
        )  # fmt: skip
    with (
        pytest.raises(ArtefactRefused, match=r"changed or lost its approval|only an approved case"),
        session_scope(database_url) as s,
    ):
        export.redeem_download(s, vault, voided, now=NOW)
    assert "artefacts_exported" not in _kinds(database_url, case_id)


def test_sharing_with_a_subcontractor_needs_recorded_consent(
    database_url: str, vault: Vault, case_id: int
) -> None:
    _approved_artefact(database_url, vault, case_id)

    def share() -> export.Bundle:
        with session_scope(database_url) as session:
            return export.share_with_subcontractor(
                session,
                vault,
                case_id,
                subcontractor="Forensics Ltd",
                actor=person(SIRT2),
                roles=ROLES[SIRT2],
                now=NOW,
            )

    with pytest.raises(ArtefactRefused, match="approval to share with this subcontractor is not recorded"):
        share()
    refused = pytest.raises(ArtefactRefused, match="record consent needs the csm role")
    with refused, session_scope(database_url) as session:
        export.record_subcontractor_consent(
            session,
            case_id,
            subcontractor="Forensics Ltd",
            evidence="ZD-5",
            actor=person(SIRT2),
            roles=ROLES[SIRT2],
            now=NOW,
        )
    with session_scope(database_url) as session:
        export.record_subcontractor_consent(
            session, case_id, subcontractor="forensics ltd", evidence="customer email in ZD-5",
            actor=person(CSM), roles=ROLES[CSM], now=NOW,
        )  # fmt: skip
    bundle = share()
    assert bundle.artefacts and bundle.filename == f"LD-{case_id}-artefacts.zip"
    with session_scope(database_url) as session:
        [shared] = [e for e in cases.case_events(session, case_id) if e.kind == "artefacts_exported"]
    assert shared.data["via"] == "subcontractor" and shared.data["recipient"] == "Forensics Ltd"
    assert shared.actor == SIRT2


def test_rotation_reseals_every_live_artefact(database_url: str, tmp_path: Path, case_id: int) -> None:
    from bot.artefacts.store import LocalDirectoryStore

    store = LocalDirectoryStore(tmp_path / "rotating")
    old = Vault(store, KeyRing.parse(ring_text(("k1", 1))))
    contents = {}
    for i in range(4):
        with session_scope(database_url) as session:
            a = service.store_artefact(
                session, old, case_id, name=f"a{i}", kind="raw", data=f"content {i}".encode(),
                actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW, policy=POLICY,
            )  # fmt: skip
            contents[a.id] = f"content {i}".encode()
    new = Vault(store, KeyRing.parse(ring_text(("k2", 2), ("k1", 1))))
    report = rotation.rotate_keys(database_url, new, actor="cli:operator", now=NOW)
    assert sorted(report.rekeyed) == sorted(contents) and report.failed == {}
    assert rotation.rotate_keys(database_url, new, actor="cli:operator", now=NOW).rekeyed == []
    only_new = Vault(store, KeyRing.parse(ring_text(("k2", 2))))
    with session_scope(database_url) as session:
        for artefact_id, plaintext in contents.items():
            assert artefact_id is not None
            read = service.read_artefact(
                session, only_new, artefact_id, actor=person(SUPPORT), roles={Role.SUPPORT}, now=NOW
            )
            assert read == plaintext
            assert service.get_artefact(session, artefact_id).key_id == "k2"
    assert _kinds(database_url, case_id).count("artefact_rekeyed") == 4


def test_the_download_route_hands_over_once_and_previews_do_not_consume(
    database_url: str, vault: Vault, case_id: int
) -> None:
    import asyncio

    import httpx
    from starlette.applications import Starlette

    from bot.artefacts.http import download_route
    from bot.clock import fixed

    _approved_artefact(database_url, vault, case_id)
    with session_scope(database_url) as session:
        link = export.issue_download(
            session, case_id, actor=person(SIRT1), roles=ROLES[SIRT1], now=NOW, lifetime=timedelta(hours=1)
        )
    app = Starlette(routes=[download_route(database_url, lambda: vault, fixed(NOW))])

    async def visit() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://logdive.test") as client:
            return [
                await client.get(link.path),  # a link preview
                await client.post(link.path),
                await client.post(link.path),
                await client.post("/artefacts/download/nope"),
            ]

    preview, got, again, unknown = asyncio.run(visit())
    assert preview.status_code == 200 and 'method="post"' in preview.text
    with session_scope(database_url) as session:
        [artefact] = service.list_artefacts(session, case_id)
    # The page names the case, the file and its full SHA-256, and a preview does not use the link up.
    assert f"LD-{case_id}" in preview.text and "out.csv" in preview.text and artefact.sha256 in preview.text
    assert preview.headers["cache-control"] == "no-store"
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert f'filename="LD-{case_id}-artefacts.zip"' in got.headers["content-disposition"]
    assert zipfile.ZipFile(BytesIO(got.content)).read("1-v1-out.csv") == b"approved content"
    assert again.status_code == 410 and "was used on" in again.text
    gone = asyncio.run(_get(app, link.path))
    assert gone.status_code == 410 and artefact.sha256 not in gone.text
    assert unknown.status_code == 404


async def _get(app: object, path: str) -> object:
    import httpx

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://logdive.test") as client:
        return await client.get(path)
