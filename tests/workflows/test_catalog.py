"""The event-type catalog: the shipped YAML and the pure Catalog API."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from bot.catalog import load_catalog
from bot.resources import config_path
from workflows.catalog import Catalog, LogCategory, parse_catalog
from workflows.request import LogDiveRequest

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def small() -> Catalog:
    return parse_catalog(
        {
            "audit_event_types": {"users": ["member_updated", "member_created", "user_blocked"]},
            "categories": {
                "sign_ins": {
                    "title": "Sign-ins",
                    "audit_event_types": ["user_blocked"],
                    "controllers": ["SessionsController"],
                    "routes": [],
                },
                "permission_changes": {
                    "title": "Permissions",
                    "audit_event_types": ["member_updated", "member_created"],
                    "controllers": ["Projects::ProjectMembersController"],
                    "routes": ["/api/:version/projects/:id/members"],
                },
            },
        }
    )


# --- the shipped catalog ---------------------------------------------------------------------------


def test_shipped_catalog_holds_hundreds_of_snake_case_gitlab_types(catalog: Catalog) -> None:
    assert len(catalog.audit_event_types) >= 400
    assert all(SNAKE_CASE.match(name) for name in catalog.audit_event_types)
    # A few GitLab documents, spot-checked by hand against audit_event_types.md.
    for name in (
        "member_updated",
        "repository_git_operation",
        "personal_access_token_created",
        "login_failed_with_otp_authentication",
        "project_access_token_created",
    ):
        assert catalog.is_known(name)


def test_shipped_catalog_lists_no_type_twice() -> None:
    import yaml

    data = yaml.safe_load(config_path("event_types.yml").read_text(encoding="utf-8"))
    names = [n for group in data["audit_event_types"].values() for n in group]
    assert len(names) == len(set(names))


def test_shipped_categories_cover_the_log_dive_basics(catalog: Catalog) -> None:
    for name in ("sign_ins", "git_operations", "api_access", "permission_changes"):
        category = catalog.categories[name]
        assert category.title and category.audit_event_types
        assert category.controllers or category.routes
    assert "Repositories::GitHttpController" in catalog.controllers_for(["git_operations"])
    assert "SessionsController" in catalog.controllers_for(["sign_ins"])
    assert "/api/:version/projects/:id/members" in catalog.routes_for(["permission_changes"])
    for category in catalog.categories.values():
        assert all(route.startswith("/api/:version/") for route in category.routes)
        assert all(re.fullmatch(r"[A-Z]\w*(::[A-Z]\w*)*Controller", c) for c in category.controllers)


def test_example_request_names_only_known_event_types(catalog: Catalog) -> None:
    example = LogDiveRequest.model_validate(
        json.loads(config_path("examples", "request.json").read_text(encoding="utf-8"))
    )
    assert example.event_types
    assert catalog.unknown(example.event_types) == []


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


# --- the Catalog API -------------------------------------------------------------------------------


def test_is_known_accepts_audit_types_and_category_names() -> None:
    cat = small()
    assert cat.is_known("member_updated")
    assert cat.is_known("sign_ins")
    assert not cat.is_known("membr_updated")
    assert not cat.is_known("Member_Updated")  # names are exact, as in the logs


def test_suggestions_name_the_nearest_first() -> None:
    cat = small()
    assert cat.suggestions("membr_updated")[0] == "member_updated"
    assert cat.suggestions("signins") == ["sign_ins"]
    assert cat.suggestions("member_updated", n=1) == ["member_updated"]
    assert cat.suggestions("zzzzzz") == []


def test_unknown_keeps_order_and_drops_duplicates() -> None:
    assert small().unknown(["x", "sign_ins", "y", "x"]) == ["x", "y"]


def test_audit_types_for_expands_categories_and_keeps_direct_names() -> None:
    cat = small()
    assert cat.audit_types_for(["sign_ins"]) == {"user_blocked"}
    assert cat.audit_types_for(["permission_changes", "user_blocked"]) == {
        "member_updated",
        "member_created",
        "user_blocked",
    }
    assert cat.audit_types_for(["nonsense"]) == frozenset()


def test_controllers_and_routes_come_from_categories_only() -> None:
    cat = small()
    assert cat.controllers_for(["sign_ins", "member_updated"]) == {"SessionsController"}
    assert cat.routes_for(["permission_changes"]) == {"/api/:version/projects/:id/members"}
    assert cat.routes_for(["sign_ins"]) == frozenset()


def test_parse_catalog_accepts_a_flat_list() -> None:
    cat = parse_catalog({"audit_event_types": ["a_b", "c_d"]})
    assert cat.audit_event_types == {"a_b", "c_d"} and cat.categories == {}


def test_parse_catalog_rejects_a_category_naming_an_undocumented_type() -> None:
    with pytest.raises(ValidationError, match="made_up"):
        parse_catalog(
            {
                "audit_event_types": ["a_b"],
                "categories": {"x": {"title": "X", "audit_event_types": ["made_up"]}},
            }
        )


def test_parse_catalog_rejects_unknown_category_keys() -> None:
    with pytest.raises(ValidationError, match="controller"):
        parse_catalog({"audit_event_types": [], "categories": {"x": {"title": "X", "controller": ["A"]}}})


def test_catalog_is_frozen() -> None:
    cat = small()
    with pytest.raises(ValidationError):
        cat.audit_event_types = frozenset()  # type: ignore[misc]
    with pytest.raises(ValidationError):
        LogCategory(name="x", title="X").title = "Y"  # type: ignore[misc]
