"""`logdive report` as a person runs it: a case's report stored on the case with SIRT's findings read from
the GitLab stand-in; an extract file rendered to a directory; clear errors, never a traceback."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bot.artefacts import service as artefacts
from bot.db.engine import session_scope
from bot.db.models import Case
from tests.artefacts.conftest import NOW, ROLES, SIRT1, SUPPORT
from tests.artefacts.test_cli import Cli, env  # noqa: F401 -- env is a fixture
from tests.extract import synthetic
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- fixture
from tests.report import planted
from tests.report.documents import pdf_text
from workflows.assessment import Route

SIRT_PROJECT = "gitlab-com/gl-security/sirt-cases"


@pytest.fixture
def cli(env: dict[str, str], tmp_path: Path) -> Cli:  # noqa: F811
    # The `vault` fixture's store (and key), which sealed_case sealed the extract in.
    return Cli({**env, "LOGDIVE_ARTEFACT_DIR": str(tmp_path / "artefacts")})


def test_a_case_report_with_findings_from_the_sirt_issue(
    cli: Cli,
    database_url: str,
    vault,
    sealed_case,
    gitlab_standin,  # noqa: F811
) -> None:
    case = sealed_case(Route.SECURITY)
    state = gitlab_standin.state
    state.add_group("gitlab-com")
    state.add_group("gitlab-com/gl-security")
    state.add_project(SIRT_PROJECT)
    issue = (
        gitlab_standin.gitlab()
        .projects.get(SIRT_PROJECT)
        .issues.create({"title": f"{case.label} · Log-dive for acme-corp", "confidential": True})
    )
    issue.notes.create(
        {
            "body": f"Finding (report): a foreign account @{synthetic.FOREIGN.USERNAME} read the members "
            "list "
            f"from {synthetic.FOREIGN.IP4}."
        }
    )
    issue.notes.create({"body": "Finding: internal note NOT-FOR-THE-CUSTOMER"})
    with session_scope(database_url) as session:
        row = session.get(Case, case.id)
        row.sirt_issue_iid = issue.iid
        session.add(row)
    gitlab = {
        "GITLAB_URL": gitlab_standin.url,
        "GITLAB_TOKEN": gitlab_standin.token,
        "LOGDIVE_SIRT_PROJECT": SIRT_PROJECT,
    }
    out = json.loads(cli("report", case.label, "--json", env=gitlab))
    assert out["findings"] == 1 and [a["version"] for a in out["artefacts"]] == [1, 1]
    html_id, pdf_id = (a["artefact_id"] for a in out["artefacts"])
    read = {"actor": SIRT1, "roles": ROLES[SIRT1], "now": NOW}
    with session_scope(database_url) as session:
        html = artefacts.read_artefact(session, vault, html_id, **read).decode()
        text = pdf_text(artefacts.read_artefact(session, vault, pdf_id, **read))
    for document in (html, text):
        assert "read the members list from ip-" in document and "NOT-FOR-THE-CUSTOMER" not in document
        assert synthetic.FOREIGN.USERNAME not in document and synthetic.FOREIGN.IP4 not in document
    # Built again from the same extract and findings: nothing changes.
    assert cli("report", case.label, env=gitlab).count("(unchanged)") == 2
    # GitLab down: the build stops and says so, rather than leaving the findings out silently...
    down = {**gitlab, "GITLAB_URL": "http://127.0.0.1:9", "LOGDIVE_GITLAB_MAX_RETRIES": "0"}
    error = cli("report", case.label, code=1, env=down)
    assert "cannot read the SIRT issue's notes" in error and "--no-findings" in error
    # ...unless asked to build without them: a new version, without the finding.
    printed = cli("report", case.label, "--no-findings", env=down)
    assert printed.count("v2 (new version)") == 2


def test_an_extract_file_renders_to_a_directory(cli: Cli, tmp_path: Path) -> None:
    extract = planted.extract(tmp_path / "x", Route.SECURITY, case="req-1")
    out = tmp_path / "out"
    out.mkdir()
    printed = cli("report", "--extract", str(extract.manifest), "--out", str(out))
    html, pdf = out / "req-1-report.html", out / "req-1-report.pdf"
    assert f"written: {html}" in printed and f"written: {pdf}" in printed
    for path in (html, pdf):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Case req-1" in pdf_text(pdf.read_bytes()) and "Appendix: entries" in html.read_text()


def test_bad_input_names_the_field(cli: Cli, tmp_path: Path) -> None:
    extract = planted.extract(tmp_path / "x", Route.SECURITY, case="req-1")
    assert "--out" in cli("report", "--extract", str(extract.manifest), code=2)
    common = ("report", "--extract", str(extract.manifest), "--out", str(tmp_path))
    assert "--paper" in cli(*common, "--paper", "A3", code=2)
    assert "CASE" in cli("report", "LD-x", code=2)
    assert "CASE" in cli("report", code=2)
    wrong = tmp_path / "entries.jsonl"
    wrong.write_text('{"a": 1}\n')
    assert "SHA-256 differs" in cli(*common, "--entries", str(wrong), code=2)
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello")
    assert "--extract" in cli("report", "--extract", str(not_json), "--out", str(tmp_path), code=2)
    assert "--out" in cli("report", "LD-1", "--out", str(tmp_path), code=2)


def test_a_case_without_an_extract_fails_clearly(cli: Cli, database_url: str) -> None:
    from tests.report.conftest import open_case

    case_id = open_case(database_url, Route.SUPPORT, owner=SUPPORT)
    error = cli("report", f"LD-{case_id}", "--no-findings", code=1)
    assert "no sealed extract" in error
