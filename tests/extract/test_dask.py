"""The same extraction on a Dask cluster (distributed.LocalCluster, two workers) as on one core: identical
lines in the same order, identical manifest counts, and no pseudonym key in what the workers log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.extract import synthetic
from tests.extract.conftest import Extract, make_request, make_spec
from workflows.catalog import Catalog

distributed = pytest.importorskip("distributed", reason="dask[distributed] is in the test extra")


@pytest.fixture(scope="module", params=[False, True], ids=["threads", "processes"])
def client(request: pytest.FixtureRequest) -> Iterator[object]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=request.param, dashboard_address=":0"
    )
    with distributed.Client(cluster, set_as_default=False) as connected:
        yield connected
    cluster.close()


def _signature(result: object) -> tuple:
    inputs = [
        (r.name, r.sha256, r.lines, r.candidates, r.malformed, r.kept, r.truncated, dict(r.kinds))
        for r in result.inputs  # type: ignore[attr-defined]
    ]
    return inputs, dict(result.rejected), dict(result.redactions), result.summary, result.kept  # type: ignore[attr-defined]


def test_a_dask_cluster_writes_the_same_bytes_as_one_core(
    client: object, catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    spec = make_spec(catalog, make_request())
    local, _, local_out = extract(planted_logs, spec, workers=1)
    # tiny partitions: the plain file is cut mid-line many times over; each gzip file is one partition
    on_dask, _, dask_out = extract(planted_logs, spec, dask=client, chunk_bytes=16_384)
    assert local_out is not None and dask_out is not None
    assert dask_out.read_bytes() == local_out.read_bytes() and local.kept > 0
    assert _signature(on_dask) == _signature(local)
    assert on_dask.workers == 2 and on_dask.entries_sha256 == local.entries_sha256


def test_support_summary_on_dask_matches(
    client: object, catalog: Catalog, planted_logs: list[Path], extract: Extract
) -> None:
    from workflows.assessment import Route

    spec = make_spec(catalog, make_request(personal_data=False), Route.SUPPORT)
    local, _, _ = extract(planted_logs, spec)
    on_dask, entries, out = extract(planted_logs, spec, dask=client, chunk_bytes=16_384)
    assert out is None and entries == [] and on_dask.entries_path is None
    assert _signature(on_dask) == _signature(local)


def test_the_pseudonym_key_never_reaches_a_log(
    client: object,
    catalog: Catalog,
    planted_logs: list[Path],
    extract: Extract,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = make_spec(catalog, make_request(), case="LD-77")
    caplog.set_level(logging.DEBUG)
    extract(planted_logs, spec, dask=client, chunk_bytes=16_384)
    key = spec.rules.case_key
    assert key.hex() not in caplog.text and repr(key) not in caplog.text
    assert key.hex() not in repr(spec) and repr(key) not in repr(spec)


def test_an_unreachable_scheduler_is_named(tmp_path: Path) -> None:
    from bot.extract.on_dask import DaskUnavailable, connect

    with pytest.raises(DaskUnavailable, match="could not be reached"):
        connect("tcp://127.0.0.1:1", timeout=2)


def test_the_command_runs_on_the_scheduler_it_is_given(
    gitlab_env: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from bot.cli.extract import register

    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(lambda: None)
    register(app)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "request.json").write_text(json.dumps(synthetic.request_data()))
    lines = list(synthetic.encode(s.entry for s in synthetic.scenarios()))
    log = synthetic.write_log(tmp_path / "production_json.log", lines)
    common = ["extract", "--request", "request.json", str(log), "--route", "security", "-q"]
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster:
        on_dask = CliRunner().invoke(app, [*common, "--case-id", "D", "--dask", cluster.scheduler_address])
    here = CliRunner().invoke(app, [*common, "--case-id", "D", "--out", "here.jsonl"])
    assert on_dask.exit_code == 0 and here.exit_code == 0, on_dask.output + here.output
    assert (tmp_path / "D-extract.jsonl").read_bytes() == (tmp_path / "here.jsonl").read_bytes()
    manifest = json.loads((tmp_path / "D-extract.manifest.json").read_text())
    assert manifest["workers"] == 2 and manifest["entries"]["count"] > 0
    unreachable = CliRunner().invoke(app, [*common, "--case-id", "E", "--dask", "tcp://127.0.0.1:1"])
    assert unreachable.exit_code == 2 and "--dask" in unreachable.output
