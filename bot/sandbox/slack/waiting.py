"""Waiting on a stand-in: until a condition holds, woken whenever the stand-in records something."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def wait_until(
    changed: threading.Condition,
    predicate: Callable[[], Any],
    timeout: float,
    failure: Callable[[], str],
    *,
    poll: float = 0.05,
) -> Any:
    """predicate()'s first truthy value; AssertionError(failure()) after `timeout` seconds. The short
    `poll` covers changes the stand-in does not signal."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(failure())
        with changed:
            changed.wait(min(remaining, poll))
