"""`logdive extract`'s plumbing around bot/extract/job.py: the vault and policy a recorded case needs,
failures as one clear line and an exit code, and what the operator is told."""

from __future__ import annotations

import getpass
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.vault import Vault
from bot.cli.output import Problem, fail, stderr
from bot.cli.output import plain as plain_text
from bot.extract.sealing import Output
from bot.settings import get_settings
from workflows.policy import RetentionPolicy


def vault_for_case() -> Vault:
    """The artefact vault a recorded case's outputs are sealed in (checked before any log is read)."""
    from bot.artefacts.keys import KeyConfigError

    try:
        return Vault.from_settings(get_settings())
    except KeyConfigError as exc:
        fail([Problem("LOGDIVE_ARTEFACT_KEY", f"{exc}: a recorded case's outputs are sealed on it")])


def retention_policy() -> RetentionPolicy:
    try:
        return get_settings().load_policy().retention
    except (OSError, ValueError) as exc:
        fail([Problem("LOGDIVE_POLICY", f"cannot load the policy ({exc})")])


def operator() -> str:
    """Who ran it on this host (recorded on the case's extract_run event)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def told_sealed(label: str, outputs: Sequence[Output], ids: Sequence[int]) -> None:
    names = ", ".join(f"{o.name} (artefact {i}, {o.kind.value})" for o, i in zip(outputs, ids, strict=True))
    stderr().print(plain_text(f"{label}: sealed on the case: {names}"))


@contextmanager
def failures() -> Iterator[None]:
    """What can go wrong once reading starts: one line, exit 1 (2 for a scope GitLab did not resolve)."""
    try:
        yield
    except (ArtefactRefused, ArtefactNotFound) as exc:
        fail([Problem("CASE", str(exc))], code=1)
    except ValueError as exc:  # from the scope: a project named by an id GitLab did not resolve
        fail([Problem("resources", str(exc).removeprefix("resources: "))])
    except OSError as exc:
        where = getattr(exc, "filename", None) or ""
        fail([Problem(str(where), f"extraction failed: {exc.strerror or exc}")], code=1)
    except Exception as exc:  # a bug: say where, but not the message, which may quote a log line
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        fail([Problem("", f"extraction failed: internal error {type(exc).__name__} at {where}")], code=1)


@contextmanager
def closing_client(client: Any) -> Iterator[None]:
    try:
        yield
    finally:
        if client is not None:
            client.close()
