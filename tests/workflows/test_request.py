"""The request model and the errors a person sees for bad input: field, what was wrong, what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from bot.resources import config_path
from workflows.catalog import parse_catalog
from workflows.errors import ALLOWED, FieldError, check_event_types, describe_validation_error
from workflows.request import MOMENTS_ALLOWED, WINDOW_ORDER_MESSAGE, LogDiveRequest

EXAMPLE: dict[str, Any] = json.loads(config_path("examples", "request.json").read_text(encoding="utf-8"))


def errors_for(**changes: Any) -> list[FieldError]:
    data = {**EXAMPLE, **changes}
    data = {k: v for k, v in data.items() if v is not ...}
    with pytest.raises(ValidationError) as raised:
        LogDiveRequest.model_validate(data)
    return describe_validation_error(raised.value)


def only(errors: list[FieldError]) -> FieldError:
    assert len(errors) == 1, errors
    return errors[0]


def test_the_example_request_is_valid() -> None:
    request = LogDiveRequest.model_validate(EXAMPLE)
    assert request.customer_namespace == "acme-corp"
    assert request.resources.size == 3


def test_request_normalises_what_a_person_pastes() -> None:
    request = LogDiveRequest.model_validate(
        {
            **EXAMPLE,
            "requester_username": " @alice-acme ",
            "event_types": ["a_b", " a_b ", "", "c_d"],
            "resources": {"projects": ["/acme-corp/api/"], "users": ["@bob-acme"]},
        }
    )
    assert request.requester_username == "alice-acme"
    assert request.event_types == ("a_b", "c_d")
    assert request.resources.projects == ("acme-corp/api",) and request.resources.users == ("bob-acme",)


def test_a_time_without_a_zone_names_the_field_and_an_example() -> None:
    error = only(errors_for(window={"start": "2026-11-01T00:00:00", "end": "2026-11-08T00:00:00Z"}))
    assert error.field == "window.start"
    assert str(error).startswith("window.start: must include a time zone, e.g. 2026-11-01T00:00:00Z")
    assert "got '2026-11-01T00:00:00'" in error.message
    assert error.allowed == ALLOWED["window.start"]


def test_an_unparseable_time() -> None:
    error = only(errors_for(window={"start": "2026-11-01T00:00:00Z", "end": "next tuesday"}))
    assert error.field == "window.end"
    assert error.message.startswith("'next tuesday' is not a date and time; use ISO 8601")


def test_missing_fields_are_each_named() -> None:
    errors = errors_for(customer_namespace=..., window=...)
    assert [(e.field, e.message) for e in errors] == [
        ("customer_namespace", "is required"),
        ("window", "is required"),
    ]
    assert all(e.allowed for e in errors)


def test_a_nested_namespace_is_refused_with_what_is_allowed() -> None:
    error = only(errors_for(customer_namespace="acme-corp/platform"))
    assert error.field == "customer_namespace"
    assert error.message.startswith(
        "'acme-corp/platform' is not the customer's top-level namespace, e.g. acme-corp"
    )


def test_a_bad_path_in_a_list() -> None:
    error = only(errors_for(resources={"projects": ["acme corp/api"]}))
    assert str(error) == "resources.projects: 'acme corp/api' is not a GitLab full path such as acme/api"
    assert error.base_field == "resources.projects"


def test_list_positions_are_shown_and_stripped_for_forms() -> None:
    error = only(errors_for(resources={"users": ["bob", 3]}))
    assert error.field == "resources.users[1]" and error.base_field == "resources.users"
    assert error.message == "must be text; got '3'"


def test_unknown_fields_list_the_fields_that_exist() -> None:
    error = only(
        errors_for(window={"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z", "tz": "UTC"})
    )
    assert error.field == "window.tz"
    assert error.message == "is not a field of a log-dive request"
    assert error.allowed == "fields here: start, end"
    top = only(errors_for(priority="high"))
    assert top.field == "priority" and "customer_namespace" in (top.allowed or "")


def test_log_sources_and_booleans() -> None:
    error = only(errors_for(log_sources=["application", "ftp"]))
    assert str(error) == "log_sources[1]: must be application or access; got 'ftp'"
    error = only(errors_for(paid_plan_confirmed=None))
    assert str(error) == "paid_plan_confirmed: must be true or false; got 'null'"
    error = only(errors_for(event_types="member_updated"))
    assert str(error) == "event_types: must be a list; got 'member_updated'"


def test_scope_cost_accepted_hours_is_a_figure_defaulting_to_none() -> None:
    assert "scope_cost_accepted_hours" in EXAMPLE  # the example lists every field
    unset = {k: v for k, v in EXAMPLE.items() if k != "scope_cost_accepted_hours"}
    assert LogDiveRequest.model_validate(unset).scope_cost_accepted_hours is None
    for hours in (0, 4, 2.5):
        accepted = LogDiveRequest.model_validate({**EXAMPLE, "scope_cost_accepted_hours": hours})
        assert accepted.scope_cost_accepted_hours == hours


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must be at least 0; got '-1'"),
        (float("inf"), "must be a finite number; got 'Infinity'"),
        ("nan", "must be a finite number; got 'nan'"),
        ("perhaps", "must be a number; got 'perhaps'"),
        ([4], "must be a number; got '[4]'"),
        # The old yes/no is not a figure: pydantic would read true as 1 hour.
        (True, "must be a number of hours, not true or false"),
    ],
)
def test_scope_cost_accepted_hours_errors_name_the_field_and_what_is_allowed(
    value: Any, message: str
) -> None:
    error = only(errors_for(scope_cost_accepted_hours=value))
    assert error.field == "scope_cost_accepted_hours"
    assert error.message == message
    assert error.allowed == ALLOWED["scope_cost_accepted_hours"]
    assert error.allowed.startswith("a number of hours, 0 or more")


def test_the_old_boolean_field_is_not_a_field() -> None:
    error = only(errors_for(scope_cost_accepted=True))
    assert error.field == "scope_cost_accepted" and error.message == "is not a field of a log-dive request"


def test_long_values_are_cut_short_in_messages() -> None:
    error = only(errors_for(requester_username="a b" + "x" * 500))
    assert len(error.message) < 200 and "…" in error.message
    error = only(errors_for(description="x" * 3001))
    assert error.message == "is too long: at most 3000 characters"


def test_not_an_object_and_not_json() -> None:
    with pytest.raises(ValidationError) as raised:
        LogDiveRequest.model_validate(["acme-corp"])
    error = only(describe_validation_error(raised.value))
    assert error.field == "" and str(error) == "must be an object with the fields of a log-dive request"
    with pytest.raises(ValidationError) as raised:
        LogDiveRequest.model_validate_json('{"customer_namespace": ')
    assert only(describe_validation_error(raised.value)).message.startswith("is not valid JSON")


# --- event types against the catalog -----------------------------------------------------------------

CATALOG = parse_catalog(
    {
        "audit_event_types": ["member_updated", "member_created", "member_role_updated", "user_blocked"],
        "categories": {"sign_ins": {"title": "Sign-ins", "audit_event_types": ["user_blocked"]}},
    }
)


def request_with(event_types: list[str]) -> LogDiveRequest:
    return LogDiveRequest.model_validate({**EXAMPLE, "event_types": event_types})


def test_known_event_types_and_categories_pass() -> None:
    assert check_event_types(request_with(["member_updated", "sign_ins"]), CATALOG) == []


def test_a_misspelt_event_type_suggests_the_nearest() -> None:
    error = only(check_event_types(request_with(["member_updated", "membr_updated"]), CATALOG))
    assert str(error) == "event_types: unknown event type 'membr_updated'; did you mean member_updated?"
    assert error.allowed and "sign_ins" in error.allowed


def test_equally_near_names_are_all_offered() -> None:
    error = only(check_event_types(request_with(["member_xxxated"]), CATALOG))
    assert error.message == (
        "unknown event type 'member_xxxated'; did you mean member_updated or member_created?"
    )


def test_case_is_forgiven_in_suggestions_only() -> None:
    error = only(check_event_types(request_with(["Sign_Ins"]), CATALOG))
    assert error.message == "unknown event type 'Sign_Ins'; did you mean sign_ins?"


def test_nothing_near_lists_the_categories() -> None:
    error = only(check_event_types(request_with(["qqqqqqqq"]), CATALOG))
    assert error.message == "unknown event type 'qqqqqqqq'; log categories are sign_ins"


def test_each_unknown_name_gets_its_own_error() -> None:
    errors = check_event_types(request_with(["nope_one", "member_updated", "nope_two"]), CATALOG)
    assert [e.message.split("'")[1] for e in errors] == ["nope_one", "nope_two"]


def test_a_bare_number_is_not_taken_for_a_window_time() -> None:
    import pydantic

    from workflows.errors import describe_validation_error
    from workflows.request import LogDiveRequest

    with pytest.raises(pydantic.ValidationError) as caught:
        LogDiveRequest.model_validate(
            {
                "customer_namespace": "acme-corp",
                "requester_username": "alice",
                "window": {"start": "2026-11-01T00:00:00Z", "end": 20},
            }
        )
    errors = describe_validation_error(caught.value)
    assert [e.field for e in errors] == ["window.end"]
    assert "not a number" in errors[0].message


@pytest.mark.parametrize("end", ["2026-11-01T00:00:00Z", "2026-10-31T00:00:00Z", "2026-11-01T09:00:00+09:00"])
def test_a_window_that_does_not_end_after_it_starts_is_a_field_error_on_its_end(end: str) -> None:
    # The last one is the same instant as the start, written in another zone.
    error = only(errors_for(window={"start": "2026-11-01T00:00:00Z", "end": end}))
    assert error.field == "window.end"
    assert error.message == WINDOW_ORDER_MESSAGE
    assert error.allowed == "a date and time later than window.start"


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("start", "0001-01-01T00:00:00+01:00"),  # no UTC equivalent at all
        ("start", "0001-01-01T00:00:00Z"),
        ("start", "1999-12-31T23:59:59Z"),
        ("end", "9999-12-31T23:59:59-05:00"),
        ("end", "9999-12-31T23:59:59Z"),
        ("end", "2100-01-01T00:00:00Z"),
    ],
)
def test_moments_outside_the_years_a_log_can_have_are_field_errors(field: str, moment: str) -> None:
    window = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z", field: moment}
    error = only(errors_for(window=window))
    assert error.field == f"window.{field}"
    assert error.message == f"{moment.replace('Z', '+00:00')} is not in {MOMENTS_ALLOWED}"


def test_the_first_and_last_moments_allowed_are_accepted() -> None:
    window = {"start": "2000-01-01T00:00:00Z", "end": "2099-12-31T23:59:59Z"}
    assert LogDiveRequest.model_validate({**EXAMPLE, "window": window}).window.end.year == 2099
