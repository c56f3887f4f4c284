"""Array-geometry command-line options shared by ``bearing``, ``calibrate``, ``classify`` and ``watch``.

``@array_options`` adds ``--array uca|ula``, ``--elements N``, ``--radius M``,
``--spacing M`` and ``--positions "x0,y0;x1,y1;..."`` and hands the command
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

import click

from rfclassify.bearing.geometry import geometry_from_options


def array_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: add the geometry options and pass ``geometry=`` (ArrayGeometry or None) to ``func``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["geometry"] = geometry_from_options(
            kwargs.pop("array"), kwargs.pop("elements"), kwargs.pop("radius"), kwargs.pop("spacing"),
            kwargs.pop("positions"),
        )
        return func(*args, **kwargs)

    wrapper = click.option(
        "--positions", default=None, metavar="X,Y;X,Y;...",
        help='Custom planar array: element positions in metres, e.g. "0,0;0.1,0;0.05,0.09".',
    )(wrapper)
    wrapper = click.option("--spacing", type=float, default=None, metavar="M", help="ULA element spacing, metres.")(
        wrapper
    )
    wrapper = click.option("--radius", type=float, default=None, metavar="M", help="UCA radius, metres.")(wrapper)
    wrapper = click.option("--elements", type=int, default=None, metavar="N", help="Number of array elements.")(
        wrapper
    )
    wrapper = click.option(
        "--array", type=click.Choice(["uca", "ula"]), default=None,
        help="Array type (default: the recording's rfclassify:array metadata). UCA element m sits at "
        "2πm/N counter-clockwise from +x; ULA element m at x = m·spacing.",
    )(wrapper)
    return wrapper
