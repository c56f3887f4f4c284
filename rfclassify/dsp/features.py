"""Per-burst features in physical units: pure functions over baseband IQ and detections.

Every function takes complex64 baseband ``iq`` (the burst centred at 0 Hz)
at ``fs_hz`` and returns plain floats with units in their names, so a model
trained at one sample rate applies at another. Sources of the physics:

- Occupied bandwidth: ITU-R SM.328 (99 % power); spectral flatness
  (geometric over arithmetic mean) and spectral kurtosis (Antoni, "The
  spectral kurtosis: a useful tool for characterising non-stationary
  signals", MSSP 2006: −1 for a constant-envelope tone, 0 for Gaussian
  noise or OFDM).
- FSK deviation: instantaneous frequency ``angle(x[n]·conj(x[n−1]))·fs/2π``
  (PySDR, "Frequency Shift Keying") split into two clusters (1-D k-means).
- LoRa chirps: Semtech AN1200.22 — a symbol sweeps BW in 2^SF/BW s, so the
  slope is BW²/2^SF Hz/s and multiplying by a conjugate reference chirp
  ("de-chirping") concentrates a symbol into one FFT bin.
- OFDM cyclic prefix: the CP repeats the last samples of each symbol, so
  ``x[n]·conj(x[n+N])`` correlates at the useful-symbol length N (van de
  Beek, Sandell, Börjesson, "ML estimation of time and frequency offset in
  OFDM systems", IEEE Trans. SP 1997). Candidates: 3.2 µs (IEEE 802.11a/g/n
  20 MHz, 64-point FFT at 20 MS/s, §17.3.2 of IEEE 802.11-2016), 66.7 µs
  (15 kHz subcarriers as in LTE, 3GPP TS 36.211 §6.12, used by DJI OcuSync
  per RUB-SysSec/DroneSecurity), and their doublings.
- Video line rate: 15.625 kHz (625-line PAL, ITU-R BT.470) and 15.734 kHz
  (525-line NTSC) periodicity of the envelope / instantaneous frequency.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import scipy.fft as _sfft

from rfclassify.dsp.spectrogram import power_spectrogram

#: Candidate OFDM useful-symbol lengths in seconds (see module docstring).
CP_CANDIDATES_S: tuple[float, ...] = (3.2e-6, 6.4e-6, 12.8e-6, 1 / 15e3, 2 / 15e3)
#: Standard LoRa bandwidths in Hz (SX127x and SX128x datasheets).
LORA_BWS_HZ: tuple[float, ...] = (62.5e3, 125e3, 250e3, 500e3, 812.5e3, 1625e3)
LINE_RATES_HZ: tuple[float, ...] = (15625.0, 15734.0)
#: ``chirp_sf_est`` range in which the de-chirp search runs (SF5–SF12 with a margin for noisy slopes).
CHIRP_SF_GATE: tuple[float, float] = (3.0, 14.0)


_ZERO = np.zeros(1)


def _moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of every ``n`` consecutive samples (float64, by differences of a running sum); ``x`` if shorter."""
    if n <= 1 or len(x) < n:
        return x
    c = np.concatenate((_ZERO, x)).cumsum()
    return (c[n:] - c[:-n]) / n


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    """``(x.mean(), x.var())`` of a non-empty 1-D float64 array.

    The same operations as numpy's ``mean``/``var`` (pairwise sum over n,
    then the squared deviations' sum over n), so bit-identical, without the
    wrappers' overhead, which dominates on the short arrays of one burst.
    """
    n = len(x)
    m = np.add.reduce(x) / n
    d = x - m
    np.square(d, out=d)
    return float(m), float(np.add.reduce(d) / n)


def _mean(x: np.ndarray) -> np.floating:
    """``x.mean()`` of a non-empty 1-D float array, as numpy computes it (a numpy scalar of x's type), minus the wrapper."""
    return x.dtype.type(np.add.reduce(x) / np.intp(len(x)))


def _mean_axis(a: np.ndarray, axis: int) -> np.ndarray:
    """``a.mean(axis=axis)`` of a 2-D float array, as numpy computes it (sum, then divide in place), minus the wrapper."""
    total = np.add.reduce(a, axis=axis)
    return np.true_divide(total, np.intp(a.shape[axis]), out=total, casting="unsafe")


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


def phase_steps(iq: np.ndarray) -> np.ndarray:
    """Phase step per sample, ``angle(x[n]·conj(x[n−1]))`` (radians, ``len(iq) − 1`` values, float32 for complex64).

    The instantaneous frequency times 2π/fs. :func:`fsk_features` and
    :func:`periodicity_features` both need it: compute it once over the
    longer of their inputs (a prefix of it is the steps of a prefix).

    A step of exactly ±π (a product that is a negative real: common in 8-bit
    recordings) is +π: ``angle`` would take its sign from the sign of a zero
    imaginary part, which depends on how the product was vectorised.
    """
    steps = np.angle(iq[1:] * np.conj(iq[:-1]))
    pi = steps.dtype.type(np.pi)
    steps[steps == -pi] = pi
    return steps


@lru_cache(maxsize=256)
def _spectral_nfft(n: int, nfft: int) -> int:
    """FFT length of :func:`spectral_features` for ``n`` samples: ``nfft``, or half the largest power of 2 ≤ n if smaller (≥ 16)."""
    return int(min(nfft, max(16, 2 ** int(np.log2(max(n, 16))) // 2)))


@lru_cache(maxsize=64)
def _bin_freqs(nfft: int, fs_hz: float) -> np.ndarray:
    """Centre frequencies (Hz) of the FFT-shifted bins of an ``nfft``-point spectrum at ``fs_hz`` (cached)."""
    return (np.arange(nfft) - nfft // 2) * (fs_hz / nfft)


def spectral_features(iq: np.ndarray, fs_hz: float, bandwidth_hz: float, nfft: int = 128) -> dict[str, float]:
    """Bandwidths (−10 dB, occupied 99 %), flatness, kurtosis and crest of the burst's spectrum.

    ``bandwidth_hz`` (the detection's) limits the band over which flatness and
    kurtosis are taken. Returns ``bw_10db_hz``, ``bw_occ99_hz``,
    ``spectral_flatness`` (0–1), ``spectral_kurtosis``, ``spectral_crest_db``.
    """
    nfft = _spectral_nfft(len(iq), nfft)
    frames = power_spectrogram(iq, nfft, nfft // 2)
    if len(frames) == 0:
        frames = power_spectrogram(np.pad(iq, (0, nfft - len(iq))), nfft)
    nf = len(frames)
    psd = _mean_axis(frames, 0).astype(np.float64) + 1e-30
    df = fs_hz / nfft
    f = _bin_freqs(nfft, fs_hz)
    peak = psd.max()
    above = np.flatnonzero(psd >= peak * 0.1)
    bw10 = (above[-1] - above[0] + 1) * df
    c = psd.cumsum() / np.add.reduce(psd)
    lo, hi = c.searchsorted(_OCC_EDGES)
    occ = (min(hi, nfft - 1) - lo + 1) * df
    # |f| <= half the bandwidth (at least one bin): a run of bins about 0 Hz, as a slice.
    half = max(bandwidth_hz / 2, df)
    b0, b1 = int(f.searchsorted(-half, side="left")), int(f.searchsorted(half, side="right"))
    p = psd[b0:b1]
    npb = b1 - b0
    p_mean = np.add.reduce(p) / npb
    flat = float(np.exp(np.add.reduce(np.log(p)) / npb) / p_mean)
    crest_db = float(10 * np.log10(p.max() / p_mean))
    sk = 0.0
    if nf > 1:
        # Column-major, as numpy lays out frames[:, mask]: the sums over frames then run along
        # contiguous memory (pairwise summation), which fixes their rounding.
        cells = frames[:, b0:b1].astype(np.float64, order="F")
        m2 = np.add.reduce(cells, axis=0) / nf + 1e-30
        np.square(cells, out=cells)
        m4 = np.add.reduce(cells, axis=0) / nf
        k = m4 / (m2 * m2) - 2.0
        sk = float(np.add.reduce(k) / len(k))
    return {
        "bw_10db_hz": float(bw10),
        "bw_occ99_hz": float(occ),
        "spectral_flatness": flat,
        "spectral_kurtosis": sk,
        "spectral_crest_db": crest_db,
    }


_OCC_EDGES = np.array([0.005, 0.995])


def envelope_features(iq: np.ndarray) -> dict[str, float]:
    """``papr_db`` (peak over mean power) and ``envelope_cv`` (std over mean of |x|): OOK vs constant envelope."""
    a2 = iq.real.astype(np.float64)
    np.square(a2, out=a2)
    im2 = iq.imag.astype(np.float64)
    np.square(im2, out=im2)
    a2 += im2
    n = len(a2)
    mean_p = float(np.add.reduce(a2) / n) + 1e-30
    papr_db = float(10 * np.log10(a2.max() / mean_p + 1e-30))
    a = np.sqrt(a2, out=im2)
    a_mean, a_var = _mean_var(a)
    return {
        "papr_db": papr_db,
        "envelope_cv": float(math.sqrt(a_var) / (a_mean + 1e-30)),
    }


def _rank_pair(n: int, q: float) -> tuple[float, int, int]:
    """``(pos, lo, hi)``: the fractional rank of percentile ``q`` among ``n`` sorted values and its two neighbours."""
    pos = q / 100.0 * (n - 1)
    lo = int(pos)
    return pos, lo, min(lo + 1, n - 1)


def _sorted_percentile(v: np.ndarray, q: float) -> float:
    """``np.percentile(v, q)`` (linear interpolation) of an array whose ranks ``lo`` and ``hi`` (:func:`_rank_pair`) hold
    what sorting would put there: a sorted array, or one partitioned at those two ranks."""
    pos, lo, hi = _rank_pair(len(v), q)
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


def _percentile(x: np.ndarray, q: float) -> float:
    """``np.percentile(x, q)`` (linear interpolation) by partial sort, without numpy's generic machinery."""
    pos, lo, hi = _rank_pair(len(x), q)
    part = x.copy(order="K")  # what np.partition does, minus its wrapper
    part.partition(lo)  # one selection (two cost twice as much); the next order statistic is the least value above
    v_lo = part[lo]
    v_hi = np.minimum.reduce(part[lo + 1 :]) if hi > lo else v_lo
    return float(v_lo + (v_hi - v_lo) * (pos - lo))


def _row_percentiles(a: np.ndarray, q: float) -> list[float]:
    """:func:`_percentile` of each row of 2-D ``a`` (one partition for all rows)."""
    _, lo, hi = _rank_pair(a.shape[1], q)
    part = a.copy()
    part.partition((lo, hi), axis=1)
    return [_sorted_percentile(p, q) for p in part]


def _sorted(v: np.ndarray) -> np.ndarray:
    """``np.sort(v)`` of a 1-D float64 array holding no −0.0, faster for thousands of values.

    Values are bucketed first (a radix sort of 16-bit keys), then sorted
    (stably, merging the nearly sorted runs). A sort's output is unique for
    values without NaN and without both signed zeros, so this is bit for bit
    ``np.sort(v)``; any NaN or infinity goes to ``np.sort``.
    """
    if len(v) < 256:
        return np.sort(v)
    lo, hi = v.min(), v.max()
    span = hi - lo
    if not (np.isfinite(span) and span > 0):
        return np.sort(v)
    key = (v - lo) * (65535.0 / span)
    out = v[key.astype(np.uint16).argsort(kind="stable")]
    out.sort(kind="stable")
    return out


def active_indices(iq: np.ndarray, frac: float = 0.25) -> np.ndarray:
    """Indices (into the IF sequence) where the smoothed envelope is above ``frac`` of its 95th percentile.

    The on-time of a burst: :func:`fsk_features` and :func:`chirp_features`
    measure only there (noise margins would bias them); pass the result to
    both rather than computing it twice.
    """
    a2 = iq.real * iq.real + iq.imag * iq.imag
    n = len(a2)
    if n < 8:
        thr = frac * _percentile(a2, 95) if n else 0.0
        idx = np.flatnonzero(a2 > thr)
    else:
        # Sums of 8 rather than means: /8 is exact, so sums against the sums' threshold decide alike.
        c = np.empty(n + 1)
        c[0] = 0.0
        a2.cumsum(dtype=np.float64, out=c[1:])
        s8 = c[8:] - c[:-8]
        idx = np.flatnonzero(s8 > frac * _percentile(s8, 95))
    return idx[idx < len(iq) - 1]


def fsk_features(
    iq: np.ndarray, fs_hz: float, active: np.ndarray | None = None, steps: np.ndarray | None = None
) -> dict[str, float]:
    """Instantaneous-frequency statistics where the burst is on.

    ``if_std_hz``: spread of the IF; ``fsk_deviation_hz``: half the distance
    between the two cluster centres of a 2-means fit of the IF;
    ``fsk_separation``: that distance over the pooled within-cluster std
    (large for 2-FSK, small for noise or a tone). ``active``: the burst's
    :func:`active_indices`, and ``steps`` its :func:`phase_steps` (of ``iq``
    or of a longer signal ``iq`` begins), if already known.
    """
    if len(iq) < 8:
        return {"if_std_hz": 0.0, "fsk_deviation_hz": 0.0, "fsk_separation": 0.0}
    steps = phase_steps(iq) if steps is None else steps[: len(iq) - 1]
    idx = active_indices(iq) if active is None else active
    v = steps[idx] if len(idx) > 8 else steps
    v = v.astype(np.float64)
    v *= fs_hz / (2 * np.pi)  # Hz
    # Differences of a running sum that starts at +0 are never −0.0, as _sorted requires.
    v = _sorted(_moving_mean(v, 2))
    n = len(v)
    # 1-D 2-means on the sorted values: a split point is a search, a cluster mean a difference of prefix sums.
    csum = np.concatenate((_ZERO, v)).cumsum()
    lo, hi = _sorted_percentile(v, 20), _sorted_percentile(v, 80)
    for _ in range(8):
        k = int(v.searchsorted(0.5 * (lo + hi), side="right"))  # v[:k] <= mid < v[k:]
        if k == 0 or k == n:
            break
        lo, hi = csum[k] / k, (csum[n] - csum[k]) / (n - k)
    k = int(v.searchsorted(0.5 * (lo + hi), side="right"))
    within = np.sqrt(((_mean_var(v[:k])[1] * k if k else 0.0) + (_mean_var(v[k:])[1] * (n - k) if k < n else 0.0)) / max(n, 1)) + 1e-9
    return {
        "if_std_hz": math.sqrt(_mean_var(v)[1]),
        "fsk_deviation_hz": float(0.5 * (hi - lo)),
        "fsk_separation": float((hi - lo) / within),
    }


@lru_cache(maxsize=64)
def _chirp(n: int, fs_hz: float, bw_hz: float, t_sym_s: float) -> np.ndarray:
    """One up-chirp sweeping ``bw_hz`` in ``t_sym_s`` (cached: the same few are used for every burst)."""
    t = np.arange(n) / fs_hz
    slope = bw_hz / t_sym_s
    f = -bw_hz / 2 + slope * t
    return np.exp(2j * np.pi * np.cumsum(f) / fs_hz).astype(np.complex64)


def chirp_features(
    iq: np.ndarray, fs_hz: float, bandwidth_hz: float, max_windows: int = 4, active: np.ndarray | None = None
) -> dict[str, float]:
    """LoRa-style linear chirp: IF slope and de-chirp concentration.

    ``chirp_slope_hz_per_s``: |slope| from the mean phase step of the
    lag product ``x[n+L]·conj(x[n])`` (a tone at slope·L/fs for a linear
    chirp; the wraps of LoRa symbols affect only L samples each); ``chirp_sf_est``:
    log2(BW²/slope) with BW the standard LoRa bandwidth nearest
    ``bandwidth_hz``; ``dechirp_sf``: the SF (5–12, within ±1 of the rounded
    ``chirp_sf_est``: the slope already says which symbol lengths can fit) whose
    conjugate up-chirp concentrates one symbol best, and ``dechirp_gain_db``
    that concentration (peak FFT bin power over mean bin power, in dB; about
    10·log10(ln N) for noise, near 10·log10(N) for a clean chirp). The de-chirp
    search runs only when ``chirp_sf_est`` is within :data:`CHIRP_SF_GATE`;
    otherwise both are 0. ``active``: the burst's :func:`active_indices`, if
    already known.
    """
    out = {"chirp_slope_hz_per_s": 0.0, "chirp_sf_est": 0.0, "dechirp_sf": 0.0, "dechirp_gain_db": 0.0}
    if len(iq) < 32:
        return out
    bw = _nearest_lora_bw(bandwidth_hz)
    on = active_indices(iq) if active is None else active
    if len(on) > 32:  # only where the burst is on: noise margins would pull the median
        iq = iq[on[0] : on[-1] + 1]
    # A chirp of slope μ makes z[n] = x[n+L]·conj(x[n]) a tone at μ·L/fs: its mean phase step gives μ
    # without unwrapping the instantaneous frequency (robust to noise and to the symbol wraps).
    lag = max(1, round(4 * fs_hz / bw))
    if len(iq) <= lag + 2:
        return out
    # Sum z over blocks of `lag` samples (noise), then take the median phase step between
    # blocks: blocks that straddle a symbol's wrap are outliers the median ignores.
    nblk = (len(iq) - lag) // lag
    if nblk < 3:
        return out
    m = nblk * lag
    z = (iq[lag : lag + m] * np.conj(iq[:m])).astype(np.complex128)
    zb = _row_sums(z.reshape(nblk, lag))
    steps = np.angle(zb[1:] * np.conj(zb[:-1]))
    f_z = _median(steps) / lag * fs_hz / (2 * np.pi)
    slope = float(abs(f_z) * fs_hz / lag)
    out["chirp_slope_hz_per_s"] = slope
    if slope > 0:
        out["chirp_sf_est"] = float(np.log2(bw * bw / slope))
    if not CHIRP_SF_GATE[0] <= out["chirp_sf_est"] <= CHIRP_SF_GATE[1]:
        return out  # the IF slope is no LoRa chirp's: the de-chirp search cannot apply (cheap gate)
    best_sf, best_gain = 0, 0.0
    sf_mid = round(out["chirp_sf_est"])
    for sf in range(max(5, sf_mid - 1), min(12, sf_mid + 1) + 1):
        t_sym = 2**sf / bw
        n = round(t_sym * fs_hz)
        if n < 16 or n > len(iq):
            continue
        ref = _dechirp_ref(n, fs_hz, bw, t_sym)
        starts = _window_starts(len(iq) - n, min(max_windows, 1 + (len(iq) - n) // max(n, 1)))
        seg = np.empty((len(starts), n), dtype=np.result_type(iq.dtype, ref.dtype))
        for row, s0 in zip(seg, starts):
            np.multiply(iq[s0 : s0 + n], ref, out=row)
        spec = np.abs(_sfft.fft(seg, axis=1, overwrite_x=True))
        np.square(spec, out=spec)
        mean = _mean_axis(spec, 1)
        mean += 1e-30
        gain = float(np.maximum.reduce(np.maximum.reduce(spec, axis=1) / mean))
        gain_db = 10 * np.log10(gain)
        if gain_db > best_gain:
            best_sf, best_gain = sf, gain_db
    out["dechirp_sf"] = float(best_sf)
    out["dechirp_gain_db"] = float(best_gain)
    return out


@lru_cache(maxsize=1024)
def _nearest_lora_bw(bandwidth_hz: float) -> float:
    """The standard LoRa bandwidth nearest ``bandwidth_hz`` in log scale (cached: detections repeat bandwidths)."""
    return min(LORA_BWS_HZ, key=lambda b: abs(np.log(b / max(bandwidth_hz, 1.0))))


@lru_cache(maxsize=64)
def _dechirp_ref(n: int, fs_hz: float, bw_hz: float, t_sym_s: float) -> np.ndarray:
    """The conjugate of :func:`_chirp`: multiplying by it de-chirps (cached like it)."""
    return np.conj(_chirp(n, fs_hz, bw_hz, t_sym_s))


def _window_starts(span: int, num: int) -> list[int]:
    """``np.linspace(0, span, num).astype(int)`` for ``num`` ≥ 1, by the same float operations (bit-identical), as ints."""
    if num <= 1:
        return [0] * num
    step = span / (num - 1)
    return [int(i * step) for i in range(num - 1)] + [span]


def cp_features(iq: np.ndarray, fs_hz: float, candidates_s: Sequence[float] = CP_CANDIDATES_S) -> dict[str, float]:
    """Cyclic-prefix correlation: normalised |Σ x[n]·conj(x[n+N])| for each candidate useful-symbol length.

    Each value is the correlation at the lag minus the larger one a quarter
    symbol either side (so it measures a *peak* in lag): about CP/(symbol+CP)
    for a clean OFDM burst (0.2 for Wi-Fi, ~0.07 for LTE-like numerology) and
    near 0 for noise or single-carrier signals. Lags under 8 samples are 0. Returns ``cp_best_lag_s`` and ``cp_best_corr`` over all
    candidates, plus ``cp_corr_3u2`` (3.2 µs) and ``cp_corr_66u7`` (66.7 µs).
    """
    def corr(lag: int) -> float:
        a, b = iq[:-lag], iq[lag:]
        num = abs(np.vdot(b, a))  # |Σ a·conj(b)|
        den = np.sqrt(float(np.vdot(a, a).real) * float(np.vdot(b, b).real)) + 1e-30  # float64: num is float32
        return float(num / den)

    vals: dict[float, float] = {}
    for lag_s in candidates_s:
        lag = round(lag_s * fs_hz)
        step = max(2, lag // 4)
        if lag < 8 or lag + step >= len(iq) // 2:
            vals[lag_s] = 0.0
            continue
        # A CP is a peak in lag; a narrowband signal correlates at every short lag alike,
        # so subtract the larger of the neighbours a quarter symbol away.
        side = max(corr(lag - step), corr(lag + step))
        vals[lag_s] = max(0.0, corr(lag) - side)
    best = max(vals, key=lambda k: vals[k])
    return {
        "cp_best_lag_s": float(best) if vals[best] > 0 else 0.0,
        "cp_best_corr": vals[best],
        "cp_corr_3u2": vals.get(3.2e-6, 0.0),
        "cp_corr_66u7": vals.get(1 / 15e3, 0.0),
    }


@lru_cache(maxsize=32)
def _hann(n: int) -> np.ndarray:
    return np.hanning(n)


@lru_cache(maxsize=128)
def _periodicity_bins(m: int, rate_hz: float, lo_hz: float, hi_hz: float) -> tuple[np.ndarray, int, int, tuple[tuple[int, int], ...]]:
    """Bin frequencies of an ``m``-point real FFT at ``rate_hz``, the bins in ``[lo_hz, hi_hz]`` and near each line rate.

    The bins are runs of consecutive indices (the frequencies increase), so
    they are returned as ``start, stop`` pairs: ``(f, b0, b1, lines)``.
    """
    f = np.fft.rfftfreq(m, 1 / rate_hz)
    band = np.flatnonzero((f >= lo_hz) & (f <= hi_hz))
    res = rate_hz / m
    lines = []
    for lr in LINE_RATES_HZ:
        near = np.flatnonzero(np.abs(f - lr) <= max(0.01 * lr, res))
        lines.append((int(near[0]), int(near[-1]) + 1) if len(near) else (0, 0))
    b0, b1 = (int(band[0]), int(band[-1]) + 1) if len(band) else (0, 0)
    return f, b0, b1, tuple(lines)


def _pairwise_columns(a: np.ndarray, i0: int, n: int) -> np.ndarray:
    """Sum of columns ``i0 … i0+n−1`` of 2-D ``a``, grouped exactly as numpy's pairwise summation groups a row.

    numpy sums a contiguous run of n values with one running sum below 8
    values, eight interleaved partial sums up to 128 and halving above; done
    column by column, every row's sum is rounded exactly as numpy rounds it.
    """
    if n < 8:
        res = a.dtype.type(-0.0) + a[:, i0]
        for i in range(1, n):
            res += a[:, i0 + i]
        return res
    if n <= 128:
        r = [a[:, i0 + k].copy() for k in range(8)]
        i = 8
        while i < n - n % 8:
            for k in range(8):
                r[k] += a[:, i0 + i + k]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for j in range(i, n):
            res += a[:, i0 + j]
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_columns(a, i0, n2) + _pairwise_columns(a, i0 + n2, n - n2)


def _pairwise_columns_complex(re: np.ndarray, im: np.ndarray, i0: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pairwise_columns` for complex rows given as their real and imaginary parts (2-D each).

    numpy sums complex values as 2n interleaved reals: one running sum per
    part below 8 reals, four complex partial sums (combined as
    (r0 + r2) + (r4 + r6) per part) up to 128 reals, halving above.
    """
    nf = 2 * n
    if nf < 8:
        rr, ri = re.dtype.type(-0.0) + re[:, i0], im.dtype.type(-0.0) + im[:, i0]
        for i in range(1, n):
            rr += re[:, i0 + i]
            ri += im[:, i0 + i]
        return rr, ri
    if nf <= 128:
        r = [re[:, i0 + k].copy() for k in range(4)]
        q = [im[:, i0 + k].copy() for k in range(4)]
        i = 4
        while 2 * i < nf - nf % 8:
            for k in range(4):
                r[k] += re[:, i0 + i + k]
                q[k] += im[:, i0 + i + k]
            i += 4
        rr, ri = (r[0] + r[1]) + (r[2] + r[3]), (q[0] + q[1]) + (q[2] + q[3])
        for j in range(i, n):
            rr += re[:, i0 + j]
            ri += im[:, i0 + j]
        return rr, ri
    n2 = nf // 2
    n2 -= n2 % 8
    (ar, ai), (br, bi) = (
        _pairwise_columns_complex(re, im, i0, n2 // 2),
        _pairwise_columns_complex(re, im, i0 + n2 // 2, n - n2 // 2),
    )
    return ar + br, ai + bi


def _row_sums(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)`` of a C-contiguous 2-D float or complex array, bit-identical, for many short rows.

    numpy reduces each row in its own inner-loop call, which costs far more
    than the additions when rows are a few values long; summing whole
    columns in numpy's pairwise order gives the same bits in a few vector
    operations. Few or long rows go to numpy.
    """
    rows, n = a.shape
    if rows < 50 * n:
        return a.sum(axis=1)
    if np.iscomplexobj(a):
        rr, ri = _pairwise_columns_complex(a.real, a.imag, 0, n)
        res = np.empty(rows, dtype=a.dtype)
        res.real, res.imag = rr, ri
    else:
        res = _pairwise_columns(a, 0, n)
    res += 0.0  # the reduction starts from the identity 0 (only the sign of a zero sum can change)
    return res


def _block_mean(x: np.ndarray, dec: int) -> np.ndarray:
    """``x.reshape(-1, dec).mean(axis=1)`` for 1-D real ``x`` (length a multiple of ``dec``), bit-identical (:func:`_row_sums`)."""
    a = x.reshape(-1, dec)
    if len(a) < 50 * dec:
        return a.mean(axis=1)
    total = _row_sums(a)
    return np.true_divide(total, np.intp(dec), out=total, casting="unsafe")  # as numpy's mean divides


def periodicity_features(
    iq: np.ndarray, fs_hz: float, lo_hz: float = 2e3, hi_hz: float = 60e3, steps: np.ndarray | None = None
) -> dict[str, float]:
    """Strongest line of the envelope and IF spectra between ``lo_hz`` and ``hi_hz``, and the video line-rate score.

    ``env_peak_hz``: frequency of the strongest line; ``env_peak_db``: its
    power over the median of the band; ``line_rate_db``: the best of the
    PAL/NTSC line rates (±1 % or one resolution bin) over that median.
    ``steps``: the :func:`phase_steps` of ``iq`` (or of a longer signal
    ``iq`` begins), if already known.
    """
    out = {"env_peak_hz": 0.0, "env_peak_db": 0.0, "line_rate_db": 0.0}
    dec = max(1, int(fs_hz // (4 * hi_hz)))
    n = (len(iq) // dec) * dec
    if n < 64 * dec:
        return out
    x = iq[:n]
    env = _block_mean(np.abs(x), dec)
    inst = phase_steps(x) if steps is None else steps[: n - 1]
    inst = _block_mean(np.concatenate((inst, inst[-1:])), dec)
    rate = fs_hz / dec
    m = len(env)
    f, b0, b1, lines = _periodicity_bins(m, rate, lo_hz, hi_hz)
    if b1 - b0 < 8:
        return out
    # Both spectra from one two-row real FFT (each row's transform is the one-row transform, bit for bit).
    sig = np.stack((env, inst))
    sig -= np.array([_mean(env), _mean(inst)])[:, None]
    spec = np.abs(_sfft.rfft(sig * _hann(m), axis=1))
    np.square(spec, out=spec)
    band = spec[:, b0:b1]
    meds = _row_percentiles(band, 50)
    peaks = b0 + np.argmax(band, axis=1)
    line_max = [spec[:, l0:l1].max(axis=1, initial=0.0) for l0, l1 in lines]
    best = None
    for k in range(2):
        med = meds[k] + 1e-30
        i = int(peaks[k])
        peak_db = 10 * np.log10(spec[k, i] / med)
        line = max(float(lm[k]) for lm in line_max)
        line_db = 10 * np.log10(line / med + 1e-30)
        if best is None or peak_db > best[1]:
            best = (float(f[i]), float(peak_db), max(float(line_db), best[2] if best else -np.inf))
        else:
            best = (best[0], best[1], max(best[2], float(line_db)))
    if best is not None:
        out = {"env_peak_hz": best[0], "env_peak_db": best[1], "line_rate_db": max(0.0, best[2])}
    return out


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
