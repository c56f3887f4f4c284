"""Per-burst features in physical units, for many bursts at once: the one implementation.

Each function takes the bursts as the rows of one 2-D complex64 array
(``(rows, n)``: equal-length baseband signals, each centred at 0 Hz, at one
``fs_hz``) and returns each feature as a float64 array of ``rows`` values,
with units in the names, so a model trained at one sample rate applies at
another (one burst is a batch of one row);
:func:`rfclassify.features.burst.iq_feature_columns` groups the bursts of one length. A burst's own on-time (:func:`active_mask`)
and crop (the de-chirp's on-span) differ from row to row; they become
boolean masks and per-row counts, so one numpy call serves all rows instead
of one per burst. On a batch of one, where that saves nothing and the calls
on 1-element arrays cost most, the FSK and chirp features take the same steps
with Python scalars (:func:`_fsk_one`, :func:`_chirp_one`). Sources of the physics:

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

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.fft as _sfft

from rfclassify.dsp.spectrogram import power_spectrogram_rows
from rfclassify.features.order_stats import rank_pair

#: Candidate OFDM useful-symbol lengths in seconds (see module docstring).
CP_CANDIDATES_S: tuple[float, ...] = (3.2e-6, 6.4e-6, 12.8e-6, 1 / 15e3, 2 / 15e3)
#: Standard LoRa bandwidths in Hz (SX127x and SX128x datasheets).
LORA_BWS_HZ: tuple[float, ...] = (62.5e3, 125e3, 250e3, 500e3, 812.5e3, 1625e3)
LINE_RATES_HZ: tuple[float, ...] = (15625.0, 15734.0)
#: ``chirp_sf_est`` range in which the de-chirp search runs (SF5–SF12 with a margin for noisy slopes).
CHIRP_SF_GATE: tuple[float, float] = (3.0, 14.0)
_OCC_EDGES = np.array([0.005, 0.995])

Rows = dict[str, np.ndarray]


def phase_steps(x: np.ndarray) -> np.ndarray:
    """Phase step per sample of every row, ``angle(x[n]·conj(x[n−1]))``: ``(rows, n − 1)`` radians (float32 for complex64).

    The instantaneous frequency times 2π/fs. :func:`fsk_features` and
    :func:`periodicity_features` both need it: compute it once over the
    longer of their inputs (a prefix of it is the steps of a prefix).

    A step of exactly ±π (a product that is a negative real: common in 8-bit
    recordings) is +π: ``angle`` would take its sign from the sign of a zero
    imaginary part, which depends on how the product was vectorised.
    """
    steps = np.angle(x[:, 1:] * np.conj(x[:, :-1]))
    pi = steps.dtype.type(np.pi)
    steps[steps == -pi] = pi
    return steps


def _first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True of each row of 2-D ``mask`` (0 for a row without one)."""
    return np.argmax(mask, axis=1)


def _last_true(mask: np.ndarray) -> np.ndarray:
    """Index of the last True of each row of 2-D ``mask`` (``width − 1`` for a row without one)."""
    return mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[r, idx[r]]`` for every row ``r``."""
    return a[np.arange(len(a)), idx]


def _sorted_percentile(v: np.ndarray, count: np.ndarray, q: float) -> np.ndarray:
    """Percentile ``q`` (linear interpolation) of the first ``count`` values of each sorted row of ``v``."""
    pos = q / 100.0 * (count - 1)
    lo = pos.astype(np.intp)
    hi = np.minimum(lo + 1, count - 1)
    a, b = _take(v, lo), _take(v, hi)
    return a + (b - a) * (pos - lo)


@lru_cache(maxsize=256)
def _spectral_nfft(n: int, nfft: int) -> int:
    """FFT length of :func:`spectral_features` for ``n`` samples: ``nfft``, or half the largest power of 2 ≤ n if smaller (≥ 16)."""
    return int(min(nfft, max(16, 2 ** int(np.log2(max(n, 16))) // 2)))


@lru_cache(maxsize=64)
def _bin_freqs(nfft: int, fs_hz: float) -> np.ndarray:
    """Centre frequencies (Hz) of the FFT-shifted bins of an ``nfft``-point spectrum at ``fs_hz`` (cached)."""
    return (np.arange(nfft) - nfft // 2) * (fs_hz / nfft)


def spectral_features(x: np.ndarray, fs_hz: float, bandwidth_hz: np.ndarray, nfft: int = 128) -> Rows:
    """Bandwidths (−10 dB, occupied 99 %), flatness, kurtosis and crest of each row's spectrum.

    ``bandwidth_hz`` (per row: the detection's) limits the band over which
    flatness and kurtosis are taken. Returns ``bw_10db_hz``, ``bw_occ99_hz``,
    ``spectral_flatness`` (0–1), ``spectral_kurtosis``, ``spectral_crest_db``.
    """
    rows, n = x.shape
    nfft = _spectral_nfft(n, nfft)
    frames = power_spectrogram_rows(x, nfft, nfft // 2)
    if frames.shape[1] == 0:
        frames = power_spectrogram_rows(np.pad(x, ((0, 0), (0, nfft - n))), nfft)
    nf = frames.shape[1]
    psd = frames.mean(axis=1, dtype=np.float64) + 1e-30
    df = fs_hz / nfft
    f = _bin_freqs(nfft, fs_hz)
    above = psd >= psd.max(axis=1, keepdims=True) * 0.1
    bw10 = (_last_true(above) - _first_true(above) + 1) * df
    c = psd.cumsum(axis=1)
    c /= c[:, -1:]
    lo = (c < _OCC_EDGES[0]).sum(axis=1)  # searchsorted(side='left') of a sorted row
    hi = (c < _OCC_EDGES[1]).sum(axis=1)
    occ = (np.minimum(hi, nfft - 1) - lo + 1) * df
    half = np.maximum(np.asarray(bandwidth_hz, dtype=np.float64) / 2, df)
    b0, b1 = f.searchsorted(-half, side="left"), f.searchsorted(half, side="right")
    j = np.arange(nfft)
    band = (j >= b0[:, None]) & (j < b1[:, None])
    npb = b1 - b0
    p_mean = np.where(band, psd, 0.0).sum(axis=1) / npb
    flat = np.exp(np.where(band, np.log(psd), 0.0).sum(axis=1) / npb) / p_mean
    crest_db = 10 * np.log10(np.where(band, psd, 0.0).max(axis=1) / p_mean)
    sk = np.zeros(rows)
    if nf > 1:
        m2 = frames.mean(axis=1, dtype=np.float64) + 1e-30
        m4 = np.square(frames, out=frames).mean(axis=1, dtype=np.float64)
        k = m4 / (m2 * m2) - 2.0
        sk = np.where(band, k, 0.0).sum(axis=1) / npb
    return {
        "bw_10db_hz": bw10.astype(np.float64),
        "bw_occ99_hz": occ.astype(np.float64),
        "spectral_flatness": flat,
        "spectral_kurtosis": sk,
        "spectral_crest_db": crest_db,
    }


def power(x: np.ndarray) -> np.ndarray:
    """``|x|²`` of every sample (float32 for complex64): shared by the envelope, active-time and CP features."""
    return x.real * x.real + x.imag * x.imag


def envelope_features(x: np.ndarray, p: np.ndarray | None = None, amp: np.ndarray | None = None) -> Rows:
    """``papr_db`` (peak over mean power) and ``envelope_cv`` (std over mean of |x|) of every row: OOK vs constant envelope.

    ``p``, ``amp``: the rows' :func:`power` and ``|x|``, if known.
    """
    p = power(x) if p is None else p
    amp = np.sqrt(p) if amp is None else amp
    mean_p = p.mean(axis=1, dtype=np.float64) + 1e-30  # pairwise sums along the rows: float32 terms are fine
    papr_db = 10 * np.log10(p.max(axis=1) / mean_p + 1e-30)
    a_mean = amp.mean(axis=1, dtype=np.float64)
    a_std = amp.std(axis=1, dtype=np.float64)
    return {"papr_db": papr_db, "envelope_cv": a_std / (a_mean + 1e-30)}


def active_mask(x: np.ndarray, frac: float = 0.25, p: np.ndarray | None = None) -> np.ndarray:
    """Where each row is on: ``(rows, n − 1)`` mask over the IF sequence, the smoothed envelope above ``frac`` of its 95th percentile.

    :func:`fsk_features` and :func:`chirp_features` measure only there (noise
    margins would bias them); pass the result to both rather than computing
    it twice. ``p``: the rows' :func:`power`, if known.
    """
    rows, n = x.shape
    a2 = power(x) if p is None else p
    out = np.zeros((rows, max(n - 1, 0)), dtype=bool)
    if n == 0:
        return out
    if n < 8:
        thr = frac * np.percentile(a2, 95, axis=1)
        out[:] = (a2 > thr[:, None])[:, : n - 1]
        return out
    # Sums of 8 rather than means (/8 is exact, so sums against the sums' threshold decide alike), as 8
    # shifted adds: cheaper than a running sum's differences.
    s8 = a2[:, : n - 7].copy()
    for k in range(1, 8):
        s8 += a2[:, k : n - 7 + k]
    pos, lo, hi = rank_pair(n - 7, 95)
    # np.percentile(s8, 95, axis=1) without its wrappers: one selection (two cost twice as much),
    # the next order statistic is the least value above it.
    part = np.partition(s8, lo, axis=1)
    v_lo = part[:, lo]
    v_hi = part[:, lo + 1 :].min(axis=1) if hi > lo else v_lo
    thr = frac * (v_lo + (v_hi - v_lo) * (pos - lo))
    out[:, : n - 7] = s8 > thr[:, None]
    return out


def fsk_features(x: np.ndarray, fs_hz: float, active: np.ndarray, steps: np.ndarray) -> Rows:
    """Instantaneous-frequency statistics of every row where it is on (its :func:`active_mask`; all of it if on for ≤ 8 samples).

    ``if_std_hz``: spread of the IF; ``fsk_deviation_hz``: half the distance
    between the two cluster centres of a 2-means fit of the IF;
    ``fsk_separation``: that distance over the pooled within-cluster std
    (large for 2-FSK, small for noise or a tone). Rows under 8 samples are 0.

    ``steps`` may be those of longer rows that ``x``'s rows begin.
    """
    rows, n = x.shape
    if n < 8:
        z = np.zeros(rows)
        return {"if_std_hz": z, "fsk_deviation_hz": z.copy(), "fsk_separation": z.copy()}
    if rows == 1:
        return _fsk_one(fs_hz, active[0], steps[0, : n - 1])
    st = steps[:, : n - 1]
    cnt = active.sum(axis=1)
    use = active | (cnt <= 8)[:, None]  # too few on-samples: all of the burst
    count = use.sum(axis=1)
    m = count - 1  # moving means of 2 over consecutive used values (count ≥ 7 here)
    hz = np.float32(fs_hz / (2 * np.pi))
    pair = use[:, :-1] & use[:, 1:]
    if (np.count_nonzero(pair, axis=1) == m).all():
        # Every row's used samples are one run (the common case): consecutive used values are neighbours.
        v = st[:, :-1] + st[:, 1:]
        v *= 0.5 * hz
        v[~pair] = np.inf  # not a row's value: sorted to its end
    else:  # the used IF values moved to the front of each row, in time order (a stable sort of a boolean key)
        v = np.take_along_axis(st, np.argsort(~use, axis=1, kind="stable"), axis=1) * hz
        v = 0.5 * (v[:, :-1] + v[:, 1:])
        v[np.arange(v.shape[1]) >= m[:, None]] = np.inf
    v = _sort_rows(v)[:, : int(m.max())]  # past a row's m values: +inf
    j = np.arange(v.shape[1])
    valid = j < m[:, None]  # a row's values, sorted
    search = _RowSearch(v)
    lo, hi = _sorted_percentile(v, m, 20), _sorted_percentile(v, m, 80)
    v = v.astype(np.float64)
    csum = np.zeros((rows, v.shape[1] + 1))
    np.cumsum(v, axis=1, out=csum[:, 1:])  # +inf past a row's m values: only csum[:, :m + 1] is read
    total = _take(csum, m)
    # 1-D 2-means on sorted rows: a split is a search, a mean a difference of
    # prefix sums. A row whose split stops moving has converged (its means no longer change).
    running = np.ones(rows, dtype=bool)
    k_prev = np.full(rows, -1)
    for _ in range(8):
        k = search.count_le(0.5 * (lo + hi))
        running &= (k > 0) & (k < m)
        if not (running & (k != k_prev)).any():
            break
        kk = np.where(running, k, 1)
        lo = np.where(running, _take(csum, kk) / kk, lo)
        hi = np.where(running, (total - _take(csum, kk)) / np.maximum(m - kk, 1), hi)
        k_prev = k
    k = search.count_le(0.5 * (lo + hi))
    mean_lo = _take(csum, k) / np.maximum(k, 1)
    mean_hi = (total - _take(csum, k)) / np.maximum(m - k, 1)
    dev = v - np.where(j < k[:, None], mean_lo[:, None], mean_hi[:, None])
    dev *= dev
    dev[~valid] = 0.0
    within = np.sqrt(dev.sum(axis=1) / np.maximum(m, 1)) + 1e-9
    dev = v - (total / m)[:, None]
    dev *= dev
    dev[~valid] = 0.0
    if_std = np.sqrt(dev.sum(axis=1) / m)
    return {"if_std_hz": if_std, "fsk_deviation_hz": 0.5 * (hi - lo), "fsk_separation": (hi - lo) / within}


def _fsk_one(fs_hz: float, active: np.ndarray, steps: np.ndarray) -> Rows:
    """:func:`fsk_features` of a batch of one, with Python scalars where the rows form spends numpy calls on 1-element arrays.

    A burst alone in its length group is common in the pipeline's batches (a quarter of the bench
    scene's); the rows form costs it several times as much (fixed numpy overhead).
    """
    use = active if np.count_nonzero(active) > 8 else np.ones_like(active)
    v = steps[use].astype(np.float64)
    v = 0.5 * (v[:-1] + v[1:])  # moving means of 2 over consecutive used values
    v *= fs_hz / (2 * np.pi)
    v.sort()
    n = len(v)
    csum = np.concatenate(([0.0], v)).cumsum()
    (p20, a20, b20), (p80, a80, b80) = rank_pair(n, 20), rank_pair(n, 80)
    lo, hi = v[a20] + (v[b20] - v[a20]) * (p20 - a20), v[a80] + (v[b80] - v[a80]) * (p80 - a80)
    for _ in range(8):
        k = int(v.searchsorted(0.5 * (lo + hi), side="right"))
        if k == 0 or k == n:
            break
        lo, hi = csum[k] / k, (csum[n] - csum[k]) / (n - k)
    k = int(v.searchsorted(0.5 * (lo + hi), side="right"))
    within = np.sqrt((_sq_dev(v[:k]) + _sq_dev(v[k:])) / n) + 1e-9
    return {"if_std_hz": np.array([np.sqrt(_sq_dev(v) / n)]), "fsk_deviation_hz": np.array([0.5 * (hi - lo)]), "fsk_separation": np.array([(hi - lo) / within])}


def _sq_dev(v: np.ndarray) -> float:
    """Sum of the squared deviations of 1-D ``v`` from its mean (0 if empty), without numpy's ``var`` wrappers."""
    if len(v) == 0:
        return 0.0
    d = v - np.add.reduce(v) / len(v)
    return float(np.add.reduce(d * d))


def _sort_rows(v: np.ndarray) -> np.ndarray:
    """``np.sort(v, axis=1)`` of 2-D float32 ``v`` (``+inf`` padding allowed), faster for rows of thousands of values.

    A radix pass on 16-bit keys of each row's finite range puts the values
    nearly in order; the stable sort that follows (a merge of sorted runs)
    then has little left to do and gives exactly ``np.sort``'s values.
    """
    rows, width = v.shape
    if width < 256:
        return np.sort(v, axis=1)
    lo = v.min(axis=1)
    hi = np.max(v, axis=1, where=~np.isinf(v), initial=-np.inf)
    scale = np.float32(65535.0) / np.maximum(hi - lo, np.float32(1e-30))
    key = v - lo[:, None]
    key *= scale[:, None]
    np.fmin(key, 65535, out=key)  # +inf and NaN (sorted last) to the last key
    order = key.astype(np.uint16).argsort(kind="stable", axis=1)
    order += (np.arange(rows) * width)[:, None]
    out = v.ravel()[order.ravel()].reshape(rows, width)
    out.sort(kind="stable", axis=1)
    return out


class _RowSearch:
    """``searchsorted(x, side='right')`` in every row of a row-sorted 2-D float32 array, for all rows in one call.

    Each float32 maps to an int32 key of the same order; adding ``row · 2³²``
    makes the whole array one sorted int64 sequence, searched once.
    """

    #: Narrower rows are counted by one comparison pass instead (cheaper than building the keys).
    MIN_WIDTH = 2048

    def __init__(self, v: np.ndarray) -> None:
        rows, width = v.shape
        self.v = v
        if width < self.MIN_WIDTH or rows == 1:
            return
        self.offset = np.arange(rows, dtype=np.int64) << 32
        self.keys = (_order_key(v) + self.offset[:, None]).ravel()
        self.base = np.arange(rows, dtype=np.int64) * width

    def count_le(self, x: np.ndarray) -> np.ndarray:
        """Per row, how many values are ≤ ``x[row]`` (float64)."""
        if len(self.v) == 1:
            return self.v[0].searchsorted(x, side="right")
        if self.v.shape[1] < self.MIN_WIDTH:
            return np.count_nonzero(self.v <= x[:, None], axis=1)
        f = x.astype(np.float32)
        f = np.where(f > x, np.nextafter(f, np.float32(-np.inf)), f)  # the largest float32 ≤ x
        return np.searchsorted(self.keys, _order_key(f) + self.offset, side="right") - self.base


def _order_key(v: np.ndarray) -> np.ndarray:
    """int64 keys ordered as the float32 values ``v`` (NaN-free; −0.0 below +0.0)."""
    b = np.ascontiguousarray(v, dtype=np.float32).view(np.int32)
    return np.where(b < 0, b ^ np.int32(0x7FFFFFFF), b).astype(np.int64)


@lru_cache(maxsize=64)
def _chirp(n: int, fs_hz: float, bw_hz: float, t_sym_s: float) -> np.ndarray:
    """One up-chirp sweeping ``bw_hz`` in ``t_sym_s`` (cached: the same few are used for every burst)."""
    t = np.arange(n) / fs_hz
    slope = bw_hz / t_sym_s
    f = -bw_hz / 2 + slope * t
    return np.exp(2j * np.pi * np.cumsum(f) / fs_hz).astype(np.complex64)


@lru_cache(maxsize=64)
def _dechirp_ref(n: int, fs_hz: float, bw_hz: float, t_sym_s: float) -> np.ndarray:
    """The conjugate of :func:`_chirp`: multiplying by it de-chirps (cached like it)."""
    return np.conj(_chirp(n, fs_hz, bw_hz, t_sym_s))


def _nearest_lora_bw(bandwidth_hz: np.ndarray) -> np.ndarray:
    """The standard LoRa bandwidth nearest each value in log scale."""
    bws = np.array(LORA_BWS_HZ)
    d = np.abs(np.log(bws[None, :] / np.maximum(np.asarray(bandwidth_hz, dtype=np.float64), 1.0)[:, None]))
    return bws[np.argmin(d, axis=1)]


def _window_starts(span: np.ndarray, num: np.ndarray, max_windows: int) -> np.ndarray:
    """``np.linspace(0, span, num).astype(int)`` of every row: ``(rows, max_windows)``, entries past ``num`` unused (0)."""
    i = np.arange(max_windows)[None, :]
    step = span[:, None] / np.maximum(num - 1, 1)[:, None]
    starts = (i * step).astype(np.intp)
    starts = np.where(i == (num - 1)[:, None], span[:, None], starts)
    starts = np.where((num <= 1)[:, None], 0, starts)
    return np.where(i < num[:, None], starts, 0)  # unused windows start at 0, in range


def chirp_features(
    x: np.ndarray, fs_hz: float, bandwidth_hz: np.ndarray, active: np.ndarray, max_windows: int = 4
) -> Rows:
    """LoRa-style linear chirp of every row: IF slope and de-chirp concentration.

    ``chirp_slope_hz_per_s``: |slope| from the median phase step between
    block sums of the lag product ``x[n+L]·conj(x[n])`` (a tone at
    slope·L/fs for a linear chirp; the wraps of LoRa symbols affect only the
    blocks that straddle them, which the median ignores), over the row's
    on-span (first to last sample of its :func:`active_mask`, if more than 32);
    ``chirp_sf_est``: log2(BW²/slope) with BW the standard LoRa bandwidth
    nearest ``bandwidth_hz`` (per row); ``dechirp_sf``: the SF (5–12, within
    ±1 of the rounded ``chirp_sf_est``: the slope already says which symbol
    lengths can fit) whose conjugate up-chirp concentrates one symbol best
    (up to ``max_windows`` symbol windows spread over the on-span), and
    ``dechirp_gain_db`` that concentration (peak FFT bin power over mean bin
    power, in dB; about 10·log10(ln N) for noise, near 10·log10(N) for a
    clean chirp). The de-chirp search runs only where ``chirp_sf_est`` is
    within :data:`CHIRP_SF_GATE`; otherwise both are 0.
    """
    rows, n = x.shape
    out = {k: np.zeros(rows) for k in ("chirp_slope_hz_per_s", "chirp_sf_est", "dechirp_sf", "dechirp_gain_db")}
    if n < 32:
        return out
    if rows == 1:
        return _chirp_one(x[0], fs_hz, float(_nearest_lora_bw(bandwidth_hz)[0]), active[0], max_windows)
    bw = _nearest_lora_bw(bandwidth_hz)
    # Only where the burst is on (first to last on-sample) if it is on for more than 32 samples.
    crop = active.sum(axis=1) > 32
    start = np.where(crop, _first_true(active), 0)
    length = np.where(crop, _last_true(active) + 1 - start, n)
    lags = np.maximum(1, np.round(4 * fs_hz / bw)).astype(np.intp)
    slope = np.zeros(rows)
    for lag in np.unique(lags):
        r = np.flatnonzero((lags == lag) & (length > lag + 2))
        nblk = (length[r] - lag) // lag
        r, nblk = r[nblk >= 3], nblk[nblk >= 3]
        if len(r) == 0:
            continue
        xr = x if len(r) == rows else x[r]
        m = int(nblk.max()) * lag
        s0 = int(start[r[0]])
        if (start[r] == s0).all():
            # One on-start for all (a batch of one, or rows on from their first sample): blocks by slicing.
            zb = _block_sums(xr[:, s0 + lag : s0 + lag + m] * np.conj(xr[:, s0 : s0 + m]), lag)
        elif lag <= 32:
            # Sums of lag consecutive lag products starting at every sample (lag strided adds: a
            # gather of each row from its on-start costs more), then each row's blocks from its on-start.
            z = xr[:, lag:] * np.conj(xr[:, :-lag])  # z[t] = x[t+lag]·conj(x[t])
            width = n - 2 * lag + 1
            win = z[:, :width].copy()
            for i in range(1, lag):
                win += z[:, i : i + width]
            blk = np.minimum(start[r, None] + lag * np.arange(int(nblk.max())), width - 1)
            zb = win[np.arange(len(r))[:, None], blk]
        else:
            y = xr[np.arange(len(r))[:, None], np.minimum(start[r, None] + np.arange(m + lag), n - 1)]  # rows from their on-start
            zb = _block_sums(y[:, lag : lag + m] * np.conj(y[:, :m]), lag)
        st = np.angle(zb[:, 1:] * np.conj(zb[:, :-1]))
        ns = nblk - 1  # steps between a row's own blocks
        st[np.arange(st.shape[1]) >= ns[:, None]] = np.inf
        st.sort(axis=1)
        med = 0.5 * (_take(st, (ns - 1) // 2) + _take(st, ns // 2))
        f_z = med / lag * fs_hz / (2 * np.pi)
        slope[r] = np.abs(f_z) * fs_hz / lag
    out["chirp_slope_hz_per_s"] = slope
    with np.errstate(divide="ignore"):
        sf_est = np.where(slope > 0, np.log2(bw * bw / np.where(slope > 0, slope, 1.0)), 0.0)
    out["chirp_sf_est"] = sf_est
    gated = (CHIRP_SF_GATE[0] <= sf_est) & (sf_est <= CHIRP_SF_GATE[1])
    sf_mid = np.round(sf_est)
    best_sf, best_gain = np.zeros(rows), np.zeros(rows)
    sfs = range(max(5, int(sf_mid[gated].min()) - 1), min(12, int(sf_mid[gated].max()) + 1) + 1) if gated.any() else ()
    for sf in sfs:
        cand = gated & (np.abs(sf - sf_mid) <= 1)
        for b in (bw[:1] if (bw == bw[0]).all() else np.unique(bw[cand])):
            t_sym = 2**sf / b
            ns = round(t_sym * fs_hz)
            r = np.flatnonzero(cand & (bw == b) & (length >= ns))
            if ns < 16 or len(r) == 0:
                continue
            ref = _dechirp_ref(ns, fs_hz, float(b), t_sym)
            span = length[r] - ns
            num = np.minimum(max_windows, 1 + span // max(ns, 1))
            w0 = start[r, None] + _window_starts(span, num, max_windows)  # (rows, windows)
            seg = x[r[:, None, None], w0[:, :, None] + np.arange(ns)] * ref
            spec = np.abs(_sfft.fft(seg, axis=-1, overwrite_x=True))
            np.square(spec, out=spec)
            g = spec.max(axis=-1) / (spec.mean(axis=-1) + 1e-30)
            g[np.arange(max_windows)[None, :] >= num[:, None]] = 0.0
            gain_db = 10 * np.log10(g.max(axis=1))
            better = gain_db > best_gain[r]
            best_sf[r] = np.where(better, sf, best_sf[r])
            best_gain[r] = np.where(better, gain_db, best_gain[r])
    out["dechirp_sf"] = best_sf
    out["dechirp_gain_db"] = best_gain
    return out


def _chirp_one(iq: np.ndarray, fs_hz: float, bw: float, active: np.ndarray, max_windows: int) -> Rows:
    """:func:`chirp_features` of a batch of one (LoRa bandwidth ``bw`` already chosen), with Python scalars where the
    rows form spends numpy calls on 1-element arrays (as :func:`_fsk_one`)."""
    out = {"chirp_slope_hz_per_s": 0.0, "chirp_sf_est": 0.0, "dechirp_sf": 0.0, "dechirp_gain_db": 0.0}
    on = np.flatnonzero(active)
    if len(on) > 32:
        iq = iq[on[0] : on[-1] + 1]
    lag = max(1, round(4 * fs_hz / bw))
    nblk = (len(iq) - lag) // lag
    if len(iq) > lag + 2 and nblk >= 3:
        m = nblk * lag
        zb = _block_sums((iq[lag : lag + m] * np.conj(iq[:m]))[None], lag)[0]
        st = np.angle(zb[1:] * np.conj(zb[:-1]))
        st.sort()
        med = 0.5 * (st[(len(st) - 1) // 2] + st[len(st) // 2])
        slope = float(abs(med / lag * fs_hz / (2 * np.pi)) * fs_hz / lag)
        out["chirp_slope_hz_per_s"] = slope
        out["chirp_sf_est"] = float(np.log2(bw * bw / slope)) if slope > 0 else 0.0
    sf_est = out["chirp_sf_est"]
    if CHIRP_SF_GATE[0] <= sf_est <= CHIRP_SF_GATE[1]:
        sf_mid = round(sf_est)
        for sf in range(max(5, sf_mid - 1), min(12, sf_mid + 1) + 1):
            t_sym = 2**sf / bw
            ns = round(t_sym * fs_hz)
            if ns < 16 or ns > len(iq):
                continue
            span = len(iq) - ns
            num = min(max_windows, 1 + span // ns)
            starts = _window_starts(np.array([span]), np.array([num]), num)[0]
            seg = np.stack([iq[s0 : s0 + ns] for s0 in starts]) * _dechirp_ref(ns, fs_hz, bw, t_sym)
            spec = np.abs(_sfft.fft(seg, axis=-1, overwrite_x=True))
            np.square(spec, out=spec)
            gain_db = float(10 * np.log10(np.max(spec.max(axis=1) / (np.add.reduce(spec, axis=1) / ns + 1e-30))))
            if gain_db > out["dechirp_gain_db"]:
                out["dechirp_sf"], out["dechirp_gain_db"] = float(sf), gain_db
    return {k: np.array([v]) for k, v in out.items()}


def cp_features(
    x: np.ndarray, fs_hz: float, candidates_s: Sequence[float] = CP_CANDIDATES_S, p: np.ndarray | None = None
) -> Rows:
    """Cyclic-prefix correlation of every row: normalised |Σ x[n]·conj(x[n+N])| for each candidate useful-symbol length.

    Each value is the correlation at the lag minus the larger one a quarter
    symbol either side (a CP is a *peak* in lag; a narrowband signal
    correlates at every short lag alike): about CP/(symbol+CP) for a clean
    OFDM burst (0.2 for Wi-Fi, ~0.07 for LTE-like numerology) and near 0 for
    noise or single-carrier signals. Lags under 8 samples are 0. Returns
    ``cp_best_lag_s`` and ``cp_best_corr`` over all candidates, plus
    ``cp_corr_3u2`` (3.2 µs) and ``cp_corr_66u7`` (66.7 µs). ``p``: the rows'
    :func:`power`, if known.
    """
    rows, n = x.shape
    p = power(x) if p is None else p
    # Energies of x[:−lag] and x[lag:]: the total less a short head or tail (lags are at most a
    # quarter of the span), from running sums over the ends only.
    total = p.sum(axis=1, dtype=np.float64)
    end = min(n, round(max(candidates_s) * fs_hz * 1.25) + 4)  # ≥ lag + step of every candidate
    head = np.zeros((rows, end + 1))
    np.cumsum(p[:, :end], axis=1, dtype=np.float64, out=head[:, 1:])
    tail = np.zeros((rows, end + 1))
    np.cumsum(p[:, ::-1][:, :end], axis=1, dtype=np.float64, out=tail[:, 1:])

    def corr(lag: int) -> np.ndarray:
        num = np.abs(np.vecdot(x[:, lag:], x[:, :-lag]))  # |Σ a·conj(b)|, a = x[:−lag], b = x[lag:]
        den = np.sqrt((total - tail[:, lag]) * (total - head[:, lag])) + 1e-30
        return num / den

    vals = []
    for lag_s in candidates_s:
        lag = round(lag_s * fs_hz)
        step = max(2, lag // 4)
        if lag < 8 or lag + step >= n // 2:
            vals.append(np.zeros(rows))
            continue
        vals.append(np.maximum(0.0, corr(lag) - np.maximum(corr(lag - step), corr(lag + step))))
    v = np.stack(vals, axis=1)
    best = np.argmax(v, axis=1)  # the first of equal values, as max() over the candidates in order
    best_corr = _take(v, best)
    lag_of = np.array(candidates_s, dtype=np.float64)
    i3, i66 = list(candidates_s).index(3.2e-6), list(candidates_s).index(1 / 15e3)
    return {
        "cp_best_lag_s": np.where(best_corr > 0, lag_of[best], 0.0),
        "cp_best_corr": best_corr,
        "cp_corr_3u2": v[:, i3],
        "cp_corr_66u7": v[:, i66],
    }


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


def periodicity_features(
    x: np.ndarray, fs_hz: float, steps: np.ndarray, lo_hz: float = 2e3, hi_hz: float = 60e3, amp: np.ndarray | None = None
) -> Rows:
    """Strongest line of each row's envelope and IF spectra between ``lo_hz`` and ``hi_hz``, and the video line-rate score.

    ``env_peak_hz``: frequency of the strongest line (the envelope's unless
    the IF's is stronger); ``env_peak_db``: its power over the median of the
    band; ``line_rate_db``: the best of the PAL/NTSC line rates (±1 % or one
    resolution bin) over that median. ``steps``: the rows'
    :func:`phase_steps` (of ``x`` or of longer rows ``x`` begins); ``amp``:
    ``|x|``, if known.
    """
    rows, n = x.shape
    out = {k: np.zeros(rows) for k in ("env_peak_hz", "env_peak_db", "line_rate_db")}
    dec = max(1, int(fs_hz // (4 * hi_hz)))
    nn = (n // dec) * dec
    if nn < 64 * dec:
        return out
    m = nn // dec
    env = _block_means(np.abs(x[:, :nn]) if amp is None else amp[:, :nn], dec)
    # The IF of the span's last sample repeats its predecessor's.
    inst = _block_means(np.concatenate((steps[:, : nn - 1], steps[:, nn - 2 : nn - 1]), axis=1), dec)
    rate = fs_hz / dec
    f, b0, b1, lines = _periodicity_bins(m, rate, lo_hz, hi_hz)
    if b1 - b0 < 8:
        return out
    sig = np.empty((rows, 2, m), dtype=np.float32)  # float32: the FFT runs in single precision
    sig[:, 0], sig[:, 1] = env, inst
    sig -= sig.mean(axis=2, keepdims=True)
    sig *= _hann32(m)
    spec = np.abs(_sfft.rfft(sig, axis=-1, overwrite_x=True))
    np.square(spec, out=spec)
    band = spec[:, :, b0:b1]
    med = np.median(band, axis=2).astype(np.float64) + 1e-30
    peak = b0 + np.argmax(band, axis=2)
    peak_db = 10 * np.log10(np.take_along_axis(spec, peak[:, :, None], axis=2)[:, :, 0] / med)
    line = np.zeros((rows, 2))
    for l0, l1 in lines:
        if l1 > l0:
            line = np.maximum(line, spec[:, :, l0:l1].max(axis=2))
    line_db = 10 * np.log10(line / med + 1e-30)
    k = (peak_db[:, 1] > peak_db[:, 0]).astype(np.intp)  # the envelope's unless the IF's is stronger
    out["env_peak_hz"] = f[_take(peak, k)].astype(np.float64)
    out["env_peak_db"] = _take(peak_db, k)
    out["line_rate_db"] = np.maximum(0.0, line_db.max(axis=1))
    return out


def _block_sums(a: np.ndarray, k: int, dtype: np.dtype | type | None = None) -> np.ndarray:
    """Sums of ``k`` consecutive values along the rows of ``a`` (width a multiple of ``k``), in ``dtype`` (``a``'s if None).

    For a few values per block, ``k`` strided adds: numpy's reduction over a short inner axis is slow.
    """
    if k > 32:
        return a.reshape(len(a), -1, k).sum(axis=2, dtype=dtype)
    out = a[:, 0::k].astype(a.dtype if dtype is None else dtype)
    for i in range(1, k):
        out += a[:, i::k]
    return out


def _block_means(a: np.ndarray, dec: int) -> np.ndarray:
    """Means of ``dec`` consecutive values along the rows of ``a`` (width a multiple of ``dec``), float32."""
    out = _block_sums(a, dec, np.float32)
    out *= np.float32(1 / dec)
    return out


@lru_cache(maxsize=32)
def _hann32(n: int) -> np.ndarray:
    """``np.hanning(n)`` in float32 (cached)."""
    return np.hanning(n).astype(np.float32)


def iq_features(x: np.ndarray, fs_hz: float, bandwidth_hz: np.ndarray, max_samples: int = 1 << 13) -> Rows:
    """All IQ features of every row.

    ``x``: ``(rows, n)`` complex64 analysis spans of equal length, ``n`` at
    most ``4 · max_samples`` (periodicity's span); the other features take
    the first ``max_samples``.
    """
    x = np.ascontiguousarray(x, dtype=np.complex64)
    bandwidth_hz = np.asarray(bandwidth_hz, dtype=np.float64)
    head = x[:, :max_samples]
    steps = phase_steps(x)
    p = power(x)
    amp = np.sqrt(p)
    hp, hamp = p[:, :max_samples], amp[:, :max_samples]
    on = active_mask(head, p=hp)
    out: Rows = {}
    out.update(spectral_features(head, fs_hz, bandwidth_hz))
    out.update(envelope_features(head, hp, hamp))
    out.update(fsk_features(head, fs_hz, on, steps))
    out.update(chirp_features(head, fs_hz, bandwidth_hz, on))
    out.update(cp_features(head, fs_hz, p=hp))
    out.update(periodicity_features(x, fs_hz, steps, amp=amp))
    return out
