"""The base's secret keys, kept in the lake outside every release (``keys/``, file mode 0600, created on first
use): the ed25519 signing key of its releases and the key recipient fingerprints derive from."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from robofuel._lazy import require
from robofuel.errors import InputError

KEYS_DIR = "keys"
SIGNING_KEY = "release-signing.pem"
FINGERPRINT_KEY = "fingerprint.key"


def _secret_file(folder: Path, name: str, make: bytes) -> bytes:
    """The bytes of ``folder/name``, written first (mode 0600, never replaced) from ``make`` when absent."""
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(make)
    if path.stat().st_mode & 0o077:
        raise InputError(f"{path}: the key is readable by other users; run `chmod 600 {path}` and try again")
    return path.read_bytes()


def signing_key(keys: Path) -> object:
    """The base's ed25519 private key (an ``Ed25519PrivateKey``), created on first use."""
    require("cryptography", "release")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    fresh = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return serialization.load_pem_private_key(_secret_file(keys, SIGNING_KEY, fresh), password=None)


def recipient_key(keys: Path, release: str, recipient: str) -> bytes:
    """The 32-byte fingerprint key of one recipient's copy of one release (HMAC-SHA256 of the base's secret)."""
    secret = _secret_file(keys, FINGERPRINT_KEY, secrets.token_bytes(32))
    return hmac.digest(secret, f"{release}\0{recipient}".encode(), "sha256")
