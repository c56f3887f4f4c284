"""LTE primary synchronisation signal (PSS) in a burst: what tells a cellular downlink from an LTE-like drone link.

An LTE downlink (3GPP TS 36.211) and DJI OcuSync share their numerology
(15 kHz subcarriers, 66.7 µs symbols, the same cyclic prefixes), so the CP
features cannot tell them apart. Every LTE cell, whatever its bandwidth,
sends its PSS twice per 10 ms frame (every 5 ms: FDD in the last symbol of
slots 0 and 10, TDD in the third symbol of subframes 1 and 6), always on the
62 subcarriers around the carrier's DC (TS 36.211 §6.11.1.2): a length-63
Zadoff-Chu sequence with root 25, 29 or 34 (the cell's N_ID^(2) = 0, 1, 2,
Table 6.11.1.1-1), its middle element punctured for DC:

    d(n) = exp(−jπ·u·n(n+1)/63),       n = 0 … 30   (subcarriers −31 … −1)
    d(n) = exp(−jπ·u·(n+1)(n+2)/63),   n = 31 … 61  (subcarriers +1 … +31)

OcuSync's public sync symbols are other sequences (DroneID: length-601 ZC
roots 600 and 147, :mod:`rfclassify.signatures.dji_ocusync`), its video
frames carry no PSS.

Method (:func:`lte_pss_features`): the burst's spectrum is re-centred on
the midpoint of its edges (an LTE carrier is symmetric about its DC;
the detection's centre is only as fine as its spectrogram bins), cut to the
central 1.92 MHz (the 128-point FFT rate of LTE, so one PSS symbol is
128 samples) and correlated with the three PSS waveforms at three frequency
offsets (−7.5, 0, +7.5 kHz: with the re-centring, the residual offset costs
at most 1 dB of correlation). The correlation is normalised by the local
energy, so it is the share of a 128-sample window's energy that the PSS
explains: about half for an LTE downlink (the PSS symbol also carries data
outside the 72 central subcarriers), ~ln(N)/128 for the best of N windows of
noise or non-LTE OFDM.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft as _sfft

from rfclassify.dsp.modulation import lte_pss

#: The three LTE PSS sequences, by N_ID^(2) (:func:`rfclassify.dsp.modulation.lte_pss`).
N_ID2_VALUES: tuple[int, ...] = (0, 1, 2)
#: LTE subcarrier spacing, Hz (TS 36.211 §6.12).
LTE_SCS_HZ = 15e3
#: Rate at which the PSS is searched: 128 subcarrier spacings (the 1.4 MHz carrier's FFT rate), samples/s.
PSS_RATE_HZ = 128 * LTE_SCS_HZ
#: Samples of one PSS symbol (without its CP) at :data:`PSS_RATE_HZ`.
PSS_SAMPLES = 128
#: Residual frequency offsets searched, Hz (half a subcarrier either side).
PSS_OFFSETS_HZ: tuple[float, ...] = (-7.5e3, 0.0, 7.5e3)
#: Longest span searched, s: one PSS period (5 ms) and a symbol, so a downlink at least that long shows a
#: PSS wherever the span starts; bounds the cost.
PSS_MAX_SPAN_S = 5.2e-3
#: Shortest span searched, s: a PSS always follows a whole downlink subframe (FDD: a continuous carrier;
#: TDD: DwPTS right after subframe 0 or 5, TS 36.211 Table 4.2-2), so shorter bursts (most Wi-Fi
#: packets, every RC packet) cannot be LTE downlinks with a PSS and are not searched.
PSS_MIN_SPAN_S = 1e-3
#: Narrowest burst searched, Hz: the 62 PSS subcarriers (an LTE carrier is at least 1.08 MHz wide).
PSS_MIN_BANDWIDTH_HZ = 0.9e6


def pss_subcarriers() -> np.ndarray:
    """Subcarrier index (multiples of 15 kHz from the carrier's DC) of each d(n): −31 … −1, +1 … +31."""
    n = np.arange(62)
    return np.where(n < 31, n - 31, n - 30)


def pss_waveform(n_id2: int, offset_hz: float = 0.0) -> np.ndarray:
    """One PSS symbol (no CP) at :data:`PSS_RATE_HZ`: :data:`PSS_SAMPLES` complex128 samples of unit energy,
    shifted by ``offset_hz``."""
    grid = np.zeros(PSS_SAMPLES, dtype=np.complex128)
    grid[pss_subcarriers() % PSS_SAMPLES] = lte_pss(n_id2)
    w = np.fft.ifft(grid)
    w *= np.exp(2j * np.pi * offset_hz * np.arange(PSS_SAMPLES) / PSS_RATE_HZ)
    return w / np.linalg.norm(w)


@lru_cache(maxsize=32)
def _reference_spectra(m: int) -> np.ndarray:
    """Conjugate FFTs (``m`` points, complex64) of every PSS waveform (root × offset), rows in that order: ``(9, m)``."""
    refs = np.zeros((len(N_ID2_VALUES) * len(PSS_OFFSETS_HZ), m), dtype=np.complex128)
    for i, (n_id2, off) in enumerate((r, o) for r in N_ID2_VALUES for o in PSS_OFFSETS_HZ):
        refs[i, :PSS_SAMPLES] = pss_waveform(n_id2, off)
    spec = np.conj(_sfft.fft(refs, axis=1)).astype(np.complex64)
    spec.setflags(write=False)
    return spec


def _carrier_centre_bin(spec_power: np.ndarray, smooth: int) -> float:
    """Midpoint (signed FFT bin) of a carrier's edges in a power spectrum in FFT order (bin 0 = 0 Hz); 0 if none stands out.

    The spectrum is smoothed over ``smooth`` bins; an edge is where it
    crosses the geometric mean of its floor (2nd percentile: an 18 MHz
    carrier at 19.2 MS/s leaves only a few percent of the band to the noise)
    and its top (90th percentile): halfway in dB, so neither the noise beside
    the carrier nor the load on its resource blocks moves the edges much. A
    spectrum whose top is within 6 dB of its floor (a carrier filling the
    band, or noise) is left where it is.
    """
    n = len(spec_power)
    p = np.fft.fftshift(spec_power)
    if smooth > 1:
        c = np.concatenate(([0.0], np.cumsum(p)))
        p = (c[smooth:] - c[:-smooth]) / smooth
    lo, hi = np.percentile(p, [2, 90])
    if not hi > 4 * lo:
        return 0.0
    above = np.flatnonzero(p >= np.sqrt(lo * hi))
    mid = 0.5 * (above[0] + above[-1]) + 0.5 * (smooth - 1)
    return float(mid - n // 2)


#: Candidate padded lengths tried for an exact rate match before taking the closest (bounds the search:
#: for some sample rates no pair of fast lengths has exactly the ratio PSS_RATE_HZ / fs_hz).
_FFT_LENGTH_TRIES = 64


@lru_cache(maxsize=256)
def _fft_lengths(n_span: int, fs_hz: float) -> tuple[int, int]:
    """``(n, m)``: FFT lengths, both fast (5-smooth), of a span of ``n_span`` samples at ``fs_hz`` zero-padded to
    ``n`` and of its central ``m ≈ n·PSS_RATE_HZ/fs_hz`` bins.

    Prefers ``m = round(n·PSS_RATE_HZ/fs_hz)`` (a sample rate within 0.5/m of PSS_RATE_HZ); where none of
    the first :data:`_FFT_LENGTH_TRIES` padded lengths gives a fast ``m``, takes the pair whose rate is
    closest. The padding's windows have no energy and are left out of the correlation. A span of at
    least :data:`PSS_MIN_SPAN_S` makes m at least 1920.
    """
    ratio = PSS_RATE_HZ / fs_hz
    n = _sfft.next_fast_len(n_span)
    best: tuple[float, int, int] | None = None
    for _ in range(_FFT_LENGTH_TRIES):
        m = round(n * ratio)
        if _sfft.next_fast_len(m) == m:
            return n, m
        m_fast = _sfft.next_fast_len(m)
        error = abs(m_fast / (n * ratio) - 1.0)
        if best is None or error < best[0]:
            best = (error, n, m_fast)
        n = _sfft.next_fast_len(n + 1)
    assert best is not None
    return best[1], best[2]


def lte_pss_features(iq: np.ndarray, fs_hz: float, span: tuple[int, int], bandwidth_hz: float) -> dict[str, float]:
    """LTE PSS evidence in the burst whose detection covers samples ``span = (a, b)`` of baseband ``iq`` at ``fs_hz``.

    Returns ``lte_pss_corr`` (the best normalised correlation with an LTE PSS,
    0–1: the share of a 128-sample window's energy the PSS explains) and
    ``lte_pss_db`` (that best correlation over the median correlation of the
    span, dB). Both are 0 when the span is shorter than
    :data:`PSS_MIN_SPAN_S`, the detection narrower than
    :data:`PSS_MIN_BANDWIDTH_HZ` or the baseband rate too low to hold the
    PSS band. At most :data:`PSS_MAX_SPAN_S` from the span's start is searched.
    """
    out = {"lte_pss_corr": 0.0, "lte_pss_db": 0.0}
    a, b = max(0, int(span[0])), min(len(iq), int(span[1]))
    b = min(b, a + round(PSS_MAX_SPAN_S * fs_hz))
    n = b - a
    if n < PSS_MIN_SPAN_S * fs_hz or bandwidth_hz < PSS_MIN_BANDWIDTH_HZ or fs_hz < 63 * LTE_SCS_HZ:
        return out
    n, m = _fft_lengths(n, fs_hz)
    spec = _sfft.fft(np.asarray(iq[a:b], dtype=np.complex64), n)
    # Re-centre on the carrier: the midpoint of its edges, from the power spectrum smoothed over ~30 kHz.
    df = fs_hz / n
    power = np.square(spec.real, dtype=np.float64) + np.square(spec.imag, dtype=np.float64)
    shift = round(_carrier_centre_bin(power, max(1, round(30e3 / df))))
    # The central PSS_RATE_HZ of the re-centred spectrum: an m-point FFT of the signal at ≈ PSS_RATE_HZ.
    half = min(m, n) // 2
    k = np.arange(-half, min(m, n) - half)
    xd_spec = np.zeros(m, dtype=np.complex64)
    xd_spec[k % m] = spec[(k + shift) % n]
    xd = _sfft.ifft(xd_spec)
    # Window energy of every 128-sample start (the PSS waveforms have unit energy).
    e = np.concatenate(([0.0], np.cumsum(np.square(xd.real, dtype=np.float64) + np.square(xd.imag, dtype=np.float64))))
    windows = m - PSS_SAMPLES + 1
    energy = e[PSS_SAMPLES : PSS_SAMPLES + windows] - e[:windows]
    num = _sfft.ifft(xd_spec[None, :] * _reference_spectra(m), axis=1)[:, :windows]
    corr = (np.square(num.real, dtype=np.float64) + np.square(num.imag, dtype=np.float64)).max(axis=0) / (energy + 1e-30)
    # Windows of (near) silence say nothing: only those with at least a tenth of the median energy count.
    corr = corr[energy > 0.1 * np.median(energy)]
    if len(corr) == 0:
        return out
    best = float(corr.max())
    out["lte_pss_corr"] = min(best, 1.0)
    out["lte_pss_db"] = float(10 * np.log10(best / (np.median(corr) + 1e-30)))
    return out
