"""The demo's GitLab logs: small made-up production_json and audit_json files, so *Run log-dive* has
something to read.

Every six hours over the last fortnight (whatever window the visitor picks in it): a web request and a
`member_updated` audit event on acme-corp/api by the acme-corp owner, and the same by someone of another
tenant, which the extraction must drop. The field names are GitLab's (doc/administration/logs); the
values are invented.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DAYS = 14
STEP = timedelta(hours=6)
OTHER_TENANT = ("umbrella-co", "umbrella-co/vault", "wesker-umbrella")


def _request(at: datetime, n: int, *, namespace: str, project: str, user: str) -> dict[str, Any]:
    path = f"/{project}/-/settings/repository"
    return {
        "method": "GET",
        "path": path,
        "format": "html",
        "controller": "Projects::Settings::RepositoryController",
        "action": "show",
        "status": 200,
        "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "remote_ip": "198.51.100.7" if namespace == "acme-corp" else "203.0.113.200",
        "username": user,
        "ua": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "correlation_id": f"demo-{n:05d}",
        "meta.user": user,
        "meta.project": project,
        "meta.root_namespace": namespace,
        "meta.caller_id": "Projects::Settings::RepositoryController#show",
        "meta.feature_category": "source_code_management",
        "params": [
            {"key": "namespace_id", "value": project.rsplit("/", 1)[0]},
            {"key": "project_id", "value": project.rsplit("/", 1)[1]},
        ],
        "duration_s": 0.21,
    }


def _audit(at: datetime, n: int, *, project: str, user: str, user_id: int) -> dict[str, Any]:
    moment = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "severity": "INFO",
        "time": moment,
        "correlation_id": f"demo-{n:05d}",
        "meta.caller_id": "Projects::ProjectMembersController#update",
        "author_id": user_id,
        "author_name": user,
        "entity_id": 100 + n,
        "entity_type": "Project",
        "entity_path": project,
        "target_id": 5000 + n,
        "target_type": "User",
        "target_details": f"{user}-deploy-bot",
        "event_name": "member_updated",
        "custom_message": "Changed access level from Developer to Maintainer",
        "ip_address": "198.51.100.7" if project.startswith("acme-corp/") else "203.0.113.200",
        "created_at": moment,
    }


def write_sample_logs(directory: Path, now: datetime) -> dict[str, str]:
    """Write the files under `directory`; returns LOGDIVE_LOG_SOURCES for them (the same file every day)."""
    directory.mkdir(parents=True, exist_ok=True)
    other_ns, other_project, other_user = OTHER_TENANT
    requests, audits = [], []
    at, n = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0), 0
    while at < now:
        requests.append(_request(at, n, namespace="acme-corp", project="acme-corp/api", user="alice-acme"))
        requests.append(_request(at, n + 1, namespace=other_ns, project=other_project, user=other_user))
        audits.append(_audit(at, n + 2, project="acme-corp/api", user="alice-acme", user_id=9101))
        audits.append(_audit(at, n + 3, project=other_project, user=other_user, user_id=9666))
        at, n = at + STEP, n + 4
    sources = {}
    for kind, lines in (("production_json", requests), ("audit_json", audits)):
        path = directory / f"{kind}.log"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        sources[kind] = str(path)
    return sources
