"""What the listeners need, handed to each one in Bolt's context as `context["deps"]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock
from bot.settings import Settings
from bot.slack.background import Background
from bot.slack.identity import PersonDirectory
from bot.slack.roles import RoleDirectory, TimezoneDirectory
from workflows.catalog import Catalog
from workflows.facts import DirectoryFacts
from workflows.policy import Policy
from workflows.request import LogDiveRequest


class Directory(Protocol):
    def facts_for(self, request: LogDiveRequest) -> DirectoryFacts: ...


@dataclass
class SlackDeps:
    settings: Settings
    database_url: str
    catalog: Catalog
    policy: Policy
    clock: Clock
    directory: Directory
    roles: RoleDirectory
    timezones: TimezoneDirectory
    work: Background
    # Wakes the scheduler tick so owed Slack messages go out now, not at the next interval.
    kick: Callable[[], None] = field(default=lambda: None)
    people: PersonDirectory | None = None  # who clicked, for artefact custody (bot.slack.identity)
