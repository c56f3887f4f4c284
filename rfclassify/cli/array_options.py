"""Array-geometry command-line options shared by ``bearing``, ``calibrate``, ``classify`` and ``watch``.

``@array_options`` adds ``--array uca|ula``, ``--elements N``, ``--radius M``,
``--spacing M`` and ``--positions "x0,y0;x1,y1;..."`` (declared once, in
:class:`~rfclassify.options.array.ArrayOptions`, as ``watch`` offers them) and hands the command
one keyword argument, ``geometry`` (an
:class:`~rfclassify.bearing.geometry.ArrayGeometry`, or ``None`` when no
option was given, so the recording's ``rfclassify:array`` metadata applies).
Inconsistent options raise :class:`~rfclassify.errors.InputError` (one line,
exit status 2; see :func:`~rfclassify.bearing.geometry.geometry_from_options`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from rfclassify.bearing.geometry import geometry_from_options
from rfclassify.cli.options import declared_options
from rfclassify.options.array import ArrayOptions
from rfclassify.options.declare import declared


def array_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: add the geometry options and pass ``geometry=`` (ArrayGeometry or None) to ``func``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["geometry"] = geometry_from_options(
            kwargs.pop("array"), kwargs.pop("elements"), kwargs.pop("radius"), kwargs.pop("spacing"),
            kwargs.pop("positions"),
        )
        return func(*args, **kwargs)

    return declared_options(*declared(ArrayOptions))(wrapper)
