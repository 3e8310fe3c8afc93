"""The OpenID Connect provider: Authlib for discovery's client side, the authorization URL (code flow with
PKCE, `prompt=login`, a nonce, `max_age`) and the code exchange; joserfc (Authlib's JOSE library) for
the ID token's signature and claims.

An ID token counts only when it is RS256-signed by a key in the provider's JWKS (fetched again once
when it names a key id not seen yet: key rotation), was issued by the configured issuer for this client,
is not expired, carries the nonce of this sign-in, says the person signed in at most `max_age` seconds
ago, and names a verified e-mail address. Logdive writes none of the cryptography.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT = 10
ALGORITHMS = ["RS256"]  # the one algorithm accepted: never "none", never HS256 with a public key


class SignInRefused(Exception):
    """The sign-in does not prove who it must; the message says why, for the person and the case log."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str
    max_age_seconds: int = 300


class Provider:
    def __init__(self, config: ProviderConfig, *, http: requests.Session | None = None) -> None:
        self.config = config
        self._http = http or requests.Session()
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    # -- discovery ---------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                found = self._get(url)
                if found.get("issuer") != self.config.issuer:
                    raise SignInRefused("the provider's discovery document names another issuer")
                for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not str(found.get(field, "")).startswith(("https://", "http://")):
                        raise SignInRefused(f"the provider's discovery document has no {field}")
                if "S256" not in found.get("code_challenge_methods_supported", ["S256"]):
                    raise SignInRefused("the provider does not support PKCE with S256")
                self._metadata = found
            return self._metadata

    def _keys(self, refresh: bool = False) -> Any:
        with self._lock:
            if self._jwks is None or refresh:
                self._jwks = self._get(self.metadata_unlocked()["jwks_uri"])
            return KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]

    def metadata_unlocked(self) -> dict[str, Any]:
        assert self._metadata is not None
        return self._metadata

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=TIMEOUT)
            response.raise_for_status()
            return dict(response.json())
        except (requests.RequestException, ValueError) as exc:
            raise SignInRefused(f"the sign-in provider could not be reached ({type(exc).__name__})") from None

    # -- the flow ----------------------------------------------------------------------------------
    def _client(self, redirect_uri: str) -> OAuth2Session:
        client = OAuth2Session(
            self.config.client_id, self.config.client_secret, scope="openid email", redirect_uri=redirect_uri,
            code_challenge_method="S256", default_timeout=TIMEOUT,  # a requests.Session has no timeout
        )  # fmt: skip
        return client

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
        url, _state = self._client(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier,
            prompt="login", max_age=self.config.max_age_seconds,
        )  # fmt: skip
        return str(url)

    def exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> str:
        """The ID token for `code` (client authenticated, PKCE verifier sent)."""
        try:
            token = self._client(redirect_uri).fetch_token(
                self.metadata()["token_endpoint"], code=code, code_verifier=code_verifier,
                grant_type="authorization_code",
            )  # fmt: skip
        except Exception as exc:  # Authlib raises its own OAuth errors and requests' errors
            raise SignInRefused(f"the provider refused the sign-in code ({type(exc).__name__})") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("the provider returned no ID token")
        return id_token

    def verify(self, id_token: str, *, nonce: str, now: float | None = None) -> dict[str, Any]:
        """The ID token's claims when every check passes; SignInRefused says which did not."""
        now = time.time() if now is None else now
        registry = jwt.JWTClaimsRegistry(
            now=int(now),
            leeway=0,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
            auth_time={"essential": True},
        )
        self.metadata()
        try:
            try:
                token = jwt.decode(id_token, self._keys(), algorithms=ALGORITHMS)
            except (ValueError, JoseError):
                # The provider may have rotated its keys since they were fetched: fetch them once more.
                token = jwt.decode(id_token, self._keys(refresh=True), algorithms=ALGORITHMS)
            registry.validate(token.claims)
        except (ValueError, JoseError) as exc:
            raise SignInRefused(f"the ID token does not verify ({_why(exc)})") from None
        claims = dict(token.claims)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise SignInRefused("the ID token was issued to another client (azp)")
        if now - float(claims["auth_time"]) > self.config.max_age_seconds:
            raise SignInRefused(
                f"the sign-in is older than {self.config.max_age_seconds} seconds: sign in again"
            )
        if not claims.get("email") or claims.get("email_verified") is not True:
            raise SignInRefused("the ID token names no verified e-mail address")
        return claims


def _why(exc: Exception) -> str:
    error = getattr(exc, "error", None) or type(exc).__name__
    return str(error)
