"""Slack's request signature, checked at the HTTP edge before Bolt, a parser or a log line sees the body.

Slack signs `v0:{timestamp}:{body}` with the app's signing secret (HMAC-SHA256, slack_sdk's
SignatureVerifier) and sends it in X-Slack-Signature; a timestamp more than five minutes away from now
is refused as a replay. The caller logs a refusal with its reason and the body's length, nothing else:
an unverified body is anyone's text, and a late but genuine one carries a customer's details.
"""

from __future__ import annotations

import hmac

from slack_sdk.signature import SignatureVerifier

MAX_AGE_SECONDS = 300  # Slack's own rule, and Bolt's


def refusal(body: bytes, timestamp: str | None, signature: str | None, secret: str, now: float) -> str | None:
    """Why this request is not a current one from Slack (a short fixed reason), or None when it is."""
    if not secret:
        return "no signing secret configured"
    if not timestamp or not signature:
        return "unsigned"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "stale timestamp"
    expected = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    if expected is None or not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None
