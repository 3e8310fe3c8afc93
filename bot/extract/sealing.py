"""A recorded case's extraction outputs go straight into the artefact store, sealed, and the run is recorded.

One unit of work: the artefacts (Security: the redacted entries as `raw`, the manifest as
`automated_analysis`; Support: the aggregate summary as `automated_analysis`), an `extract_run` event on
the case with each input's SHA-256 and counts, and, when the operator asked for plain files with
`--out`, an `extract_plain_copy` event naming them. Stored by Logdive itself (the `system` role), so
custody and retention apply from the first byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot import cases
from bot.artefacts import service
from bot.artefacts.vault import Vault
from bot.db.models import Case
from bot.extract.outputs import TOOL, dropped_of, tool_version
from bot.extract.run import ExtractionResult
from workflows.assessment import Route
from workflows.policy import RetentionPolicy
from workflows.retention import ArtefactKind
from workflows.states import Role

EXTRACT_RUN = "extract_run"
PLAIN_COPY = "extract_plain_copy"


@dataclass(frozen=True)
class Output:
    name: str  # the artefact's name, e.g. LD-42-extract.jsonl
    path: Path  # where the run wrote it (a private temporary directory)
    kind: ArtefactKind


def outputs_for(label: str, route: Route, directory: Path) -> tuple[Output, ...]:
    """What a run for `route` leaves, in `directory`: entries then manifest, or the summary."""
    if route is Route.SECURITY:
        return (
            Output(f"{label}-extract.jsonl", directory / f"{label}-extract.jsonl", ArtefactKind.RAW),
            Output(
                f"{label}-extract.manifest.json",
                directory / f"{label}-extract.manifest.json",
                ArtefactKind.AUTOMATED_ANALYSIS,
            ),
        )
    summary = f"{label}-summary.json"
    return (Output(summary, directory / summary, ArtefactKind.AUTOMATED_ANALYSIS),)


def seal_on_case(
    session: Session,
    vault: Vault,
    case_id: int,
    *,
    route: Route,
    outputs: Sequence[Output],
    result: ExtractionResult,
    sources: Sequence[str],
    now: datetime,
    policy: RetentionPolicy,
    operator: str,
    plain_copies: Sequence[Path] = (),
) -> list[int]:
    """Store every output sealed on the case and record the run; the new artefacts' ids."""
    roles = frozenset({Role.SYSTEM})
    stored = []
    for output in outputs:
        artefact = service.store_artefact(
            session, vault, case_id, name=output.name, kind=output.kind, data=output.path.read_bytes(),
            actor=cases.SYSTEM, roles=roles, now=now, policy=policy, source="extract",
        )  # fmt: skip
        stored.append(artefact)
    ids = [artefact.id or 0 for artefact in stored]
    case = session.get(Case, case_id)
    assert case is not None
    cases.record_event(
        session,
        case,
        kind=EXTRACT_RUN,
        actor=cases.SYSTEM,
        roles=roles,
        now=now,
        data={
            "tool": TOOL,
            "tool_version": tool_version(),
            "operator": operator,
            "route": route.value,
            "sources": len(sources),
            "inputs": [
                {
                    "index": r.index,
                    "name": r.name,
                    "bytes": r.size,
                    "sha256": r.sha256,
                    "lines": r.lines,
                    "malformed_lines": r.malformed,
                    "entries_kept": r.kept,
                    "truncated": r.truncated,
                }
                for r in result.inputs
            ],
            "entries_kept": result.kept,
            "dropped": dropped_of(result),
            "artefacts": [
                {"id": i, "name": o.name, "kind": o.kind.value, "sha256": a.sha256}
                for i, o, a in zip(ids, outputs, stored, strict=True)
            ],
        },
    )
    if plain_copies:
        cases.record_event(
            session, case, kind=PLAIN_COPY, actor=cases.SYSTEM, roles=roles, now=now,
            data={"operator": operator, "files": [str(p) for p in plain_copies]},
        )  # fmt: skip
    return ids
