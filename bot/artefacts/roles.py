"""Who holds which role, for commands run from a terminal with `--as SLACK_USER_ID`.

The Slack app asks Slack's user groups (bot.slack.roles.RoleDirectory). The CLI runs as an
operator on the host; it acts for the person named by `--as` and checks that person's roles in
the file named by LOGDIVE_ROLES_FILE, a TOML file listing Slack user ids per role:

    csm = ["U0CSM0001"]
    support = ["U0SUP0001"]
    sirt = ["U0SIRT001", "U0SIRT002"]
    legal = ["U0LEGAL01"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from workflows.states import Role

SETTING = "LOGDIVE_ROLES_FILE"
PEOPLE_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)


class RoleProvider(Protocol):
    def roles_of(self, user_id: str) -> frozenset[Role]: ...


class RolesFileError(ValueError):
    """The roles file is missing or malformed; the message names the file, the key and what is allowed."""


class StaticRoleProvider:
    """Roles from a mapping of role -> user ids."""

    def __init__(self, members: Mapping[Role, frozenset[str]]) -> None:
        self._members = dict(members)

    def roles_of(self, user_id: str) -> frozenset[Role]:
        return frozenset(role for role, users in self._members.items() if user_id in users)


class FileRoleProvider(StaticRoleProvider):
    @classmethod
    def load(cls, path: Path | None) -> FileRoleProvider:
        if path is None:
            raise RolesFileError(f"{SETTING} is not set: commands run with --as need a roles file")
        try:
            with Path(path).open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise RolesFileError(f"{SETTING}: no file at {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise RolesFileError(f"{SETTING}: {path} is not valid TOML ({exc})") from None
        allowed = ", ".join(r.value for r in PEOPLE_ROLES)
        members: dict[Role, frozenset[str]] = {}
        for key, users in data.items():
            try:
                role = Role(key)
            except ValueError:
                role = Role.SYSTEM
            if role is Role.SYSTEM:
                raise RolesFileError(f"{path}: {key!r} is not a role; roles are {allowed}")
            if not isinstance(users, list) or not all(isinstance(u, str) and u.strip() for u in users):
                raise RolesFileError(f'{path}: {key} must be a list of Slack user ids, e.g. ["U0123ABCD"]')
            members[role] = frozenset(u.strip() for u in users)
        return cls(members)
