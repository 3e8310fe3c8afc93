"""One process's moving parts: the Slack app, the outbox delivery and the scheduler tick that drives it.

`logdive serve` and `logdive socket` each run one Runtime; `logdive sweep` runs one tick of it. The
tick is an APScheduler BackgroundScheduler interval job (in-memory job store): several replicas each
tick, and the outbox's leases and row locks make sure each item is handled by one of them.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import Counter, Gauge
from slack_bolt.async_app import AsyncApp
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from bot import outbox
from bot.artefacts.retention import retention_job
from bot.catalog import load_catalog
from bot.clock import Clock, utc_now
from bot.gitlab.outbox_handlers import register as register_gitlab
from bot.gitlab.tombstone import IssueTombstone
from bot.leak.reminders import ThirdPartyReminders
from bot.logs import describe_error, get_logger
from bot.scheduler import register as register_timed_work
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.artefact_cards import ArtefactCards
from bot.slack.background import Background
from bot.slack.delivery import SlackDelivery
from bot.slack.deps import Directory, SlackDeps
from bot.slack.identity import PersonDirectory
from bot.slack.roles import RoleDirectory, TimezoneDirectory
from bot.slack.tombstones import Tombstones

log = get_logger(__name__)

OUTBOX_OUTCOMES = Counter("logdive_outbox_items_total", "Outbox deliveries by outcome", ["outcome"])
# Per process: a replica whose scheduler stopped ticking shows here first (alert: no tick for 5 minutes).
LAST_TICK = Gauge("logdive_last_tick_timestamp_seconds", "When this process last finished a scheduler tick")
TICK_JOB = "tick"


class _RoutineRunsAreDebug(logging.Filter):
    """APScheduler says "Running job" and "executed successfully" at INFO for every tick (two lines every
    5 s, ~34,500 a day), and more at start and stop (runtime.started/stopped say it): they are DEBUG.
    Missed runs (WARNING) and failed ones (ERROR) stay as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


for _routine in ("apscheduler.executors.default", "apscheduler.scheduler"):  # runs; adding, start, stop
    logging.getLogger(_routine).addFilter(_RoutineRunsAreDebug())

# A tick job: called with the tick's "now". Reminders and retention add theirs to Runtime.tick_jobs.
TickJob = Callable[[datetime], Any]


class MissingSettings(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class InvalidSetting(Exception):
    """A setting that is present but can never work; the message names it, never its value."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name = name
        self.problem = problem


REQUIRED = {
    "serve": (
        ("slack_bot_token", "SLACK_BOT_TOKEN"),
        ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
        ("gitlab_token", "GITLAB_TOKEN"),
        ("case_channel", "LOGDIVE_CASE_CHANNEL"),
        ("sirt_project", "LOGDIVE_SIRT_PROJECT"),
        ("audit_gap_project", "LOGDIVE_AUDIT_GAP_PROJECT"),
    ),
    "socket": (
        ("slack_bot_token", "SLACK_BOT_TOKEN"),
        ("slack_app_token", "SLACK_APP_TOKEN"),
        ("gitlab_token", "GITLAB_TOKEN"),
        ("case_channel", "LOGDIVE_CASE_CHANNEL"),
        ("sirt_project", "LOGDIVE_SIRT_PROJECT"),
        ("audit_gap_project", "LOGDIVE_AUDIT_GAP_PROJECT"),
    ),
    "sweep": (("slack_bot_token", "SLACK_BOT_TOKEN"), ("gitlab_token", "GITLAB_TOKEN")),
}


def check_settings(settings: Settings, mode: str) -> None:
    """Raise MissingSettings naming every variable `mode` needs and does not have, then InvalidSetting
    for one that cannot work."""
    missing = [env for attr, env in REQUIRED[mode] if not getattr(settings, attr)]
    if missing:
        raise MissingSettings(missing)
    app_token = _secret(settings.slack_app_token)
    if mode == "socket" and not app_token.startswith("xapp-"):
        # Slack would refuse any other token for the link (not_allowed_token_type, invalid_auth).
        given = {"xoxb-": ", not a bot token (xoxb-…)", "xoxp-": ", not a user token (xoxp-…)"}
        raise InvalidSetting(
            "SLACK_APP_TOKEN",
            "must be an app-level token, xapp-… (the app's Basic Information → App-Level Tokens, scope "
            f"connections:write){given.get(app_token[:5], '')}.",
        )


# Settings a process starts without, but works poorly without: said at start, by name (`advisories`).
ADVISED: dict[str, tuple[tuple[str, str, str], ...]] = {
    "serve": (
        ("csm_group", "LOGDIVE_CSM_GROUP", "nobody can act as CSM (file requests, move cases on)"),
        ("support_group", "LOGDIVE_SUPPORT_GROUP", "nobody can act as Support (claim Support cases)"),
        ("sirt_group", "LOGDIVE_SIRT_GROUP", "nobody can act as SIRT (claim security cases, review)"),
        ("legal_group", "LOGDIVE_LEGAL_GROUP", "nobody can act as Legal (exceptions, review)"),
        ("gap_marker_secret", "LOGDIVE_GAP_MARKER_SECRET", "no Audit Events gap issue is filed (parked)"),
        (
            "gitlab_webhook_secret",
            "LOGDIVE_GITLAB_WEBHOOK_SECRET",
            "POST /gitlab/webhook refuses every delivery",
        ),
    ),
}
ADVISED["socket"] = ADVISED["serve"][:5]  # Socket Mode serves no webhook


def advisories(settings: Settings, mode: str) -> list[str]:
    """One line per advised setting `mode` runs without: its name and what does not work meanwhile."""
    return [
        f"{env} is not set: {effect}"
        for attr, env, effect in ADVISED.get(mode, ())
        if not getattr(settings, attr)
    ]


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        directory: Directory | None = None,
        tick_seconds: float = 5.0,
        lease_seconds: float = 120.0,
        retry: outbox.RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.database_url = settings.database_url
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.lease_seconds = lease_seconds
        self.retry = retry or outbox.RetryPolicy(
            base_seconds=settings.outbox_backoff_seconds,
            cap_seconds=settings.outbox_backoff_cap_seconds,
            max_attempts=settings.outbox_max_attempts,
        )
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.catalog = load_catalog()
        self.policy = settings.load_policy()
        self._directory = directory
        self.web = WebClient(token=_secret(settings.slack_bot_token) or None, base_url=settings.slack_api_url)
        self.slack_delivery = SlackDelivery(self.web, self.database_url, self.settings.gitlab_url)
        # Outbox handlers by kind; the GitLab adapter adds its own the same way.
        self.handlers: dict[str, outbox.Handler] = dict(self.slack_delivery.handlers())
        self.handlers.update(ArtefactCards(self.web, self.database_url).handlers())
        self.handlers.update(Tombstones(self.web, self.database_url).handlers())
        self.on_done: dict[str, outbox.OnDone] = dict(self.slack_delivery.on_done())
        # Set on SIGTERM: the tick's jobs stop between items and leave the rest to the next process.
        self.stopping = threading.Event()
        self.tick_jobs: list[TickJob] = [self.deliver_outbox, retention_job(settings)]
        self.gitlab = register_gitlab(self)  # its handlers, on-done steps and tick job
        self.handlers.update(IssueTombstone(self.gitlab).handlers())
        self.timed_work = register_timed_work(self)  # reminders, escalations, retention warnings
        self.tick_jobs.append(ThirdPartyReminders(self.database_url, self.web, settings))  # data leaks
        self.work = Background(workers=settings.follow_up_workers, queue=settings.follow_up_queue)
        self._scheduler: BackgroundScheduler | None = None
        self._again = threading.Event()
        self._tick_lock = threading.Lock()

    # -- the Slack side ---------------------------------------------------------------------------
    @property
    def directory(self) -> Directory:
        if self._directory is None:
            from bot.gitlab.directory import GitLabDirectory, make_gitlab  # only when GitLab is configured

            self._directory = GitLabDirectory(make_gitlab(self.settings), limits=self.policy.eligibility)
        return self._directory

    def slack_app(self, *, socket_mode: bool = False) -> AsyncApp:
        def deps(client: AsyncWebClient) -> SlackDeps:
            return SlackDeps(
                settings=self.settings,
                database_url=self.database_url,
                catalog=self.catalog,
                policy=self.policy,
                clock=self.clock,
                directory=self.directory,
                roles=RoleDirectory.from_settings(client, self.settings),
                timezones=TimezoneDirectory(
                    client,
                    default=self.settings.default_timezone,
                    ttl_seconds=self.settings.role_cache_seconds,
                ),
                work=self.work,
                kick=self.kick,
                people=PersonDirectory(client, ttl_seconds=self.settings.role_cache_seconds),
            )

        return create_app(self.settings, deps, socket_mode=socket_mode)

    # -- the tick ---------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> dict[str, Any]:
        """One pass of every tick job, each one's result by name. Serialised within the process;
        replicas coordinate in the database."""
        results: dict[str, Any] = {}
        with self._tick_lock:
            moment = now or self.clock()
            for job in self.tick_jobs:
                if self.stopping.is_set():
                    break
                name = getattr(job, "__name__", repr(job))
                try:
                    results[name] = job(moment)
                except Exception as exc:  # one job's failure must not starve the others
                    detail = describe_error(exc)[:300]
                    log.error("tick.job_failed", job=name, error=type(exc).__name__, detail=detail)
        LAST_TICK.set_to_current_time()
        return results

    def deliver_outbox(self, now: datetime) -> outbox.DeliveryReport:
        """Everything due at `now`, in batches delivered `outbox_concurrency` at a time."""
        concurrency = max(1, self.settings.outbox_concurrency)
        limit = max(20, 4 * concurrency)
        report = outbox.DeliveryReport()
        for _ in range(50):  # drains a backlog within one tick, but never runs unbounded
            batch = outbox.deliver_due(
                self.database_url,
                self.handlers,
                now=now,
                worker_id=self.worker_id,
                limit=limit,
                lease_seconds=self.lease_seconds,
                retry=self.retry,
                on_done=self.on_done,
                concurrency=concurrency,
                stop=self.stopping,
            )
            for outcome in ("delivered", "retrying", "parked", "lost", "released"):
                done = getattr(batch, outcome)
                getattr(report, outcome).extend(done)
                if done:
                    OUTBOX_OUTCOMES.labels(outcome).inc(len(done))
            if batch.claimed < limit or self.stopping.is_set():
                break
        return report

    def _scheduled_tick(self) -> None:
        while not self.stopping.is_set():
            self._again.clear()
            self.tick()
            if not self._again.is_set():
                return

    def kick(self) -> None:
        """Run the tick now (thread-safe): a running tick runs once more rather than being skipped."""
        self._again.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.modify_job(TICK_JOB, next_run_time=datetime.now(UTC))

    def start(self) -> None:
        self._scheduler = BackgroundScheduler(timezone=UTC)  # the default in-memory job store
        self._scheduler.add_job(
            self._scheduled_tick,
            "interval",
            seconds=self.tick_seconds,
            id=TICK_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()
        log.info("runtime.started", worker_id=self.worker_id, tick_seconds=self.tick_seconds)

    def request_stop(self) -> None:
        """Ask the tick to stop between items (thread- and signal-safe); `stop` then waits for it."""
        self.stopping.set()

    def stop(self) -> None:
        self.request_stop()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self.work.shutdown()
        log.info("runtime.stopped", worker_id=self.worker_id)


def freeze_start_up_heap() -> None:
    """Hide what start-up built (modules, the catalog, Bolt, SQLAlchemy: ~170k objects) from the collector.

    A full collection walking them all held the event loop ~80-100 ms, which was the whole p99 of an
    acknowledgement (benchmarks/slack_ack.py). Collected first, so only live objects are frozen.
    """
    gc.collect()
    gc.freeze()
