"""Step-up for a review key: the Slack click starts a sign-in, the provider's answer records the key.

`start` keeps what the click asked for (the subject shown, the key, who clicked) under a random state,
with a nonce and a PKCE verifier, for a few minutes. `finish` takes the state once (a replay finds it
used), exchanges the code, verifies the ID token (bot.oidc.provider), checks that its verified e-mail is
the Slack user's own, and only then gives the key through the artefact service, which applies every
custody rule again. Every refusal is recorded on the case.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from bot import cases
from bot.artefacts import service
from bot.db.models import StepUp
from bot.oidc.provider import Provider, SignInRefused
from workflows.review import Person, ReviewStatus, Subject
from workflows.states import Role

CALLBACK_PATH = "/oidc/callback"
START_PATH = "/oidc/start/"
LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Pending:
    person: Person
    role: Role
    subject: Subject
    nonce: str
    code_verifier: str


class Replayed(SignInRefused):
    """A sign-in answer for a step-up already used or expired; `step` says whose, to record it."""

    def __init__(self, message: str, step: Pending) -> None:
        super().__init__(message)
        self.step = step


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start(session: Session, *, person: Person, role: Role, seen: Subject, now: datetime) -> str:
    """A new sign-in for this key; the state goes into the link told to the clicker alone."""
    state = secrets.token_urlsafe(32)
    session.add(
        StepUp(
            state_sha256=_hash(state), artefact_id=seen.artefact_id, case_id=seen.case_id,
            version=seen.version, sha256=seen.sha256, role=role.value, slack_id=person.slack_id,
            enterprise_id=person.enterprise_id,
            nonce=secrets.token_urlsafe(24), code_verifier=secrets.token_urlsafe(48), created_at=now,
            expires_at=now + LIFETIME,
        )
    )  # fmt: skip
    return state


def pending(session: Session, state: str, *, now: datetime) -> StepUp | None:
    """The sign-in waiting under `state`, if it is still unused and fresh (for the start page)."""
    row = session.get(StepUp, _hash(state))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def take(session: Session, state: str, *, now: datetime) -> Pending:
    """Use up the sign-in under `state` (committed at once: a replay finds it used)."""
    row = session.get(StepUp, _hash(state))
    if row is None:
        raise SignInRefused("no such sign-in")
    claimed = session.execute(
        update(StepUp)
        .where(col(StepUp.state_sha256) == row.state_sha256, col(StepUp.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    step = Pending(
        Person(row.slack_id, row.enterprise_id), Role(row.role),
        Subject(row.case_id, row.artefact_id, row.version, row.sha256), row.nonce, row.code_verifier,
    )  # fmt: skip
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Replayed("this sign-in was used already", step)
    if row.expires_at <= now:
        raise Replayed("this sign-in link expired: click the key again", step)
    return step


def verify(
    provider: Provider, step: Pending, *, code: str, redirect_uri: str, slack_email: str | None
) -> str:
    """The e-mail the provider vouches for, when it is the Slack user's own; SignInRefused otherwise."""
    id_token = provider.exchange(code=code, code_verifier=step.code_verifier, redirect_uri=redirect_uri)
    claims = provider.verify(id_token, nonce=step.nonce)
    if not slack_email or str(claims["email"]).casefold() != slack_email.casefold():
        raise SignInRefused("the sign-in is not the Slack user's own (a different e-mail address)")
    return str(claims["email"])


def give_key(
    session: Session, step: Pending, *, roles: Collection[Role], now: datetime, email: str
) -> ReviewStatus:
    """The key, through the artefact service (which checks every custody rule again and records)."""
    status = service.approve(
        session, step.subject.artefact_id, actor=step.person, roles=roles, now=now, seen=step.subject,
        as_role=step.role,
    )  # fmt: skip
    return status


def record_refusal(session: Session, step: Pending | None, why: str, *, now: datetime) -> None:
    if step is None:
        return
    cases.record_refusal(
        session, step.subject.case_id, kind="unauthorised", actor=step.person.key, roles=(), now=now,
        message=f"artefact {step.subject.artefact_id}: step-up sign-in refused: {why}",
        data={"action": "approved", "artefact_id": step.subject.artefact_id, "step_up": True},
    )  # fmt: skip
