"""Which entries a case concerns: kinds from fields, paths in every spelling, window edges, event types."""

from __future__ import annotations

import orjson
import pytest

from tests.extract import synthetic
from tests.extract.conftest import EVENT_TYPES, make_request
from workflows.catalog import Catalog
from workflows.gitlab_paths import namespace_of_path
from workflows.log_kinds import LogKind, detect_kind, flatten
from workflows.log_selection import (
    ExtractScope,
    Reject,
    Selection,
    event_key,
    prefilter_needles,
)
from workflows.tenancy import KnownIds


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        (synthetic.production(), LogKind.PRODUCTION),
        (synthetic.api(), LogKind.API),
        (synthetic.audit(), LogKind.AUDIT),
        (synthetic.sidekiq(), LogKind.SIDEKIQ),
        (synthetic.application(), LogKind.APPLICATION),
        ({"time": synthetic.IN_WINDOW, "foo": 1}, LogKind.UNKNOWN),
    ],
)
def test_kind_is_told_by_fields(entry: dict, kind: LogKind) -> None:
    assert detect_kind(entry) is kind


def test_nested_meta_is_flattened_and_params_stay() -> None:
    entry = {"meta": {"user": "x", "deep": {"a": 1}}, "params": [{"key": "k", "value": "v"}], "time": "t"}
    assert flatten(entry) == {"meta.user": "x", "meta.deep.a": 1, "params": entry["params"], "time": "t"}
    flat = {"a": 1}
    assert flatten(flat) is flat  # nothing nested: no copy


@pytest.mark.parametrize(
    ("path", "namespace"),
    [
        ("/acme-corp/api/-/issues/1", "acme-corp/api"),
        ("/Acme-Corp/API/-/issues", "acme-corp/api"),
        ("/acme-corp/api.git/info/refs", "acme-corp/api"),
        ("/acme-corp/api.wiki.git/git-upload-pack", "acme-corp/api"),
        ("/groups/acme-corp/platform/-/group_members", "acme-corp/platform"),
        ("/api/v4/projects/acme-corp%2Fapi/members", "acme-corp/api"),
        ("/api/v4/groups/acme-corp%2fplatform/members", "acme-corp/platform"),
        ("/api/v4/projects/123/members", None),
        ("/api/v4/user", None),
        ("/users/sign_in", None),
        ("/-/profile", None),
        ("/acme-corp/api/issues?x=1", "acme-corp/api/issues"),
        (None, None),
    ],
)
def test_namespace_of_path(path: str | None, namespace: str | None) -> None:
    assert namespace_of_path(path) == namespace


@pytest.fixture
def selection(catalog: Catalog) -> Selection:
    return Selection(ExtractScope.from_request(make_request(), catalog))


def test_window_is_half_open(selection: Selection) -> None:
    at = lambda moment: selection.verdict(synthetic.production(time=moment), LogKind.PRODUCTION)  # noqa: E731
    assert at("2026-11-01T00:00:00.000Z") is None
    assert at("2026-11-07T23:59:59.999Z") is None
    assert at("2026-11-08T00:00:00.000Z") is Reject.OUTSIDE_WINDOW
    assert at("2026-10-31T23:59:59.999Z") is Reject.OUTSIDE_WINDOW
    assert at("2026-11-01T01:00:00+02:00") is Reject.OUTSIDE_WINDOW  # 23:00 UTC the day before
    assert at("not a time") is Reject.NO_TIME


@pytest.mark.parametrize(
    ("fields", "concerns"),
    [
        ({"path": "/acme-corp/api/-/tree/main", "meta.project": None}, True),
        ({"path": "/acme-corp/api-old/-/tree", "meta.project": "acme-corp/api-old"}, False),
        ({"path": "/x/y", "meta.project": "acme-corp/platform/deep/svc"}, True),
        ({"path": "/x/y", "meta.project": "ACME-CORP/API"}, True),
        ({"path": "/x/y", "meta.project": "acme-corp/platformer"}, False),
        ({"path": "/x/y", "meta.project": None, "username": "BOB-ACME"}, True),
        ({"path": "/x/y", "meta.project": None, "user_id": 4101}, False),  # ids unknown unless given
    ],
)
def test_scope_by_path_project_and_user(selection: Selection, fields: dict, concerns: bool) -> None:
    entry = {k: v for k, v in synthetic.production(**fields).items() if v is not None}
    entry["params"] = []
    assert selection.concerns_scope(entry) is concerns


def test_scope_user_ids_when_given(catalog: Catalog) -> None:
    selection = Selection(
        ExtractScope.from_request(make_request(), catalog, KnownIds(users={"bob-acme": 4101}))
    )
    entry = synthetic.audit(entity_path="x/y", entity_type="Project", target_type="Project", author_id=4101)
    assert selection.concerns_scope(entry)


def test_empty_scope_means_the_customer_namespace(catalog: Catalog) -> None:
    request = make_request(resources={})
    scope = ExtractScope.from_request(request, catalog)
    assert scope.paths == ("acme-corp",)
    entry = synthetic.production(
        path="/acme-corp/anything/-/issues", **{"meta.project": "acme-corp/anything"}
    )
    assert Selection(scope).verdict(entry, LogKind.PRODUCTION) is None


def test_event_types_map_through_the_catalog(catalog: Catalog) -> None:
    selection = Selection(ExtractScope.from_request(make_request(event_types=EVENT_TYPES), catalog))
    wanted = {
        "audit by name": (synthetic.audit(event_name="member_created"), True),
        "audit of another type": (synthetic.audit(event_name="project_created"), False),
        "controller": (synthetic.production(controller="SessionsController"), True),
        "other controller": (synthetic.production(controller="Projects::IssuesController"), False),
        "API route": (synthetic.api(route="/api/:version/groups/:id/members"), True),
        "sidekiq by caller": (synthetic.sidekiq(), True),
        "application without caller": (synthetic.application(**{"meta.project": "acme-corp/api"}), False),
    }
    for name, (entry, kept) in wanted.items():
        verdict = selection.verdict(entry, detect_kind(entry))
        assert (verdict is None) is kept, name
        if not kept:
            assert verdict is Reject.OTHER_EVENT_TYPE, name


def test_event_key_reads_api_callers() -> None:
    entry = synthetic.sidekiq(**{"meta.caller_id": "POST /api/:version/projects/:id/members"})
    assert event_key(entry, LogKind.SIDEKIQ) == ("route", "/api/:version/projects/:id/members")


def test_prefilter_finds_every_line_the_predicate_keeps(selection: Selection) -> None:
    # The pre-filter may pass more lines than concern the case, never fewer.
    for scenario in synthetic.scenarios():
        entry = flatten(scenario.entry)
        if selection.verdict(entry, detect_kind(entry)) is None:
            line = orjson.dumps(scenario.entry)
            assert any(search(line, 0, len(line)) for search in selection.searches), scenario.why


def test_prefilter_needles_are_the_namespace_and_users(selection: Selection) -> None:
    assert prefilter_needles(selection.scope) == [b"acme-corp", b"bob-acme"]
    line = b'{"path":"/ACME-CORP%2Fapi"}'
    assert selection.searches[0](line, 0, len(line)) is not None  # case-insensitive


def test_user_id_prefilter_wants_a_field_value(catalog: Catalog) -> None:
    selection = Selection(
        ExtractScope.from_request(make_request(), catalog, KnownIds(users={"bob-acme": 42}))
    )
    id_search = selection.searches[-1]
    for line, hit in [
        (b'{"user_id":42,"x":1}', True),
        (b'{"author_id":"42"}', True),
        (b'{"user_id":142,"x":1}', False),
        (b'{"duration":0.42}', False),
    ]:
        assert (id_search(line, 0, len(line)) is not None) is hit, line
