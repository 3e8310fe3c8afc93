"""Clicks on a case's buttons and the small modals behind some of them.

Every change goes through bot.cases with the clicker's roles and the version the button carried; the
service refuses (and records the refusal) when the role, the state or the version is wrong. A refusal
is told to the clicker alone; a change is announced in the thread by the outbox, which also redraws
the case message so its buttons match the new state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import cases
from bot.db.engine import session_scope
from bot.db.models import Case
from bot.logs import get_logger
from bot.slack.blocks.case import parse_button_value
from bot.slack.blocks.forms import (
    CUSTOMER_UPDATE_CALLBACK,
    EXCEPTION_DENIAL_CALLBACK,
    EXCEPTION_REQUEST_CALLBACK,
    reason_modal,
)
from bot.slack.deps import SlackDeps
from bot.slack.flows.notify import tell
from workflows.states import CaseState, Role

log = get_logger(__name__)

# A change: (session, case_id, actor, roles, expected_version, reason) -> the changed case.
Change = Callable[[Session, int, str, frozenset[Role], int, str | None], Case]


@dataclass(frozen=True)
class Click:
    user_id: str
    case_id: int
    version: int
    channel: str | None
    thread_ts: str | None
    trigger_id: str | None


def read_click(body: dict[str, Any]) -> Click | None:
    action = (body.get("actions") or [{}])[0]
    try:
        case_id, version = parse_button_value(str(action.get("value", "")))
    except ValueError:
        return None
    message = body.get("message") or {}
    return Click(
        user_id=body["user"]["id"],
        case_id=case_id,
        version=version,
        channel=(body.get("channel") or {}).get("id"),
        thread_ts=message.get("thread_ts") or message.get("ts"),
        trigger_id=body.get("trigger_id"),
    )


# -- the changes ----------------------------------------------------------------------------------


def claim(deps: SlackDeps, owner_timezone: str | None = None) -> Change:
    return lambda s, case_id, actor, roles, version, _reason: cases.claim(
        s,
        case_id,
        actor=actor,
        roles=roles,
        now=deps.clock(),
        expected_version=version,
        owner_timezone=owner_timezone,
    )


def move(deps: SlackDeps, target: CaseState) -> Change:
    return lambda s, case_id, actor, roles, version, _reason: cases.apply_transition(
        s, case_id, target, actor=actor, roles=roles, now=deps.clock(), expected_version=version
    )


def request_exception(deps: SlackDeps) -> Change:
    return lambda s, case_id, actor, roles, version, reason: cases.request_exception(
        s, case_id, actor=actor, roles=roles, now=deps.clock(), reason=reason or "", expected_version=version
    )


def decide_exception(deps: SlackDeps, *, approve: bool) -> Change:
    return lambda s, case_id, actor, roles, version, reason: cases.decide_exception(
        s,
        case_id,
        approver=actor,
        roles=roles,
        approve=approve,
        reason=reason,
        now=deps.clock(),
        expected_version=version,
    )


def customer_update(deps: SlackDeps) -> Change:
    # The case service restarts the update clock (bot.cadence_service) on the case's own calendar.
    return lambda s, case_id, actor, roles, version, reason: cases.log_customer_update(
        s, case_id, actor=actor, roles=roles, now=deps.clock(), summary=reason or "", expected_version=version
    )


# -- running them ---------------------------------------------------------------------------------


async def apply(
    deps: SlackDeps, client: AsyncWebClient, click: Click, change: Change, *, reason: str | None = None
) -> bool:
    """Run one change for the clicker; tell them why when it is refused. True when it happened."""
    roles = await deps.roles.roles_of(click.user_id)

    def run() -> None:
        with session_scope(deps.database_url) as session:
            change(session, click.case_id, click.user_id, roles, click.version, reason)

    try:
        await deps.work.db(run)
    except cases.CaseError as refusal:
        log.info("slack.action_refused", case_id=click.case_id, kind=getattr(refusal, "kind", "stale"))
        channel, thread_ts = click.channel, click.thread_ts
        if channel is None:
            channel, thread_ts = await deps.work.db(_case_thread, deps, click.case_id)
        await tell(client, click.user_id, f"Nothing changed: {refusal}", channel=channel, thread_ts=thread_ts)
        return False
    deps.kick()  # the outbox announces the change and redraws the message now, not at the next tick
    return True


def _case_thread(deps: SlackDeps, case_id: int) -> tuple[str | None, str | None]:
    with session_scope(deps.database_url) as session:
        case = session.get(Case, case_id)
        return (case.slack_channel, case.slack_thread_ts) if case else (None, None)


async def ask_reason(
    deps: SlackDeps, client: AsyncWebClient, click: Click, callback_id: str, *, from_modal: bool = False
) -> None:
    """Open the reason modal; someone without the role is refused (and recorded) straight away."""
    needed, change = reason_forms(deps)[callback_id]
    roles = await deps.roles.roles_of(click.user_id)
    if not needed & roles:
        # The service refuses on the role (and records it); the reason is never read for that.
        await apply(deps, client, click, change, reason="(refused before the form opened)")
        return
    view = reason_modal(
        callback_id,
        case_label=cases.case_label(click.case_id),
        metadata=json.dumps(
            {
                "case_id": click.case_id,
                "version": click.version,
                "channel": click.channel,
                "thread_ts": click.thread_ts,
            }
        ),
    )
    opener = client.views_push if from_modal else client.views_open
    try:
        await opener(trigger_id=click.trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("slack.reason_modal_failed", error=exc.response.get("error"))


def reason_forms(deps: SlackDeps) -> dict[str, tuple[frozenset[Role], Change]]:
    """Each reason modal: the roles that may open it, and the change its submission makes."""
    return {
        EXCEPTION_REQUEST_CALLBACK: (frozenset({Role.CSM}), request_exception(deps)),
        EXCEPTION_DENIAL_CALLBACK: (frozenset({Role.LEGAL}), decide_exception(deps, approve=False)),
        CUSTOMER_UPDATE_CALLBACK: (frozenset({Role.CSM, Role.SUPPORT, Role.SIRT}), customer_update(deps)),
    }
