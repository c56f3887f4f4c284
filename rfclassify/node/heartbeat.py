"""Heartbeat records: is the node alive, keeping up, and what does it hear.

Every ``--heartbeat`` seconds the node emits ``{"event": "heartbeat", ...}``
with: ``samples_processed``, ``dropped_samples`` (counted by the live
source's reader when its queue overflowed or while the receiver was away;
never silent), ``drop_fraction``, ``queue_depth``/``queue_capacity`` (raw
chunks of ~10 ms waiting for processing), ``noise_floor_dbfs`` (median
sample power of the last block, over full-scale; for complex Gaussian noise
the median of ``|x|²`` is ``ln 2`` times its mean, corrected here),
``cpu_percent`` (process CPU time over wall time since the last heartbeat,
percent of one core, capture thread included), ``rss_mb``, ``reconnects``,
``source_state`` and ``active_emitters``.
"""

from __future__ import annotations

import math
import os
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


@dataclass
class HeartbeatMeter:
    """Counters the service updates and :meth:`record` turns into a heartbeat dict."""

    interval_s: float
    samples_processed: int = 0
    noise_floor_dbfs: float = float("nan")
    source_state: str = "starting"
    center_freq_hz: float = 0.0
    _last_wall: float = field(default_factory=time.monotonic)
    _last_cpu: float = field(default_factory=time.process_time)
    _started: float = field(default_factory=time.monotonic)

    def due(self, now: float | None = None) -> bool:
        """True when ``interval_s`` of wall time have passed since the last heartbeat."""
        now = time.monotonic() if now is None else now
        return self.interval_s > 0 and now - self._last_wall >= self.interval_s

    def record(
        self,
        *,
        time_iso: str,
        sensor_id: str,
        dropped_samples: int = 0,
        queue_depth: int = 0,
        queue_capacity: int = 0,
        reconnects: int = 0,
        active_emitters: int = 0,
        events_emitted: int = 0,
    ) -> dict[str, Any]:
        """The heartbeat dict; resets the CPU measurement window."""
        now, cpu = time.monotonic(), time.process_time()
        wall = max(now - self._last_wall, 1e-9)
        cpu_pct = 100.0 * (cpu - self._last_cpu) / wall
        self._last_wall, self._last_cpu = now, cpu
        seen = self.samples_processed + dropped_samples
        floor = self.noise_floor_dbfs
        return {
            "event": "heartbeat",
            "time": time_iso,
            "sensor_id": sensor_id,
            "center_freq_hz": self.center_freq_hz,
            "uptime_s": round(now - self._started, 3),
            "samples_processed": self.samples_processed,
            "dropped_samples": dropped_samples,
            "drop_fraction": round(dropped_samples / seen, 6) if seen else 0.0,
            "queue_depth": queue_depth,
            "queue_capacity": queue_capacity,
            "noise_floor_dbfs": round(floor, 2) if math.isfinite(floor) else None,
            "cpu_percent": round(cpu_pct, 1),
            "rss_mb": round(rss_mb(), 1),
            "reconnects": reconnects,
            "source_state": self.source_state,
            "active_emitters": active_emitters,
            "events_emitted": events_emitted,
        }
