"""The open-set classifier: scikit-learn's estimator rules and the unknown rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from rfclassify.classify.openset import (
    REASON_LOW_CONFIDENCE,
    REASON_OK,
    REASON_OUT_OF_DISTRIBUTION,
    OpenSetClassifier,
)
from rfclassify.signatures.base import UNKNOWN


@parametrize_with_checks([OpenSetClassifier(max_iter=20, cv=2)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _blobs(rng: np.random.Generator, n: int = 150) -> tuple[np.ndarray, np.ndarray]:
    centres = {"a": 0.0, "b": 5.0, "c": -5.0}
    X = np.vstack([rng.normal(c, 1.0, (n, 4)) for c in centres.values()])
    y = np.repeat(list(centres), n)
    return X, y


def test_in_distribution_is_classified():
    rng = np.random.default_rng(1)
    X, y = _blobs(rng)
    model = OpenSetClassifier(max_iter=50).fit(X, y)
    Xt, yt = _blobs(np.random.default_rng(2), 40)
    decision = model.predict_open(Xt)
    assert np.mean(decision.labels == yt) > 0.95
    assert np.mean(decision.reasons == REASON_OK) > 0.9


def test_far_from_every_class_is_unknown():
    rng = np.random.default_rng(3)
    X, y = _blobs(rng)
    model = OpenSetClassifier(max_iter=50).fit(X, y)
    outliers = rng.normal(30.0, 1.0, (20, 4))
    decision = model.predict_open(outliers)
    assert set(decision.labels) == {UNKNOWN}
    assert set(decision.reasons) == {REASON_OUT_OF_DISTRIBUTION}
    # the closed-set prediction still names a class: the open rule is what refuses it
    assert set(model.predict(outliers)) <= {"a", "b", "c"}


def test_ambiguous_is_low_confidence():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(0.3, 1, (300, 2))])
    y = np.repeat(["a", "b"], 300)
    model = OpenSetClassifier(max_iter=30, min_confidence=0.9).fit(X, y)
    decision = model.predict_open(rng.normal(0.15, 0.2, (50, 2)))
    assert np.mean(decision.reasons == REASON_LOW_CONFIDENCE) > 0.5
    assert np.all(decision.labels[decision.reasons != REASON_OK] == UNKNOWN)


def test_probabilities_are_calibrated_rows():
    rng = np.random.default_rng(5)
    X, y = _blobs(rng, 60)
    proba = OpenSetClassifier(max_iter=20).fit(X, y).predict_proba(X[:10])
    assert proba.shape == (10, 3)
    assert np.allclose(proba.sum(1), 1.0)
    assert np.all((proba >= 0) & (proba <= 1))


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_is_deterministic(seed):
    X, y = _blobs(np.random.default_rng(seed), 50)
    p1 = OpenSetClassifier(max_iter=20, random_state=7).fit(X, y).predict_proba(X)
    p2 = OpenSetClassifier(max_iter=20, random_state=7).fit(X, y).predict_proba(X)
    assert np.array_equal(p1, p2)
