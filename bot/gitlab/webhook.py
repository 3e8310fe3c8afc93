"""POST /gitlab/webhook: GitLab's Issue and Note hooks for the SIRT project, acknowledged at once.

The endpoint checks X-Gitlab-Token against LOGDIVE_GITLAB_WEBHOOK_SECRET in constant time (a wrong or
missing token is refused with 401 and nothing is recorded), keeps only the few fields Logdive acts on,
and records the delivery in one transaction: its X-Gitlab-Event-UUID (a replay is answered and
ignored) and an outbox item. The outbox worker then does the work (`process_delivery`): a finding
noted on the issue, or the issue closed or reopened, is told in the case thread with a one-line
summary and a link (never the note's text), and closing the issue moves the case. Logdive's own notes
and changes come back as hooks too and are ignored.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import cases, outbox
from bot.db.engine import session_scope
from bot.db.models import Case, IdempotencyKey, OutboxItem
from bot.db.upsert import insert_if_absent
from bot.logs import get_logger
from workflows.sirt_issue import is_customer_update, is_finding
from workflows.states import OPEN_STATES, CaseState

if TYPE_CHECKING:
    from bot.gitlab.outbox_handlers import GitLabDelivery
    from bot.runtime import Runtime

log = get_logger(__name__)

WEBHOOK = "gitlab.webhook"
HANDLED = {"Issue Hook", "Confidential Issue Hook", "Note Hook", "Confidential Note Hook"}
MAX_BODY = 5 * 1024 * 1024
OWN_MARKER = "<!-- logdive-"  # every note and issue Logdive writes starts with one of its markers

WEBHOOKS = Counter("logdive_gitlab_webhooks_total", "GitLab webhook deliveries by outcome", ["outcome"])


@dataclass(frozen=True)
class HookEvent:
    """What Logdive keeps of a delivery: enough to act, nothing of the note's text but its first line."""

    kind: str  # "note" | "issue"
    project_id: int | None
    project_path: str
    issue_iid: int
    action: str  # issue: open | close | reopen | update; note: create | update
    user_id: int | None
    username: str
    url: str | None
    note_id: int | None = None
    note_first_line: str = ""
    system: bool = False


def summarise(event: str, payload: dict[str, Any]) -> HookEvent | None:
    """The parts of an Issue or Note hook Logdive acts on; None for anything else (a note on a merge
    request, a snippet or a commit). Read fail-closed: a field of another type than GitLab documents
    counts as absent."""
    project = _object(payload.get("project"))
    user = _object(payload.get("user"))
    attributes = _object(payload.get("object_attributes"))
    common: dict[str, Any] = {
        "project_id": _int(project.get("id") or payload.get("project_id")),
        "project_path": _text(project.get("path_with_namespace")),
        "user_id": _int(user.get("id")),
        "username": _text(user.get("username")),
    }
    if event in ("Issue Hook", "Confidential Issue Hook"):
        iid = _int(attributes.get("iid"))
        if iid is None:
            return None
        return HookEvent(
            kind="issue",
            issue_iid=iid,
            action=_text(attributes.get("action")) or "update",
            url=_text(attributes.get("url")) or None,
            **common,
        )
    if attributes.get("noteable_type") != "Issue":
        return None
    iid = _int(_object(payload.get("issue")).get("iid"))
    if iid is None:
        return None
    text = _text(attributes.get("note"), limit=100_000)
    first = next((line for line in text.splitlines() if line.strip()), "")
    return HookEvent(
        kind="note",
        issue_iid=iid,
        action=_text(attributes.get("action")) or "create",
        url=_text(attributes.get("url")) or None,
        note_id=_int(attributes.get("id")),
        note_first_line=first[:200],
        system=attributes.get("system") is True,
        **common,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 2000) -> str:
    """A string field, cut to `limit`; anything else (a number, a list, null) is absent."""
    return value[:limit] if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    """An id or iid: a non-negative integer GitLab could have sent (bools and huge numbers are absent)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdecimal() and len(value) <= 18:
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < 2**63 else None


def is_own(event: str, payload: dict[str, Any]) -> bool:
    """A note Logdive wrote (its marker is the first thing in it)."""
    if event not in ("Note Hook", "Confidential Note Hook"):
        return False
    return _text(_object(payload.get("object_attributes")).get("note"), limit=100).startswith(OWN_MARKER)


def record_delivery(database_url: str, uuid: str, hook: HookEvent, now: Any) -> bool:
    """The delivery's UUID and the work it owes, in one transaction. False: a replay, nothing owed."""
    with session_scope(database_url) as session:
        key = f"gitlab-webhook:{uuid}"
        if not insert_if_absent(
            session, IdempotencyKey, {"key": key, "created_at": now}, conflict_on=["key"]
        ):
            return False
        outbox.enqueue(session, case_id=None, kind=WEBHOOK, payload=asdict(hook), key=key, now=now)
    return True


def endpoint(runtime: Runtime) -> Any:
    """The Starlette endpoint for POST /gitlab/webhook."""
    secret = runtime.settings.gitlab_webhook_secret

    async def gitlab_webhook(request: Request) -> Response:
        given = request.headers.get("x-gitlab-token", "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            WEBHOOKS.labels("unauthorised").inc()
            log.warning("gitlab.webhook_refused", reason="token", configured=secret is not None)
            return JSONResponse({"error": "invalid X-Gitlab-Token"}, status_code=401)
        event = request.headers.get("x-gitlab-event", "")
        uuid = request.headers.get("x-gitlab-event-uuid", "")
        if not uuid or len(uuid) > 100:
            return JSONResponse({"error": "X-Gitlab-Event-UUID is required"}, status_code=400)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if event not in HANDLED:
            WEBHOOKS.labels("ignored").inc()
            return JSONResponse({"ignored": f"{event or 'no'} event"})
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            log.warning("gitlab.webhook_malformed", length=len(body))
            return JSONResponse({"error": "the body is not a JSON object"}, status_code=400)
        hook = summarise(event, payload)
        if hook is None or is_own(event, payload):
            WEBHOOKS.labels("ignored").inc()
            return JSONResponse(
                {"ignored": "not about an issue Logdive acts on" if hook is None else "own note"}
            )
        fresh = await runtime.work.db(record_delivery, runtime.database_url, uuid, hook, runtime.clock())
        if not fresh:
            WEBHOOKS.labels("duplicate").inc()
            return JSONResponse({"ignored": "already received"})
        WEBHOOKS.labels("accepted").inc()
        runtime.kick()
        return JSONResponse({"accepted": True}, status_code=202)

    return gitlab_webhook


def process_delivery(delivery: GitLabDelivery, item: OutboxItem) -> dict[str, Any]:
    """The work a webhook delivery owes, run by the outbox after GitLab was answered."""
    hook = HookEvent(**item.payload)
    project = delivery.settings.sirt_project or ""
    if (
        project not in (hook.project_path, str(hook.project_id))
        and project.casefold() != hook.project_path.casefold()
    ):
        return {"ignored": "not the SIRT project"}
    if hook.user_id is not None and hook.user_id == delivery.writer.user_id():
        return {"ignored": "Logdive's own change"}
    with session_scope(delivery.database_url) as session:
        found = session.exec(select(Case).where(Case.sirt_issue_iid == hook.issue_iid)).first()
        if found is None or found.id is None:
            return {"ignored": f"no case has issue #{hook.issue_iid}"}
        if found.type == "data_leak":  # its steps are taken in Slack, where the evidence is recorded
            return {"ignored": "a data-leak case", "case_id": found.id}
        actor = f"gitlab:{hook.username or hook.user_id}"
        now = delivery.clock()
        new_note = hook.kind == "note" and not hook.system and hook.action == "create"
        if new_note and is_customer_update(hook.note_first_line):
            if CaseState(found.state) not in OPEN_STATES:
                return {"ignored": f"customer update on a {found.state} case", "case_id": found.id}
            cases.log_customer_update(
                session,
                found.id,
                actor=actor,
                roles=(),
                now=now,
                summary=f"Customer update noted on the SIRT issue by {hook.username or 'someone'}",
                url=hook.url,
                from_gitlab=True,
            )
            return {"customer_update": True, "case_id": found.id}
        if hook.kind == "note":
            if not new_note or not is_finding(hook.note_first_line):
                return {"ignored": "not a new finding", "case_id": found.id}
            cases.record_finding(
                session,
                found.id,
                actor=actor,
                roles=(),
                now=now,
                summary=f"New finding noted on the SIRT issue by {hook.username or 'someone'}",
                url=hook.url,
                from_gitlab=True,
            )
            return {"finding": True, "case_id": found.id}
        if hook.action == "close":
            cases.issue_closed_in_gitlab(session, found.id, actor=actor, now=now, url=hook.url)
            return {"closed": True, "case_id": found.id}
        if hook.action == "reopen":
            cases.issue_reopened_in_gitlab(session, found.id, actor=actor, now=now, url=hook.url)
            return {"reopened": True, "case_id": found.id}
    return {"ignored": f"issue {hook.action}"}
