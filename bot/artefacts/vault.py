"""The vault: sealed blobs in a store, opened with the key ring, checked against their SHA-256."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from bot.artefacts import crypto
from bot.artefacts.crypto import TamperedArtefact
from bot.artefacts.keys import KeyRing
from bot.artefacts.store import BlobStore, LocalDirectoryStore, new_ref
from bot.settings import Settings


@dataclass(frozen=True)
class Sealed:
    ref: str
    key_id: str
    sha256: str  # of the plaintext
    size: int


class Vault:
    def __init__(self, store: BlobStore, ring: KeyRing) -> None:
        self.store = store
        self.ring = ring

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        secret = settings.artefact_key.get_secret_value() if settings.artefact_key else None
        return cls(LocalDirectoryStore(Path(settings.artefact_dir)), KeyRing.parse(secret))

    def put(self, plaintext: bytes) -> Sealed:
        """Seal under the current key at a fresh reference."""
        ref = new_ref()
        self.store.put(ref, crypto.seal(self.ring, plaintext, ref))
        return Sealed(ref, self.ring.current_id, hashlib.sha256(plaintext).hexdigest(), len(plaintext))

    def get(self, ref: str, *, sha256: str) -> bytes:
        """The plaintext, refused (TamperedArtefact) unless it authenticates and matches `sha256`."""
        plaintext = crypto.unseal(self.ring, self.store.get(ref), ref)
        if not hmac.compare_digest(hashlib.sha256(plaintext).hexdigest(), sha256):
            raise TamperedArtefact(f"artefact blob {ref} does not match its recorded SHA-256")
        return plaintext

    def key_id_of(self, ref: str) -> str:
        return crypto.key_id_of(self.store.get(ref))

    def rekey(self, ref: str) -> tuple[str, str]:
        """Re-seal the blob under the current key, in place. Returns (old key id, new key id)."""
        blob = self.store.get(ref)
        old = crypto.key_id_of(blob)
        if old != self.ring.current_id:
            self.store.put(ref, crypto.seal(self.ring, crypto.unseal(self.ring, blob, ref), ref))
        return old, self.ring.current_id

    def discard(self, ref: str) -> bool:
        return self.store.delete(ref)
