"""A planted case for the report: real extractions of synthetic GitLab logs (tests/extract/synthetic.py).

The logs hold the extract tests' planted lines (foreign accounts, other tenants, internal hosts, secrets:
`synthetic.FOREIGN`, `synthetic.SECRETS`) among other customers' noise, plus a week of the customer's own
activity spread over the window, so the charts have a shape. Extraction is the real one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.catalog import load_catalog
from bot.extract.outputs import build_manifest, build_support_summary, write_json
from bot.extract.run import run_extraction
from bot.extract.scan import ExtractSpec
from tests.extract import synthetic
from workflows.assessment import Route
from workflows.log_selection import ExtractScope
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds

EVENT_TYPES = ["sign_ins", "permission_changes"]
GENERATED_AT = datetime.fromisoformat("2026-11-09T08:30:00+00:00")
# Addresses of people outside the request: they must reach the report only as pseudonyms.
VISITOR_IPS = ("81.2.69.161", "81.2.69.162", "81.2.69.163", "2a00:1450:4001:81b::2001")
VISITORS = ("dave-contractor", "frank-visitor", "grace-auditor")


@dataclass(frozen=True)
class Extract:
    manifest: Path  # Security's manifest or Support's summary
    entries: Path | None
    request: LogDiveRequest
    route: Route
    case: str


def request(**overrides: Any) -> LogDiveRequest:
    return LogDiveRequest.model_validate(synthetic.request_data(**overrides))


def _activity(seed: int = 5) -> list[dict[str, Any]]:
    """The customer's week: page views, API calls, sign-ins and membership changes at varied times."""
    rng = random.Random(seed)
    start = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    lines: list[dict[str, Any]] = []
    for n in range(240):
        moment = start + timedelta(hours=rng.triangular(0, 167, 60), minutes=rng.randrange(60))
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        who = rng.choice((synthetic.SCOPE_USER, synthetic.SCOPE_USER, *VISITORS))
        ip = synthetic.SCOPE_USER_IP if who == synthetic.SCOPE_USER else rng.choice(VISITOR_IPS)
        uid = synthetic.SCOPE_USER_ID if who == synthetic.SCOPE_USER else 5000 + VISITORS.index(who)
        pick = n % 6
        if pick in (0, 1):
            line = synthetic.production(
                time=stamp, username=who, user_id=uid, remote_ip=ip,
                path=f"/{synthetic.PROJECT}/-/issues/{n}",
                **{"meta.user": who, "meta.remote_ip": ip, "meta.client_id": f"user/{uid}"},
            )  # fmt: skip
        elif pick == 2:
            line = synthetic.api(time=stamp, username=who, user_id=uid, remote_ip=ip)
        elif pick == 3:
            line = synthetic.production(
                method="POST", path="/users/sign_in", controller="SessionsController", action="create",
                status=302, time=stamp, username=who, user_id=uid, remote_ip=ip,
                params=[{"key": "user[login]", "value": synthetic.SCOPE_USER}],
                **{"meta.user": who, "meta.remote_ip": ip, "meta.project": None, "meta.root_namespace": None,
                   "meta.caller_id": "SessionsController#create"},
            )  # fmt: skip
        elif pick == 4:
            line = synthetic.audit(
                time=stamp, created_at=stamp, ip_address=ip, author_id=uid, author_name=who
            )
        else:
            line = synthetic.audit(
                time=stamp, created_at=stamp, event_name="authenticated_with_password", entity_type="User",
                entity_id=synthetic.SCOPE_USER_ID, entity_path=synthetic.SCOPE_USER, target_type="User",
                target_id=synthetic.SCOPE_USER_ID, target_details=synthetic.SCOPE_USER,
                author_id=synthetic.SCOPE_USER_ID, author_name="Bob Acme", ip_address=synthetic.SCOPE_USER_IP,
                custom_message="Signed in with password",
            )  # fmt: skip
        line["correlation_id"] = f"week-{n:03d}"
        lines.append({k: v for k, v in line.items() if v is not None})
    return lines


def write_logs(directory: Path) -> list[Path]:
    """Two inputs: planted scenarios and the week among noise (plain), more noise (gzip)."""
    directory.mkdir(parents=True, exist_ok=True)
    ours = list(synthetic.encode([*(s.entry for s in synthetic.scenarios()), *_activity()]))
    noise = list(synthetic.encode(synthetic.noise(1200)))
    first = synthetic.write_log(directory / "production_json.log", synthetic.interleave(ours, noise))
    second = synthetic.write_log(
        directory / "audit_json.log.1.gz",
        list(synthetic.encode(synthetic.noise(400, seed=11))),
        compress=True,
    )
    return [first, second]


# The scope user's GitLab id, as `logdive extract` resolves it through GitLab when it starts.
KNOWN = KnownIds(users={synthetic.SCOPE_USER: synthetic.SCOPE_USER_ID})


def extract(
    directory: Path,
    route: Route,
    *,
    case: str = "LD-42",
    logs: list[Path] | None = None,
    **overrides: Any,
) -> Extract:
    """Run the real extraction for the planted case; write its outputs as `logdive extract` does."""
    overrides.setdefault("event_types", EVENT_TYPES)
    if route is Route.SUPPORT:
        overrides.setdefault("personal_data", False)
    asked = request(**overrides)
    logs = logs or write_logs(directory / "logs")
    spec = ExtractSpec(
        scope=ExtractScope.from_request(asked, load_catalog(), KNOWN),
        rules=RedactionRules.for_case(asked, route, case_key(case), KNOWN),
        write_entries=route is Route.SECURITY,
    )
    if route is Route.SECURITY:
        entries = directory / f"{case}-extract.jsonl"
        result = run_extraction(logs, spec, entries_out=entries, workers=1)
        manifest = entries.with_name(f"{case}-extract.manifest.json")
        record = build_manifest(
            case, asked, route, result, GENERATED_AT, personal_data_kept=asked.personal_data
        )
        write_json(manifest, record)
        return Extract(manifest, entries, asked, route, case)
    result = run_extraction(logs, spec, workers=1)
    summary = directory / f"{case}-summary.json"
    write_json(summary, build_support_summary(case, asked, route, result, GENERATED_AT))
    return Extract(summary, None, asked, route, case)


def planted_strings() -> list[str]:
    """What must never reach a report: the planted foreign identifiers, internal details and secrets."""
    return [*synthetic.FOREIGN.strings(), *synthetic.SECRETS.strings(), *VISITOR_IPS]
