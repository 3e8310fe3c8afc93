"""The Grafana dashboard and the Prometheus alerts query only metrics a running `logdive serve` exports."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.slack import SlackStandIn
from tests.slack.bot_process import LOGDIVE, bot_env, closed_port
from tests.slack.harness import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
METRIC = re.compile(r"\blogdive_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}

pytestmark = pytest.mark.timeout(120)


def alert_rules() -> list[dict]:
    return [
        rule
        for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"]
        for rule in group["rules"]
    ]


def dashboard_queries() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`logdive serve` as shipped, after a few requests; its base URL."""
    slack = SlackStandIn().start()
    port = closed_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(LOGDIVE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=bot_env(
            slack, f"sqlite:///{tmp_path / 'logdive.db'}", tmp_path, SLACK_SIGNING_SECRET=SIGNING_SECRET
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.1)
        httpx.post(f"{base}/slack/events", content=b"x=1")  # unsigned: 401, counted
        httpx.post(f"{base}/gitlab/webhook", content=b"{}")  # no token: refused, counted
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        slack.stop()


def last_tick(exposition: str) -> float:
    samples = [s for f in text_string_to_metric_families(exposition) for s in f.samples]
    return next(s.value for s in samples if s.name == "logdive_last_tick_timestamp_seconds")


def scrape_after_a_tick(base: str) -> str:
    """/metrics once the process has finished its first tick (it starts with the server)."""
    deadline = time.monotonic() + 60
    while True:
        exposition = httpx.get(f"{base}/metrics").text
        if last_tick(exposition) > 0 or time.monotonic() > deadline:
            return exposition
        time.sleep(0.2)


def exported(exposition: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_every_query_names_only_metrics_the_server_exports(server: str) -> None:
    names = exported(scrape_after_a_tick(server))
    queries = [rule["expr"] for rule in alert_rules()] + dashboard_queries()
    assert len(queries) >= 10
    for query in queries:
        used = set(METRIC.findall(query))
        assert used, f"{query!r} queries no Logdive metric"
        assert used <= names, f"{query!r} names {sorted(used - names)}, which /metrics does not export"


def test_the_alerts_cover_overdue_updates_parked_items_sla_breaches_and_a_stalled_tick(server: str) -> None:
    by_metric = {m: rule["alert"] for rule in alert_rules() for m in METRIC.findall(rule["expr"])}
    assert {"logdive_overdue_updates", "logdive_outbox_backlog", "logdive_sla_breaches_total"} <= set(
        by_metric
    )
    stalled = next(rule for rule in alert_rules() if rule["alert"] == "LogdiveNoTick")
    assert "logdive_last_tick_timestamp_seconds" in stalled["expr"] and "300" in stalled["expr"]
    # The tick gauge is live: a real Unix time from this process's first tick.
    assert last_tick(scrape_after_a_tick(server)) > time.time() - 3600
