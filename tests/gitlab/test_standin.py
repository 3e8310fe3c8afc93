"""The GitLab stand-in is as strict as GitLab where Logdive depends on it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import gitlab
import pytest
import requests

from bot.sandbox.gitlab import DEVELOPER, GUEST, OWNER, REPORTER, GitLabStandIn
from tests.gitlab.conftest import Acme

ROOT = Path(__file__).resolve().parents[2]


def get(
    standin: GitLabStandIn, path: str, token: str | None = "default", **headers: str
) -> requests.Response:
    if token:
        headers.setdefault("PRIVATE-TOKEN", standin.token if token == "default" else token)
    return requests.get(f"{standin.api_url}{path}", headers=headers, timeout=5)


# --- ids, paths and authentication -------------------------------------------------------------


def test_a_full_path_id_must_be_url_encoded(acme: Acme) -> None:
    encoded = get(acme.standin, "/projects/acme-corp%2Fplatform%2Fbackend%2Fapi-gateway")
    assert encoded.status_code == 200
    assert encoded.json()["path_with_namespace"] == "acme-corp/platform/backend/api-gateway"
    assert encoded.json()["namespace"]["full_path"] == "acme-corp/platform/backend"

    bare = get(acme.standin, "/projects/acme-corp/api")
    assert (bare.status_code, bare.json()) == (404, {"error": "404 Not Found"})
    assert get(acme.standin, "/groups/acme-corp/platform").status_code == 404
    assert get(acme.standin, f"/projects/{acme.api.id}").json()["path_with_namespace"] == "acme-corp/api"


def test_every_api_route_wants_a_valid_token(acme: Acme) -> None:
    missing = get(acme.standin, "/namespaces/acme-corp", token=None)
    assert (missing.status_code, missing.json()) == (401, {"message": "401 Unauthorized"})
    assert get(acme.standin, "/namespaces/acme-corp", token="glpat-wrong").status_code == 401
    bearer = get(
        acme.standin, "/namespaces/acme-corp", token=None, Authorization=f"Bearer {acme.standin.token}"
    )
    assert bearer.status_code == 200

    with pytest.raises(gitlab.GitlabAuthenticationError):
        acme.standin.gitlab(private_token="glpat-wrong").namespaces.get("acme-corp")


def test_a_blocked_users_token_is_refused(acme: Acme) -> None:
    acme.standin.state.add_token("bobs-token", acme.bob)
    assert get(acme.standin, "/user", token="bobs-token").json()["username"] == "bob-acme"
    acme.bob.state = "blocked"
    assert get(acme.standin, "/user", token="bobs-token").status_code == 401


def test_not_found_answers_are_worded_as_gitlab_words_them(acme: Acme) -> None:
    standin = acme.standin
    assert get(standin, "/namespaces/nobody").json() == {"message": "404 Namespace Not Found"}
    assert get(standin, "/groups/nobody").json() == {"message": "404 Group Not Found"}
    assert get(standin, "/projects/acme-corp%2Fnope").json() == {"message": "404 Project Not Found"}
    assert get(standin, "/users/9999").json() == {"message": "404 User Not Found"}
    # a personal namespace is a namespace, not a group
    assert get(standin, "/namespaces/alice-acme").json()["kind"] == "user"
    assert get(standin, "/groups/alice-acme").status_code == 404
    not_member = get(standin, f"/groups/acme-corp/members/all/{acme.erin.id}")
    assert (not_member.status_code, not_member.json()) == (404, {"message": "404 Not found"})
    assert get(standin, "/groups/acme-corp/members/all/erin").json() == {"error": "user_id is invalid"}


def test_a_token_sees_only_what_its_user_may_read(acme: Acme) -> None:
    acme.standin.state.add_token("bobs-token", acme.bob)
    assert get(acme.standin, "/namespaces/acme-corp", token="bobs-token").status_code == 200
    assert get(acme.standin, "/projects/acme-corp%2Fplatform%2Fbackend%2Fapi-gateway", token="bobs-token").ok
    hidden = get(acme.standin, "/groups/other-corp", token="bobs-token")
    assert (hidden.status_code, hidden.json()) == (404, {"message": "404 Group Not Found"})


def test_namespaces_carry_the_subscription_facts(acme: Acme) -> None:
    body = get(acme.standin, "/namespaces/ACME-CORP").json()
    assert body["full_path"] == "acme-corp"
    assert (body["kind"], body["parent_id"], body["plan"]) == ("group", None, "ultimate")
    assert (body["end_date"], body["trial"], body["trial_ends_on"]) == ("2027-12-31", False, None)
    sub = get(acme.standin, "/namespaces/acme-corp%2Fplatform").json()
    assert (sub["parent_id"], sub["plan"]) == (acme.acme.id, "ultimate")  # a subgroup shows its top's plan


def test_a_renamed_project_keeps_answering_at_its_old_path(acme: Acme) -> None:
    acme.standin.state.rename_project(acme.api, "public-api")
    body = get(acme.standin, "/projects/acme-corp%2Fapi").json()
    assert body["path_with_namespace"] == "acme-corp/public-api"


# --- pagination --------------------------------------------------------------------------------


def test_per_page_is_capped_at_100_with_gitlabs_headers(acme: Acme) -> None:
    state = acme.standin.state
    for i in range(148):  # with alice and bob: 150 members
        state.add_member(acme.acme, state.add_user(f"member-{i:03}"), REPORTER)
    first = get(acme.standin, "/groups/acme-corp/members/all?per_page=500")
    assert len(first.json()) == 100
    headers = first.headers
    assert (headers["X-Per-Page"], headers["X-Page"], headers["X-Next-Page"], headers["X-Prev-Page"]) == (
        "100",
        "1",
        "2",
        "",
    )
    assert (headers["X-Total"], headers["X-Total-Pages"]) == ("150", "2")
    assert first.links["next"]["url"].endswith(
        "/api/v4/groups/acme-corp/members/all?id=acme-corp&page=2&per_page=100"
    )
    assert first.links["last"]["url"] == first.links["next"]["url"]
    assert "page=1&" in first.links["first"]["url"]

    last = requests.get(first.links["next"]["url"], headers={"PRIVATE-TOKEN": acme.standin.token}, timeout=5)
    assert len(last.json()) == 50
    assert (last.headers["X-Page"], last.headers["X-Next-Page"], last.headers["X-Prev-Page"]) == (
        "2",
        "",
        "1",
    )
    assert set(last.links) == {"prev", "first", "last"}
    ids = [m["id"] for m in first.json() + last.json()]
    assert len(set(ids)) == 150


def test_defaults_and_an_empty_list(acme: Acme) -> None:
    twenty = get(acme.standin, "/users")
    assert (twenty.headers["X-Per-Page"], twenty.headers["X-Total"]) == ("20", "6")
    nobody = get(acme.standin, "/users?username=nobody")
    assert nobody.json() == []
    assert (nobody.headers["X-Total"], nobody.headers["X-Total-Pages"], nobody.headers["X-Next-Page"]) == (
        "0",
        "1",
        "",
    )
    assert get(acme.standin, "/users?page=x").json() == {"error": "page is invalid"}


def test_python_gitlab_follows_the_pages_of_inherited_members(acme: Acme) -> None:
    standin = acme.standin
    for i in range(248):  # with alice and bob: 250 members of acme-corp, inherited by its subgroups
        standin.state.add_member(acme.acme, standin.state.add_user(f"member-{i:03}"), GUEST)
    subgroup = standin.gitlab().groups.get("acme-corp/platform/backend", lazy=True)
    standin.clear_requests()

    members = subgroup.members_all.list(get_all=True, per_page=100)

    assert len({m.id for m in members}) == 251  # 250 inherited from acme-corp, carol from platform
    pages = [
        r.arg("page") for r in standin.requests_to(r"/groups/acme-corp%2Fplatform%2Fbackend/members/all$")
    ]
    assert pages == [None, "2", "3"]

    lazily = subgroup.members_all.list(iterator=True)  # per_page 20: 13 pages, fetched as iterated
    assert lazily.total == 251 and lazily.total_pages == 13
    assert sum(1 for _ in lazily) == 251


# --- members/all: what "inherited" means --------------------------------------------------------


def test_members_all_adds_ancestors_members_never_descendants(acme: Acme) -> None:
    def members(path: str, which: str = "members/all") -> dict[str, int]:
        return {m["username"]: m["access_level"] for m in get(acme.standin, f"/groups/{path}/{which}").json()}

    assert members("acme-corp%2Fplatform%2Fbackend") == {"alice-acme": 50, "bob-acme": 30, "carol-acme": 40}
    assert members("acme-corp%2Fplatform%2Fbackend", "members") == {}  # direct members only
    assert members("acme-corp") == {"alice-acme": 50, "bob-acme": 30}  # carol is only in a subgroup
    assert get(acme.standin, f"/groups/acme-corp/members/all/{acme.carol.id}").status_code == 404
    project = get(acme.standin, "/projects/acme-corp%2Fplatform%2Fbackend%2Fapi-gateway/members/all").json()
    assert {m["username"] for m in project} == {"alice-acme", "bob-acme", "carol-acme"}


def test_members_all_shows_the_highest_access_level(acme: Acme) -> None:
    state = acme.standin.state
    state.add_member(acme.platform, acme.bob, OWNER)  # Developer above, Owner here
    state.add_member(acme.platform, acme.alice, GUEST)  # Owner above, Guest here
    levels = {
        m["username"]: m["access_level"]
        for m in get(acme.standin, "/groups/acme-corp%2Fplatform/members/all").json()
    }
    assert levels == {"alice-acme": OWNER, "bob-acme": OWNER, "carol-acme": 40}
    assert (
        get(acme.standin, f"/groups/acme-corp/members/all/{acme.bob.id}").json()["access_level"] == DEVELOPER
    )


def test_user_ids_filter_takes_gitlabs_two_array_forms(acme: Acme) -> None:
    a, b, c = acme.alice.id, acme.bob.id, acme.carol.id

    def ids(query: str) -> list[int]:
        return [m["id"] for m in get(acme.standin, f"/groups/acme-corp/members/all?{query}").json()]

    assert ids(f"user_ids={a},{b},{c}") == [a, b]
    assert ids(f"user_ids[]={a}&user_ids[]={b}") == [a, b]
    assert ids(f"user_ids={a}&user_ids={b}") == [b]  # a key repeated without [] keeps its last value (Rack)
    assert get(acme.standin, "/groups/acme-corp/members/all?user_ids=x").status_code == 400


def test_users_are_found_by_username_without_regard_to_case(acme: Acme) -> None:
    found = acme.standin.gitlab().users.list(username="Bob-ACME", get_all=True)
    assert [u.username for u in found] == ["bob-acme"]


# --- faults and the request log ----------------------------------------------------------------


def test_rate_limit_answers_like_gitlabs_throttle(acme: Acme) -> None:
    acme.standin.rate_limit_next(retry_after=7, path="/namespaces/")
    throttled = get(acme.standin, "/namespaces/acme-corp")
    assert (throttled.status_code, throttled.text) == (429, "Retry later\n")
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.headers["RateLimit-Remaining"] == "0"
    assert int(throttled.headers["RateLimit-Reset"]) >= int(time.time()) + 6
    assert get(acme.standin, "/namespaces/acme-corp").status_code == 200  # only the next one


def test_faults_match_their_path_and_count_down(acme: Acme) -> None:
    acme.standin.fail_next(2, status=502, path="members/all")
    assert get(acme.standin, "/namespaces/acme-corp").status_code == 200
    assert [get(acme.standin, "/groups/acme-corp/members/all").status_code for _ in range(3)] == [
        502,
        502,
        200,
    ]
    acme.standin.fail_always(status=500)
    assert get(acme.standin, "/user").json() == {"message": "500 Internal Server Error"}
    acme.standin.clear_faults()
    assert get(acme.standin, "/user").ok


def test_delay_and_lost_answers(acme: Acme) -> None:
    standin = acme.standin
    standin.delay_next(seconds=0.3, path="/user$")
    started = time.monotonic()
    assert get(standin, "/user").ok
    assert time.monotonic() - started >= 0.3

    standin.disconnect_next(after_processing=True)
    with pytest.raises(requests.ConnectionError):
        get(standin, "/namespaces/acme-corp")
    lost = standin.requests[-1]
    assert (lost.path, lost.status, lost.fault) == ("/api/v4/namespaces/acme-corp", None, "disconnect-after")


def test_the_request_log_keeps_method_path_query_and_headers(acme: Acme) -> None:
    acme.standin.gitlab().users.list(username="erin", get_all=True)
    (logged,) = acme.standin.requests_to("/users$")
    assert (logged.method, logged.arg("username"), logged.status) == ("GET", "erin", 200)
    assert logged.headers["private-token"] == acme.standin.token
    assert logged.headers["user-agent"].startswith("python-gitlab/")


def test_the_stand_in_runs_as_its_own_process(tmp_path: Path) -> None:
    seed = {
        "users": [{"username": "alice-acme"}],
        "groups": [{"full_path": "acme-corp", "plan": "premium", "end_date": "2027-01-31"}],
        "projects": [{"full_path": "acme-corp/api"}],
        "members": [{"source": "acme-corp", "username": "alice-acme", "access_level": 50}],
        "tokens": [{"token": "alices-token", "username": "alice-acme"}],
    }
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.gitlab", "--port", "0", "--seed", str(tmp_path / "seed.json")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        gl = gitlab.Gitlab(url, private_token="alices-token")
        assert gl.namespaces.get("acme-corp").end_date == "2027-01-31"
        members = gl.groups.get("acme-corp", lazy=True).members_all.list(get_all=True)
        assert [(m.username, m.access_level) for m in members] == [("alice-acme", 50)]

        control = f"{url}/-/standin"
        requests.post(f"{control}/faults", json={"status": 503, "path": "/projects/"}, timeout=5)
        assert (
            requests.get(
                f"{url}/api/v4/projects/1", headers={"PRIVATE-TOKEN": "alices-token"}, timeout=5
            ).status_code
            == 503
        )
        logged = requests.get(f"{control}/requests", timeout=5).json()
        assert [(r["path"], r["status"]) for r in logged][-1] == ("/api/v4/projects/1", 503)
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
