"""A saved model (.rfcm) loads into a predictor that decides exactly as the fitted one; bad files are refused."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rfclassify.classify.fastforest import MAX_COMPILED_BATCH
from rfclassify.classify.persistence import load_model, save_model
from rfclassify.classify.training import extract_all, find_recordings, fit_model, stack
from rfclassify.errors import ModelError
from rfclassify.features import FEATURE_NAMES
from rfclassify.synth.dataset import synthesize_dataset

CLASSES = ("elrs-900", "ook-ism", "noise")


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Feature rows of synthesized training and held-out recordings (other seed)."""
    root = tmp_path_factory.mktemp("persist")
    common = {"classes": CLASSES, "receivers": "rtlsdr", "duration_s": 0.3, "mixed": 0, "clutter_probability": 0.0,
              "progress": False}
    out = {}
    for name, seed in (("train", 21), ("test", 22)):
        synthesize_dataset(root / name, per_class=3, seed=seed, **common)
        X, y, _ = stack(extract_all(find_recordings([root / name]), progress=False))
        out[name] = (X, y)
    return out


def _same_decisions(fitted, loaded, X: np.ndarray) -> None:
    a = fitted[-1].predict_open(fitted["select"].transform(X))
    b = loaded[-1].predict_open(loaded["select"].transform(X))
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.reasons, b.reasons)
    np.testing.assert_array_equal(a.closed_labels, b.closed_labels)
    np.testing.assert_allclose(b.proba, a.proba, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.confidence, a.confidence, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.distance_ratio, a.distance_ratio, rtol=1e-12, atol=0)


@pytest.mark.parametrize("params", [{}, {"distance_scaling": "robust", "cv": 2}], ids=["default", "robust-cv2"])
def test_loaded_model_decides_as_the_fitted_one(tmp_path: Path, rows, params: dict) -> None:
    X, y = rows["train"]
    fitted = fit_model(X, y, random_state=3, max_iter=20, **params)
    saved = save_model(fitted, tmp_path / "m.rfcm", {"classes": sorted(set(y))})
    loaded = load_model(tmp_path / "m.rfcm", allow_unsigned=True)
    assert loaded.meta["sha256"] == saved["sha256"] and loaded.meta["classes"] == sorted(CLASSES)
    assert list(loaded.pipeline.named_steps) == ["features", "select", "clf"]
    Xt, _ = rows["test"]
    assert len(Xt) > MAX_COMPILED_BATCH  # the fitted model walks its trees with scikit-learn on the whole set
    _same_decisions(fitted, loaded.pipeline, Xt)
    for start in range(0, 40, 8):  # and with the compiled walker on a live node's small batches
        _same_decisions(fitted, loaded.pipeline, Xt[start:start + 8])
    assert loaded.pipeline["features"].get_params() == fitted["features"].get_params()


def test_uncalibrated_and_single_class_models_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = len(FEATURE_NAMES)
    X = np.vstack([rng.normal(k, 1, (30, n)) for k in range(3)]).astype(np.float32)
    X[:, FEATURE_NAMES.index("rf_mhz")] = 915.0
    y = np.array(["a"] * 30 + ["b"] * 30 + ["c"] * 29 + ["d"])  # one "d": too few to calibrate
    for Xf, yf in ((X, y), (X[:30], y[:30])):
        fitted = fit_model(Xf, yf, max_iter=10)
        save_model(fitted, tmp_path / "m.rfcm", {})
        loaded = load_model(tmp_path / "m.rfcm", allow_unsigned=True).pipeline
        _same_decisions(fitted, loaded, rng.normal(1, 2, (50, n)).astype(np.float32))


def test_same_model_same_bytes(tmp_path: Path, rows) -> None:
    X, y = rows["train"]
    fitted = fit_model(X, y, max_iter=5)
    a = save_model(fitted, tmp_path / "a.rfcm", {"note": 1})
    b = save_model(fitted, tmp_path / "b.rfcm", {"note": 1})
    assert a["sha256"] == b["sha256"]


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    n = len(FEATURE_NAMES)
    X = np.vstack([rng.normal(k, 1, (40, n)) for k in range(2)]).astype(np.float32)
    save_model(fit_model(X, np.repeat(["x", "y"], 40), max_iter=5), tmp_path / "m.rfcm", {"classes": ["x", "y"]})
    return tmp_path / "m.rfcm"


def _rewrite(path: Path, change) -> None:
    """Rewrite the archive at ``path`` with ``change(name, bytes) -> bytes | None`` (None drops a member)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            new = change(name, data)
            if new is not None:
                zf.writestr(name, new)
    path.write_bytes(buf.getvalue())


def _description(change):
    def edit(name: str, data: bytes) -> bytes:
        if name != "model.json":
            return data
        doc = json.loads(data)
        change(doc)
        return json.dumps(doc).encode()
    return edit


def _estimator(doc: dict, step: str) -> dict:
    return next(s for s in doc["model"]["steps"] if s["name"] == step)["estimator"]


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda n, d: None if n == "model.json" else d, "no model.json"),
    (lambda n, d: None if n.endswith("thresholds_.npy") else d, "array clf.thresholds_ missing"),
    (lambda n, d: b"{" if n == "model.json" else d, "corrupt model file"),
    (_description(lambda doc: doc.update(format_version=99)), "format version 99"),
    (_description(lambda doc: _estimator(doc, "clf").update({"$estimator": "Popen"})), "expected a OpenSetClassifier"),
    (_description(lambda doc: _estimator(doc, "clf")["fitted"]["scaler_"].update({"$estimator": "Popen"})),
     "'Popen' is not a model part"),
    (_description(lambda doc: _estimator(doc, "clf")["params"].update(evil=1)), "takes no parameter evil"),
    (_description(lambda doc: _estimator(doc, "clf")["fitted"].update({"__class__": 1})), "not a fitted-attribute"),
    (_description(lambda doc: _estimator(doc, "clf")["fitted"].update(xx_={"$array": "../../etc"})), "bad array name"),
    (_description(lambda doc: _estimator(doc, "clf")["fitted"].update(xx_={"$eval": "1"})), "unknown or malformed tag"),
], ids=["no-description", "missing-array", "bad-json", "version", "step-class", "nested-class", "param",
        "dunder", "array-name", "tag"])
def test_malformed_models_are_refused(saved: Path, edit, problem: str) -> None:
    _rewrite(saved, edit)
    with pytest.raises(ModelError, match=problem):
        load_model(saved, allow_unsigned=True)


@pytest.mark.parametrize("cut", [0, 10, 0.5, -30], ids=["empty", "header", "half", "no-end"])
def test_truncated_model_is_refused(saved: Path, cut: float) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * cut) if isinstance(cut, float) else cut])
    with pytest.raises(ModelError, match=f"^{saved}: (corrupt model file|not an rfclassify model)"):
        load_model(saved, allow_unsigned=True)


@pytest.mark.parametrize("where", [0.25, 0.5, 0.75])
def test_changed_array_byte_is_refused_without_a_signature_too(saved: Path, where: float) -> None:
    # Inside the members' data ZIP's CRC-32 catches a change; a signature covers every byte.
    data = bytearray(saved.read_bytes())
    data[int(len(data) * where)] ^= 0x10
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=f"^{saved}: "):
        load_model(saved, allow_unsigned=True)


def test_library_version_mismatch_warns(saved: Path) -> None:
    _rewrite(saved, _description(lambda doc: doc["meta"]["versions"].update({"scikit-learn": "0.0.1"})))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_model(saved, allow_unsigned=True)
    assert any("trained with scikit-learn 0.0.1" in str(w.message) for w in caught)
