"""A local GitLab REST stand-in for tests: `GitLabStandIn` (the server), `GitLabState` (what it knows)."""

from tests.gitlab_standin.faults import Fault, RecordedRequest
from tests.gitlab_standin.server import GitLabStandIn
from tests.gitlab_standin.state import (
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
