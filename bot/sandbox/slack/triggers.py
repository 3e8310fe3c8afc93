"""trigger_ids as Slack hands them out: each exchanged once, each valid for 3 seconds.

Slack puts a trigger_id in every slash command and interaction; views.open and views.push exchange it.
A test (or the demo) gets one from `issue`, which notes when and from which modal (the interaction's
view, if any) it came. Expiry is enforced only when `ttl_seconds` is set: on a loaded machine the bot's
views.open may legitimately come more than 3 s after a test made the trigger, so only a test about
expiry sets it. Without it, a trigger a test made up is accepted once (its origin unknown).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.slack.limits import SlackError

TRIGGER_TTL_SECONDS = 3.0  # Slack's


@dataclass(frozen=True)
class Issued:
    at: float
    view_id: str | None  # the modal the interaction happened in; None for a command or a message


class Triggers:
    def __init__(self, ttl_seconds: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._issued: dict[str, Issued] = {}
        self._used: set[str] = set()
        self._n = itertools.count(1)

    def issue(self, view_id: str | None = None) -> str:
        """A new trigger_id in Slack's format (`132456.7890123.abcdef`)."""
        trigger = f"{next(self._n)}.{int(time.time())}.{secrets.token_hex(16)}"
        self._issued[trigger] = Issued(self._clock(), view_id)
        return trigger

    def exchange(self, trigger: object) -> Issued | None:
        """Use the trigger up: what `issue` noted about it, None for one a test made up."""
        if not isinstance(trigger, str) or not trigger:
            raise SlackError("invalid_arguments", detail="trigger_id is required")
        if trigger in self._used:
            raise SlackError("exchanged_trigger_id")
        issued = self._issued.get(trigger)
        if self.ttl_seconds is not None:
            if issued is None:
                raise SlackError("invalid_trigger_id")
            if self._clock() - issued.at > self.ttl_seconds:
                raise SlackError("expired_trigger_id")
        self._used.add(trigger)
        return issued
