"""`logdive cases list|show` cover data-leak cases: their type, locations and deletion evidence."""

from __future__ import annotations

import json

from bot.db.engine import session_scope
from bot.leak import service
from tests.cli.conftest import Run, run_logdive
from tests.leak.conftest import SIRT, SUPPORT, T0, reported
from workflows import leak as L


def test_list_and_show_name_the_type_and_the_deletion_evidence(database_url: str) -> None:
    logdive: Run = run_logdive
    case_id = reported(database_url)
    with session_scope(database_url) as session:
        service.take_step(session, case_id, L.Triage(), actor="U_SIRT", roles=SIRT, now=T0)
        service.take_step(
            session,
            case_id,
            L.Identify(
                storage=(L.StorageLocation(url="s3://telemetry/acme/", holds="diagnostics"),),
                third_parties=(L.ThirdParty(name="Datadog", holds="log copies"),),
            ),
            actor="U_SUP",
            roles=SUPPORT,
            now=T0,
        )
        evidence = L.StorageEvidence(kind="verified_empty", at=T0)
        step = L.RecordStorageDeletion(url="s3://telemetry/acme/", evidence=evidence)
        service.take_step(session, case_id, step, actor="U_SUP", roles=SUPPORT, now=T0)
    env = {"DATABASE_URL": database_url}
    rows = json.loads(logdive("cases", "list", "--json", env=env).stdout)["cases"]
    assert [(r["id"], r["type"], r["state"]) for r in rows] == [
        (f"LD-{case_id}", "data_leak", "leak_identified")
    ]
    human = logdive("cases", "list", env=env)
    assert "data_leak" in human.stdout and "leak_identified" in human.stdout

    detail = json.loads(logdive("cases", "show", str(case_id), "--json", env=env).stdout)
    assert detail["type"] == "data_leak" and detail["leak"]["category"] == "credentials"
    assert detail["leak"]["storage"][0]["status"] == "verified empty at 2026-11-30T09:00:00+00:00"
    assert detail["leak"]["outstanding"] == ["Datadog: deletion not yet requested"]
    shown = logdive("cases", "show", str(case_id), env=env)
    assert shown.returncode == 0, shown.stderr
    for expected in (
        "data_leak",
        "s3://telemetry/acme/",
        "verified empty at",
        "Datadog",
        "not yet requested",
    ):
        assert expected in shown.stdout
