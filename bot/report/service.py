"""Build a case's findings report from its sealed extract and keep it as artefacts of the case.

`build_report` is the one door: the CLI (`logdive report CASE`) and a Slack button call it with an
authenticated actor. In one unit of work it reads the sealed extract (recorded reads, custody rules), renders
the HTML and the PDF, and stores each as an automated-analysis artefact (30-day retention), so the same two
keys as any artefact stand between it and the customer. Rendering is deterministic: the same extract (and
findings) gives the same bytes, which changes nothing; a new extract version gives a new report version,
whose new checksum voids any earlier keys. The report names the extract's SHA-256, and the case event
`report_built` binds the report versions to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.artefacts import service as artefacts
from bot.artefacts.events import Actor, record_event
from bot.artefacts.vault import Vault
from bot.cases import CaseNotFound, case_label
from bot.catalog import load_catalog
from bot.db.models import Artefact, Case, CaseEvent
from bot.report import findings as finding_notes
from bot.report import model
from bot.report.extract_record import (
    EXTRACT_SUFFIXES,
    ExtractRecord,
    ExtractUnreadable,
    read_entries,
    read_extract,
)
from bot.report.render import Paper, render_html, render_pdf
from workflows.assessment import Route
from workflows.log_summary import actor_of
from workflows.policy import RetentionPolicy
from workflows.pseudonyms import case_key, is_pseudonym
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.retention import ArtefactKind
from workflows.states import Role

# The names `logdive extract` gives a case's outputs: <case>-extract.manifest.json, <case>-summary.json.
REPORT_KIND = ArtefactKind.AUTOMATED_ANALYSIS


class ReportError(ValueError):
    """The report cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class StoredReport:
    artefact_id: int
    name: str
    version: int
    sha256: str
    size: int
    changed: bool  # a new artefact or a new version; False: the same bytes were already stored


@dataclass(frozen=True)
class BuiltReport:
    case: str
    extract_artefact_id: int
    extract_sha256: str
    entries_sha256: str | None
    html: StoredReport
    pdf: StoredReport
    findings: int


def report_names(label: str) -> tuple[str, str]:
    return f"{label}-report.html", f"{label}-report.pdf"


def latest_extract(session: Session, case_id: int) -> Artefact | None:
    """The case's newest live manifest or summary artefact."""
    live = artefacts.list_artefacts(session, case_id, include_deleted=False)
    found = [a for a in live if a.name.endswith(EXTRACT_SUFFIXES)]
    return found[-1] if found else None


def build_report(
    session: Session,
    vault: Vault,
    case_id: int,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    policy: RetentionPolicy,
    notes: Sequence[finding_notes.NoteText] = (),
    pseudonym_secret: bytes = b"",
    paper: Paper = Paper.A4,
) -> BuiltReport:
    """Render the report of the case's sealed extract and store it (HTML and PDF) on the case."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_label(case_id)}")
    label = case_label(case_id)
    source = latest_extract(session, case_id)
    if source is None or source.id is None:
        raise ReportError(
            f"{label} has no sealed extract (an artefact named *{EXTRACT_SUFFIXES[0]} or "
            f"*{EXTRACT_SUFFIXES[1]}): run the log-dive first"
        )
    read: dict[str, Any] = {"actor": actor, "roles": roles, "now": now, "purpose": "report"}
    record = _record(artefacts.read_artefact(session, vault, source.id, **read), source.id)
    _check_belongs(record, case, label)
    entries = b""
    if record.entries is not None:
        entries_artefact = _entries_artefact(session, case_id, record, label)
        entries = artefacts.read_artefact(session, vault, entries_artefact, **read)
    named_ips = _named_ips(entries, record)
    request = LogDiveRequest.model_validate(case.request)
    rules = RedactionRules.for_case(
        request, Route(case.route or record.route), case_key(label, pseudonym_secret)
    )
    chosen = finding_notes.choose(notes, rules, keep_ips=named_ips)
    content = model.build(
        record,
        source.sha256,
        load_catalog(),
        entries=read_entries(entries),
        findings=chosen,
        audit_note=_audit_note(session, case_id, rules),
    )
    html = render_html(content).encode()
    pdf = render_pdf(html.decode(), paper)
    html_name, pdf_name = report_names(label)
    store: dict[str, Any] = {"actor": actor, "roles": roles, "now": now, "policy": policy}
    stored_html = _store(session, vault, case_id, html_name, html, **store)
    stored_pdf = _store(session, vault, case_id, pdf_name, pdf, **store)
    record_event(
        session,
        case_id,
        kind="report_built",
        actor=actor,
        roles=roles,
        now=now,
        data={
            "extract_artefact_id": source.id,
            "extract_sha256": source.sha256,
            "entries_sha256": record.entries.sha256 if record.entries else None,
            "findings": len(chosen),
            **{
                f"{kind}_{field}": getattr(stored, field)
                for kind, stored in (("html", stored_html), ("pdf", stored_pdf))
                for field in ("artefact_id", "version", "sha256", "changed")
            },
        },
    )
    return BuiltReport(
        case=label,
        extract_artefact_id=source.id,
        extract_sha256=source.sha256,
        entries_sha256=record.entries.sha256 if record.entries else None,
        html=stored_html,
        pdf=stored_pdf,
        findings=len(chosen),
    )


def _record(data: bytes, artefact_id: int) -> ExtractRecord:
    try:
        return read_extract(data)
    except ExtractUnreadable as exc:
        raise ReportError(f"artefact {artefact_id} is not an extract the report can read: {exc}") from None


def _check_belongs(record: ExtractRecord, case: Case, label: str) -> None:
    if record.case != label:
        raise ReportError(
            f"the sealed extract is for {record.case!r}, not {label}: it cannot be reported here"
        )
    if case.route == Route.SUPPORT.value and record.entries is not None:
        raise ReportError(
            f"{label} is a Support case: its report is built from the aggregate summary only, and the sealed "
            "extract holds raw entries"
        )


def _entries_artefact(session: Session, case_id: int, record: ExtractRecord, label: str) -> int:
    assert record.entries is not None
    wanted = record.entries.sha256
    for artefact in reversed(artefacts.list_artefacts(session, case_id, include_deleted=False)):
        if artefact.sha256 == wanted and artefact.id is not None:
            return artefact.id
    raise ReportError(f"the extract's entries (SHA-256 {wanted}) are not sealed on {label}")


def _named_ips(data: bytes, record: ExtractRecord) -> frozenset[str]:
    """Addresses the extract shows as they are (the customer's own people, when personal data was asked):
    a finding may name them too; every other address in a finding becomes a pseudonym. This first pass
    over the entries also checks them against the manifest, so the report's pass cannot fail half-way."""
    named: set[str] = set()
    count = 0
    try:
        for entry in read_entries(data):
            count += 1
            ip = actor_of(entry)[1]
            if ip and not is_pseudonym(ip):
                named.add(ip)
    except ExtractUnreadable as exc:
        raise ReportError(f"the extract's entries cannot be read: {exc}") from None
    expected = record.entries.count if record.entries is not None else 0
    if count != expected:
        raise ReportError(f"the extract's entries hold {count} entries, its manifest says {expected}")
    return frozenset(named)


def _audit_note(session: Session, case_id: int, rules: RedactionRules) -> model.AuditNote | None:
    """What Audit Events lacked, when the case reported a gap (its latest report), neutralised."""
    event = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == "audit_gap_reported")
        .order_by(col(CaseEvent.id).desc())
    ).first()
    report = (event.data or {}).get("report") if event is not None else None
    if not isinstance(report, dict):
        return None
    missing = tuple(
        text for item in report.get("missing") or () if (text := finding_notes.neutralise(str(item), rules))
    )
    used = tuple(str(log) for log in report.get("used_logs") or () if isinstance(log, str))
    return model.AuditNote(missing=missing, used_logs=used) if missing else None


def _store(
    session: Session,
    vault: Vault,
    case_id: int,
    name: str,
    data: bytes,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    policy: RetentionPolicy,
) -> StoredReport:
    """The report file as an artefact: new, a new version, or (the same bytes) left as it is."""
    sha256 = hashlib.sha256(data).hexdigest()
    existing = next(
        (
            a
            for a in reversed(artefacts.list_artefacts(session, case_id, include_deleted=False))
            if a.name == name
        ),
        None,
    )
    context: dict[str, Any] = {"actor": actor, "roles": roles, "now": now, "policy": policy}
    if existing is not None and existing.id is not None:
        if existing.sha256 == sha256:
            return StoredReport(existing.id, name, existing.version, sha256, existing.size, changed=False)
        artefact = artefacts.add_version(session, vault, existing.id, data=data, **context)
    else:
        artefact = artefacts.store_artefact(
            session, vault, case_id, name=name, kind=REPORT_KIND, data=data, source="report", **context
        )
    assert artefact.id is not None
    return StoredReport(artefact.id, name, artefact.version, artefact.sha256, artefact.size, changed=True)
