"""The NDA status chosen on the case message (the CSM's): recorded by the artefact service for the person
Slack vouches for; anyone else is refused there (recorded) and told alone."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.artefacts import service
from bot.artefacts.errors import ArtefactRefused
from bot.db.engine import session_scope
from bot.slack.blocks.case import NDA_CHOICES
from bot.slack.deps import SlackDeps
from bot.slack.flows.notify import tell
from bot.slack.flows.people import vouched


def read_choice(body: dict[str, Any]) -> tuple[int, int, str] | None:
    """(case id, version, status) from the select's chosen option, or None when Logdive did not write it."""
    action = (body.get("actions") or [{}])[0]
    value = str((action.get("selected_option") or {}).get("value", ""))
    case_id, _, rest = value.partition(":")
    version, _, status = rest.partition(":")
    if not (case_id.isdigit() and version.isdigit() and status in NDA_CHOICES):
        return None
    return int(case_id), int(version), status


async def set_nda(deps: SlackDeps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    choice = read_choice(body)
    if choice is None:
        return
    case_id, _version, status = choice
    user = str((body.get("user") or {}).get("id", ""))
    channel = (body.get("channel") or {}).get("id")
    thread_ts = (body.get("message") or {}).get("ts")
    found = await vouched(
        deps, client, user, case_id=case_id, action="set_nda", channel=channel, thread_ts=thread_ts
    )
    if found is None:
        return
    person, roles = found

    def work() -> None:
        with session_scope(deps.database_url) as session:
            service.set_nda_status(session, case_id, status, actor=person, roles=roles, now=deps.clock())

    try:
        await deps.work.db(work)
    except (ArtefactRefused, cases.CaseError, ValueError) as refusal:
        await tell(client, user, f"Nothing changed: {refusal}", channel=channel, thread_ts=thread_ts)
        return
    deps.kick()
    await tell(
        client,
        user,
        f"{cases.case_label(case_id)}: {NDA_CHOICES[status]}.",
        channel=channel,
        thread_ts=thread_ts,
    )
