"""`logdive extract CASE`: a recorded case's outputs sealed on it, and plain copies only when asked."""

from __future__ import annotations

import getpass
import os
import shutil
from datetime import datetime
from pathlib import Path

from bot.artefacts.vault import Vault
from bot.cli.output import Problem, fail, ready_database, stderr
from bot.cli.output import plain as plain_text
from bot.extract.run import ExtractionResult
from bot.extract.sealing import Output, seal_on_case
from bot.settings import get_settings
from workflows.assessment import Route


def vault_for_case() -> Vault:
    """The artefact vault a recorded case's outputs are sealed in (checked before any log is read)."""
    from bot.artefacts.keys import KeyConfigError

    try:
        return Vault.from_settings(get_settings())
    except KeyConfigError as exc:
        fail([Problem("LOGDIVE_ARTEFACT_KEY", f"{exc}: a recorded case's outputs are sealed on it")])


def seal(
    label: str,
    number: int,
    route: Route,
    vault: Vault,
    outputs: tuple[Output, ...],
    result: ExtractionResult,
    sources: list[str],
    moment: datetime,
    plain: tuple[Path, ...] | None,
) -> None:
    """Store the outputs on case `number` in one unit of work; exit 1 if custody refuses it."""
    from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
    from bot.db.engine import session_scope

    try:
        policy = get_settings().load_policy().retention
    except (OSError, ValueError) as exc:
        fail([Problem("LOGDIVE_POLICY", f"cannot load the policy ({exc})")])
    try:
        with session_scope(ready_database(False)) as session:
            ids = seal_on_case(
                session, vault, number, route=route, outputs=outputs, result=result,
                sources=sources, now=moment, policy=policy, operator=_operator(),
                plain_copies=[p.resolve() for p in plain or ()],
            )  # fmt: skip
    except (ArtefactRefused, ArtefactNotFound) as exc:
        fail([Problem("CASE", str(exc))], code=1)
    except OSError as exc:
        fail([Problem("LOGDIVE_ARTEFACT_DIR", f"cannot be written: {exc.strerror or exc}")], code=1)
    names = ", ".join(f"{o.name} (artefact {i}, {o.kind.value})" for o, i in zip(outputs, ids, strict=True))
    stderr().print(plain_text(f"{label}: sealed on the case: {names}"))


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def copy_output(source: Path, target: Path) -> None:
    """A plain copy (0600, renamed into place) of an output, for --out or a --request run."""
    temporary = target.with_name(f".{target.name}.partial")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, source.open("rb") as handle:
            shutil.copyfileobj(handle, out, 1 << 20)
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail([Problem(str(target), f"cannot be written: {exc.strerror or exc}")], code=1)
