"""What the customer directory (GitLab, plus a deployment's overrides) knows about a request.

`bot/` gathers these facts; the eligibility policy reads them. None means "the directory cannot tell".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

OWNER_ACCESS_LEVEL = 50


class NamespaceFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    full_path: str
    kind: Literal["group", "user"]
    plan: str | None  # as GitLab names it: free, premium, ultimate, silver, gold, bronze, …
    trial: bool = False
    trial_ends_on: date | None = None
    end_date: date | None = None  # subscription end; None = no end known
    paid_since: date | None = None  # GitLab does not expose it; a deployment's CRM override may


class ResourceFacts(BaseModel):
    """A project, group or user in scope, as the directory found it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["project", "group", "user"]
    name: str  # as requested: full path, or username
    exists: bool
    full_path: str | None = None  # projects and groups: the canonical path GitLab returned
    member_of_namespace: bool | None = None  # users: a (possibly inherited) member of the namespace


class DirectoryFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: NamespaceFacts | None  # None: no such top-level namespace
    requester_exists: bool
    requester_access_level: int | None  # None: not a member of the namespace
    resources: tuple[ResourceFacts, ...] = ()
