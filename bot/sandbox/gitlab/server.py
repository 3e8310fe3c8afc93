"""The GitLab REST stand-in: a real HTTP server on 127.0.0.1 answering /api/v4 as GitLab documents it.

Strict where GitLab is: a token (PRIVATE-TOKEN or Authorization: Bearer) on every API route, else
401 {"message": "401 Unauthorized"}; ids are numbers or URL-encoded full paths; lists paginate with
GitLab's headers. Tests arrange faults (429 with Retry-After, 5xx, slowness, lost answers) and read a
log of every request. Test-only controls live outside the API, under /-/standin/ (for the stand-in run
as its own process): GET/DELETE requests, POST/DELETE faults, POST seed.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import gitlab

from bot.sandbox.gitlab.faults import Fault, FaultPlan, RecordedRequest
from bot.sandbox.gitlab.router import ApiError, RequestContext, Response, Router
from bot.sandbox.gitlab.routes import api_router
from bot.sandbox.gitlab.state import DEFAULT_TOKEN, GitLabState, User

API_PREFIX = "/api/v4"
CONTROL_PREFIX = "/-/standin/"
BOT_USERNAME = "logdive-bot"


class GitLabStandIn:
    """Start with `start()` (or `with GitLabStandIn() as gl:`); `url` is what GITLAB_URL would be."""

    def __init__(self, state: GitLabState | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state or GitLabState()
        self.bot: User = self.state.user_by_username(BOT_USERNAME) or self.state.add_user(
            BOT_USERNAME, name="Logdive", admin=True
        )
        self.bot.bot = True
        self.token = DEFAULT_TOKEN
        self.state.add_token(self.token, self.bot)
        self.faults = FaultPlan()
        self.router: Router = api_router()
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> GitLabStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as python-gitlab's requests session expects
            timeout = 30  # an idle kept-alive connection does not hold its thread for ever
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

            def log_message(self, *_args: Any) -> None:  # quiet: requests are recorded instead
                pass

            def do_GET(self) -> None:
                standin._handle(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

        self._server = _QuietOnHangUp(self._address, Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for one poll: keep fixtures quick
            name="gitlab-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GitLabStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The instance URL (GITLAB_URL), without /api/v4."""
        if self._server is None:
            raise RuntimeError("the GitLab stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address (bytes only for a Unix socket)
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}{API_PREFIX}"

    def gitlab(self, **kwargs: Any) -> gitlab.Gitlab:
        """A python-gitlab client for this stand-in, acting as the bot (for tests of the stand-in)."""
        return gitlab.Gitlab(self.url, private_token=kwargs.pop("private_token", self.token), **kwargs)

    # --- faults --------------------------------------------------------------------------------

    def rate_limit_next(
        self, times: int = 1, *, retry_after: int = 1, path: str | None = None, method: str | None = None
    ) -> Fault:
        """The next `times` matching requests answer 429 with Retry-After, as GitLab's throttles do."""
        return self.faults.add(
            Fault(status=429, retry_after=retry_after, path=path, method=method, times=times)
        )

    def fail_next(
        self, times: int = 1, *, status: int = 503, path: str | None = None, method: str | None = None
    ) -> Fault:
        return self.faults.add(Fault(status=status, path=path, method=method, times=times))

    def fail_always(self, *, status: int = 503, path: str | None = None, method: str | None = None) -> Fault:
        return self.faults.add(Fault(status=status, path=path, method=method, times=None))

    def delay_next(
        self, times: int = 1, *, seconds: float, path: str | None = None, method: str | None = None
    ) -> Fault:
        return self.faults.add(Fault(delay=seconds, path=path, method=method, times=times))

    def disconnect_next(
        self,
        times: int = 1,
        *,
        after_processing: bool = False,
        path: str | None = None,
        method: str | None = None,
    ) -> Fault:
        """Close the connection without an answer; with `after_processing` the request took effect first
        (an answer lost on the way back: what an idempotent writer must survive)."""
        return self.faults.add(
            Fault(disconnect=True, after_processing=after_processing, path=path, method=method, times=times)
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    # --- the request log -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._log_lock:
            return list(self._log)

    def requests_to(self, path: str, method: str | None = "GET") -> list[RecordedRequest]:
        """Recorded requests whose raw path matches the regex `path` (searched), oldest first."""
        return [
            r for r in self.requests if re.search(path, r.path) and (method is None or r.method == method)
        ]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    # --- serving -------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        method = request.command
        raw_path, _, raw_query = request.path.partition("?")
        query = tuple(parse_qsl(raw_query, keep_blank_values=True))
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in request.headers.items()}

        if raw_path.startswith(CONTROL_PREFIX):
            self._write(request, self._control(method, raw_path[len(CONTROL_PREFIX) :], body))
            return

        fault = self.faults.take(method, raw_path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        response: Response | None = None
        if fault and fault.status:
            response = _fault_response(fault)
        elif not (fault and fault.disconnect and not fault.after_processing):
            origin = f"http://{headers['host']}" if "host" in headers else self.url
            response = self._api(method, raw_path, query, body, headers, origin)
        lost = bool(fault and fault.disconnect)
        # Recorded before the answer leaves: a test that has its answer also finds it in the log.
        status = None if lost or response is None else response.status
        with self._log_lock:
            self._log.append(
                RecordedRequest(
                    method, raw_path, query, headers, body, status, fault.label if fault else None
                )
            )
        if lost or response is None:
            request.close_connection = True
            return
        self._write(request, response)

    def _api(
        self,
        method: str,
        raw_path: str,
        query: tuple[tuple[str, str], ...],
        body: bytes,
        headers: dict[str, str],
        origin: str,
    ) -> Response:
        if not raw_path.startswith(API_PREFIX + "/"):
            return Response(404, {"error": "404 Not Found"})
        path = raw_path[len(API_PREFIX) :]
        try:
            found = self.router.match(method, path)
            if found is None:
                return Response(404, {"error": "404 Not Found"})  # GitLab's catch-all API route
            route, params = found
            ctx = RequestContext(self.state, method, path, params, list(query), body, origin)
            ctx.current_user = self._authenticate(headers)
            if route.authenticated and ctx.current_user is None:
                return Response(401, {"message": "401 Unauthorized"})
            with self.state.lock:
                return route.handler(ctx)
        except ApiError as error:
            return Response(error.status, error.body, error.headers)

    def _authenticate(self, headers: dict[str, str]) -> User | None:
        token = headers.get("private-token")
        authorization = headers.get("authorization", "")
        if token is None and authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip()
        user = self.state.user_for_token(token) if token else None
        return user if user is not None and user.state == "active" else None

    def _control(self, method: str, what: str, body: bytes) -> Response:
        """Test controls for a stand-in in another process; never part of GitLab's API."""
        data = json.loads(body) if body else {}
        if what == "requests" and method == "GET":
            return Response(body=[r.as_json() for r in self.requests])
        if what == "requests" and method == "DELETE":
            self.clear_requests()
            return Response(204)
        if what == "faults" and method == "POST":
            self.faults.add(Fault(**data))
            return Response(201, {"added": data})
        if what == "faults" and method == "DELETE":
            self.clear_faults()
            return Response(204)
        if what == "seed" and method == "POST":
            self.state.seed(data)
            return Response(201, {"seeded": sorted(data)})
        return Response(404, {"error": f"no stand-in control {method} {what}"})

    @staticmethod
    def _write(request: BaseHTTPRequestHandler, response: Response) -> None:
        headers = dict(response.headers)
        if isinstance(response.body, bytes | str):
            payload = response.body.encode() if isinstance(response.body, str) else response.body
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        elif response.status == 204:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
            headers.setdefault("Content-Type", "application/json")
        request.send_response(response.status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)


class _QuietOnHangUp(ThreadingHTTPServer):
    """A client that gave up (its timeout, a test's end) is expected; anything else still prints."""

    request_queue_size = 1024  # socketserver's default of 5 overflows under many calls at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def _fault_response(fault: Fault) -> Response:
    if fault.status == 429:
        # Rack::Attack's throttled answer, with the headers GitLab documents for its rate limits.
        retry_after = fault.retry_after if fault.retry_after is not None else 60
        reset = int(time.time()) + retry_after
        headers = {
            "Retry-After": str(retry_after),
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": "2000",
            "RateLimit-Observed": "2001",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
        }
        return Response(429, "Retry later\n", headers)
    status = fault.status or 500
    phrase = HTTPStatus(status).phrase
    if status == 500:
        return Response(500, {"message": "500 Internal Server Error"})
    # 502/503/504 come from the proxy in front of Rails, as HTML
    html = f"<html><body><h1>{status} {phrase}</h1></body></html>\n"
    return Response(status, html, {"Content-Type": "text/html; charset=utf-8"})
