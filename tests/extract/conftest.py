"""Fixtures for the log-dive: the planted case, its logs on disk, and running an extraction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.catalog import load_catalog
from bot.extract.run import ExtractionResult, run_extraction
from bot.extract.scan import ExtractSpec
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.gitlab.state import DEVELOPER, OWNER
from tests.extract import synthetic
from tests.gitlab_standin.fixtures import gitlab_standin  # noqa: F401 -- the fixture
from workflows.assessment import Route
from workflows.catalog import Catalog
from workflows.log_selection import ExtractScope
from workflows.pseudonyms import case_key
from workflows.redaction import RedactionRules
from workflows.request import LogDiveRequest
from workflows.tenancy import KnownIds

EVENT_TYPES = ["sign_ins", "permission_changes"]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def make_request(**overrides: Any) -> LogDiveRequest:
    return LogDiveRequest.model_validate(synthetic.request_data(**overrides))


def make_spec(
    catalog: Catalog,
    request: LogDiveRequest,
    route: Route = Route.SECURITY,
    *,
    case: str = "LD-1",
    known: KnownIds | None = None,
) -> ExtractSpec:
    return ExtractSpec(
        scope=ExtractScope.from_request(request, catalog, known),
        rules=RedactionRules.for_case(request, route, case_key(case), known),
        write_entries=route is Route.SECURITY,
    )


@pytest.fixture(scope="session")
def planted_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three inputs: scenario lines among noise, with garbage and a truncated last line (plain); more noise
    (gzip); and the same scenarios again as a gzip file whose last line is cut off."""
    directory = tmp_path_factory.mktemp("planted")
    scenario_lines = list(synthetic.encode(s.entry for s in synthetic.scenarios()))
    noise_lines = list(synthetic.encode(synthetic.noise(1500)))
    first = synthetic.write_log(
        directory / "production_json.log",
        [
            *synthetic.interleave(scenario_lines, noise_lines),
            *synthetic.GARBAGE_LINES,
            synthetic.TRUNCATED_LAST_LINE,
        ],
        trailing=None,
    )
    second = synthetic.write_log(
        directory / "rotated.1.gz", list(synthetic.encode(synthetic.noise(800, seed=11))), compress=True
    )
    third = synthetic.write_log(
        directory / "mixed.log.gz",
        [*scenario_lines, synthetic.TRUNCATED_LAST_LINE],
        compress=True,
        trailing=None,
    )
    return [first, second, third]


Extract = Callable[..., tuple[ExtractionResult, list[dict[str, Any]], Path | None]]


@pytest.fixture
def extract(tmp_path: Path) -> Extract:
    """Run an extraction; returns the result, the kept entries as parsed JSON, and the entries file."""

    def run(
        paths: list[Path], spec: ExtractSpec, **options: Any
    ) -> tuple[ExtractionResult, list[dict[str, Any]], Path | None]:
        out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}.jsonl" if spec.write_entries else None
        result = run_extraction(paths, spec, entries_out=out, **options)
        entries = [orjson.loads(line) for line in out.read_bytes().splitlines()] if out else []
        return result, entries, out

    return run


@pytest.fixture
def gitlab(gitlab_standin: GitLabStandIn) -> GitLabStandIn:  # noqa: F811 -- uses the fixture
    """The planted case's customer in the GitLab stand-in: its group, projects and people."""
    state = gitlab_standin.state
    acme = state.add_group(synthetic.CUSTOMER, plan="premium")
    state.add_group(synthetic.GROUP)
    state.add_project(synthetic.PROJECT)
    state.add_project(f"{synthetic.GROUP}/svc")
    alice, bob = state.add_user(synthetic.REQUESTER), state.add_user(synthetic.SCOPE_USER)
    state.add_member(acme, alice, OWNER)
    state.add_member(acme, bob, DEVELOPER)
    state.add_group("beta-inc", plan="ultimate")
    state.add_project("beta-inc/secret-merger-2027")
    return gitlab_standin


@pytest.fixture
def gitlab_env(gitlab: GitLabStandIn, monkeypatch: pytest.MonkeyPatch) -> GitLabStandIn:
    """GITLAB_URL and GITLAB_TOKEN pointing at the stand-in, for commands run in this process."""
    from bot.settings import get_settings

    monkeypatch.setenv("GITLAB_URL", gitlab.url)
    monkeypatch.setenv("GITLAB_TOKEN", gitlab.token)
    monkeypatch.setenv("LOGDIVE_GITLAB_MAX_RETRIES", "0")
    get_settings.cache_clear()
    return gitlab
