"""Bearing from one receiver behind a rotating or switched directional antenna.

The antenna points at a known azimuth per segment of the recording; an
emitter's received power rises and falls with the antenna's power pattern
``G(azimuth − θ)``. Fitting ``P(az) = A·G(az − θ) + B`` (peak power ``A``,
floor ``B`` = noise plus back lobes) by least squares gives ``θ`` and, from
the Jacobian at the optimum, its standard deviation (the usual Gauss–Newton
covariance ``s²(JᵀJ)⁻¹``, Nocedal & Wright, *Numerical Optimization*, §10.3).
The fit runs on powers in dB, because the spread of a power estimate grows
with its mean.

Azimuths follow the array convention of :mod:`rfclassify.bearing.geometry`
(degrees counter-clockwise from the reference axis, the direction the main
lobe points). They come from either:

- SigMF captures: each capture segment carries the key :data:`AZIMUTH_KEY`
  (``"rfclassify:azimuth_deg"``, a number in degrees) — the antenna points
  there from that capture's ``core:sample_start`` until the next capture;
- a side CSV: lines ``time_s,azimuth_deg`` (a header line is allowed; ``#``
  starts a comment): the antenna points at ``azimuth_deg`` from ``time_s``
  (seconds from the recording's first sample) until the next line.

Pattern models, both parameterised by the half-power beamwidth
``beamwidth_deg`` (where ``G = 0.5``): ``gaussian`` ``exp(−4·ln2·(Δ/bw)²)``, a
common main-lobe approximation (Balanis, *Antenna Theory*, 4th ed., §2.5),
and ``cos`` ``cosⁿ(Δ)`` for ``|Δ| < 90°`` (0 behind) with ``n`` chosen so
that ``cosⁿ(bw/2) = 0.5``; ``floor_db`` limits either from below (side/back lobes).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from rfclassify.errors import InputError

AZIMUTH_KEY = "rfclassify:azimuth_deg"
PATTERNS = ("gaussian", "cos")


def wrap_deg(angle_deg: np.ndarray | float) -> np.ndarray | float:
    """Wrap angles to ``[-180, 180)`` degrees."""
    return (np.asarray(angle_deg) + 180.0) % 360.0 - 180.0


def pattern_gain(
    offset_deg: np.ndarray | float, beamwidth_deg: float, model: str = "gaussian", floor_db: float | None = -25.0
) -> np.ndarray:
    """Power gain (linear, peak 1) of the antenna ``offset_deg`` off boresight.

    ``beamwidth_deg`` is the half-power (−3 dB) full width; ``floor_db``
    (``None`` for none) is the lowest gain, standing for side and back lobes.
    """
    if not 0 < beamwidth_deg < 360:
        raise ValueError(f"beamwidth must be in (0, 360) degrees, got {beamwidth_deg}")
    d = np.abs(wrap_deg(offset_deg))
    if model == "gaussian":
        g = np.exp(-4 * np.log(2) * (d / beamwidth_deg) ** 2)
    elif model == "cos":
        half = min(beamwidth_deg / 2, 89.0)
        n = np.log(0.5) / np.log(np.cos(np.radians(half)))
        g = np.where(d < 90.0, np.cos(np.radians(np.minimum(d, 90.0))) ** n, 0.0)
    else:
        raise ValueError(f"pattern must be one of {PATTERNS}, got {model!r}")
    if floor_db is not None:
        g = np.maximum(g, 10 ** (floor_db / 10))
    return np.asarray(g, dtype=np.float64)


@dataclass(frozen=True)
class AzimuthSegment:
    """Samples ``[start, stop)`` recorded with the antenna at ``azimuth_deg``."""

    start: int
    stop: int
    azimuth_deg: float


def segments_from_starts(starts_az: Sequence[tuple[int, float]], num_samples: int) -> list[AzimuthSegment]:
    """Segments from ``(sample_start, azimuth_deg)`` pairs (e.g. SigMF captures), each until the next."""
    pairs = sorted((max(0, int(s)), float(a)) for s, a in starts_az)
    out = []
    for i, (s, a) in enumerate(pairs):
        e = pairs[i + 1][0] if i + 1 < len(pairs) else num_samples
        e = min(e, num_samples)
        if e > s:
            out.append(AzimuthSegment(s, e, a % 360.0))
    return out


def segments_from_captures(captures: Sequence[object], num_samples: int, where: str = "") -> list[AzimuthSegment]:
    """Segments from SigMF captures (:class:`rfclassify.sources.Capture`) carrying :data:`AZIMUTH_KEY`.

    Raises :class:`InputError` when no capture carries the key, or a value is not a number.
    """
    pairs = []
    for cap in captures:
        extra = getattr(cap, "extra", {}) or {}
        if AZIMUTH_KEY in extra:
            try:
                pairs.append((int(cap.sample_start), float(extra[AZIMUTH_KEY])))
            except (TypeError, ValueError):
                raise InputError(where, f"capture {AZIMUTH_KEY} is not a number: {extra[AZIMUTH_KEY]!r}") from None
    if not pairs:
        raise InputError(where, f"no capture carries {AZIMUTH_KEY} (or give a time,azimuth CSV)")
    return segments_from_starts(pairs, num_samples)


def read_azimuth_csv(path: str | Path, sample_rate_hz: float, num_samples: int) -> list[AzimuthSegment]:
    """Segments from a ``time_s,azimuth_deg`` CSV (see module docstring); :class:`InputError` if malformed."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputError(p, f"cannot read azimuth file: {exc.strerror or exc}") from None
    pairs = []
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            t_s, az = float(row[0]), float(row[1])
        except (ValueError, IndexError):
            if lineno == 1 and not pairs:  # a header
                continue
            raise InputError(p, f"line {lineno}: expected 'time_s,azimuth_deg', got {','.join(row)!r}") from None
        pairs.append((round(t_s * sample_rate_hz), az))
    if not pairs:
        raise InputError(p, "no 'time_s,azimuth_deg' lines")
    return segments_from_starts(pairs, num_samples)


def band_power_per_segment(
    samples: np.ndarray,
    sample_rate_hz: float,
    segments: Sequence[AzimuthSegment],
    offset_hz: float,
    bandwidth_hz: float,
    *,
    settle_s: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean power of one emitter's band in each segment: ``(azimuth_deg, power)`` arrays.

    The band ``offset_hz ± bandwidth_hz/2`` is extracted by
    :func:`rfclassify.bearing.channelize.channelize`, leaving ``settle_s`` at
    each segment start for the antenna or switch to settle. A bursty
    emitter's duty cycle scales every point alike, so it only changes ``A``.
    """
    from rfclassify.bearing.channelize import channelize

    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"a rotating-antenna recording has one channel, got shape {x.shape}")
    az, pw = [], []
    for seg in segments:
        t0 = seg.start / sample_rate_hz + settle_s
        t1 = seg.stop / sample_rate_hz
        if t1 <= t0:
            continue
        band = channelize(x, sample_rate_hz, offset_hz, bandwidth_hz, [(t0, t1)])
        if len(band.samples) == 0:
            continue
        az.append(seg.azimuth_deg)
        pw.append(float(np.mean(np.abs(band.samples) ** 2)))
    return np.asarray(az), np.asarray(pw)


@dataclass(frozen=True)
class PatternFit:
    """Result of :func:`fit_pattern`: bearing and its 1-σ, peak and floor power, residual (dB)."""

    bearing_deg: float
    bearing_std_deg: float
    peak_power: float
    floor_power: float
    rms_residual_db: float
    n_points: int
    beamwidth_deg: float = 60.0
    model: str = "gaussian"

    @property
    def snr_db(self) -> float:
        """Peak-over-floor ratio in dB."""
        return float(10 * np.log10(max(self.peak_power, 1e-300) / max(self.floor_power, 1e-300)))


def fit_pattern(
    azimuth_deg: np.ndarray,
    power: np.ndarray,
    beamwidth_deg: float,
    model: str = "gaussian",
) -> PatternFit:
    """Least-squares fit of ``A·G(az − θ) + B`` to ``power`` (linear) in dB; see module docstring.

    Starts from the best ``θ`` on a 1° grid (with ``A``, ``B`` solved linearly
    there), then refines all three. Needs at least 4 distinct azimuths.
    """
    az = np.asarray(azimuth_deg, dtype=np.float64)
    pw = np.asarray(power, dtype=np.float64)
    if az.shape != pw.shape or az.ndim != 1:
        raise ValueError("azimuth and power must be 1-D arrays of the same length")
    keep = np.isfinite(pw) & (pw > 0)
    az, pw = az[keep], pw[keep]
    if len(np.unique(np.round(az % 360.0, 6))) < 4:
        raise ValueError("need power at 4 or more distinct azimuths to fit a pattern")
    target_db = 10 * np.log10(pw)

    def linear_ab(theta: float) -> tuple[float, float]:
        g = pattern_gain(az - theta, beamwidth_deg, model, None)
        design = np.column_stack((g, np.ones_like(g)))
        (a, b), *_ = np.linalg.lstsq(design, pw, rcond=None)
        return max(a, 1e-12 * pw.max()), max(b, 1e-6 * pw.min())

    def residual(params: np.ndarray) -> np.ndarray:
        theta, log_a, log_b = params
        model_pw = np.exp(log_a) * pattern_gain(az - theta, beamwidth_deg, model, None) + np.exp(log_b)
        return 10 * np.log10(model_pw) - target_db

    best = None
    for theta in np.arange(0.0, 360.0, 1.0):
        a, b = linear_ab(theta)
        cost = float(np.sum(residual(np.array([theta, np.log(a), np.log(b)])) ** 2))
        if best is None or cost < best[0]:
            best = (cost, theta, a, b)
    assert best is not None
    _, theta0, a0, b0 = best
    sol = least_squares(residual, np.array([theta0, np.log(a0), np.log(b0)]), method="lm")
    theta, log_a, log_b = sol.x
    res = sol.fun
    dof = max(1, len(res) - 3)
    s2 = float(np.sum(res**2) / dof)
    try:
        cov = s2 * np.linalg.inv(sol.jac.T @ sol.jac)
        std = float(np.sqrt(max(cov[0, 0], 0.0)))
    except np.linalg.LinAlgError:
        std = float("inf")
    return PatternFit(
        bearing_deg=float(theta % 360.0),
        bearing_std_deg=std,
        peak_power=float(np.exp(log_a)),
        floor_power=float(np.exp(log_b)),
        rms_residual_db=float(np.sqrt(np.mean(res**2))),
        n_points=len(az),
        beamwidth_deg=float(beamwidth_deg),
        model=model,
    )
