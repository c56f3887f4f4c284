"""Running sums over windows of rows and columns of a 2-D array, the arithmetic of the detector's box means.

Pure functions built from power-of-two partial sums: contiguous slice
additions that keep float32 precision next to strong bursts (a cumulative
sum loses it) and cost O(log k) array passes for a window of ``k``.
"""

from __future__ import annotations

import numpy as np


def _take(x: np.ndarray, start: int, length: int, axis: int) -> np.ndarray:
    return x[start : start + length] if axis == 0 else x[:, start : start + length]


def window_sum(x: np.ndarray, k: int, axis: int, op: np.ufunc = np.add) -> np.ndarray:
    """Sums of ``k`` consecutive elements along ``axis`` (0 or 1), "valid" mode: length ``n - k + 1``.

    Built from sums over power-of-two lengths (``k = 17`` costs 6 array
    additions, not 16). A cumulative sum would be O(1) per cell too, but
    ``np.cumsum`` along rows is an order of magnitude slower than these
    contiguous slice additions, and it loses float32 precision next to
    strong bursts. ``op=np.logical_or`` gives a running "any" (dilation).
    """
    if k <= 1:
        return x
    out_len = x.shape[axis] - k + 1
    result: np.ndarray | None = None
    p, width, off, bits = x, 1, 0, k
    while True:
        if bits & 1:
            part = _take(p, off, out_len, axis)
            result = part if result is None else op(result, part)
            off += width
        bits >>= 1
        if not bits:
            break
        m = p.shape[axis] - width
        p = op(_take(p, 0, m, axis), _take(p, width, m, axis))
        width *= 2
    assert result is not None
    return result


def centred_sum_cols(x: np.ndarray, k: int, op: np.ufunc = np.add) -> np.ndarray:
    """Sum (or ``op``) over a centred window of ``k`` (odd) columns, zero beyond the edges; same shape as ``x``.

    Runs on the flattened, zero-padded array so every operation is one
    contiguous 1-D pass (column slices of a 2-D array are several times slower).
    """
    return centred_sum_cols_wide(x, k, op)[:, : x.shape[1]]


def centred_sum_cols_wide(x: np.ndarray, k: int, op: np.ufunc = np.add) -> np.ndarray:
    """:func:`centred_sum_cols` as a C-contiguous ``(rows, cols + 2·(k // 2))`` array: its first ``cols`` columns.

    The other columns are sums across a row's end (not used). Row operations
    on the contiguous result are faster than on the column slice.
    """
    if k <= 1:
        return x
    h = k // 2
    rows, n = x.shape
    w = n + 2 * h
    buf = np.zeros(rows * w + 2 * h, dtype=x.dtype)
    buf[: rows * w].reshape(rows, w)[:, h : h + n] = x
    return window_sum(buf, 2 * h + 1, 0, op)[: rows * w].reshape(rows, w)


def coarse_columns(x: np.ndarray, dec: int) -> np.ndarray:
    """Sum of each run of ``dec`` adjacent columns (strided slices: far faster than a reshaped ``sum``)."""
    if dec == 1:
        return x
    out = x[:, 0::dec] + x[:, 1::dec]
    for j in range(2, dec):
        out += x[:, j::dec]
    return out


def row_window_sums(x: np.ndarray, windows: list[tuple[int, int]], out_len: int) -> list[np.ndarray]:
    """For each ``(k, start)``: sums of ``k`` consecutive rows of ``x`` for the ``out_len`` rows from ``start``.

    Bit-identical to ``window_sum(x[start : start + out_len + k - 1], k, 0)``
    for each window, but the power-of-two partial sums (the same at every
    absolute row, whatever the window) are built once over all of ``x`` and
    shared by every window: the mask's boxes of one column width differ only
    in length. Each window's parts are added in the same order as in
    :func:`window_sum` (lowest power of two first).
    """
    results: list[np.ndarray | None] = [None] * len(windows)
    offs = [start for _, start in windows]
    p, width = x, 1
    top = max(k for k, _ in windows)
    while True:
        for i, (k, _) in enumerate(windows):
            if k & width:
                part = p[offs[i] : offs[i] + out_len]
                r = results[i]
                results[i] = part if r is None else r + part
                offs[i] += width
        if width * 2 > top:
            break
        m = p.shape[0] - width
        p = p[:m] + p[width : width + m]
        width *= 2
    return [r if r is not None else x[s : s + out_len] for r, (_, s) in zip(results, windows)]


