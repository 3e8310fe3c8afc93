"""Step-up sign-in for the two keys, against a strict OpenID Connect stand-in: a key is recorded only
after a fresh sign-in as the Slack user; without one, as someone else, with an expired, replayed or
forged token, or a token for another client, it is refused and recorded. Keys rotate."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlmodel import select

from bot.db.engine import session_scope
from bot.db.models import ArtefactApproval
from bot.sandbox.slack import SlackStandIn
from tests.custody.conftest import KEY_RING, NOBODY, OWNER, SIRT, investigating_case, store
from tests.custody.test_slack_flow import card_for, click, told
from tests.oidc_standin import Login, OidcStandIn
from tests.oidc_standin.server import CLIENT_ID, CLIENT_SECRET
from tests.slack.harness import Bot, FactsDirectory, start_bot, stop_bot

PUBLIC = "https://logdive.example.test"


@pytest.fixture
def oidc() -> Iterator[OidcStandIn]:
    standin = OidcStandIn(redirect_uri=f"{PUBLIC}/oidc/callback").start()
    yield standin
    standin.stop()


@pytest.fixture
def bot(
    database_url: str, slack_standin: SlackStandIn, artefact_dir: Path, oidc: OidcStandIn
) -> Iterator[Bot]:
    running, server, thread = start_bot(
        database_url, slack_standin, FactsDirectory(), artefact_key=KEY_RING, artefact_dir=artefact_dir,
        public_url=PUBLIC, oidc_issuer=oidc.issuer, oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )  # fmt: skip
    yield running
    stop_bot(running, server, thread)


def submitted(bot: Bot, artefact_dir: Path) -> tuple[int, int, dict]:
    case_id = investigating_case(bot)
    artefact = store(bot, artefact_dir, case_id)
    card = card_for(bot, artefact.id, showing="Submit for review")
    click(bot, card, "artefact.submit", OWNER)
    return case_id, artefact.id or 0, card_for(bot, artefact.id, showing="Approve as Security")


def sign_in_link(bot: Bot, card: dict, user: str = SIRT) -> str:
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.approve.sirt", user)
    text = told(bot, user, before)
    assert f"{PUBLIC}/oidc/start/" in text, text
    return text.split(PUBLIC, 1)[1].split(" ", 1)[0]


def through_provider(bot: Bot, oidc: OidcStandIn, path: str) -> tuple[httpx.Response, str]:
    """The browser: Logdive's start page → the provider (who signs in: oidc.login) → Logdive's callback."""
    with httpx.Client(base_url=bot.url) as browser:
        to_provider = browser.get(path)
        assert to_provider.status_code == 302
        authorize = urlparse(to_provider.headers["location"])
        asked = parse_qs(authorize.query)
        assert asked["prompt"] == ["login"] and asked["code_challenge_method"] == ["S256"] and asked["nonce"]
        back = httpx.get(to_provider.headers["location"])
        assert back.status_code == 302, back.text
        callback = urlparse(back.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}" == PUBLIC
        answer = f"{callback.path}?{callback.query}"
        return browser.get(answer), answer


def keys(bot: Bot, artefact_id: int) -> list[ArtefactApproval]:
    with session_scope(bot.database_url) as session:
        return list(
            session.exec(select(ArtefactApproval).where(ArtefactApproval.artefact_id == artefact_id)).all()
        )


def test_a_fresh_sign_in_as_the_slack_user_records_the_key_once(
    bot: Bot, artefact_dir: Path, oidc: OidcStandIn
) -> None:
    case_id, artefact_id, card = submitted(bot, artefact_dir)
    path = sign_in_link(bot, card)
    assert keys(bot, artefact_id) == []  # the click alone gives nothing
    oidc.login = Login(email=f"{SIRT.lower()}@example.com")
    page, answer = through_provider(bot, oidc, path)
    assert page.status_code == 200 and "sirt key for artefact" in page.text
    [key] = keys(bot, artefact_id)
    assert key.approver == SIRT and key.role == "sirt"
    card_for(bot, artefact_id, showing="Security key*: <@")
    # The same answer again (a replay) and the same start link again give nothing more.
    with httpx.Client(base_url=bot.url) as browser:
        replay = browser.get(answer)
        assert replay.status_code == 403 and "used already" in replay.text
        assert browser.get(path).status_code == 410
    assert len(keys(bot, artefact_id)) == 1
    assert [e.kind for e in bot.events(case_id)][-1] == "unauthorised"


@pytest.mark.parametrize(
    ("login", "why"),
    [
        (Login(email=f"{NOBODY.lower()}@example.com"), "not the Slack user's own"),
        (Login(email=f"{SIRT.lower()}@example.com", email_verified=False), "no verified e-mail"),
        (Login(email=f"{SIRT.lower()}@example.com", signed_in_seconds_ago=3600), "older than 300 seconds"),
        (Login(email=f"{SIRT.lower()}@example.com", expires_in=-60), "does not verify"),
        (Login(email=f"{SIRT.lower()}@example.com", forged=True), "does not verify"),
        (Login(email=f"{SIRT.lower()}@example.com", audience="another-client"), "does not verify"),
    ],
    ids=["someone_else", "unverified_email", "not_fresh", "expired", "forged", "another_client"],
)
def test_a_sign_in_that_proves_less_gives_no_key(
    bot: Bot, artefact_dir: Path, oidc: OidcStandIn, login: Login, why: str
) -> None:
    case_id, artefact_id, card = submitted(bot, artefact_dir)
    path = sign_in_link(bot, card)
    oidc.login = login
    page, _answer = through_provider(bot, oidc, path)
    assert page.status_code == 403 and why in html.unescape(page.text), page.text
    assert keys(bot, artefact_id) == []
    [refusal] = [e for e in bot.events(case_id) if e.data.get("step_up")]
    assert refusal.kind == "unauthorised" and refusal.actor == SIRT and why in refusal.data["message"]


def test_keys_rotate_and_a_click_by_someone_without_the_role_never_reaches_sign_in(
    bot: Bot, artefact_dir: Path, oidc: OidcStandIn
) -> None:
    oidc.login = Login(email=f"{SIRT.lower()}@example.com")
    _case, first, card = submitted(bot, artefact_dir)
    assert through_provider(bot, oidc, sign_in_link(bot, card))[0].status_code == 200
    oidc.rotate(keep_old=False)  # Logdive holds the old JWKS; the next token is signed by a new key
    _case, second, card = submitted(bot, artefact_dir)
    assert through_provider(bot, oidc, sign_in_link(bot, card))[0].status_code == 200
    assert len(keys(bot, first)) == len(keys(bot, second)) == 1
    assert len(oidc.calls("/jwks")) == 2

    _case, _third, card = submitted(bot, artefact_dir)
    before = len(bot.slack.calls_to("chat.postEphemeral"))
    click(bot, card, "artefact.approve.sirt", NOBODY)
    text = told(bot, NOBODY, before)
    assert "Nothing changed" in text and "/oidc/start/" not in text
