"""The `gitlab_standin` pytest fixture: a fresh, empty GitLab stand-in running for one test.

Use it from any test folder with `from tests.gitlab_standin.fixtures import gitlab_standin` in that
folder's conftest.py. Seed through `gitlab_standin.state`; point Logdive at `gitlab_standin.url` with
the token `gitlab_standin.token` (an admin bot user).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.gitlab.server import GitLabStandIn


@pytest.fixture
def gitlab_standin() -> Iterator[GitLabStandIn]:
    with GitLabStandIn() as standin:
        yield standin
