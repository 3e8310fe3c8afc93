"""An OpenID Connect provider stand-in, as strict as a real one where Logdive depends on it."""

from tests.oidc_standin.server import Login, OidcStandIn

__all__ = ["Login", "OidcStandIn"]
