"""A burst's on-air time measured on its baseband envelope, to the sample rather than to the frame.

The detector resolves time in spectrogram frames (about 100 µs at RTL-SDR
rates, 25.6 µs at 20 MS/s), too coarse to tell packets whose air times are
a few percent apart. Link layers fix their packet air times exactly, and
that is a signature:

- ExpressLRS 2.4 GHz FLRC packets last 389 µs, every packet (ExpressLRS
  ``src/src/common.cpp``, ``RADIO_SX128X`` air-rate table);
- Bluetooth BR packets are 68/126/366/1622/2870 µs by type and LE 1M
  advertising PDUs 80–376 µs (Bluetooth Core Specification v5.3, Vol 2 Part B
  §6.5–6.7, Vol 6 Part B §2.1);
- the other links' air times are in their modules under
  :mod:`rfclassify.signatures`.

Method: the envelope power ``|x|²`` is smoothed over about 1 µs; the noise
level is taken outside the detection's span (the detector's margins) as the
first quartile of 25 µs block means, so that neighbouring pulses there do
not count as noise; the burst level is the median inside the span. Within
the span widened by half its length on each side (the detection's frame
edges may cut or pad the packet by up to a frame), the air time is the interval that
maximises the summed excess of the power over the midpoint of the two
levels (the maximum-sum subarray): a noise peak beside the packet cannot
stretch it unless it outweighs the quiet samples in between, where a plain
threshold would be stretched by any one peak. Pure function: complex64
baseband in, seconds out.
"""

from __future__ import annotations

import numpy as np

# np.percentile and np.median by the same partition, bit-identical: their wrappers cost as much as the work here.
from rfclassify.features.order_stats import median, percentile

#: Smoothing of the envelope power before the threshold, seconds.
SMOOTH_S = 1e-6
#: Block length of the noise level estimate outside the span, seconds (at least 8 samples).
NOISE_BLOCK_S = 25e-6


def _noise_level(p: np.ndarray, block: int) -> float | None:
    """Mean power of the quieter blocks of ``p`` (the first quartile of block means); ``None`` if too short.

    The margins beside a packet may hold its neighbours (an OOK pulse train
    leaves gaps of a few hundred µs): their median would be the pulses'
    level, the quiet blocks between them are the noise.
    """
    nb = len(p) // block
    if nb < 2:
        return None
    means = p[: nb * block].reshape(nb, block).mean(axis=1)
    return percentile(means, 25)


def airtime_s(
    iq: np.ndarray,
    fs_hz: float,
    span: tuple[int, int],
    smooth_s: float = SMOOTH_S,
) -> float:
    """On-air time (s) of the burst whose detection covers samples ``span = (a, b)`` of ``iq``.

    Returns 0.0 when the burst does not rise above the noise level estimate
    (or the snippet is too short to tell).
    """
    n = len(iq)
    a, b = max(0, int(span[0])), min(n, int(span[1]))
    if b - a < 4:
        return 0.0
    p = iq.real.astype(np.float32) ** 2 + iq.imag.astype(np.float32) ** 2
    m = max(1, round(fs_hz * smooth_s))
    if m > 1:
        c = np.concatenate(([0.0], np.cumsum(p, dtype=np.float64)))
        p = ((c[m:] - c[:-m]) / m).astype(np.float32)  # p[k] averages samples k … k+m−1
    inside = p[a : max(a + 1, b - m + 1)]
    if len(inside) == 0:  # the span lies in the last m − 1 samples: too short to tell
        return 0.0
    noise = _noise_level(np.concatenate((p[: max(0, a - m)], p[b:])), max(8, round(fs_hz * NOISE_BLOCK_S)))
    if noise is None:
        noise = percentile(p, 5)
    level = median(inside)
    if not level > 1.5 * noise > 0.0:
        return 0.0
    guard = (b - a) // 2
    lo, hi = max(0, a - guard), min(len(p), b + guard)
    # The interval [s, t] maximising Σ (p − midpoint): every sample inside counts for the burst by how
    # far it is above the midpoint of noise and burst level, every one outside against it, so noise
    # peaks beside the burst cannot stretch it unless they outweigh the quiet samples between.
    score = p[lo:hi].astype(np.float64) - 0.5 * (level + noise)
    c = np.concatenate(([0.0], np.cumsum(score)))
    t = int(np.argmax(c[1:] - np.minimum.accumulate(c[:-1])))
    s = int(np.argmin(c[: t + 1]))
    return float((t + 1 - s) / fs_hz)  # the smoothing shifts both edges by m/2: no bias
