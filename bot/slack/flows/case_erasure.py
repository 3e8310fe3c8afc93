""" "Erase case" on the case message: SIRT or Legal, confirmed in a modal with the reason.

The erasure itself is bot.artefacts.erasure.erase_case, by the person Slack vouches for; a click by
anyone else is refused there (recorded) before any form opens, and told to them alone.
"""

from __future__ import annotations

import json

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.artefacts import erasure
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.store import LocalDirectoryStore
from bot.db.engine import session_scope
from bot.logs import get_logger
from bot.slack.blocks.custody_forms import ERASE_CASE_CALLBACK, custody_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click
from bot.slack.flows.notify import tell
from bot.slack.flows.people import vouched
from workflows.states import Role

log = get_logger(__name__)
MAY_ERASE = frozenset({Role.SIRT, Role.LEGAL})


async def ask_to_erase(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    roles = await deps.roles.roles_of(click.user_id)
    if not MAY_ERASE & roles:
        await erase(deps, client, click, "(refused before the form opened)")
        return
    metadata = json.dumps(
        {
            "case_id": click.case_id,
            "version": click.version,
            "channel": click.channel,
            "thread_ts": click.thread_ts,
        }
    )
    view = custody_modal(
        ERASE_CASE_CALLBACK, title_line=f"Erase {cases.case_label(click.case_id)}", metadata=metadata
    )
    try:
        await client.views_open(trigger_id=click.trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("slack.erase_modal_failed", error=exc.response.get("error"))


async def erase(deps: SlackDeps, client: AsyncWebClient, click: Click, reason: str) -> bool:
    label = cases.case_label(click.case_id)
    found = await vouched(
        deps, client, click.user_id, case_id=click.case_id, action="erase", channel=click.channel,
        thread_ts=click.thread_ts,
    )  # fmt: skip
    if found is None:
        return False
    person, roles = found

    def work() -> erasure.ErasureReport:
        with session_scope(deps.database_url) as session:
            return erasure.erase_case(
                session, LocalDirectoryStore(deps.settings.artefact_dir), click.case_id, reason=reason,
                actor=person, roles=roles, now=deps.clock(),
            )  # fmt: skip

    try:
        report = await deps.work.db(work)
    except (ArtefactRefused, ArtefactNotFound, cases.CaseError, ValueError) as refusal:
        await tell(
            client,
            click.user_id,
            f"Nothing changed: {refusal}",
            channel=click.channel,
            thread_ts=click.thread_ts,
        )
        return False
    deps.kick()
    await tell(
        client, click.user_id,
        f"{label} erased: {report.artefacts_deleted} artefact(s) deleted; the case is ended and its thread "
        "tombstoned.",
        channel=click.channel, thread_ts=click.thread_ts,
    )  # fmt: skip
    return True
