"""The step-up pages served by `logdive serve`: `GET /oidc/start/{state}` sends the person to the
provider; `GET /oidc/callback` takes its answer once and, when it proves the Slack user signed in just
now, records the key. Pages are plain and escaped; nothing about the artefact's content is shown."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot import cases
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.clock import Clock
from bot.db.engine import session_scope
from bot.oidc import stepup
from bot.oidc.provider import Provider, ProviderConfig, SignInRefused
from bot.settings import Settings
from bot.slack.roles import RoleDirectory

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_PAGE = '<!doctype html><meta charset="utf-8"><title>Logdive sign-in</title><p>{text}</p>'


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def provider_for(settings: Settings) -> Provider:
    assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret
    return Provider(
        ProviderConfig(
            settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret.get_secret_value(),
            settings.oidc_max_age_seconds,
        )
    )  # fmt: skip


def _page(text: str, status: int = 200) -> Response:
    return HTMLResponse(_PAGE.format(text=escape(text)), status_code=status, headers=_HEADERS)


def oidc_routes(
    settings: Settings, client: AsyncWebClient, clock: Clock, kick: Callable[[], None]
) -> list[Route]:
    provider = provider_for(settings)
    roles = RoleDirectory.from_settings(client, settings)
    url = settings.database_url
    redirect_uri = (settings.public_url or "").rstrip("/") + stepup.CALLBACK_PATH

    async def start(request: Request) -> Response:
        state = request.path_params["state"]

        def target() -> str | None:
            with session_scope(url) as session:
                row = stepup.pending(session, state, now=clock())
                if row is None:
                    return None
                return provider.authorization_url(
                    state=state, nonce=row.nonce, code_verifier=row.code_verifier, redirect_uri=redirect_uri
                )

        try:
            found = await run_in_threadpool(target)
        except SignInRefused as exc:
            return _page(f"Sign-in is not available: {exc}", 503)
        if found is None:
            return _page(
                "This sign-in link cannot be used: it was used, it expired, or it does not exist.", 410
            )
        return RedirectResponse(found, status_code=302, headers=_HEADERS)

    async def callback(request: Request) -> Response:
        state, code = request.query_params.get("state", ""), request.query_params.get("code", "")
        step: stepup.Pending | None = None
        try:
            with session_scope(url) as session:
                step = stepup.take(session, state, now=clock())
            if request.query_params.get("error"):
                raise SignInRefused(f"the provider answered {request.query_params['error'][:100]!r}")
            email = await _slack_email(client, step.person.slack_id)
            given = await run_in_threadpool(
                stepup.verify, provider, step, code=code, redirect_uri=redirect_uri, slack_email=email
            )
            held = await roles.roles_of(step.person.slack_id)

            def record() -> str:
                assert step is not None
                with session_scope(url) as session:
                    status = stepup.give_key(session, step, roles=held, now=clock(), email=given)
                missing = ", ".join(r.value for r in status.missing) or "no"
                artefact = step.subject.artefact_id
                return f"Your {step.role.value} key for artefact {artefact} is recorded (missing: {missing})."

            text = await run_in_threadpool(record)
        except SignInRefused as exc:
            why = str(exc)
            step = step or (exc.step if isinstance(exc, stepup.Replayed) else None)

            def note() -> None:
                with session_scope(url) as session:
                    stepup.record_refusal(session, step, why, now=clock())

            await run_in_threadpool(note)
            return _page(f"No key was recorded: {why}.", 403)
        except (ArtefactRefused, ArtefactNotFound, cases.CaseError) as exc:
            return _page(f"No key was recorded: {exc}", 403)  # recorded by the artefact service
        kick()
        return _page(text)

    return [
        Route(stepup.START_PATH + "{state}", start, methods=["GET"]),
        Route(stepup.CALLBACK_PATH, callback, methods=["GET"]),
    ]


async def _slack_email(client: AsyncWebClient, user_id: str) -> str | None:
    try:
        answer = await client.users_info(user=user_id)
    except SlackApiError:
        return None
    return ((answer.get("user") or {}).get("profile") or {}).get("email")
