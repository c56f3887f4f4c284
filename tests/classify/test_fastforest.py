"""The compiled boosted trees give scikit-learn's own probabilities, NaNs and binary problems included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

from rfclassify.classify.fastforest import (
    MAX_COMPILED_BATCH,
    CompiledEnsemble,
    CompiledTrees,
    _compiled,
    fast_predict_proba,
)


def _data(n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=600, n_features=8, n_informative=5, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=seed)
    rng = np.random.default_rng(seed)
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take the learned side
    return X, y


@pytest.mark.parametrize("n_classes", [2, 4])
def test_compiled_trees_match_sklearn_raw_predictions(n_classes: int) -> None:
    X, y = _data(n_classes)
    hgb = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    trees = CompiledTrees.from_hgb(hgb)
    Xt, _ = _data(n_classes, seed=1)
    got = trees.raw_predict(Xt)
    want = hgb._raw_predict(Xt)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert np.isnan(Xt).any()  # the NaN paths were exercised


@pytest.mark.parametrize("n_classes", [2, 5])
def test_fast_predict_proba_matches_calibrated_ensemble(n_classes: int) -> None:
    X, y = _data(n_classes)
    cal = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=25, random_state=0), cv=3).fit(X, y)
    assert _compiled(cal) is not None  # the compiled path is taken for small batches
    Xt, _ = _data(n_classes, seed=2)
    for n in (1, 7, MAX_COMPILED_BATCH, MAX_COMPILED_BATCH + 1, len(Xt)):
        np.testing.assert_allclose(fast_predict_proba(cal, Xt[:n]), cal.predict_proba(Xt[:n]), rtol=0, atol=1e-12)


def test_wrong_feature_count_is_refused() -> None:
    X, y = _data(3)
    trees = CompiledTrees.from_hgb(HistGradientBoostingClassifier(max_iter=5).fit(X, y))
    with pytest.raises(ValueError, match="expects 8 features"):
        trees.raw_predict(X[:, :5])


@pytest.mark.parametrize("n_classes", [2, 5])
def test_ensemble_state_round_trip_gives_the_same_probabilities(n_classes: int) -> None:
    X, y = _data(n_classes)
    cal = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=25, random_state=0), cv=3).fit(X, y)
    numbers, arrays = CompiledEnsemble.from_estimator(cal).state()
    rebuilt = CompiledEnsemble.from_state(numbers, arrays)
    Xt, _ = _data(n_classes, seed=2)
    np.testing.assert_allclose(rebuilt.predict_proba(Xt), cal.predict_proba(Xt), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_uncalibrated_boosted_trees_compile_to_their_own_probabilities(n_classes: int) -> None:
    X, y = _data(n_classes)
    hgb = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    Xt, _ = _data(n_classes, seed=3)
    got = CompiledEnsemble.from_state(*CompiledEnsemble.from_estimator(hgb).state()).predict_proba(Xt)
    np.testing.assert_allclose(got, hgb.predict_proba(Xt), rtol=0, atol=1e-12)


def test_large_batches_are_walked_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(3)
    cal = CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=10, random_state=0), cv=2).fit(X, y)
    whole = CompiledEnsemble.from_estimator(cal).predict_proba(X)
    monkeypatch.setattr("rfclassify.classify.fastforest.MAX_PAIRS", 100)  # a few rows per chunk
    np.testing.assert_array_equal(CompiledEnsemble.from_estimator(cal).predict_proba(X), whole)


@pytest.mark.parametrize(("field", "change", "problem"), [
    ("left", lambda a, inner: a.__setitem__(inner, inner), "outside its tree or before it"),
    ("right", lambda a, inner: a.__setitem__(inner, len(a) + 5), "outside its tree or before it"),
    ("feature", lambda a, inner: a.__setitem__(inner, 99), "outside 0..7"),
    ("roots", lambda a, inner: a.__setitem__(1, a[0]), "not increasing"),
    ("value", lambda a, inner: None, "shape"),
], ids=["cycle", "out-of-range", "feature", "roots", "shape"])
def test_malformed_trees_are_refused(field: str, change, problem: str) -> None:
    X, y = _data(3)
    numbers, arrays = CompiledEnsemble.from_estimator(HistGradientBoostingClassifier(max_iter=5).fit(X, y)).state()
    key = f"fold0.{field}"
    arrays[key] = arrays[key].copy()
    inner = int(np.flatnonzero(~arrays["fold0.is_leaf"])[0])
    if field == "value":
        arrays[key] = arrays[key][:-1]
    else:
        change(arrays[key], inner)
    with pytest.raises(ValueError, match=problem):
        CompiledEnsemble.from_state(numbers, arrays)
