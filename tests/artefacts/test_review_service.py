"""Two-key review through the service and the database: bound to the checksum, refusals recorded."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from sqlmodel import select

from bot import cases
from bot.artefacts import export, service
from bot.artefacts.errors import ArtefactRefused
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import ArtefactApproval, CaseEvent, OutboxItem
from tests.artefacts.conftest import (
    BOTH,
    CSM,
    LEGAL1,
    LEGAL2,
    NOBODY,
    NOW,
    POLICY,
    ROLES,
    SIRT1,
    SIRT2,
    SUPPORT,
    open_case,
    person,
)
from workflows.retention import ArtefactKind
from workflows.review import ReviewState, Subject
from workflows.states import Role

CONTENT = b'{"event": "user_access_token_created", "author": "pseudonym-1"}\n'


def _add(url: str, vault: Vault, case_id: int, data: bytes = CONTENT, by: str = SIRT1) -> int:
    with session_scope(url) as session:
        artefact = service.store_artefact(
            session, vault, case_id, name="summary.json", kind=ArtefactKind.AUTOMATED_ANALYSIS, data=data,
            actor=person(by), roles=ROLES[by], now=NOW, policy=POLICY,
        )  # fmt: skip
        assert artefact.id is not None
        return artefact.id


def _submit(url: str, artefact_id: int, by: str = SIRT1) -> None:
    with session_scope(url) as session:
        service.submit_for_review(session, artefact_id, actor=person(by), roles=ROLES[by], now=NOW)


def _subject(url: str, artefact_id: int) -> Subject:
    with session_scope(url) as session:
        return service.subject_of(service.get_artefact(session, artefact_id))


def _approve(url: str, artefact_id: int, who: str, seen: Subject | None = None, **kw: object) -> ReviewState:
    seen = seen or _subject(url, artefact_id)
    with session_scope(url) as session:
        return service.approve(
            session,
            artefact_id,
            actor=person(who),
            roles=ROLES[who],
            now=NOW,
            seen=seen,
            **kw,  # type: ignore[arg-type]
        ).state


def _export(url: str, vault: Vault, case_id: int, who: str = SIRT1) -> export.Bundle:
    with session_scope(url) as session:
        return export.export_for_customer(
            session, vault, case_id, actor=person(who), roles=ROLES[who], now=NOW
        )


def _state(url: str, case_id: int) -> str:
    with session_scope(url) as session:
        return cases.get_case(session, case_id).state


def _events(url: str, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    with session_scope(url) as session:
        found = cases.case_events(session, case_id)
    return [e for e in found if kind is None or e.kind == kind]


def test_approved_by_sirt_and_legal_then_exported(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    assert _approve(database_url, artefact_id, SIRT2) is ReviewState.PENDING
    assert _approve(database_url, artefact_id, LEGAL1) is ReviewState.APPROVED
    assert _state(database_url, case_id) == "artefacts_approved"
    bundle = _export(database_url, vault, case_id)
    assert _state(database_url, case_id) == "shared"
    archive = zipfile.ZipFile(BytesIO(bundle.content))
    member = f"{artefact_id}-v1-summary.json"
    assert archive.read(member) == CONTENT
    with session_scope(database_url) as session:
        sha = service.get_artefact(session, artefact_id).sha256
    assert archive.read("SHA256SUMS").decode() == f"{sha}  {member}\n"
    exported = _events(database_url, case_id, "artefacts_exported")
    assert len(exported) == 1 and exported[0].actor == SIRT1
    assert exported[0].data["artefacts"] == [{"id": artefact_id, "sha256": sha}]
    with session_scope(database_url) as session:
        notes = session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
        bodies = {n.payload["event"]: n.payload["body"] for n in notes if "body" in n.payload}
    assert "exported for the customer by U0SIRT1" in bodies["artefacts_exported"]
    assert "**approved**: Security key by U0SIRT2, Legal key by U0LEGAL1" in bodies["artefact_approved"]


@pytest.mark.parametrize(
    ("who", "kind", "message"),
    [
        (SUPPORT, "unauthorised", "needs the sirt or legal role"),
        (CSM, "unauthorised", "needs the sirt or legal role"),
        (NOBODY, "unauthorised", "needs the sirt or legal role"),
    ],
)
def test_refused_reviewers_change_nothing_and_are_recorded(
    database_url: str, vault: Vault, case_id: int, who: str, kind: str, message: str
) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    with pytest.raises(ArtefactRefused, match=message) as refused:
        _approve(database_url, artefact_id, who)
    assert refused.value.kind == kind
    with session_scope(database_url) as session:
        assert session.exec(select(ArtefactApproval)).all() == []
    [event] = _events(database_url, case_id, kind)
    assert event.actor == who and event.data["artefact_id"] == artefact_id


def test_submitter_with_reviewer_role_cannot_approve(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id, by=SIRT1)
    with pytest.raises(ArtefactRefused, match="cannot review it"):
        _approve(database_url, artefact_id, SIRT1)


def test_only_the_case_owner_submits(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    for who in (SIRT2, SUPPORT, CSM, LEGAL1):
        with pytest.raises(ArtefactRefused, match="submit is for the case owner"):
            _submit(database_url, artefact_id, by=who)
    assert len(_events(database_url, case_id, "unauthorised")) == 4
    with session_scope(database_url) as session:
        assert service.get_artefact(session, artefact_id).submitted_sha256 is None


def test_same_person_cannot_give_both_keys(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    with pytest.raises(ArtefactRefused, match="say which key"):
        _approve(database_url, artefact_id, BOTH)
    assert _approve(database_url, artefact_id, BOTH, as_role=Role.SIRT) is ReviewState.PENDING
    with pytest.raises(ArtefactRefused, match="already gave the sirt key"):
        _approve(database_url, artefact_id, BOTH, as_role=Role.LEGAL)
    with pytest.raises(ArtefactRefused, match="already given by U0BOTH"):
        _approve(database_url, artefact_id, SIRT2)
    assert _approve(database_url, artefact_id, LEGAL2) is ReviewState.APPROVED


def test_a_new_version_voids_the_approvals(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    _approve(database_url, artefact_id, SIRT2)
    _approve(database_url, artefact_id, LEGAL1)
    with session_scope(database_url) as session:
        old_ref = service.get_artefact(session, artefact_id).storage_ref
        artefact = service.add_version(
            session, vault, artefact_id, data=CONTENT + b"more\n", actor=person(SIRT1), roles=ROLES[SIRT1],
            now=NOW + timedelta(hours=1), policy=POLICY,
        )  # fmt: skip
        assert artefact.version == 2
    assert not (vault.store.root / old_ref[:2] / old_ref).exists()  # the old version's blob is gone
    with session_scope(database_url) as session:
        status = service.review_of(session, service.get_artefact(session, artefact_id))
    assert status.state is ReviewState.CHANGED and status.voided == 2
    assert _state(database_url, case_id) == "artefacts_in_review"  # back from approved
    with pytest.raises(ArtefactRefused, match=r"not approved: .*changed"):
        _export(database_url, vault, case_id)
    with pytest.raises(ArtefactRefused, match="changed since it was submitted"):
        _approve(database_url, artefact_id, SIRT2)
    _submit(database_url, artefact_id)
    assert _approve(database_url, artefact_id, SIRT2) is ReviewState.PENDING
    [voided] = _events(database_url, case_id, "artefact_version_added")
    assert voided.data["decisions_voided"] == 2


def test_a_key_is_for_the_subject_the_reviewer_was_shown(
    database_url: str, vault: Vault, case_id: int
) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    subject = _subject(database_url, artefact_id)
    with pytest.raises(ArtefactRefused, match="you were shown v1 000000000000"):
        _approve(database_url, artefact_id, SIRT2, seen=Subject(case_id, artefact_id, 1, "0" * 64))
    with pytest.raises(ArtefactRefused, match="you were shown v2"):
        _approve(database_url, artefact_id, SIRT2, seen=Subject(case_id, artefact_id, 2, subject.sha256))
    assert _approve(database_url, artefact_id, SIRT2, seen=subject) is ReviewState.PENDING
    with session_scope(database_url) as session:
        [row] = session.exec(select(ArtefactApproval)).all()
    assert (row.sha256, row.case_id, row.version, row.purpose) == (
        subject.sha256,
        case_id,
        1,
        "handover_to_customer",
    )
    assert row.role == "sirt" and row.approver == SIRT2 and row.slack_id == SIRT2


def test_export_refused_before_both_approvals(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)

    def attempt() -> None:
        _export(database_url, vault, case_id)

    with pytest.raises(ArtefactRefused, match="no artefact submitted for review"):
        attempt()
    _submit(database_url, artefact_id)
    with pytest.raises(ArtefactRefused, match=rf"not approved: {artefact_id} \(pending\)"):
        attempt()
    _approve(database_url, artefact_id, SIRT2)
    with pytest.raises(ArtefactRefused, match="pending"):
        attempt()
    assert _events(database_url, case_id, "artefacts_exported") == []
    assert len(_events(database_url, case_id, "refused")) == 3
    with pytest.raises(ArtefactRefused, match="export is for the case owner"):
        _export(database_url, vault, case_id, who=LEGAL2)


def test_a_denial_needs_a_reason_and_stops_export(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    _approve(database_url, artefact_id, SIRT2)
    seen = _subject(database_url, artefact_id)
    with pytest.raises(ValueError, match="reason: a denial needs a reason"), session_scope(database_url) as s:
        service.deny(
            s, artefact_id, reason=" ", actor=person(LEGAL1), roles=ROLES[LEGAL1], now=NOW, seen=seen
        )
    with session_scope(database_url) as session:
        status = service.deny(
            session, artefact_id, reason="names a third party", actor=person(LEGAL1), roles=ROLES[LEGAL1],
            now=NOW, seen=seen,
        )  # fmt: skip
    assert status.state is ReviewState.DENIED
    with pytest.raises(ArtefactRefused, match="was denied by U0LEGAL1"):
        _approve(database_url, artefact_id, LEGAL2)
    [denied] = _events(database_url, case_id, "artefact_denied")
    assert denied.data["reason"] == "names a third party"


def test_reads_are_recorded_and_tampering_refused(database_url: str, vault: Vault, case_id: int) -> None:
    artefact_id = _add(database_url, vault, case_id)
    with session_scope(database_url) as session:
        assert (
            service.read_artefact(
                session, vault, artefact_id, actor=person(LEGAL1), roles=ROLES[LEGAL1], now=NOW
            )
            == CONTENT
        )
    [read] = _events(database_url, case_id, "artefact_read")
    assert read.actor == LEGAL1 and read.data["artefact_id"] == artefact_id
    with session_scope(database_url) as session:
        ref = service.get_artefact(session, artefact_id).storage_ref
    path = vault.store.root / ref[:2] / ref
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with (
        pytest.raises(ArtefactRefused, match="cannot be read \\(tampered\\)"),
        session_scope(database_url) as s,
    ):
        service.read_artefact(s, vault, artefact_id, actor=person(LEGAL1), roles=ROLES[LEGAL1], now=NOW)
    assert len(_events(database_url, case_id, "artefact_unreadable")) == 1
    assert len(_events(database_url, case_id, "artefact_read")) == 1


def test_nda_status_is_set_by_the_csm_and_shown_in_review(
    database_url: str, vault: Vault, case_id: int
) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    with session_scope(database_url) as session:
        [summary] = service.artefact_summaries(session, case_id)
    assert summary["nda_signed"] is False
    with pytest.raises(ArtefactRefused, match="set nda needs the csm role"), session_scope(database_url) as s:
        service.set_nda_status(s, case_id, "signed", actor=person(SIRT2), roles=ROLES[SIRT2], now=NOW)
    with session_scope(database_url) as s, pytest.raises(ValueError, match="'maybe' is not one of offered"):
        service.set_nda_status(s, case_id, "maybe", actor=person(CSM), roles=ROLES[CSM], now=NOW)
    with session_scope(database_url) as session:
        service.set_nda_status(session, case_id, "signed", actor=person(CSM), roles=ROLES[CSM], now=NOW)
        status = service.review_of(session, service.get_artefact(session, artefact_id))
        assert cases.get_case(session, case_id).nda_status == "signed"
    assert status.nda_signed and status.notes == ()
    [event] = _events(database_url, case_id, "nda_status")
    assert event.data == {"from": None, "to": "signed"}


def test_submission_records_the_missing_nda_on_the_sirt_issue(
    database_url: str, vault: Vault, case_id: int
) -> None:
    artefact_id = _add(database_url, vault, case_id)
    _submit(database_url, artefact_id)
    _submit(database_url, artefact_id)  # a double click records nothing more
    [submitted] = _events(database_url, case_id, "artefact_submitted")
    assert submitted.data["nda_status"] is None
    with session_scope(database_url) as session:
        [note] = [
            n for n in session.exec(select(OutboxItem).where(OutboxItem.kind == "gitlab.note")).all()
            if n.payload["event"] == "artefact_submitted"
        ]  # fmt: skip
    assert "**no signed NDA on this case (NDA status: not set).**" in note.payload["body"]


def test_nothing_is_kept_or_reviewed_on_a_case_not_accepted_and_open(database_url: str, vault: Vault) -> None:
    """The attacks: storing, submitting and approving on an unclaimed, a rejected and a cancelled case."""
    unclaimed = open_case(database_url, key_="unclaimed", owner=None)  # eligible: accepted, not claimed
    waiting = _add(database_url, vault, unclaimed)  # its extract may be kept
    with pytest.raises(ArtefactRefused, match="submit is for the case owner"):
        _submit(database_url, waiting)  # but nobody owns it to submit anything
    live = open_case(database_url, key_="live")
    artefact_id = _add(database_url, vault, live)
    _submit(database_url, artefact_id)
    with session_scope(database_url) as session:
        cases.apply_transition(
            session, live, "cancelled", actor=SIRT1, roles=ROLES[SIRT1], now=NOW + timedelta(minutes=1)
        )
    with pytest.raises(ArtefactRefused, match="the case is cancelled"):
        _approve(database_url, artefact_id, SIRT2)
    with pytest.raises(ArtefactRefused, match="the case is cancelled"):
        _add(database_url, vault, live)
    with pytest.raises(ArtefactRefused, match="the case is cancelled"):
        _export(database_url, vault, live)
    with session_scope(database_url) as session:
        assert session.exec(select(ArtefactApproval)).all() == []


def test_the_case_level_moves_into_approved_and_shared_are_gone(database_url: str, case_id: int) -> None:
    """No person moves a case to artefacts_approved or shared; only keys and a hand-over do."""
    with session_scope(database_url) as session:
        service_case = cases.get_case(session, case_id)
        assert service_case.state == "investigating"
    for target, who in (("artefacts_in_review", SIRT1), ("artefacts_approved", LEGAL1), ("shared", CSM)):
        with pytest.raises(cases.ActionRefused), session_scope(database_url) as session:
            cases.apply_transition(
                session, case_id, target, actor=who, roles=ROLES[who] | ROLES[SIRT1], now=NOW
            )
    assert _state(database_url, case_id) == "investigating"
