"""The one place a python-gitlab client is built, from the settings."""

from __future__ import annotations

from typing import Any

import gitlab
import requests

from bot.logs import get_logger
from bot.settings import Settings

log = get_logger(__name__)


class _BoundedRetriesGitlab(gitlab.Gitlab):
    """python-gitlab takes `max_retries` per call only (default 10: ~100 s of back-off on a dead
    GitLab). This client applies the deployment's bound to every call that does not name its own."""

    def __init__(self, *args: Any, max_retries: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retries = max_retries

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("max_retries", self.max_retries)
        return super().http_request(verb, path, *args, **kwargs)


def make_gitlab(settings: Settings) -> gitlab.Gitlab:
    """A client for GITLAB_URL with GITLAB_TOKEN: timeouts, retries of 429 (after Retry-After) and 5xx.

    Pagination links are followed on GITLAB_URL's own host (`keep_base_url`), so a proxy that rewrites
    hosts can never send the token elsewhere.
    """
    token = settings.gitlab_token.get_secret_value() if settings.gitlab_token else None
    client = _BoundedRetriesGitlab(
        settings.gitlab_url,
        private_token=token,
        timeout=settings.gitlab_timeout_seconds,
        retry_transient_errors=True,
        keep_base_url=True,
        user_agent="logdive (python-gitlab)",
        max_retries=settings.gitlab_max_retries,
    )
    log.info(
        "gitlab.client",
        url=settings.gitlab_url,
        has_token=token is not None,
        timeout_seconds=settings.gitlab_timeout_seconds,
        max_retries=settings.gitlab_max_retries,
    )
    return client
