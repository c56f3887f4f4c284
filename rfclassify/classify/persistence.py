"""Saving and loading models with a JSON sidecar, verifying the model's hash before unpickling.

A joblib file is a pickle: loading it runs code. So a model is only loaded
when the SHA-256 of its bytes equals the one recorded in its sidecar
(``<model>.json``), and a mismatch is refused with a clear error. The
sidecar also records library versions (a mismatch warns: scikit-learn
pickles are not guaranteed across versions), the classes, the feature-schema
version, the training-data summary and hash, and cross-validated metrics.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import warnings
from pathlib import Path
from typing import Any

import joblib

from rfclassify import __version__
from rfclassify.errors import ModelError

SIDECAR_SUFFIX = ".json"


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(model_path: str | Path) -> Path:
    """``models/default.joblib`` → ``models/default.json``."""
    return Path(model_path).with_suffix(SIDECAR_SUFFIX)


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose pickles the model depends on."""
    import numpy
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "rfclassify": __version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def save_model(model: Any, path: str | Path, sidecar: dict[str, Any]) -> Path:
    """Write ``model`` with joblib and its sidecar with the file's SHA-256; returns the model path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    joblib.dump(model, tmp, compress=3)
    tmp.replace(path)
    meta = dict(sidecar)
    meta["model_file"] = path.name
    meta["sha256"] = sha256_file(path)
    meta["versions"] = library_versions()
    sidecar_path(path).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return path


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """The sidecar of the model at ``path``; :class:`ModelError` if missing or not JSON."""
    side = sidecar_path(path)
    if not side.exists():
        raise ModelError(f"{path}: no sidecar {side.name} beside the model; refusing to load an unverified pickle")
    try:
        return json.loads(side.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{side}: sidecar is not valid JSON ({exc.msg} at line {exc.lineno})") from None


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Verify the model file against its sidecar's SHA-256, then unpickle it.

    Returns ``(model, sidecar)``. Raises :class:`ModelError` for a missing
    file, a missing sidecar or a hash mismatch; warns when the recorded
    library versions differ from the running ones.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model file not found")
    meta = read_sidecar(path)
    expected = meta.get("sha256")
    actual = sha256_file(path)
    if expected != actual:
        raise ModelError(
            f"{path}: SHA-256 {actual[:16]}… does not match the sidecar's {str(expected)[:16]}…; "
            "the file was changed after training — refusing to load it"
        )
    recorded = meta.get("versions", {})
    current = library_versions()
    for lib in ("scikit-learn", "numpy", "scipy"):
        if recorded.get(lib) and recorded[lib] != current[lib]:
            warnings.warn(
                f"{path}: trained with {lib} {recorded[lib]}, running {current[lib]}; "
                "predictions may differ — retrain with 'make model' if in doubt",
                stacklevel=2,
            )
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - unpickling errors come in many types
        raise ModelError(f"{path}: cannot load model ({type(exc).__name__}: {exc})") from None
    return model, meta


def default_model_path() -> Path:
    """``models/default.joblib`` of the checkout (or the installed package's parent)."""
    here = Path(__file__).resolve().parents[2] / "models" / "default.joblib"
    return here


def python_info() -> str:
    """One line naming the interpreter, for sidecars and benchmark tables."""
    return f"{platform.python_implementation()} {platform.python_version()} on {sys.platform}"
