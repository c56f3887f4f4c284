"""The array options, declared once: the geometry group and ``--assume-calibrated``.

The geometry options (``array``, ``elements``, ``radius``, ``spacing``,
``positions``) describe one :class:`~rfclassify.bearing.geometry.ArrayGeometry`
(:meth:`ArrayOptions.geometry`), so they are a group that merges as one
option: any of them on the command line replaces all of them from a config
file. :data:`ASSUME_CALIBRATED` is the one way past the refusal of an
uncalibrated array (:func:`rfclassify.classify.bearings.check_array_source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rfclassify.options.declare import Option, option
from rfclassify.options.kinds import FLAG, INTEGER, NUMBER, TEXT, choice

#: ``--assume-calibrated``: bearings from a multi-channel source without ``--calibration``.
ASSUME_CALIBRATED = Option(
    "assume_calibrated", FLAG, "Bearings from a multi-channel source without --calibration: its channels are "
    "phase-aligned already (otherwise the bearings are wrong by the receivers' phases; records say "
    "bearing_calibrated: false).", default=False,
)


@dataclass(frozen=True)
class ArrayOptions:
    """An antenna array as people describe it (``None``: not given); lengths in metres."""

    array: str | None = option(
        "array", choice(("uca", "ula")),
        "Array type (default: the recording's rfclassify:array metadata). UCA element m sits at "
        "2πm/N counter-clockwise from +x; ULA element m at x = m·spacing.",
    )
    elements: int | None = option("elements", INTEGER, "Number of array elements.", metavar="N")
    radius: float | None = option("radius", NUMBER, "UCA radius, metres.", unit="m", metavar="M")
    spacing: float | None = option("spacing", NUMBER, "ULA element spacing, metres.", unit="m", metavar="M")
    positions: str | None = option(
        "positions", TEXT, 'Custom planar array: element positions in metres, e.g. "0,0;0.1,0;0.05,0.09".',
        unit="m", metavar="X,Y;X,Y;...",
    )

    def geometry(self) -> Any:
        """The :class:`~rfclassify.bearing.geometry.ArrayGeometry` described, ``None`` if none.

        Raises :class:`~rfclassify.errors.InputError` if the options contradict each other.
        """
        from rfclassify.bearing.geometry import geometry_from_options

        return geometry_from_options(self.array, self.elements, self.radius, self.spacing, self.positions)
