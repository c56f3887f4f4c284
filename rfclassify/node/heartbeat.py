"""Heartbeat records: is the node alive, keeping up, and what does it hear.

Every ``--heartbeat`` seconds — whatever the source does: streaming, silent,
lost or not yet opened — the node emits ``{"event": "heartbeat", ...}`` with,
first, what says whether its picture is complete:

- ``source_state``: ``streaming``; ``stalled`` (connected, but no samples for
  a second or more); ``reconnecting`` (the receiver was lost and is being
  got back); ``unavailable`` (it cannot be opened; retried with backoff);
  ``starting`` before the first open;
- ``falling_behind``: samples were lost for want of time since the last
  heartbeat, or the queue is more than half full;
- ``processing_ratio``, ``busy_fraction``, ``recent_drop_fraction``: stream
  seconds processed per wall second, the part of the time the loop was
  busy, and the fraction of samples lost, all since the last heartbeat
  (:mod:`rfclassify.node.load`);
- ``last_sample_age_s``: wall seconds since the last samples arrived;

then ``center_freq_hz``, ``uptime_s``, ``samples_processed``,
``dropped_samples`` (counted by the live source's reader when its queue
overflowed or while the receiver was away; never silent),
``overflow_samples`` (the part lost for want of time), ``drop_fraction``
(since the start), ``queue_depth``/``queue_capacity`` (raw chunks of ~10 ms
waiting for processing), ``noise_floor_dbfs`` (median sample power of the
last block, over full-scale; for complex Gaussian noise the median of
``|x|²`` is ``ln 2`` times its mean, corrected here), ``cpu_percent``
(process CPU time over wall time since the last heartbeat, percent of one
core, capture thread included; a node starved of CPU shows a low value
while it falls behind, hence the fields above), ``rss_mb``, ``reconnects``,
``active_emitters`` and ``events_emitted``.
"""

from __future__ import annotations

import math
import os
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfclassify.node.load import LoadTotals, LoadWindow

LN2 = math.log(2.0)


def noise_floor_dbfs(samples: np.ndarray, stride: int = 16) -> float:
    """Noise power estimate in dB full scale: median ``|x|²`` over ``ln 2`` (robust to bursts)."""
    x = np.asarray(samples)[::stride]
    if x.size == 0:
        return float("nan")
    p = float(np.median(x.real.astype(np.float32) ** 2 + x.imag.astype(np.float32) ** 2)) / LN2
    return 10.0 * math.log10(p) if p > 0 else -math.inf


def rss_mb() -> float:
    """Resident set size of this process in MiB (``/proc/self/statm``; peak RSS where that is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


#: The states a heartbeat's ``source_state`` takes (see the module docstring).
SOURCE_STATES = ("starting", "streaming", "stalled", "reconnecting", "unavailable")


@dataclass
class HeartbeatMeter:
    """Counters the service updates and :meth:`record` turns into a heartbeat dict.

    Heartbeats are due every ``interval_s`` of wall time on a fixed schedule
    (a late one does not shift the next), so their period holds whatever the
    loop waits for.
    """

    interval_s: float
    samples_processed: int = 0
    stream_s: float = 0.0  # stream seconds processed
    waited_s: float = 0.0  # wall seconds the loop spent waiting for samples
    last_block_wall: float = field(default_factory=time.monotonic)  # when the last samples arrived
    noise_floor_dbfs: float = float("nan")
    source_state: str = "starting"
    center_freq_hz: float = 0.0
    _last_wall: float = field(default_factory=time.monotonic)
    _last_cpu: float = field(default_factory=time.process_time)
    _started: float = field(default_factory=time.monotonic)
    _next_due: float | None = None
    _window_start: LoadTotals | None = None

    def due(self, now: float | None = None) -> bool:
        """True when the next heartbeat is due (every ``interval_s`` of wall time from the start)."""
        if self.interval_s <= 0:
            return False
        now = time.monotonic() if now is None else now
        if self._next_due is None:
            self._next_due = self._started + self.interval_s
        return now >= self._next_due

    def totals(self, dropped_samples: int, overflow_samples: int) -> LoadTotals:
        """The loop's cumulative work now (for :mod:`rfclassify.node.load`)."""
        return LoadTotals(time.monotonic(), self.stream_s, self.waited_s, self.samples_processed,
                          dropped_samples, overflow_samples)

    def record(
        self,
        *,
        time_iso: str,
        sensor_id: str,
        dropped_samples: int = 0,
        overflow_samples: int = 0,
        queue_depth: int = 0,
        queue_capacity: int = 0,
        reconnects: int = 0,
        active_emitters: int = 0,
        events_emitted: int = 0,
    ) -> dict[str, Any]:
        """The heartbeat dict; starts the next measurement window and schedules the next heartbeat."""
        totals = self.totals(dropped_samples, overflow_samples)
        now, cpu = totals.wall_s, time.process_time()
        if self.interval_s > 0:
            self._next_due = (self._next_due or self._started) + self.interval_s
            if self._next_due <= now:  # more than a period late: start the schedule afresh
                self._next_due = now + self.interval_s
        wall = max(now - self._last_wall, 1e-9)
        cpu_pct = 100.0 * (cpu - self._last_cpu) / wall
        self._last_wall, self._last_cpu = now, cpu
        start = self._window_start or LoadTotals(self._started, 0.0, 0.0, 0, 0, 0)
        window = LoadWindow.between(start, totals)
        self._window_start = totals
        seen = self.samples_processed + dropped_samples
        floor = self.noise_floor_dbfs
        return {
            "event": "heartbeat",
            "time": time_iso,
            "sensor_id": sensor_id,
            "source_state": self.source_state,
            "falling_behind": window.behind(queue_depth, queue_capacity),
            "processing_ratio": round(window.processing_ratio, 3),
            "busy_fraction": round(window.busy_fraction, 3),
            "recent_drop_fraction": round(window.drop_fraction, 6),
            "last_sample_age_s": round(now - self.last_block_wall, 3),
            "center_freq_hz": self.center_freq_hz,
            "uptime_s": round(now - self._started, 3),
            "samples_processed": self.samples_processed,
            "dropped_samples": dropped_samples,
            "overflow_samples": overflow_samples,
            "drop_fraction": round(dropped_samples / seen, 6) if seen else 0.0,
            "queue_depth": queue_depth,
            "queue_capacity": queue_capacity,
            "noise_floor_dbfs": round(floor, 2) if math.isfinite(floor) else None,
            "cpu_percent": round(cpu_pct, 1),
            "rss_mb": round(rss_mb(), 1),
            "reconnects": reconnects,
            "active_emitters": active_emitters,
            "events_emitted": events_emitted,
        }
