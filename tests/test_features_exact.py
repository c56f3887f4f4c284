"""The fast numpy replacements in rfclassify.dsp.features give numpy's own results, bit for bit.

A helper that saves time must not move a single bit: each is compared with
the numpy call it replaces, on the shapes and dtypes the features use (and
signed zeros).
"""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.dsp import features as F


def _bits(x) -> bytes:
    return np.asarray(x).tobytes()


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
    assert _bits(np.float64(F._median(x))) == _bits(np.median(x))


def test_shared_phase_steps_give_the_same_features():
    rng = np.random.default_rng(3)
    x = _data(rng, 21248, np.complex64)
    steps = F.phase_steps(x)
    head = x[:8192]
    assert F.fsk_features(head, 2.4e6, steps=steps) == F.fsk_features(head, 2.4e6)
    assert F.periodicity_features(x, 2.4e6, steps=steps) == F.periodicity_features(x, 2.4e6)
