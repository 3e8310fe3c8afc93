"""`logdive check FILE`: eligibility and routing for a request file, with a reason per rule.

Exit 0 eligible; 1 not eligible, needs a re-scope or an exception; 2 bad input (the file, a field,
`--now`) or GitLab out of reach. Problems are printed one line per field, never as a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.output import Problem, fail, plain, print_json, stdout
from workflows.assessment import Assessment, Decision, Outcome
from workflows.request import GITLAB_COM

if TYPE_CHECKING:  # the command imports the rest when it runs: `logdive check --help` needs none of it
    from bot.settings import Settings
    from workflows.facts import DirectoryFacts
    from workflows.policy import Policy
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
        from bot.cli.request_file import read_request
        from bot.clock import parse_moment, utc_now
        from bot.logs import configure_logging
        from bot.settings import get_settings
        from workflows.eligibility import evaluate

        settings = get_settings()
        # A one-shot command speaks through its own output; library chatter only when asked for.
        configure_logging(settings.log_level if "log_level" in settings.model_fields_set else "ERROR")
        policy = settings.load_policy()
        moment = utc_now()
        if now is not None:
            try:
                moment = parse_moment(now)
            except ValueError as exc:
                fail([Problem("--now", str(exc))], json_output=json_output)
        request = read_request(file, policy.eligibility, json_output=json_output)
        facts = _gather_facts(settings, policy, request, json_output=json_output)
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


def _gather_facts(
    settings: Settings, policy: Policy, request: LogDiveRequest, *, json_output: bool
) -> DirectoryFacts:
    from bot.gitlab.directory import DirectoryUnavailable, directory_from_settings

    url = settings.gitlab_url
    try:
        facts = directory_from_settings(settings, limits=policy.eligibility).facts_for(request)
    except DirectoryUnavailable as exc:
        detail = _secret_free(exc, settings).removeprefix(f"GitLab at {url} (GITLAB_URL) ")
        fail([Problem("", f"cannot reach GitLab at {url}: {detail}")], json_output=json_output)
    except (OSError, ValueError) as exc:  # the overrides file: missing or malformed
        fail([Problem("LOGDIVE_DIRECTORY_OVERRIDES", _first_line(exc))], json_output=json_output)
    if facts.namespace is None and request.gitlab_instance == GITLAB_COM:  # else the instance rule answers
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
