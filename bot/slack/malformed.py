"""What a malformed Slack request gets: 400 and one log line naming the problem, never a 5xx or a traceback.

Three guards, outermost first:
- `SlackRequestHandler` builds Bolt's request inside a try: a body that is not UTF-8, a `payload` that is
  not JSON or JSON that is not an object never reaches Bolt's own parsing unguarded.
- `check_envelope`, a global middleware, checks the fields the listeners read (by request type) before
  any listener is matched, so a listener can rely on them.
- `answer_error`, Bolt's error handler, turns whatever a listener or middleware still raises into one
  line (the exception's class, never its text: that may quote the request) and a 4xx when the error is
  about the request's shape.
Nothing of the body is logged, only its length and the name of the offending field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.logs import get_logger

log = get_logger(__name__)

# Errors that say "the request had an unexpected shape" rather than "a dependency failed".
SHAPE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,  # includes json.JSONDecodeError, UnicodeDecodeError and pydantic's ValidationError
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,  # JSON nested deeper than the parser goes
)

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,255}$")]
Short = Annotated[str, StringConstraints(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=4000)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _User(_Shape):
    id: Id


class _Action(_Shape):
    action_id: Short
    value: Text | None = None


class _Channel(_Shape):
    id: Id


class _Message(_Shape):
    ts: Short | None = None
    thread_ts: Short | None = None


class _OpenView(_Shape):
    id: Id | None = None
    private_metadata: Text | None = None


class _State(_Shape):
    values: dict[str, dict[str, dict[str, Any]]]


class _SubmittedView(_Shape):
    id: Id
    callback_id: Short
    private_metadata: Text = ""
    state: _State


class _Command(_Shape):
    command: Short
    user_id: Id
    trigger_id: Short
    response_url: Annotated[str, StringConstraints(max_length=2000)]
    text: Text = ""


class _BlockActions(_Shape):
    user: _User
    actions: list[_Action] = Field(min_length=1)
    trigger_id: Short | None = None
    channel: _Channel | None = None
    message: _Message | None = None
    view: _OpenView | None = None


class _ViewSubmission(_Shape):
    user: _User
    view: _SubmittedView


class _BlockSuggestion(_Shape):
    user: _User
    action_id: Short
    value: Text = ""


class _Event(_Shape):
    type: Short


class _AppMention(_Event):
    """The one event Logdive subscribes to (config/slack-manifest.yml); others keep their own shapes."""

    user: Id
    channel: Id
    thread_ts: Short | None = None


class _EventCallback(_Shape):
    event: _Event


class _AppMentionCallback(_Shape):
    event: _AppMention


class _UrlVerification(_Shape):
    challenge: Short


_SHAPES: dict[str, type[_Shape]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "block_suggestion": _BlockSuggestion,
    "event_callback": _EventCallback,
    "url_verification": _UrlVerification,
}


_PARTS = (_Command, _User, _Action, _Channel, _Message, _OpenView, _State, _SubmittedView, _AppMention)
_MODELS: tuple[type[BaseModel], ...] = (*_PARTS, *_SHAPES.values())
_FIELD_NAMES = frozenset(name for shape in _MODELS for name in shape.model_fields)


def envelope_problem(body: dict[str, Any]) -> str | None:
    """The first field (a dotted path) that does not have the shape Slack documents; None when all do."""
    shape = _Command if "command" in body else _SHAPES.get(str(body.get("type")))
    event = body.get("event")
    if shape is _EventCallback and isinstance(event, dict) and event.get("type") == "app_mention":
        shape = _AppMentionCallback
    if shape is None:
        return None  # a kind Logdive has no listener for: Bolt answers it as unhandled
    try:
        shape.model_validate(body)
    except ValidationError as exc:
        return _path(exc.errors(include_url=False)[0]["loc"])
    return None


def _path(location: tuple[Any, ...]) -> str:
    """The error's location, up to the first part the sender named (a key of `values`): that is theirs."""
    parts: list[str] = []
    for part in location:
        if not (isinstance(part, int) or part in _FIELD_NAMES):
            parts.append("*")
            break
        parts.append(str(part))
    return ".".join(parts) or "body"


def _kind(body: Any) -> str:
    """The request's kind for a log line: one Logdive knows, never text from the request."""
    if not isinstance(body, dict):
        return "?"
    if "command" in body:
        return "command"
    kind = body.get("type")
    return kind if isinstance(kind, str) and kind in _SHAPES else "other"


def _refuse(reason: str, problem: str, **fields: Any) -> BoltResponse:
    log.warning("slack.malformed_request", reason=reason, **fields)
    return BoltResponse(status=400, body=json.dumps({"error": f"malformed request: {problem}"}))


async def check_envelope(body: dict[str, Any], next: Any) -> BoltResponse | None:
    """Global middleware: a request whose fields are not what the listeners read is answered 400 here."""
    field = envelope_problem(body)
    if field is not None:
        problem = f"{field} is missing or not of the type Slack documents"
        return _refuse("field", problem, field=field, type=_kind(body))
    await next()
    return None


async def answer_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """Bolt's error handler for listeners and middleware: one line, no traceback, 4xx for shape errors."""
    kind = _kind(body)
    if isinstance(error, SHAPE_ERRORS):
        return _refuse("shape", "a field has an unexpected shape", type=kind, error=type(error).__name__)
    log.error("slack.request_failed", type=kind, error=type(error).__name__)
    return BoltResponse(status=500, body="")


def register(app: AsyncApp) -> None:
    app.middleware(check_envelope)
    app.error(answer_error)


class SlackRequestHandler(AsyncSlackRequestHandler):
    """Bolt's Starlette adapter, with Bolt's own parsing of the body guarded."""

    async def handle(
        self, req: Request, addition_context_properties: dict[str, Any] | None = None
    ) -> Response:
        if req.method != "POST":
            return await super().handle(req, addition_context_properties)
        body = await req.body()
        try:
            # Bolt parses the body here: form fields, a `payload` field of JSON, or a JSON body.
            request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=req.query_params,  # type: ignore[arg-type]
                headers=req.headers,  # type: ignore[arg-type]
            )
            if not isinstance(request.body, dict):
                raise TypeError("the body is not an object")
            response = await self.app.async_dispatch(request)
        except SHAPE_ERRORS as exc:
            log.warning("slack.malformed_request", reason="body", error=type(exc).__name__, length=len(body))
            return PlainTextResponse("malformed request body", status_code=400)
        return to_starlette_response(response)
