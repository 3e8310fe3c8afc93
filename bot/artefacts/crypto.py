"""AES-256-GCM sealing of one artefact blob, bound to where it is stored.

A sealed blob is `LDA1 | len(key id) | key id | 96-bit nonce | ciphertext+tag`. The header (with the
key id) and the blob's storage reference are the associated data: a flipped byte, a header pointing
at another key, or a blob copied over another artefact's file all fail the tag check on read.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.artefacts.keys import KeyRing

MAGIC = b"LDA1"
NONCE_BYTES = 12
# AESGCM takes at most 2**31 - 1 bytes in one call; a diagnostic upload larger than this is refused.
MAX_PLAINTEXT_BYTES = 2**31 - 1 - 16


class TamperedArtefact(Exception):
    """The stored bytes do not authenticate: changed, truncated, swapped or sealed with another key."""


def seal(ring: KeyRing, plaintext: bytes, context: str) -> bytes:
    if len(plaintext) > MAX_PLAINTEXT_BYTES:
        raise ValueError(f"artefact: at most {MAX_PLAINTEXT_BYTES} bytes, got {len(plaintext)}")
    header = _header(ring.current_id)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(ring.current).encrypt(nonce, plaintext, _aad(header, context))


def key_id_of(blob: bytes) -> str:
    """The key id a blob says it was sealed with (authenticated only once `unseal` succeeds)."""
    if len(blob) < len(MAGIC) + 1 or not blob.startswith(MAGIC):
        raise TamperedArtefact("not a Logdive artefact blob (bad header)")
    length = blob[len(MAGIC)]
    key_id = blob[len(MAGIC) + 1 : len(MAGIC) + 1 + length]
    if len(key_id) != length or len(blob) < len(MAGIC) + 1 + length + NONCE_BYTES + 16:
        raise TamperedArtefact("truncated artefact blob")
    try:
        return key_id.decode("ascii")
    except UnicodeDecodeError:
        raise TamperedArtefact("not a Logdive artefact blob (bad key id)") from None


def unseal(ring: KeyRing, blob: bytes, context: str) -> bytes:
    """The plaintext, or TamperedArtefact; UnknownKey when the blob's key is no longer in the ring."""
    key_id = key_id_of(blob)
    key = ring.key(key_id)
    header = _header(key_id)
    nonce = blob[len(header) : len(header) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(header) + NONCE_BYTES :], _aad(header, context))
    except InvalidTag:
        raise TamperedArtefact(
            f"artefact blob {context} failed authentication: it was changed, or key {key_id!r} is wrong"
        ) from None


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([len(encoded)]) + encoded


def _aad(header: bytes, context: str) -> bytes:
    return header + b"\x00" + context.encode("utf-8")
