"""What every command prints: machine JSON on stdout, people's text via rich, errors one line per problem.

Exit codes across the CLI: 0 success, 1 a decision against (not eligible …), 2 bad input or an
unreachable service. A person never sees a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

BAD_INPUT = 2

# Terminal control characters in user text could rewrite the screen (ESC sequences): dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which field (or flag, or file), and what is allowed."""

    field: str
    message: str

    def line(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def plain(text: object) -> Text:
    """User text as rich Text: no markup interpreted, no control characters passed to the terminal."""
    return Text(_CONTROL.sub("", "" if text is None else str(text)))


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def print_json(data: Any) -> None:
    """Machine output: exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(problems: Iterable[Problem] | str, *, json_output: bool = False, code: int = BAD_INPUT) -> NoReturn:
    """Say what is wrong, one line per problem, on stderr (and as JSON on stdout with --json); exit."""
    found = [Problem("", problems)] if isinstance(problems, str) else list(problems)
    console = stderr()
    for problem in found:
        console.print(Text("error: ", style="bold red") + plain(problem.line()))
    if json_output:
        print_json({"errors": [{"field": p.field or None, "message": p.message} for p in found]})
    raise typer.Exit(code)


def ready_database(json_output: bool) -> str:
    """The configured database, at the current schema; otherwise a clear exit 2."""
    # Imported here so commands that never touch the database (check, extract from a file) do not
    # load alembic, SQLAlchemy or the settings.
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.engine import alembic_config, get_engine, normalise_url
    from bot.settings import get_settings

    url = get_settings().database_url
    parsed = make_url(normalise_url(url))
    shown = parsed.render_as_string(hide_password=True)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    # SQLite creates a missing file on connect: a read-only look must not leave an empty one behind.
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        fail(
            [Problem("DATABASE_URL", f"there is no database at {shown}: run `logdive db upgrade` first")],
            json_output=json_output,
        )
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    try:
        with get_engine(url).connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
        fail(
            [Problem("DATABASE_URL", f"cannot open the database at {shown}: {reason}")],
            json_output=json_output,
        )
    if current != heads:
        state = "has no Logdive tables" if not current else "is behind the code"
        fail(
            [Problem("DATABASE_URL", f"the database at {shown} {state}: run `logdive db upgrade` first")],
            json_output=json_output,
        )
    return url


def jsonable(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(mapping), default=_default))


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
