"""Antenna array geometry: where each element sits, in metres, in the array's own plane.

Convention (issue 6; :mod:`rfclassify.bearing.steering` relies on it):

- positions are ``(x, y)`` in metres in the array's horizontal plane;
- a uniform circular array (UCA) of ``M`` elements and radius ``r`` has element
  ``m`` at angle ``2πm/M`` counter-clockwise from the x-axis:
  ``p_m = r·(cos 2πm/M, sin 2πm/M)`` — element 0 on the +x axis. This is the
  order in which KrakenSDR's documentation numbers its five UCA channels
  (krakenrf/krakensdr_docs wiki, "Antenna array setup"), so channel ``m`` of a
  recording is element ``m``;
- a uniform linear array (ULA) has element ``m`` at ``x = m·spacing`` on the
  x-axis. A linear array cannot tell ``θ`` from its mirror ``−θ`` (both give
  the same ``cos θ``), so ULA bearings are reported in 0–180° with the mirror
  ambiguity stated;
- a custom planar array is any list of positions.

Recordings carry the geometry in the SigMF ``global`` object under the key
:data:`METADATA_KEY` (``rfclassify:array``), one of::

    {"type": "uca", "elements": 5, "radius_m": 0.11}
    {"type": "ula", "elements": 4, "spacing_m": 0.16}
    {"type": "custom", "positions_m": [[x0, y0], [x1, y1], ...]}

Spatial sampling: elements closer than half a wavelength apart never alias;
a ULA spacing above λ/2 makes grating lobes (van Trees, *Optimum Array
Processing*, Wiley 2002, §2.4), so :meth:`ArrayGeometry.spacing_warning`
names it. For a UCA the same text gives the rule that the arc between
neighbours should stay near or below λ/2 for an unambiguous azimuth scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rfclassify.errors import InputError

SPEED_OF_LIGHT_M_S = 299_792_458.0
METADATA_KEY = "rfclassify:array"
ARRAY_TYPES = ("uca", "ula", "custom")


def wavelength_m(rf_hz: float) -> float:
    """Free-space wavelength ``c / f`` in metres of an RF frequency in Hz."""
    if rf_hz <= 0:
        raise ValueError(f"RF frequency must be positive, got {rf_hz} Hz")
    return SPEED_OF_LIGHT_M_S / rf_hz


@dataclass(frozen=True)
class ArrayGeometry:
    """Element positions ``positions_m`` (shape ``(M, 2)``, metres) and how they were described.

    Build with :meth:`uca`, :meth:`ula`, :meth:`custom` or :meth:`from_metadata`.
    ``kind`` is ``"uca"``, ``"ula"`` or ``"custom"``; ``params`` keeps the
    description (radius, spacing) for metadata and reports.
    """

    positions_m: np.ndarray
    kind: str = "custom"
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pos = np.asarray(self.positions_m, dtype=np.float64)
        if pos.ndim != 2 or pos.shape[1] != 2 or pos.shape[0] < 2:
            raise ValueError(f"positions must have shape (M>=2, 2), got {pos.shape}")
        if not np.all(np.isfinite(pos)):
            raise ValueError("positions must be finite numbers")
        pos.setflags(write=False)
        object.__setattr__(self, "positions_m", pos)

    # ---- constructors -------------------------------------------------------------------------
    @classmethod
    def uca(cls, elements: int, radius_m: float) -> ArrayGeometry:
        """Uniform circular array: element ``m`` at angle ``2πm/M`` CCW from +x, radius ``radius_m``."""
        if elements < 3:
            raise ValueError(f"a UCA needs at least 3 elements, got {elements}")
        if radius_m <= 0:
            raise ValueError(f"UCA radius must be positive, got {radius_m} m")
        phi = 2 * np.pi * np.arange(elements) / elements
        pos = radius_m * np.column_stack((np.cos(phi), np.sin(phi)))
        return cls(pos, "uca", {"elements": int(elements), "radius_m": float(radius_m)})

    @classmethod
    def ula(cls, elements: int, spacing_m: float) -> ArrayGeometry:
        """Uniform linear array: element ``m`` at ``x = m·spacing_m`` on the x-axis."""
        if elements < 2:
            raise ValueError(f"a ULA needs at least 2 elements, got {elements}")
        if spacing_m <= 0:
            raise ValueError(f"ULA spacing must be positive, got {spacing_m} m")
        pos = np.column_stack((np.arange(elements) * spacing_m, np.zeros(elements)))
        return cls(pos, "ula", {"elements": int(elements), "spacing_m": float(spacing_m)})

    @classmethod
    def custom(cls, positions_m: np.ndarray | list[list[float]] | list[tuple[float, float]]) -> ArrayGeometry:
        """Any planar array from its element positions in metres (shape ``(M, 2)``)."""
        return cls(np.asarray(positions_m, dtype=np.float64), "custom", {})

    @classmethod
    def from_metadata(cls, value: dict[str, Any], where: str = METADATA_KEY) -> ArrayGeometry:
        """Geometry from the ``rfclassify:array`` object of a SigMF ``global`` (see module docstring).

        Raises :class:`InputError` naming ``where`` for anything malformed.
        """
        if not isinstance(value, dict):
            raise InputError(where, f"{METADATA_KEY} must be an object, got {type(value).__name__}")
        kind = str(value.get("type", "custom" if "positions_m" in value else "")).lower()
        try:
            if kind == "uca":
                return cls.uca(int(value["elements"]), float(value["radius_m"]))
            if kind == "ula":
                return cls.ula(int(value["elements"]), float(value["spacing_m"]))
            if kind == "custom":
                return cls.custom(value["positions_m"])
        except KeyError as exc:
            raise InputError(where, f"{METADATA_KEY} of type {kind!r} lacks {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise InputError(where, f"bad {METADATA_KEY}: {exc}") from None
        raise InputError(where, f"{METADATA_KEY} type must be one of {', '.join(ARRAY_TYPES)}, got {kind!r}")

    def to_metadata(self) -> dict[str, Any]:
        """The ``rfclassify:array`` object that :meth:`from_metadata` reads back."""
        if self.kind == "uca":
            return {"type": "uca", "elements": self.num_elements, "radius_m": self.params["radius_m"]}
        if self.kind == "ula":
            return {"type": "ula", "elements": self.num_elements, "spacing_m": self.params["spacing_m"]}
        return {"type": "custom", "positions_m": self.positions_m.tolist()}

    # ---- properties ---------------------------------------------------------------------------
    @property
    def num_elements(self) -> int:
        """Number of elements ``M`` (= channels of the recording)."""
        return int(self.positions_m.shape[0])

    @property
    def is_linear(self) -> bool:
        """True when all elements lie on one line (mirror-ambiguous: bearings in 0–180°)."""
        centred = self.positions_m - self.positions_m.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        return bool(sv[1] <= 1e-9 * max(sv[0], 1e-12))

    @property
    def line_angle_deg(self) -> float:
        """Direction of the array's line (degrees CCW from +x) for linear arrays; 0 for a ULA."""
        centred = self.positions_m - self.positions_m.mean(axis=0)
        _, _, vt = np.linalg.svd(centred)
        angle = float(np.degrees(np.arctan2(vt[0, 1], vt[0, 0]))) % 180.0
        return 0.0 if abs(angle - 180.0) < 1e-9 else angle

    @property
    def azimuth_span_deg(self) -> float:
        """Range of unambiguous azimuths: 180° for linear arrays, 360° for planar ones."""
        return 180.0 if self.is_linear else 360.0

    @property
    def aperture_m(self) -> float:
        """Largest distance between two elements."""
        diff = self.positions_m[:, None, :] - self.positions_m[None, :, :]
        return float(np.max(np.hypot(diff[..., 0], diff[..., 1])))

    @property
    def min_neighbour_spacing_m(self) -> float:
        """Distance from each element to its nearest neighbour, maximised over elements.

        For a ULA this is the spacing; for a UCA the chord between neighbours.
        """
        diff = self.positions_m[:, None, :] - self.positions_m[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1])
        np.fill_diagonal(dist, np.inf)
        return float(np.max(np.min(dist, axis=1)))

    def centro_symmetric_permutation(self, tol_m: float = 1e-6) -> np.ndarray | None:
        """Permutation ``π`` with ``p[π[m]] = 2c − p[m]`` about the centroid ``c``, or ``None``.

        Forward-backward averaging is valid exactly when this exists (a ULA,
        an even UCA, …): it is the exchange matrix of Pillai & Kwon (1989).
        """
        centre = self.positions_m.mean(axis=0)
        mirrored = 2 * centre - self.positions_m
        diff = mirrored[:, None, :] - self.positions_m[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1])
        perm = np.argmin(dist, axis=1)
        if np.all(dist[np.arange(len(perm)), perm] <= tol_m) and len(set(perm.tolist())) == len(perm):
            return perm
        return None

    def spacing_warning(self, rf_hz: float) -> str | None:
        """A one-line warning when neighbouring elements are more than λ/2 apart at ``rf_hz``, else None."""
        half_lambda_m = wavelength_m(rf_hz) / 2
        spacing_m = self.min_neighbour_spacing_m
        if spacing_m > half_lambda_m * (1 + 1e-9):
            return (
                f"element spacing {spacing_m:.3f} m exceeds half a wavelength ({half_lambda_m:.3f} m at "
                f"{rf_hz / 1e6:.6g} MHz): the DOA spectrum can alias (grating lobes)"
            )
        return None

    def describe(self) -> str:
        """Short human description, e.g. ``uca 5 × r=0.11 m``."""
        if self.kind == "uca":
            return f"uca {self.num_elements} x r={self.params['radius_m']:g} m"
        if self.kind == "ula":
            return f"ula {self.num_elements} x d={self.params['spacing_m']:g} m"
        return f"custom {self.num_elements} elements"


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR_RE = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$")


def parse_positions(text: str) -> ArrayGeometry:
    """Custom geometry from ``"x0,y0;x1,y1;..."`` in metres; :class:`InputError` if malformed."""
    pairs = [p for p in text.split(";") if p.strip()]
    if len(pairs) < 2:
        raise InputError("--positions", f"need at least two 'x,y' pairs separated by ';', got {text!r}")
    rows = []
    for pair in pairs:
        match = _PAIR_RE.match(pair)
        if not match:
            raise InputError("--positions", f"not an 'x,y' pair in metres: {pair.strip()!r}")
        rows.append((float(match.group(1)), float(match.group(2))))
    pos = np.asarray(rows)
    diff = pos[:, None, :] - pos[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    np.fill_diagonal(dist, np.inf)
    if np.min(dist) < 1e-6:
        raise InputError("--positions", "two elements share the same position")
    return ArrayGeometry.custom(pos)


def geometry_from_options(
    array: str | None,
    elements: int | None,
    radius: float | None,
    spacing: float | None,
    positions: str | None,
) -> ArrayGeometry | None:
    """The geometry that array options describe (``--array uca|ula``, ``--elements``, ``--radius`` /
    ``--spacing`` in metres, or ``--positions "x0,y0;x1,y1;..."``), ``None`` if none was given.

    Raises :class:`InputError` (naming the option) when they contradict each other.
    """
    if positions is not None:
        if array not in (None, "custom") or radius is not None or spacing is not None:
            raise InputError("--positions", "give either --positions or --array with its size, not both")
        geo = parse_positions(positions)
        if elements is not None and elements != geo.num_elements:
            raise InputError("--positions", f"lists {geo.num_elements} elements but --elements is {elements}")
        return geo
    if array is None:
        if elements is not None or radius is not None or spacing is not None:
            raise InputError("--array", "say which array: --array uca (with --radius) or --array ula (with --spacing)")
        return None
    if elements is None:
        raise InputError("--elements", f"--array {array} needs --elements N")
    try:
        if array == "uca":
            if radius is None:
                raise InputError("--radius", "--array uca needs --radius in metres")
            if spacing is not None:
                raise InputError("--spacing", "--spacing is for --array ula; a UCA takes --radius")
            return ArrayGeometry.uca(elements, radius)
        if array == "ula":
            if spacing is None:
                raise InputError("--spacing", "--array ula needs --spacing in metres")
            if radius is not None:
                raise InputError("--radius", "--radius is for --array uca; a ULA takes --spacing")
            return ArrayGeometry.ula(elements, spacing)
    except ValueError as exc:
        raise InputError(f"--array {array}", str(exc)) from None
    raise InputError("--array", f"unknown array type {array!r}; use uca, ula or --positions")
