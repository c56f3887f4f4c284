"""Order statistics of 1-D float arrays, bit-identical to numpy's, without its generic machinery.

``np.median`` and ``np.percentile`` spend more time in their wrappers than in
the partition on the short arrays the features use; these take the same
partition and the same arithmetic, so every bit of the result is numpy's
(tested against numpy on the shapes and dtypes the features use).
"""

from __future__ import annotations

import numpy as np


def rank_pair(n: int, q: float) -> tuple[float, int, int]:
    """``(pos, lo, hi)``: the fractional rank of percentile ``q`` among ``n`` sorted values and its two neighbours."""
    pos = q / 100.0 * (n - 1)
    lo = int(pos)
    return pos, lo, min(lo + 1, n - 1)


def median(x: np.ndarray) -> float:
    """``np.median(x)`` of a non-empty 1-D float array by the same partition and mean (bit-identical), minus its wrappers."""
    n = len(x)
    h = n // 2
    if n % 2:
        part = x.copy(order="K")  # what np.partition does, minus its wrapper
        part.partition((h, -1))
        mid = part[h : h + 1]
    else:
        part = x.copy(order="K")
        part.partition((h - 1, h, -1))
        mid = part[h - 1 : h + 1]
    if np.isnan(part[-1]):
        return float("nan")
    return float(np.add.reduce(mid) / len(mid))


def percentile(x: np.ndarray, q: float) -> float:
    """``np.percentile(x, q)`` (linear interpolation) by partial sort, without numpy's generic machinery."""
    pos, lo, hi = rank_pair(len(x), q)
    part = x.copy(order="K")  # what np.partition does, minus its wrapper
    part.partition(lo)  # one selection (two cost twice as much); the next order statistic is the least value above
    v_lo = part[lo]
    v_hi = np.minimum.reduce(part[lo + 1 :]) if hi > lo else v_lo
    return float(v_lo + (v_hi - v_lo) * (pos - lo))
