"""OpenID Connect provider stand-in (OpenID Connect Core 1.0, RFC 6749, RFC 7636 PKCE, RFC 7517 JWKS).

Strict where a real provider is: one registered client and redirect URI, `response_type=code`, `openid`
in the scope, a nonce, PKCE with S256 only (the verifier checked at the token endpoint), codes usable
once and for one minute, client authentication (basic or post), RS256 ID tokens signed by the current
key of a JWKS that rotates. Who signs in at the "browser" is what the test sets in `login`; the
test can also make the provider misbehave (another audience, an old sign-in, an expired or forged
token) to prove Logdive refuses it. Every request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "logdive-standin-client"
CLIENT_SECRET = "standin-client-secret-0123456789"


@dataclass(frozen=True)
class Login:
    """The person at the browser, and how the provider answers for them."""

    email: str
    sub: str = "user-1"
    email_verified: bool = True
    signed_in_seconds_ago: int = 5
    expires_in: int = 300
    audience: str | None = None  # None: the client that asked
    forged: bool = False  # signed by a key the JWKS does not publish


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    login: Login
    issued: float
    used: bool = False


@dataclass
class OidcStandIn:
    redirect_uri: str
    login: Login | None = None
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._keys = [RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})]
        self._rogue = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- the test's controls ------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def rotate(self, *, keep_old: bool = True) -> None:
        """A new signing key; the old one stays published (for tokens already out) unless told otherwise."""
        with self._lock:
            kid = f"k{len(self._keys) + 1}"
            new = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
            self._keys = [new, *self._keys] if keep_old else [new]

    def calls(self, path: str) -> list[dict[str, str]]:
        return [args for method, p, args in self.requests if p == path]

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> OidcStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- HTTP --------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(request.path)
        args = dict(parse_qsl(url.query))
        if method == "POST":
            length = int(request.headers.get("Content-Length") or 0)
            args.update(dict(parse_qsl(request.rfile.read(length).decode())))
        with self._lock:
            self.requests.append((method, url.path, args))
        routes = {
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/jwks"): self._jwks,
            ("GET", "/authorize"): self._authorize,
            ("POST", "/token"): self._token,
        }
        handler = routes.get((method, url.path))
        if handler is None:
            self._send(request, 404, {"error": "not_found"})
            return
        status, body, headers = handler(args, request)
        self._send(request, status, body, headers)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _discovery(self, _args: dict[str, str], _request: Any) -> tuple[int, Any, dict[str, str]]:
        return (
            200,
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": ["sub", "email", "email_verified", "auth_time", "nonce"],
            },
            {},
        )

    def _jwks(self, _args: dict[str, str], _request: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            return 200, {"keys": [k.as_dict(private=False) for k in self._keys]}, {}

    def _authorize(self, args: dict[str, str], _request: Any) -> tuple[int, Any, dict[str, str]]:
        problems = []
        if args.get("client_id") != CLIENT_ID:
            problems.append("unknown client_id")
        if args.get("redirect_uri") != self.redirect_uri:
            problems.append("redirect_uri is not registered")
        if args.get("response_type") != "code":
            problems.append("response_type must be code")
        if "openid" not in args.get("scope", "").split():
            problems.append("scope lacks openid")
        if not args.get("nonce"):
            problems.append("nonce is required")
        if args.get("code_challenge_method") != "S256" or len(args.get("code_challenge", "")) < 43:
            problems.append("PKCE with S256 is required")
        if args.get("prompt") != "login" or not args.get("max_age", "").isdigit():
            problems.append("this client must ask for a fresh sign-in (prompt=login, max_age)")
        if problems or self.login is None:
            return (
                400,
                {"error": "invalid_request", "error_description": "; ".join(problems) or "nobody signs in"},
                {},
            )
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                CLIENT_ID,
                args["redirect_uri"],
                args["nonce"],
                args["code_challenge"],
                self.login,
                time.time(),
            )
        target = f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args.get('state', '')})}"
        return 302, None, {"Location": target}

    def _client(self, args: dict[str, str], request: BaseHTTPRequestHandler) -> str | None:
        header = request.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            client, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client, secret = args.get("client_id", ""), args.get("client_secret", "")
        return client if (client, secret) == (CLIENT_ID, CLIENT_SECRET) else None

    def _token(self, args: dict[str, str], request: Any) -> tuple[int, Any, dict[str, str]]:
        if self._client(args, request) is None:
            return 401, {"error": "invalid_client"}, {}
        if args.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}, {}
        with self._lock:
            grant = self._grants.get(args.get("code", ""))
            if grant is None or grant.used or time.time() - grant.issued > 60:
                return 400, {"error": "invalid_grant"}, {}
            grant.used = True
        if args.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}, {}
        verifier = args.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"}, {}
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                     "id_token": self._id_token(grant)}, {}  # fmt: skip

    def _id_token(self, grant: _Grant) -> str:
        login, now = grant.login, int(time.time())
        claims = {
            "iss": self.issuer, "sub": login.sub, "aud": login.audience or grant.client_id,
            "exp": now + login.expires_in, "iat": now, "auth_time": now - login.signed_in_seconds_ago,
            "nonce": grant.nonce, "email": login.email, "email_verified": login.email_verified,
        }  # fmt: skip
        with self._lock:
            key = self._rogue if login.forged else self._keys[0]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def with_login(standin: OidcStandIn, **changes: Any) -> None:
    assert standin.login is not None
    standin.login = replace(standin.login, **changes)
