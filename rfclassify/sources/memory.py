"""Samples already in memory (a numpy array) as a :class:`~rfclassify.sources.base.FileSource`.

``open_source(samples, sample_rate_hz=2.4e6, center_freq_hz=915e6)`` wraps an
array so everything that reads recordings (``classify``, the node, bearings)
reads it the same way. The array is converted to complex64 once (not copied
when it already is); blocks are views of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rfclassify.errors import InputError
from rfclassify.sources.base import Capture, FileSource
from rfclassify.sources.sigmf_io import recording_info

#: The ``path`` of an in-memory source when no name is given.
DEFAULT_NAME = "<array>"


class MemorySource(FileSource):
    """An in-memory recording: ``samples`` of shape ``(n,)`` or ``(n, channels)``, any complex or real dtype.

    ``sample_rate_hz`` is required; ``center_freq_hz`` (Hz) is 0 when unknown
    (the classifier then sees no RF band). ``metadata`` plays the part of
    SigMF ``global`` (e.g. ``rfclassify:array`` for a coherent array);
    ``name`` is what records and errors call the source.
    """

    def __init__(
        self,
        samples: np.ndarray,
        *,
        sample_rate_hz: float | None,
        center_freq_hz: float | None = None,
        metadata: dict[str, Any] | None = None,
        name: str = DEFAULT_NAME,
    ) -> None:
        self.path = name
        x = np.asarray(samples)
        if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[1] < 1):
            raise InputError(name, f"samples must have shape (n,) or (n, channels), not {x.shape}")
        if not np.issubdtype(x.dtype, np.number):
            raise InputError(name, f"samples must be numbers, not {x.dtype}")
        if sample_rate_hz is None or not float(sample_rate_hz) > 0:
            raise InputError(name, "an in-memory source needs a positive sample_rate_hz")
        if center_freq_hz is not None and float(center_freq_hz) < 0:
            raise InputError(name, "center_freq_hz must not be negative")
        if x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        self._samples = np.ascontiguousarray(x, dtype=np.complex64)
        self._metadata = dict(metadata or {})
        self.captures = [Capture(0, float(center_freq_hz or 0.0))]
        channels = 1 if self._samples.ndim == 1 else int(self._samples.shape[1])
        self.info = recording_info("memory", "cf32_le", float(sample_rate_hz), self.captures[0], len(self._samples),
                                   num_channels=channels)

    def read(self, start: int, count: int) -> np.ndarray:
        """``count`` samples from ``start`` (fewer at the end): a view of the array."""
        start = max(0, min(int(start), self.num_samples))
        return self._samples[start : max(start, min(start + int(count), self.num_samples))]

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata
