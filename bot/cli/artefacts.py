"""`logdive artefacts …`, `logdive keys …`: the operator's side of artefact custody.

The CLI runs as an operator on the host, who already holds the key ring: it stores a file (sealed at
once, unreviewed), lists a case's artefacts, decrypts one for the operator, expires, and manages keys,
each recorded as `cli:<os user>`. Nothing a person does (submitting, the two keys, a denial, a
hand-over, an extension, an erasure) is done from here: those come from an authenticated person in
the case thread, so no typed id can act for anyone. Exit codes: 0 done, 1 refused, 2 bad input.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from bot.cli.output import Problem, fail, plain, print_json, ready_database, stderr, stdout
from bot.clock import utc_now
from workflows.retention import ArtefactKind
from workflows.states import Role

if TYPE_CHECKING:  # the vault and the database are imported when a command runs, not for `--help`
    from sqlmodel import Session

    from bot.artefacts.vault import Vault

REFUSED = 1
OPERATOR_ROLES = frozenset({Role.SYSTEM})  # the host's operator acts as Logdive itself, never as a person

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="A case id: LD-42 or 42.")]
ArtefactArg = Annotated[
    int, typer.Argument(metavar="ARTEFACT", help="An artefact id (see `artefacts list`).")
]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write (must not exist).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def register(app: typer.Typer) -> None:
    artefacts_app = typer.Typer(
        help="Encrypted case artefacts: review, export, retention.", no_args_is_help=True
    )
    keys_app = typer.Typer(help="The artefact encryption keys (LOGDIVE_ARTEFACT_KEY).", no_args_is_help=True)

    @artefacts_app.command("add")
    def add_command(
        case_id: CaseArg,
        file: Annotated[Path, typer.Argument(metavar="FILE", help="The file to store, encrypted.")],
        kind: Annotated[ArtefactKind, typer.Option("--kind", help="Decides how long it is kept.")],
        name: Annotated[str | None, typer.Option("--name", help="Default: the file's name.")] = None,
    ) -> None:
        """Store a file on a case as the operator (e.g. a diagnostic file): sealed at once, unreviewed."""
        from bot.artefacts import service
        from bot.cases import case_label
        from bot.db.engine import session_scope
        from bot.settings import get_settings

        number = _case(case_id)
        data = _read_input(file)
        with _handled():
            url, vault = ready_database(False), _vault()
            policy = get_settings().load_policy().retention
            with session_scope(url) as session:
                artefact = service.store_artefact(
                    session,
                    vault,
                    number,
                    name=name or file.name,
                    kind=kind,
                    data=data,
                    actor=_operator_actor(),
                    roles=OPERATOR_ROLES,
                    now=utc_now(),
                    policy=policy,
                    source="cli",
                )
        _done(
            f"artefact {artefact.id} stored on {case_label(number)}: {artefact.sha256}, "
            f"kept until {artefact.expires_at:%Y-%m-%d %H:%M} UTC"
        )

    @artefacts_app.command("list")
    def list_command(case_id: CaseArg, json_output: JsonFlag = False) -> None:
        """A case's artefacts: kind, checksum, review, expiry (nothing is decrypted)."""
        from bot.artefacts import service
        from bot.cases import case_label
        from bot.db.engine import session_scope

        number = _case(case_id, json_output)
        with _handled(json_output):
            url = ready_database(json_output)
            with session_scope(url) as session:
                rows = service.artefact_summaries(session, number)
        if json_output:
            print_json({"case": case_label(number), "artefacts": rows})
            return
        table = Table(
            "id", "name", "kind", "v", "sha256", "review", "keys", "expires", title=case_label(number)
        )
        for row in rows:
            keys = ", ".join(f"{role}: {who or '—'}" for role, who in row["keys"].items())
            expires = "deleted " + row["deleted_at"][:16] if row["deleted_at"] else row["expires_at"][:16]
            if row["customer_must_be_told"]:
                expires += " (extended: tell the customer)"
            table.add_row(
                str(row["id"]),
                plain(row["name"]),
                row["kind"],
                str(row["version"]),
                row["sha256"][:16],
                row["review"],
                plain(keys),
                expires.replace("T", " "),
            )
        stdout().print(table if rows else f"{case_label(number)} has no artefacts")

    @artefacts_app.command("read")
    def read_command(artefact_id: ArtefactArg, out: OutOption) -> None:
        """Decrypt an artefact to a file as the operator (the read is recorded on the case)."""
        from bot.artefacts import service

        with _writing(out) as (write, session, vault):
            write(
                service.read_artefact(
                    session, vault, artefact_id, actor=_operator_actor(), roles=OPERATOR_ROLES, now=utc_now()
                )
            )
        _done(f"artefact {artefact_id} written to {out}")

    @artefacts_app.command("expire")
    def expire_command(
        now: Annotated[str | None, typer.Option("--now", metavar="ISO8601", help="Replay a moment.")] = None,
        json_output: JsonFlag = False,
    ) -> None:
        """Delete every artefact whose retention has run out (the scheduler sweep does this too)."""
        from bot.artefacts import retention
        from bot.artefacts.store import LocalDirectoryStore
        from bot.settings import get_settings

        moment = _moment(now, "--now") if now else utc_now()
        with _handled(json_output):
            url = ready_database(json_output)
            report = retention.sweep(url, LocalDirectoryStore(get_settings().artefact_dir), now=moment)
        if json_output:
            print_json({"deleted": report.deleted})
            return
        _done(f"{report.count} expired artefact(s) deleted")

    @keys_app.command("rotate")
    def rotate_command() -> None:
        """Re-seal every artefact under the current (first) key; then older keys can be retired."""
        from bot.artefacts import rotation

        with _handled():
            url, vault = ready_database(False), _vault()
            report = rotation.rotate_keys(url, vault, actor=f"cli:{_operator()}", now=utc_now())
        _done(f"{len(report.rekeyed)} artefact(s) re-sealed under key {report.current_key!r}")
        if report.failed:
            for artefact_id, why in report.failed.items():
                stderr().print(plain(f"error: artefact {artefact_id} was not re-sealed: {why}"))
            raise typer.Exit(REFUSED)

    @keys_app.command("generate")
    def generate_command(
        key_id: Annotated[str, typer.Option("--id", help="The new key's id, e.g. the month.")] = "",
    ) -> None:
        """Print a new `keyid:base64key` entry: put it first in LOGDIVE_ARTEFACT_KEY, then rotate."""
        from bot.artefacts.keys import generate_entry

        with _handled():
            entry = generate_entry(key_id or f"{utc_now():%Y-%m}")
        sys.stdout.write(entry + "\n")  # the one thing this command prints, for a secret store

    app.add_typer(artefacts_app, name="artefacts")
    app.add_typer(keys_app, name="keys")


# ---------------------------------------------------------------------------------------------- helpers


@contextmanager
def _handled(json_output: bool = False) -> Iterator[None]:
    """Every failure a person can cause becomes one clear line and an exit code, never a traceback."""
    from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
    from bot.artefacts.keys import KeyConfigError, UnknownKey
    from bot.cases import CaseNotFound
    from bot.logs import configure_logging
    from bot.settings import get_settings

    settings = get_settings()
    # Log lines go to stderr as JSON; a terminal user sees them only when they asked for a level.
    configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
    try:
        yield
    except ArtefactRefused as exc:
        fail([Problem("refused", str(exc))], json_output=json_output, code=REFUSED)
    except (ArtefactNotFound, CaseNotFound) as exc:
        fail([Problem("", str(exc))], json_output=json_output)
    except KeyConfigError as exc:
        fail([Problem("", str(exc))], json_output=json_output)
    except UnknownKey as exc:
        fail([Problem("LOGDIVE_ARTEFACT_KEY", str(exc))], json_output=json_output)
    except (ValueError, OSError) as exc:
        fail([Problem("", str(exc))], json_output=json_output)


@contextmanager
def _writing(out: Path) -> Iterator[tuple[Callable[[bytes], None], Session, Vault]]:
    """A unit of work with the vault and a writer of the new file `out` (gone if the unit fails)."""
    from bot.db.engine import session_scope

    with _handled():
        url, vault = ready_database(False), _vault()
        _check_new(out)
        with _output(out) as write, session_scope(url) as session:
            yield write, session, vault


def _case(text: str, json_output: bool = False) -> int:
    from bot.cases import parse_case_label

    try:
        return parse_case_label(text)
    except ValueError as exc:
        fail([Problem("CASE", str(exc))], json_output=json_output)


def _moment(text: str, option: str) -> datetime:
    from bot.clock import parse_moment

    try:
        return parse_moment(text)
    except ValueError as exc:
        fail([Problem(option, str(exc))])


def _vault() -> Vault:
    from bot.artefacts.vault import Vault
    from bot.settings import get_settings

    return Vault.from_settings(get_settings())


def _operator_actor() -> str:
    return f"cli:{_operator()}"


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail([Problem("FILE", f"cannot read {path}: {exc.strerror or exc}")])


def _check_new(path: Path) -> None:
    if path.exists():
        raise ValueError(f"--out: {path} already exists; choose a new file name")
    if not path.parent.is_dir():
        raise ValueError(f"--out: the directory {path.parent} does not exist")


@contextmanager
def _output(path: Path) -> Iterator[Callable[[bytes], None]]:
    """Write a new owner-only file, whole or not at all; if the unit of work recording it fails, remove it."""
    written = False

    def write(data: bytes) -> None:
        nonlocal written
        fd, temporary = tempfile.mkstemp(prefix=".logdive-", dir=path.parent)  # created 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.link(temporary, path)  # unlike a rename, fails if `path` appeared meanwhile
            written = True
        finally:
            Path(temporary).unlink(missing_ok=True)

    try:
        yield write
    except BaseException:
        if written:
            path.unlink(missing_ok=True)
        raise


def _done(message: str) -> None:
    stdout().print(plain(message))
