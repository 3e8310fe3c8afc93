"""The artefact key ring: LOGDIVE_ARTEFACT_KEY holds one or more `keyid:base64key` entries, current first.

    LOGDIVE_ARTEFACT_KEY="2026-11:q0Y…=,2026-05:Zm9…="

Entries are separated by commas, spaces or new lines. Each key is 32 random bytes (AES-256), in
standard or URL-safe base64; a key id is 1–32 letters, digits, '.', '_' or '-'. New artefacts are
sealed with the first (current) key; older keys stay in the ring so what they sealed can still be
read until `logdive keys rotate` has re-sealed it under the current key. Errors never echo key material.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

SETTING = "LOGDIVE_ARTEFACT_KEY"
KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SEPARATORS = re.compile(r"[\s,]+")


class KeyConfigError(ValueError):
    """The key ring setting is missing or malformed; the message names the setting and what is allowed."""


class UnknownKey(KeyError):
    def __init__(self, key_id: str) -> None:
        super().__init__(key_id)
        self.key_id = key_id

    def __str__(self) -> str:
        return f"key {self.key_id!r} is not in {SETTING}: add it back (after the current key) to read this"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise KeyConfigError(f"{SETTING}: the current key {self.current_id!r} is not in the ring")

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKey(key_id) from None

    def __repr__(self) -> str:  # never print key material, even in a traceback
        return f"KeyRing(current_id={self.current_id!r}, key_ids={list(self.keys)!r})"

    @classmethod
    def parse(cls, text: str | None) -> KeyRing:
        entries = [e for e in _SEPARATORS.split(text or "") if e]
        if not entries:
            raise KeyConfigError(
                f"{SETTING} is not set: it needs at least one `keyid:base64key` entry "
                "(`logdive keys generate` prints one)"
            )
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(entries, start=1):
            key_id, colon, encoded = entry.partition(":")
            where = f"{SETTING} entry {position}"
            if not colon or not _KEY_ID.fullmatch(key_id):
                raise KeyConfigError(
                    f"{where}: expected `keyid:base64key`; a key id is 1–32 letters, digits, '.', '_', '-'"
                )
            if key_id in keys:
                raise KeyConfigError(f"{where}: key id {key_id!r} appears twice")
            keys[key_id] = _decode(encoded, where)
        return cls(current_id=next(iter(keys)), keys=keys)


def _decode(encoded: str, where: str) -> bytes:
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{where}: the key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"{where}: the key must be {KEY_BYTES} bytes (AES-256), got {len(raw)}")
    return raw


def generate_entry(key_id: str) -> str:
    """A fresh `keyid:base64key` entry to put first in LOGDIVE_ARTEFACT_KEY."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyConfigError(f"key id: {key_id!r} must be 1–32 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
