"""Ed25519 signatures of model files, and which models rfclassify trusts.

Trust model (README, "Models and trust"):

- the model shipped inside the installed package is trusted: it is part of
  the code, and whoever can replace it can replace the code;
- any other model must carry a valid signature (``MODEL.sig`` beside it) by a
  key whose public half lies in a trusted-keys folder
  (:func:`trusted_key_dirs`: ``$XDG_CONFIG_HOME/rfclassify/trusted-keys/*.pub``,
  then ``/etc/rfclassify/trusted-keys/*.pub``), or the user opts in
  explicitly (``--allow-unsigned-model``, ``allow_unsigned=True`` or
  ``RFCLASSIFY_ALLOW_UNSIGNED_MODEL=1``);
- a signature that does not verify is refused even then: the model changed
  after it was signed.

``rfclassify model keygen`` makes this machine's signing key
(:func:`local_signing_key`) and trusts its public half here; ``rfclassify
train`` signs what it writes with that key when it exists, so models trained
on a machine load on it, and on another node once the ``.pub`` file is copied
into that node's trusted-keys folder.

A signature signs ``SIGNED_CONTEXT + SHA-256(model bytes)`` (the context keeps
a model signature from meaning anything else); the ``.sig`` file is JSON with
the signer's public key, so a bad signature is told apart from an untrusted
signer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rfclassify.errors import ModelError

SIGNATURE_SUFFIX = ".sig"
SIGNED_CONTEXT = b"rfclassify model signature v1\n"
SIGNATURE_FORMAT = "rfclassify-model-signature"
#: Environment variable that, set to 1 (or true/yes), loads unsigned models as ``--allow-unsigned-model`` does.
ALLOW_UNSIGNED_ENV = "RFCLASSIFY_ALLOW_UNSIGNED_MODEL"
SYSTEM_KEY_DIR = Path("/etc/rfclassify/trusted-keys")


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/rfclassify`` (default ``~/.config/rfclassify``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rfclassify"


def trusted_key_dirs() -> list[Path]:
    """Folders whose ``*.pub`` files are trusted signers: the user's, then the system's."""
    return [config_dir() / "trusted-keys", SYSTEM_KEY_DIR]


def local_signing_key() -> Path:
    """This machine's signing key (``rfclassify model keygen``), used by ``train`` when it exists."""
    return config_dir() / "signing-key.pem"


def allow_unsigned_from_env() -> bool:
    """True when :data:`ALLOW_UNSIGNED_ENV` says so."""
    return os.environ.get(ALLOW_UNSIGNED_ENV, "").strip().lower() in ("1", "true", "yes")


def signature_path(model_path: str | Path) -> Path:
    """``m.rfcm`` → ``m.rfcm.sig``."""
    path = Path(model_path)
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def _raw_public(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)  # type: ignore[attr-defined]


def key_id(public_key: object) -> str:
    """Short name of a public key: the first 16 hex digits of the SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def generate_key(private_path: str | Path, public_path: str | Path) -> str:
    """Write a new Ed25519 private key (PEM, mode 0600) and its public key (PEM); returns the key id.

    Refuses (:class:`ModelError`) to replace an existing file.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = Path(private_path), Path(public_path)
    for path in (private_path, public_path):
        if path.exists():
            raise ModelError(f"{path}: exists; remove it first (a key is not replaced by accident)")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_bytes(pub)
    return key_id(key.public_key())


def load_private_key(path: str | Path) -> object:
    """An Ed25519 private key from a PEM file; :class:`ModelError` otherwise."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the key ({exc.strerror})") from None
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ModelError(f"{path}: a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> object:
    """An Ed25519 public key from a PEM file; :class:`ModelError` otherwise."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the key ({exc.strerror})") from None
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ModelError(f"{path}: a {type(key).__name__}, not an Ed25519 public key")
    return key


def trusted_keys() -> dict[str, Path]:
    """Key id → ``.pub`` file of every trusted signer (a malformed file is an error naming it)."""
    found: dict[str, Path] = {}
    for folder in trusted_key_dirs():
        if not folder.is_dir():
            continue
        for pub in sorted(folder.glob("*.pub")):
            found.setdefault(key_id(load_public_key(pub)), pub)
    return found


def _digest(data: bytes) -> bytes:
    return SIGNED_CONTEXT + hashlib.sha256(data).digest()


def sign_model(model_path: str | Path, private_key_path: str | Path) -> tuple[Path, str]:
    """Write ``MODEL.sig`` for the model's current bytes; returns (signature path, key id)."""
    key = load_private_key(private_key_path)
    data = Path(model_path).read_bytes()
    public = key.public_key()  # type: ignore[attr-defined]
    doc = {
        "format": SIGNATURE_FORMAT,
        "version": 1,
        "algorithm": "ed25519",
        "key_id": key_id(public),
        "public_key": base64.b64encode(_raw_public(public)).decode(),
        "model_sha256": hashlib.sha256(data).hexdigest(),
        "signature": base64.b64encode(key.sign(_digest(data))).decode(),  # type: ignore[attr-defined]
    }
    out = signature_path(model_path)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    return out, str(doc["key_id"])


@dataclass(frozen=True)
class Verdict:
    """How a model came to be trusted: ``how`` is ``shipped``, ``signed`` or ``unsigned``."""

    how: str
    key_id: str | None = None
    key_file: Path | None = None

    def describe(self) -> str:
        """One phrase for logs (``signed by key 1a2b… (~/.config/…/mine.pub)``)."""
        if self.how == "signed":
            trusted = f" ({self.key_file})" if self.key_file else ", not a trusted key"
            return f"signed by key {self.key_id}{trusted}"
        return {"shipped": "the model shipped with rfclassify", "unsigned": "unsigned"}[self.how]


def verify_signature(model_path: str | Path, data: bytes) -> str:
    """Key id of the valid signature beside the model; :class:`ModelError` if it is malformed or does not verify."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig = signature_path(model_path)
    try:
        doc = json.loads(sig.read_text())
        if doc.get("format") != SIGNATURE_FORMAT or doc.get("algorithm") != "ed25519":
            raise ValueError("not an rfclassify Ed25519 model signature")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["public_key"], validate=True))
        signature = base64.b64decode(doc["signature"], validate=True)
    except OSError as exc:
        raise ModelError(f"{sig}: cannot read the signature ({exc.strerror})") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"{sig}: malformed signature file ({exc})") from None
    try:
        public.verify(signature, _digest(data))
    except InvalidSignature:
        raise ModelError(
            f"{model_path}: the signature in {sig.name} does not match the model (changed after signing?); "
            "refusing to load it"
        ) from None
    return key_id(public)


def check_trust(model_path: str | Path, data: bytes, *, shipped: bool, allow_unsigned: bool) -> Verdict:
    """Decide whether the model bytes ``data`` read from ``model_path`` may be loaded (see the module docstring).

    Raises :class:`ModelError` (one line saying why and what to do) when not.
    """
    if shipped:
        return Verdict("shipped")
    if signature_path(model_path).exists():
        kid = verify_signature(model_path, data)
        keys = trusted_keys()
        if kid in keys:
            return Verdict("signed", kid, keys[kid])
        if allow_unsigned:
            return Verdict("signed", kid)
        raise ModelError(
            f"{model_path}: signed by key {kid}, which is not trusted (no such .pub in "
            f"{' or '.join(map(str, trusted_key_dirs()))}); trust the publisher's key or pass --allow-unsigned-model"
        )
    if allow_unsigned:
        return Verdict("unsigned")
    raise ModelError(
        f"{model_path}: unsigned model; rfclassify loads only its shipped model, models signed by a trusted key "
        f"('rfclassify model sign') or, with --allow-unsigned-model (or {ALLOW_UNSIGNED_ENV}=1), any model"
    )
