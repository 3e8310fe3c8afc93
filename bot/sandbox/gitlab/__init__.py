"""A local GitLab REST stand-in (tests, `logdive demo`): `GitLabStandIn` (the server), `GitLabState`."""

from bot.sandbox.gitlab.faults import Fault, RecordedRequest
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.gitlab.state import (
    DEVELOPER,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    GitLabState,
    Member,
    Namespace,
    Project,
    User,
)

__all__ = [
    "DEVELOPER",
    "GUEST",
    "MAINTAINER",
    "OWNER",
    "REPORTER",
    "Fault",
    "GitLabStandIn",
    "GitLabState",
    "Member",
    "Namespace",
    "Project",
    "RecordedRequest",
    "User",
]
