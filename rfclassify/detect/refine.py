"""Refinement of one emission's box: frequency edges, time edges, runs of activity, SNR.

Each component's box is refined from its own cells: the frequency edges
from the time-averaged excess power profile (:func:`band_edges`), the time
edges from the in-band excess power per frame, split into separate bursts
where the emission is quiet for long enough (:func:`quiet_frames`), and the
SNR as in-band signal power over in-band noise power (the synthesizer's
definition). Pure functions of ``(frames, bins)`` power and floor arrays.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def refine(
    power: np.ndarray,
    floor: np.ndarray,
    edge_rel_db: float = -25.0,
    edge_fraction: float = 0.5,
) -> tuple[slice, slice, float, float] | None:
    """Refined (rows, bins, snr_db, peak_db) of one emission in a box of power and floor cells (no time split).

    See :func:`refine_runs`, of which this is the single-run case.
    """
    runs = refine_runs(power, floor, edge_rel_db, edge_fraction, split_frames=0)
    return runs[0] if runs else None


def band_edges(excess: np.ndarray, edge_rel_db: float = -25.0, edge_fraction: float = 0.5) -> slice | None:
    """The bins of the emission in a box of excess ratios (``power / floor − 1``, frames × bins), from its time average.

    The outermost bins whose 3-bin-smoothed, time-averaged excess ratio
    exceeds both the noise of that average (3σ) and ``edge_rel_db`` below
    its peak (gaps of up to 4 bins bridged: the DC notch), narrowed to where
    the excess is at least ``edge_fraction`` of the in-band level (the 90th
    percentile of the run): the Hann window spreads a sharp spectral edge
    symmetrically about that point. ``None`` if nothing stands out.
    """
    nt, nb = excess.shape
    prof = excess.mean(axis=0)
    if nb >= 3:
        prof_s = ndimage.uniform_filter1d(prof, 3, mode="nearest")
    else:
        prof_s = prof
    sigma_f = 1.0 / np.sqrt(nt * min(3, nb) * 2.0 / 3.0)
    peak = float(prof_s.max())
    if peak <= 3 * sigma_f:
        return None
    on_f = (prof_s > 3 * sigma_f) & (prof_s > peak * 10 ** (edge_rel_db / 10))
    cols = np.flatnonzero(on_f)
    ipk = int(np.argmax(prof_s))
    breaks = np.flatnonzero(np.diff(cols) > 5)
    starts = np.concatenate(([0], breaks + 1))
    stops = np.concatenate((breaks, [len(cols) - 1]))
    run = min(int(np.searchsorted(cols[stops], ipk)), len(starts) - 1)
    r0, r1 = int(cols[starts[run]]), int(cols[stops[run]])
    seg = prof_s[r0 : r1 + 1]
    level = float(np.percentile(seg, 90))
    ok = np.flatnonzero(seg >= edge_fraction * level)
    if len(ok) == 0:
        return None
    return slice(r0 + int(ok[0]), r0 + int(ok[-1]) + 1)


def refine_runs(
    power: np.ndarray,
    floor: np.ndarray,
    edge_rel_db: float = -25.0,
    edge_fraction: float = 0.5,
    split_frames: int = 0,
) -> list[tuple[slice, slice, float, float]] | None:
    """Refined (rows, bins, snr_db, peak_db) of the emissions inside a box of power and floor cells.

    ``power``/``floor``: ``(frames, bins)`` of the component's bounding box
    (with some margin). The frequency edges are those of :func:`band_edges`
    over the whole box; the time edges are the first and last frames whose
    in-band excess exceeds 3σ of its noise and a tenth of the strongest
    frame. Runs of such frames separated by more than ``split_frames`` quiet
    frames are separate emissions (one per run, in time order; the box-mean
    scales smear a strong burst in time by half their length, so without
    this, bursts a few ms apart would merge), and each run gets its own
    frequency edges from its own frames: a hopper's consecutive packets on
    two channels share one box, not one band. Returns ``None`` if nothing
    stands out.
    """
    nt = power.shape[0]
    ratio = power / floor
    excess = ratio - np.float32(1.0)
    band = band_edges(excess, edge_rel_db, edge_fraction)
    if band is None:
        return None
    e = excess[:, band].mean(axis=1)
    nband = band.stop - band.start
    sigma_t = 1.0 / np.sqrt(max(1.0, nband * 2.0 / 3.0))
    e_s = ndimage.uniform_filter1d(e, 3, mode="nearest") if nt >= 3 else e
    emax = float(e_s.max())
    on_t = (e_s > max(3 * sigma_t / np.sqrt(3.0), 0.1 * emax)) | (e > max(3 * sigma_t, 0.1 * emax))
    quiet = None
    if split_frames > 0 and on_t.any():
        quiet = quiet_frames(e, on_t, max(1.0, nband * 2.0 / 3.0), split_frames, float(np.median(e_s[on_t])))
    runs = on_runs(on_t, split_frames, quiet)
    if not runs:
        return None
    out = []
    for t0, t1 in runs:
        rows = slice(t0, t1 + 1)
        own = band_edges(excess[rows], edge_rel_db, edge_fraction) if len(runs) > 1 else None
        bins = own if own is not None else band
        p = power[rows, bins]
        f = floor[rows, bins]
        sig = float(np.sum(p - f, dtype=np.float64))
        noise = float(np.sum(f, dtype=np.float64))
        snr_db = 10 * np.log10(max(sig, 1e-12 * noise) / noise)
        peak_db = 10 * np.log10(float(np.max(ratio[rows, bins])))
        out.append((rows, bins, float(snr_db), float(peak_db)))
    return out


#: Share of noise-only windows that pass the quiet test (one-sided normal quantile z).
_QUIET_NOISE_Z = 1.0  # 84 %
#: A continuing emission may pass the quiet test with at most this probability (z of 1e-4).
_QUIET_SIGNAL_Z = 3.719


def quiet_frames(
    excess: np.ndarray, on: np.ndarray, n_eff: float, split_frames: int, on_level: float | None = None
) -> np.ndarray:
    """Frames inside a window of frames whose *mean* in-band excess is that of noise, not of the emission.

    ``excess``: per-frame in-band excess ratio (``P / floor - 1`` averaged over
    the band, ``n_eff`` independent cells per frame); ``on``: the active
    frames. Windows of ``split_frames + 1`` frames (the gap and one frame of
    the window's spectral leakage) and each doubling of that are tested: a
    window is quiet if its mean is under the 84th percentile of a noise-only mean and under a tenth of ``on_level`` (the typical level of
    the active frames: strong emissions whose power leaves the band for a
    moment, a chirp partly outside the receiver window, are not cut), and a
    window length is used only if a continuation of
    the emission (noise-like, at the mean excess ``level`` of the span between
    the first and last active frames: ``(1 + level)`` times a Gamma mean)
    would pass that test with probability under 1e-4. A strong emission is
    thus split at gaps of a few frames, a weak one only at gaps long enough to
    be quiet *on average*, so noise dips inside a weak continuous signal (a 0 dB
    LoRa packet) do not cut it. Gamma quantiles use the Wilson–Hilferty cube
    approximation (no special functions per call). Returns bool like ``excess``.
    """
    nt = len(excess)
    quiet = np.zeros(nt, dtype=bool)
    idx = np.flatnonzero(on)
    if len(idx) < 2:
        return quiet
    first, last = int(idx[0]), int(idx[-1])
    level = max(float(np.mean(excess[first : last + 1], dtype=np.float64)), 0.0)
    csum = np.concatenate(([0.0], np.cumsum(excess[first : last + 1], dtype=np.float64)))
    cover = np.zeros(last - first + 2, dtype=np.int32)
    width = max(1, split_frames + 1)
    cap = np.inf if on_level is None else 0.1 * on_level
    while width <= last - first - 1:
        n = n_eff * width
        v = 1.0 / (9.0 * n)
        tau = min((1.0 - v + _QUIET_NOISE_Z * np.sqrt(v)) ** 3 - 1.0, cap)
        if ((1.0 + tau) / (1.0 + level)) ** (1.0 / 3.0) <= 1.0 - v - _QUIET_SIGNAL_Z * np.sqrt(v):
            means = (csum[width:] - csum[:-width]) / width
            hits = np.flatnonzero(means < tau)
            if len(hits):
                np.add.at(cover, hits, 1)
                np.add.at(cover, hits + width, -1)
        width *= 2
    quiet[first : last + 1] = np.cumsum(cover)[:-1] > 0
    return quiet


def on_runs(on: np.ndarray, split_frames: int, quiet: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(first, last) of the active frames ``on``, split where more than ``split_frames`` frames in a row are ``quiet``.

    Splitting on a separate, stricter ``quiet`` test (not merely "not on")
    keeps a weak continuous signal that dips under the per-frame test in one
    piece. ``split_frames <= 0`` or no ``quiet`` keeps one run from the first
    to the last active frame.
    """
    idx = np.flatnonzero(on)
    if len(idx) == 0:
        return []
    first, last = int(idx[0]), int(idx[-1])
    if split_frames <= 0 or quiet is None:
        return [(first, last)]
    q = np.zeros(len(on) + 2, dtype=np.int8)
    q[first + 1 : last + 2] = quiet[first : last + 1]
    edges = np.flatnonzero(np.diff(q))
    out: list[tuple[int, int]] = []
    start = first
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a > split_frames:
            piece = idx[(idx >= start) & (idx < a)]
            if len(piece):
                out.append((int(piece[0]), int(piece[-1])))
            start = int(b)
    piece = idx[idx >= start]
    if len(piece):
        out.append((int(piece[0]), int(piece[-1])))
    return out


