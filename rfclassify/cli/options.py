"""Shared click option types and decorators (frequency, duration, size, source overrides).

:func:`declared_options` makes the click options of declared options
(:mod:`rfclassify.options.declare`): the flag, type, default, help and
metavar all come from the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from rfclassify.options.declare import Option
from rfclassify.sources import SOURCE_FORMATS
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


def _click_type(opt: Option) -> Any:
    kind = opt.kind
    if kind.choices:
        return click.Choice(kind.choices)
    if kind.path:
        return click.Path(file_okay=kind.path != "dir", dir_okay=kind.path != "file")
    if opt.repeat:
        return str  # each repetition is one item of the list
    return _Parsed(kind.name, opt.parse)


def click_option(opt: Option) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option of one declared option (``--update-interval``, passed as ``update_interval``).

    A default is handed to click as people write it (``0.5s``, ``2G``) so
    ``--help`` shows it that way; click parses it like a typed value.
    """
    decls = [opt.flag, *([opt.short] if opt.short else []), opt.name]
    default = opt.command_default
    if opt.kind.flag:
        return click.option(*decls, is_flag=True, default=bool(default), help=opt.help)
    bounds = opt.bounds()
    given = default not in (None, ())
    return click.option(
        *decls,
        type=_click_type(opt),
        default=list(default) if opt.repeat else opt.show(default) if given else None,
        multiple=opt.repeat,
        show_default=given,
        metavar=opt.metavar or opt.kind.metavar,
        help=f"{opt.help} Range: {bounds}." if bounds else opt.help,
    )


def declared_options(*options: Option) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the click options of ``options``, listed in ``--help`` in the order given."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for opt in reversed(options):
            func = click_option(opt)(func)
        return func

    return decorate


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
