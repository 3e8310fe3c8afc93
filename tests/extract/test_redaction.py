"""Redaction rules: allowlisted fields, pseudonyms for foreign identifiers, secrets and internals removed.

Property tests: redaction by one Redactor is idempotent; a planted secret or foreign identifier never
reaches the output; pseudonyms are stable within a case and differ across cases.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.extract import synthetic
from tests.extract.synthetic import FOREIGN, SECRETS
from workflows.log_kinds import LogKind, detect_kind
from workflows.pseudonyms import Pseudonymiser, case_key, is_pseudonym
from workflows.redaction import FIELDS, RedactionRules, Redactor, _Field

# Kept as written: free text (scrubbed for secrets, emails, addresses) and params (own test below).
_FREE_TEXT = {_Field.KEEP, _Field.ENTITY_ID, _Field.PARAMS}


def _redactor(*, keep_personal: bool = False, case: str = "LD-1", ids: tuple[int, ...] = ()) -> Redactor:
    return Redactor(
        RedactionRules(
            customer_namespace=synthetic.CUSTOMER,
            own_usernames=(synthetic.REQUESTER, synthetic.SCOPE_USER),
            own_user_ids=ids,
            keep_personal=keep_personal,
            case_key=case_key(case),
        )
    )


def _redact(entry: dict[str, Any], redactor: Redactor | None = None) -> dict[str, Any]:
    redactor = redactor or _redactor()
    return orjson.loads(redactor.redact(entry, detect_kind(entry)))


def test_internal_fields_are_dropped() -> None:
    entry = synthetic.production(
        **{
            "exception.backtrace": [FOREIGN.BACKTRACE],
            "gitaly_address": FOREIGN.GITALY,
            "host": FOREIGN.HOSTNAME,
        }
    )
    out = _redact(entry)
    for key in ("pid", "worker_id", "meta.caller_id", "meta.client_id", "redis_calls", "gitaly_calls",
                "cpu_s", "db_duration_s", "exception.backtrace", "gitaly_address", "host"):  # fmt: skip
        assert key not in out
    assert {"method", "path", "controller", "action", "status", "time", "correlation_id"} <= set(out)


@pytest.mark.parametrize(
    ("entry", "seconds"),
    [
        (synthetic.api(duration=709.08), 0.70908),  # request logs: milliseconds
        (synthetic.sidekiq(duration=0.139), 0.139),  # Sidekiq: seconds
        (synthetic.production(duration_s=20.54), 20.54),
        ({**synthetic.api(), "duration": 1000.0, "duration_s": 2.5}, 2.5),  # both: duration_s wins
    ],
)
def test_both_duration_styles_become_seconds(entry: dict[str, Any], seconds: float) -> None:
    out = _redact(entry)
    assert out["duration_s"] == seconds
    assert "duration" not in out


def test_params_drop_secrets_and_pseudonymise_logins() -> None:
    entry = synthetic.production(
        params=[
            {"key": "user[login]", "value": FOREIGN.USERNAME},
            {"key": "user[password]", "value": "[FILTERED]"},
            {"key": "otp_attempt", "value": "123456"},
            {"key": "key_id", "value": "secret"},
            {"key": "email", "value": FOREIGN.EMAIL},
            {"key": "assignee_username", "value": [FOREIGN.USERNAME]},
            {"key": "reviewer_ids[]", "value": [FOREIGN.USER_ID]},
            {"key": "author_id", "value": str(FOREIGN.USER_ID)},
            {"key": "page", "value": "2"},
        ]
    )
    params = {p["key"]: p["value"] for p in _redact(entry)["params"]}
    assert set(params) == {"user[login]", "email", "assignee_username", "reviewer_ids[]", "author_id", "page"}
    assert params["user[login]"].startswith("user-") and params["email"].startswith("email-")
    assert params["assignee_username"][0].startswith("user-")
    assert params["reviewer_ids[]"][0].startswith("uid-") and params["author_id"].startswith("uid-")
    assert params["page"] == "2"


@pytest.mark.parametrize(
    ("path", "expected_prefix", "gone"),
    [
        ("/acme-corp/api/-/issues/1", "/acme-corp/api/-/issues/1", None),
        (f"/{FOREIGN.OTHER_PROJECT}/-/issues/1", "/ns-", FOREIGN.OTHER_NAMESPACE),
        (f"/{FOREIGN.OTHER_PROJECT}.git/info/refs", "/ns-", "secret-plans"),
        (f"/users/{FOREIGN.USERNAME}/activity", "/users/user-", FOREIGN.USERNAME),
        (f"/api/v4/users/{FOREIGN.USER_ID}/keys", "/api/v4/users/uid-", str(FOREIGN.USER_ID)),
        (
            f"/api/v4/projects/{FOREIGN.OTHER_PROJECT.replace('/', '%2F')}/members",
            "/api/v4/projects/ns-",
            "globex",
        ),
        ("/users/sign_in", "/users/sign_in", None),
        ("/acme-corp/api/-/raw/main/x?private_token=abc", "/acme-corp/api/-/raw/main/x", "private_token"),
    ],
)
def test_request_paths(path: str, expected_prefix: str, gone: str | None) -> None:
    out = _redact(synthetic.production(path=path))["path"]
    assert out.startswith(expected_prefix)
    if gone:
        assert gone not in out


def test_customer_users_identity_stays_only_with_personal_data_on_security() -> None:
    own = synthetic.production(
        username=synthetic.SCOPE_USER, user_id=synthetic.SCOPE_USER_ID, remote_ip=synthetic.SCOPE_USER_IP
    )
    kept = _redact(own, _redactor(keep_personal=True))
    assert (kept["username"], kept["user_id"], kept["remote_ip"]) == (
        synthetic.SCOPE_USER, synthetic.SCOPE_USER_ID, synthetic.SCOPE_USER_IP,
    )  # fmt: skip
    hidden = _redact(own, _redactor(keep_personal=False))
    assert hidden["username"].startswith("user-") and hidden["remote_ip"].startswith("ip-")
    assert str(synthetic.SCOPE_USER_ID) not in orjson.dumps(hidden).decode()


def test_a_foreign_users_address_is_a_pseudonym_even_when_personal_data_is_kept() -> None:
    out = _redact(synthetic.production(), _redactor(keep_personal=True))
    assert out["username"].startswith("user-") and out["remote_ip"].startswith("ip-")


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "172.20.0.1", "192.168.1.1", "127.0.0.1", "100.64.1.1", "::1", "fd00::1",
                "fe80::1", "::ffff:10.0.0.1", "169.254.169.254"],
)  # fmt: skip
def test_internal_addresses_are_dropped(address: str) -> None:
    out = _redact(synthetic.api(remote_ip=address, message=f"connecting to {address} now"))
    assert "remote_ip" not in out
    assert address not in orjson.dumps(out).decode()


@pytest.mark.parametrize(
    ("text", "must_stay"),
    [
        ("Admin::DashboardController#index", "Admin::DashboardController#index"),
        ("Chrome/91.0.4472.124 Safari/537.36", "Chrome/91.0.4472.124"),
        ("took 2026-11-03T10:15:54.821Z", "2026-11-03T10:15:54.821Z"),
        ("version 1.2.3.4.5", "1.2.3.4.5"),
        ("Authorization: Bearer [REDACTED]", "Authorization: Bearer [REDACTED]"),
    ],
)
def test_free_text_that_is_not_an_identifier_stays(text: str, must_stay: str) -> None:
    assert must_stay in _redact(synthetic.production(ua=text))["ua"]


def test_free_text_secrets_and_identifiers() -> None:
    message = (
        f"{SECRETS.PAT} | Authorization: Bearer {SECRETS.BEARER} | https://me:{SECRETS.URL_PASSWORD}@host.example/x"
        f" | password={SECRETS.FORM_PASSWORD}&next=1 | {SECRETS.JWT} | {FOREIGN.EMAIL} | {FOREIGN.IP4} |"
        f' [{FOREIGN.IP6}]:443 | User "{FOREIGN.NAME}" was created'
    )
    out = _redact(synthetic.production(ua=message))["ua"]
    for planted in [*SECRETS.strings(), FOREIGN.EMAIL, FOREIGN.IP4, FOREIGN.IP6, FOREIGN.NAME]:
        assert planted not in out
    assert "next=1" in out and "email-" in out and "ip-" in out and 'User \\"name-' not in out


@pytest.mark.parametrize(
    "entry",
    [
        synthetic.audit(custom_message="Created project beta-inc/secret-merger-2027 for carol@beta.example"),
        synthetic.application(message='User "Eve" (eve@beta.example) created beta-inc/secret-merger-2027'),
        synthetic.sidekiq(message="failed: beta-inc/secret-merger-2027 by user-deadbeef"),
    ],
)
def test_free_text_fields_are_dropped_whole_not_scrubbed(entry: dict[str, Any]) -> None:
    # Fail closed: a scrubber removes only what it recognises; free text can name another tenant in
    # any spelling, so it never leaves.
    redactor = _redactor(keep_personal=True)
    out = redactor.redact(entry, detect_kind(entry)).decode()
    assert "secret-merger" not in out and "beta" not in out and "deadbeef" not in out
    assert "custom_message" not in out and '"message"' not in out
    assert redactor.counts["free_text"] == 1


@pytest.mark.parametrize("field", ["username", "meta.user"])
def test_a_username_shaped_like_a_pseudonym_is_pseudonymised_like_any_other(field: str) -> None:
    entry = synthetic.production(**{field: "user-deadbeef", "path": "/ns-deadbeef/x/-/issues"})
    out = _redact(entry, _redactor(keep_personal=True))
    assert out[field] != "user-deadbeef" and out[field].startswith("user-")
    assert "ns-deadbeef" not in out["path"]  # a foreign namespace named like a pseudonym is still foreign


def test_audit_moves_from_another_namespace_are_pseudonymised() -> None:
    out = _redact(synthetic.audit(change="path", **{"from": "beta-inc/tools", "to": "acme-corp/tools"}))
    assert out["from"].startswith("ns-") and out["to"] == "acme-corp/tools"


def test_audit_targets_that_are_users_become_pseudonyms() -> None:
    out = _redact(synthetic.audit())
    assert out["target_details"].startswith("user-") and out["target_id"].startswith("uid-")
    assert out["entity_path"] == synthetic.GROUP and out["entity_id"] == 31
    assert out["author_name"].startswith("name-") and out["author_id"].startswith("uid-")


def test_redaction_counts_by_kind() -> None:
    redactor = _redactor()
    redactor.redact(synthetic.api(remote_ip=FOREIGN.INTERNAL_IP), LogKind.API)
    assert redactor.counts["internal_ip"] == 1
    assert redactor.counts["secret"] == 1  # private_token=[FILTERED]
    assert redactor.counts["username"] == 1 and redactor.counts["user_id"] == 1
    assert redactor.counts["internal_field"] >= 5


# -- properties -----------------------------------------------------------------------------------------
_IETF = ipaddress.ip_network("192.0.0.0/24")
_usernames = st.from_regex(r"xq[a-z0-9]{6,10}", fullmatch=True)
_secret_values = st.from_regex(r"Zq[A-Za-z0-9]{12,20}", fullmatch=True)
# Public: routable and a person's (192.0.0.0/24, IETF protocol assignments, counts as internal here).
_public_ipv4 = (
    st.ip_addresses(v=4).filter(lambda a: a.is_global and not a.is_multicast and a not in _IETF).map(str)
)
_public_ipv6 = st.ip_addresses(v=6).filter(lambda a: a.is_global and a.ipv4_mapped is None).map(str)
_filler = st.text(alphabet="abcdefghij KLMNOP 0123456789 .,;:-_/()", max_size=40)
_secret_shapes = st.sampled_from(
    ["glpat-{v}xxxxxx", "token={v}", "Authorization: Bearer {v}", "https://bob:{v}@example.com/x",
     "PRIVATE-TOKEN: {v}", "eyJhbGciOi{v}.eyJzdWIiOi{v}.c2ln{v}"]
)  # fmt: skip
_free_text_fields = st.sampled_from(["message", "custom_message", "ua", "to", "from", "change"])
_builders = st.sampled_from([synthetic.production, synthetic.api, synthetic.audit, synthetic.sidekiq,
                             synthetic.application])  # fmt: skip


@st.composite
def _planted(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """An entry of any kind with a foreign user, address and secret planted in random places."""
    username, secret = draw(_usernames), draw(_secret_values)
    address = draw(st.one_of(_public_ipv4, _public_ipv6))
    text = f"{draw(_filler)} {draw(_secret_shapes).format(v=secret)} {draw(_filler)}"
    entry = draw(_builders)()
    entry.update(
        {
            "username": username,
            "meta.user": username,
            "remote_ip": address,
            draw(_free_text_fields): text,
            "params": [{"key": draw(st.sampled_from(["q", "note", "page"])), "value": f"ping {address} x"}],
        }
    )
    if draw(st.booleans()):
        entry["meta"] = {"remote_ip": address, "user": username}
    return entry, [username, secret, address, ipaddress.ip_address(address).exploded]


_PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(_planted(), st.booleans())
def test_output_never_holds_a_planted_secret_or_foreign_identifier(
    planted: tuple[dict[str, Any], list[str]], keep_personal: bool
) -> None:
    entry, secrets_and_ids = planted
    out = _redactor(keep_personal=keep_personal).redact(entry, detect_kind(entry)).decode()
    assert [s for s in secrets_and_ids if s in out] == []


@_PROPERTY
@given(_planted(), st.booleans())
def test_redaction_is_idempotent(planted: tuple[dict[str, Any], list[str]], keep_personal: bool) -> None:
    entry, _ = planted
    kind = detect_kind(entry)
    redactor = _redactor(keep_personal=keep_personal)
    once = redactor.redact(entry, kind)
    assert redactor.redact(orjson.loads(once), kind) == once


@pytest.mark.parametrize("keep", [True, False])
def test_redacting_the_scenarios_twice_changes_nothing(keep: bool) -> None:
    for scenario in synthetic.scenarios():
        kind = detect_kind(scenario.entry)
        redactor = _redactor(keep_personal=keep)
        once = redactor.redact(scenario.entry, kind)
        assert redactor.redact(orjson.loads(once), kind) == once, scenario.why


@_PROPERTY
@given(_usernames, _public_ipv4, st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
def test_pseudonyms_are_stable_within_a_case_and_differ_across(
    username: str, address: str, case_a: str, case_b: str
) -> None:
    first, second = _redactor(case=case_a), _redactor(case=case_a)
    one = _redact(synthetic.production(username=username, remote_ip=address), first)
    two = _redact(synthetic.api(username=username.upper(), remote_ip=address, path="/x"), second)
    assert one["username"] == two["username"] and one["remote_ip"] == two["remote_ip"]
    assert is_pseudonym(one["username"]) and is_pseudonym(one["remote_ip"])
    if case_a != case_b:
        other = _redact(synthetic.production(username=username, remote_ip=address), _redactor(case=case_b))
        assert other["username"] != one["username"] and other["remote_ip"] != one["remote_ip"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=5),  # what orjson parses
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


@_PROPERTY
@given(_usernames, _json_values, st.sampled_from(sorted(FIELDS)), st.booleans())
def test_odd_json_shapes_never_carry_a_foreign_identifier_through(
    username: str, filler: object, field: str, nested: bool
) -> None:
    # Logs are untrusted input: a list or object where a string belongs must not smuggle a name out.
    planted: object = {"x": [filler, username]} if nested else [username, filler]
    entry = synthetic.production(**{field: planted})
    entry.pop("username"), entry.pop("meta.user")
    redactor = _redactor(keep_personal=True)
    out = redactor.redact(entry, detect_kind(entry)).decode()
    if FIELDS[field] in _FREE_TEXT:
        return  # kept as written (free text is scrubbed for secrets, emails and addresses only)
    assert username not in out


def test_pseudonymiser_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="16 to 64 bytes"):
        Pseudonymiser(b"short")


def test_typed_text_in_params_is_dropped_whole() -> None:
    entry = synthetic.production(
        path="/search",
        params=[
            {"key": "search", "value": "beta-inc/secret-merger-2027"},
            {"key": "note[note]", "value": "see beta-inc/secret-merger-2027"},
            {"key": "issue[title]", "value": "merger with beta-inc"},
            {"key": "page", "value": "2"},
        ],
    )
    redactor = _redactor()
    out = redactor.redact(entry, detect_kind(entry)).decode()
    assert "beta-inc" not in out and '"page"' in out
    assert redactor.counts["free_text"] == 3
