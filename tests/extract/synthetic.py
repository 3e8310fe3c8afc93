# ruff: noqa: E501 -- the scenario table reads best one scenario a few lines long
"""Synthetic GitLab JSON logs with known answers, built from the field names in GitLab's logging
documentation (doc/administration/logs): production_json, api_json, audit_json, application_json and
Sidekiq lines, both duration styles (`duration` in ms, `duration_s`), flat and nested `meta`, `params`
lists, IPv4 and IPv6.

Every scenario line carries a unique `correlation_id` and says, per test case, whether it must be kept.
`FOREIGN` and `SECRETS` list what was planted and must never appear in any output.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CUSTOMER = "acme-corp"
PROJECT = "acme-corp/api"
GROUP = "acme-corp/platform"
SCOPE_USER, SCOPE_USER_ID, SCOPE_USER_IP = "bob-acme", 4101, "81.2.69.142"
REQUESTER = "alice-acme"
OTHER_CUSTOMER_USER = "carol-acme"  # the customer's, but not in scope

WINDOW = ("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z")
IN_WINDOW = "2026-11-03T10:15:54.821Z"


# Planted identifiers of accounts outside the request, and internal details: never in any output.
class FOREIGN:
    USERNAME = "eve-outsider"
    USER_ID = 987654
    NAME = "Eve Outsider"
    EMAIL = "eve.outsider@evil-mail.example"
    IP4 = "81.2.69.160"
    IP6 = "2a00:1450:4001:81b::200e"
    OTHER_NAMESPACE = "globex-industries"
    OTHER_PROJECT = "globex-industries/secret-plans"
    HOSTNAME = "web-07-sv-gprd.c.gitlab-production.internal"
    WORKER = "puma_7"
    PID = 48213
    GITALY = "gitaly-02-stor-gprd.c.gitlab-production.internal:9999"
    BACKTRACE = "app/services/very_internal_service.rb:42:in `execute'"
    INTERNAL_IP = "10.217.3.4"

    @classmethod
    def strings(cls) -> list[str]:
        return [
            cls.USERNAME, str(cls.USER_ID), cls.NAME, cls.EMAIL, cls.IP4, cls.IP6, cls.OTHER_NAMESPACE,
            "secret-plans", cls.HOSTNAME, cls.WORKER, str(cls.PID), cls.GITALY, "very_internal_service",
            cls.INTERNAL_IP, OTHER_CUSTOMER_USER,
        ]  # fmt: skip


class SECRETS:
    PAT = "glpat-Zx9vQm2LkP7rTy3WnB5c"
    BEARER = "ya29.a0AfB_byCsecretBearerValue9"
    URL_PASSWORD = "s3cr3t-Pa55w0rd"
    FORM_PASSWORD = "hunter2-form-password"
    JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2ItYWNtZSJ9.c2lnbmF0dXJlLXNlY3JldA"

    @classmethod
    def strings(cls) -> list[str]:
        return [cls.PAT, cls.BEARER, cls.URL_PASSWORD, cls.FORM_PASSWORD, cls.JWT]


def production(**fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "method": "GET",
        "path": f"/{PROJECT}/-/issues/1",
        "format": "html",
        "controller": "Projects::IssuesController",
        "action": "show",
        "status": 200,
        "time": IN_WINDOW,
        "remote_ip": FOREIGN.IP4,
        "user_id": FOREIGN.USER_ID,
        "username": FOREIGN.USERNAME,
        "ua": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "correlation_id": "",
        "meta.user": FOREIGN.USERNAME,
        "meta.project": PROJECT,
        "meta.root_namespace": CUSTOMER,
        "meta.caller_id": "Projects::IssuesController#show",
        "meta.remote_ip": FOREIGN.IP4,
        "meta.feature_category": "team_planning",
        "meta.client_id": f"user/{FOREIGN.USER_ID}",
        "queue_duration_s": 0.0,
        "gitaly_calls": 16,
        "gitaly_duration_s": 0.16,
        "redis_calls": 115,
        "redis_duration_s": 0.13,
        "redis_read_bytes": 1507378,
        "cpu_s": 1.5,
        "db_duration_s": 0.08,
        "view_duration_s": 0.39,
        "duration_s": 0.54,
        "pid": FOREIGN.PID,
        "worker_id": FOREIGN.WORKER,
    }
    line.update(fields)
    line.setdefault("params", _route_params(line["path"]))
    return line


def _route_params(path: object) -> list[dict[str, str]]:
    """The params Rails logs for a project page: namespace_id and project_id from the path."""
    if not isinstance(path, str):
        return []
    full_path = path.strip("/").split("/-/", 1)[0]
    if full_path.startswith("groups/"):
        return [{"key": "group_id", "value": full_path.removeprefix("groups/")}]
    namespace, _, project = full_path.rpartition("/")
    return [{"key": "namespace_id", "value": namespace}, {"key": "project_id", "value": project}]


def without_flat_meta(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("meta.")}


def api(**fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "time": IN_WINDOW,
        "severity": "INFO",
        "duration": 709.08,  # the older millisecond style
        "db": 14.59,
        "view": 694.49,
        "status": 200,
        "method": "GET",
        "path": f"/api/v4/projects/{PROJECT.replace('/', '%2F')}/members",
        "params": [{"key": "per_page", "value": "100"}, {"key": "private_token", "value": "[FILTERED]"}],
        "host": FOREIGN.HOSTNAME,
        "remote_ip": FOREIGN.IP6,
        "ua": "python-gitlab/4.4.0",
        "route": "/api/:version/projects/:id/members",
        "user_id": FOREIGN.USER_ID,
        "username": FOREIGN.USERNAME,
        "queue_duration": 100.31,
        "gitaly_calls": 30,
        "gitaly_duration": 5.36,
        "pid": FOREIGN.PID,
        "worker_id": FOREIGN.WORKER,
        "correlation_id": "",
        "meta.project": PROJECT,
        "meta.root_namespace": CUSTOMER,
        "meta.caller_id": "GET /api/:version/projects/:id/members",
    }
    line.update(fields)
    return line


def audit(**fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "severity": "INFO",
        "time": IN_WINDOW,
        "correlation_id": "",
        "meta.caller_id": "Projects::ProjectMembersController#update",
        "author_id": FOREIGN.USER_ID,
        "author_name": FOREIGN.NAME,
        "entity_id": 31,
        "entity_type": "Group",
        "entity_path": GROUP,
        "target_id": 5202,
        "target_type": "User",
        "target_details": OTHER_CUSTOMER_USER,
        "event_name": "member_updated",
        "custom_message": "Changed access level from Developer to Maintainer",
        "ip_address": FOREIGN.IP4,
        "created_at": IN_WINDOW,
    }
    line.update(fields)
    return line


def sidekiq(**fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "severity": "INFO",
        "time": IN_WINDOW,
        "queue": "default",
        "args": [FOREIGN.USER_ID, "31"],
        "class": "Members::UpdateWorker",
        "retry": 3,
        "queue_namespace": "default",
        "jid": "06aeaa3b0aadacf9981f368e",
        "created_at": IN_WINDOW,
        "enqueued_at": IN_WINDOW,
        "pid": FOREIGN.PID,
        "worker_id": "sidekiq_0",
        "message": "Members::UpdateWorker JID-06aeaa3b0aadacf9981f368e: done: 0.139 sec",
        "job_status": "done",
        "duration": 0.139,  # Sidekiq's `duration` is in seconds
        "completed_at": IN_WINDOW,
        "db_duration_s": 0.0005,
        "gitaly_calls": 0,
        "correlation_id": "",
        "meta.user": FOREIGN.USERNAME,
        "meta.project": PROJECT,
        "meta.root_namespace": CUSTOMER,
        "meta.caller_id": "Projects::ProjectMembersController#update",
    }
    line.update(fields)
    return line


def application(**fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "severity": "INFO",
        "time": IN_WINDOW,
        "correlation_id": "",
        "message": f'User "{FOREIGN.NAME}" ({FOREIGN.EMAIL}) was created',
    }
    line.update(fields)
    return line


@dataclass(frozen=True)
class Scenario:
    """One planted line. `keep_all`: kept by the case without event types; `keep_events`: by the case
    asking for sign_ins and permission_changes."""

    why: str
    entry: dict[str, Any]
    keep_all: bool
    keep_events: bool


def scenarios() -> list[Scenario]:
    """Hand-written lines with their known answers. Each gets correlation id `case-NN`."""
    items = [
        Scenario("scope user's own request on the project", production(
            username=SCOPE_USER, user_id=SCOPE_USER_ID, remote_ip=SCOPE_USER_IP,
            **{"meta.user": SCOPE_USER, "meta.remote_ip": SCOPE_USER_IP, "meta.client_id": f"user/{SCOPE_USER_ID}"},
        ), True, False),
        Scenario("a foreign user on the project in scope", production(
            path=f"/{PROJECT}/-/merge_requests", controller="Projects::MergeRequestsController", action="index",
        ), True, False),
        Scenario("API members list by URL-encoded path, ms duration, IPv6", api(), True, True),
        Scenario("API by numeric id, project under the group in scope", api(
            path="/api/v4/projects/123/repository/files/README.md/raw",
            route="/api/:version/projects/:id/repository/files/:file_path/raw",
            **{"meta.project": f"{GROUP}/svc"},
        ), True, False),
        Scenario("audit member_updated on the group, foreign author and target", audit(), True, True),
        Scenario("audit: password change of the scope user", audit(
            entity_type="User", entity_id=SCOPE_USER_ID, entity_path=SCOPE_USER, target_type="User",
            target_id=SCOPE_USER_ID, target_details=SCOPE_USER, event_name="user_password_updated",
            author_id=SCOPE_USER_ID, author_name="Bob Acme", ip_address=SCOPE_USER_IP,
            custom_message="Password updated",
        ), True, True),
        Scenario("sidekiq job for the project, caused by a member change", sidekiq(), True, True),
        Scenario("application event with meta, free-text email, token and URL credentials", application(
            message=(
                f'User "{FOREIGN.NAME}" ({FOREIGN.EMAIL}) cloned https://oauth2:{SECRETS.URL_PASSWORD}@gitlab.com/'
                f"{PROJECT}.git with {SECRETS.PAT}; Authorization: Bearer {SECRETS.BEARER} jwt {SECRETS.JWT} "
                f"from {FOREIGN.IP4} via {FOREIGN.INTERNAL_IP}"
            ),
            **{"meta.project": PROJECT, "meta.caller_id": "Projects::RepositoriesController#archive"},
        ), True, False),
        Scenario("scope user visits another customer's project", production(
            path=f"/{FOREIGN.OTHER_PROJECT}/-/issues", username=SCOPE_USER, user_id=SCOPE_USER_ID,
            remote_ip=SCOPE_USER_IP, params=[
                {"key": "namespace_id", "value": FOREIGN.OTHER_NAMESPACE}, {"key": "project_id", "value": "secret-plans"}
            ], **{"meta.user": SCOPE_USER, "meta.project": FOREIGN.OTHER_PROJECT,
                  "meta.root_namespace": FOREIGN.OTHER_NAMESPACE, "meta.remote_ip": SCOPE_USER_IP,
                  "meta.client_id": f"user/{SCOPE_USER_ID}"},
        ), False, False),
        Scenario("failed sign-in attempt for the scope user, by a foreign IP, with a form password", production(
            method="POST", path="/users/sign_in", controller="SessionsController", action="create", status=302,
            username=None, user_id=None, remote_ip=FOREIGN.IP6, params=[
                {"key": "user[login]", "value": SCOPE_USER}, {"key": "user[password]", "value": "[FILTERED]"},
                {"key": "password_confirmation", "value": SECRETS.FORM_PASSWORD},
                {"key": "authenticity_token", "value": "[FILTERED]"},
            ], **{"meta.user": None, "meta.project": None, "meta.root_namespace": None,
                  "meta.remote_ip": FOREIGN.IP6, "meta.caller_id": "SessionsController#create"},
        ), True, True),
        Scenario("nested meta, backtrace and a hostname", {
            **without_flat_meta(production(path=f"/{GROUP}/svc/-/pipelines", controller="Projects::PipelinesController",
                         status=500, **{"exception.class": "NameError", "exception.message": FOREIGN.HOSTNAME,
                                        "exception.backtrace": [FOREIGN.BACKTRACE], "gitaly_address": FOREIGN.GITALY})),
            "meta": {"user": FOREIGN.USERNAME, "project": f"{GROUP}/svc", "remote_ip": FOREIGN.IP4},
        }, True, False),
        Scenario("internal address as remote_ip", api(remote_ip=FOREIGN.INTERNAL_IP), True, True),
        Scenario("group page under /groups/", production(
            path=f"/groups/{GROUP}/-/group_members", controller="Groups::GroupMembersController", action="index",
            **{"meta.project": None, "meta.root_namespace": CUSTOMER},
        ), True, True),
        # -- never kept ------------------------------------------------------------------------------------
        Scenario("a project whose path merely starts like the one in scope", production(
            path=f"/{PROJECT}-old/-/issues", **{"meta.project": f"{PROJECT}-old"}), False, False),
        Scenario("one second before the window", production(time="2026-10-31T23:59:59.999Z"), False, False),
        Scenario("at the window's end (exclusive)", production(time="2026-11-08T00:00:00.000Z"), False, False),
        Scenario("the customer's namespace, outside the named scope", production(
            path=f"/{CUSTOMER}/website/-/issues", **{"meta.project": f"{CUSTOMER}/website"}), False, False),
        Scenario("another customer entirely", production(
            path=f"/{FOREIGN.OTHER_PROJECT}/-/issues",
            **{"meta.project": FOREIGN.OTHER_PROJECT, "meta.root_namespace": FOREIGN.OTHER_NAMESPACE},
        ), False, False),
        Scenario("scope strings in a line of no known kind", {"time": IN_WINDOW, "note": PROJECT}, False, False),
        Scenario("an audit event that names the project only in free text", audit(
            entity_type="Project", entity_path="globex-industries/tools",
            target_type="Project", target_details="globex-industries/tools", event_name="project_created",
            custom_message=f"forked from {PROJECT}",
        ), False, False),
    ]  # fmt: skip
    out = []
    for number, item in enumerate(items, start=1):
        entry = {k: v for k, v in item.entry.items() if v is not None}
        entry["correlation_id"] = f"case-{number:02d}"
        out.append(Scenario(item.why, entry, item.keep_all, item.keep_events))
    return out


GARBAGE_LINES = [
    b"this is not json, though it names acme-corp/api",
    b'["a list", "acme-corp/api"]',
    b'{"path": "/acme-corp/api/-/issues", "time": ',  # cut mid-way
    b"\xff\xfe\x00 binary acme-corp/api \x00",
    b"",
    b"   ",
    b"garbage without any scope string",
]
# Garbage lines the pre-filter passes (they name the scope), so they are parsed and counted malformed.
GARBAGE_CANDIDATES = 4
TRUNCATED_LAST_LINE = b'{"method":"GET","path":"/acme-corp/api/-/issues/9","time":"2026-11-03T10:15'


def noise(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Other customers' traffic: none of it concerns the case."""
    rng = random.Random(seed)
    for n in range(count):
        namespace = f"tenant-{rng.randrange(10_000)}"
        project = f"{namespace}/repo-{rng.randrange(100)}"
        user = f"someone-{rng.randrange(100_000)}"
        kind = n % 4
        if kind == 0:
            yield production(path=f"/{project}/-/issues/{n}", username=user, user_id=n,
                             **{"meta.user": user, "meta.project": project, "meta.root_namespace": namespace,
                                "correlation_id": f"noise-{n}"})  # fmt: skip
        elif kind == 1:
            yield api(path=f"/api/v4/projects/{project.replace('/', '%2F')}/members", username=user,
                      **{"meta.project": project, "meta.root_namespace": namespace, "correlation_id": f"noise-{n}"})  # fmt: skip
        elif kind == 2:
            yield audit(entity_path=project, entity_type="Project", target_details=project,
                        target_type="Project", correlation_id=f"noise-{n}")  # fmt: skip
        else:
            yield sidekiq(**{"meta.project": project, "meta.user": user, "meta.root_namespace": namespace,
                             "correlation_id": f"noise-{n}"})  # fmt: skip


def encode(entries: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for entry in entries:
        yield orjson.dumps(entry)


def write_log(
    path: Path, lines: Iterable[bytes], *, compress: bool = False, trailing: bytes | None = b"\n"
) -> Path:
    """Lines joined by newlines; `trailing=None` leaves the last line without one (a truncated file)."""
    data = b"\n".join(lines) + (trailing or b"")
    if compress:
        path.write_bytes(gzip.compress(data, compresslevel=5))
    else:
        path.write_bytes(data)
    return path


def interleave(scenario_lines: list[bytes], noise_lines: list[bytes], seed: int = 3) -> list[bytes]:
    """Scenario lines scattered among the noise at random places, their own order kept."""
    rng = random.Random(seed)
    positions = sorted(rng.sample(range(len(noise_lines) + len(scenario_lines)), len(scenario_lines)))
    out: list[bytes] = []
    noise_iter, scenario_iter = iter(noise_lines), iter(scenario_lines)
    position_set = set(positions)
    for index in range(len(noise_lines) + len(scenario_lines)):
        out.append(next(scenario_iter) if index in position_set else next(noise_iter))
    return out


def request_data(**overrides: Any) -> dict[str, Any]:
    """A request file's content for the planted case."""
    data: dict[str, Any] = {
        "customer_namespace": CUSTOMER,
        "requester_username": REQUESTER,
        "window": {"start": WINDOW[0], "end": WINDOW[1]},
        "resources": {"projects": [PROJECT], "groups": [GROUP], "users": [SCOPE_USER]},
        "event_types": [],
        "personal_data": True,
        "log_sources": ["application"],
        "paid_plan_confirmed": True,
        "description": "synthetic case",
    }
    data.update(overrides)
    return data
