"""`logdive artefacts …`, `logdive erase`, `logdive keys …`: artefact custody from a terminal.

The CLI runs as an operator on the host. Commands that act for a person take `--as SLACK_USER_ID`
and check that person's roles in LOGDIVE_ROLES_FILE (bot.artefacts.roles); every action is recorded
on the case under that id. Exit codes: 0 done, 1 refused (not allowed, not approved, …), 2 bad input.
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
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.artefacts import erasure, export, retention, rotation, service
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.keys import KeyConfigError, UnknownKey, generate_entry
from bot.artefacts.roles import FileRoleProvider, RolesFileError
from bot.artefacts.store import LocalDirectoryStore
from bot.artefacts.vault import Vault
from bot.cases import CaseNotFound, case_label, parse_case_label
from bot.cli.output import Problem, fail, plain, print_json, ready_database, stderr, stdout
from bot.clock import parse_moment, utc_now
from bot.db.engine import session_scope
from bot.logs import configure_logging
from bot.settings import get_settings
from workflows.retention import ArtefactKind
from workflows.review import NdaStatus
from workflows.states import Role

REFUSED = 1

CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="A case id: LD-42 or 42.")]
ArtefactArg = Annotated[
    int, typer.Argument(metavar="ARTEFACT", help="An artefact id (see `artefacts list`).")
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as", metavar="SLACK_USER_ID", help="The person you act for; roles from LOGDIVE_ROLES_FILE."
    ),
]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write (must not exist).")
]
ShaOption = Annotated[
    str,
    typer.Option(
        "--sha256", metavar="HEX", help="The checksum you reviewed: all of it or its first 12+ digits."
    ),
]
RoleOption = Annotated[
    Role | None, typer.Option("--role", help="Which key you give, when you hold both sirt and legal.")
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
        acting: AsOption,
        name: Annotated[str | None, typer.Option("--name", help="Default: the file's name.")] = None,
    ) -> None:
        """Store a file (an extract output, a summary, an uploaded diagnostic file) on a case."""
        number = _case(case_id)
        data = _read_input(file)
        with _handled():
            url, vault, roles = ready_database(False), _vault(), _roles(acting)
            policy = get_settings().load_policy().retention
            with session_scope(url) as session:
                artefact = service.store_artefact(
                    session,
                    vault,
                    number,
                    name=name or file.name,
                    kind=kind,
                    data=data,
                    actor=acting,
                    roles=roles,
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
    def read_command(artefact_id: ArtefactArg, out: OutOption, acting: AsOption) -> None:
        """Decrypt an artefact to a file, to review it (the read is recorded on the case)."""
        with _writing(out, acting) as (write, session, vault, roles):
            write(
                service.read_artefact(session, vault, artefact_id, actor=acting, roles=roles, now=utc_now())
            )
        _done(f"artefact {artefact_id} written to {out}")

    @artefacts_app.command("submit")
    def submit_command(artefact_id: ArtefactArg, acting: AsOption) -> None:
        """Submit an artefact's current version for the two-key review (Security and Legal)."""
        with _acting_session(acting) as (session, roles):
            status = service.submit_for_review(session, artefact_id, actor=acting, roles=roles, now=utc_now())
        _done(f"artefact {artefact_id} ({status.sha256}) is {status.state}; needs keys: sirt, legal")
        for note in status.notes:
            stderr().print(plain(f"note: {note}"))

    @artefacts_app.command("approve")
    def approve_command(
        artefact_id: ArtefactArg, sha256: ShaOption, acting: AsOption, role: RoleOption = None
    ) -> None:
        """Give your key (sirt or legal) for the version whose checksum you reviewed."""
        with _acting_session(acting) as (session, roles):
            status = service.approve(
                session,
                artefact_id,
                actor=acting,
                roles=roles,
                now=utc_now(),
                as_role=role,
                seen_sha256=sha256,
            )
        missing = ", ".join(r.value for r in status.missing)
        _done(f"artefact {artefact_id} is {status.state}" + (f"; still needs: {missing}" if missing else ""))

    @artefacts_app.command("deny")
    def deny_command(
        artefact_id: ArtefactArg,
        sha256: ShaOption,
        reason: Annotated[str, typer.Option("--reason", help="What must change before it can be approved.")],
        acting: AsOption,
        role: RoleOption = None,
    ) -> None:
        """Deny the version whose checksum you reviewed, with a reason."""
        with _acting_session(acting) as (session, roles):
            service.deny(
                session,
                artefact_id,
                reason=reason,
                actor=acting,
                roles=roles,
                now=utc_now(),
                as_role=role,
                seen_sha256=sha256,
            )
        _done(f"artefact {artefact_id} denied")

    @artefacts_app.command("export")
    def export_command(
        case_id: CaseArg,
        out: OutOption,
        acting: AsOption,
        artefact_ids: Annotated[
            list[int] | None, typer.Option("--artefact", help="Only these (default: every submitted one).")
        ] = None,
    ) -> None:
        """Write the case's approved artefacts to a zip for the customer; recorded on case and SIRT issue."""
        number = _case(case_id)
        with _writing(out, acting) as (write, session, vault, roles):
            bundle = export.export_for_customer(
                session,
                vault,
                number,
                actor=acting,
                roles=roles,
                now=utc_now(),
                artefact_ids=artefact_ids,
            )
            write(bundle.content)
        _done(f"{len(bundle.artefacts)} approved artefact(s) of {case_label(number)} written to {out}")

    @artefacts_app.command("extend")
    def extend_command(
        artefact_id: ArtefactArg,
        until: Annotated[
            str, typer.Option("--until", metavar="ISO8601", help="Keep until, e.g. 2026-12-31T00:00Z.")
        ],
        reason: Annotated[str, typer.Option("--reason", help="Why it must be kept longer (recorded).")],
        acting: AsOption,
    ) -> None:
        """Keep an artefact longer than policy: a recorded reason; the customer must be told."""
        moment = _moment(until, "--until")
        with _acting_session(acting) as (session, roles):
            artefact = retention.extend_retention(
                session,
                artefact_id,
                until=moment,
                reason=reason,
                actor=acting,
                roles=roles,
                now=utc_now(),
            )
        _done(
            f"artefact {artefact_id} kept until {artefact.expires_at:%Y-%m-%d %H:%M} UTC; tell the customer"
        )

    @artefacts_app.command("told")
    def told_command(artefact_id: ArtefactArg, acting: AsOption) -> None:
        """Record that the customer was told about an extension."""
        with _acting_session(acting) as (session, roles):
            retention.record_customer_told(session, artefact_id, actor=acting, roles=roles, now=utc_now())
        _done(f"artefact {artefact_id}: the customer was told")

    @artefacts_app.command("nda")
    def nda_command(
        case_id: CaseArg,
        status: Annotated[NdaStatus, typer.Argument(metavar="STATUS", help="offered, signed or declined.")],
        acting: AsOption,
    ) -> None:
        """Record the case's NDA status (CSM)."""
        number = _case(case_id)
        with _acting_session(acting) as (session, roles):
            service.set_nda_status(session, number, status, actor=acting, roles=roles, now=utc_now())
        _done(f"{case_label(number)}: NDA {status}")

    @artefacts_app.command("consent")
    def consent_command(
        case_id: CaseArg,
        subcontractor: Annotated[str, typer.Option("--subcontractor", help="Who the customer approved.")],
        evidence: Annotated[
            str, typer.Option("--evidence", help="Where the customer's approval is written.")
        ],
        acting: AsOption,
    ) -> None:
        """Record the customer's approval to share with a subcontractor (CSM)."""
        number = _case(case_id)
        with _acting_session(acting) as (session, roles):
            export.record_subcontractor_consent(
                session,
                number,
                subcontractor=subcontractor,
                evidence=evidence,
                actor=acting,
                roles=roles,
                now=utc_now(),
            )
        _done(f"{case_label(number)}: the customer's consent is recorded")

    @artefacts_app.command("share")
    def share_command(
        case_id: CaseArg,
        subcontractor: Annotated[
            str, typer.Option("--subcontractor", help="As named in the recorded consent.")
        ],
        out: OutOption,
        acting: AsOption,
    ) -> None:
        """Write approved artefacts for a subcontractor the customer approved (SIRT)."""
        number = _case(case_id)
        with _writing(out, acting) as (write, session, vault, roles):
            bundle = export.share_with_subcontractor(
                session,
                vault,
                number,
                subcontractor=subcontractor,
                actor=acting,
                roles=roles,
                now=utc_now(),
            )
            write(bundle.content)
        _done(f"{len(bundle.artefacts)} approved artefact(s) written to {out} for the subcontractor")

    @artefacts_app.command("expire")
    def expire_command(
        now: Annotated[str | None, typer.Option("--now", metavar="ISO8601", help="Replay a moment.")] = None,
        json_output: JsonFlag = False,
    ) -> None:
        """Delete every artefact whose retention has run out (the scheduler sweep does this too)."""
        moment = _moment(now, "--now") if now else utc_now()
        with _handled(json_output):
            url = ready_database(json_output)
            report = retention.sweep(url, LocalDirectoryStore(get_settings().artefact_dir), now=moment)
        if json_output:
            print_json({"deleted": report.deleted})
            return
        _done(f"{report.count} expired artefact(s) deleted")

    @app.command("erase")
    def erase_command(
        case_id: CaseArg,
        reason: Annotated[
            str, typer.Option("--reason", help="Why (e.g. the customer's request and its ticket).")
        ],
        acting: AsOption,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Erase a case on request: delete every artefact and scrub its free text; tombstones stay."""
        number = _case(case_id)
        with _handled():
            url, roles = ready_database(False), _roles(acting)
            if not yes and not typer.confirm(f"Erase {case_label(number)}? This cannot be undone.", err=True):
                raise typer.Exit(REFUSED)
            with session_scope(url) as session:
                report = erasure.erase_case(
                    session,
                    LocalDirectoryStore(get_settings().artefact_dir),
                    number,
                    reason=reason,
                    actor=acting,
                    roles=roles,
                    now=utc_now(),
                )
        _done(
            f"{case_label(number)} erased: {report.artefacts_deleted} artefact(s) deleted, "
            f"{report.events_scrubbed} event(s) scrubbed; the SIRT issue will be told"
        )

    @keys_app.command("rotate")
    def rotate_command() -> None:
        """Re-seal every artefact under the current (first) key; then older keys can be retired."""
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
        with _handled():
            entry = generate_entry(key_id or f"{utc_now():%Y-%m}")
        sys.stdout.write(entry + "\n")  # the one thing this command prints, for a secret store

    app.add_typer(artefacts_app, name="artefacts")
    app.add_typer(keys_app, name="keys")


# ---------------------------------------------------------------------------------------------- helpers


@contextmanager
def _handled(json_output: bool = False) -> Iterator[None]:
    """Every failure a person can cause becomes one clear line and an exit code, never a traceback."""
    settings = get_settings()
    # Log lines go to stderr as JSON; a terminal user sees them only when they asked for a level.
    configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
    try:
        yield
    except ArtefactRefused as exc:
        fail([Problem("refused", str(exc))], json_output=json_output, code=REFUSED)
    except (ArtefactNotFound, CaseNotFound) as exc:
        fail([Problem("", str(exc))], json_output=json_output)
    except (KeyConfigError, RolesFileError) as exc:
        fail([Problem("", str(exc))], json_output=json_output)
    except UnknownKey as exc:
        fail([Problem("LOGDIVE_ARTEFACT_KEY", str(exc))], json_output=json_output)
    except (ValueError, OSError) as exc:
        fail([Problem("", str(exc))], json_output=json_output)


@contextmanager
def _acting_session(acting: str) -> Iterator[tuple[Session, frozenset[Role]]]:
    """A unit of work on the ready database for `acting`, with their roles; failures as in `_handled`."""
    with _handled():
        url, roles = ready_database(False), _roles(acting)
        with session_scope(url) as session:
            yield session, roles


@contextmanager
def _writing(
    out: Path, acting: str
) -> Iterator[tuple[Callable[[bytes], None], Session, Vault, frozenset[Role]]]:
    """As `_acting_session`, plus the vault and a writer of the new file `out` (gone if the unit fails)."""
    with _handled():
        url, vault, roles = ready_database(False), _vault(), _roles(acting)
        _check_new(out)
        with _output(out) as write, session_scope(url) as session:
            yield write, session, vault, roles


def _case(text: str, json_output: bool = False) -> int:
    try:
        return parse_case_label(text)
    except ValueError as exc:
        fail([Problem("CASE", str(exc))], json_output=json_output)


def _moment(text: str, option: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as exc:
        fail([Problem(option, str(exc))])


def _roles(user_id: str) -> frozenset[Role]:
    user = user_id.strip()
    if not user:
        raise ValueError("--as: a Slack user id is required, e.g. U0123ABCD")
    return FileRoleProvider.load(get_settings().roles_file).roles_of(user)


def _vault() -> Vault:
    return Vault.from_settings(get_settings())


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
