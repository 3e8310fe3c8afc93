"""The intake flow: open the modal, then (after a submission was acknowledged) look up, decide, record."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.db.engine import session_scope
from bot.logs import get_logger
from bot.slack.blocks.decision import decision_modal, failure_modal, rescope_notice
from bot.slack.blocks.intake import intake_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows.access import REFUSAL, answer_refusal, case_roles
from workflows.assessment import Assessment, Decision
from workflows.catalog import Catalog
from workflows.eligibility import evaluate
from workflows.request import LogDiveRequest

log = get_logger(__name__)


def metadata(attempt: int, timezone: str) -> str:
    return json.dumps({"attempt": attempt, "tz": timezone}, separators=(",", ":"))


def read_metadata(text: str | None) -> tuple[int, str]:
    try:
        data = json.loads(text or "{}")
        return int(data.get("attempt", 1)), str(data.get("tz") or "UTC")
    except (ValueError, TypeError, AttributeError):
        return 1, "UTC"


_BLANK_FORMS: dict[tuple[str, int], dict[str, Any]] = {}


def blank_form(timezone: str, catalog: Catalog) -> dict[str, Any]:
    """The empty intake form as Slack JSON, serialised once per time zone: turning the models into JSON
    costs ~2 ms of event-loop time, which 50 simultaneous /security commands would queue behind."""
    key = (timezone, id(catalog))
    form = _BLANK_FORMS.get(key)
    if form is None:
        view = intake_modal(metadata=metadata(1, timezone), timezone=timezone, catalog=catalog)
        form = _BLANK_FORMS[key] = view.to_dict()
    return form


async def open_modal(
    deps: SlackDeps, client: AsyncWebClient, respond: AsyncRespond, body: dict[str, Any]
) -> None:
    """Open at once (a trigger id lives 3 seconds); show the caller's timezone as soon as it is known.
    Someone who handles no cases gets the refusal instead."""
    user_id = body["user_id"]
    if await case_roles(deps, user_id, "intake.open") is None:
        await answer_refusal(respond)
        return
    known = deps.timezones.cached(user_id)
    timezone = known or deps.settings.default_timezone
    try:
        opened = await client.views_open(
            trigger_id=body["trigger_id"],
            view=blank_form(timezone, deps.catalog),
        )
    except SlackApiError as exc:
        # exchanged_trigger_id: a duplicate delivery of a command whose modal is already open.
        log.warning("slack.intake_open_failed", error=exc.response.get("error"))
        return
    if known:
        return
    timezone = await deps.timezones.timezone_of(user_id)
    if timezone == deps.settings.default_timezone:
        return
    view = opened["view"]
    try:
        # Same block and action ids: whatever the person typed meanwhile stays (Slack preserves input).
        await client.views_update(
            view_id=view["id"],
            hash=view["hash"],
            view=blank_form(timezone, deps.catalog),
        )
    except SlackApiError as exc:
        log.info("slack.intake_timezone_not_shown", error=exc.response.get("error"))


async def assess_and_record(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    view_id: str,
    user_id: str,
    request: LogDiveRequest,
    attempt: int,
    timezone: str,
) -> None:
    # A crafted submission from someone without a case role: nothing is looked up or filed for them.
    if await case_roles(deps, user_id, "intake.submit") is None:
        await _show(client, view_id, failure_modal(REFUSAL))
        return
    try:
        facts = await deps.work.gitlab(deps.directory.facts_for, request)
    except Exception as exc:  # any directory failure: the person is told, nothing is recorded
        log.warning("slack.intake_directory_failed", error=type(exc).__name__)
        message = (
            "GitLab could not be reached to check this request; nothing was recorded. "
            "Close this and run /security again in a minute."
        )
        await _show(client, view_id, failure_modal(message))
        return
    now = deps.clock()
    assessment = evaluate(request, facts, deps.policy, now)
    case_id, version, created = await deps.work.db(
        _record, deps, request, assessment, user_id, f"slack:view:{view_id}:{attempt}"
    )
    label = cases.case_label(case_id)
    log.info("slack.intake_recorded", case_id=case_id, decision=assessment.decision.value, created=created)
    if assessment.decision is Decision.RESCOPE:
        view = intake_modal(
            metadata=metadata(attempt + 1, timezone),
            timezone=timezone,
            catalog=deps.catalog,
            request=request,
            notice=rescope_notice(assessment, label),
            submit="Resubmit",
            extra_hours=assessment.extra_effort_hours,
        )
    else:
        view = decision_modal(
            assessment,
            case_label=label,
            case_id=case_id,
            version=version,
            case_channel=deps.settings.case_channel,
        )
    await _show(client, view_id, view)
    deps.kick()


async def _show(client: AsyncWebClient, view_id: str, view: Any) -> None:
    """The modal's next face; a modal closed meanwhile (or a view id Slack does not know) is only logged."""
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.warning("slack.intake_view_not_updated", error=exc.response.get("error"))


def _record(
    deps: SlackDeps, request: LogDiveRequest, assessment: Assessment, user_id: str, key: str
) -> tuple[int, int, bool]:
    with session_scope(deps.database_url) as session:
        case, created = cases.record_intake(
            session,
            request=request,
            assessment=assessment,
            actor=user_id,
            now=deps.clock(),
            idempotency_key=key,
            channel=deps.settings.case_channel,
        )
        assert case.id is not None
        return case.id, case.version, created
