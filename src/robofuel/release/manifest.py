"""A release's manifest (``release.json``: what it holds, the sha256 of every file), its ed25519 signature
(``release.json.sig``, base64) and the public key that checks it (``public_key.pem``), and their verification.

The manifest lists every file of its folder except itself and its signature (and, for the base's own copy, the
recipients' copies under ``recipients/``, which carry manifests of their own). Anyone holding the folder can check
it with :func:`verify_folder`: every listed file present with its sha256, no file unlisted, and the signature
valid for the shipped public key; the base also checks that the key is its own.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robofuel._lazy import require
from robofuel.errors import InputError
from robofuel.lake import file_sha256

MANIFEST = "release.json"
SIGNATURE = "release.json.sig"
PUBLIC_KEY = "public_key.pem"
RECIPIENTS = "recipients"


def listed_files(folder: Path, skip_recipients: bool = True) -> dict[str, str]:
    """{relative posix path: sha256} of the files a manifest lists, sorted."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in (MANIFEST, SIGNATURE) or (skip_recipients and rel.split("/", 1)[0] == RECIPIENTS):
            continue
        out[rel] = file_sha256(path)
    return out


def public_pem(private_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    pem: bytes = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


def write_signed(folder: Path, manifest: dict[str, Any], private_key: Any) -> dict[str, Any]:
    """Write the public key, then the manifest (with every file's sha256, the key's included) and its signature;
    the manifest written."""
    (folder / PUBLIC_KEY).write_bytes(public_pem(private_key))
    manifest = {**manifest, "files": listed_files(folder)}
    body = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / MANIFEST).write_bytes(body)
    (folder / SIGNATURE).write_text(base64.b64encode(private_key.sign(body)).decode() + "\n")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """A release folder's manifest (InputError naming the folder when it has none or it is not JSON)."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: no readable {MANIFEST} ({exc}); is this a robofuel release?") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise InputError(f"{folder / MANIFEST}: not a robofuel release manifest")
    return data


@dataclass
class Check:
    """What :func:`verify_folder` found: files changed, missing or not listed, and the signature's state."""

    folder: str
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    signature: str = "valid"  # valid | invalid | missing
    base_key: bool | None = None  # signed by this base's key (None: not checked)

    @property
    def ok(self) -> bool:
        return (
            not (self.changed or self.missing or self.unlisted)
            and self.signature == "valid"
            and self.base_key is not False
        )

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def _signature_state(folder: Path) -> str:
    require("cryptography", "release")
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key((folder / PUBLIC_KEY).read_bytes())
        signature = base64.b64decode((folder / SIGNATURE).read_text().strip(), validate=True)
    except (OSError, ValueError):
        return "missing"
    if not isinstance(key, Ed25519PublicKey):
        return "invalid"
    try:
        key.verify(signature, (folder / MANIFEST).read_bytes())
    except InvalidSignature:
        return "invalid"
    return "valid"


def verify_folder(folder: Path, base_public: bytes | None = None) -> Check:
    """Recompute every checksum of the release at ``folder`` and check its signature (and that the shipped key is
    ``base_public``, the base's, when given)."""
    manifest = read_manifest(folder)
    check = Check(str(folder))
    actual = listed_files(folder, skip_recipients=manifest.get("recipient") is None)
    listed: dict[str, str] = manifest["files"]
    check.missing = sorted(set(listed) - set(actual))
    check.unlisted = sorted(set(actual) - set(listed))
    check.changed = sorted(k for k in set(listed) & set(actual) if listed[k] != actual[k])
    check.signature = _signature_state(folder)
    if base_public is not None and (folder / PUBLIC_KEY).is_file():
        check.base_key = (folder / PUBLIC_KEY).read_bytes() == base_public
    return check
