"""The fast numpy replacements of rfclassify.features give numpy's own results, bit for bit.

A helper that saves time must not move a single bit: each is compared with
the numpy call it replaces, on the shapes and dtypes the features use (and
signed zeros).
"""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.features import iq as R
from rfclassify.features.order_stats import median


def _bits(x) -> bytes:
    return np.asarray(x).tobytes()


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """The same feature names with the same bits."""
    return a.keys() == b.keys() and all(_bits(a[k]) == _bits(b[k]) for k in a)


def _data(rng, shape, dtype):
    x = rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    x = x.astype(dtype)
    x[rng.random(shape) < 0.05] = -0.0
    return x


@pytest.mark.parametrize("n", [1, 2, 5, 6, 681, 682, 8000])
def test_median_equals_numpy(n):
    rng = np.random.default_rng(n)
    x = _data(rng, n, np.float64)
    assert _bits(np.float64(median(x))) == _bits(np.median(x))


def test_shared_phase_steps_give_the_same_features():
    rng = np.random.default_rng(3)
    x = _data(rng, 21248, np.complex64)
    row = x[None]
    steps = R.phase_steps(row)
    head = row[:, :8192]
    on = R.active_mask(head)
    assert _same(R.fsk_features(head, 2.4e6, on, steps), R.fsk_features(head, 2.4e6, on, R.phase_steps(head)))
    assert _same(R.periodicity_features(row, 2.4e6, steps), R.periodicity_features(row, 2.4e6, R.phase_steps(row)))
