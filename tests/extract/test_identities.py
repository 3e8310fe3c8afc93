"""The customer's own people are named when personal data was asked: their GitLab ids come from GitLab
(python-gitlab against the stand-in) when the extract starts, never from a typed flag; projects named by
their numeric id are selected by the path GitLab gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.extract import register
from bot.extract import identities
from bot.extract.identities import ResolutionFailed, resolve_known_ids
from bot.sandbox.gitlab.server import GitLabStandIn
from tests.extract import synthetic
from tests.extract.conftest import make_request


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    identities._cache.clear()


def _ids(gitlab: GitLabStandIn) -> dict[str, int]:
    state = gitlab.state
    return {
        "alice": state.user_by_username(synthetic.REQUESTER).id,  # type: ignore[union-attr]
        "bob": state.user_by_username(synthetic.SCOPE_USER).id,  # type: ignore[union-attr]
        "api": state.project_by_full_path(synthetic.PROJECT).id,  # type: ignore[union-attr]
        "svc": state.project_by_full_path(f"{synthetic.GROUP}/svc").id,  # type: ignore[union-attr]
        "platform": state.namespace_by_full_path(synthetic.GROUP).id,  # type: ignore[union-attr]
        "acme": state.namespace_by_full_path(synthetic.CUSTOMER).id,  # type: ignore[union-attr]
        "beta": state.project_by_full_path("beta-inc/secret-merger-2027").id,  # type: ignore[union-attr]
    }


def test_people_namespace_projects_and_groups_are_resolved_and_cached(gitlab: GitLabStandIn) -> None:
    ids = _ids(gitlab)
    request = make_request(resources={"projects": [str(ids["api"])], "groups": ["ACME-CORP/Platform"],
                                      "users": [synthetic.SCOPE_USER, "nobody-here"]})  # fmt: skip
    known = resolve_known_ids(gitlab.gitlab(), request)
    assert known.users == {synthetic.REQUESTER: ids["alice"], synthetic.SCOPE_USER: ids["bob"]}
    assert known.projects == {ids["api"]: synthetic.PROJECT}
    assert known.namespaces == {ids["acme"]: synthetic.CUSTOMER, ids["platform"]: synthetic.GROUP}
    assert known.paths == {str(ids["api"]): synthetic.PROJECT, "acme-corp/platform": synthetic.GROUP}

    gitlab.clear_requests()
    assert resolve_known_ids(gitlab.gitlab(), request) == known
    assert gitlab.requests == []  # cached for the life of the process


def test_gitlab_out_of_reach_is_a_clear_failure(gitlab: GitLabStandIn) -> None:
    gitlab.fail_always(status=503)
    with pytest.raises(ResolutionFailed, match=r"GITLAB_URL.*503"):
        resolve_known_ids(gitlab.gitlab(), make_request())


# -- end to end through the command --------------------------------------------------------------------
@pytest.fixture
def extract_cli(gitlab_env: GitLabStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """logdive"""

    register(app)
    monkeypatch.chdir(tmp_path)

    def run(request: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[int, str, list[dict[str, Any]]]:
        (tmp_path / "request.json").write_text(json.dumps(request))
        log = synthetic.write_log(tmp_path / "log.json", list(synthetic.encode(lines)))
        out = tmp_path / "out.jsonl"
        result = CliRunner().invoke(
            app, ["extract", "--request", "request.json", str(log), "--route", "security", "--out", str(out),
                  "--case-id", "LD-5", "-q"],
        )  # fmt: skip
        entries = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
        return result.exit_code, result.output, entries

    return run


def _audit_by(user_id: int, name: str, address: str, correlation: str) -> dict[str, Any]:
    return synthetic.audit(
        author_id=user_id, author_name=name, ip_address=address, entity_type="Group",
        entity_path=synthetic.GROUP, target_type="Group", target_details=synthetic.GROUP,
        event_name="group_saml_member_added", correlation_id=correlation,
    )  # fmt: skip


def test_own_people_are_named_with_personal_data_and_everyone_else_is_a_pseudonym(
    extract_cli: Any, gitlab: GitLabStandIn
) -> None:
    ids = _ids(gitlab)
    lines = [
        _audit_by(ids["alice"], "Alice Acme", "81.2.69.150", "by-requester"),
        _audit_by(ids["bob"], "Bob Acme", "81.2.69.151", "by-scope-user"),
        _audit_by(synthetic.FOREIGN.USER_ID, synthetic.FOREIGN.NAME, synthetic.FOREIGN.IP4, "by-outsider"),
    ]
    code, output, entries = extract_cli(synthetic.request_data(personal_data=True), lines)
    assert code == 0, output
    by = {e["correlation_id"]: e for e in entries}
    assert (by["by-requester"]["author_id"], by["by-requester"]["ip_address"]) == (
        ids["alice"],
        "81.2.69.150",
    )
    assert by["by-requester"]["author_name"] == "Alice Acme"
    assert (by["by-scope-user"]["author_id"], by["by-scope-user"]["ip_address"]) == (
        ids["bob"],
        "81.2.69.151",
    )
    outsider = by["by-outsider"]
    assert outsider["author_id"].startswith("uid-") and outsider["ip_address"].startswith("ip-")

    code, _, entries = extract_cli(synthetic.request_data(personal_data=False), lines)
    assert code == 0
    text = json.dumps(entries)
    assert (
        "Alice Acme" not in text and "81.2.69.150" not in text and f'"author_id": {ids["alice"]}' not in text
    )


def test_a_project_named_by_its_numeric_id_selects_its_path(extract_cli: Any, gitlab: GitLabStandIn) -> None:
    ids = _ids(gitlab)
    lines = [
        synthetic.production(correlation_id="api-page"),  # /acme-corp/api/-/issues/1
        synthetic.api(
            path=f"/api/v4/projects/{ids['api']}/issues",
            correlation_id="api-by-id",
            **{"meta.project": None, "meta.root_namespace": None},
        ),
        synthetic.api(
            path=f"/api/v4/projects/{ids['beta']}/issues",
            correlation_id="beta-by-id",
            **{"meta.project": None, "meta.root_namespace": None},
        ),
    ]
    request = synthetic.request_data(resources={"projects": [str(ids["api"])]})
    code, output, entries = extract_cli(request, lines)
    assert code == 0, output
    assert [e["correlation_id"] for e in entries] == ["api-page", "api-by-id"]


def test_an_unresolvable_numeric_project_id_is_refused(extract_cli: Any) -> None:
    code, output, _ = extract_cli(synthetic.request_data(resources={"projects": ["999999"]}), [])
    assert code == 2 and "999999" in output and "numeric id" in output
