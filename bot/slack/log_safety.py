"""Keep request bodies, personal data and tokens out of what slack_bolt and slack_sdk log.

Both libraries put whole request bodies into messages, e.g. Bolt's "Invalid request signature detected
(signature: …, body: …)" or its warning about a listener that never acknowledged. Every record from them
passes through `SlackLogFilter` (on the root logger's handlers, bot.logs) and keeps only the library's
own wording: the message up to the first character that starts a quoted value, a dict, a list or a
`key: value`, and the number of characters withheld. A raised exception keeps its type, never its text.

Nothing here runs a backtracking regular expression over the text (an attacker writes it): the cut is
`str.find`, the token pattern runs on the short kept part only, with re2 (linear time).
"""

from __future__ import annotations

import logging

import re2

_TOKEN = re2.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+")
_QUOTES = "({[:=<\"'\n"  # where a library's message starts interpolating something
_KEEP = 120  # the libraries' own wording is shorter than this
_LIBRARIES = ("slack_bolt", "slack_sdk")


def redact(message: str) -> str:
    """The library's wording before the first interpolated value, and how much was withheld."""
    head = message[:_KEEP]
    cut = min((at for mark in _QUOTES if (at := head.find(mark)) >= 0), default=len(head))
    kept = _TOKEN.sub("[redacted-token]", head[:cut]).rstrip()
    withheld = len(message) - cut
    return f"{kept} [{withheld} characters withheld]" if withheld else kept


class SlackLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] not in _LIBRARIES:
            return True
        try:
            text = redact(record.getMessage())
        except Exception:  # a message that does not even format: keep nothing of it
            text = "[unformattable message withheld]"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__})"
        record.msg, record.args, record.exc_info, record.exc_text = text, (), None, None
        record.stack_info = None
        return True


def install(handlers: list[logging.Handler] | None = None) -> None:
    """Attach the filter to `handlers` (default: every handler of the root logger); idempotent."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        if not any(isinstance(f, SlackLogFilter) for f in handler.filters):
            handler.addFilter(SlackLogFilter())
    for name in _LIBRARIES:  # their DEBUG records carry headers and bodies
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
