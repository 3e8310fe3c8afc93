"""Links to a case's Slack thread from outside Slack (the SIRT issue).

A message's permalink is `<workspace URL>/archives/<channel>/p<ts without the dot>`, the shape
`chat.getPermalink` returns. The workspace URL comes from LOGDIVE_SLACK_WORKSPACE_URL or, once per
process, from Slack's `auth.test`; when neither is available the issue says where the thread is
instead of linking it, and nothing waits on Slack.
"""

from __future__ import annotations

import re
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.logs import get_logger

log = get_logger(__name__)

_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,20}")
_TS = re.compile(r"(\d{6,12})\.(\d{6})")


class ThreadLinks:
    def __init__(self, client: WebClient | None, workspace_url: str | None = None) -> None:
        self._client = client
        self._workspace = workspace_url.rstrip("/") if workspace_url else None
        self._lock = threading.Lock()
        self._asked = False

    def url(self, channel: str | None, ts: str | None) -> str | None:
        """The thread's permalink, or None when it cannot be built without waiting on Slack."""
        if not channel or not ts or not _CHANNEL.fullmatch(channel):
            return None
        stamp = _TS.fullmatch(ts)
        workspace = self._workspace_url()
        if stamp is None or workspace is None:
            return None
        return f"{workspace}/archives/{channel}/p{stamp.group(1)}{stamp.group(2)}"

    def _workspace_url(self) -> str | None:
        with self._lock:
            if self._workspace is None and not self._asked and self._client is not None:
                self._asked = True  # once: a Slack outage must not slow every issue down
                try:
                    url = str(self._client.auth_test().get("url") or "")
                except (SlackApiError, OSError) as exc:
                    log.info("slack.workspace_url_unknown", error=type(exc).__name__)
                    url = ""
                if url.startswith("https://"):
                    self._workspace = url.rstrip("/")
            return self._workspace
