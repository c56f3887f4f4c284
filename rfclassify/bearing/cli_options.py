"""Array-geometry CLI options shared by ``bearing``, ``calibrate``, ``classify`` and ``watch``.

``@array_options`` adds ``--array uca|ula``, ``--elements N``, ``--radius M``,
``--spacing M`` and ``--positions "x0,y0;x1,y1;..."`` and hands the command
one keyword argument, ``geometry`` (an
:class:`~rfclassify.bearing.geometry.ArrayGeometry`, or ``None`` when no
option was given, so the recording's ``rfclassify:array`` metadata applies).
Inconsistent options raise :class:`~rfclassify.errors.InputError` (one line,
exit status 2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from rfclassify.bearing.geometry import ArrayGeometry, parse_positions
from rfclassify.errors import InputError


def geometry_from_options(
    array: str | None,
    elements: int | None,
    radius: float | None,
    spacing: float | None,
    positions: str | None,
) -> ArrayGeometry | None:
    """The geometry the options describe, ``None`` if none; :class:`InputError` if they contradict."""
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
