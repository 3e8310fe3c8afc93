"""Run the GitLab stand-in as its own process, for multi-process tests.

    python -m bot.sandbox.gitlab --port 0 --seed seed.json [--delay 0.5]

Prints one line, `GitLab stand-in listening on http://127.0.0.1:PORT token=TOKEN`, then serves until
SIGTERM or SIGINT. The seed file is JSON in the shape `GitLabState.seed` takes.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from bot.sandbox.gitlab.faults import Fault
from bot.sandbox.gitlab.server import GitLabStandIn
from bot.sandbox.gitlab.state import GitLabState


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.gitlab", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--seed", type=Path, help="a JSON file of users, groups, projects, members, tokens")
    parser.add_argument("--delay", type=float, default=0.0, help="every API call answers after this long")
    args = parser.parse_args(argv)

    state = GitLabState()
    standin = GitLabStandIn(state, host=args.host, port=args.port)
    if args.seed:
        state.seed(json.loads(args.seed.read_text()))
    if args.delay:
        standin.faults.add(Fault(delay=args.delay, times=None))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with standin:
        print(f"GitLab stand-in listening on {standin.url} token={standin.token}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
