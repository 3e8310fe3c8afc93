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
_PAGE = """<!doctype html><meta charset="utf-8"><title>Logdive download: {case}</title>
<h1>{case}: approved artefacts</h1>
<p>Each file below was approved by a Security key and a Legal key from two different people for hand-over
to the customer. Check the files against these SHA-256 checksums (also in SHA256SUMS in the zip).</p>
<table><tr><th>artefact</th><th>version</th><th>file</th><th>SHA-256</th></tr>{rows}</table>
<form method="post" action="{action}"><p>This link downloads them once, until {expires}.</p>
<button type="submit">Download</button></form>"""
_ROW = "<tr><td>{id}</td><td>{version}</td><td>{name}</td><td><code>{sha256}</code></td></tr>"
_GONE = """<!doctype html><meta charset="utf-8"><title>Logdive download</title>
<p>This download link cannot be used: it was used already, it expired, or it does not exist.</p>"""


def download_route(database_url: str, vault: Callable[[], Vault], clock: Clock) -> Route:
    def page(token: str) -> Response:
        """What the link holds (case, files, SHA-256), read without using the link up."""
        with session_scope(database_url) as session:
            facts = export.download_facts(session, token, now=clock())
        if facts is None:
            return HTMLResponse(_GONE, status_code=410, headers=_HEADERS)
        rows = "".join(
            _ROW.format(**{k: escape(str(v), quote=True) for k, v in file.items()})
            for file in facts["files"]  # type: ignore[attr-defined]
        )
        return HTMLResponse(
            _PAGE.format(
                case=escape(str(facts["case"])),
                rows=rows,
                expires=f"{facts['expires_at']:%Y-%m-%d %H:%M} UTC",
                action=escape(export.DOWNLOAD_PATH + token, quote=True),
            ),
            headers=_HEADERS,
        )

    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "GET":
            return await run_in_threadpool(page, token)

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
