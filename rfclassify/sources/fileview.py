"""Random access to a file's sample components without mapping it into memory.

``np.memmap`` keeps every page it has touched resident and counted in the
process's RSS until the map is dropped, so streaming a 10-minute recording
through a map reports gigabytes of RSS. :class:`FileComponents` reads each
requested slice with ``os.preadv`` into a fresh buffer instead: memory is one
block, whatever the file's length (the kernel's page cache, which is not
the process's memory, still does the caching).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class FileComponents:
    """Read-only, slice-only view of ``count`` items of ``dtype`` at byte ``offset`` of a file."""

    def __init__(self, path: str | Path, dtype: np.dtype, offset: int, count: int) -> None:
        self.dtype = np.dtype(dtype)
        self.offset = int(offset)
        self.count = int(count)
        self._fd: int | None = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, item: slice) -> np.ndarray:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("FileComponents supports contiguous slices only")
        start, stop, _ = item.indices(self.count)
        n = max(0, stop - start)
        out = np.empty(n, dtype=self.dtype)
        if n == 0:
            return out
        if self._fd is None:
            raise ValueError("read from a closed file")
        view = memoryview(out).cast("B")
        pos = self.offset + start * self.dtype.itemsize
        done = 0
        while done < len(view):
            got = os.preadv(self._fd, [view[done:]], pos + done)
            if got <= 0:
                raise EOFError(f"file ended {len(view) - done} bytes early")
            done += got
        return out

    def close(self) -> None:
        """Close the file descriptor (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()
