"""Structured logs, one JSON event a line, with secrets and personal data kept out."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from bot.slack import log_safety

# Keys whose values never reach a log line, whatever module logs them.
_SECRET_KEYS = frozenset(
    {
        "token",
        "private_token",
        "password",
        "secret",
        "authorization",
        "signing_secret",
        "app_token",
        "bot_token",
        "x-gitlab-token",
        "x-slack-signature",
        "payload",
        "body",
        "text",
        "description",
        "email",
        "ip",
        "ip_address",
        "remote_ip",
        "username",
        "name",
        "user_name",
    }
)


def _drop_secrets(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
    return event


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time of writing (pytest and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO") -> None:
    """Route structlog and the standard library (slack_bolt, slack_sdk, gitlab) through one JSON renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Not cached: a later configure_logging (a CLI command, a test) must reach loggers already used.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(), foreign_pre_chain=shared
        )
    )
    # Slack's libraries interpolate whole request bodies into their messages: cut to their own wording.
    log_safety.install([handler])
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Their DEBUG output carries request bodies and headers: never below INFO.
    for noisy in ("slack_bolt", "slack_sdk", "urllib3", "gitlab", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def describe_error(exc: BaseException) -> str:
    """What may be logged or stored about a failure. A database error says its class and SQLSTATE only:
    SQLAlchemy's message quotes the statement and its parameters (names, e-mails, request text)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError  # here: logging needs no database

    if isinstance(exc, SQLAlchemyError):
        if isinstance(exc, DBAPIError) and exc.orig is not None:
            code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", None)
            origin = type(exc.orig).__name__ + (f" {code}" if code else "")
            return f"{type(exc).__name__} ({origin})"
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc}"
