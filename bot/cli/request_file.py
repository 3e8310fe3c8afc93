"""Reading a request file (JSON or YAML) that may be hostile or a mistake, without hanging or crashing.

Limits, each checked before or while parsing, never after:
- size: at most MAX_BYTES, read no further (a whole request is a few KB);
- nesting: at most MAX_DEPTH levels (a request needs three: request, resources, projects), so a deeply
  nested file is a clear error rather than a RecursionError;
- YAML aliases: the document with its aliases expanded holds at most MAX_VALUES values, counted as it is
  composed, so a "billion laughs" file stops at the first alias over the limit; an alias inside the node it
  names (a cycle) is refused.
Every problem becomes one line naming the file (or the field) and exit 2: bad input, never "ineligible".
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import ValidationError

from bot.catalog import load_catalog
from bot.cli.output import Problem, fail
from workflows.errors import FieldError, check_event_types, check_scope_size, describe_validation_error
from workflows.policy import EligibilityPolicy
from workflows.request import LogDiveRequest

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 16
MAX_VALUES = 100_000

# A bracket, or a JSON string with its escapes (skipped). The closing quote is optional, so a string
# never fails to match and each character is read once: linear on any input.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class RequestFileError(ValueError):
    """The file cannot be a request: what is wrong with it, in words (the file is not repeated)."""


def read_request(file: str, limits: EligibilityPolicy, *, json_output: bool = False) -> LogDiveRequest:
    """Read, parse and validate a request file ('-': stdin); any problem exits 2 naming the file or field.

    A scope over the policy's hard caps is refused here, before any GitLab look-up or catalog match."""
    try:
        data = load_document(file)
    except RequestFileError as exc:
        fail([Problem(file, str(exc))], json_output=json_output)
    if not isinstance(data, dict):
        kind = "nothing" if data is None else f"a {type(data).__name__}"
        fail(
            [
                Problem(
                    file,
                    f"must hold one object with the request's fields (customer_namespace, …), not {kind}",
                )
            ],
            json_output=json_output,
        )
    try:
        request = LogDiveRequest.model_validate(data)
    except ValidationError as exc:
        fail(problems(describe_validation_error(exc)), json_output=json_output)
    too_wide = check_scope_size(request, limits)
    if too_wide:
        fail(problems(too_wide), json_output=json_output)
    unknown = check_event_types(request, load_catalog())
    if unknown:
        fail(problems(unknown), json_output=json_output)
    return request


def problems(errors: list[FieldError]) -> list[Problem]:
    return [
        Problem(e.field, f"{e.message} (allowed: {e.allowed})" if e.allowed and e.message else e.message)
        for e in errors
    ]


def load_document(file: str) -> Any:
    """The parsed contents of `file` (JSON if it ends in .json, else YAML); RequestFileError if unusable."""
    text = _read_text(file)
    if file.lower().endswith(".json"):
        return parse_json(text)
    return parse_yaml(text)


def _read_text(file: str) -> str:
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with Path(file).open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RequestFileError(f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise RequestFileError(f"is larger than {MAX_BYTES:,} bytes (allowed: a request of at most 1 MiB)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestFileError("is not UTF-8 text") from None


def parse_json(text: str) -> Any:
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(text):
        if token.group()[0] == '"':
            continue
        depth += 1 if token.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            raise RequestFileError(f"{_TOO_DEEP} ({_DEPTH_ALLOWED})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestFileError(
            f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise RequestFileError(f"is not valid JSON: {_first_line(exc)}") from None


def parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_RequestLoader)  # noqa: S506 -- a SafeLoader subclass
    except _LimitExceeded as exc:
        raise RequestFileError(f"{exc.problem}{_where(exc.mark)} ({exc.allowed})") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise RequestFileError(
            f"is not valid YAML: {problem}{_where(getattr(exc, 'problem_mark', None))}"
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise RequestFileError(f"is not valid YAML: {_first_line(exc)}") from None


class _Mark(Protocol):
    """Where a YAML event starts: PyYAML's Mark or libyaml's (the C loader's)."""

    line: int
    column: int


class _LimitExceeded(yaml.YAMLError):
    def __init__(self, problem: str, allowed: str, mark: _Mark | None) -> None:
        super().__init__(problem)
        self.problem, self.allowed, self.mark = problem, allowed, mark


class _RequestLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as text and bounds nesting and alias expansion while composing.

    YAML would turn 2026-11-01T00:00:00Z into a datetime (and drop a naive one's missing zone silently);
    as text, the request model judges it exactly as written, as it does for JSON.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0  # mappings and lists around the node being composed, itself included
        self._deepest = 0  # the deepest level reached so far, aliases expanded
        self._values = 0  # values composed so far, aliases expanded
        self._anchored: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels) once composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.anchors and event.anchor not in self._anchored:
                raise _LimitExceeded(
                    f"has an alias (*{event.anchor}) inside the node it names",
                    "allowed: aliases to nodes already complete",
                    event.start_mark,
                )
            values, height = self._anchored.get(event.anchor or "", (0, 0))
            self._grow(values, self._depth + height, event.start_mark)
            return super().compose_node(parent, index)
        nests = not isinstance(event, yaml.ScalarEvent)  # a level is a mapping or a list, as in JSON
        self._depth += nests
        before, deepest_before = self._values, self._deepest
        self._deepest = self._depth
        self._grow(1, self._depth, event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            height = self._deepest - self._depth + nests
            self._deepest = max(deepest_before, self._deepest)
            self._depth -= nests
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._anchored[anchor] = (self._values - before, height)
        return node

    def _grow(self, values: int, depth: int, mark: _Mark | None) -> None:
        self._values += values
        self._deepest = max(self._deepest, depth)
        if depth > MAX_DEPTH:
            raise _LimitExceeded(_TOO_DEEP, _DEPTH_ALLOWED, mark)
        if self._values > MAX_VALUES:
            raise _LimitExceeded(
                f"holds more than {MAX_VALUES:,} values with its aliases expanded",
                "allowed: a request, a few dozen values",
                mark,
            )


_RequestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_TOO_DEEP = f"nests deeper than {MAX_DEPTH} levels"
_DEPTH_ALLOWED = "allowed: a request, which nests three deep"


def _where(mark: _Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _first_line(exc: Exception) -> str:
    # Python's own advice ("; use sys.set_int_max_str_digits() …") is not for the person with the file.
    text = str(exc).strip()
    return text.splitlines()[0].split(";")[0] if text else type(exc).__name__
