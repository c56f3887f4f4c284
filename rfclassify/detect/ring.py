"""A ring buffer of the most recent items of a stream, addressed by absolute index.

One class serves every bounded history in rfclassify: the detector's recent
samples (complex64, one per index), its power, floor and mask rows (one row
of bins per index), and the node's encoded IQ for evidence and bearings (one
row of interleaved components per sample). Memory is fixed at construction:
``capacity`` items of ``item_shape`` and ``dtype``.
"""

from __future__ import annotations

import numpy as np


class Ring:
    """The last ``capacity`` items appended along axis 0, each of shape ``item_shape``.

    Items are addressed by absolute index: the first item appended has index
    ``origin`` (a stream that begins after a retune or a gap need not start at
    0), and every append continues from :attr:`end`. Items older than
    ``end - capacity`` are overwritten.
    """

    def __init__(
        self, capacity: int, item_shape: tuple[int, ...] = (), dtype: type | np.dtype = np.complex64, origin: int = 0
    ) -> None:
        if capacity < 1:
            raise ValueError(f"a ring needs a capacity of at least 1 item, got {capacity}")
        self.capacity = int(capacity)
        self.buf = np.zeros((self.capacity, *item_shape), dtype=dtype)
        self.origin = int(origin)
        #: Absolute index one past the newest item held.
        self.end = self.origin

    def append(self, items: np.ndarray) -> None:
        """Add ``items`` (``(n, *item_shape)``) after the newest; only the last ``capacity`` are kept."""
        n = items.shape[0]
        if n >= self.capacity:
            items = items[-self.capacity :]
            self.end += n - self.capacity
            n = self.capacity
        pos = self.end % self.capacity
        first = min(n, self.capacity - pos)
        self.buf[pos : pos + first] = items[:first]
        if first < n:
            self.buf[: n - first] = items[first:]
        self.end += n

    @property
    def first(self) -> int:
        """Absolute index of the oldest item held."""
        return max(self.end - self.capacity, self.origin)

    def view(self, a: int, b: int, cols: slice | None = None) -> np.ndarray:
        """Items ``[a, b)`` clipped to what is held; ``cols`` selects along the item's first axis.

        A read-only view of the buffer where the items are contiguous in it, else
        a copy of only what is asked for (an emission's box is a few columns of
        rows that may span most of the ring). A view is overwritten by later
        appends: use it before appending, or take :meth:`copy`.
        """
        a = max(a, self.first)
        b = min(b, self.end)
        index: tuple[slice, ...] = (slice(None),) if cols is None else (slice(None), cols)
        if b <= a:
            return self.buf[:0][index]
        pa, pb = a % self.capacity, (b - 1) % self.capacity
        if pb >= pa:
            view = self.buf[pa : pb + 1][index].view()
            view.flags.writeable = False
            return view
        return np.concatenate((self.buf[pa:][index], self.buf[: pb + 1][index]))

    def copy(self, a: int, b: int) -> np.ndarray:
        """Items ``[a, b)`` clipped to what is held, as an array of their own (never a view of the buffer)."""
        part = self.view(a, b)
        return part.copy() if part.base is not None else part
