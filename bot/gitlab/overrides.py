"""What a deployment knows about customers that GitLab's API does not say (a TOML file, optional).

    [namespaces.acme-corp]
    paid_since = 2025-01-01      # GitLab does not expose when a subscription started
    plan = "ultimate"            # corrections, when the CRM knows better than GitLab
    end_date = 2027-01-31

Overrides apply on top of the facts GitLab gives; they never invent a namespace GitLab does not have.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows.facts import NamespaceFacts


class DirectoryOverridesError(ValueError):
    """The overrides file is unreadable or invalid; the message names the file, the field and the fix."""


class NamespaceOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paid_since: date | None = None
    plan: str | None = None
    trial: bool | None = None
    trial_ends_on: date | None = None
    end_date: date | None = None


class DirectoryOverrides(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespaces: dict[str, NamespaceOverride] = {}

    def apply(self, facts: NamespaceFacts) -> NamespaceFacts:
        """GitLab's facts about a namespace, with this deployment's overrides for it (matched without
        regard to case, as GitLab matches paths) laid on top."""
        wanted = facts.full_path.casefold()
        for name, override in self.namespaces.items():
            if name.casefold() == wanted:
                return facts.model_copy(update=override.model_dump(exclude_unset=True))
        return facts


_ALLOWED = {
    "paid_since": "a date such as 2025-01-01 (unquoted)",
    "plan": 'a GitLab plan name such as "premium" or "ultimate"',
    "trial": "true or false",
    "trial_ends_on": "a date such as 2025-01-01 (unquoted)",
    "end_date": "a date such as 2025-01-01 (unquoted)",
}


def load_overrides(path: Path) -> DirectoryOverrides:
    """Read and check the overrides file named by LOGDIVE_DIRECTORY_OVERRIDES."""
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise DirectoryOverridesError(
            f"{path}: cannot read the directory overrides file named by LOGDIVE_DIRECTORY_OVERRIDES "
            f"({exc.strerror})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryOverridesError(f"{path}: not valid TOML: {exc}") from None
    try:
        return DirectoryOverrides.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"])
            field = str(error["loc"][-1]) if error["loc"] else ""
            if error["type"] == "extra_forbidden":
                known = ", ".join(_ALLOWED) if len(error["loc"]) > 1 else "namespaces"
                problems.append(f"{where}: unknown key; allowed: {known}")
            else:
                allowed = _ALLOWED.get(field, "a table per namespace: [namespaces.<full path>]")
                problems.append(f"{where}: {error['msg']}; allowed: {allowed}")
        raise DirectoryOverridesError(f"{path}: " + "; ".join(problems)) from None
