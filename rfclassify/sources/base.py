"""The one interface every IQ source offers: metadata plus an iterator of blocks.

Files, an RTL-SDR and an ``rtl_tcp`` server look the same downstream: a
:class:`Source` has an :class:`SourceInfo` and yields :class:`Block` objects
of complex64 samples that carry their own rate, centre frequency, index of
the first sample and UTC time. File sources are also random-access
(:meth:`FileSource.read`), and never hold more than one block in memory.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

DEFAULT_BLOCK_SAMPLES = 1 << 18


@dataclass(frozen=True)
class Block:
    """A run of consecutive samples and where they sit in time and frequency.

    ``samples`` is complex64 with shape ``(n,)`` or ``(n, channels)``;
    ``sample_index`` counts from the first sample of the source; ``time_utc``
    is the time of the first sample where known.
    """

    samples: np.ndarray
    sample_rate_hz: float
    center_freq_hz: float
    sample_index: int
    time_utc: datetime | None = None

    @property
    def t_start_s(self) -> float:
        """Time of the first sample from the start of the source, in seconds."""
        return self.sample_index / self.sample_rate_hz

    @property
    def num_channels(self) -> int:
        """Number of channels (1 for a plain ``(n,)`` block)."""
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])


@dataclass(frozen=True)
class Capture:
    """A segment of a recording with its own tuning (SigMF ``captures``)."""

    sample_start: int
    center_freq_hz: float
    datetime: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SourceInfo:
    """What ``rfclassify info`` prints; keys are the JSON keys."""

    format: str
    datatype: str
    sample_rate_hz: float
    center_freq_hz: float
    num_channels: int
    num_samples: int | None
    duration_s: float | None
    datetime: str | None
    annotation_count: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form with exactly the documented keys."""
        return asdict(self)


class Source(abc.ABC):
    """Metadata and a stream of blocks; use as a context manager to release files or sockets."""

    info: SourceInfo
    path: str

    @abc.abstractmethod
    def blocks(self, block_size: int = DEFAULT_BLOCK_SAMPLES) -> Iterator[Block]:
        """Yield consecutive blocks of at most ``block_size`` samples."""

    @property
    def annotations(self) -> list[dict[str, Any]]:
        """SigMF-style annotations (empty for sources that have none)."""
        return []

    @property
    def metadata(self) -> dict[str, Any]:
        """Extra global metadata (SigMF ``global``) where the source has it."""
        return {}

    def __iter__(self) -> Iterator[Block]:
        return self.blocks()

    def close(self) -> None:
        """Release files, sockets or devices."""

    def __enter__(self) -> Source:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FileSource(Source):
    """A recording on disk: random access by sample index and blocks split at capture boundaries."""

    captures: list[Capture]

    @abc.abstractmethod
    def read(self, start: int, count: int) -> np.ndarray:
        """Return ``count`` samples from sample ``start`` as complex64 (fewer at the end)."""

    @property
    def num_samples(self) -> int:
        """Total number of samples per channel."""
        assert self.info.num_samples is not None
        return self.info.num_samples

    def capture_at(self, index: int) -> Capture:
        """The capture segment that holds sample ``index``."""
        current = self.captures[0]
        for cap in self.captures:
            if cap.sample_start <= index:
                current = cap
            else:
                break
        return current

    def blocks(
        self, block_size: int = DEFAULT_BLOCK_SAMPLES, start: int = 0, count: int | None = None
    ) -> Iterator[Block]:
        """Yield blocks of at most ``block_size`` samples from ``start`` for ``count`` samples.

        A block never straddles two captures, so each block has one centre frequency.
        """
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        stop = self.num_samples if count is None else min(self.num_samples, start + count)
        bounds = [c.sample_start for c in self.captures[1:]] + [stop]
        pos = max(0, start)
        rate = self.info.sample_rate_hz
        while pos < stop:
            cap = self.capture_at(pos)
            seg_end = min(b for b in bounds if b > pos) if any(b > pos for b in bounds) else stop
            n = min(block_size, seg_end - pos, stop - pos)
            samples = self.read(pos, n)
            if len(samples) == 0:
                break
            when = None
            if cap.datetime is not None:
                when = cap.datetime + timedelta(seconds=(pos - cap.sample_start) / rate)
            yield Block(samples, rate, cap.center_freq_hz, pos, when)
            pos += len(samples)

    def read_all(self) -> np.ndarray:
        """All samples at once (small files and tests only)."""
        return self.read(0, self.num_samples)
