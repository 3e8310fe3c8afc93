"""Keep request bodies and tokens out of what slack_bolt and slack_sdk log.

Both libraries sometimes put a request body (a dict) or a token in a message, e.g. Bolt's warning about
a listener that never acknowledged. Every record from them passes through `SlackLogFilter` on the
handlers of the root logger: tokens, dicts, JSON and form bodies become `[redacted]`.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+")
_BRACED = re.compile(r"\{.*\}", re.DOTALL)  # dict reprs and JSON bodies, greedy to the last brace
_FORM = re.compile(r"\b[\w.%\[\]-]+=[^&\s]*(?:&[\w.%\[\]-]+=[^&\s]*)+")
_LIBRARIES = ("slack_bolt", "slack_sdk")


def redact(message: str) -> str:
    message = _TOKEN.sub("[redacted-token]", message)
    message = _BRACED.sub("[redacted]", message)
    return _FORM.sub("[redacted]", message)


class SlackLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] not in _LIBRARIES:
            return True
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        record.msg, record.args, record.exc_info, record.exc_text = redact(text), (), None, None
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SlackLogFilter) for f in handler.filters):
            handler.addFilter(SlackLogFilter())
    for name in _LIBRARIES:  # their DEBUG records carry headers and bodies
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
