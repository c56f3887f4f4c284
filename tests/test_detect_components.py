"""The compiled closing and labelling of a chunk agree with scipy's dilation, labelling and object boxes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from rfclassify.detect.components import close_and_label


def _scipy_reference(mask: np.ndarray, g: int, gb: int) -> tuple[np.ndarray, int, list, np.ndarray]:
    rows = mask.shape[0] - 2 * g
    wide = ndimage.binary_dilation(mask, structure=np.ones((2 * g + 1, 2 * gb + 1), bool)) if (g or gb) else mask
    closed = wide[g : g + rows]
    labels, n = ndimage.label(closed, structure=np.ones((3, 3), bool))
    orig = np.where(mask[g : g + rows], labels, 0)
    counts = np.bincount(orig.ravel(), minlength=n + 1)
    counts[0] = 0
    return labels, n, ndimage.find_objects(orig, max_label=n), counts


@pytest.mark.parametrize("density", [0.002, 0.02, 0.1, 0.4])
@pytest.mark.parametrize(("g", "gb"), [(0, 0), (1, 1), (7, 3), (14, 3)])
def test_close_and_label_matches_scipy(density: float, g: int, gb: int) -> None:
    rng = np.random.default_rng(int(density * 1000) + 31 * g + gb)
    for _ in range(5):
        rows, cols = int(rng.integers(1, 140)), int(rng.integers(1, 90))
        mask = rng.random((rows + 2 * g, cols)) < density
        first, last, n, boxes, counts = close_and_label(mask, g, gb)
        labels, n_ref, objects, counts_ref = _scipy_reference(mask, g, gb)
        assert n == n_ref
        np.testing.assert_array_equal(first, labels[0])
        np.testing.assert_array_equal(last, labels[-1])
        np.testing.assert_array_equal(counts, counts_ref)
        for (r0, r1, c0, c1), sl in zip(boxes.tolist(), objects):
            if sl is None:
                assert r0 == -1
            else:
                assert (r0, r1 + 1, c0, c1 + 1) == (sl[0].start, sl[0].stop, sl[1].start, sl[1].stop)


def test_close_and_label_bridges_gaps_only_up_to_twice_the_gap() -> None:
    mask = np.zeros((2 + 10, 20), dtype=bool)
    mask[5, 2] = mask[5, 4] = True  # 1 empty column between: bridged with gap_bins = 1
    mask[5, 10] = mask[5, 14] = True  # 3 empty columns: not bridged
    _first, _last, n, boxes, counts = close_and_label(mask, 1, 1)
    assert n == 3
    assert counts.tolist() == [0, 2, 1, 1]
    assert boxes[0].tolist() == [4, 4, 2, 4]
