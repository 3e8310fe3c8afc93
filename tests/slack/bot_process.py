"""`logdive serve` and `logdive socket` as subprocesses: the environment they run with."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from bot.sandbox.slack import SlackStandIn
from tests.slack.harness import BOT_TOKEN, CASE_CHANNEL

LOGDIVE = Path(sys.executable).with_name("logdive")
APP_TOKEN = "xapp-1-A0LOGDIVE-4242-standinappsecret"


def closed_port() -> int:
    """A local port nothing listens on: GitLab, which these tests must never need."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(
    slack: SlackStandIn, database_url: str, tmp_path: Path, **overrides: str | None
) -> dict[str, str]:
    """What `logdive socket` and `serve` need (bot/runtime.py REQUIRED), and the harness's role groups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITLAB_", "LOGDIVE_"))}
    env.pop("DATABASE_URL", None)
    settings: dict[str, str | None] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "GITLAB_URL": f"http://127.0.0.1:{closed_port()}",
        "GITLAB_TOKEN": "glpat-standin",
        "LOGDIVE_GITLAB_MAX_RETRIES": "0",
        "LOGDIVE_CASE_CHANNEL": CASE_CHANNEL,
        "LOGDIVE_SIRT_PROJECT": "gitlab-com/gl-security/sirt/logdive",
        "LOGDIVE_AUDIT_GAP_PROJECT": "gitlab-com/gl-security/sirt/audit-gaps",
        "LOGDIVE_CSM_GROUP": "S0CSM",
        "LOGDIVE_SUPPORT_GROUP": "S0SUP",
        "LOGDIVE_SIRT_GROUP": "S0SIR",
        "LOGDIVE_LEGAL_GROUP": "S0LEG",
        "LOGDIVE_ARTEFACT_DIR": str(tmp_path / "artefacts"),
        "LOGDIVE_LOG_LEVEL": "INFO",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
        **overrides,
    }
    env.update({k: v for k, v in settings.items() if v is not None})
    return env
