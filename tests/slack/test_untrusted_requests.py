"""Requests nobody authenticated, against `logdive serve` as shipped: they cannot slow it, put their
content in its log, or make it read (or hold) more than the body limit."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack import SlackStandIn
from tests.slack.bot_process import Served, bot_env
from tests.slack.harness import CSM, GROUPS, SIGNING_SECRET, TEAM, USERS, command_payload, form_values

pytestmark = pytest.mark.timeout(240)

LIMIT = 256 * 1024  # LOGDIVE_MAX_BODY_BYTES for these servers
WEBHOOK_LIMIT = 512 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    slack = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    env = bot_env(
        slack,
        f"sqlite:///{tmp / 'logdive.db'}",
        tmp,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        LOGDIVE_GITLAB_WEBHOOK_SECRET="hook-secret",
        LOGDIVE_MAX_BODY_BYTES=str(LIMIT),
        LOGDIVE_MAX_WEBHOOK_BODY_BYTES=str(WEBHOOK_LIMIT),
    )
    server = Served(env, tmp / "serve.log").wait_ready()
    yield server
    server.stop()
    slack.stop()


def signed_headers(body: bytes, timestamp: int) -> dict[str, str]:
    ts = str(timestamp)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body),
    }


# -- item 1: a pathological unsigned body does not freeze the process --------------------------------


def test_pathological_unsigned_bodies_do_not_hold_up_other_requests(served: Served) -> None:
    """`a.a.a.…` made the old redaction regexes quadratic: 60 KB held the GIL ~20 s. Four 200 KB bodies
    go in at once; meanwhile /healthz and a signed /security are answered, each well within 10 s, and
    the bodies are refused (401) without any of their content in the log."""
    body = ("a." * 100_000).encode()
    refused: list[int] = []

    def post() -> None:
        with httpx.Client(timeout=120) as client:
            refused.append(
                client.post(
                    f"{served.url}/slack/events",
                    content=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                ).status_code
            )

    attackers = [threading.Thread(target=post) for _ in range(4)]
    for attacker in attackers:
        attacker.start()
    time.sleep(0.2)  # the bodies are on their way, or being handled
    with httpx.Client(timeout=10) as client:  # a generous bound: a frozen server never answers
        for _ in range(5):
            assert client.get(f"{served.url}/healthz").status_code == 200
            command = urlencode(command_payload("help", CSM, "http://127.0.0.1:9/response", "trigger-help"))
            answer = client.post(
                f"{served.url}/slack/events",
                content=command.encode(),
                headers=signed_headers(command.encode(), int(time.time())),
            )
            assert answer.status_code == 200 and "/security" in answer.text
    for attacker in attackers:
        attacker.join(timeout=60)
    assert refused == [401] * 4
    assert "a.a.a." not in served.log.read_text(errors="replace")


# -- item 2: nothing of an unverified body reaches the log -------------------------------------------

PLANTED = {
    "description": "Planted-description zebra-quartz-7731 & <secret plan>",
    "contact": "planted.person+logdive@example-customer.com",
    "ip": "203.0.113.177",
    "ticket": "ZD-99887766",
}


def _forms(value: str) -> set[str]:
    """Every spelling the value can take in a body: raw, URL-encoded both ways, JSON-escaped."""
    spellings = {value, quote_plus(value), quote(value), quote(value, safe=""), json.dumps(value)[1:-1]}
    spellings |= {quote_plus(json.dumps(value)[1:-1]), quote_plus(quote_plus(value))}
    return spellings


def test_a_late_signed_submission_is_refused_and_nothing_of_it_is_logged(served: Served) -> None:
    """A genuine intake submission delivered six minutes late (clock skew, a retry): refused, and its
    description, contact, IP and ticket appear in the log in no spelling, while the refusal is logged
    with its reason and length."""
    values = form_values(
        description=f"{PLANTED['description']} from {PLANTED['ip']}",
        contact=PLANTED["contact"],
        ticket=PLANTED["ticket"],
    )
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": CSM, "name": PLANTED["contact"]},
        "api_app_id": "A0LOGDIVE",
        "view": {"id": "V0LATE", "type": "modal", "callback_id": "intake", "state": {"values": values}},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    late = served_post(served, body, signed_headers(body, int(time.time()) - 6 * 60))
    forged_headers = {**signed_headers(body, int(time.time())), "X-Slack-Signature": "v0=00"}
    forged = served_post(served, body, forged_headers)
    assert (late, forged) == (401, 401)
    log = served.log.read_text(errors="replace")
    for name, value in PLANTED.items():
        for spelling in _forms(value):
            assert spelling not in log, f"{name} reached the log as {spelling!r}"
    refusals = [json.loads(line) for line in log.splitlines() if '"slack.request_refused"' in line]
    reasons = {(r["reason"], r["length"]) for r in refusals}
    assert {("stale timestamp", len(body)), ("bad signature", len(body))} <= reasons


def served_post(served: Served, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(f"{served.url}/slack/events", content=body, headers=headers, timeout=10).status_code


# -- item 3: a size limit before authentication, on every path ---------------------------------------


def _raw_request(port: int, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode())
    return sock


def _status(sock: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("path", "declared"),
    [
        ("/slack/events", LIMIT + 1),
        ("/gitlab/webhook", WEBHOOK_LIMIT + 1),
        ("/artefacts/download/some-token", LIMIT + 1),
        ("/slack/events", 100 * 1024 * 1024),
    ],
)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    served: Served, path: str, declared: int
) -> None:
    """Only the headers are sent: the 413 comes without the server waiting for (or reading) a byte."""
    with _raw_request(
        served.port,
        f"POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n",
    ) as sock:
        assert _status(sock) == 413


def test_bodies_within_the_limit_reach_authentication(served: Served) -> None:
    """The webhook has its own, larger limit; under it, a body gets as far as the token check."""
    big = b"{" + b" " * (LIMIT + 10) + b"}"
    refused = httpx.post(f"{served.url}/gitlab/webhook", content=big, timeout=10)
    assert refused.status_code == 401  # over the Slack limit, under the webhook's: the token decides
    assert httpx.post(f"{served.url}/slack/events", content=big, timeout=10).status_code == 413


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc for peak memory")
@pytest.mark.parametrize("path", ["/slack/events", "/gitlab/webhook"])
def test_a_chunked_body_without_length_is_cut_off_at_the_limit(served: Served, path: str) -> None:
    """A chunked body offering 256 MiB: the server answers 413 (or resets) once the limit is passed, stops
    reading, and its peak memory does not grow with what was offered."""
    offered, chunk = 256 * 1024 * 1024, b"a." * 32 * 1024
    peak_before = _peak_rss_kib(served.process.pid)
    sent, status = 0, None
    with _raw_request(
        served.port,
        f"POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
    ) as sock:
        sock.settimeout(5)
        try:
            while sent < offered:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered (or closed): stop offering
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            status = _status(sock)
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            pass  # it stopped reading: the client could not push the rest
    assert sent < 32 * 1024 * 1024, f"the server read {sent} bytes of a body over {LIMIT}"
    assert status in (413, None)
    grown_mib = (_peak_rss_kib(served.process.pid) - peak_before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB"
    assert httpx.get(f"{served.url}/healthz", timeout=10).status_code == 200
    assert served.log.stat().st_size < 1024 * 1024  # no body in the log either
