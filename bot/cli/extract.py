"""`logdive extract (CASE | --request FILE) LOGFILE… [--out FILE]`: the log-dive itself.

Reads GitLab's JSON-lines logs (plain or gzip, any number, any size), keeps the entries the case
concerns, redacts them, and writes by route: Security gets the redacted entries and a manifest,
Support an aggregate summary only. The route decides, never a flag: `--route` is for `--request` files.
A recorded case's outputs are sealed on the case (bot/extract/sealing.py); plain files only with `--out`.
The requester's and in-scope users' ids and the scope's project and group ids come from GitLab
(GITLAB_URL) when the run starts. Exit 0 done, 2 bad input (a missing file, a bad request file, an
unknown case, GitLab out of reach), 1 the extraction itself failed (e.g. the disk filled up).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.catalog import load_catalog
from bot.cli.extract_case import copy_output, seal, vault_for_case
from bot.cli.extract_view import RichProgress, counts_table, inputs_table, summary_tables
from bot.cli.output import Problem, fail, ready_database, stderr, stdout
from bot.cli.output import plain as plain_text
from bot.cli.request_file import read_request
from bot.clock import parse_moment, utc_now
from bot.extract.identities import ResolutionFailed, resolve_known_ids
from bot.extract.outputs import build_manifest, build_support_summary, dropped_of, write_json
from bot.extract.run import ExtractionResult, run_extraction
from bot.extract.scan import ExtractSpec
from bot.extract.sealing import Output, outputs_for
from bot.extract.sources import Source, SourceError, expand, expand_existing, for_window
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
    number: int | None = None  # a recorded case's id: its outputs are sealed on it


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)


def extract(
    case: Annotated[
        str | None,
        typer.Argument(metavar="CASE", help="A case id (LD-42); leave out when --request is given."),
    ] = None,
    logfiles: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SOURCE...",
            help="GitLab JSON logs, plain or gzip: paths, globs, directories, s3:// or gs:// URLs; "
            "default: LOGDIVE_LOG_SOURCES for the case's window.",
            show_default=False,
        ),
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
        typer.Option("--route", help="With --request only: who gets the result; default: routing's verdict."),
    ] = None,
    case_id: Annotated[
        str | None,
        typer.Option("--case-id", help="With --request: the case's name for outputs and pseudonyms."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes to use; default: every core.")
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run on a Dask cluster (tcp://scheduler:8786); default: LOGDIVE_DASK_SCHEDULER, else here.",
        ),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", metavar="ISO8601", help="Route and stamp as at this moment.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
) -> None:
    """The log-dive: a case's entries from GitLab JSON logs, redacted; Support gets aggregates only."""
    moment = _moment(now)
    specs = [case] if request_file is not None and case else []
    specs.extend(logfiles or [])
    if request_file is not None:
        subject = _case_from_file(request_file, case_id, route, moment)
    elif case:
        if route is not None:
            fail([Problem("--route", "only with --request FILE: a recorded case's own route decides")])
        subject = _case_from_store(case)
    else:
        fail([Problem("CASE", "give a case id (e.g. LD-42), or --request FILE with the scope")])
    paths = _sources(specs, subject)
    vault = vault_for_case() if subject.number is not None else None
    plain = _output_paths(subject, out) if out is not None or subject.number is None else None
    known = _resolve(subject)
    with tempfile.TemporaryDirectory(prefix=".logdive-extract-") as private:
        directory = Path(private)  # 0700: the outputs exist only here until sealed or copied
        outputs = outputs_for(subject.label, subject.route, directory)
        result = _run(subject, paths, outputs[0].path, known, workers, quiet, dask_address)
        _write_record(subject, outputs, result, moment)
        if plain is not None:
            for output, target in zip(outputs, plain, strict=False):
                copy_output(output.path, target)
        if vault is not None:
            assert subject.number is not None
            seal(subject.label, subject.number, subject.route, vault, outputs, result,
                 [p.url for p in paths], moment, plain if out is not None else None)  # fmt: skip
    if not quiet:
        _show(result, subject, plain, outputs)


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


def _case_from_store(case: str) -> _Case:
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
    return _Case(cases.case_label(number), request, stored_route, number)


# -- files -----------------------------------------------------------------------------------------------
def _sources(specs: list[str], subject: _Case) -> list[Source]:
    """The files to read: those named, else LOGDIVE_LOG_SOURCES for the case's window."""
    try:
        if specs:
            return expand(specs)
        patterns = get_settings().log_sources
        if not patterns:
            fail([Problem("SOURCE", "name at least one log file, or set LOGDIVE_LOG_SOURCES")])
        window = subject.request.window
        found, missing = expand_existing(for_window(patterns, window.start, window.end))
    except SourceError as exc:
        fail([Problem("SOURCE", str(exc))])
    if not found:
        why = f"no file for the case's window ({len(missing)} patterns tried)"
        fail([Problem("LOGDIVE_LOG_SOURCES", why)])
    if missing:
        stderr().print(plain_text(f"note: {len(missing)} of the window's log patterns named no file"))
    return found


def _output_paths(subject: _Case, out: Path | None) -> tuple[Path, ...]:
    """Plain files: (entries, manifest) for Security; (summary,) for Support."""
    if subject.route is Route.SECURITY:
        entries = out or Path(f"{subject.label}-extract.jsonl")
        manifest = entries.with_name(entries.name.removesuffix(".jsonl") + ".manifest.json")
        targets: tuple[Path, ...] = (entries, manifest)
    else:
        targets = (out or Path(f"{subject.label}-summary.json"),)
    for target in targets:
        parent = target.parent.resolve()
        if not parent.is_dir():
            fail([Problem("--out", f"the directory {parent} does not exist")])
        if not os.access(parent, os.W_OK):
            fail([Problem("--out", f"the directory {parent} is not writable")])
        if target.is_dir():
            fail([Problem("--out", f"{target} is a directory; name a file")])
    return targets


def _resolve(subject: _Case) -> KnownIds:
    """The people's and the scope's GitLab ids, from GITLAB_URL (a clear exit 2 when it cannot answer)."""
    from bot.gitlab.client import make_gitlab
    from bot.logs import configure_logging

    try:
        settings = get_settings()
        # JSON log lines go to stderr; a terminal user sees them only when they asked for a level.
        configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
        return resolve_known_ids(make_gitlab(settings), subject.request)
    except ResolutionFailed as exc:
        fail([Problem("GITLAB_URL", f"{exc}: the extract needs GitLab's ids for the case's people")])


def _run(
    subject: _Case,
    paths: list[Source],
    entries_out: Path,
    known: KnownIds,
    workers: int | None,
    quiet: bool,
    dask_address: str | None = None,
) -> ExtractionResult:
    secret = get_settings().pseudonym_secret  # a settings problem: one line, exit 2 (bot.cli.main)
    dask_address = dask_address or get_settings().dask_scheduler
    if secret is None and subject.route is Route.SECURITY and not quiet:
        stderr().print(
            "[yellow]warning:[/] LOGDIVE_PSEUDONYM_SECRET is not set: anyone who knows the case id can "
            "test a guessed username against its pseudonym."
        )
    key = case_key(subject.label, secret.get_secret_value().encode() if secret else b"")
    try:
        scope = ExtractScope.from_request(subject.request, load_catalog(), known)
    except ValueError as exc:
        fail([Problem("resources", str(exc).removeprefix("resources: "))])
    spec = ExtractSpec(
        scope=scope,
        rules=RedactionRules.for_case(subject.request, subject.route, key, known),
        write_entries=subject.route is Route.SECURITY,
    )
    client = _dask_client(dask_address) if dask_address else None
    progress = None if quiet else RichProgress(stderr(), f"{subject.label}: reading")
    try:
        return run_extraction(
            paths,
            spec,
            entries_out=entries_out if subject.route is Route.SECURITY else None,
            workers=workers,
            progress=progress,
            dask=client,
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
    finally:
        if client is not None:
            client.close()


def _dask_client(address: str) -> object:
    from bot.extract.on_dask import DaskUnavailable, connect

    try:
        return connect(address)
    except DaskUnavailable as exc:
        fail([Problem("--dask", str(exc))])


def _write_record(
    subject: _Case, outputs: tuple[Output, ...], result: ExtractionResult, moment: datetime
) -> None:
    """The manifest (Security) or the summary (Support), beside the entries in the private directory."""
    request, route = subject.request, subject.route
    if route is Route.SECURITY:
        manifest = build_manifest(
            subject.label, request, route, result, moment, personal_data_kept=request.personal_data
        )
        _write(outputs[1].path, manifest)
    else:
        _write(outputs[0].path, build_support_summary(subject.label, request, route, result, moment))


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
def _show(
    result: ExtractionResult, subject: _Case, plain: tuple[Path, ...] | None, outputs: tuple[Output, ...]
) -> None:
    console = stdout()
    console.print(inputs_table(result))
    console.print(counts_table("not kept", dropped_of(result)))
    if subject.route is Route.SECURITY:
        console.print(counts_table("redacted", dict(sorted(result.redactions.items()))))
    console.print(summary_tables(result.summary))
    megabytes = sum(r.size for r in result.inputs) / 1e6
    console.print(
        plain_text(
            f"{subject.label}: route {subject.route.value}; {result.kept:,} entries kept of "
            f"{sum(r.lines for r in result.inputs):,} lines; {megabytes:,.1f} MB in {result.elapsed_s:.1f} s "
            f"({megabytes / max(result.elapsed_s, 1e-9):,.0f} MB/s, {result.workers} worker(s))"
        )
    )
    if subject.number is not None:
        console.print(plain_text(f"outputs: sealed on the case (logdive artefacts list {subject.label})"))
    if plain is None:
        return
    if subject.route is Route.SECURITY:
        console.print(plain_text(f"entries:  {plain[0]}\nmanifest: {plain[1]}"))
    else:
        console.print(plain_text(f"summary (aggregates only, no raw entries): {plain[0]}"))
