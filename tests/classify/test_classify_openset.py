"""The open-set classifier: scikit-learn's estimator rules and the unknown rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from rfclassify.classify.openset import (
    REASON_LOW_CONFIDENCE,
    REASON_OK,
    REASON_OUT_OF_DISTRIBUTION,
    OpenSetClassifier,
    TailQuantileScaler,
)
from rfclassify.signatures.base import UNKNOWN


@parametrize_with_checks([OpenSetClassifier(max_iter=20, cv=2), TailQuantileScaler(n_quantiles=50)])
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


def test_tail_quantile_scaler_is_quantiles_inside_and_linear_beyond():
    rng = np.random.default_rng(5)
    # a duration-like feature spanning decades: 0.4 ms pulses and a few 250 ms trains
    x = np.concatenate([rng.lognormal(np.log(4e-4), 0.3, 980), rng.uniform(0.2, 0.25, 20)])[:, None]
    scaler = TailQuantileScaler().fit(x)
    inside = scaler.transform(np.array([[4e-4], [0.22]]))
    assert 0.3 < inside[0, 0] < 0.7 and 0.98 < inside[1, 0] <= 1.0  # the long train sits at its quantile
    # beyond the range, distance keeps growing with the excess (a plain quantile transform clips at 1)
    top, spread = scaler.max_[0], scaler.spread_[0]
    far = scaler.transform(np.array([[top + spread], [top + 10 * spread]]))
    assert far[0, 0] == pytest.approx(2.0, abs=1e-6) and far[1, 0] == pytest.approx(11.0, abs=1e-6)
    below = scaler.transform(np.array([[scaler.min_[0] - 3 * spread]]))
    assert below[0, 0] == pytest.approx(-3.0, abs=1e-6)


def test_a_class_too_small_for_the_distance_rule_is_judged_by_confidence():
    rng = np.random.default_rng(6)
    X, y = _blobs(rng)
    X = np.vstack([X, [[12.0, 12.0, 12.0, 12.0], [12.5, 12.0, 12.0, 12.0]]])
    y = np.concatenate([y, ["d", "d"]])  # two examples: fewer than n_neighbors + 1
    model = OpenSetClassifier(max_iter=50, cv=2).fit(X, y)
    assert not np.isfinite(model.thresholds_[list(model.classes_).index("d")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no inf / inf on the way
        decision = model.predict_open(np.array([[12.2, 12.0, 12.0, 12.0]]))
    assert np.isfinite(decision.distance_ratio).all() and decision.reasons[0] != REASON_OUT_OF_DISTRIBUTION


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
