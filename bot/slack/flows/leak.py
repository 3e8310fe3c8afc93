"""The data-leak flow in Slack: `/security leak`, the report, the case message and its steps.

Handlers acknowledge first and hand the work here. Who may take which step is the aggregate's rule
(workflows.leak); a refusal is recorded by the service and told to the person only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.cases import CaseError
from bot.db.engine import session_scope
from bot.leak import deletion, improvement, service
from bot.logs import get_logger
from bot.slack import view_state
from bot.slack.blocks import leak as blocks
from bot.slack.blocks.decision import failure_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows.access import REFUSAL, answer_refusal, case_roles
from bot.slack.flows.notify import tell
from workflows import leak as L
from workflows.leak_improvement import ImprovementArea
from workflows.leak_report import LeakReportForm
from workflows.states import Role

log = get_logger(__name__)


async def open_form(
    deps: SlackDeps, client: AsyncWebClient, respond: AsyncRespond, body: dict[str, Any]
) -> None:
    if await case_roles(deps, body["user_id"], "leak.open") is None:
        await answer_refusal(respond)
        return
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.report_modal())
    except SlackApiError as exc:
        log.warning("slack.leak_open_failed", error=exc.response.get("error"))


async def record_report(
    deps: SlackDeps, client: AsyncWebClient, *, view_id: str, user_id: str, form: LeakReportForm
) -> None:
    roles = await case_roles(deps, user_id, "leak.submit")
    if roles is None:
        await _show(client, view_id, failure_modal(REFUSAL))
        return
    channel = deps.settings.case_channel
    case_id = await deps.work.db(_report, deps, form, user_id, roles, f"slack:view:{view_id}", channel)
    label = cases.case_label(case_id)
    log.info("slack.leak_recorded", case_id=case_id)
    await _show(
        client,
        view_id,
        blocks.recorded_modal(f"{label} is open and with SIRT; its thread is in the case channel."),
    )
    await refresh(deps, client, case_id)


def _report(
    deps: SlackDeps, form: LeakReportForm, user_id: str, roles: frozenset[Role], key: str, channel: str | None
) -> int:
    with session_scope(deps.database_url) as session:
        case, _ = service.report(
            session, form, actor=user_id, roles=roles, now=deps.clock(), idempotency_key=key, channel=channel
        )
        assert case.id is not None
        return case.id


async def refresh(deps: SlackDeps, client: AsyncWebClient, case_id: int) -> None:
    """Post the case message once, then keep it current: its buttons carry the case's version."""
    channel, ts, message = await deps.work.db(_message, deps, case_id)
    if channel is None:
        return
    text = f"{cases.case_label(case_id)} · data leak"
    if ts is None:
        posted = await client.chat_postMessage(channel=channel, text=text, blocks=message)
        await deps.work.db(_record_thread, deps, case_id, str(posted["channel"]), str(posted["ts"]))
    else:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=message)


def _message(deps: SlackDeps, case_id: int) -> tuple[str | None, str | None, list[Any]]:
    with session_scope(deps.database_url) as session:
        case = cases.get_case(session, case_id)
        _text, message = blocks.message_for(session, case)
        return case.slack_channel, case.slack_thread_ts, message


def _record_thread(deps: SlackDeps, case_id: int, channel: str, ts: str) -> None:
    with session_scope(deps.database_url) as session:
        case = cases.get_case(session, case_id)
        case.slack_channel, case.slack_thread_ts = channel, ts
        session.add(case)


async def clicked(
    deps: SlackDeps, client: AsyncWebClient, body: dict[str, Any], action: dict[str, Any]
) -> None:
    """A button on the case message: a one-click step, a check, or the modal that asks for more."""
    user_id = body["user"]["id"]
    kind = action["action_id"].removeprefix(blocks.ACTION_PREFIX)
    parts = str(action.get("value", "")).split(":")
    try:
        case_id, version = int(parts[0]), int(parts[1])
        index = int(parts[2]) if len(parts) > 2 else None
    except (ValueError, IndexError):
        return
    label = cases.case_label(case_id)
    channel = (body.get("channel") or {}).get("id")
    roles = await deps.roles.roles_of(user_id)
    if kind in (blocks.DELETE, blocks.REPORTED) and index is not None:
        try:
            url = await deps.work.db(_storage_url, deps, case_id, index)
        except CaseError as problem:
            await tell(client, user_id, str(problem), channel=channel)
            return
        metadata = blocks.step_metadata(case_id, version, kind, index)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.storage_modal(kind, url, label=label, metadata=metadata),
        )
        return
    if kind == blocks.CHECK and index is not None:
        await _run(deps, client, case_id, user_id, channel, _check, case_id, index, user_id, roles)
        return
    try:
        step = L.LeakAction(kind)
    except ValueError:
        return
    if step in (L.LeakAction.TRIAGE, L.LeakAction.CLOSE):
        command: L.Step = L.Triage() if step is L.LeakAction.TRIAGE else L.Close()
        await _run(deps, client, case_id, user_id, channel, _take, case_id, command, user_id, roles, version)
        return
    metadata = blocks.step_metadata(case_id, version, step.value)
    await client.views_open(
        trigger_id=body["trigger_id"], view=blocks.step_modal(step, label=label, metadata=metadata)
    )


async def submitted(
    deps: SlackDeps,
    client: AsyncWebClient,
    body: dict[str, Any],
    view: dict[str, Any],
    command: L.Step | tuple[str, str] | ImprovementArea,
) -> None:
    """A step modal's submission, already read into a step (or a storage (kind, text) pair)."""
    meta = json.loads(view.get("private_metadata") or "{}")
    case_id, version, index = int(meta["case"]), int(meta["version"]), meta.get("index")
    user_id = body["user"]["id"]
    roles = await deps.roles.roles_of(user_id)
    if isinstance(command, ImprovementArea):
        await _run(deps, client, case_id, user_id, None, _improve, case_id, command, user_id, roles)
    elif isinstance(command, tuple):
        kind, text = command
        await _run(
            deps, client, case_id, user_id, None, _storage, case_id, int(index), kind, text, user_id, roles
        )
    else:
        await _run(deps, client, case_id, user_id, None, _take, case_id, command, user_id, roles, version)


async def _run(
    deps: SlackDeps,
    client: AsyncWebClient,
    case_id: int,
    user_id: str,
    channel: str | None,
    fn: Any,
    *args: Any,
) -> None:
    try:
        await deps.work.db(fn, deps, *args)
    except CaseError as refused:
        await tell(client, user_id, str(refused), channel=channel)
        return
    await refresh(deps, client, case_id)


def _take(
    deps: SlackDeps, case_id: int, step: L.Step, user_id: str, roles: frozenset[Role], version: int
) -> None:
    with session_scope(deps.database_url) as session:
        service.take_step(
            session, case_id, step, actor=user_id, roles=roles, now=deps.clock(), version=version
        )


def _improve(
    deps: SlackDeps, case_id: int, area: ImprovementArea, user_id: str, roles: frozenset[Role]
) -> None:
    with session_scope(deps.database_url) as session:
        improvement.request(session, case_id, area, actor=user_id, roles=roles, now=deps.clock())
    deps.kick()  # file it now, not at the next tick


def _storage_url(deps: SlackDeps, case_id: int, index: int) -> str:
    with session_scope(deps.database_url) as session:
        storage = service.leak_case(session, case_id).storage
    if not 0 <= index < len(storage):
        raise CaseError(f"{cases.case_label(case_id)} has no such storage location; look at the case again.")
    return storage[index].url


def _check(deps: SlackDeps, case_id: int, index: int, user_id: str, roles: frozenset[Role]) -> None:
    url = _storage_url(deps, case_id, index)
    deletion.check_location(deps.database_url, case_id, url, actor=user_id, roles=roles, clock=deps.clock)


def _storage(
    deps: SlackDeps, case_id: int, index: int, kind: str, text: str, user_id: str, roles: frozenset[Role]
) -> None:
    url = _storage_url(deps, case_id, index)
    if kind == blocks.DELETE:
        deletion.delete_location(
            deps.database_url,
            case_id,
            url,
            confirmed=text.strip(),
            actor=user_id,
            roles=roles,
            clock=deps.clock,
        )
    else:
        deletion.report_location_deleted(
            deps.database_url,
            case_id,
            url,
            reference=text.strip(),
            actor=user_id,
            roles=roles,
            clock=deps.clock,
        )


def read_step(
    action: str, values: dict[str, Any]
) -> tuple[L.Step | tuple[str, str] | ImprovementArea | None, dict[str, str]]:
    """The step a modal describes, or the errors to show by block."""

    def text(block: str) -> str:
        return str(((values.get(block) or {}).get(block) or {}).get("value") or "").strip()

    if action in (blocks.DELETE, blocks.REPORTED):
        return (action, text(blocks.CONFIRM_BLOCK)), {}
    try:
        step = L.LeakAction(action)
        if step is L.LeakAction.IDENTIFY:
            storage = tuple(L.StorageLocation(url=u, holds=h) for u, h in _pairs(text(blocks.STORAGE_BLOCK)))
            parties = tuple(L.ThirdParty(name=n, holds=h) for n, h in _pairs(text(blocks.PARTIES_BLOCK)))
            return L.Identify(storage=storage, third_parties=parties), {}
        if step is L.LeakAction.FILE_IMPROVEMENT:
            chosen = view_state.selected(values, blocks.AREA_BLOCK)
            if not chosen or chosen[0] not in set(ImprovementArea):
                return None, {blocks.AREA_BLOCK: "Choose one of the offered changes."}
            return ImprovementArea(chosen[0]), {}
        value = text(blocks.TEXT_BLOCK)
        if step in (L.LeakAction.REQUEST_THIRD_PARTY_DELETION, L.LeakAction.CONFIRM_THIRD_PARTY):
            name, _, reference = value.partition("|")
            model = (
                L.RequestThirdPartyDeletion
                if step is L.LeakAction.REQUEST_THIRD_PARTY_DELETION
                else L.ConfirmThirdParty
            )
            return model(name=name.strip(), reference=reference.strip()), {}
        builders: dict[L.LeakAction, Any] = {
            L.LeakAction.RECORD_ROOT_CAUSE: lambda: L.RecordRootCause(root_cause=value),
            L.LeakAction.TELL_CUSTOMER: lambda: L.TellCustomer(note=value),
            L.LeakAction.ACKNOWLEDGE_LEGAL: lambda: L.AcknowledgeLegal(note=value),
        }
        return builders[step](), {}
    except ValidationError as exc:
        block = blocks.STORAGE_BLOCK if action == L.LeakAction.IDENTIFY else blocks.TEXT_BLOCK
        return None, {block: _first_message(exc)}
    except (ValueError, KeyError):
        return None, {blocks.TEXT_BLOCK: "This step cannot be taken from this form."}


def _pairs(text: str) -> list[tuple[str, str]]:
    """`a | b` lines; a line without ` | ` is a value without a description, which identify refuses."""
    pairs = []
    for line in text.splitlines():
        if line.strip():
            head, _, tail = line.partition("|")
            pairs.append((head.strip(), tail.strip()))
    return pairs


def _first_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_too_short":
        return "Each line needs a value and, after ` | `, a description or reference."
    return "This value is not allowed here."


async def _show(client: AsyncWebClient, view_id: str, view: View) -> None:
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("slack.leak_view_update_failed", error=exc.response.get("error"))
