"""One extraction for a case, start to end, as a service: the CLI and the Slack "Run log-dive" button
share it. Raises instead of printing; callers turn failures into their own messages.

    known = resolve_known_ids(make_gitlab(settings), job.request)        # GitLab's ids (identities.py)
    result, artefact_ids = run_case_extract(job, sources, known, ...)    # sealed on the case

Outputs (names stable, for readers of the sealed artefacts): Security `<label>-extract.jsonl` (raw) and
`<label>-extract.manifest.json` (automated_analysis); Support `<label>-summary.json`
(automated_analysis); and an `extract_run` event on the case (bot/extract/sealing.py).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.artefacts.vault import Vault
from bot.catalog import load_catalog
from bot.extract.outputs import build_manifest, build_support_summary, write_json
from bot.extract.run import ExtractionResult, ProgressSink, run_extraction
from bot.extract.scan import ExtractSpec
from bot.extract.sealing import Output, outputs_for, seal_on_case
from bot.extract.sources import Source
from workflows.assessment import Route
from workflows.log_selection import ExtractScope
from workflows.policy import RetentionPolicy
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds


@dataclass(frozen=True)
class ExtractJob:
    label: str  # names the outputs and keys the pseudonyms (LD-42)
    request: LogDiveRequest
    route: Route  # the case's own route: it decides what comes out
    case_id: int | None = None  # a recorded case: its outputs are sealed on it


def spec_for(job: ExtractJob, known: KnownIds, secret: bytes) -> ExtractSpec:
    """The selection and redaction of `job` (ValueError: a project named by an id GitLab did not resolve)."""
    return ExtractSpec(
        scope=ExtractScope.from_request(job.request, load_catalog(), known),
        rules=RedactionRules.for_case(job.request, job.route, case_key(job.label, secret), known),
        write_entries=job.route is Route.SECURITY,
    )


def write_record(job: ExtractJob, outputs: Sequence[Output], result: ExtractionResult, now: datetime) -> None:
    """The manifest (Security, beside the entries) or the summary (Support), 0600, renamed into place."""
    request, route = job.request, job.route
    if route is Route.SECURITY:
        manifest = build_manifest(
            job.label, request, route, result, now, personal_data_kept=request.personal_data
        )
        write_json(outputs[1].path, manifest)
    else:
        write_json(outputs[0].path, build_support_summary(job.label, request, route, result, now))


@contextmanager
def extracted(
    job: ExtractJob,
    sources: Sequence[Source],
    known: KnownIds,
    *,
    secret: bytes,
    now: datetime,
    workers: int | None = None,
    dask: Any = None,
    progress: ProgressSink | None = None,
    plain_copies: Sequence[Path] = (),
) -> Iterator[tuple[list[Output], ExtractionResult]]:
    """Run the extraction of `job` into a private (0700) temporary directory, write its record (manifest
    or summary) and the plain copies asked for, and yield (outputs, result); the directory is gone after."""
    spec = spec_for(job, known, secret)
    with tempfile.TemporaryDirectory(prefix=".logdive-extract-") as private:
        outputs = outputs_for(job.label, job.route, Path(private))
        result = run_extraction(
            sources,
            spec,
            entries_out=outputs[0].path if spec.write_entries else None,
            workers=workers,
            progress=progress,
            dask=dask,
        )
        write_record(job, outputs, result, now)
        for output, target in zip(outputs, plain_copies, strict=False):
            copy_private(output.path, target)
        yield list(outputs), result


def run_case_extract(
    job: ExtractJob,
    sources: Sequence[Source],
    known: KnownIds,
    *,
    secret: bytes,
    vault: Vault,
    database_url: str,
    policy: RetentionPolicy,
    now: datetime,
    operator: str,
    workers: int | None = None,
    dask: Any = None,
    progress: ProgressSink | None = None,
    plain_copies: Sequence[Path] = (),
) -> tuple[ExtractionResult, list[int]]:
    """Extract, then seal every output on the recorded case and record the run, in one unit of work.

    The outputs exist only in a private temporary directory until sealed; `plain_copies` (the operator's
    explicit `--out`) are written first and named in an `extract_plain_copy` event.
    """
    from bot.db.engine import session_scope

    if job.case_id is None:
        raise ValueError("run_case_extract is for a recorded case")
    with (
        extracted(job, sources, known, secret=secret, now=now, workers=workers, dask=dask,
                  progress=progress, plain_copies=plain_copies) as (outputs, result),
        session_scope(database_url) as session,  # opened once the extraction is done
    ):  # fmt: skip
        ids = seal_on_case(
            session, vault, job.case_id, route=job.route, outputs=outputs, result=result,
            sources=[s.url for s in sources], now=now, policy=policy, operator=operator,
            plain_copies=[p.resolve() for p in plain_copies],
        )  # fmt: skip
    return result, ids


def copy_private(source: Path, target: Path) -> None:
    """A plain copy of an output (0600, renamed into place; nothing half-written is left)."""
    import os

    temporary = target.with_name(f".{target.name}.partial")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, source.open("rb") as handle:
            shutil.copyfileobj(handle, out, 1 << 20)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
