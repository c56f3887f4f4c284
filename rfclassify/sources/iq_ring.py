"""A bounded ring of recent source blocks, stored in the source's own sample format: :class:`IQRing`.

Used by the node's evidence recorder (one channel) and its array bearings
(every channel). The samples live in one :class:`~rfclassify.detect.ring.Ring`
of encoded components; gaps and retunes between blocks split the segments
read back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from rfclassify.detect.ring import Ring
from rfclassify.sources.base import Block
from rfclassify.sources.datatypes import datatype as lookup_datatype
from rfclassify.sources.datatypes import decode, encode


@dataclass(frozen=True)
class _Run:
    """One appended block: where its samples sit in the ring and what they are."""

    position: int  # ring index of its first sample (the ring counts stored samples, gaps or not)
    sample_index: int
    num_samples: int
    center_freq_hz: float
    sample_rate_hz: float
    time_utc: datetime | None


class IQRing:
    """The most recent ``capacity`` samples, stored encoded as ``datatype`` (``cu8``, ``ci16_le`` …).

    With ``channels=1`` only the first channel of a multi-channel block is
    kept (evidence snippets); with ``channels=M`` all ``M`` channels are
    (the node's array bearings), and :meth:`segments` returns ``(n, M)``.
    The samples live in one :class:`~rfclassify.detect.ring.Ring` of encoded
    components (a sample per row); a short list of runs remembers each
    block's sample index, tuning and time, so gaps and retunes split segments.
    """

    def __init__(self, capacity: int, datatype: str = "cu8", channels: int = 1) -> None:
        self.capacity = int(capacity)
        self.dtype = lookup_datatype(datatype)
        self.channels = int(channels)
        self._ring = Ring(self.capacity, (2 * self.channels,), self.dtype.component)
        self._runs: deque[_Run] = deque()

    def append(self, block: Block) -> None:
        """Store a block (its first ``channels`` channels) and forget the oldest samples beyond the capacity."""
        if self.channels == 1:
            x = block.samples if block.samples.ndim == 1 else block.samples[:, 0]
        elif block.num_channels != self.channels:
            raise ValueError(f"ring holds {self.channels} channels, block has {block.num_channels}")
        else:
            x = block.samples
        raw = encode(x, self.dtype).reshape(-1, 2 * self.channels)
        self._runs.append(
            _Run(self._ring.end, block.sample_index, len(raw), block.center_freq_hz, block.sample_rate_hz, block.time_utc)
        )
        self._ring.append(raw)
        while self._runs and self._runs[0].position + self._runs[0].num_samples <= self._ring.first:
            self._runs.popleft()

    def _held(self) -> list[tuple[_Run, int, int]]:
        """Each run still (partly) held: ``(run, first sample index held, end sample index)``."""
        first = self._ring.first
        return [(r, r.sample_index + max(0, first - r.position), r.sample_index + r.num_samples) for r in self._runs]

    @property
    def start(self) -> int | None:
        """Sample index of the oldest stored sample."""
        held = self._held()
        return held[0][1] if held else None

    @property
    def end(self) -> int | None:
        """Sample index one past the newest stored sample."""
        return self._runs[-1].sample_index + self._runs[-1].num_samples if self._runs else None

    @property
    def nbytes(self) -> int:
        """Bytes of the samples held."""
        return (self._ring.end - self._ring.first) * self._ring.buf[0].nbytes

    def segments(self, a: int, b: int, center_freq_hz: float) -> list[tuple[int, datetime | None, np.ndarray]]:
        """Contiguous runs of samples in ``[a, b)`` tuned to ``center_freq_hz``: ``(start_index, utc, complex64)``.

        The samples are ``(n,)`` for a one-channel ring, else ``(n, channels)``.
        """
        runs: list[tuple[int, datetime | None, list[np.ndarray]]] = []
        last_end = None
        for r, held_start, held_end in self._held():
            if held_end <= a or held_start >= b or r.center_freq_hz != center_freq_hz:
                continue
            lo, hi = max(a, held_start), min(b, held_end)
            part = self._ring.copy(r.position + lo - r.sample_index, r.position + hi - r.sample_index)
            if last_end is None or lo != last_end:
                when = None
                if r.time_utc is not None:
                    when = r.time_utc + timedelta(seconds=(lo - r.sample_index) / r.sample_rate_hz)
                runs.append((lo, when, []))
            runs[-1][2].append(part.reshape(-1))
            last_end = hi
        return [(start, when, decode(np.concatenate(parts), self.dtype, self.channels)) for start, when, parts in runs]
