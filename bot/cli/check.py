"""`logdive check FILE`: eligibility and routing for a request file, with a reason per rule.

Exit 0 eligible; 1 not eligible, needs a re-scope or an exception; 2 bad input (the file, a field,
`--now`) or GitLab out of reach. Problems are printed one line per field, never as a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from bot.catalog import load_catalog
from bot.cli.output import Problem, fail, plain, print_json, stdout
from bot.clock import parse_moment, utc_now
from bot.gitlab.directory import DirectoryUnavailable, directory_from_settings
from bot.logs import configure_logging
from bot.settings import Settings, get_settings
from workflows.assessment import Assessment, Decision, Outcome
from workflows.eligibility import evaluate
from workflows.errors import check_event_types, describe_validation_error
from workflows.facts import DirectoryFacts
from workflows.request import LogDiveRequest

_OUTCOME_STYLE = {
    Outcome.PASS: "green",
    Outcome.FAIL: "red",
    Outcome.RESCOPE: "yellow",
    Outcome.EXCEPTION_REQUIRED: "magenta",
}
_DECISION_STYLE = {
    Decision.ELIGIBLE: "bold green",
    Decision.INELIGIBLE: "bold red",
    Decision.RESCOPE: "bold yellow",
    Decision.EXCEPTION_REQUIRED: "bold magenta",
}


class _KeepTimestampsAsText(yaml.SafeLoader):
    """YAML would turn 2026-11-01T00:00:00Z into a datetime (and drop a naive one's missing zone
    silently); as text, the request model judges it exactly as written, as it does for JSON."""


_KeepTimestampsAsText.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_command(
        file: Annotated[
            str, typer.Argument(metavar="FILE", help="A request file, JSON or YAML ('-': stdin).")
        ],
        now: Annotated[
            str | None,
            typer.Option(
                "--now", metavar="ISO8601", help="Judge as at this moment, e.g. 2026-11-08T09:00:00Z."
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")
        ] = False,
    ) -> None:
        """Eligibility and routing for a request file, rule by rule (exit 0 eligible, 1 not, 2 bad input)."""
        moment = utc_now()
        if now is not None:
            try:
                moment = parse_moment(now)
            except ValueError as exc:
                fail([Problem("--now", str(exc))], json_output=json_output)
        request = read_request(file, json_output=json_output)
        settings = _settings(json_output)
        facts = _gather_facts(settings, request, json_output=json_output)
        try:
            policy = settings.load_policy()
        except (OSError, ValueError) as exc:
            fail(
                [Problem("LOGDIVE_POLICY", f"cannot load the policy: {_first_line(exc)}")],
                json_output=json_output,
            )
        assessment = evaluate(request, facts, policy, moment)
        if json_output:
            print_json(assessment_json(assessment))
        else:
            _print_assessment(assessment, moment_text=moment.isoformat())
        raise typer.Exit(0 if assessment.decision is Decision.ELIGIBLE else 1)


def assessment_json(assessment: Assessment) -> dict[str, Any]:
    """The documented shape of `logdive check --json`."""
    return {
        "decision": assessment.decision.value,
        "route": assessment.route.value if assessment.route else None,
        "rules": [
            {"id": r.id, "outcome": r.outcome.value, "reason": r.reason, "remedy": r.remedy}
            for r in assessment.rules
        ],
        "notes": list(assessment.notes),
    }


def read_request(file: str, *, json_output: bool = False) -> LogDiveRequest:
    """Read, parse and validate a request file; any problem exits 2 naming the file or the field."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail([Problem(file, "is not UTF-8 text")], json_output=json_output)
    except OSError as exc:
        fail([Problem(file, f"cannot be read: {exc.strerror or exc}")], json_output=json_output)
    data = _parse(file, text, json_output=json_output)
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
        fail(_problems(describe_validation_error(exc)), json_output=json_output)
    unknown = check_event_types(request, load_catalog())
    if unknown:
        fail(_problems(unknown), json_output=json_output)
    return request


def _parse(file: str, text: str, *, json_output: bool) -> Any:
    if file.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            fail(
                [Problem(file, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")],
                json_output=json_output,
            )
    try:
        return yaml.load(text, Loader=_KeepTimestampsAsText)  # noqa: S506 -- a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        fail([Problem(file, f"is not valid YAML: {problem}{where}")], json_output=json_output)


def _problems(errors: list[Any]) -> list[Problem]:
    return [
        Problem(e.field, f"{e.message} (allowed: {e.allowed})" if e.allowed and e.message else e.message)
        for e in errors
    ]


def _settings(json_output: bool) -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        fail(
            [Problem(str(d["loc"][0]).upper(), d["msg"]) for d in exc.errors(include_url=False)],
            json_output=json_output,
        )
    # A one-shot command speaks through its own output; library chatter only when asked for.
    configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
    return settings


def _gather_facts(settings: Settings, request: LogDiveRequest, *, json_output: bool) -> DirectoryFacts:
    url = settings.gitlab_url
    try:
        facts = directory_from_settings(settings).facts_for(request)
    except DirectoryUnavailable as exc:
        detail = _secret_free(exc, settings).removeprefix(f"GitLab at {url} (GITLAB_URL) ")
        fail([Problem("", f"cannot reach GitLab at {url}: {detail}")], json_output=json_output)
    except (OSError, ValueError) as exc:  # the overrides file: missing or malformed
        fail([Problem("LOGDIVE_DIRECTORY_OVERRIDES", _first_line(exc))], json_output=json_output)
    if facts.namespace is None:
        fail(
            [
                Problem(
                    "customer_namespace",
                    f"GitLab at {url} has no top-level group or user '{request.customer_namespace}' "
                    "(allowed: the first part of the customer's project paths, e.g. acme-corp)",
                )
            ],
            json_output=json_output,
        )
    return facts


def _secret_free(exc: Exception, settings: Settings) -> str:
    text = _first_line(exc)
    token = settings.gitlab_token.get_secret_value() if settings.gitlab_token else ""
    return text.replace(token, "[redacted]") if token else text


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _print_assessment(assessment: Assessment, *, moment_text: str) -> None:
    console = stdout()
    table = Table(
        "rule", "outcome", "reason", "remedy", title=f"eligibility as at {moment_text}", expand=True
    )
    for rule in assessment.rules:
        table.add_row(
            rule.id,
            Text(rule.outcome.value, style=_OUTCOME_STYLE.get(rule.outcome, "")),
            plain(rule.reason),
            plain(rule.remedy or ""),
        )
    console.print(table)
    console.print(
        Text("decision: ", style="bold")
        + Text(assessment.decision.value, style=_DECISION_STYLE[assessment.decision])
        + Text("   route: ", style="bold")
        + Text(assessment.route.value if assessment.route else "none")
    )
    for note in assessment.notes:
        console.print(Text("note: ", style="bold") + plain(note))
