"""Frequency shifting and decimation of an IQ snippet: a burst's wideband samples to its own baseband.

Pure functions, complex64 in and out: :func:`mix` (a complex exponential
at a fraction of the sample rate) and :func:`baseband` (shift, ideal
low-pass and integer decimation in one FFT).
"""

from __future__ import annotations

import numpy as np
import scipy.fft as _sfft

#: Block length of :func:`mix`'s factored phasor.
_MIX_BLOCK = 1024


def mix(x: np.ndarray, cycles_per_sample: float) -> np.ndarray:
    """``x[n]·exp(2πj·f·n)`` (complex64) with ``f = cycles_per_sample``; phase 0 at ``n = 0``.

    The phasor is factored as (one block of 1024) × (one value per block): two
    short ``exp`` calls and one multiply per sample instead of an ``exp`` per
    sample; the phase is computed in float64 before rounding to complex64.
    """
    x = np.asarray(x, dtype=np.complex64)
    n = len(x)
    if cycles_per_sample == 0.0 or n == 0:
        return x.copy()
    nb = -(-n // _MIX_BLOCK)
    w = 2 * np.pi * cycles_per_sample
    inner = np.exp(1j * w * np.arange(_MIX_BLOCK)).astype(np.complex64)
    outer = np.exp(1j * w * _MIX_BLOCK * np.arange(nb)).astype(np.complex64)
    y = np.empty(nb * _MIX_BLOCK, dtype=np.complex64)
    y.reshape(nb, _MIX_BLOCK)[:] = outer[:, None] * inner[None, :]
    y = y[:n]
    y *= x
    return y


def baseband(
    x: np.ndarray, fs_hz: float, shift_hz: float, bandwidth_hz: float, oversample: float = 1.5,
    max_decimation: int | None = None,
) -> tuple[np.ndarray, float]:
    """Shift ``x`` down by ``shift_hz``, keep ``fs/D`` of spectrum around it, i.e. decimate by an integer ``D``.

    Returns ``(samples, rate_hz)``; the rate is ``fs_hz / D`` with the
    largest integer ``D`` keeping at least ``oversample × bandwidth_hz``
    (and at most ``max_decimation``).
    With ``D > 1`` done in the frequency domain (one FFT, one smaller inverse
    FFT): an ideal low-pass, exact to within half an FFT bin of shift, and
    cheaper than a long FIR for large ``D``. The snippet is zero-padded to a
    fast FFT length and treated as periodic, which only touches its noise
    margins. With ``D = 1`` there is nothing to filter: the snippet is only
    mixed (:func:`mix`), exactly by ``shift_hz``.
    """
    x = np.asarray(x, dtype=np.complex64)
    dec = max(1, int(fs_hz // max(oversample * bandwidth_hz, 1.0)))
    if max_decimation is not None:
        dec = max(1, min(dec, int(max_decimation)))
    n = len(x)
    if n == 0:
        return x, fs_hz / dec
    if dec == 1:  # nothing to filter away: a plain mix is exact and a fraction of two FFTs' cost
        return mix(x, -shift_hz / fs_hz), fs_hz
    # Zero-pad to dec × a 5-smooth length: an FFT of a length with a large prime factor is ~10× slower.
    n_pad = dec * _sfft.next_fast_len(-(-n // dec))
    spec = _sfft.fft(x, n_pad)
    m = n_pad // dec
    k0 = round(shift_hz / fs_hz * n_pad)
    idx = (k0 + np.concatenate((np.arange(0, (m + 1) // 2), np.arange(-(m // 2), 0)))) % n_pad
    y = _sfft.ifft(spec[idx]) * np.float32(m / n_pad)
    return y[: -(-n // dec)].astype(np.complex64), fs_hz / dec
