"""Sequence features of a burst among its neighbours: which detections resemble it, how they hop.

A detection is *similar* to another if its bandwidth is within a factor 1.5
and its duration within a factor 3. The features (:func:`context_features`)
count and time the similar bursts within a window around it. A recording's
bursts get them from each other (:func:`context_table`, both sides of the
window); a stream's get them from the bursts before them only
(:class:`CausalContext`), so a stream needs no look-ahead and training sees
exactly what a live node sees.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from rfclassify.detect.types import DetectedBurst
from rfclassify.features.order_stats import median

#: Context window of a stream's causal context (seconds of past bursts).
CONTEXT_WINDOW_S = 1.0


def _is_sorted(values: list[float]) -> bool:
    return all(a <= b for a, b in pairwise(values))


#: What the context features read of a detection: ``(t_start_s, max(bandwidth_hz, 1 Hz), max(duration_s, 1 µs), freq_hz)``.
ContextRow = tuple[float, float, float, float]


def context_row(item: Any) -> ContextRow:
    """The :data:`ContextRow` of a detection, or of an object with a ``detection`` attribute."""
    d = getattr(item, "detection", item)
    return (d.t_start_s, max(d.bandwidth_hz, 1.0), max(d.duration_s, 1e-6), d.freq_hz)


def context_features(detections: Sequence[Any], i: int, window_s: float = 0.5) -> dict[str, float]:
    """Sequence features of detection ``i`` among ``detections`` of the same recording.

    A detection is *similar* if its bandwidth is within a factor 1.5 and its
    duration within a factor 3 of detection ``i``'s. Within ±``window_s``:
    ``prev_interval_s`` (start to start, to the latest similar burst before
    it; ``has_prev`` says whether there is one), ``n_similar`` (including
    itself), ``n_channels`` (distinct centre frequencies, merged within half
    a bandwidth), ``hop_spacing_hz`` (median gap between adjacent distinct
    channels, 0 if one channel), ``burst_rate_hz`` (similar bursts per
    second in the window) and ``interval_cv`` (std over mean of the
    start-to-start intervals between consecutive similar bursts: near 0 for
    a link at a fixed packet rate, ExpressLRS or Crossfire; large for ALOHA
    devices, LoRaWAN end devices, meters, sensors; 0 with fewer than three
    bursts). Items are :class:`~rfclassify.detect.types.Detection`
    or objects with a ``detection`` attribute.
    """
    return context_of_rows([context_row(d) for d in detections], i, window_s)


def context_of_rows(rows: Sequence[ContextRow], i: int, window_s: float = 0.5) -> dict[str, float]:
    """:func:`context_features` of item ``i`` given the items' :func:`context_row` (for callers that keep them)."""
    starts = [r[0] for r in rows]
    return _context(rows, starts if _is_sorted(starts) else None, i, window_s)


def context_table(detections: Sequence[Any], window_s: float = 0.5) -> list[dict[str, float]]:
    """:func:`context_features` of every detection, in input order, in O(n log n + n·k) for k per window."""
    rows = [context_row(d) for d in detections]
    order = sorted(range(len(rows)), key=lambda k: rows[k][0])
    ordered = [rows[k] for k in order]
    starts = [r[0] for r in ordered]
    out: list[dict[str, float]] = [{} for _ in detections]
    for pos, k in enumerate(order):
        out[k] = _context(ordered, starts, pos, window_s)
    return out


def _context(rows: Sequence[ContextRow], sorted_starts: list[float] | None, i: int, window_s: float) -> dict[str, float]:
    """Context of row ``i``; with the rows' start times sorted, only the window is scanned."""
    t0, bw, dur, _ = rows[i]
    if sorted_starts is not None:
        lo = bisect.bisect_left(sorted_starts, t0 - window_s)
        hi = bisect.bisect_right(sorted_starts, t0 + window_s)
    else:
        lo, hi = 0, len(rows)
    sim_t, sim_f = [], []
    prev = None
    for j in range(lo, hi):
        t, bw_j, dur_j, f_j = rows[j]
        if abs(t - t0) > window_s:
            continue
        if not (1 / 1.5 <= bw_j / bw <= 1.5 and 1 / 3 <= dur_j / dur <= 3):
            continue
        sim_t.append(t)
        sim_f.append(f_j)
        if j != i and t < t0 and (prev is None or t > prev):
            prev = t
    sim_f.sort()
    chans = sim_f[:1]
    for f in sim_f[1:]:
        if f - chans[-1] > 0.5 * bw:
            chans.append(f)
    gaps = np.diff(chans)
    span = (max(sim_t) - min(sim_t)) if len(sim_t) > 1 else 0.0
    sim_t.sort()
    intervals = [b - a for a, b in pairwise(sim_t)]
    mean_interval = sum(intervals) / len(intervals) if len(intervals) >= 2 else 0.0
    # Python floats: a window holds tens of bursts, where numpy's per-call cost would dominate.
    cv = (sum((d - mean_interval) ** 2 for d in intervals) / len(intervals)) ** 0.5 / mean_interval if mean_interval > 0 else 0.0
    return {
        "prev_interval_s": float(t0 - prev) if prev is not None else 0.0,
        "has_prev": 1.0 if prev is not None else 0.0,
        "n_similar": float(len(sim_t)),
        "n_channels": float(len(chans)),
        "hop_spacing_hz": median(gaps) if len(gaps) else 0.0,
        "burst_rate_hz": float((len(sim_t) - 1) / span) if span > 0 else 0.0,
        "interval_cv": float(cv),
    }


class CausalContext:
    """Sequence features of each burst from the bursts before it (within ``window_s``)."""

    def __init__(self, window_s: float = CONTEXT_WINDOW_S) -> None:
        self.window_s = window_s
        self._history: deque[ContextRow] = deque()  # what the context reads of each recent detection

    def annotate(self, burst: DetectedBurst) -> DetectedBurst:
        """Set ``burst.context`` from the recent history, then remember the burst's detection."""
        row = context_row(burst.detection)
        while self._history and row[0] - self._history[0][0] > self.window_s:
            self._history.popleft()
        rows = [*self._history, row]
        burst.context = context_of_rows(rows, len(rows) - 1, self.window_s)
        self._history.append(row)
        return burst

    def reset(self) -> None:
        """Forget the history (new stream, new tuning)."""
        self._history.clear()
