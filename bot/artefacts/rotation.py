"""`logdive keys rotate`: re-seal every live artefact under the current key, one transaction each.

A blob is replaced in place (atomically) before its row records the new key id; should the process
stop between the two, the blob's own header names the key it was sealed with, so it stays readable,
and the next rotation only updates the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from bot.artefacts.crypto import TamperedArtefact
from bot.artefacts.events import lock_artefact, record_event
from bot.artefacts.keys import UnknownKey
from bot.artefacts.store import BlobMissing
from bot.artefacts.vault import Vault
from bot.db.engine import session_scope
from bot.db.models import Artefact
from bot.logs import get_logger

log = get_logger(__name__)


@dataclass
class RotationReport:
    current_key: str
    rekeyed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # artefact id -> why it could not be re-sealed


def rotate_keys(url: str, vault: Vault, *, actor: str, now: datetime) -> RotationReport:
    current = vault.ring.current_id
    report = RotationReport(current)
    with session_scope(url) as session:
        ids = session.exec(
            select(Artefact.id)
            .where(col(Artefact.deleted_at).is_(None), col(Artefact.key_id) != current)
            .order_by(col(Artefact.id))
        ).all()
    for artefact_id in ids:
        assert artefact_id is not None
        try:
            with session_scope(url) as session:
                artefact = lock_artefact(session, artefact_id)
                if artefact.deleted_at is not None or artefact.key_id == current:
                    continue
                old, new = vault.rekey(artefact.storage_ref)
                artefact.key_id = new
                session.add(artefact)
                record_event(
                    session,
                    artefact.case_id,
                    kind="artefact_rekeyed",
                    actor=actor,
                    now=now,
                    data={"artefact_id": artefact_id, "from_key": old, "to_key": new},
                )
            report.rekeyed.append(artefact_id)
        except (TamperedArtefact, UnknownKey, BlobMissing) as exc:
            report.failed[artefact_id] = f"{type(exc).__name__}: {exc}"
            log.warning("artefacts.rekey_failed", artefact_id=artefact_id, error=type(exc).__name__)
    return report
