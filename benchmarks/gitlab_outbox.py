"""SIRT issues for concurrent submissions: time until every issue exists, against one-at-a-time.

    .venv/bin/python -m benchmarks.gitlab_outbox [--cases 100] [--baseline 20] [--gitlab-ms 300]
                                                 [--concurrency 8]

The bot runs for real (uvicorn, the Bolt app, the outbox, SQLite in /tmp) against the Slack and GitLab
stand-ins; every GitLab API call answers after --gitlab-ms. Submissions are signed `/security` intake
modals posted to /slack/events, each becoming a case whose SIRT issue the outbox creates (a search for
its marker, then the create) and whose Slack thread it posts.

- Baseline, one at a time: submit one, wait until its issue exists, then the next (--baseline of them).
- Concurrent: --cases submissions posted at once; time until all their issues exist, and the
  submissions' acknowledgement latency (Slack's limit is 3 s).
Printed: both, and the ratio (one-at-a-time time per issue × cases) / concurrent time. Every run checks
one issue per case, none twice.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db.engine import upgrade  # noqa: E402 -- after the path set-up
from bot.logs import configure_logging  # noqa: E402
from bot.sandbox.gitlab import REPORTER, Fault, GitLabStandIn  # noqa: E402
from bot.sandbox.gitlab.issues import issues_of  # noqa: E402
from bot.sandbox.slack import SlackStandIn  # noqa: E402
from tests.slack.harness import GROUPS, USERS, FactsDirectory, form_values, start_bot, stop_bot  # noqa: E402

SIRT_PROJECT = "gl-security/sirt/operations"
MARKER = re.compile(r"<!-- logdive-case:(\d+) -->")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=20, help="one-at-a-time submissions measured")
    parser.add_argument(
        "--gitlab-ms", type=float, default=300.0, help="each GitLab API answer takes this long"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="LOGDIVE_OUTBOX_CONCURRENCY")
    args = parser.parse_args()
    configure_logging("ERROR")

    gitlab = GitLabStandIn().start()
    state = gitlab.state
    security = state.add_group("gl-security")
    state.add_group("gl-security/sirt")
    sirt = state.add_project(SIRT_PROJECT)
    state.add_member(security, state.add_user("sirt-sam"), REPORTER)
    state.add_token("glpat-standin", gitlab.bot)
    gitlab.faults.add(Fault(delay=args.gitlab_ms / 1000, times=None))  # every API call
    tracker = issues_of(gitlab)
    slack = SlackStandIn(users=USERS, usergroups=GROUPS).start()
    with tempfile.TemporaryDirectory(prefix="logdive-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        bot, server, thread = start_bot(
            url,
            slack,
            FactsDirectory(),
            gitlab_url=gitlab.url,
            sirt_project=SIRT_PROJECT,
            outbox_concurrency=args.concurrency,
            gitlab_timeout_seconds=30.0,
            log_level="ERROR",
        )
        try:

            def issues() -> int:
                return len(tracker.in_project(sirt))

            def wait_for(count: int, timeout: float = 600.0) -> None:
                deadline = time.monotonic() + timeout
                while issues() < count:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"only {issues()} of {count} issues after {timeout} s")
                    time.sleep(0.005)

            # Modals opened beforehand: what is timed is submission → issue.
            views = [bot.open_intake() for _ in range(args.baseline + args.cases)]

            one_at_a_time = []
            for n in range(args.baseline):
                started = time.perf_counter()
                answer = bot.submit(form_values(ticket=f"B-{n}"), view_id=views[n])
                assert answer.status_code == 200, answer.status_code
                wait_for(n + 1)
                one_at_a_time.append(time.perf_counter() - started)

            acks: list[float] = []

            def submit(n: int) -> None:
                started = time.perf_counter()
                answer = bot.submit(form_values(ticket=f"C-{n}"), view_id=views[args.baseline + n])
                acks.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.cases) as pool:
                list(pool.map(submit, range(args.cases)))
            wait_for(args.baseline + args.cases)
            concurrent = time.perf_counter() - started

            per_case = Counter(
                int(m.group(1)) for i in tracker.in_project(sirt) for m in [MARKER.search(i.description)] if m
            )
            duplicates = sum(n - 1 for n in per_case.values())
            cases_made = len(bot.cases())
            calls = Counter(
                f"{r.method} {re.sub(r'/projects/[^/]+', '/projects/:id', r.path.removeprefix('/api/v4'))}"
                for r in gitlab.requests
            )
        finally:
            stop_bot(bot, server, thread)
            slack.stop()
            gitlab.stop()

    per_issue = statistics.mean(one_at_a_time)
    ordered = sorted(acks)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"GitLab answering in {args.gitlab_ms:.0f} ms per call; outbox concurrency {args.concurrency}")
    median = statistics.median(one_at_a_time)
    print(f"one at a time ({args.baseline}): {per_issue:.2f} s per issue (median {median:.2f} s)")
    each = concurrent / args.cases * 1000
    print(f"{args.cases} at once: every issue after {concurrent:.1f} s ({each:.0f} ms per issue)")
    print(f"ratio (one-at-a-time × {args.cases} / at once): {per_issue * args.cases / concurrent:.1f}×")
    p50 = statistics.median(acks) * 1000
    print(f"acknowledgements of the {args.cases} submissions: p50 {p50:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"cases {cases_made}, issues {sum(per_case.values())}, duplicates {duplicates}")
    print("GitLab calls: " + ", ".join(f"{n} {call}" for call, n in calls.most_common()))
    return 0 if duplicates == 0 and sum(per_case.values()) == cases_made else 1


if __name__ == "__main__":
    sys.exit(main())
