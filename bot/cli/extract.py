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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.output import Problem, fail, ready_database, stderr, stdout
from bot.cli.output import plain as plain_text
from bot.clock import parse_moment, utc_now
from bot.extract.sources import Source, SourceError, expand, expand_existing, for_window
from bot.settings import get_settings
from workflows.assessment import Route
from workflows.request import LogDiveRequest

if TYPE_CHECKING:  # the extractor, the vault and GitLab are imported when it runs, not for `--help`
    from bot.cli.extract_view import RichProgress
    from bot.extract.job import ExtractJob
    from bot.extract.run import ExtractionResult
    from workflows.tenancy import KnownIds

_CASE_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


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
    from bot.cli.extract_case import (
        closing_client,
        failures,
        operator,
        retention_policy,
        told_sealed,
        vault_for_case,
    )
    from bot.cli.extract_view import RichProgress
    from bot.extract.job import run_case_extract
    from bot.extract.sealing import outputs_for

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
    vault = vault_for_case() if subject.case_id is not None else None
    plain = _output_paths(subject, out) if out is not None or subject.case_id is None else None
    known = _resolve(subject)
    secret, client = _secret(subject, quiet), _dask_client(dask_address)
    progress = None if quiet else RichProgress(stderr(), f"{subject.label}: reading")
    with failures(), closing_client(client):
        if vault is not None:
            result, ids = run_case_extract(
                subject, paths, known, secret=secret, vault=vault, database_url=ready_database(False),
                policy=retention_policy(), now=moment, operator=operator(), workers=workers,
                dask=client, progress=progress, plain_copies=plain or (),
            )  # fmt: skip
            outputs = outputs_for(subject.label, subject.route, Path())
            told_sealed(subject.label, outputs, ids)
        else:
            result = _run_for_file(subject, paths, known, secret, workers, client, progress, plain, moment)
    if not quiet:
        _show(result, subject, plain)


def _run_for_file(
    job: ExtractJob,
    paths: list[Source],
    known: KnownIds,
    secret: bytes,
    workers: int | None,
    client: object,
    progress: RichProgress | None,
    plain: tuple[Path, ...] | None,
    moment: datetime,
) -> ExtractionResult:
    """A --request run: the outputs as plain files (0600), nothing recorded anywhere."""
    from bot.extract.job import extracted

    with extracted(job, paths, known, secret=secret, now=moment, workers=workers, dask=client,
                   progress=progress, plain_copies=plain or ()) as (_outputs, result):  # fmt: skip
        pass
    return result


# -- the case --------------------------------------------------------------------------------------------
def _case_from_file(file: Path, label: str | None, route: Route | None, moment: datetime) -> ExtractJob:
    from bot.cli.request_file import read_request
    from bot.extract.job import ExtractJob
    from workflows.routing import route as route_request

    policy = get_settings().load_policy()
    request = read_request(str(file), policy.eligibility)
    if label is not None and not _CASE_LABEL.fullmatch(label):
        fail([Problem("--case-id", f"{label!r} is not allowed: 1–64 letters, digits, '.', '_' or '-'")])
    if label is None:  # the same request file always names (and keys) the same case
        label = "req-" + hashlib.sha256(request.model_dump_json().encode()).hexdigest()[:10]
    if route is None:
        route, _notes = route_request(request, policy, moment)
    return ExtractJob(label, request, route)


def _case_from_store(case: str) -> ExtractJob:
    """A recorded case's own request and route, from DATABASE_URL (read-only)."""
    from bot import cases  # the database layer, only when a case id is given
    from bot.db.engine import session_scope
    from bot.extract.job import ExtractJob

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
    return ExtractJob(cases.case_label(number), request, stored_route, case_id=number)


# -- files -----------------------------------------------------------------------------------------------
def _sources(specs: list[str], subject: ExtractJob) -> list[Source]:
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


def _output_paths(subject: ExtractJob, out: Path | None) -> tuple[Path, ...]:
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


def _resolve(subject: ExtractJob) -> KnownIds:
    """The people's and the scope's GitLab ids, from GITLAB_URL (a clear exit 2 when it cannot answer)."""
    from bot.extract.identities import ResolutionFailed, resolve_known_ids
    from bot.gitlab.client import make_gitlab
    from bot.logs import configure_logging

    try:
        settings = get_settings()
        # JSON log lines go to stderr; a terminal user sees them only when they asked for a level.
        configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
        return resolve_known_ids(make_gitlab(settings), subject.request)
    except ResolutionFailed as exc:
        fail([Problem("GITLAB_URL", f"{exc}: the extract needs GitLab's ids for the case's people")])


def _secret(subject: ExtractJob, quiet: bool) -> bytes:
    secret = get_settings().pseudonym_secret  # a settings problem: one line, exit 2 (bot.cli.main)
    if secret is None and subject.route is Route.SECURITY and not quiet:
        stderr().print(
            "[yellow]warning:[/] LOGDIVE_PSEUDONYM_SECRET is not set: anyone who knows the case id can "
            "test a guessed username against its pseudonym."
        )
    return secret.get_secret_value().encode() if secret else b""


def _dask_client(address: str | None) -> object:
    """A Dask client for --dask or LOGDIVE_DASK_SCHEDULER; None: run here."""
    from bot.extract.on_dask import DaskUnavailable, connect

    address = address or get_settings().dask_scheduler
    if not address:
        return None
    try:
        return connect(address)
    except DaskUnavailable as exc:
        fail([Problem("--dask", str(exc))])


def _moment(now: str | None) -> datetime:
    if now is None:
        return utc_now()
    try:
        return parse_moment(now)
    except ValueError as exc:
        fail([Problem("--now", str(exc))])


# -- what a person sees ----------------------------------------------------------------------------------
def _show(result: ExtractionResult, subject: ExtractJob, plain: tuple[Path, ...] | None) -> None:
    from bot.cli.extract_view import counts_table, inputs_table, summary_tables
    from bot.extract.outputs import dropped_of

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
    if subject.case_id is not None:
        console.print(plain_text(f"outputs: sealed on the case (logdive artefacts list {subject.label})"))
    if plain is None:
        return
    if subject.route is Route.SECURITY:
        console.print(plain_text(f"entries:  {plain[0]}\nmanifest: {plain[1]}"))
    else:
        console.print(plain_text(f"summary (aggregates only, no raw entries): {plain[0]}"))
