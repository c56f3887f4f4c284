"""A model file cannot run code, and only trusted models load (through the real console script).

The malicious files are real: a pickle whose unpickling runs ``os.system`` to
create a marker file, given to ``--model`` as ``.joblib`` with a sidecar
carrying its SHA-256 (what used to pass the check), renamed ``.rfcm``, and
hidden as an object array inside an otherwise valid ``.rfcm``. The marker must
never appear.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.classify.persistence import save_model
from rfclassify.classify.training import fit_model
from rfclassify.cli.main import main
from rfclassify.features import FEATURE_NAMES
from rfclassify.sources.datatypes import datatype, encode


class _Payload:
    """Unpickling this runs ``os.system("touch MARKER")``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("rfclassify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rfclassify.cli.main"]
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


def _one_error_line(code: int, stderr: str, *needles: str) -> str:
    assert code == 2, (code, stderr)
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfclassify: error: "), stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _run(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI in this process (fast); its exit status, stdout and stderr."""
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "quiet_915M_2400k.cu8"
    encode(np.zeros(48_000, np.complex64), datatype("cu8")).tofile(path)
    return path


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(5)
    n = len(FEATURE_NAMES)
    X = np.vstack([rng.normal(k, 1, (40, n)) for k in range(2)]).astype(np.float32)
    X[:, FEATURE_NAMES.index("rf_mhz")] = 915.0
    return fit_model(X, np.repeat(["noise", "ook-ism"], 40), max_iter=5)


@pytest.fixture()
def model(tmp_path: Path, fitted) -> Path:
    """An unsigned .rfcm in a folder of its own."""
    path = tmp_path / "pub" / "m.rfcm"
    save_model(fitted, path, {"classes": ["noise", "ook-ism"]})
    return path


# ---------------------------------------------------------------------------
# malicious files never run


@pytest.mark.parametrize("name", ["evil.joblib", "evil.rfcm"])
@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow-unsigned"])
def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path: Path, recording: Path, name: str,
                                                      allow: bool) -> None:
    marker = tmp_path / "PWNED"
    payload = pickle.dumps(_Payload(marker), protocol=4)
    evil = tmp_path / name
    evil.write_bytes(payload)
    # The old sidecar with the file's SHA-256: what made a pickle load before.
    evil.with_suffix(".json").write_text(json.dumps({"sha256": hashlib.sha256(payload).hexdigest(),
                                                     "model_file": name}))
    proc = _cli("classify", recording, "--model", evil, *(["--allow-unsigned-model"] if allow else []))
    _one_error_line(proc.returncode, proc.stderr, str(evil), "pickle", "runs whatever code")
    assert not marker.exists()
    pickle.loads(payload)  # the payload is real: unpickled, it does create the marker
    assert marker.exists()


def test_a_pickled_array_inside_a_model_never_runs(tmp_path: Path, model: Path, recording: Path) -> None:
    marker = tmp_path / "PWNED"
    evil_npy = io.BytesIO()
    np.lib.format.write_array(evil_npy, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(model) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    target = next(n for n in members if n.endswith("clf.thresholds_.npy"))
    members[target] = evil_npy.getvalue()
    with zipfile.ZipFile(model, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    proc = _cli("classify", recording, "--model", model, "--allow-unsigned-model")
    _one_error_line(proc.returncode, proc.stderr, str(model), "corrupt model file", "allow_pickle")
    assert not marker.exists()


# ---------------------------------------------------------------------------
# trust: shipped, signed by a trusted key, or explicitly allowed


def test_unsigned_model_needs_an_explicit_opt_in(model: Path, recording: Path) -> None:
    code, _, err = _run("classify", recording, "--model", model)
    _one_error_line(code, err, str(model), "unsigned model", "--allow-unsigned-model")
    assert _run("classify", recording, "--model", model, "--allow-unsigned-model")[0] == 0
    assert _run("classify", recording, "--model", model, env={"RFCLASSIFY_ALLOW_UNSIGNED_MODEL": "1"})[0] == 0


def test_model_signed_by_a_trusted_key_loads(tmp_path: Path, model: Path, recording: Path,
                                             config_home: Path) -> None:
    code, out, err = _run("model", "sign", model)  # this machine's key (made in conftest), trusted here
    assert code == 0, err
    kid = json.loads(out)["key_id"]
    assert (model.parent / "m.rfcm.sig").exists()
    code, out, err = _run("model", "verify", model)
    assert code == 0 and f"signed by key {kid}" in out and "trusted-keys" in out, (out, err)
    assert _run("classify", recording, "--model", model)[0] == 0
    code, out, _ = _run("model", "info", model)
    assert code == 0 and json.loads(out)["classes"] == ["noise", "ook-ism"]


def test_publisher_key_is_trusted_once_its_public_key_is_installed(tmp_path: Path, model: Path, recording: Path,
                                                                    config_home: Path) -> None:
    key = tmp_path / "keys" / "publisher.pem"
    code, out, err = _run("model", "keygen", "-o", key)
    assert code == 0, err
    kid = json.loads(out)["key_id"]
    assert (key.stat().st_mode & 0o777) == 0o600
    assert _run("model", "sign", model, "--key", key)[0] == 0
    code, _, err = _run("classify", recording, "--model", model)
    _one_error_line(code, err, str(model), f"signed by key {kid}", "not trusted", "--allow-unsigned-model")
    code, _, err = _run("model", "verify", model)
    _one_error_line(code, err, "not trusted")
    assert _run("classify", recording, "--model", model, "--allow-unsigned-model")[0] == 0
    installed = config_home / "rfclassify" / "trusted-keys" / "publisher.pub"
    installed.write_bytes(key.with_name("publisher.pem.pub").read_bytes())
    try:
        assert _run("classify", recording, "--model", model)[0] == 0
    finally:
        installed.unlink()


@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow-unsigned"])
def test_a_changed_byte_breaks_the_signature(model: Path, recording: Path, allow: bool) -> None:
    assert _run("model", "sign", model)[0] == 0
    data = bytearray(model.read_bytes())
    data[len(data) // 3] ^= 0x01
    model.write_bytes(bytes(data))
    code, _, err = _run("classify", recording, "--model", model, *(["--allow-unsigned-model"] if allow else []))
    _one_error_line(code, err, str(model), "does not match the model", "refusing to load")


def test_a_signature_of_another_model_is_bad(tmp_path: Path, model: Path, fitted, recording: Path) -> None:
    other = tmp_path / "other.rfcm"
    save_model(fitted, other, {"classes": ["noise", "ook-ism"], "note": "other"})
    assert _run("model", "sign", other)[0] == 0
    (model.parent / "m.rfcm.sig").write_bytes((tmp_path / "other.rfcm.sig").read_bytes())
    code, _, err = _run("classify", recording, "--model", model)
    _one_error_line(code, err, "does not match the model")


def test_a_forged_signature_is_bad(model: Path, recording: Path) -> None:
    assert _run("model", "sign", model)[0] == 0
    sig = model.parent / "m.rfcm.sig"
    doc = json.loads(sig.read_text())
    raw = bytearray(base64.b64decode(doc["signature"]))
    raw[0] ^= 0x01
    doc["signature"] = base64.b64encode(bytes(raw)).decode()
    sig.write_text(json.dumps(doc))
    _one_error_line(*_run("classify", recording, "--model", model)[::2], "does not match the model")
    sig.write_text("not json")
    _one_error_line(*_run("classify", recording, "--model", model)[::2], str(sig), "malformed signature")


def test_a_broken_trusted_key_file_is_named(model: Path, recording: Path, config_home: Path) -> None:
    assert _run("model", "sign", model)[0] == 0
    bad = config_home / "rfclassify" / "trusted-keys" / "broken.pub"
    bad.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    try:
        _one_error_line(*_run("classify", recording, "--model", model)[::2], str(bad), "not a PEM public key")
    finally:
        bad.unlink()


def test_training_again_drops_the_old_signature(model: Path, fitted) -> None:
    assert _run("model", "sign", model)[0] == 0
    save_model(fitted, model, {"classes": ["noise", "ook-ism"], "note": "retrained"})
    assert not (model.parent / "m.rfcm.sig").exists()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"\x00" * 100, b"{}"],
                         ids=["empty", "zip-header", "zeros", "json"])
def test_a_corrupt_model_is_one_line(tmp_path: Path, recording: Path, content: bytes) -> None:
    bad = tmp_path / "bad.rfcm"
    bad.write_bytes(content)
    code, _, err = _run("classify", recording, "--model", bad, "--allow-unsigned-model")
    _one_error_line(code, err, str(bad))


def test_keygen_does_not_replace_a_key(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    assert _run("model", "keygen", "-o", key)[0] == 0
    before = key.read_bytes()
    _one_error_line(*_run("model", "keygen", "-o", key)[::2], str(key), "exists")
    assert key.read_bytes() == before
