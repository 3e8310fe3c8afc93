"""`logdive extract (CASE | --request FILE) LOGFILE… [--out FILE]`: the log-dive itself.

Reads GitLab's JSON-lines logs (plain or gzip, any number, any size), keeps the entries the case
concerns, redacts them, and writes by route: Security gets the redacted entries and a manifest,
Support an aggregate summary only. Exit 0 done, 2 bad input (a missing file, a bad request file, an
unknown case), 1 the extraction itself failed (e.g. the disk filled up).
"""

from __future__ import annotations

import hashlib
import os
import re
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.catalog import load_catalog
from bot.cli.extract_view import RichProgress, counts_table, inputs_table, summary_tables
from bot.cli.output import Problem, fail, plain, ready_database, stderr, stdout
from bot.cli.request_file import read_request
from bot.clock import parse_moment, utc_now
from bot.extract.outputs import build_manifest, build_support_summary, dropped_of, write_json
from bot.extract.run import ExtractionResult, run_extraction
from bot.extract.scan import ExtractSpec
from bot.settings import get_settings
from workflows.assessment import Route
from workflows.log_selection import ExtractScope
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.routing import route as route_request
from workflows.tenancy import KnownIds

_CASE_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class _Case:
    label: str  # names the output files and keys the pseudonyms
    request: LogDiveRequest
    route: Route


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)


def extract(
    case: Annotated[
        str | None,
        typer.Argument(metavar="CASE", help="A case id (LD-42); leave out when --request is given."),
    ] = None,
    logfiles: Annotated[
        list[Path] | None,
        typer.Argument(metavar="LOGFILE...", help="GitLab JSON logs, plain or gzip.", show_default=False),
    ] = None,
    request_file: Annotated[
        Path | None,
        typer.Option("--request", metavar="FILE", help="Take the scope from a request file (JSON or YAML)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Security: the entries file (default <case>-extract.jsonl, manifest beside it as "
            "<name>.manifest.json). Support: the summary file (default <case>-summary.json).",
        ),
    ] = None,
    route: Annotated[
        Route | None,
        typer.Option("--route", help="Who gets the result; default: the case's route, or routing's verdict."),
    ] = None,
    case_id: Annotated[
        str | None,
        typer.Option("--case-id", help="With --request: the case's name for outputs and pseudonyms."),
    ] = None,
    user_ids: Annotated[
        list[int] | None,
        typer.Option("--user-id", metavar="ID", help="GitLab id of a user in scope (repeatable)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes to use; default: every core.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", metavar="ISO8601", help="Route and stamp as at this moment.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
) -> None:
    """The log-dive: a case's entries from GitLab JSON logs, redacted; Support gets aggregates only."""
    moment = _moment(now)
    paths = [Path(case)] if request_file is not None and case else []
    paths.extend(logfiles or [])
    if request_file is not None:
        subject = _case_from_file(request_file, case_id, route, moment)
    elif case:
        subject = _case_from_store(case, route)
    else:
        fail([Problem("CASE", "give a case id (e.g. LD-42), or --request FILE with the scope")])
    _check_inputs(paths)
    outputs = _output_paths(subject, out)
    result = _run(subject, paths, outputs, user_ids or [], workers, quiet)
    if subject.route is Route.SECURITY:
        manifest = build_manifest(
            subject.label,
            subject.request,
            subject.route,
            result,
            moment,
            personal_data_kept=subject.request.personal_data,
        )
        _write(outputs[1], manifest)
    else:
        _write(
            outputs[0], build_support_summary(subject.label, subject.request, subject.route, result, moment)
        )
    if not quiet:
        _show(result, subject, outputs)


# -- the case --------------------------------------------------------------------------------------------
def _case_from_file(file: Path, label: str | None, route: Route | None, moment: datetime) -> _Case:
    policy = get_settings().load_policy()
    request = read_request(str(file), policy.eligibility)
    if label is not None and not _CASE_LABEL.fullmatch(label):
        fail([Problem("--case-id", f"{label!r} is not allowed: 1–64 letters, digits, '.', '_' or '-'")])
    if label is None:  # the same request file always names (and keys) the same case
        label = "req-" + hashlib.sha256(request.model_dump_json().encode()).hexdigest()[:10]
    if route is None:
        route, _notes = route_request(request, policy, moment)
    return _Case(label, request, route)


def _case_from_store(case: str, route: Route | None) -> _Case:
    """A recorded case's own request and route, from DATABASE_URL (read-only)."""
    from bot import cases  # the database layer, only when a case id is given
    from bot.db.engine import session_scope

    try:
        number = cases.parse_case_label(case)
    except ValueError as exc:
        fail([Problem("CASE", str(exc))])
    url = ready_database(False)
    with session_scope(url) as session:
        try:
            stored = cases.get_case(session, number)
        except cases.CaseError as exc:
            fail([Problem("CASE", str(exc))])
        if stored.route is None or stored.erased_at is not None:
            why = "was erased" if stored.erased_at else f"was not accepted (decision: {stored.decision})"
            fail([Problem("CASE", f"{cases.case_label(number)} {why}: there is no scope to extract")])
        request = LogDiveRequest.model_validate(stored.request)
        stored_route = Route(stored.route)
    return _Case(cases.case_label(number), request, route or stored_route)


# -- files -----------------------------------------------------------------------------------------------
def _check_inputs(paths: list[Path]) -> None:
    if not paths:
        fail([Problem("LOGFILE", "name at least one log file")])
    problems = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "does not exist"))
        elif not path.is_file():
            problems.append(Problem(str(path), "is not a file"))
        elif not os.access(path, os.R_OK):
            problems.append(Problem(str(path), "cannot be read (permission denied)"))
    if problems:
        fail(problems)


def _output_paths(subject: _Case, out: Path | None) -> tuple[Path, Path]:
    """(entries, manifest) for Security; (summary, summary) for Support."""
    if subject.route is Route.SECURITY:
        entries = out or Path(f"{subject.label}-extract.jsonl")
        manifest = entries.with_name(entries.name.removesuffix(".jsonl") + ".manifest.json")
        targets = (entries, manifest)
    else:
        summary = out or Path(f"{subject.label}-summary.json")
        targets = (summary, summary)
    for target in targets:
        parent = target.parent.resolve()
        if not parent.is_dir():
            fail([Problem("--out", f"the directory {parent} does not exist")])
        if not os.access(parent, os.W_OK):
            fail([Problem("--out", f"the directory {parent} is not writable")])
        if target.is_dir():
            fail([Problem("--out", f"{target} is a directory; name a file")])
    return targets


def _run(
    subject: _Case,
    paths: list[Path],
    outputs: tuple[Path, Path],
    user_ids: list[int],
    workers: int | None,
    quiet: bool,
) -> ExtractionResult:
    secret = get_settings().pseudonym_secret  # a settings problem: one line, exit 2 (bot.cli.main)
    if secret is None and subject.route is Route.SECURITY and not quiet:
        stderr().print(
            "[yellow]warning:[/] LOGDIVE_PSEUDONYM_SECRET is not set: anyone who knows the case id can "
            "test a guessed username against its pseudonym."
        )
    own = (subject.request.requester_username, *subject.request.resources.users)
    known = KnownIds(users={u.lower(): i for u, i in zip(own, user_ids, strict=False)})
    key = case_key(subject.label, secret.get_secret_value().encode() if secret else b"")
    spec = ExtractSpec(
        scope=ExtractScope.from_request(subject.request, load_catalog(), known),
        rules=RedactionRules.for_case(subject.request, subject.route, key, known),
        write_entries=subject.route is Route.SECURITY,
    )
    progress = None if quiet else RichProgress(stderr(), f"{subject.label}: reading")
    try:
        return run_extraction(
            paths,
            spec,
            entries_out=outputs[0] if subject.route is Route.SECURITY else None,
            workers=workers,
            progress=progress,
        )
    except OSError as exc:
        fail(
            [Problem(getattr(exc, "filename", None) or "", f"extraction failed: {exc.strerror or exc}")],
            code=1,
        )
    except Exception as exc:  # a bug: say where, but not the message, which may quote a log line
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        fail([Problem("", f"extraction failed: internal error {type(exc).__name__} at {where}")], code=1)


def _write(path: Path, record: object) -> None:
    try:
        write_json(path, record)  # type: ignore[arg-type]
    except OSError as exc:
        fail([Problem(str(path), f"cannot be written: {exc.strerror or exc}")], code=1)


def _moment(now: str | None) -> datetime:
    if now is None:
        return utc_now()
    try:
        return parse_moment(now)
    except ValueError as exc:
        fail([Problem("--now", str(exc))])


# -- what a person sees ----------------------------------------------------------------------------------
def _show(result: ExtractionResult, subject: _Case, outputs: tuple[Path, Path]) -> None:
    console = stdout()
    console.print(inputs_table(result))
    console.print(counts_table("not kept", dropped_of(result)))
    if subject.route is Route.SECURITY:
        console.print(counts_table("redacted", dict(sorted(result.redactions.items()))))
    console.print(summary_tables(result.summary))
    megabytes = sum(r.size for r in result.inputs) / 1e6
    console.print(
        plain(
            f"{subject.label}: route {subject.route.value}; {result.kept:,} entries kept of "
            f"{sum(r.lines for r in result.inputs):,} lines; {megabytes:,.1f} MB in {result.elapsed_s:.1f} s "
            f"({megabytes / max(result.elapsed_s, 1e-9):,.0f} MB/s, {result.workers} worker(s))"
        )
    )
    if subject.route is Route.SECURITY:
        console.print(plain(f"entries:  {outputs[0]}\nmanifest: {outputs[1]}"))
    else:
        console.print(plain(f"summary (aggregates only, no raw entries): {outputs[0]}"))
