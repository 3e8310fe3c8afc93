"""The demo's world: four people in a Slack workspace, a SIRT project and three customers in GitLab.

Everything here is made up and local: the Slack stand-in answers the bot's Web API calls, the GitLab
stand-in answers its REST calls and sends its webhooks back to the bot. Secrets are generated per run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import gitlab

from bot.artefacts.keys import generate_entry
from bot.sandbox.gitlab import OWNER, REPORTER, GitLabStandIn, Project
from bot.sandbox.gitlab.issues import IssueTracker, tracker
from bot.sandbox.slack import SlackStandIn
from bot.settings import Settings

CASE_CHANNEL = "C0DEMOCASES"
CASE_CHANNEL_NAME = "security-log-dives"
SIRT_PROJECT = "gl-security/sirt/logdive"
AUDIT_GAP_PROJECT = "gitlab-org/gitlab"
SIRT_HANDLE = "@gl-security/sirt"
TIMEZONE = "Europe/Berlin"
SIRT_GITLAB_USER = "riley-sirt"  # the SIRT person's own GitLab account, for notes written in GitLab
SIRT_TOKEN = "riley-sirt-token"  # noqa: S105 -- the stand-in's, local to the sandbox


@dataclass(frozen=True)
class Person:
    role: str  # csm | support | sirt | legal
    user_id: str
    name: str
    group: str  # the Slack user group that gives the role


PEOPLE = (
    Person("csm", "U0DEMOCSM", "Casey Morgan (CSM)", "S0DEMOCSM"),
    Person("support", "U0DEMOSUP", "Sam Patel (Support)", "S0DEMOSUP"),
    Person("sirt", "U0DEMOSIRT", "Riley Chen (SIRT)", "S0DEMOSIRT"),
    Person("legal", "U0DEMOLEGAL", "Jordan Lee (Legal)", "S0DEMOLEGAL"),
)
ROLES = {person.role: person for person in PEOPLE}


@dataclass(frozen=True)
class Customer:
    namespace: str
    kind: str  # what the demo shows it as: paying, lapsed, trial
    owner: str  # the customer's GitLab user who owns the namespace (the requester)
    projects: tuple[str, ...]
    plan: str
    trial: bool = False
    ends_in_days: int | None = None  # subscription end (negative: ended) or trial end


CUSTOMERS = (
    Customer("acme-corp", "paying", "alice-acme", ("acme-corp/api", "acme-corp/web"), "ultimate", False, 200),
    Customer("globex", "lapsed", "hank-globex", ("globex/shop",), "premium", False, -45),
    Customer("initech", "trial", "peter-initech", ("initech/tps-reports",), "ultimate_trial", True, 12),
)


def slack_users() -> dict[str, dict[str, Any]]:
    """users.info answers, as Slack shapes them (display name, time zone)."""
    return {
        p.user_id: {
            "id": p.user_id,
            "name": p.name.split()[0].lower(),
            "real_name": p.name,
            "profile": {"display_name": p.name, "real_name": p.name},
            "tz": TIMEZONE,
            "tz_offset": 3600,
        }
        for p in PEOPLE
    }


def seed_gitlab(standin: GitLabStandIn, today: date) -> Project:
    """The SIRT project, the Audit Events project and the customers; returns the SIRT project."""
    state = standin.state
    security = state.add_group("gl-security", name="GitLab Security")
    state.add_group("gl-security/sirt", name="SIRT")
    sirt = state.add_project(SIRT_PROJECT, name="Log-dives")
    state.add_group("gitlab-org", plan="ultimate")
    state.add_project(AUDIT_GAP_PROJECT, visibility="public")
    riley = state.add_user(SIRT_GITLAB_USER, name="Riley Chen")
    state.add_member(security, riley, REPORTER)
    state.add_token(SIRT_TOKEN, riley)
    for customer in CUSTOMERS:
        owner = state.add_user(customer.owner)
        ends = today + timedelta(days=customer.ends_in_days) if customer.ends_in_days is not None else None
        group = state.add_group(
            customer.namespace,
            plan=customer.plan,
            trial=customer.trial,
            trial_ends_on=ends if customer.trial else None,
            end_date=None if customer.trial else ends,
        )
        state.add_member(group, owner, OWNER)
        for project in customer.projects:
            state.add_project(project)
    return sirt


@dataclass
class World:
    """The running stand-ins and the settings that point the real bot at them."""

    slack: SlackStandIn
    gitlab: GitLabStandIn
    sirt_project: Project
    signing_secret: str
    webhook_secret: str

    @property
    def issues(self) -> IssueTracker:
        return tracker(self.gitlab.state)

    def settings(self, *, directory: Path, public_url: str, log_sources: dict[str, str]) -> Settings:
        """Every setting the bot needs, all local; nothing is read from a real workspace or instance.
        Artefacts are sealed under a key made for this run, in `directory`; `log_sources` are the demo's
        sample logs (sample_logs.py)."""
        groups: dict[str, Any] = {f"{p.role}_group": p.group for p in PEOPLE}
        return Settings(
            slack_bot_token=self.slack.bot_token,
            slack_signing_secret=self.signing_secret,
            slack_api_url=self.slack.base_url,
            slack_workspace_url=f"{public_url}/demo",
            gitlab_url=self.gitlab.url,
            gitlab_token=self.gitlab.token,
            gitlab_max_retries=1,
            database_url=f"sqlite:///{directory / 'logdive.db'}",
            case_channel=CASE_CHANNEL,
            sirt_project=SIRT_PROJECT,
            audit_gap_project=AUDIT_GAP_PROJECT,
            sirt_group_handle=SIRT_HANDLE,
            gitlab_webhook_secret=self.webhook_secret,
            gap_marker_secret=secrets.token_hex(32),
            artefact_dir=directory / "artefacts",
            artefact_key=generate_entry("demo"),
            public_url=public_url,  # the one-time download links point at the demo's own server
            log_sources=log_sources,
            pseudonym_secret=secrets.token_hex(16),
            default_timezone=TIMEZONE,
            role_cache_seconds=5,
            outbox_backoff_seconds=2,
            outbox_backoff_cap_seconds=20,
            **groups,
        )

    def comment(self, iid: int, body: str) -> None:
        """A note on a SIRT issue written in GitLab by the SIRT person (python-gitlab, their own token):
        GitLab's webhook then tells the bot, as it would in production."""
        client = gitlab.Gitlab(self.gitlab.url, private_token=SIRT_TOKEN)
        client.projects.get(SIRT_PROJECT, lazy=True).issues.get(iid, lazy=True).notes.create({"body": body})

    def hook_into(self, bot_url: str) -> None:
        """GitLab's project webhook on the SIRT project, pointed at the bot, as an admin would set it."""
        self.issues.add_hook(self.sirt_project, f"{bot_url}/gitlab/webhook", self.webhook_secret)

    def stop(self) -> None:
        self.slack.stop()
        self.gitlab.stop()


def start_world(today: date) -> World:
    slack = SlackStandIn(
        bot_token=f"xoxb-demo-{secrets.token_hex(8)}",
        users=slack_users(),
        usergroups={p.group: [p.user_id] for p in PEOPLE},
    ).start()
    gitlab = GitLabStandIn().start()
    sirt = seed_gitlab(gitlab, today)
    return World(slack, gitlab, sirt, secrets.token_hex(32), secrets.token_hex(32))
