"""Shared click option types and decorators (frequency, duration, size, source overrides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from rfclassify.units import parse_duration, parse_frequency, parse_size


class _Parsed(click.ParamType):
    def __init__(self, name: str, parser: Callable[[str], Any]) -> None:
        self.name = name
        self._parser = parser

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or not isinstance(value, str):
            return value
        try:
            return self._parser(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


FREQ = _Parsed("freq", parse_frequency)
DURATION = _Parsed("duration", parse_duration)
SIZE = _Parsed("size", parse_size)

SOURCE_FORMATS = ("cu8", "cs8", "cs16", "cf32")


def source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--format``, ``--rate`` and ``--freq`` overrides to a command that takes a SOURCE."""
    func = click.option(
        "--freq", type=FREQ, default=None, help="Centre frequency (e.g. 915M); overrides the file's."
    )(func)
    func = click.option(
        "--rate", type=FREQ, default=None, help="Sample rate (e.g. 2400k); overrides the file's."
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(SOURCE_FORMATS),
        default=None,
        help="Sample format of a raw file whose extension does not say it (.dat, .bin, .raw, .iq).",
    )(func)
    return func


def model_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--model FILE`` (as ``model_path``) and ``--allow-unsigned-model`` (as ``allow_unsigned_model``)."""
    func = click.option(
        "--allow-unsigned-model", is_flag=True,
        help="Load a --model that is not signed by a trusted key (also RFCLASSIFY_ALLOW_UNSIGNED_MODEL=1).",
    )(func)
    return click.option(
        "--model", "model_path", type=click.Path(dir_okay=False), default=None,
        help="Model file (.rfcm; default: the one shipped with rfclassify). Other models must be signed by a "
        "trusted key ('rfclassify model --help').",
    )(func)
