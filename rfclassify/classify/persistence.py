"""Model files (``.rfcm``): numbers and JSON that cannot run code, checked for trust before they are read.

A model file is a ZIP archive (the ``.npz`` layout) holding

- ``model.json``: the format name and version, the metadata (classes,
  feature schema, training data and its hash, cross-validated metrics,
  library versions, the recipe) and the pipeline's description
  (:mod:`rfclassify.classify.modelstate`);
- ``arrays/<name>.npy``: the numeric arrays that description names, read with
  ``allow_pickle=False`` (an object array is refused, never unpickled).

One file rather than arrays plus a sidecar: a signature then covers
everything that decides (metadata included), the two cannot drift apart or be
mixed up, and a model is copied, replaced or signed as one thing. The
archive is written with fixed timestamps and sorted members, so the same
model gives the same bytes. ZIP's CRC-32 of every member catches accidental
corruption; deliberate change is what signatures are for
(:mod:`rfclassify.classify.signing`).

Pickles (joblib) are refused outright with one line: loading one runs
whatever code it holds, and no hash in a sidecar can change that.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import sys
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify import __version__
from rfclassify.errors import ModelError

MODEL_SUFFIX = ".rfcm"
MODEL_FORMAT = "rfclassify-model"
MODEL_FORMAT_VERSION = 1
DESCRIPTION_MEMBER = "model.json"
ARRAY_DIR = "arrays/"
#: Largest model file read (bytes) and largest total it may unpack to: a hostile archive cannot
#: exhaust memory. The shipped model is ~3 MB on disk.
MAX_MODEL_BYTES = 256 << 20
MAX_UNPACKED_BYTES = 1 << 30
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: First bytes of a pickle (protocol 2+) and of a zlib stream (joblib's compressed pickles).
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"\x78\x01", b"\x78\x5e", b"\x78\x9c",
                 b"\x78\xda")
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav")
#: What a corrupt archive or array raises inside zipfile and numpy.
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, TypeError, KeyError, IndexError,
            EOFError, OSError, NotImplementedError, OverflowError, RecursionError)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that trained the model (recorded; the file does not depend on them)."""
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "rfclassify": __version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _zip_member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def model_bytes(model: Any, meta: dict[str, Any]) -> bytes:
    """The ``.rfcm`` bytes of a fitted rfclassify pipeline and its metadata."""
    from rfclassify.classify.modelstate import encode_pipeline

    description, arrays = encode_pipeline(model)
    doc = {"format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION, "meta": meta, "model": description}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _zip_member(zf, DESCRIPTION_MEMBER, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
        for name in sorted(arrays):
            npy = io.BytesIO()
            np.lib.format.write_array(npy, arrays[name], allow_pickle=False)
            _zip_member(zf, f"{ARRAY_DIR}{name}.npy", npy.getvalue())
    return buf.getvalue()


def save_model(model: Any, path: str | Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write ``model`` to ``path`` (``.rfcm``) with ``meta`` and library versions; returns what was stored
    plus ``model_file`` and ``sha256`` of the file.

    A signature beside an older file of that name is removed: it cannot fit the new bytes.
    """
    from rfclassify.classify.signing import signature_path

    path = Path(path)
    stored = {**meta, "versions": library_versions()}
    data = model_bytes(model, stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    signature_path(path).unlink(missing_ok=True)
    tmp.replace(path)
    return {**stored, "model_file": path.name, "sha256": sha256_bytes(data)}


@dataclass
class LoadedModel:
    """A model read from a file: the rebuilt pipeline, its metadata and how it came to be trusted."""

    pipeline: Any
    meta: dict[str, Any]
    trust: Any  # rfclassify.classify.signing.Verdict


def _refuse_pickle(path: Path, head: bytes) -> None:
    if path.suffix.lower() in _PICKLE_SUFFIXES or head.startswith(_PICKLE_MAGIC):
        raise ModelError(
            f"{path}: a pickle (joblib) model; loading one runs whatever code it holds, so rfclassify loads only "
            f"{MODEL_SUFFIX} models (retrain with 'rfclassify train', or convert a trusted one with "
            "scripts/convert_model.py)"
        )


def read_model_bytes(path: str | Path) -> bytes:
    """The bytes of a model file (bounded), after refusing pickles by name or content."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"{path}: {size / 1e6:.0f} MB is larger than any model ({MAX_MODEL_BYTES >> 20} MB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file not found") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model ({exc.strerror})") from None
    _refuse_pickle(path, data[:2])
    if not data.startswith(b"PK\x03\x04"):
        raise ModelError(f"{path}: not an rfclassify model file ({MODEL_SUFFIX}, a ZIP archive)")
    return data


def _parse(data: bytes) -> tuple[dict[str, Any], Any]:
    """``(meta, pipeline)`` from ``.rfcm`` bytes; lets the archive's own errors through (see :data:`_CORRUPT`)."""
    from rfclassify.classify.modelstate import decode_pipeline

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        unpacked = sum(i.file_size for i in infos.values())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ModelError(f"unpacks to {unpacked / 1e6:.0f} MB, more than any model")
        if DESCRIPTION_MEMBER not in infos:
            raise ModelError(f"no {DESCRIPTION_MEMBER} in the archive")
        doc = json.loads(zf.read(DESCRIPTION_MEMBER).decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise ModelError("not an rfclassify model (format field)")
        version = doc.get("format_version")
        if version != MODEL_FORMAT_VERSION:
            raise ModelError(f"model format version {version!r}; this rfclassify reads version {MODEL_FORMAT_VERSION}")
        meta = doc.get("meta")
        if not isinstance(meta, dict):
            raise ModelError("no metadata object")

        def array(name: str) -> np.ndarray:
            member = f"{ARRAY_DIR}{name}.npy"
            if member not in infos:
                raise ModelError(f"array {name} missing from the archive")
            with zf.open(member) as fh:
                return np.lib.format.read_array(fh, allow_pickle=False)

        return meta, decode_pipeline(doc.get("model"), array)


def load_model(path: str | Path, *, allow_unsigned: bool | None = None) -> LoadedModel:
    """Read, trust-check and rebuild the model at ``path``.

    Order: refuse pickles; decide trust on the exact bytes read (the shipped
    model, a valid signature by a trusted key, or ``allow_unsigned`` — ``None``
    reads :data:`rfclassify.classify.signing.ALLOW_UNSIGNED_ENV`); only then
    parse them. Every failure is a :class:`ModelError` in one line. The
    returned metadata adds ``sha256`` (of the file) to what the file stores;
    differing library versions only warn (the file holds plain numbers, but a
    changed library may compute features or quantiles differently).
    """
    from rfclassify.classify.signing import allow_unsigned_from_env, check_trust

    path = Path(path)
    data = read_model_bytes(path)
    shipped = path.resolve() == default_model_path().resolve()
    allow = allow_unsigned_from_env() if allow_unsigned is None else allow_unsigned
    trust = check_trust(path, data, shipped=shipped, allow_unsigned=allow)
    try:
        meta, pipeline = _parse(data)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    except _CORRUPT as exc:
        raise ModelError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})") from None
    recorded = meta.get("versions", {})
    current = library_versions()
    for lib in ("scikit-learn", "numpy"):
        if isinstance(recorded, dict) and recorded.get(lib) and recorded[lib] != current[lib]:
            warnings.warn(f"{path}: trained with {lib} {recorded[lib]}, running {current[lib]}", stacklevel=2)
    return LoadedModel(pipeline, {**meta, "sha256": sha256_bytes(data)}, trust)


def default_model_path() -> Path:
    """The model shipped inside the package: ``rfclassify/models/default.rfcm``."""
    return Path(__file__).resolve().parents[1] / "models" / f"default{MODEL_SUFFIX}"


def python_info() -> str:
    """One line naming the interpreter, for metadata and benchmark tables."""
    return f"{platform.python_implementation()} {platform.python_version()} on {sys.platform}"
