"""Noise-floor estimation over power spectrogram frames, robust to bursts, band-filling signals and DC.

Pure functions over the linear power frames of
:func:`rfclassify.dsp.spectrogram.power_spectrogram` (shape ``(frames, bins)``,
FFT-shifted). The floor is the *mean noise power per bin*, so a power ratio
``P / floor`` is 1 on average where there is only noise.

How the estimate is built, and why:

- **Per bin, over time.** In a Hann-windowed FFT of complex Gaussian noise
  each cell's power is exponentially distributed, whose median is ``ln 2``
  times its mean (any probability text, e.g. Papoulis, *Probability, Random
  Variables and Stochastic Processes*, on the χ² law with 2 degrees of
  freedom). A median over frames therefore ignores bursts that occupy a bin
  less than half of the time; dividing by ``ln 2`` removes the bias. Chunk
  medians are kept in a short history and the floor is their median, so a
  hopping link that dwells on one channel for a whole chunk (ExpressLRS at
  200 Hz stays 20 ms on a channel) still does not raise it.
- **Across frequency.** A signal that occupies a bin all the time (analog
  FM video, continuous OFDM) would become its own floor. The receiver's
  noise is nearly flat across the window, so each bin's floor is capped at
  ``cap_db`` above the median floor of the central bins; a continuous signal
  covering less than half of the window is therefore still seen (1.5 dB
  weaker than a burst). The cap must exceed the receiver's own passband
  ripple, or ripple peaks would look like weak continuous signals. Bins at the
  window edges, where the anti-alias filter rolls the noise off, keep their
  lower per-bin floor (the cap only lowers).
- **DC.** RTL-SDR tuners leak the local oscillator into the centre bin
  (the "DC spike"; see the rtl-sdr.com and osmocom rtl-sdr notes on DC
  offset). Its power is steady, so the per-bin floor learns it; the DC bins
  are exempt from the cap, so the spike is floor, not signal.

- **Band-filling signals.** When a signal covers more than half of the
  central bins most of the time (analog FM video or OcuSync seen through a
  2.4 MS/s window, Wi-Fi filling a 20 MS/s one), the cross-frequency median
  is the signal's level. So the cap's reference is also taken from the
  *quietest frames*: the 2nd percentile over frames of the frame's mean
  power over the central bins, divided by the same percentile for noise
  alone (the mean of ``n`` exponential cells is Gamma(n, 1/n); ``n`` counts
  Hann-windowed bins as 2/3 independent). Of the per-chunk values over the
  history the lower quartile (lower order statistic) is used, and the reference is the lower of the
  two estimates; with noise alone both agree to ~1 %. A signal that is on in
  more than 98 % of the frames of most chunks *and* fills the window cannot
  be told from noise by its level alone; only features can find it.
- **Short gaps inside a band-filling signal.** A strong Wi-Fi exchange
  filling a 20 MS/s window (a recording cut to the packets) leaves the noise
  visible only in SIFS gaps and short pauses of 3–16 µs, less than one
  25.6 µs spectrogram frame: every frame holds signal, and both references
  above are the packets' level (a 60 dB packet measured at 0 dB and cut into
  fragments). So each chunk's quiet level is also read in time, from the
  power of short windows of the samples (:func:`window_powers`, a few µs):
  the same low quantile, bias-corrected for the mean of ``window`` complex
  Gaussian samples, divided by ``nfft`` (white noise of variance σ² gives
  σ²/nfft per bin). Spread over all bins it reads a receiver whose
  anti-alias filter rolls the window's edges off up to ~1 dB low, within
  the cap's 1.5 dB. It replaces the spectral quiet level only when it is
  :data:`TIME_QUIET_MARGIN_DB` lower (:func:`chunk_quiet`): with noise between
  the frames both agree to ~1 dB and nothing changes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.stats import gamma

LN2 = float(np.log(2.0))
#: Quantile of the frame means that :func:`quiet_level` reads.
QUIET_QUANTILE = 0.02
#: Short windows per spectrogram frame read by :func:`window_powers` (3.2 µs at 20 MS/s, 512 bins:
#: shorter than a SIFS, 16 µs, IEEE 802.11-2016 §10.3.2.3.7) ...
WINDOWS_PER_FRAME = 8
#: ... and the fewest samples a window holds (its mean power is still a usable statistic).
MIN_WINDOW_SAMPLES = 16
#: How much lower the quiet level read in time must be than the spectral one to replace it
#: (:func:`chunk_quiet`). With noise between the frames the two agree to ~1 dB (filter roll-off,
#: quantization); only a signal in every frame puts them this far apart.
TIME_QUIET_MARGIN_DB = 6.0
#: The quietest frames of a chunk are noise when the frame at this quantile of their means ...
NOISE_FRAMES_SHARE = 0.2
#: ... lies at most this much above the frame at :data:`QUIET_QUANTILE` (:func:`quiet_frames_are_noise`):
#: noise frames scatter by ~0.3 dB at 512 bins, a real receiver's a little more (the radiated
#: openofdm Wi-Fi recordings: 1 dB); a 60 dB packet's gaps by several dB.
NOISE_FRAMES_SPREAD_DB = 2.0


def central_bins(nbins: int, dc: np.ndarray | None = None, edge_fraction: float = 0.1) -> np.ndarray:
    """Bool mask of the bins used for cross-frequency references: not the outer ``edge_fraction``, not DC."""
    edge = int(nbins * edge_fraction)
    central = np.ones(nbins, dtype=bool)
    central[:edge] = False
    central[nbins - edge :] = False
    if dc is not None and len(dc):
        central[dc] = False
    if not central.any():
        central[:] = True
    return central


@lru_cache(maxsize=32)
def _quiet_bias(n_bins: int, quantile: float) -> float:
    n_eff = max(1.0, n_bins * 2.0 / 3.0)
    return float(gamma.ppf(quantile, a=n_eff, scale=1.0 / n_eff))


def frame_means(power: np.ndarray, central: np.ndarray) -> np.ndarray:
    """Each frame's mean power over the ``central`` bins (float32; one value per row of ``power``)."""
    power = np.asarray(power, dtype=np.float32)
    n_central = int(np.count_nonzero(central))
    # Sum over all bins minus the excluded ones: cheaper than gathering the central columns.
    return (power.sum(axis=1, dtype=np.float32) - power[:, ~central].sum(axis=1, dtype=np.float32)) / n_central


def quiet_from_means(means: np.ndarray, n_central: int, quantile: float = QUIET_QUANTILE) -> float:
    """:func:`quiet_level` from the chunk's :func:`frame_means` over ``n_central`` bins."""
    if len(means) == 1:
        return float(means[0])
    k = int(quantile * (len(means) - 1))
    q = float(np.partition(means, k)[k])
    # The k-th lowest of n lies on average at CDF (k + 1) / (n + 1): correct with that quantile.
    return q / _quiet_bias(n_central, round((k + 1) / (len(means) + 1), 6))


def quiet_level(power: np.ndarray, central: np.ndarray, quantile: float = QUIET_QUANTILE) -> float:
    """Mean noise power per bin estimated from the quietest frames of ``power`` (``(frames, bins)``).

    The ``quantile`` of the frames' mean power over the ``central`` bins,
    divided by that quantile for noise alone: unbiased with noise only, and
    still the noise while at least that fraction of frames is signal-free in
    those bins, however wide the signal.
    """
    return quiet_from_means(frame_means(power, central), int(np.count_nonzero(central)), quantile)


def window_samples(nfft: int) -> int:
    """Samples per short window of :func:`window_powers` for frames of ``nfft`` samples (a divisor of ``nfft``)."""
    window = max(MIN_WINDOW_SAMPLES, nfft // WINDOWS_PER_FRAME)
    while nfft % window:
        window -= 1
    return max(1, window)


def window_powers(x: np.ndarray, nfft: int) -> np.ndarray:
    """Mean power of each short window of each whole frame of ``x``: ``(frames, nfft // window)`` float32.

    Frames are ``nfft`` consecutive samples (the spectrogram's, hop ``nfft``); windows are
    :func:`window_samples` long. Power in the input's units (|x|²).
    """
    window = window_samples(nfft)
    n_frames = len(x) // nfft
    frames = np.asarray(x[: n_frames * nfft], dtype=np.complex64).reshape(n_frames, nfft // window, window)
    return (frames.real**2 + frames.imag**2).mean(axis=2, dtype=np.float32)


@lru_cache(maxsize=32)
def _window_bias(window: int, quantile: float) -> float:
    return float(gamma.ppf(quantile, a=window, scale=1.0 / window))


def quiet_in_time(window_power: np.ndarray, nfft: int, quantile: float = QUIET_QUANTILE) -> float:
    """Mean noise power per bin from the quietest short windows of a chunk (``(frames, windows)`` of :func:`window_powers`).

    The ``quantile`` of the windows' mean power, divided by that quantile for the mean of
    ``window`` complex Gaussian samples, over ``nfft`` bins: the noise per bin of a receiver whose
    noise is white, while that fraction of the chunk's windows holds no signal.
    """
    flat = np.ravel(window_power)
    if not len(flat):
        return float("inf")
    window = nfft // max(1, np.asarray(window_power).shape[-1])
    k = int(quantile * (len(flat) - 1))
    q = float(np.partition(flat, k)[k])
    return q / _window_bias(window, round((k + 1) / (len(flat) + 1), 6)) / nfft


def quiet_frames_are_noise(means: np.ndarray, n_central: int, quantile: float = QUIET_QUANTILE) -> bool:
    """True when a chunk's quietest frames share one level, as frames of noise do.

    ``means``: the chunk's :func:`frame_means` over ``n_central`` bins. The frame at the
    :data:`NOISE_FRAMES_SHARE` quantile lies at most :data:`NOISE_FRAMES_SPREAD_DB` (or four
    standard deviations of a noise frame's mean: Gamma law, ``n_central`` Hann-windowed bins
    counted as 2/3 independent) above the frame at ``quantile``. The dips of a signal present in
    every frame (a packet's gaps, shorter than a frame) each fall at their own level.
    """
    means = np.asarray(means)
    n = len(means)
    if n < 2:
        return False
    k = int(quantile * (n - 1))
    j = max(k, int(NOISE_FRAMES_SHARE * (n - 1)))
    ordered = np.partition(means, (k, j))
    sigma = 1.0 / np.sqrt(max(1.0, n_central * 2.0 / 3.0))
    spread = max(10 ** (NOISE_FRAMES_SPREAD_DB / 10), 1.0 + 4.0 * sigma)
    return float(ordered[j]) <= float(ordered[k]) * spread


def chunk_quiet(means: np.ndarray, n_central: int, window_power: np.ndarray, nfft: int) -> float:
    """A chunk's quiet level: the spectral one (:func:`quiet_from_means` of its ``means``), or the one
    read in time (:func:`quiet_in_time` of its ``window_power``) where that is
    :data:`TIME_QUIET_MARGIN_DB` lower and the quietest frames are no noise
    (:func:`quiet_frames_are_noise`): a signal in every frame. Stretches far below the noise
    between frames are then no noise either (a receiver's blanked samples), and are ignored."""
    spectral = quiet_from_means(means, n_central)
    if quiet_frames_are_noise(means, n_central):
        return spectral
    in_time = quiet_in_time(window_power, nfft)
    return in_time if in_time < spectral * 10 ** (-TIME_QUIET_MARGIN_DB / 10) else spectral


def bin_medians(power: np.ndarray) -> np.ndarray:
    """Per-bin median over frames divided by ln 2: the mean noise power per bin if the bin is mostly noise.

    ``power``: ``(frames, bins)`` linear power. Returns ``(bins,)`` float32.
    """
    power = np.asarray(power, dtype=np.float32)
    if power.shape[0] == 0:
        raise ValueError("bin_medians needs at least one frame")
    n = power.shape[0]
    if n == 1:
        return (power[0] / np.float32(LN2)).astype(np.float32)
    return (_median_rows(_transposed_chunks(power[None])[0]) / np.float32(LN2)).astype(np.float32)


def chunk_bin_medians(power: np.ndarray, chunk: int) -> np.ndarray:
    """:func:`bin_medians` of each run of ``chunk`` frames: ``(frames // chunk, bins)`` float32.

    ``power`` holds a whole number of chunks; one transpose and one partition for all of them.
    """
    power = np.asarray(power, dtype=np.float32)
    k = power.shape[0] // chunk
    if chunk == 1:
        return (power / np.float32(LN2)).astype(np.float32)
    cols = _transposed_chunks(power[: k * chunk].reshape(k, chunk, power.shape[1]))
    return (np.partition(cols, chunk // 2, axis=2)[:, :, chunk // 2] / np.float32(LN2)).astype(np.float32)


#: Values added to each row before transposing (see :func:`_transposed_chunks`).
_ROW_PAD = 8


def _transposed_chunks(chunks: np.ndarray) -> np.ndarray:
    """``(k, frames, bins)`` → C-contiguous ``(k, bins, frames)``, the same values.

    Copied first into rows padded by a few values: read straight from rows
    of a power-of-two length, every column's reads fall into the same few cache
    sets, and the transpose is about 5× slower (512 bins, 128 frames).
    """
    k, n, nb = chunks.shape
    buf = np.empty((k, n, nb + _ROW_PAD), dtype=chunks.dtype)
    buf[:, :, :nb] = chunks
    return np.ascontiguousarray(buf[:, :, :nb].transpose(0, 2, 1))


def history_median(columns: np.ndarray) -> np.ndarray:
    """Per-bin median of a history of :func:`bin_medians` held as columns (``(bins, chunks)``; their order does not matter).

    The same value as :func:`combine_floor` takes from the rows ``(chunks, bins)``.
    """
    if columns.shape[1] == 1:
        return columns[:, 0].copy()
    return _median_rows(columns)


def _median_rows(a: np.ndarray) -> np.ndarray:
    """Median of each row of a C-contiguous 2-D array (the upper median for even lengths).

    One partition over contiguous rows is several times faster than
    ``np.median(axis=0)`` over strided columns; for the chunk lengths used
    here the upper median's bias (< 1/n) is below the estimate's own noise.
    """
    k = a.shape[1] // 2
    return np.partition(a, k, axis=1)[:, k]


def dc_bins(nfft: int, sample_rate_hz: float, dc_halfwidth_hz: float = 10e3) -> np.ndarray:
    """Indices of the FFT-shifted bins within ``dc_halfwidth_hz`` of 0 Hz (always at least the centre ±1)."""
    bin_hz = sample_rate_hz / nfft
    half = max(1, int(np.ceil(dc_halfwidth_hz / bin_hz)))
    centre = nfft // 2
    return np.arange(max(0, centre - half), min(nfft, centre + half + 1))


def combine_floor(
    median_history: np.ndarray,
    dc: np.ndarray | None = None,
    cap_db: float = 1.5,
    low_db: float = -20.0,
    edge_fraction: float = 0.1,
    quiet_history: np.ndarray | None = None,
) -> np.ndarray:
    """Noise floor per bin from a history of :func:`bin_medians` rows (``(chunks, bins)``).

    The per-bin floor is the median over the history; it is capped at
    ``cap_db`` above a reference noise level, and held at least ``low_db``
    relative to it so that a bin never divides by zero. The reference is the
    cross-frequency median of the central bins (``edge_fraction`` of the bins
    at each side are left out, and DC bins ``dc`` are neither used nor
    capped), or, if lower, the lower quartile of ``quiet_history`` (the
    chunks' :func:`quiet_level`). Returns ``(bins,)`` float32.
    """
    hist = np.atleast_2d(np.asarray(median_history, dtype=np.float32))
    per_bin = history_median(np.ascontiguousarray(hist.T))
    return cap_floor(per_bin, dc, cap_db, low_db, edge_fraction, quiet_history)


def cap_floor(
    per_bin: np.ndarray,
    dc: np.ndarray | None = None,
    cap_db: float = 1.5,
    low_db: float = -20.0,
    edge_fraction: float = 0.1,
    quiet_history: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`combine_floor` from the per-bin median over the history (``(bins,)`` float32)."""
    nbins = per_bin.shape[0]
    pool = per_bin[central_bins(nbins, dc, edge_fraction)]
    ref = float(np.partition(pool, len(pool) // 2)[len(pool) // 2])
    if quiet_history is not None and len(quiet_history):
        quiet = sorted(float(q) for q in np.ravel(quiet_history))  # ≤ history_chunks values: no np.quantile overhead
        ref = min(ref, quiet[(len(quiet) - 1) // 4])
    tiny = np.float32(max(ref, 1e-30) * 10 ** (low_db / 10))
    cap = np.full(nbins, ref * 10 ** (cap_db / 10), dtype=np.float32)
    if dc is not None and len(dc):
        cap[dc] = np.inf
    floor = np.minimum(per_bin, cap)
    return np.maximum(floor, tiny).astype(np.float32)


def estimate_floor(
    power: np.ndarray,
    chunk_frames: int = 128,
    history_chunks: int = 16,
    dc: np.ndarray | None = None,
    cap_db: float = 1.5,
    window_power: np.ndarray | None = None,
) -> np.ndarray:
    """Floor for every frame of a whole spectrogram, exactly as the streaming detector computes it.

    Frames are taken in chunks of ``chunk_frames``. Chunk 0 uses its own
    medians; chunk ``k > 0`` uses the medians of the up to ``history_chunks``
    chunks before it (causal, so a streaming detector knows a chunk's floor
    before the chunk arrives). ``window_power`` (:func:`window_powers` of the
    samples) adds the quiet level read in time (:func:`chunk_quiet`), as the
    detector does. Returns ``(frames, bins)`` float32.
    """
    power = np.asarray(power, dtype=np.float32)
    n, nfft = power.shape
    out = np.empty_like(power)
    central = central_bins(nfft, dc)
    meds: list[np.ndarray] = []
    quiet: list[float] = []
    for k, start in enumerate(range(0, n, chunk_frames)):
        stop = min(n, start + chunk_frames)
        med = bin_medians(power[start:stop])
        if window_power is None:
            q = quiet_level(power[start:stop], central)
        else:
            q = chunk_quiet(frame_means(power[start:stop], central), int(np.count_nonzero(central)),
                            window_power[start:stop], nfft)
        if k == 0:
            floor = combine_floor(med[None, :], dc, cap_db, quiet_history=np.array([q]))
        else:
            floor = combine_floor(np.stack(meds[-history_chunks:]), dc, cap_db,
                                  quiet_history=np.array(quiet[-history_chunks:]))
        out[start:stop] = floor
        meds.append(med)
        quiet.append(q)
    return out
