"""Slack display names, for GitLab readers: a note says "Sam Patel (Slack)", not a raw Slack user id.

Asked of users.info (scope users:read) from the GitLab workers' threads, and cached; a name Slack will
not give (an outage, a deleted user) is None and the note falls back to the id. A display name is text
its owner chose: the GitLab templates neutralise it like any other value.
"""

from __future__ import annotations

import re
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.logs import get_logger

log = get_logger(__name__)

SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
LONGEST_NAME = 80
UNKNOWN_RETRY_SECONDS = 60.0  # a failed look-up is asked again after this long, not on every note


class SlackNames:
    def __init__(self, client: WebClient | None, ttl_seconds: float = 300.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str | None, float]] = {}

    def __call__(self, user_id: str) -> str | None:
        """The person's display name (else real name), or None."""
        if self._client is None or not SLACK_USER_ID.fullmatch(user_id):
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._known.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        name = self._ask(user_id)
        with self._lock:
            self._known[user_id] = (name, now + (self._ttl if name else UNKNOWN_RETRY_SECONDS))
        return name

    def _ask(self, user_id: str) -> str | None:
        try:
            user = self._client.users_info(user=user_id).get("user") or {}  # type: ignore[union-attr]
        except (SlackApiError, OSError) as exc:
            log.info("slack.name_unknown", error=type(exc).__name__)
            return None
        profile = user.get("profile") or {}
        for candidate in (profile.get("display_name"), profile.get("real_name"), user.get("real_name")):
            if isinstance(candidate, str) and candidate.strip():
                return " ".join(candidate.split())[:LONGEST_NAME]
        return None
