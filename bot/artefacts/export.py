"""Handing approved artefacts over: an export file, a one-time download for the case owner, a subcontractor.

Only artefacts whose current checksum carries both review keys leave. Logdive itself sends them
nowhere: an export is a file for a person to pass on, a download is fetched by the case owner, and
sharing with a subcontractor is an explicit act that needs the customer's recorded consent first.
Each hand-over is recorded on the case, and a note about it is owed to the SIRT issue.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import cases
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.events import (
    Actor,
    actor_key,
    case_for,
    lock_case,
    note_on_sirt_issue,
    record_event,
    refuse,
)
from bot.artefacts.service import list_artefacts, open_blob, refuse_unless_seen, review_of
from bot.artefacts.vault import Vault
from bot.cases import case_label
from bot.db.models import Artefact, ArtefactDownload, Case, CaseEvent
from bot.gitlab.templates import render
from workflows.review import CustodyAction, Subject, state_after_handover
from workflows.states import CaseState, Role

DOWNLOAD_PATH = "/artefacts/download/"
CONSENT = "subcontractor_consent"
EXPORTED = "artefacts_exported"
MAX_TEXT = 500
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Bundle:
    """A zip of approved artefacts with a SHA256SUMS file the recipient can check them against."""

    filename: str
    content: bytes
    artefacts: tuple[tuple[int, str], ...]  # (artefact id, sha256)


@dataclass(frozen=True)
class DownloadLink:
    token: str  # shown once, to the case owner; only its SHA-256 is stored
    path: str  # DOWNLOAD_PATH + token, served by `logdive serve`
    download_id: int
    expires_at: datetime


def export_for_customer(
    session: Session,
    vault: Vault,
    case_id: int,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    artefact_ids: Sequence[int] | None = None,
) -> Bundle:
    """The case's approved artefacts as one file for the customer (`logdive artefacts export`)."""
    case = case_for(
        session, case_id, CustodyAction.EXPORT, actor=actor, roles=roles, now=now, data={"via": "file"}
    )
    chosen = _approved(session, case, artefact_ids, actor=actor, roles=roles, now=now, action="export")
    bundle = _bundle(session, vault, case, chosen, actor=actor, roles=roles, now=now)
    _record_export(session, case, bundle, via="file", recipient="customer", actor=actor, roles=roles, now=now)
    return bundle


def issue_download(
    session: Session,
    case_id: int,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    lifetime: timedelta,
    artefact_ids: Sequence[int] | None = None,
    seen: Subject | None = None,
) -> DownloadLink:
    """A one-time download of the approved artefacts for the case owner (Share with customer).

    `seen` is the card the owner clicked: the link is refused unless that is the artefact's current
    version, so nobody hands over bytes they were not shown as approved."""
    case = case_for(session, case_id, CustodyAction.DOWNLOAD_LINK, actor=actor, roles=roles, now=now)
    chosen = _approved(session, case, artefact_ids, actor=actor, roles=roles, now=now, action="download_link")
    for artefact in chosen:
        if seen is not None and artefact.id == seen.artefact_id:
            refuse_unless_seen(
                session, artefact, seen, actor=actor, roles=roles, now=now, action="download_link"
            )
    token = secrets.token_urlsafe(32)
    download = ArtefactDownload(
        case_id=case_id,
        token_sha256=_token_hash(token),
        artefacts={str(a.id): a.sha256 for a in chosen},
        issued_to=actor_key(actor),
        issued_at=now,
        expires_at=now + lifetime,
    )
    session.add(download)
    session.flush()
    assert download.id is not None
    event = record_event(
        session,
        case_id,
        kind="download_link_issued",
        actor=actor,
        roles=roles,
        now=now,
        data={
            "download_id": download.id,
            "artefacts": [{"id": a.id, "sha256": a.sha256} for a in chosen],
            "expires_at": download.expires_at.isoformat(),
        },
    )
    note_on_sirt_issue(
        session,
        case,
        event,
        body=render(
            "artefact_handover_note",
            what="link_issued",
            actor=actor_key(actor),
            artefacts=[str(a.id) for a in chosen],
            expires_at=download.expires_at,
        ),
        now=now,
    )
    return DownloadLink(token, DOWNLOAD_PATH + token, download.id, download.expires_at)


def redeem_download(session: Session, vault: Vault, token: str, *, now: datetime) -> Bundle:
    """The bundle behind a download link, once. Refused when used, expired, or no longer approved."""
    download = session.exec(
        select(ArtefactDownload).where(ArtefactDownload.token_sha256 == _token_hash(token))
    ).first()
    if download is None:
        raise ArtefactNotFound("no such download link")
    actor = download.issued_to
    case = lock_case(session, download.case_id)
    problem = None
    if download.used_at is not None:
        problem = f"this download link was used on {download.used_at:%Y-%m-%d %H:%M} UTC"
    elif download.expires_at <= now:
        problem = f"this download link expired on {download.expires_at:%Y-%m-%d %H:%M} UTC"
    elif case.erased_at is not None:
        problem = f"{case_label(case.id or 0)} was erased"
    elif case.state != CaseState.ARTEFACTS_APPROVED and case.state != CaseState.SHARED:
        problem = f"{case_label(case.id or 0)} is {case.state}: only an approved case hands artefacts over"
    chosen: list[Artefact] = []
    for artefact_id, sha256 in ({} if problem else download.artefacts).items():
        artefact = session.get(Artefact, int(artefact_id))
        if artefact is None or artefact.deleted_at is not None:
            problem = f"artefact {artefact_id} was deleted since the link was issued"
        elif artefact.sha256 != sha256 or not review_of(session, artefact, case).approved:
            problem = f"artefact {artefact_id} changed or lost its approval since the link was issued"
        else:
            chosen.append(artefact)
        if problem:
            break
    if problem:
        refuse(
            session,
            case.id or 0,
            kind="refused",
            actor=actor,
            roles=(),
            now=now,
            message=problem,
            data={"action": "download", "download_id": download.id},
        )
    claimed = session.execute(
        update(ArtefactDownload)
        .where(col(ArtefactDownload.id) == download.id, col(ArtefactDownload.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ArtefactRefused("this download link was just used", kind="refused")
    bundle = _bundle(session, vault, case, chosen, actor=actor, roles=(), now=now)
    _record_export(
        session, case, bundle, via="download", recipient="customer", actor=actor, roles=(), now=now,
        extra={"download_id": download.id},
        files=[{"id": a.id, "version": a.version, "name": a.name, "sha256": a.sha256} for a in chosen],
    )  # fmt: skip
    return bundle


def download_facts(session: Session, token: str, *, now: datetime) -> dict[str, object] | None:
    """What the download page shows before anything is handed over: the case, the files, their SHA-256.

    Nothing is consumed or recorded; None when there is no such link (or it can no longer be used).
    """
    download = session.exec(
        select(ArtefactDownload).where(ArtefactDownload.token_sha256 == _token_hash(token))
    ).first()
    if download is None or download.used_at is not None or download.expires_at <= now:
        return None
    files = []
    for artefact_id, sha256 in download.artefacts.items():
        artefact = session.get(Artefact, int(artefact_id))
        if artefact is None or artefact.deleted_at is not None:
            return None
        files.append(
            {"id": artefact.id, "version": artefact.version, "name": artefact.name, "sha256": sha256}
        )
    return {"case": case_label(download.case_id), "files": files, "expires_at": download.expires_at}


def record_subcontractor_consent(
    session: Session,
    case_id: int,
    *,
    subcontractor: str,
    evidence: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> CaseEvent:
    """The CSM records that the customer approved sharing with `subcontractor`, and where that is written."""
    name = _text(subcontractor, "subcontractor")
    proof = _text(evidence, "evidence")
    case_for(session, case_id, CustodyAction.RECORD_CONSENT, actor=actor, roles=roles, now=now)
    return record_event(
        session, case_id, kind=CONSENT, actor=actor, roles=roles, now=now,
        data={"subcontractor": name, "evidence": proof},
    )  # fmt: skip


def share_with_subcontractor(
    session: Session,
    vault: Vault,
    case_id: int,
    *,
    subcontractor: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    artefact_ids: Sequence[int] | None = None,
) -> Bundle:
    """Approved artefacts for a named subcontractor: only with the customer's recorded consent for them."""
    name = _text(subcontractor, "subcontractor")
    action = CustodyAction.SHARE_SUBCONTRACTOR
    case = case_for(
        session, case_id, action, actor=actor, roles=roles, now=now, data={"via": "subcontractor"}
    )
    consents = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == CONSENT)
    ).all()
    if not any(str(e.data.get("subcontractor", "")).casefold() == name.casefold() for e in consents):
        refuse(
            session,
            case_id,
            kind="refused",
            actor=actor,
            roles=roles,
            now=now,
            message=(
                f"{case_label(case_id)}: the customer's approval to share with this subcontractor is not "
                "recorded; the CSM records it first (`logdive artefacts consent`)"
            ),
            data={"action": "share"},
        )
    chosen = _approved(session, case, artefact_ids, actor=actor, roles=roles, now=now, action="share")
    bundle = _bundle(session, vault, case, chosen, actor=actor, roles=roles, now=now)
    _record_export(
        session, case, bundle, via="subcontractor", recipient=name, actor=actor, roles=roles, now=now
    )
    return bundle


# ---------------------------------------------------------------------------------------------- helpers


def _approved(
    session: Session,
    case: Case,
    artefact_ids: Sequence[int] | None,
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    action: str,
) -> list[Artefact]:
    """The chosen artefacts (default: every live one submitted for review), refused unless all approved."""
    live = list_artefacts(session, case.id or 0, include_deleted=False)
    if artefact_ids is None:
        chosen = [a for a in live if a.submitted_sha256 is not None]
    else:
        by_id = {a.id: a for a in live}
        unknown = [i for i in artefact_ids if i not in by_id]
        if unknown:
            listed = ", ".join(map(str, unknown))
            raise ArtefactNotFound(f"artefact: {listed} is not a live artefact of {case_label(case.id or 0)}")
        chosen = [by_id[i] for i in dict.fromkeys(artefact_ids)]
    problem = None
    if not chosen:
        problem = f"{case_label(case.id or 0)} has no artefact submitted for review"
    else:
        pending = [(a, review_of(session, a, case)) for a in chosen]
        blocked = [f"{a.id} ({status.state.value})" for a, status in pending if not status.approved]
        if blocked:
            problem = f"only approved artefacts leave Logdive; not approved: {', '.join(blocked)}"
    if problem:
        refuse(
            session,
            case.id or 0,
            kind="refused",
            actor=actor,
            roles=roles,
            now=now,
            message=problem,
            data={"action": action, "artefact_ids": [a.id for a in chosen]},
        )
    return chosen


def _bundle(
    session: Session,
    vault: Vault,
    case: Case,
    chosen: list[Artefact],
    *,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
) -> Bundle:
    buffer = io.BytesIO()
    sums = []
    stamp = (now.year, now.month, now.day, now.hour, now.minute, now.second)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for artefact in chosen:
            member = f"{artefact.id}-v{artefact.version}-{_safe(artefact.name)}"
            info = zipfile.ZipInfo(member, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, open_blob(session, vault, artefact, actor=actor, roles=roles, now=now))
            sums.append(f"{artefact.sha256}  {member}\n")
        archive.writestr(zipfile.ZipInfo("SHA256SUMS", date_time=stamp), "".join(sums))
    return Bundle(
        filename=f"{case_label(case.id or 0)}-artefacts.zip",
        content=buffer.getvalue(),
        artefacts=tuple((a.id or 0, a.sha256) for a in chosen),
    )


def _record_export(
    session: Session,
    case: Case,
    bundle: Bundle,
    *,
    via: str,
    recipient: str,
    actor: Actor,
    roles: Collection[Role],
    now: datetime,
    extra: dict[str, object] | None = None,
    files: list[dict[str, object]] | None = None,
) -> None:
    """Record a hand-over, note it on the SIRT issue, and make an approved case shared (only this does)."""
    event = record_event(
        session,
        case.id or 0,
        kind=EXPORTED,
        actor=actor,
        roles=roles,
        now=now,
        data={
            "via": via,
            "recipient": recipient,
            "artefacts": [{"id": i, "sha256": s} for i, s in bundle.artefacts],
            "bundle_sha256": hashlib.sha256(bundle.content).hexdigest(),
            "nda_status": case.nda_status,
            **(extra or {}),
        },
    )
    to = "for the customer" if recipient == "customer" else "for a subcontractor (customer consent recorded)"
    note_on_sirt_issue(
        session,
        case,
        event,
        body=render(
            "artefact_handover_note",
            what="downloaded" if via == "download" else "exported",
            actor=actor_key(actor),
            artefacts=[str(i) for i, _ in bundle.artefacts],
            files=files or [],
            to=to,
            via=via,
            at=now,
        ),
        now=now,
    )
    if recipient == "customer" and (target := state_after_handover(CaseState(case.state))) is not None:
        cases.apply_transition(
            session, case.id or 0, target, actor=cases.SYSTEM, roles={Role.SYSTEM}, now=now,
            data={"by": EXPORTED, "via": via, "handed_over_by": actor_key(actor)},
        )  # fmt: skip


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")[:100] or "artefact"


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError(f"{field}: required")
    if len(text) > MAX_TEXT:
        raise ValueError(f"{field}: at most {MAX_TEXT} characters, got {len(text)}")
    return text
