"""One exit-code rule for a stop signal, `logdive demo` included: SIGTERM or SIGINT is a clean stop, exit 0
(the demo exited 143 on SIGTERM), and the sandbox's temporary files go with it."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.demo.conftest import demo_process

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_demo_exits_0_on_a_stop_signal(tmp_path: Path, signum: signal.Signals) -> None:
    with demo_process(tmp_path) as (url, process):
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        assert list((tmp_path / "tmp").iterdir()), "the sandbox keeps its database in a temporary directory"
        process.send_signal(signum)
        code = process.wait(timeout=60)
    output = (tmp_path / "stderr.log").read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert list((tmp_path / "tmp").iterdir()) == [], "the sandbox's temporary files outlived it"
