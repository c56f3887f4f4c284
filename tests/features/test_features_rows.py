"""The IQ features of a burst measured in a batch (rows of equal-length bursts, :mod:`rfclassify.features.iq`)
against the same burst measured alone (a batch of one), on real detections in synthesized recordings.

Tolerance: a batch reduces along the same rows as a batch of one, but numpy may vectorise a reduction
over a 2-D array differently from one over a single row, and a batch of one takes the FSK and chirp
features with Python scalars (float64 IF values where the rows use float32; other block sums), so
sums round differently. Every such difference is a rounding of order 1e-6 relative, so continuous
columns must agree to 1e-3 relative (or 1e-5 absolute, for correlations and kurtoses near 0). A
discrete column (an argmax: de-chirp SF, CP lag, strongest line) can flip when two candidates tie to
within those roundings, so it must agree on all but 1 % of bursts.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rfclassify import synth
from rfclassify.detect.burst_detector import detect_samples
from rfclassify.features import FEATURE_NAMES, BurstFeatures, feature_rows
from rfclassify.features import iq as R
from rfclassify.features.burst import analysis_iq
from rfclassify.features.context import context_table
from rfclassify.synth import dataset

DISCRETE = ("dechirp_sf", "cp_best_lag_s", "env_peak_hz")


#: (label, receiver kind, duration s, seed): seeds picked so that every scene has detections (OFDM ones are sparse).
SCENES = (
    ("elrs-900", "rtlsdr", 1.0, 100),
    ("lora-iot", "rtlsdr", 2.0, 101),
    ("ook-ism", "rtlsdr", 1.0, 102),
    ("frsky-d16", "wideband", 0.05, 103),
    ("bluetooth", "wideband", 0.05, 104),
    ("wifi", "wideband", 0.3, 105),
    ("dji-ocusync", "wideband", 0.3, 107),
)


@pytest.fixture(scope="module")
def bursts():
    out = []
    for label, kind, duration_s, seed in SCENES:
        rng = np.random.default_rng(seed)
        scene = dataset.class_scene(label, kind, duration_s, (5, 25), rng, probe=kind == "rtlsdr")
        rec = synth.render(scene, rng, keep_components=False)
        found = detect_samples(rec.samples, rec.sample_rate_hz, rec.center_freq_hz)
        assert found, label
        out.extend(found)
    return out


def _alone(burst, max_samples: int = 1 << 13) -> dict[str, float]:
    """The IQ features of one burst's analysis span, as a batch of one."""
    x = analysis_iq(burst)[None, : 4 * max_samples]
    rows = R.iq_features(x, burst.iq_rate_hz, np.array([burst.detection.bandwidth_hz]), max_samples)
    return {name: float(v[0]) for name, v in rows.items()}


def test_batched_rows_equal_each_burst_alone(bursts):
    X = BurstFeatures().fit(bursts).transform(bursts)
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    with_iq = np.flatnonzero(X[:, col["has_iq"]] == 1)
    lengths = Counter((bursts[k].iq_rate_hz, len(analysis_iq(bursts[k]))) for k in with_iq)
    # Many groups; most bursts share theirs, some are alone.
    assert len(lengths) > 10 and sum(c for c in lengths.values() if c > 1) >= 150 and 1 in lengths.values()
    ref = {k: _alone(bursts[k]) for k in with_iq}
    for name in ref[with_iq[0]]:
        want = np.array([ref[k][name] for k in with_iq], dtype=np.float32)
        got = X[with_iq, col[name]]
        close = np.isclose(got, want, rtol=1e-3, atol=1e-5)
        if name in DISCRETE:
            assert close.mean() >= 0.99, name
        else:
            assert close.all(), (name, got[~close][:5], want[~close][:5])


def test_a_burst_alone_equals_its_row_in_a_batch(bursts):
    X = BurstFeatures().fit(bursts).transform(bursts)
    contexts = context_table(bursts)
    continuous = [i for i, name in enumerate(FEATURE_NAMES) if name not in DISCRETE]
    for k in range(0, len(bursts), max(1, len(bursts) // 25)):
        (alone,) = feature_rows([bursts[k]], [contexts[k]])  # a batch of one
        np.testing.assert_allclose(alone[continuous], X[k, continuous], rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("width", [40, 2100])  # a comparison pass, int64 keys
def test_row_search_equals_searchsorted(width):
    rng = np.random.default_rng(3)
    v = np.sort(np.r_["-1", rng.standard_normal((6, width)), np.zeros((6, 3)), -np.zeros((6, 2))].astype(np.float32), axis=1)
    v[:, width - 5 :] = np.inf  # padding, as the FSK rows use it
    x = np.r_[rng.standard_normal(4), 0.0, -1e-300]
    search, one = R._RowSearch(v), [R._RowSearch(v[r : r + 1]) for r in range(6)]  # all rows; each alone
    for q in (x, np.float64(v[np.arange(6), 7]), np.nextafter(np.float64(v[np.arange(6), 7]), -1)):
        want = [int(np.count_nonzero(v[r] <= q[r])) for r in range(6)]
        assert search.count_le(q).tolist() == want
        assert [int(one[r].count_le(q[r : r + 1])[0]) for r in range(6)] == want


@pytest.mark.parametrize("span,num", [(0, 1), (0, 4), (5, 2), (5, 4), (1000, 3), (1000, 4), (7, 4), (7083 - 756, 4), (12345, 3)])
def test_window_starts_equal_linspace(span, num):
    got = R._window_starts(np.array([span]), np.array([num]), 4)[0]
    assert got[:num].tolist() == np.linspace(0, span, num=num).astype(int).tolist() and (got[num:] == 0).all()


def test_sort_rows_equals_np_sort():
    rng = np.random.default_rng(5)
    v = np.r_["-1", rng.standard_normal((4, 600)) * 1e5, np.full((4, 50), 3.0)].astype(np.float32)
    v[1, 500:] = np.inf
    v[2] = 7.0  # a constant row
    v[3, :10] = np.nan
    assert np.array_equal(R._sort_rows(v), np.sort(v, axis=1), equal_nan=True)
