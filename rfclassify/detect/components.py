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
from scipy import ndimage

#: 8-connectivity: a cell touches its row and column neighbours and the four diagonal ones.
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


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


def label_chunk(
    closed: np.ndarray, orig: np.ndarray
) -> tuple[np.ndarray, int, list[tuple[slice, slice] | None], np.ndarray]:
    """8-connected components of ``closed`` and, per component, the box and count of its ``orig`` cells.

    Returns ``(labels, n, boxes, counts)``: ``labels`` as :func:`scipy.ndimage.label`
    gives them but only for the rows kept (see below; the first and the last
    row are always kept, as ``labels[0]`` and ``labels[-1]``), ``boxes[i - 1]``
    the ``(rows, cols)`` slices of component ``i``'s ``orig`` cells (``None`` if
    it has none) and ``counts[i]`` their number (``counts[0]`` is 0). The same
    as labelling all of ``closed`` then ``find_objects``/``bincount`` over
    ``where(orig, labels, 0)``, but a row of ``closed`` that repeats the row
    above is dropped before labelling: it connects nothing the row above does
    not, and holds no component's first cell, so labels and their raster order
    are unchanged (the closing in time makes most rows such repeats). The
    boxes and counts are taken over the rows where ``closed`` or ``orig``
    changes, each weighted by how often it repeats.
    """
    rows = closed.shape[0]
    new_closed = np.ones(rows, dtype=bool)
    new_closed[1:] = (closed[1:] != closed[:-1]).any(axis=1)
    labels, n = ndimage.label(closed[np.flatnonzero(new_closed)], structure=EIGHT_CONNECTED)
    if n == 0:
        return labels, 0, [], np.zeros(1, dtype=np.int64)
    new_any = new_closed.copy()
    new_any[1:] |= (orig[1:] != orig[:-1]).any(axis=1)
    keep = np.flatnonzero(new_any)
    run = np.diff(np.append(keep, rows))
    lab_orig = np.where(orig[keep], labels[np.cumsum(new_closed)[keep] - 1], 0)
    cells = np.flatnonzero(lab_orig)
    counts = np.bincount(lab_orig.ravel()[cells], weights=run[cells // lab_orig.shape[1]], minlength=n + 1)
    boxes: list[tuple[slice, slice] | None] = []
    for sl in ndimage.find_objects(lab_orig, max_label=n):
        if sl is None:
            boxes.append(None)
        else:
            last = sl[0].stop - 1
            boxes.append((slice(int(keep[sl[0].start]), int(keep[last] + run[last])), sl[1]))
    return labels, n, boxes, counts.astype(np.int64)


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


