""" "Run log-dive" from the case message: the extraction runs in the background, never in the ack.

The case owner's click is checked and recorded (`log_dive_started`), then a thread message says it
started and is redrawn with the bytes read at most every PROGRESS_EVERY seconds, and at the end with
the entries kept; the sealed outputs arrive as artefact cards. A failure says what failed (a missing
source, an unreadable file) in the same message and on the case; nothing else changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import cases
from bot.artefacts import logdive_run
from bot.artefacts.errors import ArtefactRefused
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.logs import get_logger
from bot.slack.deps import SlackDeps
from bot.slack.flows.case_actions import Click
from bot.slack.flows.notify import tell
from bot.slack.flows.people import vouched
from workflows.review import Person

log = get_logger(__name__)
PROGRESS_EVERY = 3.0  # seconds between progress redraws, at the least


class ThreadProgress:
    """The extraction's ProgressSink: redraws one thread message, never more often than `every`."""

    def __init__(
        self, post: Any, loop: asyncio.AbstractEventLoop, label: str, every: float = PROGRESS_EVERY
    ) -> None:
        self._post, self._loop, self._label, self._every = post, loop, label, every
        self._total = self._read = 0
        self._last = time.monotonic()

    def start(self, total_bytes: int) -> None:
        self._total = total_bytes

    def advance(self, amount: int) -> None:
        self._read += amount
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            text = f":mag: Log-dive for {self._label}: {_mb(self._read)} of {_mb(self._total)} read…"
            asyncio.run_coroutine_threadsafe(self._post(text), self._loop)

    def finish(self) -> None:
        pass


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


async def run_logdive(deps: SlackDeps, client: AsyncWebClient, click: Click) -> None:
    label = cases.case_label(click.case_id)
    found = await vouched(
        deps, client, click.user_id, case_id=click.case_id, action="run_extract", channel=click.channel,
        thread_ts=click.thread_ts,
    )  # fmt: skip
    if found is None:
        return
    person, roles = found

    def begin() -> logdive_run.Job:
        with session_scope(deps.database_url) as session:
            return logdive_run.begin(session, click.case_id, actor=person, roles=roles, now=deps.clock())

    try:
        job = await deps.work.db(begin)
    except (ArtefactRefused, cases.CaseError, logdive_run.LogDiveFailed) as refusal:
        await tell(
            client,
            click.user_id,
            f"Nothing changed: {refusal}",
            channel=click.channel,
            thread_ts=click.thread_ts,
        )
        return
    deps.kick()
    started = f":mag: Log-dive for {label} started by <@{person.slack_id}>: finding the logs…"
    try:
        posted = (  # a click that names no channel (not on the case message) gets no progress message
            await client.chat_postMessage(channel=click.channel, thread_ts=click.thread_ts, text=started)
            if click.channel is not None
            else None
        )
    except SlackApiError as exc:
        log.warning("slack.logdive_post_failed", error=exc.response.get("error"))
        posted = None

    async def show(text: str) -> None:
        if posted is None:
            return
        try:
            await client.chat_update(channel=posted["channel"], ts=posted["ts"], text=text)
        except SlackApiError as exc:
            log.warning("slack.logdive_update_failed", error=exc.response.get("error"))

    await _run(deps, job, person, show, label)


async def _run(deps: SlackDeps, job: logdive_run.Job, person: Person, show: Any, label: str) -> None:
    progress = ThreadProgress(show, asyncio.get_running_loop(), label)
    try:
        sources, missing = logdive_run.sources_for(deps.settings.log_sources, job.request)
        result, stored = await asyncio.to_thread(
            logdive_run.extract_and_seal, job, sources, settings=deps.settings,
            vault=Vault.from_settings(deps.settings), policy=deps.policy.retention, now=deps.clock(),
            started_by=person, progress=progress,
        )  # fmt: skip
    except Exception as exc:  # what failed is told; a bug is named by its type, never by a log line it quotes
        why = (
            str(exc)
            if isinstance(exc, logdive_run.LogDiveFailed)
            else f"internal error ({type(exc).__name__})"
        )
        log.warning("slack.logdive_failed", case_id=job.case_id, error=type(exc).__name__)

        def fail() -> None:
            with session_scope(deps.database_url) as session:
                logdive_run.fail(session, job, why, started_by=person, now=deps.clock())

        await deps.work.db(fail)
        await show(f":x: Log-dive for {label} failed: {why}. Nothing else changed.")
        deps.kick()
        return
    read = sum(i.size for i in result.inputs)
    gaps = f" No file for: {', '.join(missing[:5])}." if missing else ""
    await show(
        f":white_check_mark: Log-dive for {label} done: {_mb(read)} read from {len(result.inputs)} file(s), "
        f"{result.kept} entries kept; {len(stored)} artefact(s) sealed on the case, unreviewed (cards below)."
        + gaps
    )
    deps.kick()
