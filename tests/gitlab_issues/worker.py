"""An outbox worker in a process of its own, for fault runs: a `logdive serve` without the HTTP part.

    python -m tests.gitlab_issues.worker --database URL --gitlab URL --token T [--lease 2] [--idle-exit 3]

Ticks until killed, or until nothing has been due for --idle-exit seconds (then exits 0). Prints
`worker ready` once its runtime is built, so a test knows when to start counting.
"""

from __future__ import annotations

import argparse
import sys
import time

from bot import outbox
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.settings import Settings
from tests.gitlab_issues.conftest import FAST_RETRY, GAP_MARKER_SECRET, GAP_PROJECT, SIRT_HANDLE, SIRT_PROJECT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--gitlab", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--idle-exit", type=float, default=0.0, help="0: run until killed")
    args = parser.parse_args(argv)
    configure_logging("ERROR")
    settings = Settings(
        gitlab_url=args.gitlab,
        gitlab_token=args.token,
        gitlab_timeout_seconds=5.0,
        gitlab_max_retries=1,
        database_url=args.database,
        sirt_project=SIRT_PROJECT,
        audit_gap_project=GAP_PROJECT,
        gap_marker_secret=GAP_MARKER_SECRET,
        sirt_group_handle=SIRT_HANDLE,
        outbox_concurrency=args.concurrency,
    )
    runtime = Runtime(
        settings,
        lease_seconds=args.lease,
        retry=outbox.RetryPolicy(base_seconds=0.05, cap_seconds=0.3, max_attempts=50),
    )
    assert FAST_RETRY  # the same kind of back-off the in-process tests use
    print("worker ready", flush=True)
    idle_since = time.monotonic()
    while True:
        report = runtime.tick().get("deliver_outbox")
        if report is not None and report.claimed:
            idle_since = time.monotonic()
        elif args.idle_exit and time.monotonic() - idle_since > args.idle_exit:
            return 0
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
