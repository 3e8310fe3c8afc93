"""Stable pseudonyms per case: `user-7f3a19c2`, `ip-19c2ab04`, so patterns stay readable without names.

A pseudonym is a keyed BLAKE2b digest of the normalised value. The key is derived per case (bot/ mixes in
a deployment secret), so the same person has the same pseudonym throughout one case and an unrelated
one in every other case: pseudonyms cannot be joined across cases.
"""

from __future__ import annotations

import hashlib
import ipaddress
from enum import StrEnum
from functools import lru_cache

DIGEST_BYTES = 4  # 8 hex digits: readable, and collisions stay unlikely below ~10k identifiers a case


class IdentifierKind(StrEnum):
    """What a pseudonym stands for; its prefix. Different kinds never share a pseudonym."""

    USERNAME = "user"
    USER_ID = "uid"
    NAME = "name"  # a display name, e.g. audit_json's author_name
    EMAIL = "email"
    IP = "ip"
    NAMESPACE = "ns"  # a group or project path outside the customer's namespace


_PREFIXES = frozenset(kind.value for kind in IdentifierKind)
_HEX = frozenset("0123456789abcdef")


def is_pseudonym(value: object) -> bool:
    """True for a value shaped like a pseudonym (`user-7f3a19c2`). Shape only: anyone can register the
    username `user-deadbeef`, so redaction asks `Pseudonymiser.produced` instead, never this.

    Plain string tests rather than a regular expression: this runs for every identifier of every entry.
    """
    if type(value) is not str or not 10 <= len(value) <= 14:
        return False
    prefix, dash, digits = value.partition("-")
    return dash == "-" and prefix in _PREFIXES and len(digits) == 2 * DIGEST_BYTES and _HEX.issuperset(digits)


def normalise(kind: IdentifierKind, value: object) -> str:
    """The canonical text of an identifier: GitLab usernames, paths and emails are case-insensitive."""
    text = str(value).strip()
    if kind is IdentifierKind.IP:
        try:
            return ipaddress.ip_address(text).compressed
        except ValueError:
            return text.lower()
    if kind in (IdentifierKind.USERNAME, IdentifierKind.EMAIL, IdentifierKind.NAMESPACE):
        return text.lower().removeprefix("@")
    return text


class Pseudonymiser:
    """Maps identifiers to pseudonyms with one case's key. Pure: the same key and value, the same answer."""

    def __init__(self, case_key: bytes) -> None:
        if not 16 <= len(case_key) <= 64:
            raise ValueError("a case key is 16 to 64 bytes")
        self._key = case_key
        self.pseudonym = lru_cache(maxsize=65536)(self._pseudonym)
        # What this pseudonymiser handed out: the only values redaction leaves as they are (so
        # redacting its own output again changes nothing, while a raw `user-deadbeef` is pseudonymised).
        self.produced: set[str] = set()

    def _pseudonym(self, kind: IdentifierKind, value: object) -> str:
        if type(value) is str and value in self.produced:
            return str(value)
        digest = hashlib.blake2b(
            normalise(kind, value).encode("utf-8", "surrogatepass"),
            key=self._key,
            digest_size=DIGEST_BYTES,
            person=kind.value.encode(),  # a username and an IP with the same text still differ
        )
        pseudonym = f"{kind.value}-{digest.hexdigest()}"
        self.produced.add(pseudonym)
        return pseudonym


def case_key(case_id: str, secret: bytes = b"") -> bytes:
    """The pseudonym key of one case; with a deployment secret nobody can recompute it from the case id."""
    return hashlib.blake2b(case_id.encode(), key=secret[:64], digest_size=32, person=b"logdive-case").digest()
