"""A diagnostic file uploaded in a case thread becomes a sealed artefact of the case, unreviewed.

Only files shared in the thread of a case (its channel and thread ts) count. The uploader must be a
person Slack vouches for who may add artefacts (Support or SIRT) on an accepted, open case; anyone else
is refused (recorded) and told alone, and the file stays where it is, theirs to delete. Logdive asks
files.info for the file itself (it never follows a link from the event), downloads it with the bot
token from Slack's own host only, refuses files over MAX_UPLOAD_BYTES, and seals it at once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot import cases
from bot.artefacts import service
from bot.artefacts.errors import ArtefactRefused
from bot.artefacts.events import case_for
from bot.artefacts.keys import KeyConfigError
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import Case
from bot.logs import get_logger
from bot.slack.deps import SlackDeps
from bot.slack.flows.notify import tell
from bot.slack.identity import UnknownPerson
from workflows.retention import ArtefactKind
from workflows.review import CustodyAction, Person
from workflows.states import Role

log = get_logger(__name__)
MAX_UPLOAD_BYTES = 100 << 20
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


async def on_file_shared(deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any]) -> None:
    channel, thread_ts, user = event.get("channel"), event.get("thread_ts"), str(event.get("user", ""))
    if not channel or not thread_ts:
        return
    case_id = await deps.work.db(_case_of_thread, deps, channel, thread_ts)
    if case_id is None:  # not a case thread: nothing of Logdive's
        return
    for shared in event.get("files") or []:
        await _seal(deps, client, case_id, str(shared.get("id", "")), user, channel, thread_ts)


def _case_of_thread(deps: SlackDeps, channel: str, thread_ts: str) -> int | None:
    with session_scope(deps.database_url) as session:
        found = session.exec(
            select(Case.id).where(Case.slack_channel == channel, Case.slack_thread_ts == thread_ts)
        ).first()
        return int(found) if found is not None else None


async def _seal(
    deps: SlackDeps,
    client: AsyncWebClient,
    case_id: int,
    file_id: str,
    user: str,
    channel: str,
    thread_ts: str,
) -> None:
    async def say(text: str) -> None:
        await tell(client, user, text, channel=channel, thread_ts=thread_ts)

    try:
        if deps.people is None:
            raise UnknownPerson("identity look-ups are not configured")
        person = await deps.people.person(user)
        info = (await client.files_info(file=file_id)).get("file") or {}
    except (UnknownPerson, SlackApiError) as exc:
        await say(f"Your file was not kept: {exc}")
        return
    roles = await deps.roles.roles_of(person.slack_id)
    name, size = str(info.get("name") or file_id), int(info.get("size") or 0)
    if info.get("user") != person.slack_id:
        await say("Your file was not kept: Slack says someone else uploaded it")
        return
    # Whether this person may add to this case is the service's to say (and record) before any download.
    try:
        await deps.work.db(_may_add, deps, case_id, person, roles)
    except (ArtefactRefused, cases.CaseError) as refusal:
        await say(f"Your file was not kept: {refusal}. Delete it from the thread if it holds customer data.")
        return
    if size > MAX_UPLOAD_BYTES:
        await say(f"Your file was not kept: {size} bytes; at most {MAX_UPLOAD_BYTES} through Slack")
        return
    try:
        data = await _download(deps, str(info.get("url_private_download") or ""))
    except (ValueError, aiohttp.ClientError) as exc:
        await say(f"Your file was not kept: it could not be read from Slack ({exc})")
        return

    def work() -> int:
        with session_scope(deps.database_url) as session:
            artefact = service.store_artefact(
                session, Vault.from_settings(deps.settings), case_id, name=name,
                kind=ArtefactKind.MANUAL_ANALYSIS, data=data, actor=person, roles=roles, now=deps.clock(),
                policy=deps.policy.retention, source="slack_upload",
            )  # fmt: skip
            return artefact.id or 0

    try:
        artefact_id = await deps.work.db(work)
    except (ArtefactRefused, cases.CaseError, ValueError, KeyConfigError) as refusal:
        await say(f"Your file was not kept: {refusal}")
        return
    deps.kick()
    await say(f"{name} is sealed on {cases.case_label(case_id)} as artefact {artefact_id}, unreviewed.")


def _may_add(deps: SlackDeps, case_id: int, person: Person, roles: frozenset[Role]) -> None:
    with session_scope(deps.database_url) as session:
        case_for(session, case_id, CustodyAction.ADD, actor=person, roles=roles, now=deps.clock())
        session.rollback()  # a check only: nothing is kept


async def _download(deps: SlackDeps, url: str) -> bytes:
    parsed = urlparse(url)
    allowed = SLACK_FILE_HOSTS | {urlparse(deps.settings.slack_api_url).netloc}
    if parsed.scheme not in ("https", "http") or parsed.netloc not in allowed:
        raise ValueError("not a Slack file address")
    token = deps.settings.slack_bot_token.get_secret_value() if deps.settings.slack_bot_token else ""
    timeout = aiohttp.ClientTimeout(total=120)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False) as response,
    ):
        if response.status != 200:
            raise ValueError(f"Slack answered {response.status}")
        data = await response.content.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError("larger than Slack said")
    return data
