"""Acknowledgement latency of /security and button clicks at 50 concurrent requests, GitLab slow.

    .venv/bin/python benchmarks/slack_ack.py [--requests 500] [--concurrency 50] [--gitlab-delay 0.5]

Three processes, as in production: the bot (uvicorn + the Bolt app + SQLite), the Slack Web API stand-in
(it validates every view with slack_sdk.models, which costs CPU that must not be charged to the
measuring client), and this load generator. The customer directory answers each look-up after
--gitlab-delay seconds, and intake submissions that need it keep arriving throughout.

Two shapes of "50 concurrent":
- burst: 50 requests sent at the same moment (50 people clicking at once), all acknowledged, then the
  bot finishes the follow-up work (every modal opened, every refusal told) before the next burst.
- sustained: 50 clients each sending its next request as soon as the last is answered, so the bot is
  never idle; latency there is queueing (Little's law: latency ~ 50 / throughput), reported with the
  throughput and the bot's CPU per request.
Baseline: GET /healthz in the same shape, in the same run. Target: p99 <= 50 ms (Slack's limit is 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import uvloop
from rich.console import Console
from rich.table import Table
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.slack.harness import (  # noqa: E402 -- after the path set-up
    BOT_TOKEN,
    CASE_CHANNEL,
    CSM,
    GROUPS,
    NOBODY,
    SIGNING_SECRET,
    TEAM,
    USERS,
    form_values,
)

# The customer as GitLab knows it: the form's namespace, contact and project (tests.slack.harness).
SEED = {
    "users": [{"username": "alice-acme"}, {"username": "sirt-sam"}],
    "groups": [
        {"full_path": "acme-corp", "plan": "ultimate"},
        {"full_path": "gl-security"},
        {"full_path": "gl-security/sirt"},
    ],
    "projects": [{"full_path": "acme-corp/api"}, {"full_path": "gl-security/sirt/operations"}],
    "members": [
        {"source": "acme-corp", "username": "alice-acme", "access_level": 50},
        {"source": "gl-security", "username": "sirt-sam", "access_level": 20},
    ],
}

# What the follow-up work shows at the Slack stand-in (successful calls).
WORK = ("views.open", "chat.postEphemeral", "views.update", "chat.postMessage")
BASELINE = "GET /healthz (baseline)"
Make = Callable[[int], str] | None  # a request body for request n; None: GET /healthz


# -- the Slack stand-in, in its own process -----------------------------------------------------------


def serve_slack(control: Connection) -> None:
    """Run the stand-in; answer the benchmark's questions about what it recorded until told to stop."""
    from bot.sandbox.slack import SlackStandIn

    standin = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    control.send(standin.origin)
    while True:
        question, *args = control.recv()
        if question == "stop":
            standin.stop()
            control.send(None)
            return
        if question == "count":  # successful calls to a method
            control.send(len(standin.calls_to(args[0], ok=True)))
        elif question == "failed":
            control.send(standin.summary() if standin.failed_calls() else [])
        elif question == "decisions":  # intake modals that ended on a decision (a header block)
            control.send(
                [
                    c.args["view"]["blocks"][0]["text"]["text"]
                    for c in standin.calls_to("views.update", ok=True)
                    if c.args["view"]["blocks"][0]["type"] == "header"
                ]
            )
        elif question == "claim_button":  # (message ts, button value) of a case message's Claim
            control.send(
                next(
                    (
                        (c.response["ts"], element["value"])
                        for c in standin.calls_to("chat.postMessage", ok=True)
                        for block in c.args.get("blocks") or []
                        for element in block.get("elements") or []
                        if element.get("action_id") == "case.claim"
                    ),
                    None,
                )
            )
        elif question == "first_view":
            control.send(standin.calls_to("views.open", ok=True)[0].response["view"]["id"])


class Slack:
    def __init__(self) -> None:
        self._control, theirs = multiprocessing.get_context("spawn").Pipe()
        self._process = multiprocessing.get_context("spawn").Process(target=serve_slack, args=(theirs,))
        self._process.start()
        self.origin: str = self._control.recv()

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0)

    def ask(self, *question: str) -> Any:
        self._control.send(question)
        return self._control.recv()

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(timeout=10)

    async def wait_for(self, question: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while (answer := self.ask(question)) is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"{question}: nothing after {timeout} s")
            await asyncio.sleep(0.1)
        return answer

    async def wait_count(self, method: str, expected: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while (seen := self.ask("count", method)) < expected:
            if time.monotonic() > deadline:
                failed = self.ask("failed")
                raise SystemExit(
                    f"{method}: {seen} of {expected} calls after {timeout} s; refused: {failed[-5:]}"
                )
            await asyncio.sleep(0.01)


# -- requests ------------------------------------------------------------------------------------------


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body),
    }


def command_body(n: int, origin: str) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "user_id": CSM,
            "command": "/security",
            "text": "",
            "api_app_id": "A0LOGDIVE",
            "response_url": f"{origin}/response/b{n}",
            "trigger_id": f"bench-{n}",
        }
    )


def click_body(n: int, origin: str, button: tuple[str, str]) -> str:
    """Claim on a real case message by someone with no role: acknowledged, refused to them alone, recorded."""
    message_ts, value = button
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": NOBODY},
        "api_app_id": "A0LOGDIVE",
        "trigger_id": f"bench-click-{n}",
        "channel": {"id": CASE_CHANNEL},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CASE_CHANNEL},
        "message": {"ts": message_ts},
        "response_url": f"{origin}/response/click",
        "actions": [{"action_id": "case.claim", "block_id": "b", "value": value, "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)})


def submission_body(n: int, view_id: str) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": CSM},
        "api_app_id": "A0LOGDIVE",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "intake",
            "hash": "h",
            "private_metadata": json.dumps({"attempt": n, "tz": "UTC"}),
            "state": {"values": form_values()},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


async def one(client: aiohttp.ClientSession, url: str, request: tuple[str, dict[str, str]] | None) -> float:
    started = time.perf_counter()
    if request is None:
        async with client.get(f"{url}/healthz") as response:
            await response.read()
    else:
        body, headers = request
        async with client.post(f"{url}/slack/events", data=body, headers=headers) as response:
            await response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"HTTP {response.status}")
    return elapsed


def prepared(make: Make, numbers: range) -> list[tuple[str, dict[str, str]] | None]:
    """Bodies and signatures made before the clock starts: the client's work is not the bot's latency."""
    if make is None:
        return [None for _ in numbers]
    return [(body, signed(body)) for body in map(make, numbers)]


# -- the two shapes --------------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    cpu: dict[str, float]  # CPU seconds by process, until the follow-up work was done

    def cpu_ms_per_request(self, *names: str) -> float:
        return sum(self.cpu[name] for name in names) / len(self.latencies) * 1000

    def figures(self) -> tuple[float, float]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return statistics.median(ordered) * 1000, p99 * 1000


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU of each process and all its threads (Linux /proc), by name."""
    return {name: process_cpu(pid) for name, pid in pids.items()}


def cpu_since(pids: dict[str, int], before: dict[str, float]) -> dict[str, float]:
    return {name: seconds - before[name] for name, seconds in cpu_seconds(pids).items()}


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bursts(
    client: aiohttp.ClientSession,
    url: str,
    make: Make,
    total: int,
    size: int,
    settle: Callable[[int], Awaitable[None]],
    pids: dict[str, int],
) -> Result:
    latencies: list[float] = []
    cpu, seconds = dict.fromkeys(pids, 0.0), 0.0
    for first in range(0, total, size):
        batch = prepared(make, range(first, min(total, first + size)))
        cpu_before, started = cpu_seconds(pids), time.perf_counter()
        latencies += await asyncio.gather(*(one(client, url, request) for request in batch))
        await settle(first + len(batch))  # the follow-ups of this burst are done: the bot is idle again
        cpu = {name: cpu[name] + used for name, used in cpu_since(pids, cpu_before).items()}
        seconds += time.perf_counter() - started
    return Result(latencies, seconds, cpu)


async def sustained(
    client: aiohttp.ClientSession,
    url: str,
    make: Make,
    total: int,
    concurrency: int,
    settle: Callable[[int], Awaitable[None]],
    pids: dict[str, int],
) -> Result:
    requests = iter(prepared(make, range(total)))
    latencies: list[float] = []

    async def worker() -> None:
        for request in requests:
            latencies.append(await one(client, url, request))

    cpu_before, started = cpu_seconds(pids), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    await settle(total)  # CPU counted until the follow-up work is done, as for bursts
    return Result(latencies, seconds, cpu_since(pids, cpu_before))


async def background_submissions(
    client: aiohttp.ClientSession, url: str, view_id: str, stop: asyncio.Event
) -> int:
    n = 0
    while not stop.is_set():
        n += 1
        body = submission_body(n, view_id)
        async with client.post(f"{url}/slack/events", data=body, headers=signed(body)) as response:
            await response.read()
        await asyncio.sleep(0.05)
    return n


# -- the run -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Run:
    results: dict[str, dict[str, Result]]  # shape -> kind -> latencies
    submitted: int  # intake submissions sent during the measurements
    decisions: dict[str, int]  # what they ended on, once GitLab answered
    calls: dict[str, int]  # successful Slack calls the bot made, by method


async def run(args: argparse.Namespace, slack: Slack, url: str, pids: dict[str, int]) -> Run:
    origin = slack.origin
    connector = aiohttp.TCPConnector(limit=args.concurrency + 5)
    async with aiohttp.ClientSession(connector=connector) as client:
        for _ in range(200):
            try:
                async with client.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        else:
            raise SystemExit("the bot did not start")

        # Every request number is used once: trigger ids are single-use, as on Slack.
        numbers = iter(range(10**9))
        # One case, submitted through the intake modal like any other; its case message's Claim is clicked.
        await one(client, url, prepared(lambda _n: command_body(next(numbers), origin), range(1))[0])
        await slack.wait_count("views.open", 1)
        view_id = slack.ask("first_view")
        await one(client, url, prepared(lambda n: submission_body(n, view_id), range(1))[0])
        button = await slack.wait_for("claim_button")
        commands, clicks = 1, 0

        def kinds() -> dict[str, Make]:
            return {
                BASELINE: None,
                "/security": lambda _n: command_body(next(numbers), origin),
                "button click": lambda _n: click_body(next(numbers), origin, button),
            }

        async def settle(kind: str, done: int) -> None:
            if kind == "/security":
                await slack.wait_count("views.open", commands + done)
            elif kind == "button click":
                await slack.wait_count("chat.postEphemeral", clicks + done)

        # Warm-up with every connection opened: imports, auth.test, role look-ups, the blank form.
        warm_up = args.concurrency * 2
        for kind, make in kinds().items():
            await sustained(
                client, url, make, warm_up, args.concurrency, functools.partial(settle, kind), pids
            )
        commands, clicks = commands + warm_up, clicks + warm_up

        stop = asyncio.Event()
        load = asyncio.create_task(background_submissions(client, url, view_id, stop))
        results: dict[str, dict[str, Result]] = {"burst": {}, "sustained": {}}
        for kind, make in kinds().items():
            results["burst"][kind] = await bursts(
                client,
                url,
                make,
                args.requests,
                args.concurrency,
                functools.partial(settle, kind),
                pids,
            )
            commands += args.requests if kind == "/security" else 0
            clicks += args.requests if kind == "button click" else 0
        for kind, make in kinds().items():
            results["sustained"][kind] = await sustained(
                client, url, make, args.requests, args.concurrency, functools.partial(settle, kind), pids
            )
            commands += args.requests if kind == "/security" else 0
            clicks += args.requests if kind == "button click" else 0
        stop.set()
        submitted = await load
    # The slow work really happened: every submission ends on a decision once GitLab has answered.
    deadline = time.monotonic() + 120
    while len(decisions := slack.ask("decisions")) < submitted and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    if failed := slack.ask("failed"):
        raise SystemExit(f"the Slack stand-in refused calls: {failed[:5]}")
    return Run(
        results, submitted, dict(Counter(decisions)), {method: slack.ask("count", method) for method in WORK}
    )


def report(args: argparse.Namespace, outcome: Run) -> None:
    print(
        f"{args.requests} requests per kind and shape, {args.concurrency} concurrent; GitLab stand-in "
        f"{args.gitlab_delay * 1000:.0f} ms per call; {outcome.submitted} intake submissions meanwhile, "
        f"decided: {outcome.decisions}"
    )
    print("Slack calls the bot made:", ", ".join(f"{method} {n}" for method, n in outcome.calls.items()))
    table = Table(
        "shape",
        "kind",
        "p50 ms",
        "p99 ms",
        "p99 / baseline",
        "req/s",
        "CPU ms/req: bot",
        "stand-ins + client",
    )
    worst: dict[str, float] = {}
    for shape, kinds in outcome.results.items():
        _p50, base_p99 = kinds[BASELINE].figures()
        for kind, result in kinds.items():
            p50, p99 = result.figures()
            if kind != BASELINE:
                worst[shape] = max(worst.get(shape, 0.0), p99)
            table.add_row(
                shape,
                kind,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{p99 / base_p99:.2f}",
                f"{len(result.latencies) / result.seconds:.0f}",
                f"{result.cpu_ms_per_request('bot'):.2f}",
                f"{result.cpu_ms_per_request('slack', 'gitlab', 'client'):.2f}",
            )
    Console(width=120).print(table)
    for shape, p99 in worst.items():
        print(f"target p99 <= 50 ms, {shape}: {'met' if p99 <= 50 else 'NOT met'} (worst p99 {p99:.1f} ms)")


def gitlab_standin(tmp: Path, delay: float) -> tuple[subprocess.Popen[str], str, str]:
    """The GitLab REST stand-in in its own process, every API call answering after `delay` seconds."""
    seed = tmp / "seed.json"
    seed.write_text(json.dumps(SEED))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox.gitlab", "--seed", str(seed), "--delay", str(delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "GitLab stand-in listening on URL token=TOKEN"
    url, token = line.split(" on ", 1)[1].split()
    return process, url, token.removeprefix("token=")


def bot(tmp: Path, slack_origin: str, gitlab_url: str, gitlab_token: str, port: int) -> subprocess.Popen[str]:
    """`logdive serve`, as shipped, configured through the environment only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    env.pop("DATABASE_URL", None)
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_origin}/api/",
        "GITLAB_URL": gitlab_url,
        "GITLAB_TOKEN": gitlab_token,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "LOGDIVE_SIRT_PROJECT": "gl-security/sirt/operations",
        "LOGDIVE_AUDIT_GAP_PROJECT": "gl-security/sirt/operations",
        "LOGDIVE_CASE_CHANNEL": CASE_CHANNEL,
        "LOGDIVE_CSM_GROUP": "S0CSM",
        "LOGDIVE_SUPPORT_GROUP": "S0SUP",
        "LOGDIVE_SIRT_GROUP": "S0SIR",
        "LOGDIVE_LEGAL_GROUP": "S0LEG",
        "LOGDIVE_DIRECTORY_CACHE_SECONDS": "0",  # every submission asks the slow GitLab
        "LOGDIVE_LOG_LEVEL": "ERROR",
        "LOGDIVE_ARTEFACT_DIR": str(tmp / "artefacts"),
    }
    logdive = Path(sys.executable).with_name("logdive")
    return subprocess.Popen(
        [str(logdive), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp, env=env, text=True
    )


def main(args: argparse.Namespace) -> int:
    slack = Slack()
    try:
        with tempfile.TemporaryDirectory(prefix="logdive-bench-") as tmp:
            gitlab, gitlab_url, gitlab_token = gitlab_standin(Path(tmp), args.gitlab_delay)
            port = free_port()
            child = bot(Path(tmp), slack.origin, gitlab_url, gitlab_token, port)
            try:
                # uvloop, as the bot's server uses: the load generator's own overhead is measurement error.
                pids = {"bot": child.pid, "slack": slack.pid, "gitlab": gitlab.pid, "client": os.getpid()}
                outcome = uvloop.run(run(args, slack, f"http://127.0.0.1:{port}", pids))
            finally:
                for process in (child, gitlab):
                    process.terminate()
                    process.wait(timeout=10)
    finally:
        slack.stop()
    report(args, outcome)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gitlab-delay", type=float, default=0.5)
    raise SystemExit(main(parser.parse_args()))
