"""Run the installed `logdive` console script as a user would: a subprocess, its exit code, its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.gitlab.state import DEVELOPER, OWNER
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture

LOGDIVE = Path(sys.executable).with_name("logdive")

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_logdive(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The console script with a clean environment (plus `env`); a traceback anywhere fails the test."""
    assert LOGDIVE.exists(), f"the console script is missing: {LOGDIVE} (pip install -e '.[test]')"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    base.pop("DATABASE_URL", None)
    base.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **(env or {})})
    done = subprocess.run(
        [str(LOGDIVE), *args],
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.fixture
def logdive() -> Run:
    return run_logdive


# -- `logdive check` against the GitLab stand-in ----------------------------------------------------------

NOW = "2026-11-10T09:00:00Z"


def request_data(**overrides: Any) -> dict[str, Any]:
    """An eligible request file's contents (as at NOW, against the `gitlab` fixture), fields overridden."""
    request: dict[str, Any] = {
        "customer_namespace": "acme-corp",
        "requester_username": "alice-acme",
        "window": {"start": "2026-11-04T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
        "resources": {"projects": ["acme-corp/api"], "groups": ["acme-corp/platform"], "users": ["bob-acme"]},
        "event_types": ["member_updated"],
        "personal_data": False,
        "log_sources": ["application"],
        "paid_plan_confirmed": True,
        "description": "A token nobody recognises",
    }
    request.update(overrides)
    return request


@pytest.fixture
def gitlab(gitlab_standin: GitLabStandIn) -> Iterator[GitLabStandIn]:  # noqa: F811 -- uses the fixture
    state = gitlab_standin.state
    acme = state.add_group("acme-corp", plan="premium")
    state.add_group("acme-corp/platform")
    state.add_project("acme-corp/api")
    for n in range(12):
        state.add_project(f"acme-corp/svc-{n}")
    free = state.add_group("free-co", plan="free")
    state.add_group("other-org", plan="ultimate")
    state.add_project("other-org/secret")
    alice, bob, carol = (state.add_user(u) for u in ("alice-acme", "bob-acme", "carol-free"))
    state.add_member(acme, alice, OWNER)
    state.add_member(acme, bob, DEVELOPER)
    state.add_member(free, carol, OWNER)
    yield gitlab_standin


@pytest.fixture
def check(gitlab: GitLabStandIn, logdive: Run, tmp_path: Path) -> Any:
    """Write a request file and run `logdive check` on it against the stand-in."""

    def run(
        request: dict[str, Any] | str, *args: str, suffix: str = ".json", env: dict[str, str] | None = None
    ) -> Any:
        path = tmp_path / f"request{suffix}"
        path.write_text(request if isinstance(request, str) else json.dumps(request), encoding="utf-8")
        environment = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": gitlab.token,
            "LOGDIVE_GITLAB_MAX_RETRIES": "0",
            **(env or {}),
        }
        return logdive("check", str(path), "--now", NOW, *args, env=environment)

    return run
