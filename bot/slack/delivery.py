"""Outbox handlers for what the case service owes Slack: the case message and its thread replies.

Runs in the scheduler's thread with the blocking WebClient. `slack.thread_post` with
`message: case_opened` posts the case message (its ts becomes the thread's home, stored on done);
any other `slack.thread_post` announces one event in the thread and redraws the case message so its
buttons match the new state. `slack.case_refresh` only redraws (e.g. once the SIRT issue exists).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, col, select

from bot import cases, outbox
from bot.db.engine import session_scope
from bot.db.models import Case, CaseEvent, OutboxItem
from bot.slack.blocks import leak as leak_blocks
from bot.slack.blocks.case import CaseView, case_message, event_message

THREAD_POST = cases.SLACK_THREAD_POST
CASE_REFRESH = "slack.case_refresh"
_PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "invalid_blocks",
    "invalid_arguments",
    "is_archived",
    "msg_too_long",
    "no_text",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
}


def case_view(session: Session, case: Case, gitlab_url: str | None = None) -> CaseView:
    latest = session.exec(
        select(CaseEvent.kind)
        .where(
            CaseEvent.case_id == case.id,
            col(CaseEvent.kind).in_(["exception_requested", "exception_approved", "exception_denied"]),
        )
        .order_by(col(CaseEvent.id).desc())
    ).first()
    return CaseView(
        label=cases.case_label(case.id or 0),
        exception=latest.removeprefix("exception_") if latest else None,
        gitlab_url=gitlab_url,
    )


class SlackDelivery:
    def __init__(self, client: WebClient, database_url: str, gitlab_url: str | None = None) -> None:
        self._client = client
        self._url = database_url
        self._gitlab_url = gitlab_url  # links into it are shown as links; None: no links at all

    def handlers(self) -> dict[str, outbox.Handler]:
        return {THREAD_POST: self.thread_post, CASE_REFRESH: self.refresh}

    def on_done(self) -> dict[str, outbox.OnDone]:
        return {THREAD_POST: remember_thread}

    def thread_post(self, item: OutboxItem) -> dict[str, Any]:
        with session_scope(self._url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            view = case_view(session, case, self._gitlab_url)
            event = session.get(CaseEvent, item.payload["event_id"]) if item.payload.get("event_id") else None
            if item.payload.get("message") == "case_opened":
                if case.slack_thread_ts:  # posted already (a delivery repeated after a lost lease)
                    return {"channel": case.slack_channel, "ts": case.slack_thread_ts}
                text, blocks = case_message(case, view)
                channel = item.payload.get("channel") or case.slack_channel
            else:
                if not case.slack_thread_ts:
                    raise RuntimeError("the case message is not posted yet")  # retried after it is
                if event is None:
                    raise outbox.PermanentError(f"event {item.payload.get('event_id')} does not exist")
                text, blocks = event_message(case, event, view)
                channel = case.slack_channel
            root = case_message(case, view) if case.slack_thread_ts else None
            thread_ts, root_channel = case.slack_thread_ts, case.slack_channel
        if item.payload.get("message") == "case_opened":
            response = self._call("chat_postMessage", channel=channel, text=text, blocks=blocks)
            return {"channel": response["channel"], "ts": response["ts"]}
        reply = self._call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
        if root is not None:
            self._call("chat_update", channel=root_channel, ts=thread_ts, text=root[0], blocks=root[1])
        # The reply's own ts: erasure replaces Logdive's replies with a tombstone (bot.slack.tombstones).
        return {"channel": channel, "thread_ts": thread_ts, "ts": reply.get("ts")}

    def refresh(self, item: OutboxItem) -> dict[str, Any]:
        with session_scope(self._url) as session:
            case = cases.get_case(session, int(item.payload["case_id"]))
            if not case.slack_thread_ts:
                raise RuntimeError("the case message is not posted yet")
            if case.type == "data_leak":  # its own message (bot/slack/blocks/leak.py)
                text, blocks = leak_blocks.message_for(session, case)
            else:
                text, blocks = case_message(case, case_view(session, case, self._gitlab_url))
            channel, ts = case.slack_channel, case.slack_thread_ts
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)
        return {"channel": channel, "ts": ts}

    def _call(self, method: str, **kwargs: Any) -> Any:
        return call_slack(self._client, method, **kwargs)


def call_slack(client: WebClient, method: str, **kwargs: Any) -> Any:
    """One Web API call, its failure sorted for a retrying worker: RetryAfter (rate limited),
    PermanentError (retrying cannot help) or RuntimeError (try again later)."""
    try:
        return getattr(client, method)(**kwargs)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error == "ratelimited":
            raise outbox.RetryAfter(float(exc.response.headers.get("Retry-After", 30))) from None
        if error in _PERMANENT:
            raise outbox.PermanentError(f"Slack refused {method}: {error}") from None
        raise RuntimeError(f"Slack {method} failed: {error}") from None


def remember_thread(session: Session, item: OutboxItem, result: dict[str, Any]) -> None:
    """The case message's ts becomes the case's thread: stored with the delivery, in one transaction."""
    if item.payload.get("message") != "case_opened" or not result.get("ts"):
        return
    case = session.get(Case, int(item.payload["case_id"]))
    if case is not None and not case.slack_thread_ts:
        case.slack_channel, case.slack_thread_ts = result["channel"], result["ts"]
        session.add(case)
