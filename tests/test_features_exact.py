"""The fast numpy replacements in rfclassify.dsp.features give numpy's own results, bit for bit.

The shipped model is retrained from these features, so a helper that saves
time must not move a single bit: each is compared with the numpy call it
replaces, on the shapes and dtypes the features use (and signed zeros).
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("n", [1, 3, 7, 8, 10, 12, 17, 64, 83, 129, 300])
def test_row_sums_equal_numpy(dtype, n):
    a = _data(np.random.default_rng(n), (50 * n + 3, n), dtype)
    a[0] = -0.0
    got, want = F._row_sums(a), a.sum(axis=1)
    assert got.dtype == want.dtype and _bits(got) == _bits(want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dec", [1, 2, 3, 10, 83])
def test_block_mean_equals_numpy(dtype, dec):
    x = _data(np.random.default_rng(dec), 200 * dec, dtype)
    got, want = F._block_mean(x, dec), x.reshape(-1, dec).mean(axis=1)
    assert got.dtype == want.dtype and _bits(got) == _bits(want)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 681, 682, 8000])
def test_reductions_equal_numpy(n):
    rng = np.random.default_rng(n)
    x = _data(rng, n, np.float64)
    assert _bits(np.float64(F._median(x))) == _bits(np.median(x))
    assert _bits(F._mean_var(x)) == _bits((float(x.mean()), float(x.var())))
    for dtype in (np.float32, np.float64):
        y = x.astype(dtype)
        assert type(F._mean(y)) is type(y.mean()) and _bits(F._mean(y)) == _bits(y.mean())
        a = y[: (n // 4) * 4].reshape(-1, 4) if n >= 4 else y.reshape(1, -1)
        for axis in (0, 1):
            assert _bits(F._mean_axis(a, axis)) == _bits(a.mean(axis=axis))


def test_sorted_equals_numpy_sort():
    rng = np.random.default_rng(0)
    for v in (
        rng.standard_normal(8000) * 1e5,
        np.concatenate((rng.normal(2e5, 1e4, 4000), rng.normal(-2e5, 1e4, 4000), np.zeros(50))),
        rng.standard_cauchy(3000),
        np.full(500, 3.0),
        np.r_[rng.standard_normal(400), np.nan, np.inf],
    ):
        assert _bits(F._sorted(v.copy())) == _bits(np.sort(v))


@pytest.mark.parametrize("span,num", [(0, 1), (0, 4), (5, 4), (7083 - 756, 4), (12345, 3), (10, 2)])
def test_window_starts_equal_linspace(span, num):
    assert F._window_starts(span, num) == [int(s) for s in np.linspace(0, span, num=num).astype(int)]


def test_shared_phase_steps_give_the_same_features():
    rng = np.random.default_rng(3)
    x = _data(rng, 21248, np.complex64)
    steps = F.phase_steps(x)
    head = x[:8192]
    assert F.fsk_features(head, 2.4e6, steps=steps) == F.fsk_features(head, 2.4e6)
    assert F.periodicity_features(x, 2.4e6, steps=steps) == F.periodicity_features(x, 2.4e6)
