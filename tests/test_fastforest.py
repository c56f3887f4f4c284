"""The compiled boosted trees give scikit-learn's own probabilities, NaNs and binary problems included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

from rfclassify.classify.fastforest import (
    MAX_COMPILED_BATCH,
    CompiledTrees,
    _compiled_folds,
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
    assert _compiled_folds(cal) is not None  # the compiled path is taken for small batches
    Xt, _ = _data(n_classes, seed=2)
    for n in (1, 7, MAX_COMPILED_BATCH, MAX_COMPILED_BATCH + 1, len(Xt)):
        np.testing.assert_allclose(fast_predict_proba(cal, Xt[:n]), cal.predict_proba(Xt[:n]), rtol=0, atol=1e-12)


def test_wrong_feature_count_is_refused() -> None:
    X, y = _data(3)
    trees = CompiledTrees.from_hgb(HistGradientBoostingClassifier(max_iter=5).fit(X, y))
    with pytest.raises(ValueError, match="expects 8 features"):
        trees.raw_predict(X[:, :5])
