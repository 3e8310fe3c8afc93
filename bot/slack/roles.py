"""Who holds which role: membership of the Slack user groups named in the settings, cached with a TTL.

Fail closed: when Slack cannot tell (an error, an unknown group), the user holds no role from that
group, and the failure is not cached, so the next click asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import get_logger
from bot.settings import Settings
from workflows.states import Role

log = get_logger(__name__)

# Role name (workflows.states.Role values) -> the setting holding its Slack user-group id.
ROLE_GROUP_SETTINGS: Mapping[Role, str] = {
    Role.CSM: "csm_group",
    Role.SUPPORT: "support_group",
    Role.SIRT: "sirt_group",
    Role.LEGAL: "legal_group",
}


class RoleDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        groups: Mapping[Role, str | None],
        *,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._groups = {role: group for role, group in groups.items() if group}
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_settings(cls, client: AsyncWebClient, settings: Settings) -> RoleDirectory:
        groups = {role: getattr(settings, attr) for role, attr in ROLE_GROUP_SETTINGS.items()}
        return cls(client, groups, ttl_seconds=settings.role_cache_seconds)

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        found = await asyncio.gather(*(self._members(group) for group in self._groups.values()))
        return frozenset(
            role for role, members in zip(self._groups, found, strict=True) if user_id in members
        )

    async def _members(self, group: str) -> frozenset[str]:
        cached = self._cache.get(group)
        if cached and self._monotonic() - cached[0] < self._ttl:
            return cached[1]
        # One look-up per group at a time: fifty clicks at once ask Slack once.
        async with self._locks.setdefault(group, asyncio.Lock()):
            cached = self._cache.get(group)
            if cached and self._monotonic() - cached[0] < self._ttl:
                return cached[1]
            try:
                response = await self._client.usergroups_users_list(usergroup=group)
            except SlackApiError as exc:
                log.warning("slack.usergroup_lookup_failed", usergroup=group, error=exc.response.get("error"))
                return frozenset()
            members = frozenset(response.get("users") or ())
            self._cache[group] = (self._monotonic(), members)
            return members


class TimezoneDirectory:
    """A user's IANA timezone from users.info, cached like roles; the default when Slack cannot say."""

    def __init__(self, client: AsyncWebClient, *, default: str, ttl_seconds: float) -> None:
        self._client = client
        self._default = default
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, str]] = {}

    def cached(self, user_id: str) -> str | None:
        hit = self._cache.get(user_id)
        return hit[1] if hit and time.monotonic() - hit[0] < self._ttl else None

    async def timezone_of(self, user_id: str) -> str:
        return await self.known_timezone(user_id) or self._default

    async def known_timezone(self, user_id: str) -> str | None:
        """The zone Slack gives for the user, or None when it cannot say (never the default)."""
        hit = self.cached(user_id)
        if hit:
            return hit
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("slack.users_info_failed", error=exc.response.get("error"))
            return None
        tz = (response.get("user") or {}).get("tz") or None
        if tz:
            self._cache[user_id] = (time.monotonic(), tz)
        return tz
