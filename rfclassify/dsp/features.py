"""Per-burst features in physical units: pure functions over one burst's baseband IQ, and over detections.

The IQ features of one burst (``iq``: complex64, the burst centred at 0 Hz,
at ``fs_hz``) are those of :mod:`rfclassify.dsp.features_rows`, the one
implementation, on a batch of one: each function here returns a dict of
plain floats, with units in the names. The physics, the sources and each
feature's meaning are documented there. The context features (which
detections resemble one another, how they hop) are computed here.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from rfclassify.dsp import features_rows as R
from rfclassify.dsp.features_rows import CP_CANDIDATES_S, _rank_pair


def _median(x: np.ndarray) -> float:
    """``np.median(x)`` of a non-empty 1-D float array by the same partition and mean (bit-identical), minus its wrappers."""
    n = len(x)
    h = n // 2
    if n % 2:
        part = x.copy(order="K")  # what np.partition does, minus its wrapper
        part.partition((h, -1))
        mid = part[h : h + 1]
    else:
        part = x.copy(order="K")
        part.partition((h - 1, h, -1))
        mid = part[h - 1 : h + 1]
    if np.isnan(part[-1]):
        return float("nan")
    return float(np.add.reduce(mid) / len(mid))


def _percentile(x: np.ndarray, q: float) -> float:
    """``np.percentile(x, q)`` (linear interpolation) by partial sort, without numpy's generic machinery."""
    pos, lo, hi = _rank_pair(len(x), q)
    part = x.copy(order="K")  # what np.partition does, minus its wrapper
    part.partition(lo)  # one selection (two cost twice as much); the next order statistic is the least value above
    v_lo = part[lo]
    v_hi = np.minimum.reduce(part[lo + 1 :]) if hi > lo else v_lo
    return float(v_lo + (v_hi - v_lo) * (pos - lo))


def _row(iq: np.ndarray) -> np.ndarray:
    """One burst as a batch of one: ``(1, n)`` complex64."""
    return np.asarray(iq, dtype=np.complex64).reshape(1, -1)


def _one(rows: R.Rows) -> dict[str, float]:
    """The features of a batch of one as plain floats."""
    return {name: float(v[0]) for name, v in rows.items()}


def _active_mask(iq: np.ndarray, active: np.ndarray | None) -> np.ndarray:
    """The ``(1, n − 1)`` :func:`~rfclassify.dsp.features_rows.active_mask` of one burst, from its :func:`active_indices` if given."""
    if active is None:
        return R.active_mask(_row(iq))
    mask = np.zeros((1, max(len(iq) - 1, 0)), dtype=bool)
    mask[0, active] = True
    return mask


def phase_steps(iq: np.ndarray) -> np.ndarray:
    """:func:`rfclassify.dsp.features_rows.phase_steps` of one burst: ``len(iq) − 1`` radians (float32)."""
    return R.phase_steps(_row(iq))[0]


def active_indices(iq: np.ndarray, frac: float = 0.25) -> np.ndarray:
    """Indices (into the IF sequence) where the burst is on: :func:`rfclassify.dsp.features_rows.active_mask` of one burst."""
    return np.flatnonzero(R.active_mask(_row(iq), frac)[0])


def spectral_features(iq: np.ndarray, fs_hz: float, bandwidth_hz: float, nfft: int = 128) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.spectral_features` of one burst."""
    return _one(R.spectral_features(_row(iq), fs_hz, np.array([bandwidth_hz], dtype=np.float64), nfft))


def envelope_features(iq: np.ndarray) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.envelope_features` of one burst."""
    return _one(R.envelope_features(_row(iq)))


def fsk_features(
    iq: np.ndarray, fs_hz: float, active: np.ndarray | None = None, steps: np.ndarray | None = None
) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.fsk_features` of one burst.

    ``active``: its :func:`active_indices`, and ``steps`` its :func:`phase_steps`
    (of ``iq`` or of a longer signal ``iq`` begins), if already known.
    """
    x = _row(iq)
    st = R.phase_steps(x) if steps is None else steps[None, : max(len(iq) - 1, 0)]
    return _one(R.fsk_features(x, fs_hz, _active_mask(iq, active), st))


def chirp_features(
    iq: np.ndarray, fs_hz: float, bandwidth_hz: float, max_windows: int = 4, active: np.ndarray | None = None
) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.chirp_features` of one burst (``active``: its :func:`active_indices`, if known)."""
    bw = np.array([bandwidth_hz], dtype=np.float64)
    return _one(R.chirp_features(_row(iq), fs_hz, bw, _active_mask(iq, active), max_windows))


def cp_features(iq: np.ndarray, fs_hz: float, candidates_s: Sequence[float] = CP_CANDIDATES_S) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.cp_features` of one burst."""
    return _one(R.cp_features(_row(iq), fs_hz, candidates_s))


def periodicity_features(
    iq: np.ndarray, fs_hz: float, lo_hz: float = 2e3, hi_hz: float = 60e3, steps: np.ndarray | None = None
) -> dict[str, float]:
    """:func:`rfclassify.dsp.features_rows.periodicity_features` of one burst.

    ``steps``: its :func:`phase_steps` (of ``iq`` or of a longer signal ``iq`` begins), if already known.
    """
    x = _row(iq)
    st = R.phase_steps(x) if steps is None else steps[None]
    return _one(R.periodicity_features(x, fs_hz, st, lo_hz, hi_hz))


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
    channels, 0 if one channel) and ``burst_rate_hz`` (similar bursts per
    second in the window). Items are :class:`~rfclassify.dsp.detect.Detection`
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
    return {
        "prev_interval_s": float(t0 - prev) if prev is not None else 0.0,
        "has_prev": 1.0 if prev is not None else 0.0,
        "n_similar": float(len(sim_t)),
        "n_channels": float(len(chans)),
        "hop_spacing_hz": _median(gaps) if len(gaps) else 0.0,
        "burst_rate_hz": float((len(sim_t) - 1) / span) if span > 0 else 0.0,
    }
