"""Narrowband steering vectors, with the sign convention of issue 6.

A plane wave arriving from azimuth ``θ`` — counter-clockwise from the array's
x-axis, pointing *towards the emitter* — reaches the element at position
``p`` with phase ``exp(+j·2π·(p·u(θ))/λ)`` relative to the origin, where
``u(θ) = (cos θ, sin θ)`` and ``λ = c / f_rf`` of that emitter. The element
nearer the emitter receives the wavefront earlier; with a signal
``s(t)·exp(j2πft)`` an earlier arrival by ``τ = p·u/c`` is a phase advance of
``+2πfτ``, hence the plus sign (van Trees, *Optimum Array Processing*, §2.2,
uses the same physics with the opposite direction vector).

The narrowband model holds while the emitter's bandwidth times the array's
transit time is small: a 0.22 m UCA is crossed in 0.73 ns, so a 500 kHz LoRa
signal sees at most 2π·0.5e6·0.73e-9 ≈ 2.3 mrad of phase spread across its band.
"""

from __future__ import annotations

import numpy as np

from rfclassify.bearing.geometry import ArrayGeometry, wavelength_m


def unit_vectors(azimuth_deg: np.ndarray | float) -> np.ndarray:
    """``u(θ) = (cos θ, sin θ)`` for azimuths in degrees; shape ``(..., 2)``."""
    theta = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    return np.stack((np.cos(theta), np.sin(theta)), axis=-1)


def steering_vectors(geometry: ArrayGeometry, azimuth_deg: np.ndarray | float, rf_hz: float) -> np.ndarray:
    """Steering vectors ``a(θ)``: shape ``(M,)`` for a scalar azimuth, ``(K, M)`` for ``K`` azimuths.

    ``a_m(θ) = exp(+j·2π·(p_m·u(θ))/λ)``, unit modulus per element (‖a‖² = M).
    """
    path_m = unit_vectors(azimuth_deg) @ geometry.positions_m.T
    return np.exp(2j * np.pi * path_m / wavelength_m(rf_hz))


def steering_derivatives(
    geometry: ArrayGeometry, azimuth_deg: np.ndarray | float, rf_hz: float
) -> np.ndarray:
    """``da/dθ`` per radian at the given azimuths (same shape as :func:`steering_vectors`).

    Used by the Cramér–Rao bound in :mod:`rfclassify.bearing.doa`.
    """
    theta = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    du = np.stack((-np.sin(theta), np.cos(theta)), axis=-1)
    k = 2 * np.pi / wavelength_m(rf_hz)
    dpath = du @ geometry.positions_m.T
    return 1j * k * dpath * steering_vectors(geometry, azimuth_deg, rf_hz)
