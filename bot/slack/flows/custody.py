"""Clicks on an artefact card and the modals behind them: one table of custody actions.

Every action is by the person Slack vouches for (bot.slack.identity) with the roles of their user
groups, on the subject the card showed (artefact, version, SHA-256). The artefact services decide and
record; a refusal (who, when, what) is recorded by them and told to the clicker alone. A change is
shown by redrawing the card (the outbox) and, for the case, in the thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot import cases
from bot.artefacts import export, retention, service
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.keys import KeyConfigError
from bot.artefacts.store import LocalDirectoryStore
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import Case
from bot.logs import get_logger
from bot.oidc import stepup
from bot.oidc.http import configured as oidc_configured
from bot.slack.blocks import artefact_card as card
from bot.slack.blocks.custody_forms import DENY_CALLBACK, ERASE_CALLBACK, EXTEND_CALLBACK, custody_modal
from bot.slack.deps import SlackDeps
from bot.slack.flows.notify import tell
from bot.slack.flows.people import vouched
from workflows.review import Person, Subject
from workflows.states import Role

log = get_logger(__name__)
REFUSED_BEFORE_FORM = "(refused before the form opened)"


@dataclass(frozen=True)
class CardClick:
    user_id: str
    artefact_id: int
    version: int
    sha256: str
    channel: str | None
    thread_ts: str | None
    trigger_id: str | None = None

    def metadata(self) -> str:
        return json.dumps(
            {"value": card.button_value(self.artefact_id, self.version, self.sha256), "channel": self.channel,
             "thread_ts": self.thread_ts}
        )  # fmt: skip


def read_card_click(body: dict[str, Any]) -> CardClick | None:
    action = (body.get("actions") or [{}])[0]
    parsed = card.parse_value(action.get("value"))
    if parsed is None:
        return None
    message = body.get("message") or {}
    return CardClick(
        user_id=str((body.get("user") or {}).get("id", "")),
        artefact_id=parsed[0], version=parsed[1], sha256=parsed[2],
        channel=(body.get("channel") or {}).get("id"),
        thread_ts=message.get("thread_ts") or message.get("ts"),
        trigger_id=body.get("trigger_id"),
    )  # fmt: skip


def click_from_modal(body: dict[str, Any], view: dict[str, Any]) -> CardClick | None:
    try:
        meta = json.loads(view.get("private_metadata") or "")
        parsed = card.parse_value(meta["value"])
    except (ValueError, KeyError, TypeError):
        return None
    if parsed is None:
        return None
    return CardClick(
        user_id=str((body.get("user") or {}).get("id", "")), artefact_id=parsed[0], version=parsed[1],
        sha256=parsed[2], channel=meta.get("channel"), thread_ts=meta.get("thread_ts"),
    )  # fmt: skip


# -- the actions: (session, deps, person, roles, seen, form) -> a message for the clicker, or None ---------

Action = Callable[[Session, SlackDeps, Person, frozenset[Role], Subject, dict[str, Any]], str | None]


def _submit(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, _f: dict[str, Any]
) -> None:
    service.submit_for_review(s, seen.artefact_id, actor=p, roles=roles, now=deps.clock(), seen=seen)


def _approve(as_role: Role) -> Action:
    def approve(
        s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, _f: dict[str, Any]
    ) -> str | None:
        if (
            oidc_configured(deps.settings)
            and service.permission_to_approve(
                s, seen.artefact_id, actor=p, roles=roles, seen=seen, as_role=as_role
            ).allowed
        ):
            # Chat identity alone is not enough: the key waits for a fresh sign-in as this person.
            state = stepup.start(s, person=p, role=as_role, seen=seen, now=deps.clock())
            link = (deps.settings.public_url or "").rstrip("/") + stepup.START_PATH + state
            return (
                f"To give your {as_role.value} key for artefact {seen.artefact_id} (version {seen.version}), "
                f"sign in within {int(stepup.LIFETIME.total_seconds() // 60)} minutes: {link} . "
                "Only you see this link."
            )
        service.approve(
            s, seen.artefact_id, actor=p, roles=roles, now=deps.clock(), seen=seen, as_role=as_role
        )
        return None

    return approve


def _deny(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, f: dict[str, Any]
) -> None:
    # The key the denier could give: their role, Security first when they hold both.
    as_role = next((r for r in (Role.SIRT, Role.LEGAL) if r in roles), None)
    service.deny(
        s, seen.artefact_id, reason=f.get("reason", ""), actor=p, roles=roles, now=deps.clock(), seen=seen,
        as_role=as_role,
    )  # fmt: skip


def _share(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, _f: dict[str, Any]
) -> str:
    link = export.issue_download(
        s, seen.case_id, actor=p, roles=roles, now=deps.clock(), artefact_ids=[seen.artefact_id], seen=seen,
        lifetime=timedelta(seconds=deps.settings.artefact_download_seconds),
    )  # fmt: skip
    base = (deps.settings.public_url or "").rstrip("/")
    where = (
        f"{base}{link.path}"
        if base
        else f"{link.path} (on Logdive's own address: LOGDIVE_PUBLIC_URL is not set)"
    )
    return (
        f"One-time download for the customer of artefact {seen.artefact_id} "
        f"({cases.case_label(seen.case_id)}), valid until {link.expires_at:%Y-%m-%d %H:%M} UTC: {where} ."
        " It works once; only you see this link."
    )


def _extend(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, f: dict[str, Any]
) -> None:
    retention.extend_retention(
        s, seen.artefact_id, until=f.get("until") or deps.clock(), reason=f.get("reason", ""), actor=p,
        roles=roles, now=deps.clock(), customer_told=bool(f.get("customer_told")),
    )  # fmt: skip


def _erase(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, f: dict[str, Any]
) -> None:
    store = LocalDirectoryStore(deps.settings.artefact_dir)
    retention.erase_artefact(
        s, store, seen.artefact_id, reason=f.get("reason", ""), actor=p, roles=roles, now=deps.clock()
    )


def _told(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, _f: dict[str, Any]
) -> None:
    retention.record_customer_told(s, seen.artefact_id, actor=p, roles=roles, now=deps.clock())


def _report(
    s: Session, deps: SlackDeps, p: Person, roles: frozenset[Role], seen: Subject, _f: dict[str, Any]
) -> str:
    """The findings report (HTML and PDF) of the case's sealed extract, stored as two new artefacts under
    the same two keys; SIRT's "Finding (report)" notes are read from the SIRT issue."""
    from bot.report.service import build_report  # here: the report's renderers load only when asked

    built = build_report(
        s, Vault.from_settings(deps.settings), seen.case_id, actor=p, roles=roles, now=deps.clock(),
        policy=deps.policy.retention, notes=_findings(s, deps, seen.case_id),
        pseudonym_secret=_secret(deps),
    )  # fmt: skip
    files = ", ".join(f"artefact {f.artefact_id} {f.name} v{f.version}" for f in (built.html, built.pdf))
    return (
        f"Findings report of {built.case} built from the extract {built.extract_sha256[:12]}… "
        f"({built.findings} finding(s)): {files}. Each needs the two keys before it is shared."
    )


def _findings(s: Session, deps: SlackDeps, case_id: int) -> list[Any]:
    """The SIRT issue's notes; GitLab out of reach refuses the build (a report silently without its
    findings would look complete)."""
    from gitlab.exceptions import GitlabError
    from requests.exceptions import RequestException

    from bot.gitlab.client import make_gitlab
    from bot.report.findings import fetch_notes

    case = s.get(Case, case_id)
    if case is None or case.sirt_issue_iid is None or not deps.settings.sirt_project:
        return []
    try:
        return list(fetch_notes(make_gitlab(deps.settings), deps.settings.sirt_project, case.sirt_issue_iid))
    except (GitlabError, RequestException) as exc:
        raise ValueError(
            f"the SIRT issue's findings could not be read from GitLab ({type(exc).__name__})"
        ) from exc


def _secret(deps: SlackDeps) -> bytes:
    secret = deps.settings.pseudonym_secret
    return secret.get_secret_value().encode() if secret else b""


ACTIONS: dict[str, Action] = {
    card.SUBMIT: _submit,
    card.APPROVE_SIRT: _approve(Role.SIRT),
    card.APPROVE_LEGAL: _approve(Role.LEGAL),
    card.DENY: _deny,
    card.SHARE: _share,
    card.EXTEND: _extend,
    card.TOLD: _told,
    card.ERASE: _erase,
    card.REPORT: _report,
}
# The buttons that ask first, and who may open each form (the rest are refused, and recorded, at once).
FORMS: dict[str, tuple[str, frozenset[Role]]] = {
    card.DENY: (DENY_CALLBACK, frozenset({Role.SIRT, Role.LEGAL})),
    card.EXTEND: (EXTEND_CALLBACK, frozenset({Role.LEGAL})),
    card.ERASE: (ERASE_CALLBACK, frozenset({Role.SIRT, Role.LEGAL})),
}
FORM_ACTIONS = {callback: action for action, (callback, _roles) in FORMS.items()}


async def on_click(deps: SlackDeps, client: AsyncWebClient, click: CardClick, action: str) -> None:
    if action in FORMS:
        callback, may_open = FORMS[action]
        roles = await deps.roles.roles_of(click.user_id)
        if may_open & roles:
            view = custody_modal(
                callback,
                title_line=f"Artefact {click.artefact_id}, version {click.version}",
                metadata=click.metadata(),
            )
            try:
                await client.views_open(trigger_id=click.trigger_id, view=view)
            except SlackApiError as exc:
                log.warning("slack.custody_modal_failed", error=exc.response.get("error"))
            return
        # Not theirs: the service refuses on the role, records it, and the form never opens.
        await run(deps, client, click, action, {"reason": REFUSED_BEFORE_FORM})
        return
    await run(deps, client, click, action, {})


async def run(
    deps: SlackDeps, client: AsyncWebClient, click: CardClick, action: str, form: dict[str, Any]
) -> bool:
    """Do `action` for the person who clicked; tell them why when nothing changed. True when it happened."""
    case_id = await deps.work.db(_case_of, deps, click.artefact_id)
    found = await vouched(
        deps,
        client,
        click.user_id,
        case_id=case_id,
        action=action,
        channel=click.channel,
        thread_ts=click.thread_ts,
    )
    if found is None:
        return False
    person, roles = found

    def work() -> str | None:
        with session_scope(deps.database_url) as session:
            artefact = service.get_artefact(session, click.artefact_id)
            seen = Subject(artefact.case_id, click.artefact_id, click.version, click.sha256)
            return ACTIONS[action](session, deps, person, roles, seen, form)

    try:
        told = await deps.work.db(work)
    except (ArtefactRefused, ArtefactNotFound, cases.CaseError, ValueError, KeyConfigError) as refusal:
        log.info(
            "slack.custody_refused",
            artefact_id=click.artefact_id,
            action=action,
            kind=getattr(refusal, "kind", None),
        )
        await tell(
            client,
            click.user_id,
            f"Nothing changed: {refusal}",
            channel=click.channel,
            thread_ts=click.thread_ts,
        )
        return False
    deps.kick()
    if told:
        await tell(client, click.user_id, told, channel=click.channel, thread_ts=click.thread_ts)
    return True


def _case_of(deps: SlackDeps, artefact_id: int) -> int | None:
    with session_scope(deps.database_url) as session:
        try:
            return service.get_artefact(session, artefact_id).case_id
        except ArtefactNotFound:
            return None


def form_values(callback_id: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the form's values, errors by block id) from a submitted custody modal."""

    def value(block: str) -> Any:
        return (values.get(block) or {}).get(block) or {}

    reason = (value("reason").get("value") or "").strip()
    errors = {} if reason else {"reason": "Say why, in a sentence or two."}
    form: dict[str, Any] = {"reason": reason}
    if callback_id == EXTEND_CALLBACK:
        picked = value("until").get("selected_date")
        try:
            form["until"] = datetime.combine(datetime.fromisoformat(picked).date(), time(0, 0), tzinfo=UTC)
        except (TypeError, ValueError):
            errors["until"] = "Pick the date until which it is kept."
        form["customer_told"] = any(
            o.get("value") == "told" for o in value("customer_told").get("selected_options") or []
        )
    return form, errors
