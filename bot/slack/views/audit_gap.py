"""The closing modal submitted: the case closes and, when something was missing, the gap issue is owed."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import cases
from bot.db.models import Case
from bot.slack.blocks.audit_gap import MISSING, NOTHING, USED_LOGS, read_values
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import apply
from bot.slack.views.submitted import submitted_click
from workflows.audit_gap import GapReport
from workflows.catalog import Catalog
from workflows.states import Role


def _gap(values: dict[str, Any], catalog: Catalog) -> tuple[GapReport | None, dict[str, str]]:
    """The report (None: nothing was missing) or the modal's errors by block."""
    if values["nothing_missing"]:
        if values["missing"]:
            return None, {NOTHING: "Either pick what was missing, or tick this: not both."}
        return None, {}
    if not values["missing"]:
        return None, {MISSING: "Pick what Audit Events lacked, or tick “Audit Events had everything”."}
    unknown = catalog.unknown(values["missing"])
    if unknown:
        return None, {MISSING: f"{len(unknown)} value(s) are not in the event catalog: pick from the list."}
    try:
        report = GapReport(
            missing=values["missing"], used_logs=values["used_logs"], details=values["details"]
        )
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        block = USED_LOGS if error["loc"] and error["loc"][0] == "used_logs" else MISSING
        return None, {block: str(error["msg"]).removeprefix("Value error, ")[:150]}
    return report, {}


async def handle_audit_gap_submission(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    deps: SlackDeps = context["deps"]
    values = read_values(view["state"]["values"])
    report, errors = _gap(values, deps.catalog)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    click = submitted_click(body, view)
    if click is None:
        await ack(response_action="errors", errors={MISSING: "This form is out of date; open it again."})
        return
    await ack(response_action="clear")

    def change(
        s: Session, case_id: int, actor: str, roles: frozenset[Role], version: int, _reason: str | None
    ) -> Case:
        return cases.close_case(
            s, case_id, actor=actor, roles=roles, now=deps.clock(), gap=report, expected_version=version
        )

    deps.work.spawn(apply(deps, client, click, change), name="close_case")
