"""`logdive cases list|show`: what SIRT and Support see of the cases from a terminal.

Read-only. These commands never migrate the database themselves (a terminal look must not change a
schema several `serve` replicas share): on a database that is missing or behind, they say to run
`logdive db upgrade` and exit 2.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.output import Problem, fail, plain, print_json, ready_database, stdout

if TYPE_CHECKING:  # the database side is imported when a command runs, not for `--help`
    from bot.db.models import Case, CaseEvent

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def register(app: typer.Typer) -> None:
    cases_app = typer.Typer(
        help="Look at cases from a terminal (read-only; run `logdive db upgrade` first).",
        no_args_is_help=True,
    )

    @cases_app.command("list")
    def list_command(
        json_output: JsonFlag = False,
        all_cases: Annotated[bool, typer.Option("--all", help="Include closed and rejected cases.")] = False,
        overdue_only: Annotated[
            bool, typer.Option("--overdue", help="Only cases whose customer update is overdue.")
        ] = False,
    ) -> None:
        """Open cases, newest first (--all: every case), with when the next customer update is due."""
        from bot.cases import list_cases
        from bot.clock import utc_now
        from bot.db.engine import session_scope

        url = ready_database(json_output)
        now = utc_now()
        with session_scope(url) as session:
            found = list_cases(session, open_only=not all_cases)
            rows = [_summary(case, now) for case in found]
        if overdue_only:
            rows = [row for row in rows if row["overdue"]]
        if json_output:
            print_json({"cases": rows})
            return
        if not rows:
            empty = "no overdue cases" if overdue_only else "no cases" if all_cases else "no open cases"
            stdout().print(empty)
            return
        table = Table(
            "case",
            "type",
            "state",
            "route",
            "decision",
            "namespace",
            "owner",
            "created",
            "next update due",
            "overdue",
        )
        for row in rows:
            table.add_row(
                row["id"],
                row["type"],
                row["state"],
                row["route"] or "—",
                row["decision"],
                plain(row["customer_namespace"]),
                plain(row["owner"] or "—"),
                row["created_at"][:16].replace("T", " "),
                (row["next_update_due"] or "—")[:16].replace("T", " "),
                _overdue_text(row, now),
            )
        stdout().print(table)

    @cases_app.command("show")
    def show_command(
        case_id: Annotated[str, typer.Argument(metavar="ID", help="A case id: LD-42 or 42.")],
        json_output: JsonFlag = False,
    ) -> None:
        """One case: its state, scope, owner, cadence, SIRT issue and event log."""
        from bot import outbox
        from bot.artefacts.service import artefact_summaries
        from bot.cases import CaseNotFound, case_events, case_label, get_case, parse_case_label
        from bot.clock import utc_now
        from bot.db.engine import session_scope
        from bot.leak import service as leak_service

        try:
            number = parse_case_label(case_id)
        except ValueError as exc:
            fail([Problem("ID", str(exc))], json_output=json_output)
        url = ready_database(json_output)
        with session_scope(url) as session:
            try:
                case = get_case(session, number)
            except CaseNotFound:
                fail(
                    [Problem("ID", f"no case {case_label(number)} in this database")], json_output=json_output
                )
            events = case_events(session, number)
            owed = outbox.pending_for(session, number)
            detail = {
                **_summary(case, utc_now()),
                "requester_username": case.requester_username,
                "window": case.request.get("window"),
                "resources": case.request.get("resources"),
                "event_types": case.request.get("event_types"),
                "ticket_reference": case.ticket_reference,
                "description": case.description,
                "created_by": case.created_by,
                "triaged_at": _iso(case.triaged_at),
                "closed_at": _iso(case.closed_at),
                "last_customer_update_at": _iso(case.last_customer_update_at),
                "sirt_issue_url": case.sirt_issue_url,
                "slack_channel": case.slack_channel,
                "version": case.version,
                "rules": case.assessment.get("rules", []),
                "notes": case.assessment.get("notes", []),
                "events": [_event(e) for e in events],
                "artefacts": artefact_summaries(session, number),
                "leak": leak_service.summary(session, case) if leak_service.is_leak(case) else None,
                "owed": [
                    {"id": i.id, "kind": i.kind, "status": i.status, "attempts": i.attempts} for i in owed
                ],
            }
        if json_output:
            print_json(detail)
            return
        _print_case(detail)

    app.add_typer(cases_app, name="cases")


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def _summary(case: Case, now: datetime) -> dict[str, Any]:
    from bot.cadence_service import clock_state, is_overdue
    from bot.cases import case_label

    return {
        "id": case_label(case.id or 0),
        "number": case.id,
        "type": case.type,
        "state": case.state,
        "route": case.route,
        "decision": case.decision,
        "customer_namespace": case.customer_namespace,
        "owner": case.owner,
        "created_at": _iso(case.created_at),
        "next_update_due": _iso(case.next_update_due),
        "overdue": is_overdue(case, now),
        "update_clock": clock_state(case),  # not started | running | paused | stopped
        "sirt_issue_url": case.sirt_issue_url,
    }


def _overdue_text(row: dict[str, Any], now: datetime) -> Text:
    """`by 3h 20m` in red for an overdue update; `paused` while the clock waits; blank otherwise."""
    if row["update_clock"] == "paused":
        return Text("paused", style="yellow")
    if not row["overdue"]:
        return Text("")
    late = now - datetime.fromisoformat(row["next_update_due"])
    hours, rest = divmod(int(late.total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours or days) + [f"{rest}m"]
    return Text(f"by {' '.join(parts)}", style="bold red")


def _event(event: CaseEvent) -> dict[str, Any]:
    return {
        "at": _iso(event.at),
        "kind": event.kind,
        "actor": event.actor,
        "role": event.actor_role,
        "from": event.from_state,
        "to": event.to_state,
        "data": event.data,
    }


def _print_case(detail: dict[str, Any]) -> None:
    console = stdout()
    console.print(Text(f"{detail['id']}  ", style="bold") + plain(detail["customer_namespace"]))
    window = detail.get("window") or {}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in (
        ("type", detail["type"]),
        ("state", detail["state"]),
        ("decision", detail["decision"]),
        ("route", detail["route"] or "—"),
        ("customer namespace", detail["customer_namespace"]),
        ("requester", detail["requester_username"]),
        ("owner", detail["owner"] or "—"),
        ("window", f"{window.get('start', '?')} → {window.get('end', '?')}"),
        ("next update due", detail["next_update_due"] or "—"),
        ("update clock", detail["update_clock"] + (" — OVERDUE" if detail["overdue"] else "")),
        ("SIRT issue", detail["sirt_issue_url"] or "—"),
        ("ticket", detail["ticket_reference"] or "—"),
    ):
        facts.add_row(label, plain(value))
    console.print(facts)
    if detail["description"]:
        console.print(Text("description: ", style="bold") + plain(detail["description"]))
    log = Table("at", "event", "actor", "role", "change", "details", title="event log", title_justify="left")
    for event in detail["events"]:
        change = f"{event['from'] or ''} → {event['to']}" if event["to"] else ""
        log.add_row(
            event["at"][:19].replace("T", " "),
            event["kind"],
            plain(event["actor"]),
            plain(event["role"] or ""),
            change,
            plain(_describe(event)),
        )
    console.print(log)
    if detail["artefacts"]:
        artefacts = Table(
            "artefact", "kind", "version", "review", "expires", title="artefacts", title_justify="left"
        )
        for artefact in detail["artefacts"]:
            expires = (
                "deleted " + artefact["deleted_at"][:16]
                if artefact["deleted_at"]
                else artefact["expires_at"][:16]
            )
            artefacts.add_row(
                plain(artefact["name"]),
                artefact["kind"],
                str(artefact["version"]),
                artefact["review"],
                expires.replace("T", " "),
            )
        console.print(artefacts)
    if detail.get("leak"):
        _print_leak(detail["leak"])
    if detail["owed"]:
        owed = ", ".join(f"{o['kind']} ({o['status']}, {o['attempts']} attempts)" for o in detail["owed"])
        console.print(Text("still owed: ", style="bold") + plain(owed))


def _print_leak(leak: dict[str, Any]) -> None:
    """Where a data leak was, and what shows each copy is gone."""
    places = Table("location", "holds", "deletion", title="leak locations", title_justify="left")
    for location in leak["storage"]:
        places.add_row(plain(location["url"]), plain(location["holds"]), plain(location["status"]))
    for party in leak["third_parties"]:
        if party["confirmed_at"]:
            status = f"confirmed {party['confirmed_at'][:16]} ({party['confirmation_reference']})"
        elif party["requested_at"]:
            status = f"requested {party['requested_at'][:16]} by {party['requested_by']}, not confirmed"
        else:
            status = "not yet requested"
        places.add_row(plain(party["name"]), plain(party["holds"]), plain(status.replace("T", " ")))
    stdout().print(Text(f"data category: {leak['category']}", style="bold"))
    stdout().print(places)


def _describe(event: dict[str, Any]) -> str:
    data = event["data"] or {}
    if event["kind"] == "leak_step":
        evidence = data.get("evidence") or {}
        return f"{data.get('action')}: " + "; ".join(f"{k}={v}" for k, v in evidence.items() if v)
    if event["kind"] == "eligibility":
        return f"{data.get('decision')} (route {data.get('route') or '—'})"
    for key in ("message", "summary", "reason"):
        if data.get(key):
            return str(data[key])
    return ""
