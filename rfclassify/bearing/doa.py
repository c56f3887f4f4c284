"""Direction of arrival from array snapshots: covariance, MUSIC, Bartlett, Capon, bounds.

Pure functions over ``snapshots`` of shape ``(N, M)`` (N time samples of M
channels, already channelized to one emitter's band) and an
:class:`~rfclassify.bearing.geometry.ArrayGeometry`. Steering follows
:mod:`rfclassify.bearing.steering`. Sources:

- Bartlett (delay-and-sum) ``aᴴRa/aᴴa`` and Capon/MVDR ``1/(aᴴR⁻¹a)``:
  Capon, "High-resolution frequency-wavenumber spectrum analysis", Proc. IEEE
  57(8), 1969; van Trees, *Optimum Array Processing*, 2002, ch. 9.
- MUSIC ``aᴴa / (aᴴEₙEₙᴴa)``: Schmidt, "Multiple emitter location and signal
  parameter estimation", IEEE Trans. AP-34(3), 1986.
- Forward-backward averaging ``(R + J R* J)/2`` for arrays symmetric about
  their centroid: Pillai & Kwon, IEEE Trans. ASSP 37(1), 1989. ``J`` is the
  permutation that maps each element to its mirror image (the exchange matrix
  for a ULA); for arrays without one (an odd UCA) it does not apply.
- Source count by MDL or AIC on the covariance eigenvalues: Wax & Kailath,
  "Detection of signals by information theoretic criteria", IEEE Trans.
  ASSP 33(2), 1985.
- ``bearing_std_deg`` is the square root of the stochastic (unconditional)
  Cramér–Rao bound, Stoica & Nehorai, IEEE Trans. ASSP 38(10), 1990, eq. (2.13):
  ``CRB = σ²/2N · {Re[(DᴴP⊥D) ⊙ (PAᴴR⁻¹AP)ᵀ]}⁻¹``.

What the bound is and is not, honestly: it is the smallest variance any
unbiased estimator can reach with *this* array, the *estimated* SNR and N
snapshots, assuming uncorrelated sources, white noise equal on every channel,
a perfectly calibrated array, the narrowband model and independent
snapshots. MUSIC approaches it at high SNR and many snapshots; below the
threshold SNR (a few dB per element for a small array), with residual
calibration error, multipath or coherent sources the real error is larger.
The SNR and source powers that go in are themselves estimated from the
eigenvalues, so the bound is an estimate too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.steering import steering_derivatives, steering_vectors

METHODS = ("music", "bartlett", "capon")
CRITERIA = ("mdl", "aic")


def sample_covariance(
    snapshots: np.ndarray, geometry: ArrayGeometry | None = None, forward_backward: bool | None = None
) -> np.ndarray:
    """Spatial covariance ``R = XᴴX / N`` (``R[i, j] = E[x_i x_j*]``) of ``(N, M)`` snapshots.

    ``forward_backward=None`` applies forward-backward averaging when
    ``geometry`` is centro-symmetric (ULA, even UCA); ``True`` insists on it
    (``ValueError`` if the geometry does not allow it); ``False`` never.
    """
    x = np.asarray(snapshots)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"snapshots must have shape (N, M), got {x.shape}")
    if geometry is not None and x.shape[1] != geometry.num_elements:
        raise ValueError(f"{x.shape[1]} channels for an array of {geometry.num_elements} elements")
    xd = x.astype(np.complex128)
    cov = (xd.T @ xd.conj()) / x.shape[0]
    if forward_backward is False or geometry is None:
        return cov
    perm = geometry.centro_symmetric_permutation()
    if perm is None:
        if forward_backward:
            raise ValueError("forward-backward averaging needs a centro-symmetric array")
        return cov
    return 0.5 * (cov + cov.conj()[np.ix_(perm, perm)])


def _quadratic(steer: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``aₖᴴ·matrix·aₖ`` for each row of ``steer`` (real part)."""
    return np.real(np.einsum("km,mn,kn->k", steer.conj(), matrix, steer))


def bartlett_spectrum(cov: np.ndarray, steer: np.ndarray) -> np.ndarray:
    """Delay-and-sum power ``aᴴRa / aᴴa`` for steering rows ``steer`` of shape ``(K, M)``."""
    norm = np.real(np.sum(steer.conj() * steer, axis=1))
    return _quadratic(steer, cov) / norm


def capon_spectrum(cov: np.ndarray, steer: np.ndarray, loading: float = 1e-3) -> np.ndarray:
    """Capon/MVDR power ``1 / aᴴ(R + δI)⁻¹a``, diagonal loading ``δ = loading·tr(R)/M``."""
    m = cov.shape[0]
    delta = loading * np.real(np.trace(cov)) / m
    inv = np.linalg.inv(cov + delta * np.eye(m))
    return 1.0 / np.maximum(_quadratic(steer, inv), 1e-300)


def music_spectrum(cov: np.ndarray, steer: np.ndarray, n_sources: int) -> np.ndarray:
    """MUSIC pseudo-spectrum ``aᴴa / aᴴEₙEₙᴴa`` with the ``M − n_sources`` smallest eigenvectors."""
    m = cov.shape[0]
    if not 1 <= n_sources < m:
        raise ValueError(f"MUSIC needs 1 <= n_sources < {m}, got {n_sources}")
    _, vecs = np.linalg.eigh(cov)  # ascending
    noise = vecs[:, : m - n_sources]
    proj = noise @ noise.conj().T
    norm = np.real(np.sum(steer.conj() * steer, axis=1))
    return norm / np.maximum(_quadratic(steer, proj), 1e-300)


def estimate_source_count(
    eigenvalues: np.ndarray,
    n_snapshots: int,
    criterion: str = "mdl",
    max_sources: int | None = None,
    min_ratio: float = 2.0,
) -> int:
    """Number of sources by Wax–Kailath MDL (default) or AIC from covariance eigenvalues.

    With tens of thousands of snapshots MDL also "detects" the slight
    inequality of noise power between channels left by an imperfect gain
    calibration; so a source eigenvalue must also exceed the mean of the
    noise eigenvalues by ``min_ratio`` (3 dB: a source at −10 dB per element
    on a 5-element array reaches 1.5). Returns at least 1 (this is called for
    a detected emitter) and at most ``M − 1`` (or ``max_sources``).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    lam = np.sort(np.maximum(np.real(np.asarray(eigenvalues)), 1e-300))[::-1]
    m = len(lam)
    top = m - 1 if max_sources is None else min(m - 1, max_sources)
    scores = []
    for k in range(top + 1):
        tail = lam[k:]
        log_ratio = np.mean(np.log(tail)) - np.log(np.mean(tail))  # log(geometric/arithmetic) <= 0
        likelihood = -n_snapshots * (m - k) * log_ratio
        free = k * (2 * m - k)
        if criterion == "mdl":
            scores.append(likelihood + 0.5 * free * np.log(n_snapshots))
        else:
            scores.append(2 * likelihood + 2 * free)
    k = int(np.argmin(scores))
    while k > 1 and lam[k - 1] < min_ratio * np.mean(lam[k:]):
        k -= 1
    return max(1, k)


def azimuth_grid_deg(geometry: ArrayGeometry, step_deg: float = 1.0) -> np.ndarray:
    """Scan grid: ``[0, 360)`` for planar arrays, ``[α, α+180]`` along a linear array's line ``α``."""
    if geometry.is_linear:
        start = geometry.line_angle_deg
        n = round(180.0 / step_deg)
        return start + np.arange(n + 1) * (180.0 / n)
    n = round(360.0 / step_deg)
    return np.arange(n) * (360.0 / n)


def spectrum(
    cov: np.ndarray,
    geometry: ArrayGeometry,
    rf_hz: float,
    azimuth_deg: np.ndarray,
    method: str = "music",
    n_sources: int = 1,
) -> np.ndarray:
    """DOA spectrum of ``method`` at ``azimuth_deg`` (linear power or pseudo-power)."""
    steer = np.atleast_2d(steering_vectors(geometry, azimuth_deg, rf_hz))
    if method == "music":
        return music_spectrum(cov, steer, n_sources)
    if method == "bartlett":
        return bartlett_spectrum(cov, steer)
    if method == "capon":
        return capon_spectrum(cov, steer)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def find_peaks_deg(values: np.ndarray, grid_deg: np.ndarray, circular: bool, count: int) -> list[int]:
    """Indices of the ``count`` highest local maxima of ``values`` on ``grid_deg``.

    ``circular`` wraps the ends (planar arrays); otherwise an end point is a
    peak when it beats its one neighbour (endfire of a linear array, whose
    spectrum is mirror-symmetric there).
    """
    v = np.asarray(values)
    if circular:
        left, right = np.roll(v, 1), np.roll(v, -1)
    else:
        left = np.concatenate(([v[1]], v[:-1]))
        right = np.concatenate((v[1:], [v[-2]]))
    is_peak = (v >= left) & (v > right)
    idx = np.flatnonzero(is_peak)
    if len(idx) == 0:
        idx = np.array([int(np.argmax(v))])
    order = idx[np.argsort(v[idx])[::-1]]
    return [int(i) for i in order[:count]]


def source_powers(cov: np.ndarray, steer: np.ndarray, noise_power: float) -> np.ndarray:
    """Least-squares powers of sources with steering rows ``steer``: ``diag(A⁺(R − σ²I)A⁺ᴴ)``, ≥ 0."""
    a = steer.T  # (M, K)
    pinv = np.linalg.pinv(a)
    p = np.real(np.diag(pinv @ (cov - noise_power * np.eye(cov.shape[0])) @ pinv.conj().T))
    return np.maximum(p, 0.0)


def crb_std_deg(
    geometry: ArrayGeometry,
    rf_hz: float,
    azimuth_deg: np.ndarray | list[float],
    powers: np.ndarray | list[float],
    noise_power: float,
    n_snapshots: int,
) -> np.ndarray:
    """Square root of the stochastic Cramér–Rao bound per source, in degrees (see module docstring).

    ``powers`` are per-element source powers and ``noise_power`` the noise
    power per channel, in the same units. Infinite where a source has no power.
    """
    az = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
    p = np.atleast_1d(np.asarray(powers, dtype=np.float64))
    if np.any(p <= 0) or noise_power <= 0 or n_snapshots < 1:
        out = np.full(len(az), np.inf)
        if noise_power > 0 and n_snapshots >= 1 and np.any(p > 0):
            keep = p > 0
            out[keep] = crb_std_deg(geometry, rf_hz, az[keep], p[keep], noise_power, n_snapshots)
        return out
    a = np.atleast_2d(steering_vectors(geometry, az, rf_hz)).T  # (M, K)
    d = np.atleast_2d(steering_derivatives(geometry, az, rf_hz)).T
    m = a.shape[0]
    pmat = np.diag(p)
    cov = a @ pmat @ a.conj().T + noise_power * np.eye(m)
    proj_perp = np.eye(m) - a @ np.linalg.pinv(a)
    term1 = d.conj().T @ proj_perp @ d
    term2 = pmat @ a.conj().T @ np.linalg.solve(cov, a) @ pmat
    fim = np.real(term1 * term2.T)
    try:
        crb = noise_power / (2 * n_snapshots) * np.linalg.inv(fim)
    except np.linalg.LinAlgError:
        return np.full(len(az), np.inf)
    return np.degrees(np.sqrt(np.maximum(np.real(np.diag(crb)), 0.0)))


@dataclass(frozen=True)
class DoaResult:
    """The outcome of :func:`estimate_doa` for one emitter's snapshots.

    ``bearings_deg`` lists the sources found, strongest first (``[0]`` is the
    emitter's bearing), with ``bearing_std_deg`` (CRB, degrees) and
    ``powers`` (per element, linear). ``spectrum`` is normalised to a peak of
    1 on ``grid_deg``. ``confidence`` is ``1 − mean/peak`` of the linear
    spectrum (0 for a flat spectrum, → 1 for a single sharp peak) and
    ``peak_to_average_db`` the same ratio in dB. For linear arrays
    ``mirror_deg`` holds the mirror image of each bearing that the array
    cannot tell apart from it; it is empty for planar arrays.
    """

    method: str
    bearings_deg: tuple[float, ...]
    bearing_std_deg: tuple[float, ...]
    powers: tuple[float, ...]
    noise_power: float
    n_sources: int
    n_snapshots: int
    snr_db: float
    confidence: float
    peak_to_average_db: float
    grid_deg: np.ndarray = field(repr=False)
    spectrum: np.ndarray = field(repr=False)
    mirror_deg: tuple[float, ...] = ()

    @property
    def bearing_deg(self) -> float:
        """Bearing of the strongest source, degrees."""
        return self.bearings_deg[0]

    @property
    def mirror_ambiguous(self) -> bool:
        """True for a linear array, whose bearings have a mirror image."""
        return bool(self.mirror_deg)


def _refine(func, centre_deg: float, half_width_deg: float) -> float:
    """Sub-grid maximum of ``func`` (bounded Brent search) within ``centre ± half_width``."""
    res = minimize_scalar(
        lambda t: -float(func(np.array([t]))[0]),
        bounds=(centre_deg - half_width_deg, centre_deg + half_width_deg),
        method="bounded",
        options={"xatol": 1e-3},
    )
    return float(res.x) if res.success else centre_deg


def estimate_doa(
    snapshots: np.ndarray,
    geometry: ArrayGeometry,
    rf_hz: float,
    method: str = "music",
    *,
    n_sources: int | None = None,
    criterion: str = "mdl",
    forward_backward: bool | None = None,
    grid_step_deg: float = 1.0,
) -> DoaResult:
    """Bearings of the sources in ``snapshots`` (shape ``(N, M)``) seen by ``geometry`` at ``rf_hz``.

    ``method`` is ``music`` (default), ``bartlett`` or ``capon``;
    ``n_sources=None`` estimates the count with ``criterion`` (MDL or AIC).
    Peaks found on a ``grid_step_deg`` grid are refined to 0.001° by a
    bounded search on the continuous spectrum. Bearings are in ``[0, 360)``
    for planar arrays and along ``[α, α+180]`` for a linear array on line
    ``α`` (0–180° for a ULA). Raises ``ValueError`` on bad shapes.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x = np.asarray(snapshots)
    m = geometry.num_elements
    if x.ndim != 2 or x.shape[1] != m:
        raise ValueError(f"snapshots must have shape (N, {m}) for this array, got {x.shape}")
    n = x.shape[0]
    if n < m:
        raise ValueError(f"need at least {m} snapshots, got {n}")
    cov = sample_covariance(x, geometry, forward_backward)
    eig = np.sort(np.real(np.linalg.eigvalsh(cov)))[::-1]
    k = estimate_source_count(eig, n, criterion) if n_sources is None else int(n_sources)
    k = max(1, min(k, m - 1))
    noise_power = float(max(np.mean(eig[k:]), 1e-30))

    grid = azimuth_grid_deg(geometry, grid_step_deg)
    linear = geometry.is_linear

    def func(az: np.ndarray) -> np.ndarray:
        return spectrum(cov, geometry, rf_hz, az, method, k)

    values = func(grid)
    peaks = find_peaks_deg(values, grid, circular=not linear, count=k)
    step = float(grid[1] - grid[0])
    bearings = []
    for i in peaks:
        b = _refine(func, float(grid[i]), step)
        if linear:
            b = float(np.clip(b, grid[0], grid[-1]))
        bearings.append(b % 360.0 if not linear else b)
    steer = np.atleast_2d(steering_vectors(geometry, np.array(bearings), rf_hz))
    powers = source_powers(cov, steer, noise_power)
    order = np.argsort(powers)[::-1]
    bearings_sorted = [bearings[i] for i in order]
    powers_sorted = powers[order]
    std = crb_std_deg(geometry, rf_hz, bearings_sorted, powers_sorted, noise_power, n)

    peak = float(np.max(values))
    mean = float(np.mean(values))
    par_db = 10 * np.log10(max(peak, 1e-300) / max(mean, 1e-300))
    mirror: tuple[float, ...] = ()
    if linear:
        alpha = geometry.line_angle_deg
        mirror = tuple(float((2 * alpha - b) % 360.0) for b in bearings_sorted)
    snr = powers_sorted[0] / noise_power
    return DoaResult(
        method=method,
        bearings_deg=tuple(float(b) for b in bearings_sorted),
        bearing_std_deg=tuple(float(s) for s in std),
        powers=tuple(float(p) for p in powers_sorted),
        noise_power=noise_power,
        n_sources=k,
        n_snapshots=n,
        snr_db=float(10 * np.log10(max(snr, 1e-30))),
        confidence=float(1.0 - mean / peak) if peak > 0 else 0.0,
        peak_to_average_db=float(par_db),
        grid_deg=grid,
        spectrum=values / peak if peak > 0 else values,
        mirror_deg=mirror,
    )


def angle_error_deg(estimate_deg: float, truth_deg: float, linear: bool = False) -> float:
    """Absolute angular error in degrees, wrapped; for ``linear`` arrays the mirror counts as right."""
    err = abs((estimate_deg - truth_deg + 180.0) % 360.0 - 180.0)
    if linear:
        err = min(err, abs((estimate_deg + truth_deg + 180.0) % 360.0 - 180.0))
    return float(err)
