"""Sources beyond local files: paths, globs, directories, gzip, and s3:// through fsspec against a local
S3 (moto in server mode, a real HTTP endpoint, not a mock of fsspec); LOGDIVE_LOG_SOURCES by {date}."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.extract.sources import Source, SourceError, expand, expand_existing, for_window, window_days
from tests.extract import synthetic
from tests.extract.conftest import Extract, make_request, make_spec
from tests.local_s3 import local_s3
from workflows.catalog import Catalog


def _scenario_bytes() -> bytes:
    return b"\n".join(synthetic.encode(s.entry for s in synthetic.scenarios())) + b"\n"


def test_paths_globs_and_directories_expand_in_order_each_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "2026-11-02").mkdir(parents=True)
    (logs / "2026-11-01").mkdir()
    for day in ("2026-11-01", "2026-11-02"):
        (logs / day / "production_json.log").write_bytes(b"{}\n")
        (logs / day / "api_json.log.gz").write_bytes(gzip.compress(b"{}\n"))
    (logs / ".hidden").write_bytes(b"x")
    by_dir = [s.url for s in expand([logs])]
    assert by_dir == sorted(by_dir) and len(by_dir) == 4 and not any(".hidden" in u for u in by_dir)
    by_glob = expand([str(logs / "*" / "production_json.log"), str(logs / "2026-11-01")])
    assert [s.name for s in by_glob] == ["production_json.log", "production_json.log", "api_json.log.gz"]
    with pytest.raises(SourceError, match=r"nothing\.log: names no file"):
        expand([tmp_path / "nothing.log"])
    with pytest.raises(SourceError, match=r"no reader for nope://"):
        expand(["nope://bucket/x.log"])


def test_log_sources_setting_names_each_day_of_the_window(tmp_path: Path) -> None:
    start, end = datetime(2026, 11, 1, 12, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    assert [d.isoformat() for d in window_days(start, end)] == ["2026-11-01", "2026-11-02"]
    patterns = {"production_json": str(tmp_path / "{date}" / "production_json.log*"),
                "api_json": "s3://logs/{date:%Y/%m/%d}/api_json.log.gz"}  # fmt: skip
    specs = for_window(patterns, start, end)
    assert specs == [
        "s3://logs/2026/11/01/api_json.log.gz",
        "s3://logs/2026/11/02/api_json.log.gz",
        str(tmp_path / "2026-11-01" / "production_json.log*"),
        str(tmp_path / "2026-11-02" / "production_json.log*"),
    ]
    (tmp_path / "2026-11-02").mkdir()
    (tmp_path / "2026-11-02" / "production_json.log.1.gz").write_bytes(gzip.compress(b"{}\n"))
    found, missing = expand_existing(specs[2:])
    assert [s.name for s in found] == ["production_json.log.1.gz"] and missing == [specs[2]]
    with pytest.raises(SourceError, match="LOGDIVE_LOG_SOURCES"):
        for_window({"x": "{day}"}, start, end)


# -- S3 through moto's server --------------------------------------------------------------------------
@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3 endpoint with a `logs` bucket; the env points boto at it."""
    with local_s3(monkeypatch, "logs") as (endpoint, _fs):
        yield endpoint


def test_s3_plain_and_gzip_read_like_local_files(
    s3: str, catalog: Catalog, tmp_path: Path, extract: Extract
) -> None:
    import s3fs

    data = _scenario_bytes()
    fs = s3fs.S3FileSystem()
    fs.pipe("logs/2026-11-03/production_json.log", data)
    fs.pipe("logs/2026-11-03/production_json.log.1.gz", gzip.compress(data))
    local = tmp_path / "production_json.log"
    local.write_bytes(data)
    local_gz = tmp_path / "production_json.log.1.gz"
    local_gz.write_bytes(gzip.compress(data))

    remote = expand(["s3://logs/2026-11-03/"])
    assert [s.url for s in remote] == [
        "s3://logs/2026-11-03/production_json.log",
        "s3://logs/2026-11-03/production_json.log.1.gz",
    ]
    assert [s.size for s in remote] == [len(data), local_gz.stat().st_size]
    spec = make_spec(catalog, make_request())
    from_s3, s3_entries, _ = extract(remote, spec)
    from_disk, disk_entries, _ = extract([local, local_gz], spec)
    assert s3_entries == disk_entries and len(s3_entries) == 2 * sum(
        s.keep_all for s in synthetic.scenarios()
    )
    assert [(r.name, r.sha256, r.lines, r.kept, r.compressed) for r in from_s3.inputs] == [
        (r.name, r.sha256, r.lines, r.kept, r.compressed) for r in from_disk.inputs
    ]
    # split into byte ranges across two processes: the same entries
    split, split_entries, _ = extract(remote[:1], spec, workers=2, chunk_bytes=4096, min_parallel_bytes=0)
    assert split.workers == 2 and split_entries == s3_entries[: len(split_entries)]
    assert len(split_entries) == len(s3_entries) // 2


def test_s3_glob_and_a_missing_key(s3: str) -> None:
    import s3fs

    s3fs.S3FileSystem().pipe("logs/a/api_json.log", b"{}\n")
    assert [s.url for s in expand(["s3://logs/*/api_json.log"])] == ["s3://logs/a/api_json.log"]
    with pytest.raises(SourceError, match="names no file"):
        expand(["s3://logs/b/api_json.log"])
    assert Source("s3://logs/a/api_json.log", 3).open().read() == b"{}\n"


@pytest.mark.parametrize("value", ["not json", '{"production_json": 3}', '["a"]'])
def test_a_malformed_log_sources_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from bot.settings import SettingsError, get_settings

    monkeypatch.setenv("LOGDIVE_LOG_SOURCES", value)
    get_settings.cache_clear()
    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert caught.value.setting == "LOGDIVE_LOG_SOURCES"
