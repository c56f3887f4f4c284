"""Is the node keeping up? Its processing ratio, busy time and drops over a window, and a warning when not.

A live receiver does not wait: when the node's loop (processing, or the
consumer of its events) is slower than the stream, the source's queue fills
and then drops samples. Process CPU time does not show it — under CPU
contention the process gets little CPU and falls behind all the same — so
the node measures what matters, over any window of wall time:

- ``processing_ratio``: stream seconds processed per wall-clock second (1.0
  keeps up with a live receiver; below 1 it is losing samples or the source
  is silent; a recording read as fast as possible goes above 1);
- ``busy_fraction``: the part of the wall time the loop was working rather
  than waiting for samples (near 1 on a live receiver: no headroom left);
- ``drop_fraction``: samples lost (for any reason: queue full, receiver
  overflow, outage) over samples processed plus lost;
- ``overflow_samples``: the samples lost for want of time alone.

:class:`BehindWarning` logs one line when the node falls behind (samples
lost for want of time, or the queue more than half full), at most once every
``every_s`` seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("rfclassify.node")


@dataclass(frozen=True)
class LoadTotals:
    """Cumulative work of the node's loop at one moment; two of them make a :class:`LoadWindow`."""

    wall_s: float  # time.monotonic() when taken
    stream_s: float  # stream seconds processed
    waited_s: float  # wall seconds the loop waited for samples (or paced a recording)
    samples: int  # samples processed
    dropped: int  # samples lost, every cause
    overflow: int  # samples lost because the queue was full or the receiver overflowed


@dataclass(frozen=True)
class LoadWindow:
    """The loop's load between two :class:`LoadTotals` (see the module docstring for the fields)."""

    wall_s: float
    processing_ratio: float
    busy_fraction: float
    drop_fraction: float
    overflow_samples: int

    @classmethod
    def between(cls, before: LoadTotals, after: LoadTotals) -> LoadWindow:
        """The window from ``before`` to ``after``."""
        wall_s = max(after.wall_s - before.wall_s, 1e-9)
        dropped = after.dropped - before.dropped
        seen = after.samples - before.samples + dropped
        busy = 1.0 - (after.waited_s - before.waited_s) / wall_s
        return cls(
            wall_s=wall_s,
            processing_ratio=(after.stream_s - before.stream_s) / wall_s,
            busy_fraction=min(1.0, max(0.0, busy)),
            drop_fraction=dropped / seen if seen > 0 else 0.0,
            overflow_samples=after.overflow - before.overflow,
        )

    def behind(self, queue_depth: int, queue_capacity: int) -> bool:
        """Falling behind: samples lost for want of time in this window, or the queue more than half full."""
        return self.overflow_samples > 0 or (queue_capacity > 0 and 2 * queue_depth > queue_capacity)


class BehindWarning:
    """Logs a warning when the node falls behind: judged every ``window_s``, said at most every ``every_s``."""

    def __init__(self, window_s: float = 2.0, every_s: float = 30.0) -> None:
        self.window_s = window_s
        self.every_s = every_s
        self._start: LoadTotals | None = None
        self._last_warning = -float("inf")

    def check(self, totals: LoadTotals, queue_depth: int, queue_capacity: int) -> str | None:
        """Feed the current totals (as often as convenient); returns the message when one was logged."""
        if self._start is None:
            self._start = totals
            return None
        if totals.wall_s - self._start.wall_s < self.window_s:
            return None
        window = LoadWindow.between(self._start, totals)
        self._start = totals
        if not window.behind(queue_depth, queue_capacity) or totals.wall_s - self._last_warning < self.every_s:
            return None
        self._last_warning = totals.wall_s
        message = (
            f"falling behind: {window.processing_ratio:.2f} s of signal processed per second and "
            f"{window.drop_fraction:.1%} of the samples dropped over the last {window.wall_s:.0f} s "
            f"(queue {queue_depth}/{queue_capacity}, loop busy {window.busy_fraction:.0%}); the node needs "
            "more CPU than it gets: free the CPU, lower --rate, or use a faster machine"
        )
        log.warning("%s", message)
        return message
