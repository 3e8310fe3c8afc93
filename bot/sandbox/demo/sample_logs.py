"""The demo's GitLab logs: a small made-up production_json file, so *Run log-dive* has something to read.

Every six hours over the last fortnight (whatever window the visitor picks in it): a request by the
acme-corp owner on acme-corp/api, and one by someone of another tenant, which the extraction must drop.
The field names are GitLab's (doc/administration/logs, production_json); everything else is invented.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

LOG_KIND = "production_json"
DAYS = 14
STEP = timedelta(hours=6)
OTHER_TENANT = ("umbrella-co", "umbrella-co/vault", "wesker-umbrella")


def _line(at: datetime, n: int, *, namespace: str, project: str, user: str) -> dict[str, Any]:
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


def write_sample_logs(directory: Path, now: datetime) -> dict[str, str]:
    """Write the file under `directory`; returns LOGDIVE_LOG_SOURCES for it (one file for every day)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{LOG_KIND}.log"
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    lines = []
    at, n = start, 0
    while at < now:
        lines.append(_line(at, n, namespace="acme-corp", project="acme-corp/api", user="alice-acme"))
        other_ns, other_project, other_user = OTHER_TENANT
        lines.append(_line(at, n + 1, namespace=other_ns, project=other_project, user=other_user))
        at, n = at + STEP, n + 2
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return {LOG_KIND: str(path)}
