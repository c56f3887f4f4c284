"""Connected components of the closed mask, chunk by chunk, and the running statistics of an open one.

Frames are labelled in fixed chunks counted from the first frame of the
stream (8-connectivity); :func:`touching_pairs` joins a chunk's components
to those open across its first row, so the result does not depend on how
the stream was cut into blocks. A :class:`Component` accumulates the box and
cell count of one emission's undilated cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass
class Component:
    """Running statistics of one open component (undilated cells only).

    Its cells span rows ``t0``–``t1`` and bins ``b0``–``b1`` (inclusive,
    absolute frame and FFT-bin indices), ``cells`` of them; ``seg_start`` is
    the first row of the segment being built (a long emission is emitted in
    segments), ``split_before`` whether a segment of it was emitted already.
    """

    t0: int
    t1: int
    b0: int
    b1: int
    cells: int
    seg_start: int
    split_before: bool = False
    emission_id: int = 0

    def merge(self, other: Component) -> None:
        """Absorb ``other`` (a part of this emission found in a new chunk, or a component it joins)."""
        if other.cells:
            if self.cells:
                self.t0, self.t1 = min(self.t0, other.t0), max(self.t1, other.t1)
                self.b0, self.b1 = min(self.b0, other.b0), max(self.b1, other.b1)
            else:
                self.t0, self.t1, self.b0, self.b1 = other.t0, other.t1, other.b0, other.b1
        self.cells += other.cells
        self.seg_start = min(self.seg_start, other.seg_start)
        self.split_before = self.split_before or other.split_before
        self.emission_id = min(self.emission_id, other.emission_id)


def close_and_label(
    mask: np.ndarray, gap_frames: int, gap_bins: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Close ``mask`` (:func:`rfclassify.detect.mask.close_inner_rows`), label it, and measure each component's undilated cells.

    ``mask``: bool ``(rows + 2·gap_frames, cols)``, the chunk's rows with
    ``gap_frames`` rows of context each side. The closed rows are labelled
    with 8-connectivity, components numbered 1 … n in the raster order of
    their first cell (as :func:`scipy.ndimage.label` numbers them); their
    undilated cells are those of the chunk's own rows of ``mask``. Returns
    ``(first, last, n, boxes, counts)``: the labels of the first and the last
    closed row (int64, ``(cols,)``), ``n``, ``boxes[i − 1] = (row0, row1, col0,
    col1)`` (inclusive) of component ``i``'s undilated cells (``row0 = −1`` if it
    has none) and ``counts[i]`` their number (``counts[0] = 0``).

    One compiled pass (:func:`_close_and_label`): on a chunk of a few hundred
    cells the numpy form spent its time on the calls, not the cells.
    """
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    return _close_and_label(mask, int(gap_frames), int(gap_bins))


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def _close_and_label(
    mask: np.ndarray, g: int, gb: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    total, cols = mask.shape
    rows = total - 2 * g
    # Closing: OR over 2·gb + 1 columns (zero beyond the edges), then over 2·g + 1 rows.
    wide = np.zeros((total, cols), dtype=np.bool_)
    for r in range(total):
        last_on = -(1 << 30)
        for c in range(cols):  # the nearest on-cell at or left of c, then at or right of c
            if mask[r, c]:
                last_on = c
            if c - last_on <= gb:
                wide[r, c] = True
        next_on = 1 << 30
        for c in range(cols - 1, -1, -1):
            if mask[r, c]:
                next_on = c
            if next_on - c <= gb:
                wide[r, c] = True
    closed = np.zeros((rows, cols), dtype=np.bool_)
    run = np.zeros(cols, dtype=np.int64)  # on-rows of `wide` among the last 2·g + 1, per column
    for r in range(total):
        for c in range(cols):
            run[c] += wide[r, c]
        if r > 2 * g:
            for c in range(cols):
                run[c] -= wide[r - 2 * g - 1, c]
        if r >= 2 * g:
            for c in range(cols):
                closed[r - 2 * g, c] = run[c] > 0
    # Labels: provisional ones in raster order, joined through a union-find whose roots are the
    # smallest provisional label of each component (that of its first cell in raster order).
    lab = np.zeros((rows, cols), dtype=np.int64)
    parent = np.zeros(rows * cols + 1, dtype=np.int64)
    nxt = 1
    for r in range(rows):
        if r > 0:
            same = True
            for c in range(cols):
                if closed[r, c] != closed[r - 1, c]:
                    same = False
                    break
            if same:
                # A row that repeats the row above joins nothing new (every cell sits under one of
                # the same component): its labels are the above's (the closing in time makes most
                # rows such repeats).
                for c in range(cols):
                    lab[r, c] = lab[r - 1, c]
                continue
        for c in range(cols):
            if not closed[r, c]:
                continue
            best = 0
            for dr, dc in ((0, -1), (-1, -1), (-1, 0), (-1, 1)):
                rr, cc = r + dr, c + dc
                if rr < 0 or cc < 0 or cc >= cols:
                    continue
                other = lab[rr, cc]
                if other == 0:
                    continue
                root = _find(parent, other)
                if best == 0:
                    best = root
                elif root != best:
                    lo, hi = min(root, best), max(root, best)
                    parent[hi] = lo
                    best = lo
            if best == 0:
                parent[nxt] = nxt
                best = nxt
                nxt += 1
            lab[r, c] = best
    final = np.zeros(nxt, dtype=np.int64)
    n = 0
    for k in range(1, nxt):
        root = _find(parent, k)
        if root == k:
            n += 1
            final[k] = n
        else:
            final[k] = final[root]
    boxes = np.full((n, 4), -1, dtype=np.int64)
    counts = np.zeros(n + 1, dtype=np.int64)
    for r in range(rows):
        for c in range(cols):
            if lab[r, c] == 0:
                continue
            lab[r, c] = final[lab[r, c]]
            if mask[g + r, c]:
                i = lab[r, c]
                counts[i] += 1
                b = boxes[i - 1]
                if b[0] < 0:
                    b[0], b[1], b[2], b[3] = r, r, c, c
                else:
                    b[1] = r  # rows come in order: r is the largest so far
                    b[2] = min(b[2], c)
                    b[3] = max(b[3], c)
    first = lab[0].copy() if rows else np.zeros(cols, dtype=np.int64)
    last = lab[rows - 1].copy() if rows else np.zeros(cols, dtype=np.int64)
    return first, last, n, boxes, counts


def touching_pairs(first: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Distinct ``(label in first, label in prev)`` pairs of 8-connected neighbours across two rows.

    ``first`` and ``prev`` are label rows (0 = background); a cell touches the
    previous row's cell in the same column and the two diagonal ones.
    Returns an ``(k, 2)`` int64 array sorted by first label, then previous.
    """
    if not prev.any():  # nothing open across the boundary: the common case after noise
        return np.zeros((0, 2), dtype=np.int64)
    n = len(first)
    a_parts, b_parts = [], []
    for a, b in ((first, prev), (first[:-1], prev[1:]), (first[1:], prev[: n - 1])):
        both = (a > 0) & (b > 0)
        if both.any():
            a_parts.append(a[both])
            b_parts.append(b[both])
    if not a_parts:
        return np.zeros((0, 2), dtype=np.int64)
    a = np.concatenate(a_parts).astype(np.int64)
    b = np.concatenate(b_parts).astype(np.int64)
    span = int(b.max()) + 1
    keys = np.unique(a * span + b)
    return np.stack((keys // span, keys % span), axis=1)


