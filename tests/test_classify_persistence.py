"""Model files are verified by SHA-256 before they are unpickled."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from rfclassify.classify.openset import OpenSetClassifier
from rfclassify.classify.persistence import load_model, save_model, sha256_file, sidecar_path
from rfclassify.errors import ModelError


@pytest.fixture()
def saved(tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(3, 1, (40, 3))])
    y = np.repeat(["x", "y"], 40)
    model = OpenSetClassifier(max_iter=10, cv=2).fit(X, y)
    path = save_model(model, tmp_path / "m.joblib", {"classes": ["x", "y"], "feature_schema": 1})
    return path, X


def test_roundtrip_verifies_and_loads(saved):
    path, X = saved
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["sha256"] == sha256_file(path)
    assert meta["classes"] == ["x", "y"]
    assert "scikit-learn" in meta["versions"]
    model, side = load_model(path)
    assert side["feature_schema"] == 1
    assert list(model.predict(X[:3])) == ["x", "x", "x"]


def test_tampered_model_is_refused(saved):
    path, _ = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match"):
        load_model(path)


def test_missing_sidecar_is_refused(saved):
    path, _ = saved
    sidecar_path(path).unlink()
    with pytest.raises(ModelError, match="no sidecar"):
        load_model(path)


def test_version_mismatch_warns(saved):
    path, _ = saved
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["versions"]["scikit-learn"] = "0.0.1"
    side.write_text(json.dumps(meta))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_model(path)
    assert any("trained with scikit-learn 0.0.1" in str(w.message) for w in caught)
