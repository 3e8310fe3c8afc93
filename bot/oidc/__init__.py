"""Step-up sign-in with any OpenID Connect provider before a review key is recorded (LOGDIVE_OIDC_*)."""
