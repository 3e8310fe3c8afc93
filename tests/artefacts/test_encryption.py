"""Encryption at rest: no plaintext in stored bytes, tampering and wrong keys refused, rotation readable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.artefacts import crypto
from bot.artefacts.crypto import TamperedArtefact
from bot.artefacts.keys import KeyConfigError, KeyRing, UnknownKey, generate_entry
from bot.artefacts.store import BlobMissing, LocalDirectoryStore
from bot.artefacts.vault import Vault
from tests.artefacts.conftest import MARKER, key, ring_text

PLAINTEXT = (f'{{"user": "bob", "secret": "{MARKER}"}}\n' * 200).encode()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_stored_bytes_never_contain_the_plaintext(tmp_path: Path) -> None:
    vault = Vault(LocalDirectoryStore(tmp_path), KeyRing.parse(ring_text(("k1", 1))))
    sealed = vault.put(PLAINTEXT)
    files = _files(tmp_path)
    assert len(files) == 1
    stored = files[0].read_bytes()
    for needle in (MARKER.encode(), b"bob", PLAINTEXT[:32], MARKER.encode().hex().encode()):
        assert needle not in stored
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert sealed.sha256 == hashlib.sha256(PLAINTEXT).hexdigest()
    assert vault.get(sealed.ref, sha256=sealed.sha256) == PLAINTEXT


def test_the_same_content_twice_seals_differently(tmp_path: Path) -> None:
    vault = Vault(LocalDirectoryStore(tmp_path), KeyRing.parse(ring_text(("k1", 1))))
    one, two = vault.put(PLAINTEXT), vault.put(PLAINTEXT)
    assert vault.store.get(one.ref)[-100:] != vault.store.get(two.ref)[-100:]


def test_a_wrong_key_is_refused(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    sealed = Vault(store, KeyRing.parse(ring_text(("k1", 1)))).put(PLAINTEXT)
    impostor = Vault(store, KeyRing.parse(ring_text(("k1", 2))))  # same id, other key
    with pytest.raises(TamperedArtefact, match="failed authentication"):
        impostor.get(sealed.ref, sha256=sealed.sha256)
    stranger = Vault(store, KeyRing.parse(ring_text(("k9", 1))))
    with pytest.raises(UnknownKey, match="'k1' is not in LOGDIVE_ARTEFACT_KEY"):
        stranger.get(sealed.ref, sha256=sealed.sha256)


def test_every_flipped_byte_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.parse(ring_text(("k1", 1)))
    blob = crypto.seal(ring, b"short artefact " + MARKER.encode(), "ref")
    for position in range(len(blob)):
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises((TamperedArtefact, UnknownKey)):
            crypto.unseal(ring, bytes(changed), "ref")
    with pytest.raises(TamperedArtefact):
        crypto.unseal(ring, blob[:-1], "ref")
    assert crypto.unseal(ring, blob, "ref").endswith(MARKER.encode())


def test_a_flipped_byte_on_disk_is_refused(tmp_path: Path) -> None:
    vault = Vault(LocalDirectoryStore(tmp_path), KeyRing.parse(ring_text(("k1", 1))))
    sealed = vault.put(PLAINTEXT)
    path = _files(tmp_path)[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x80
    path.write_bytes(bytes(data))
    with pytest.raises(TamperedArtefact):
        vault.get(sealed.ref, sha256=sealed.sha256)


def test_a_blob_copied_over_another_is_refused(tmp_path: Path) -> None:
    """The storage reference is authenticated: one artefact's blob cannot stand in for another's."""
    vault = Vault(LocalDirectoryStore(tmp_path), KeyRing.parse(ring_text(("k1", 1))))
    one, two = vault.put(b"first"), vault.put(b"second")
    vault.store.put(two.ref, vault.store.get(one.ref))
    with pytest.raises(TamperedArtefact):
        vault.get(two.ref, sha256=one.sha256)


def test_rotation_keeps_everything_readable(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    old = Vault(store, KeyRing.parse(ring_text(("k1", 1))))
    sealed = [old.put(f"artefact {i} {MARKER}".encode()) for i in range(5)]
    rotated = Vault(store, KeyRing.parse(ring_text(("k2", 2), ("k1", 1))))
    for s in sealed:  # readable under the new ring before re-sealing…
        assert rotated.get(s.ref, sha256=s.sha256).startswith(b"artefact")
    for s in sealed:
        assert rotated.rekey(s.ref) == ("k1", "k2")
        assert rotated.rekey(s.ref) == ("k2", "k2")  # idempotent
    only_new = Vault(store, KeyRing.parse(ring_text(("k2", 2))))
    for i, s in enumerate(sealed):  # …and after, without the old key at all
        assert only_new.get(s.ref, sha256=s.sha256) == f"artefact {i} {MARKER}".encode()


def test_a_missing_blob_is_named(tmp_path: Path) -> None:
    vault = Vault(LocalDirectoryStore(tmp_path), KeyRing.parse(ring_text(("k1", 1))))
    sealed = vault.put(b"x")
    assert vault.discard(sealed.ref) and not vault.discard(sealed.ref)
    with pytest.raises(BlobMissing):
        vault.get(sealed.ref, sha256=sealed.sha256)


def test_storage_references_cannot_escape_the_directory(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path / "store")
    with pytest.raises(ValueError, match="storage reference"):
        store.put("../../etc/passwd", b"x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "LOGDIVE_ARTEFACT_KEY is not set"),
        ("", "LOGDIVE_ARTEFACT_KEY is not set"),
        ("no-colon", "entry 1: expected `keyid:base64key`"),
        (f"k1:{key(1)},bad id:{key(2)}", "entry 2: expected"),
        ("k1:!!!notbase64", "entry 1: the key is not valid base64"),
        ("k1:" + "QUJD", "entry 1: the key must be 32 bytes (AES-256), got 3"),
        (f"k1:{key(1)} k1:{key(2)}", "key id 'k1' appears twice"),
    ],
)
def test_key_ring_errors_name_the_setting_and_never_the_key(text: str | None, message: str) -> None:
    with pytest.raises(KeyConfigError) as caught:
        KeyRing.parse(text)
    assert message in str(caught.value)
    assert key(1) not in str(caught.value) and key(2) not in str(caught.value)


def test_key_ring_order_separators_and_repr() -> None:
    ring = KeyRing.parse(f" k2:{key(2)}\n k1:{key(1).rstrip('=')} ")
    assert ring.current_id == "k2" and list(ring.keys) == ["k2", "k1"]
    assert key(2) not in repr(ring) and "k1" in repr(ring)
    entry = generate_entry("2027-01")
    assert KeyRing.parse(entry).current_id == "2027-01"
