"""Channel and receiver impairments as pure functions of samples and a seeded generator.

Everything here takes complex baseband and returns new complex64 samples; any
randomness comes from the ``numpy.random.Generator`` passed in, so a scene is
reproducible from its seed. Models and their public sources:

- AWGN: circularly-symmetric complex Gaussian noise, total power ``power``
  (half in I, half in Q).
- Oscillator error: a crystal ``ppm`` off nominal shifts a carrier synthesised
  from it by ``ppm·1e-6·f_rf`` (the RTL-SDR's R820T/RTL2832 reference is
  typically within ±30 ppm before correction, hence the ``-p`` option of
  ``rtl_sdr`` / ``rtl_test -p``; osmocom rtl-sdr documentation).
- Phase noise: free-running oscillator as a Wiener process (random-walk
  phase), whose Lorentzian spectrum has a 3 dB full linewidth ``Δf`` and whose
  phase-increment variance per sample is ``2π·Δf/fs`` (Demir, Mehrotra &
  Roychowdhury, IEEE TCAS-I 47(5), 2000; the usual 1/f² model).
- Multipath: a tapped delay line with a line-of-sight tap and Rayleigh
  diffuse taps of exponentially decaying power; the Rician K-factor is the
  LOS-to-diffuse power ratio (Rappaport, *Wireless Communications*, §5.6).
  Taps are constant over one burst (block fading: bursts are milliseconds,
  coherence times at walking/drone speeds are tens of ms at UHF).
- IQ imbalance: the quadrature branch has gain ``g`` and phase error ``φ``
  relative to I: ``y = I + j·g·(sin φ·I + cos φ·Q)`` — the mirror-image
  model used in receiver-calibration literature (e.g. Tarighat, Bagheri &
  Sayed, IEEE TSP 53(8), 2005).
- DC offset: a complex constant added after gain (LO leakage / ADC offset;
  the centre spike every zero-IF RTL-SDR capture shows).
- AGC: one gain per recording that brings the total RMS to a target fraction
  of full scale; the ADC then rounds and clips (8-bit for RTL2832U ``cu8``,
  8-bit signed for HackRF ``cs8``), via :func:`rfclassify.sources.datatypes.encode`.
"""

from __future__ import annotations

import numpy as np

from rfclassify.sources.datatypes import datatype as _datatype
from rfclassify.sources.datatypes import decode, encode


def awgn(num_samples: int, rng: np.random.Generator, power: float = 1.0) -> np.ndarray:
    """Complex white Gaussian noise of mean power ``power`` (complex64, ``num_samples`` long)."""
    scale = np.float32(np.sqrt(power / 2.0))
    out = rng.standard_normal(2 * num_samples, dtype=np.float32)
    out *= scale
    return out.view(np.complex64)


def ppm_offset_hz(ppm: float, rf_hz: float) -> float:
    """Frequency error of a carrier at ``rf_hz`` synthesised from a reference ``ppm`` off: ``ppm·1e-6·rf``."""
    return ppm * 1e-6 * rf_hz


def phase_noise(
    num_samples: int, sample_rate_hz: float, linewidth_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """Unit-magnitude phasor ``exp(jφ[n])`` of a Wiener phase process with 3 dB linewidth ``linewidth_hz``.

    The phase starts at a uniformly random value; increments are Gaussian with
    variance ``2π·linewidth/fs``. ``linewidth_hz=0`` gives a constant phasor.
    """
    phi0 = rng.uniform(0, 2 * np.pi)
    if linewidth_hz <= 0:
        return np.full(num_samples, np.exp(1j * phi0), dtype=np.complex64)
    sigma = np.sqrt(2 * np.pi * linewidth_hz / sample_rate_hz)
    phase = phi0 + np.cumsum(rng.standard_normal(num_samples) * sigma)
    return np.exp(1j * phase).astype(np.complex64)


def apply_phase_noise(
    x: np.ndarray, sample_rate_hz: float, linewidth_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """``x`` multiplied by a Wiener phase-noise phasor (see :func:`phase_noise`)."""
    return (x * phase_noise(len(x), sample_rate_hz, linewidth_hz, rng)).astype(np.complex64)


def multipath_taps(
    rng: np.random.Generator,
    k_factor_db: float = 6.0,
    num_taps: int = 3,
    decay_taps: float = 1.0,
) -> np.ndarray:
    """Complex taps (sample-spaced) of a Rician channel with unit expected power.

    Tap 0 holds the line-of-sight component (power ``K/(K+1)``, random phase)
    plus a Rayleigh part; taps 1… are Rayleigh with power decaying as
    ``exp(-k/decay_taps)``. The diffuse powers sum to ``1/(K+1)``.
    ``k_factor_db=inf`` is a pure LOS channel.
    """
    if num_taps < 1:
        raise ValueError("num_taps must be at least 1")
    k_lin = np.inf if np.isinf(k_factor_db) else 10 ** (k_factor_db / 10)
    los_power = 1.0 if np.isinf(k_lin) else k_lin / (k_lin + 1)
    diffuse_power = 1.0 - los_power
    profile = np.exp(-np.arange(num_taps) / max(decay_taps, 1e-9))
    profile *= diffuse_power / profile.sum()
    diffuse = (rng.standard_normal(num_taps) + 1j * rng.standard_normal(num_taps)) * np.sqrt(profile / 2)
    taps = diffuse.astype(np.complex128)
    taps[0] += np.sqrt(los_power) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    return taps


def apply_multipath(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Convolve ``x`` with sample-spaced ``taps``; the output keeps ``len(x)`` samples (tail dropped)."""
    if len(taps) == 1:
        return (x * taps[0]).astype(np.complex64)
    return np.convolve(x, taps)[: len(x)].astype(np.complex64)


def iq_imbalance(x: np.ndarray, gain_db: float = 0.0, phase_deg: float = 0.0) -> np.ndarray:
    """Quadrature branch with relative gain ``gain_db`` and phase error ``phase_deg`` (image leakage).

    ``y = I + j·g·(sin φ·I + cos φ·Q)``; ``gain_db = phase_deg = 0`` returns ``x``.
    The image rejection of the result is about ``10·log10(4/(g-1)²+φ²)`` dB for small errors.
    """
    if gain_db == 0 and phase_deg == 0:
        return np.asarray(x, dtype=np.complex64)
    g = 10 ** (gain_db / 20)
    phi = np.deg2rad(phase_deg)
    x = np.asarray(x, dtype=np.complex64)
    out = np.empty_like(x)
    # In float32 throughout: float64 temporaries of a 10 M-sample recording cost more than the rest
    # of the receiver model.
    out.real = x.real
    out.imag = np.float32(g * np.sin(phi)) * x.real + np.float32(g * np.cos(phi)) * x.imag
    return out


def dc_offset(x: np.ndarray, offset: complex) -> np.ndarray:
    """``x`` plus a constant complex DC offset (the centre spike of a zero-IF receiver)."""
    return np.add(x, np.complex64(offset), dtype=np.complex64)


def agc_gain(x: np.ndarray, target_rms: float) -> float:
    """Linear amplitude gain that brings the RMS of ``x`` to ``target_rms`` (1.0 for silence)."""
    if not len(x):
        return 1.0
    parts = np.ascontiguousarray(x, dtype=np.complex64).view(np.float32)
    rms = float(np.sqrt(2.0 * np.mean(np.square(parts), dtype=np.float64)))
    return 1.0 if rms <= 0 else target_rms / rms


def agc_scale(x: np.ndarray, target_rms: float) -> tuple[np.ndarray, float]:
    """Scale ``x`` to RMS ``target_rms`` (full scale = 1); returns ``(scaled, gain)``."""
    gain = agc_gain(x, target_rms)
    return np.multiply(x, np.float32(gain), dtype=np.complex64), gain


def quantize(x: np.ndarray, datatype: str) -> np.ndarray:
    """What an ADC of ``datatype`` records: round to its grid and clip at full scale (±1), as complex64.

    ``cu8`` (RTL-SDR) and ``ci8`` (HackRF ``cs8``) have 8-bit components;
    ``cf32_le`` returns ``x`` as complex64 unchanged.
    """
    dtype = _datatype(datatype)
    if dtype.name == "cf32_le":
        return np.asarray(x, dtype=np.complex64)
    return decode(encode(x, dtype), dtype).copy()


def quantize_cu8(x: np.ndarray) -> np.ndarray:
    """RTL-SDR 8-bit unsigned ADC: :func:`quantize` with ``cu8``."""
    return quantize(x, "cu8")


def quantize_ci8(x: np.ndarray) -> np.ndarray:
    """HackRF 8-bit signed ADC: :func:`quantize` with ``ci8``."""
    return quantize(x, "ci8")


def clipped_fraction(x: np.ndarray, full_scale: float = 127 / 128) -> float:
    """Share of samples whose I or Q is at full scale (a recording-quality check).

    The default threshold is the largest positive ``ci8`` level, so it counts
    clipped samples of both 8-bit types (``cu8`` tops out at exactly ±1).
    """
    if len(x) == 0:
        return 0.0
    return float(np.mean((np.abs(x.real) >= full_scale) | (np.abs(x.imag) >= full_scale)))
