"""Measurements of a signal in physical units, shared by tests, features and benchmarks.

Pure functions over complex baseband: occupied bandwidth from the PSD,
on/off burst spans from the envelope, instantaneous frequency, in-band SNR.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import welch


def psd(x: np.ndarray, fs_hz: float, nfft: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of complex ``x``: (frequencies in Hz from −fs/2, power density per Hz), sorted."""
    nperseg = min(nfft, len(x))
    f, p = welch(x, fs=fs_hz, nperseg=nperseg, return_onesided=False, scaling="density", detrend=False)
    order = np.argsort(f)
    return f[order], p[order]


def occupied_bandwidth_hz(
    x: np.ndarray, fs_hz: float, fraction: float = 0.99, nfft: int = 4096
) -> tuple[float, float, float]:
    """Bandwidth holding ``fraction`` of the power (ITU-R SM.328 style), and its edges.

    Returns ``(bandwidth_hz, f_lo_hz, f_hi_hz)`` relative to baseband 0 Hz; the
    power outside is split equally between the two sides.
    """
    f, p = psd(x, fs_hz, nfft)
    c = np.cumsum(p)
    c /= c[-1]
    tail = (1.0 - fraction) / 2
    lo = f[np.searchsorted(c, tail)]
    hi = f[min(np.searchsorted(c, 1.0 - tail), len(f) - 1)]
    return float(hi - lo), float(lo), float(hi)


def burst_spans(
    x: np.ndarray, fs_hz: float, threshold_db: float = 6.0, smooth_s: float = 20e-6, min_gap_s: float = 0.0
) -> list[tuple[float, float]]:
    """(start_s, end_s) of the spans where the smoothed envelope power exceeds the noise by ``threshold_db``.

    The noise level is the 10th percentile of the smoothed power, so this
    suits signals that are off part of the time. Gaps shorter than
    ``min_gap_s`` are bridged.
    """
    power = np.abs(x) ** 2
    n = max(1, round(smooth_s * fs_hz))
    if n > 1:
        power = np.convolve(power, np.ones(n) / n, mode="same")
    floor = max(float(np.percentile(power, 10)), 1e-30)
    on = power > floor * 10 ** (threshold_db / 10)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    spans = [(s / fs_hz, e / fs_hz) for s, e in zip(edges[::2], edges[1::2])]
    if min_gap_s > 0 and spans:
        merged = [spans[0]]
        for s, e in spans[1:]:
            if s - merged[-1][1] < min_gap_s:
                merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        spans = merged
    return spans


def instantaneous_frequency_hz(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """Frequency of each sample step in Hz: ``angle(x[n]·conj(x[n-1]))·fs/2π`` (length ``len(x)-1``)."""
    return np.angle(x[1:] * np.conj(x[:-1])) * (fs_hz / (2 * np.pi))


def band_power(x: np.ndarray, fs_hz: float, f_lo_hz: float, f_hi_hz: float, nfft: int = 4096) -> float:
    """Power of ``x`` inside ``[f_lo_hz, f_hi_hz]`` (baseband Hz), from the Welch PSD."""
    f, p = psd(x, fs_hz, nfft)
    df = f[1] - f[0]
    mask = (f >= f_lo_hz) & (f <= f_hi_hz)
    return float(np.sum(p[mask]) * df)
