"""`logdive outbox list|retry`: what the outbox still owes, and putting parked items back in the queue.

A parked item kept failing (or failed in a way retrying cannot fix, e.g. a 403) and waits for a person:
fix the cause, then `logdive outbox retry` (all parked items) or `--case LD-42` / `--item 7`. The
next tick of any `logdive serve` (or a `logdive sweep`) delivers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bot.cli.output import Problem, fail, plain, print_json, ready_database, stdout

if TYPE_CHECKING:  # the database side is imported when a command runs, not for `--help`
    from bot.db.models import OutboxItem

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
CaseOption = Annotated[str | None, typer.Option("--case", metavar="ID", help="Only this case: LD-42 or 42.")]
STATUSES = ("pending", "parked", "done", "owed", "all")


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(help="What Logdive still owes Slack and GitLab.", no_args_is_help=True)

    @outbox_app.command("list")
    def list_command(
        case: CaseOption = None,
        status: Annotated[
            str, typer.Option(help="pending, parked, done, owed (pending and parked) or all.")
        ] = "owed",
        json_output: JsonFlag = False,
    ) -> None:
        """Outbox items, oldest first: kind, status, attempts, next attempt and the last error."""
        from sqlmodel import col, select

        from bot import outbox
        from bot.db.engine import session_scope
        from bot.db.models import OutboxItem

        if status not in STATUSES:
            fail(
                [Problem("--status", f"{status!r} is not one of {', '.join(STATUSES)}")],
                json_output=json_output,
            )
        case_id = _case(case, json_output)
        url = ready_database(json_output)
        with session_scope(url) as session:
            query = select(OutboxItem).order_by(col(OutboxItem.id))
            if case_id is not None:
                query = query.where(OutboxItem.case_id == case_id)
            if status == "owed":
                query = query.where(OutboxItem.status != outbox.DONE)
            elif status != "all":
                query = query.where(OutboxItem.status == status)
            rows = [_row(item) for item in session.exec(query).all()]
        if json_output:
            print_json({"items": rows})
            return
        if not rows:
            stdout().print("nothing owed" if status == "owed" else f"no {status} items")
            return
        table = Table("item", "case", "kind", "status", "attempts", "next attempt", "last error")
        for row in rows:
            table.add_row(
                str(row["id"]),
                row["case"] or "—",
                row["kind"],
                row["status"],
                str(row["attempts"]),
                (row["next_attempt_at"] or "—")[:19].replace("T", " "),
                plain((row["last_error"] or "")[:80]),
            )
        stdout().print(table)

    @outbox_app.command("retry")
    def retry_command(
        case: CaseOption = None,
        item: Annotated[int | None, typer.Option("--item", help="Only this outbox item (its id).")] = None,
        json_output: JsonFlag = False,
    ) -> None:
        """Put parked items back in the queue with a fresh attempt count (all of them by default)."""
        from bot import outbox
        from bot.clock import utc_now
        from bot.db.engine import session_scope

        if case is not None and item is not None:
            fail(
                [Problem("--case/--item", "give one of them, or neither for every parked item")],
                json_output=json_output,
            )
        case_id = _case(case, json_output)
        url = ready_database(json_output)
        with session_scope(url) as session:
            if case_id is not None:
                count = outbox.retry_parked(session, now=utc_now(), case_id=case_id)
            elif item is not None:
                count = outbox.retry_parked(session, now=utc_now(), item_id=item)
            else:
                count = outbox.retry_all_parked(session, now=utc_now())
        if json_output:
            print_json({"retried": count})
            return
        stdout().print(f"{count} parked item{'s' if count != 1 else ''} back in the queue")

    app.add_typer(outbox_app, name="outbox")


def _case(text: str | None, json_output: bool) -> int | None:
    from bot.cases import parse_case_label

    if text is None:
        return None
    try:
        return parse_case_label(text)
    except ValueError as exc:
        fail([Problem("--case", str(exc))], json_output=json_output)


def _row(item: OutboxItem) -> dict[str, Any]:
    from bot.cases import case_label

    return {
        "id": item.id,
        "case": case_label(item.case_id) if item.case_id is not None else None,
        "kind": item.kind,
        "status": item.status,
        "attempts": item.attempts,
        "next_attempt_at": item.next_attempt_at.isoformat() if item.next_attempt_at else None,
        "last_error": item.last_error,
        "created_at": item.created_at.isoformat() if item.created_at else None,
    }
