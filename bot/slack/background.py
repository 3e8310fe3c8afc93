"""Work a Slack handler hands on after it has acknowledged: tasks on the event loop, blocking calls in pools.

GitLab look-ups and database writes are blocking (python-gitlab, SQLAlchemy). They run in two separate
thread pools, so a slow GitLab can fill its own pool but never the one the database work needs, and
never the event loop that acknowledges Slack's requests.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.logs import describe_error, get_logger

log = get_logger(__name__)
T = TypeVar("T")


class Background:
    def __init__(self, *, gitlab_threads: int = 16, db_threads: int = 8) -> None:
        self._gitlab = ThreadPoolExecutor(max_workers=gitlab_threads, thread_name_prefix="gitlab")
        self._db = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="db")
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run after the acknowledgement; failures are logged by name, never lost silently."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error(
                "slack.background_failed",
                task=task.get_name(),
                error=type(exc).__name__,
                detail=describe_error(exc)[:300],
            )

    async def gitlab(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._gitlab, functools.partial(fn, *args, **kwargs)
        )

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._db, functools.partial(fn, *args, **kwargs)
        )

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let handed-on work finish (shutdown, tests)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    def shutdown(self) -> None:
        self._gitlab.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True, cancel_futures=False)
