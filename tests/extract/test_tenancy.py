"""Nothing from another tenant, ever: a user in scope acting in another customer's namespace is dropped,
whatever the spelling of what they acted on (paths, URL-encoded or numeric API ids, audit entities,
gl_repository), and free text never carries another tenant's name out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.extract import synthetic
from tests.extract.conftest import Extract, make_request, make_spec
from workflows.catalog import Catalog
from workflows.log_kinds import detect_kind, flatten
from workflows.log_selection import ExtractScope, Reject, Selection
from workflows.tenancy import KnownIds, Tenancy, TenancyRule

BOB, BOB_ID = synthetic.SCOPE_USER, synthetic.SCOPE_USER_ID
BETA = "beta-inc/secret-merger-2027"
BETA_ID, ACME_SVC_ID, ACME_GROUP_ID = 9001, 123, 31
KNOWN = KnownIds(
    users={BOB: BOB_ID},
    projects={ACME_SVC_ID: "acme-corp/platform/svc", 77: "acme-corp/api"},
    namespaces={ACME_GROUP_ID: "acme-corp/platform", 5: "acme-corp"},
)


def _by_bob(builder: Any = synthetic.production, **fields: Any) -> dict[str, Any]:
    base = {"username": BOB, "user_id": BOB_ID, "meta.user": BOB, "meta.project": None}
    base.update(fields)
    return {k: v for k, v in builder(**base).items() if v is not None}


# fmt: off
# Each: a line by the user in scope, and whether it may be kept (None) or why it is dropped.
PLANTED = {
    "web page of another tenant's project": (
        _by_bob(path=f"/{BETA}/-/issues", **{"meta.root_namespace": "beta-inc"}),
        Reject.OTHER_TENANT,
    ),
    "API by URL-encoded foreign path": (
        _by_bob(
            synthetic.api,
            path=f"/api/v4/projects/{BETA.replace('/', '%2F')}/members",
            **{"meta.root_namespace": None},
        ),
        Reject.OTHER_TENANT,
    ),
    "API by a numeric id GitLab did not resolve": (
        _by_bob(
            synthetic.api,
            path=f"/api/v4/projects/{BETA_ID}/repository/files/x/raw",
            **{"meta.root_namespace": None},
        ),
        Reject.UNRESOLVED_ID,
    ),
    "API by the numeric id of a project in scope": (
        _by_bob(
            synthetic.api,
            path=f"/api/v4/projects/{ACME_SVC_ID}/repository/files/x/raw",
            **{"meta.root_namespace": None},
        ),
        None,
    ),
    "API by numeric group id in scope, lower-case encoded": (
        _by_bob(
            synthetic.api, path=f"/api/v4/groups/{ACME_GROUP_ID}/members", **{"meta.root_namespace": None}
        ),
        None,
    ),
    "audit: project created in another tenant, custom message names it": (
        _by_bob(
            synthetic.audit,
            author_id=BOB_ID,
            entity_type="Project",
            entity_path=BETA,
            target_type="Project",
            target_details=BETA,
            event_name="project_created",
            custom_message=f"Created project {BETA} for carol",
        ),
        Reject.OTHER_TENANT,
    ),
    "audit: project entity given by id only, not resolved": (
        _by_bob(
            synthetic.audit,
            author_id=BOB_ID,
            entity_type="Project",
            entity_path=None,
            entity_id=BETA_ID,
            target_type="Project",
            target_details=None,
            target_id=BETA_ID,
        ),
        Reject.UNRESOLVED_ID,
    ),
    "git over SSH into another tenant (gl_repository)": (
        _by_bob(
            synthetic.api,
            path="/api/v4/internal/allowed",
            route="/api/:version/internal/allowed",
            params=[{"key": "gl_repository", "value": f"project-{BETA_ID}"}],
            **{"meta.root_namespace": None},
        ),
        Reject.UNRESOLVED_ID,
    ),
    "git over SSH into a project in scope (gl_repository)": (
        _by_bob(
            synthetic.api,
            path="/api/v4/internal/allowed",
            route="/api/:version/internal/allowed",
            params=[{"key": "gl_repository", "value": f"project-{ACME_SVC_ID}"}],
            **{"meta.root_namespace": None},
        ),
        None,
    ),
    "foreign namespace shaped like a pseudonym": (
        _by_bob(path="/ns-deadbeef/x/-/issues", **{"meta.root_namespace": "ns-deadbeef"}),
        Reject.OTHER_TENANT,
    ),
    "project in scope, but the root namespace logged is another tenant's": (
        _by_bob(path="/acme-corp/api/-/issues", **{"meta.root_namespace": "beta-inc"}),
        Reject.OTHER_TENANT,
    ),
    # acts on the customer's project; where it went stays only as a pseudonym
    "fork of a project in scope into another tenant (web params)": (
        _by_bob(
            path="/acme-corp/api/-/forks",
            method="POST",
            controller="Projects::ForksController",
            params=[{"key": "namespace_path", "value": "beta-inc"}],
            **{"meta.root_namespace": "acme-corp"},
        ),
        None,
    ),
    "project in scope shared with another tenant's group (audit)": (
        _by_bob(
            synthetic.audit,
            author_id=BOB_ID,
            entity_type="Project",
            entity_path="acme-corp/api",
            entity_id=77,
            target_type="Group",
            target_details="beta-inc",
            target_id=BETA_ID,
            event_name="project_group_link_created",
        ),
        None,
    ),
    "another tenant's project forked into the customer's namespace": (
        _by_bob(
            path=f"/{BETA}/-/forks",
            method="POST",
            controller="Projects::ForksController",
            params=[{"key": "namespace_path", "value": "acme-corp"}],
            **{"meta.root_namespace": "beta-inc"},
        ),
        Reject.OTHER_TENANT,
    ),
    "the user's own sign-in: user-level, no namespace": (
        _by_bob(
            path="/users/sign_in", controller="SessionsController", **{"meta.root_namespace": None}, params=[]
        ),
        None,
    ),
    "the user's own request in the customer's namespace": (
        _by_bob(path="/acme-corp/website/-/issues", **{"meta.root_namespace": "acme-corp"}, params=[]),
        None,
    ),
}
# fmt: on


@pytest.fixture
def selection(catalog: Catalog) -> Selection:
    return Selection(ExtractScope.from_request(make_request(), catalog, KNOWN))


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_entries_of_users_in_scope_are_kept_only_inside_the_customers_namespace(
    selection: Selection, name: str
) -> None:
    entry, expected = PLANTED[name]
    entry = flatten(entry)
    assert selection.verdict(entry, detect_kind(entry)) is expected


def test_prefilter_finds_lines_by_the_numeric_id_of_a_project_in_scope(catalog: Catalog) -> None:
    # no user in scope, so only the id can find the line
    scope = ExtractScope.from_request(
        make_request(resources={"projects": ["123"]}),
        catalog,
        KNOWN.model_copy(update={"paths": {"123": "acme-corp/platform/svc"}}),
    )
    assert scope.paths == ("acme-corp/platform/svc",)
    selection = Selection(scope)
    line = b'{"path":"/api/v4/projects/123/repository/files/x/raw","x":1}'
    assert any(search(line, 0, len(line)) for search in selection.searches)
    other = b'{"path":"/api/v4/projects/1234/repository/files/x/raw","x":1}'
    assert not any(search(other, 0, len(other)) for search in selection.searches)


def test_a_numeric_project_id_gitlab_did_not_resolve_is_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="numeric id"):
        ExtractScope.from_request(make_request(resources={"projects": ["123"]}), catalog)


def test_tenancy_of_paths_is_told_segment_by_segment() -> None:
    rule = TenancyRule("acme-corp", KnownIds())
    own = rule.targets({"meta.project": "ACME-CORP/api"})
    lookalike = rule.targets({"meta.project": "acme-corp-evil/api"})
    assert rule.tenancy(own) is Tenancy.OWN and rule.tenancy(lookalike) is Tenancy.FOREIGN
    assert rule.tenancy(rule.targets({"path": "/users/sign_in"})) is Tenancy.NONE


def test_an_extract_holds_nothing_of_the_planted_foreign_tenant(
    catalog: Catalog, tmp_path: Path, extract: Extract
) -> None:
    lines = list(synthetic.encode(entry for entry, _ in PLANTED.values()))
    log = synthetic.write_log(tmp_path / "production_json.log", lines)
    result, entries, out = extract([log], make_spec(catalog, make_request(), known=KNOWN))
    kept = sum(1 for _, expected in PLANTED.values() if expected is None)
    assert result.kept == len(entries) == kept
    assert out is not None
    text = out.read_text()
    for planted in ("beta-inc", "secret-merger", str(BETA_ID), "ns-deadbeef", "Created project"):
        assert planted not in text
    assert result.rejected["other_tenant"] == 6 and result.rejected["unresolved_id"] == 3
    shared = next(e for e in entries if e.get("event_name") == "project_group_link_created")
    assert shared["target_details"].startswith("ns-") and str(shared["target_id"]).startswith("ns-")
