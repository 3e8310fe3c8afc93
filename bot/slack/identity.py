"""Who clicked: the person behind the user id of a signed Slack request, as workflows.review.Person.

The id is checked as it arrived (never stripped or re-cased); users.info then says whether Slack knows
the person and, on Enterprise Grid, their W… id, so a person's U… and W… ids are one person. Fail
closed: an id Slack does not know, a deactivated account, a bot, or Slack out of reach is nobody.
Answers are cached like roles.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import get_logger
from workflows.review import InvalidActor, Person, slack_id

log = get_logger(__name__)


class UnknownPerson(Exception):
    """Slack could not vouch for this id; the message says why, for the person who clicked."""


class PersonDirectory:
    def __init__(
        self, client: AsyncWebClient, *, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, Person]] = {}

    async def person(self, user_id: object) -> Person:
        try:
            checked = slack_id(user_id)
        except InvalidActor as exc:
            raise UnknownPerson(str(exc)) from None
        hit = self._cache.get(checked)
        if hit and self._monotonic() - hit[0] < self._ttl:
            return hit[1]
        try:
            response = await self._client.users_info(user=checked)
        except SlackApiError as exc:
            log.warning("slack.identity_lookup_failed", error=exc.response.get("error"))
            raise UnknownPerson("Slack could not confirm who you are just now; try again") from None
        user = response.get("user") or {}
        if user.get("id") != checked:
            raise UnknownPerson("Slack answered for another account")
        if user.get("deleted") or user.get("is_bot"):
            raise UnknownPerson("this account cannot act on artefacts (deactivated or a bot)")
        enterprise = (user.get("enterprise_user") or {}).get("id")
        try:
            found = Person(checked, enterprise_id=enterprise)
        except InvalidActor as exc:
            raise UnknownPerson(str(exc)) from None
        self._cache[checked] = (self._monotonic(), found)
        return found
