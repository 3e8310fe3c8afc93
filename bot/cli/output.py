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


def jsonable(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(mapping), default=_default))


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
