"""Which GitLab JSON log a line comes from, told by its fields (file names lie after rotation and copying).

Field names follow GitLab's logging documentation (doc/administration/logs): production_json.log has
`controller`, api_json.log has `route`, audit_json.log has `author_id`/`entity_type`, Sidekiq logs have
`jid`/`job_status`, application_json.log has little more than a free-text `message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class LogKind(StrEnum):
    PRODUCTION = "production_json"
    API = "api_json"
    AUDIT = "audit_json"
    SIDEKIQ = "sidekiq"
    APPLICATION = "application_json"
    UNKNOWN = "unknown"


def flatten(entry: Mapping[str, Any]) -> dict[str, Any]:
    """`{"meta": {"user": "x"}}` -> `{"meta.user": "x"}`: GitLab writes both styles. Request `params`
    stay as they are. Returns `entry` itself when nothing is nested (the common case, and cheap)."""
    if dict not in map(type, entry.values()):  # C speed: this runs for every parsed line
        return entry if type(entry) is dict else dict(entry)
    return _flatten(entry, "")


def _flatten(entry: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        name = f"{prefix}{key}"
        if type(value) is dict and key != "params":
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def detect_kind(entry: Mapping[str, Any]) -> LogKind:
    """The log kind of one parsed line; the most specific marker wins (audit lines also carry `time`...)."""
    if "author_id" in entry or "entity_type" in entry:
        return LogKind.AUDIT
    if "jid" in entry or "job_status" in entry:
        return LogKind.SIDEKIQ
    if "controller" in entry:
        return LogKind.PRODUCTION
    if "route" in entry or ("path" in entry and "method" in entry):
        return LogKind.API
    if "message" in entry:
        return LogKind.APPLICATION
    return LogKind.UNKNOWN
