"""`logdive socket`: how fast it acknowledges an envelope and how fast it stops on SIGTERM.

    .venv/bin/python -m benchmarks.socket_mode [--requests 200] [--rounds 3]

The unit tests (tests/slack/test_socket_mode.py) only fail on a hang; these are the figures. The bot runs
as in production, a process of its own against the Slack stand-in's Socket Mode link and a fresh SQLite
database. Per round: `--requests` `/security help` envelopes one after another (answered in the
acknowledgement itself), then SIGTERM and the seconds until the process has exited 0. The figures are
given as ratios to the budgets they must meet: Slack's 3 s for an acknowledgement (target: p99 ≤ 0.05×)
and the 10 s Docker gives a container before SIGKILL (Kubernetes gives 30 s; target: ≤ 0.5×).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.sandbox.slack import SlackStandIn, SocketModeStandIn
from bot.sandbox.slack.socket_mode import ACK_DEADLINE_SECONDS
from tests.slack.bot_process import APP_TOKEN, LOGDIVE, bot_env
from tests.slack.harness import CSM, GROUPS, USERS, command_payload


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def one_round(requests: int, workdir: Path) -> tuple[list[float], float]:
    link = SocketModeStandIn(app_token=APP_TOKEN)
    slack = SlackStandIn(users=USERS, usergroups=GROUPS, socket_mode=link).start()
    database_url = f"sqlite:///{workdir / 'logdive.db'}"
    env = bot_env(slack, database_url, workdir)
    subprocess.run([str(LOGDIVE), "db", "upgrade"], env=env, cwd=workdir, check=True, capture_output=True)
    log = (workdir / "socket.log").open("wb")
    process = subprocess.Popen(
        [str(LOGDIVE), "socket"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        link.wait_for_connection(1, timeout=60)
        seconds = []
        for n in range(requests):
            payload = command_payload("help", CSM, slack.response_url(f"b{n}"), f"trigger-b{n}")
            seconds.append(link.wait_for_ack(link.push("slash_commands", payload), timeout=60).seconds)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        stop = time.monotonic() - started
        if code != 0:
            raise SystemExit(f"logdive socket exited {code}; see {workdir / 'socket.log'}")
        return seconds, stop
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
        slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    acks: list[float] = []
    stops: list[float] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="logdive-bench-socket-") as tmp:
            seconds, stop = one_round(args.requests, Path(tmp))
        acks += seconds
        stops.append(stop)
    p50, p99 = _percentile(acks, 0.5), _percentile(acks, 0.99)
    print(f"acknowledgements: {len(acks)}; p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, ", end="")
    print(f"max {max(acks) * 1000:.1f} ms ({p99 / ACK_DEADLINE_SECONDS:.3f}× Slack's 3 s at p99)")
    print(f"stop after SIGTERM: median {statistics.median(stops):.2f} s, max {max(stops):.2f} s ", end="")
    print(f"({max(stops) / 10:.2f}× a 10 s grace period)")


if __name__ == "__main__":
    sys.exit(main())
