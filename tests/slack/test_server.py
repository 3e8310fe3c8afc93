"""The HTTP surface: health, metrics, and Slack's signature checks."""

from __future__ import annotations

import time

from tests.slack.harness import Bot


def test_healthz_and_metrics(bot: Bot) -> None:
    assert bot.http.get(f"{bot.url}/healthz").json() == {"ok": True}
    bot.command("help")
    metrics = bot.http.get(f"{bot.url}/metrics").text
    assert 'logdive_http_requests_total{path="/slack/events",status="200"}' in metrics
    assert "logdive_http_request_seconds_bucket" in metrics


def test_forged_signature_is_refused(bot: Bot) -> None:
    response = bot.signed_post("command=/security&text=help&user_id=U0CSM0001", secret="not-the-secret")
    assert response.status_code == 401
    assert bot.slack.calls == []


def test_stale_signature_is_refused(bot: Bot) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    response = bot.signed_post("command=/security&text=help&user_id=U0CSM0001", timestamp=six_minutes_ago)
    assert response.status_code == 401


def test_unsigned_request_is_refused(bot: Bot) -> None:
    response = bot.http.post(
        f"{bot.url}/slack/events",
        content=b"command=/security",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


def test_the_server_serves_one_time_downloads_and_refuses_unknown_links(bot: Bot) -> None:
    page = bot.http.get(f"{bot.url}/artefacts/download/not-a-real-token")
    assert page.status_code == 410  # a GET only shows what a link holds; this one holds nothing
    assert "<form" not in page.text and "cannot be used" in page.text
    refused = bot.http.post(f"{bot.url}/artefacts/download/not-a-real-token")
    assert refused.status_code == 503  # this server has no artefact key ring: nothing can be handed over
    assert "LOGDIVE_ARTEFACT_KEY" in refused.text
