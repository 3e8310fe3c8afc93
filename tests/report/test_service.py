"""`build_report` on a recorded case: the sealed extract in, HTML and PDF artefacts out, under two keys."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import cases
from bot.artefacts import service as artefacts
from bot.artefacts.errors import ArtefactRefused
from bot.db.engine import session_scope
from bot.db.models import CaseEvent
from bot.report.findings import NoteText
from bot.report.service import ReportError, build_report
from tests.artefacts.conftest import LEGAL1, NOBODY, NOW, POLICY, ROLES, SIRT1, SIRT2, SUPPORT
from tests.extract import synthetic
from tests.report import planted
from tests.report.conftest import seal
from tests.report.documents import pdf_text
from workflows.assessment import Route
from workflows.audit_gap import GapReport
from workflows.pseudonyms import IdentifierKind, Pseudonymiser, case_key
from workflows.review import Person, ReviewState
from workflows.states import Role

# What SIRT writes on the issue: one note chosen for the report, one kept internal. The chosen one plants
# everything a person could paste: another tenant's path, a foreign mention, e-mail and address, an
# internal host and address, a token and a link.
CHOSEN = (
    f"**Finding (report):** the member change on {synthetic.GROUP} was made by @{synthetic.FOREIGN.USERNAME} "
    f"({synthetic.FOREIGN.EMAIL}) from {synthetic.FOREIGN.IP4}, through {synthetic.FOREIGN.HOSTNAME} "
    f"({synthetic.FOREIGN.INTERNAL_IP}); the same person works on "
    f"/{synthetic.FOREIGN.OTHER_PROJECT}/-/issues "
    f"with token {synthetic.SECRETS.PAT}, see https://{synthetic.FOREIGN.HOSTNAME}/logs. "
    f"@{synthetic.SCOPE_USER} signed in from {synthetic.SCOPE_USER_IP} as usual."
)
INTERNAL = "**Finding:** internal only: correlates with incident INTERNAL-ONLY-7731 on the Gitaly fleet"


def _build(url, vault, case_id, actor=SIRT1, **options):
    with session_scope(url) as session:
        return build_report(
            session, vault, case_id, actor=actor, roles=ROLES[actor], now=NOW, policy=POLICY, **options
        )


def _blob(url, vault, artefact_id, actor=SIRT1) -> bytes:
    with session_scope(url) as session:
        return artefacts.read_artefact(session, vault, artefact_id, actor=actor, roles=ROLES[actor], now=NOW)


def _notes() -> list[NoteText]:
    return [
        NoteText(body="Claimed by SIRT", created_at=NOW, system=True),
        NoteText(body=INTERNAL, created_at=NOW),
        NoteText(body=CHOSEN, created_at=NOW + timedelta(hours=1)),
    ]


def test_security_report_is_two_artefacts_bound_to_the_extract(database_url, vault, sealed_case) -> None:
    case = sealed_case(Route.SECURITY)
    built = _build(database_url, vault, case.id, notes=_notes())
    manifest_sha = hashlib.sha256(case.extract.manifest.read_bytes()).hexdigest()
    entries_sha = hashlib.sha256(case.extract.entries.read_bytes()).hexdigest()
    assert built.extract_sha256 == manifest_sha and built.entries_sha256 == entries_sha
    assert built.findings == 1
    with session_scope(database_url) as session:
        rows = {a.name: a for a in artefacts.list_artefacts(session, case.id)}
        event = session.exec(select(CaseEvent).where(CaseEvent.kind == "report_built")).one()
        html_row, pdf_row = rows[f"{case.label}-report.html"], rows[f"{case.label}-report.pdf"]
        for row in (html_row, pdf_row):
            assert row.kind == "automated_analysis"
            assert (
                row.expires_at - NOW == timedelta(days=POLICY.automated_analysis_days) == timedelta(days=30)
            )
        assert event.data["extract_sha256"] == manifest_sha and event.data["entries_sha256"] == entries_sha
        assert event.data["html_sha256"] == html_row.sha256 and event.data["pdf_sha256"] == pdf_row.sha256
        reads = session.exec(select(CaseEvent).where(CaseEvent.kind == "artefact_read")).all()
        assert {r.data["purpose"] for r in reads} == {"report"} and len(reads) == 2  # manifest and entries
    html = _blob(database_url, vault, built.html.artefact_id).decode()
    assert manifest_sha in html and entries_sha in html
    kept = sum(1 for _ in case.extract.entries.read_bytes().splitlines())
    assert f"All {kept} entries" in html
    assert f"@{synthetic.SCOPE_USER} signed in from {synthetic.SCOPE_USER_IP} as usual" in html
    assert "INTERNAL-ONLY-7731" not in html


def test_nothing_the_extract_may_not_contain_reaches_html_or_pdf(database_url, vault, sealed_case) -> None:
    case = sealed_case(Route.SECURITY)
    with session_scope(database_url) as session:
        gap = GapReport(
            missing=[f"project visits by {synthetic.FOREIGN.EMAIL} on {synthetic.FOREIGN.HOSTNAME}"],
            used_logs=["production_json"],
        )
        cases.record_event(
            session, cases.get_case(session, case.id), kind="audit_gap_reported", actor=SIRT1, now=NOW,
            data={"report": gap.model_dump(mode="json")},
        )  # fmt: skip
    built = _build(database_url, vault, case.id, notes=_notes())
    html = _blob(database_url, vault, built.html.artefact_id).decode()
    text = pdf_text(_blob(database_url, vault, built.pdf.artefact_id))
    planted_strings = [*planted.planted_strings(), "secret-plans", "evil-mail", "gitlab-production.internal"]
    assert [p for p in planted_strings if p in html] == []
    assert [p for p in planted_strings if p in text] == []
    # ...and what was planted shows as the extract shows it: pseudonyms and placeholders.
    for shown in ("[REDACTED]", "[host]", "[internal]", "[link removed]", "project visits by email-"):
        assert shown in html, shown
    assert re.search(r"made by user-[0-9a-f]{8}", html) and "About GitLab's audit events" in text
    assert synthetic.SCOPE_USER in html  # the customer's own person, named: personal data was asked
    # A finding names a foreign address by the same pseudonym as the extract's tables do.
    same = Pseudonymiser(case_key(case.label)).pseudonym(IdentifierKind.IP, synthetic.FOREIGN.IP4)
    assert f"from {same}, through [host]" in html and f'<td class="mono">{same}</td>' in html


def test_the_same_extract_gives_the_same_bytes_and_a_new_extract_a_new_version(
    database_url, vault, sealed_case, tmp_path
) -> None:
    case = sealed_case(Route.SECURITY)
    first = _build(database_url, vault, case.id)
    again = _build(database_url, vault, case.id)
    assert (again.html.changed, again.pdf.changed) == (False, False)
    assert (again.html.sha256, again.pdf.sha256, again.html.version) == (
        first.html.sha256,
        first.pdf.sha256,
        1,
    )
    # Both keys on the first version: the report could be shared.
    with session_scope(database_url) as session:  # review happens while the case is investigated
        if cases.get_case(session, case.id).state == "triaged":
            cases.apply_transition(
                session, case.id, "investigating", actor=SIRT1, roles=ROLES[SIRT1], now=NOW
            )
    with session_scope(database_url) as session:
        for stored in (first.html, first.pdf):
            artefacts.submit_for_review(
                session, stored.artefact_id, actor=Person(SIRT1), roles=ROLES[SIRT1], now=NOW
            )
            seen = artefacts.subject_of(artefacts.get_artefact(session, stored.artefact_id))
            for person, role in ((SIRT2, Role.SIRT), (LEGAL1, Role.LEGAL)):
                artefacts.approve(
                    session, stored.artefact_id, actor=Person(person), roles=ROLES[person], now=NOW,
                    as_role=role, seen=seen,
                )  # fmt: skip
        approved = artefacts.review_of(session, artefacts.get_artefact(session, first.html.artefact_id))
        assert approved.state is ReviewState.APPROVED
    # A new extract (a narrower window): a new version of each report file, and the keys no longer count.
    window = {"start": "2026-11-03T00:00:00Z", "end": "2026-11-08T00:00:00Z"}
    newer = planted.extract(tmp_path / "v2", Route.SECURITY, case=case.label, window=window)
    seal(database_url, vault, case.id, newer, SIRT1)
    second = _build(database_url, vault, case.id)
    assert (second.html.version, second.pdf.version) == (2, 2)
    assert (second.html.artefact_id, second.pdf.artefact_id) == (
        first.html.artefact_id,
        first.pdf.artefact_id,
    )
    assert (
        second.extract_sha256
        == hashlib.sha256(newer.manifest.read_bytes()).hexdigest()
        != first.extract_sha256
    )
    with session_scope(database_url) as session:
        review = artefacts.review_of(session, artefacts.get_artefact(session, second.html.artefact_id))
        assert review.state is ReviewState.CHANGED
    assert second.extract_sha256 in _blob(database_url, vault, second.html.artefact_id).decode()


def test_a_support_report_holds_no_raw_entry(database_url, vault, sealed_case) -> None:
    case = sealed_case(Route.SUPPORT)
    built = _build(database_url, vault, case.id, actor=SUPPORT)
    assert built.entries_sha256 is None
    html = _blob(database_url, vault, built.html.artefact_id, actor=SUPPORT).decode()
    text = pdf_text(_blob(database_url, vault, built.pdf.artefact_id, actor=SUPPORT))
    for document in (html, text):
        assert "GitLab Support" in document and "Times accessed" in document
        # No entry: no correlation id, no request path, no pseudonym, no address, no appendix.
        assert not re.search(
            r"week-\d{3}|case-\d{2}|/-/issues/|(user|uid|ip|name|email|ns)-[0-9a-f]{8}", document
        )
        assert synthetic.SCOPE_USER_IP not in document and "Appendix" not in document
    assert f"{case.extract.request.window.start:%Y-%m-%d %H:%M}" in html


def test_a_support_case_refuses_an_extract_with_entries(database_url, vault, sealed_case, tmp_path) -> None:
    case = sealed_case(Route.SUPPORT)
    security = planted.extract(tmp_path / "sec", Route.SECURITY, case=case.label)
    seal(database_url, vault, case.id, security, SUPPORT)
    with pytest.raises(ReportError, match="Support case"):
        _build(database_url, vault, case.id, actor=SUPPORT)


def test_without_an_extract_or_with_another_case_s_it_says_so(
    database_url, vault, sealed_case, tmp_path
) -> None:
    from tests.report.conftest import open_case

    bare = open_case(database_url, Route.SECURITY, owner=SIRT1, key="bare")
    with pytest.raises(ReportError, match="no sealed extract"):
        _build(database_url, vault, bare)
    other = planted.extract(tmp_path / "other", Route.SECURITY, case="LD-999")
    seal(database_url, vault, bare, other, SIRT1)
    with pytest.raises(ReportError, match="is for 'LD-999'"):
        _build(database_url, vault, bare)
    with session_scope(database_url) as session:
        names = [a.name for a in artefacts.list_artefacts(session, bare)]
    assert not any("report" in n for n in names)


def test_someone_without_a_role_builds_nothing_and_it_is_recorded(database_url, vault, sealed_case) -> None:
    case = sealed_case(Route.SECURITY)
    with pytest.raises(ArtefactRefused):
        _build(database_url, vault, case.id, actor=NOBODY)
    with session_scope(database_url) as session:
        names = [a.name for a in artefacts.list_artefacts(session, case.id)]
        refused = session.exec(select(CaseEvent).where(CaseEvent.kind == "unauthorised")).all()
    assert not any("report" in n for n in names)
    assert [r.actor for r in refused] == [NOBODY]
