"""The outbox handler that posts an artefact's card in its case thread, or redraws it in place.

Runs in the scheduler's thread with the blocking WebClient. The artefact row stays locked while the
card is posted, so two redraws owed at once never post two cards; the card's ts is kept on the row.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session, col, select

from bot import cases, outbox
from bot.artefacts.events import ARTEFACT_CARD, lock_artefact
from bot.artefacts.service import review_of
from bot.db.engine import session_scope
from bot.db.models import Artefact, ArtefactApproval, Case, OutboxItem
from bot.slack.blocks.artefact_card import CardFacts, KeyGiven, artefact_card
from bot.slack.delivery import call_slack
from workflows.review import CUSTODY_STATES
from workflows.states import CaseState


def card_facts(session: Session, artefact: Artefact, case: Case) -> CardFacts:
    assert artefact.id is not None
    review = review_of(session, artefact, case)
    given_at = {
        (row.role, row.approver): row.at
        for row in session.exec(
            select(ArtefactApproval)
            .where(ArtefactApproval.artefact_id == artefact.id)
            .order_by(col(ArtefactApproval.id))
        ).all()
        if row.sha256 == artefact.sha256 and row.version == artefact.version
    }
    keys = tuple(
        KeyGiven(role, k.approver, given_at.get((role.value, k.approver))) for role, k in review.keys.items()
    )
    return CardFacts(
        artefact_id=artefact.id,
        case_label=cases.case_label(case.id or 0),
        name=artefact.name,
        kind=artefact.kind,
        version=artefact.version,
        size=artefact.size,
        sha256=artefact.sha256,
        expires_at=artefact.expires_at,
        nda_status=case.nda_status,
        review=review.state,
        keys=keys,
        missing=review.missing,
        denied_by=review.denial.approver if review.denial else None,
        denial_reason=review.denial.reason if review.denial else None,
        submitted_by=artefact.submitted_by if artefact.submitted_sha256 == artefact.sha256 else None,
        customer_must_be_told=artefact.customer_must_be_told,
        deleted_at=artefact.deleted_at,
        case_open=CaseState(case.state) in CUSTODY_STATES and case.erased_at is None,
        details=dict(artefact.details or {}),
    )


class ArtefactCards:
    def __init__(self, client: WebClient, database_url: str) -> None:
        self._client = client
        self._url = database_url

    def handlers(self) -> dict[str, outbox.Handler]:
        return {ARTEFACT_CARD: self.draw}

    def draw(self, item: OutboxItem) -> dict[str, Any]:
        with session_scope(self._url) as session:
            artefact = lock_artefact(session, int(item.payload["artefact_id"]))
            case = cases.get_case(session, artefact.case_id)
            if not case.slack_thread_ts or not case.slack_channel:
                raise RuntimeError("the case message is not posted yet")  # retried after it is
            text, blocks = artefact_card(card_facts(session, artefact, case))
            if artefact.slack_ts:
                call_slack(
                    self._client,
                    "chat_update",
                    channel=case.slack_channel,
                    ts=artefact.slack_ts,
                    text=text,
                    blocks=blocks,
                )
                return {"channel": case.slack_channel, "ts": artefact.slack_ts}
            posted = call_slack(
                self._client, "chat_postMessage", channel=case.slack_channel, thread_ts=case.slack_thread_ts,
                text=text, blocks=blocks,
            )  # fmt: skip
            artefact.slack_ts = posted["ts"]
            session.add(artefact)
            return {"channel": case.slack_channel, "ts": posted["ts"]}
