"""`resource_access`: "who accessed our project, from where?" — every web and API request about the scope
and the Git operations on it; Support's summary answers it per project path as GitLab Support does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.extract.outputs import build_support_summary
from tests.extract import synthetic
from tests.extract.conftest import Extract, make_request, make_spec
from workflows.assessment import Route
from workflows.catalog import Catalog
from workflows.log_kinds import detect_kind
from workflows.log_selection import ExtractScope, Reject, Selection


def test_the_category_is_in_the_shipped_catalog_with_a_title(catalog: Catalog) -> None:
    category = catalog.categories["resource_access"]
    assert category.title.startswith("Who accessed")
    assert catalog.covers_every_request(["resource_access"], "web")
    assert catalog.covers_every_request(["resource_access"], "api")
    assert not catalog.covers_every_request(["sign_ins"], "web")
    assert "repository_git_operation" in catalog.audit_types_for(["resource_access"])


def test_it_takes_every_request_about_the_scope_and_git_operations(catalog: Catalog) -> None:
    selection = Selection(ExtractScope.from_request(make_request(event_types=["resource_access"]), catalog))
    wanted = {
        "an issue page": (synthetic.production(), True),
        "a merge request list": (synthetic.production(controller="Projects::MergeRequestsController"), True),
        "an API call": (synthetic.api(route="/api/:version/projects/:id/issues"), True),
        "a git clone's audit event": (
            synthetic.audit(
                event_name="repository_git_operation",
                entity_type="Project",
                entity_path=synthetic.PROJECT,
                target_type="Project",
                target_details=synthetic.PROJECT,
            ),
            True,
        ),
        "a membership change": (synthetic.audit(event_name="member_updated"), False),
        "a Sidekiq job": (synthetic.sidekiq(**{"meta.caller_id": "Members::UpdateWorker"}), False),
    }
    for name, (entry, kept) in wanted.items():
        verdict = selection.verdict(entry, detect_kind(entry))
        assert verdict is (None if kept else Reject.OTHER_EVENT_TYPE), name
        if kept:
            assert selection.event_labels(entry, detect_kind(entry)) == ("resource_access",), name


def test_an_audit_event_name_alone_finds_no_request(catalog: Catalog) -> None:
    selection = Selection(
        ExtractScope.from_request(make_request(event_types=["repository_git_operation"]), catalog)
    )
    entry = synthetic.production(path=f"/{synthetic.PROJECT}.git/info/refs")
    assert selection.verdict(entry, detect_kind(entry)) is Reject.OTHER_EVENT_TYPE


def test_support_summary_answers_per_project_path(catalog: Catalog, tmp_path: Path, extract: Extract) -> None:
    def hit(project: str, user: str, address: str, at: str) -> dict:
        return synthetic.production(
            path=f"/{project}/-/issues", username=user, remote_ip=address, time=at,
            **{"meta.project": project, "meta.user": user, "meta.remote_ip": address},
        )  # fmt: skip

    lines = [
        hit(synthetic.PROJECT, "u1", "81.2.69.1", "2026-11-02T10:00:00Z"),
        hit(synthetic.PROJECT, "u1", "81.2.69.1", "2026-11-02T11:00:00Z"),
        hit(synthetic.PROJECT, "u2", "81.2.69.2", "2026-11-05T09:30:00Z"),
        hit(f"{synthetic.GROUP}/svc", "u3", "81.2.69.3", "2026-11-04T08:00:00Z"),
        synthetic.api(time="2026-11-06T00:00:00Z", username="u4", remote_ip="81.2.69.4"),
    ]
    log = synthetic.write_log(tmp_path / "log.json", list(synthetic.encode(lines)))
    request = make_request(event_types=["resource_access"], personal_data=False)
    result, _, _ = extract([log], make_spec(catalog, request, Route.SUPPORT))
    summary = build_support_summary("LD-8", request, Route.SUPPORT, result, datetime(2026, 11, 9)).summary
    api = summary.by_project_path[synthetic.PROJECT]
    assert (api.entries, api.distinct_users, api.unique_ips) == (4, 3, 3)
    assert api.first is not None and api.first.isoformat() == "2026-11-02T10:00:00+00:00"
    assert api.last is not None and api.last.isoformat() == "2026-11-06T00:00:00+00:00"
    svc = summary.by_project_path[f"{synthetic.GROUP}/svc"]
    assert (svc.entries, svc.distinct_users, svc.unique_ips) == (1, 1, 1)
    text = summary.model_dump_json()
    assert "81.2.69." not in text and '"u1"' not in text  # counts only
