"""Work a Slack handler hands on after it has acknowledged: a bounded queue on the event loop, blocking
calls in thread pools.

Acknowledgements come first at any load. Follow-up work (a modal opened, a click answered, a submission
assessed) waits in a queue of at most `queue` items and runs on `workers` at a time, so however many
requests arrive, the event loop never holds more than `workers` follow-ups between two acknowledgements.
When the queue is full, `full` is true and the person is told to try again in the acknowledgement
itself (bot.slack.busy); nothing waits unbounded.

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

from prometheus_client import Counter

from bot.logs import describe_error, get_logger

log = get_logger(__name__)
T = TypeVar("T")

SHUTDOWN_SECONDS = 3.0  # handed-on work still running at shutdown gets this long
FOLLOW_UPS = Counter("logdive_slack_follow_ups_total", "Slack follow-up work by outcome", ["outcome"])


class Background:
    def __init__(
        self, *, gitlab_threads: int = 16, db_threads: int = 8, workers: int = 32, queue: int = 256
    ) -> None:
        self._gitlab = ThreadPoolExecutor(max_workers=gitlab_threads, thread_name_prefix="gitlab")
        self._db = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="db")
        self.workers = workers
        self.capacity = queue
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting = 0  # queued follow-ups not started yet
        self._telling = 0  # notices in flight
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- follow-up work ---------------------------------------------------------------------------------
    @property
    def full(self) -> bool:
        """No room for another follow-up: the caller tells the person to try again."""
        return self._waiting >= self.capacity

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Queue work to run after the acknowledgement; failures are logged by name, never lost silently.
        None, and the work dropped (logged), when the queue is full."""
        if self.full:
            coroutine.close()
            FOLLOW_UPS.labels("refused").inc()
            log.warning("slack.follow_up_refused", task=name, waiting=self._waiting)
            return None
        self._waiting += 1
        FOLLOW_UPS.labels("queued").inc()
        return self._track(self._queued(coroutine), name)

    def tell(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> None:
        """A short notice outside the queue (e.g. "busy, try again"), at most `workers` at once."""
        if self._telling >= self.workers:
            coroutine.close()
            return
        self._telling += 1
        self._track(coroutine, name).add_done_callback(self._told)

    def _told(self, _task: asyncio.Task[Any]) -> None:
        self._telling -= 1

    def _track(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)
        return task

    async def _queued(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a semaphore belongs to one loop (tests run several in turn)
            self._loop, self._slots = loop, asyncio.Semaphore(self.workers)
        assert self._slots is not None
        started = False
        try:
            async with self._slots:  # FIFO: the oldest waiting follow-up goes first
                self._waiting -= 1
                started = True
                return await coroutine
        finally:
            if not started:  # cancelled while queued (shutdown)
                self._waiting -= 1
                coroutine.close()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            log.error(
                "slack.background_failed",
                task=task.get_name(),
                error=type(exc).__name__,
                detail=describe_error(exc)[:300],
            )

    # -- blocking calls ---------------------------------------------------------------------------------
    async def gitlab(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._gitlab, functools.partial(fn, *args, **kwargs)
        )

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._db, functools.partial(fn, *args, **kwargs)
        )

    # -- lifecycle --------------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Let handed-on work finish (shutdown, tests)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def close(self, timeout: float = SHUTDOWN_SECONDS) -> None:
        """Shutdown: let running work finish for up to `timeout` seconds, then cancel what is left."""
        await self.drain(timeout)
        left = list(self._tasks)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1)
            log.warning("slack.follow_ups_abandoned", count=len(left))

    def shutdown(self) -> None:
        self._gitlab.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True, cancel_futures=False)
