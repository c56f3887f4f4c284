"""Frame periodicity of a long emission's power envelope: the frame timing a standard imposes.

Link layers repeat their structure at fixed periods, and the period says
which standard it is: LTE 0.5 ms slots, 1 ms subframes, PSS/SSS every 5 ms
and 10 ms frames (3GPP TS 36.211 §4, §6.11); GSM 4.615 ms TDMA frames
(3GPP TS 45.002 §4.3); DECT 10 ms frames (ETSI EN 300 175-2 §4); TDD
switching patterns (LTE TS 36.211 Table 4.2-2, 5 or 10 ms); NR SSB bursts
every 20 ms by default (TS 38.213 §4.1). The power envelope is averaged
over :data:`ENVELOPE_BLOCK_S` blocks (far longer than any symbol, so
modulation averages out and frame structure stays), and its normalised
autocorrelation is searched for the strongest lag between
:data:`PERIOD_MIN_S` and :data:`PERIOD_MAX_S` (at most half the span, so at
least two periods are seen). A signal of constant power (a fully loaded
carrier, a continuous video burst of random data) has no such peak.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as _sfft

#: Envelope averaging block, s (LTE symbols are 71 µs; 50 µs blocks resolve 0.5 ms slots to 10 blocks).
ENVELOPE_BLOCK_S = 50e-6
#: Most samples per block that its mean power is taken from (evenly spaced).
ENVELOPE_SAMPLES = 64
#: Shortest frame period searched, s.
PERIOD_MIN_S = 0.5e-3
#: Longest frame period searched, s (at most half the analysed span).
PERIOD_MAX_S = 25e-3
#: Most of the span analysed, s: two of the longest periods.
PERIOD_MAX_SPAN_S = 2 * PERIOD_MAX_S
#: A peak of the autocorrelation at least this share of the highest counts as the frame (its shortest wins).
PEAK_NEAR = 0.9


def frame_period_features(iq: np.ndarray, fs_hz: float, span: tuple[int, int]) -> dict[str, float]:
    """Dominant frame period of the burst whose detection covers samples ``span = (a, b)`` of ``iq`` at ``fs_hz``.

    Returns ``frame_period_s`` (the lag, s, of the highest normalised
    autocorrelation of the block-averaged power envelope between
    :data:`PERIOD_MIN_S` and min(:data:`PERIOD_MAX_S`, span / 2); 0 if none
    is positive) and ``frame_period_corr`` (that autocorrelation, 0–1). Both
    are 0 when the span is shorter than two :data:`PERIOD_MIN_S`.
    """
    out = {"frame_period_s": 0.0, "frame_period_corr": 0.0}
    a, b = max(0, int(span[0])), min(len(iq), int(span[1]))
    block = max(1, round(ENVELOPE_BLOCK_S * fs_hz))
    nb = min(b - a, round(PERIOD_MAX_SPAN_S * fs_hz)) // block
    block_s = block / fs_hz
    max_lag = min(int(PERIOD_MAX_S / block_s), nb // 2)
    min_lag = max(1, int(np.ceil(PERIOD_MIN_S / block_s)))
    if max_lag < min_lag:
        return out
    # Every block's mean power from at most ENVELOPE_SAMPLES samples spread over it: a wideband
    # signal's samples decorrelate within 1/bandwidth, and frame structure lives in the block means.
    x = iq[a : a + nb * block].reshape(nb, block)[:, :: max(1, block // ENVELOPE_SAMPLES)]
    env = (np.square(x.real, dtype=np.float64) + np.square(x.imag, dtype=np.float64)).mean(axis=1)
    env -= env.mean()
    var = float(env @ env)
    if var <= 0.0:
        return out
    nfft = _sfft.next_fast_len(2 * nb)
    s = _sfft.rfft(env, nfft)
    hi = min(max_lag + 1, nb - 1)  # one lag past the range, to see whether its last lag is a peak
    acf = _sfft.irfft(s.real**2 + s.imag**2, nfft)[: hi + 1]
    # Unbiased: each lag's sum has nb − lag terms; a normalised value of 1 is a perfect repetition.
    lags = np.arange(min_lag - 1, hi + 1)
    r = acf[min_lag - 1 : hi + 1] / (nb - lags) / (var / nb)
    # Peaks only (a slowly varying envelope correlates at every short lag), and of the peaks nearly as
    # high as the highest the shortest: the frame, not a multiple of it.
    inner = r[1 : max_lag - min_lag + 2]
    peak = (inner >= r[: len(inner)]) & (inner >= np.append(r[2:], -np.inf)[: len(inner)]) & (inner > 0.0)
    if not peak.any():
        return out
    top = float(inner[peak].max())
    k = int(np.flatnonzero(peak & (inner >= PEAK_NEAR * top))[0])
    out["frame_period_s"] = float(lags[k + 1] * block_s)
    out["frame_period_corr"] = float(min(inner[k], 1.0))
    return out
