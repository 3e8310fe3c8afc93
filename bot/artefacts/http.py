"""The one-time download, served by `logdive serve`: `GET /artefacts/download/{token}` shows a button,
`POST` to the same path hands over the zip once.

GET never consumes the link: link previews (Slack's unfurler, mail scanners) fetch with GET, and a
preview must not use up the case owner's only download.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.artefacts import export
from bot.artefacts.errors import ArtefactNotFound, ArtefactRefused
from bot.artefacts.keys import KeyConfigError
from bot.artefacts.vault import Vault
from bot.clock import Clock
from bot.db.engine import session_scope

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
_PAGE = """<!doctype html><meta charset="utf-8"><title>Logdive download</title>
<form method="post" action="{action}"><p>This link downloads the approved artefacts once.</p>
<button type="submit">Download</button></form>"""


def download_route(database_url: str, vault: Callable[[], Vault], clock: Clock) -> Route:
    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "GET":
            action = escape(export.DOWNLOAD_PATH + token, quote=True)
            return HTMLResponse(_PAGE.format(action=action), headers=_HEADERS)

        def redeem() -> export.Bundle:
            with session_scope(database_url) as session:
                return export.redeem_download(session, vault(), token, now=clock())

        try:
            bundle = await run_in_threadpool(redeem)
        except KeyConfigError:
            # A server without an artefact key ring cannot hand anything over; say which setting.
            return PlainTextResponse(
                "artefact downloads are not configured on this server (LOGDIVE_ARTEFACT_KEY)",
                status_code=503,
                headers=_HEADERS,
            )
        except ArtefactNotFound:
            return PlainTextResponse("no such download link", status_code=404, headers=_HEADERS)
        except ArtefactRefused as exc:
            return PlainTextResponse(str(exc), status_code=410, headers=_HEADERS)
        disposition = f'attachment; filename="{bundle.filename}"'
        return Response(
            bundle.content,
            media_type="application/zip",
            headers={**_HEADERS, "Content-Disposition": disposition},
        )

    return Route(export.DOWNLOAD_PATH + "{token}", download, methods=["GET", "POST"])
