"""`logdive report CASE --as USER` and `logdive report --extract FILE --out DIR`: the findings report.

For a case, the report is built from the case's sealed extract and stored on the case as two artefacts (HTML
and PDF) under the usual custody: nothing is written outside the artefact store, and it leaves Logdive only
after a Security key and a Legal key on its exact bytes. SIRT's findings are read from the SIRT issue
(notes starting "Finding (report)"). `--extract` renders an extract file that is not on a case (e.g. one
made with `logdive extract --request`) into DIR, for a look before a case exists.
Exit codes: 0 done, 1 refused or failed (no extract, GitLab unreachable, not allowed), 2 bad input.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.output import Problem, fail, plain, print_json, ready_database, stdout

FAILED = 1


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    case: Annotated[
        str | None, typer.Argument(metavar="CASE", help="A case id (LD-42); leave out with --extract.")
    ] = None,
    extract: Annotated[
        Path | None,
        typer.Option("--extract", metavar="FILE", help="A manifest or summary file instead of a case."),
    ] = None,
    entries: Annotated[
        Path | None,
        typer.Option(
            "--entries", metavar="FILE", help="With --extract: the entries file (default: beside it)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", metavar="DIR", help="With --extract: where to write.")
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="PDF page size: A4 or letter.")] = "A4",
    no_findings: Annotated[
        bool, typer.Option("--no-findings", help="Build without reading SIRT's findings from GitLab.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """The customer-ready findings report (HTML and PDF) of a case's sealed extract."""
    from bot.report.render import Paper

    try:
        page = Paper(paper.upper() if paper.upper() == "A4" else paper.lower())
    except ValueError:
        fail([Problem("--paper", f"{paper!r} is not allowed: A4 or letter")], json_output=json_output)
    if extract is not None:
        if case is not None:
            fail([Problem("CASE", "give a case or --extract FILE, not both")], json_output=json_output)
        _from_files(extract, entries, out, page, json_output)
        return
    if case is None:
        fail([Problem("CASE", "give a case id (e.g. LD-42), or --extract FILE")], json_output=json_output)
    if out is not None or entries is not None:
        fail(
            [Problem("--out", "a case's report is stored on the case, not written out; read it with "
                     "`logdive artefacts read`")],
            json_output=json_output,
        )  # fmt: skip
    _for_case(case, page, no_findings, json_output)


def _for_case(case: str, paper: object, no_findings: bool, json_output: bool) -> None:
    """Built by the host's operator as Logdive itself (recorded as `cli:<os user>`): no typed-in person."""
    from bot.cases import case_label, parse_case_label
    from bot.cli.artefacts import OPERATOR_ROLES, _handled, _operator_actor, _vault
    from bot.clock import utc_now
    from bot.db.engine import session_scope
    from bot.db.models import Case
    from bot.report.service import ReportError, build_report
    from bot.settings import get_settings

    try:
        number = parse_case_label(case)
    except ValueError as exc:
        fail([Problem("CASE", str(exc))], json_output=json_output)
    with _handled(json_output):
        url, vault, roles, acting = ready_database(json_output), _vault(), OPERATOR_ROLES, _operator_actor()
        settings = get_settings()
        policy = settings.load_policy().retention
        with session_scope(url) as session:
            stored = session.get(Case, number)
            iid = stored.sirt_issue_iid if stored is not None else None
        notes = [] if no_findings or iid is None else _notes(settings, iid, json_output)
        secret = settings.pseudonym_secret.get_secret_value().encode() if settings.pseudonym_secret else b""
        try:
            with session_scope(url) as session:
                built = build_report(
                    session, vault, number, actor=acting, roles=roles, now=utc_now(), policy=policy,
                    notes=notes, pseudonym_secret=secret, paper=paper,  # type: ignore[arg-type]
                )  # fmt: skip
        except ReportError as exc:
            fail([Problem(case_label(number), str(exc))], json_output=json_output, code=FAILED)
    files = [built.html, built.pdf]
    if json_output:
        print_json(
            {
                "case": built.case,
                "extract": {"artefact_id": built.extract_artefact_id, "sha256": built.extract_sha256},
                "findings": built.findings,
                "artefacts": [vars(f) for f in files],
            }
        )
        return
    console = stdout()
    console.print(
        plain(f"{built.case}: report of the extract {built.extract_sha256} ({built.findings} finding(s))")
    )
    for f in files:
        state = "new version" if f.changed and f.version > 1 else "stored" if f.changed else "unchanged"
        console.print(plain(f"  artefact {f.artefact_id} {f.name} v{f.version} ({state}): {f.sha256}"))
    if any(f.changed for f in files):
        console.print(
            plain("Submit each for review: `logdive artefacts submit ID`; two keys before it is shared.")
        )


def _notes(settings: object, iid: int, json_output: bool) -> list[object]:
    """The SIRT issue's notes; GitLab unreachable stops the build (a report silently without findings
    would look complete)."""
    from gitlab.exceptions import GitlabError
    from requests.exceptions import RequestException

    from bot.gitlab.client import make_gitlab
    from bot.report.findings import fetch_notes

    project = getattr(settings, "sirt_project", None)
    if not project:
        fail([Problem("LOGDIVE_SIRT_PROJECT", "is not set: cannot read findings (or pass --no-findings)")],
             json_output=json_output, code=FAILED)  # fmt: skip
    try:
        return list(fetch_notes(make_gitlab(settings), project, iid))  # type: ignore[arg-type]
    except (GitlabError, RequestException) as exc:
        reason = getattr(exc, "error_message", None) or type(exc).__name__
        fail([Problem("GITLAB_URL", f"cannot read the SIRT issue's notes ({reason}); or pass --no-findings")],
             json_output=json_output, code=FAILED)  # fmt: skip


def _from_files(
    extract: Path, entries: Path | None, out: Path | None, paper: object, json_output: bool
) -> None:
    from bot.catalog import load_catalog
    from bot.report import model
    from bot.report.extract_record import ExtractUnreadable, read_entries, read_extract
    from bot.report.render import render_html, render_pdf

    if out is None or not out.is_dir():
        fail([Problem("--out", f"name an existing directory to write the report into (got {out})")],
             json_output=json_output)  # fmt: skip
    data = _read(extract, "--extract", json_output)
    try:
        record = read_extract(data)
    except ExtractUnreadable as exc:
        fail([Problem("--extract", f"{extract}: {exc}")], json_output=json_output)
    rows: list[dict[str, object]] = []
    if record.entries is not None:
        path = entries or extract.with_name(Path(record.entries.file).name or "missing")
        raw = _read(path, "--entries", json_output)
        if hashlib.sha256(raw).hexdigest() != record.entries.sha256:
            fail([Problem("--entries", f"{path} is not the extract's entries file (SHA-256 differs)")],
                 json_output=json_output)  # fmt: skip
        try:
            rows = list(read_entries(raw))
        except ExtractUnreadable as exc:
            fail([Problem("--entries", f"{path}: {exc}")], json_output=json_output)
    content = model.build(record, hashlib.sha256(data).hexdigest(), load_catalog(), entries=rows)
    html = render_html(content)
    pdf = render_pdf(html, paper)  # type: ignore[arg-type]
    stem = out / f"{record.case}-report"
    targets = {stem.with_suffix(".html"): html.encode(), stem.with_suffix(".pdf"): pdf}
    for target, body in targets.items():
        _write_private(target, body)
    if json_output:
        print_json({"case": record.case, "files": [str(t) for t in targets]})
    else:
        stdout().print(plain("\n".join(f"written: {t}" for t in targets)))


def _read(path: Path, option: str, json_output: bool) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail([Problem(option, f"cannot read {path}: {exc.strerror or exc}")], json_output=json_output)


def _write_private(target: Path, body: bytes) -> None:
    """Owner-only, whole or not at all (renamed into place)."""
    fd, temporary = tempfile.mkstemp(prefix=".logdive-report-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
