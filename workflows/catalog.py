"""The event-type catalog: GitLab's audit event types and the log categories a log-dive covers.

Parsed from config/event_types.yml (loaded by bot/catalog.py); pure, so tests build catalogs by hand.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class LogCategory(BaseModel):
    """A group of log lines a CSM can ask for by one name, e.g. `sign_ins`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    audit_event_types: tuple[str, ...] = ()
    controllers: tuple[str, ...] = ()  # `controller` in production_json.log
    routes: tuple[str, ...] = ()  # `route` in api_json.log, e.g. /api/:version/projects/:id/members
    # Every web request (production_json) / API request (api_json) about the scope, whatever its
    # controller or route: `resource_access` ("who accessed our project, from where?").
    every_web_request: bool = False
    every_api_request: bool = False


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    audit_event_types: frozenset[str]
    categories: dict[str, LogCategory]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        for key, category in self.categories.items():
            if key != category.name:
                raise ValueError(f"category {key!r} is named {category.name!r}")
            if key in self.audit_event_types:
                raise ValueError(f"category {key!r} has the name of an audit event type")
            undocumented = sorted(set(category.audit_event_types) - self.audit_event_types)
            if undocumented:
                raise ValueError(f"category {key!r} names unknown audit event types: {undocumented}")
        return self

    @property
    def names(self) -> frozenset[str]:
        """Every name a request may use: audit event types and category names."""
        return self.audit_event_types | frozenset(self.categories)

    def is_known(self, name: str) -> bool:
        return name in self.audit_event_types or name in self.categories

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The nearest known names, best first; empty when nothing is close."""
        candidates = sorted(self.names)  # sorted: equal scores come back in a stable order
        return difflib.get_close_matches(name.strip().lower(), candidates, n=n, cutoff=0.6)

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [name for name in dict.fromkeys(names) if not self.is_known(name)]

    def audit_types_for(self, names: Iterable[str]) -> frozenset[str]:
        """Categories expanded to their audit event types, plus the audit event types named directly."""
        found: set[str] = set()
        for name in names:
            if name in self.categories:
                found.update(self.categories[name].audit_event_types)
            elif name in self.audit_event_types:
                found.add(name)
        return frozenset(found)

    def controllers_for(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset(c for cat in self._categories_in(names) for c in cat.controllers)

    def routes_for(self, names: Iterable[str]) -> frozenset[str]:
        return frozenset(r for cat in self._categories_in(names) for r in cat.routes)

    def covers_every_request(self, names: Iterable[str], kind: str) -> bool:
        """Whether a category among `names` takes every web (`kind="web"`) or API (`"api"`) request."""
        attribute = "every_web_request" if kind == "web" else "every_api_request"
        return any(getattr(cat, attribute) for cat in self._categories_in(names))

    def _categories_in(self, names: Iterable[str]) -> list[LogCategory]:
        return [self.categories[name] for name in names if name in self.categories]


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """Build a Catalog from the parsed YAML of config/event_types.yml.

    `audit_event_types` is either a flat list or a mapping of GitLab product category to list.
    Raises pydantic.ValidationError (a ValueError) naming what is wrong.
    """
    raw_types = data.get("audit_event_types") or ()
    if isinstance(raw_types, Mapping):
        types = [name for group in raw_types.values() for name in (group or ())]
    else:
        types = list(raw_types)
    categories = {
        name: LogCategory(name=name, **(body or {})) for name, body in (data.get("categories") or {}).items()
    }
    return Catalog(audit_event_types=frozenset(types), categories=categories)
