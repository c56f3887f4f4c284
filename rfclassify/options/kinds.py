"""Kinds of option value: how text (command line), TOML values and Python values become one value.

Every kind's ``parse`` accepts what a person may write on any of the three
surfaces (``"915M"`` or ``915e6`` for a frequency, ``"0.5s"`` or ``0.5`` for a
duration) and is idempotent (a parsed value parses to itself), so values read
by click, from ``node.toml`` or given as keywords go through one parser.
Each raises ``ValueError`` (or ``TypeError`` for a value of the wrong type)
with a one-line message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rfclassify.units import format_frequency, parse_duration, parse_frequency, parse_size


@dataclass(frozen=True)
class Kind:
    """One kind of value.

    ``name`` names it in messages; ``parse(value)`` returns the value
    (``ValueError`` if unusable); ``show(value)`` writes a value as people
    write it (defaults in ``--help``); ``metavar`` is the placeholder on the
    command line; ``flag`` marks an on/off switch (``--realtime``);
    ``choices`` lists the words a choice takes; ``path`` is ``"file"`` or
    ``"dir"`` for file-system paths.
    """

    name: str
    parse: Callable[[Any], Any]
    show: Callable[[Any], str] = str
    metavar: str = "TEXT"
    flag: bool = False
    choices: tuple[str, ...] = ()
    path: str = ""


def _not_bool(value: Any, what: str) -> None:
    if isinstance(value, bool):
        raise TypeError(f"expected {what}, not {value!r}")


def _frequency(value: Any) -> float:
    _not_bool(value, "a frequency")
    if not isinstance(value, (str, int, float)):
        raise TypeError(f"not a frequency: {value!r} (examples: 915M, 2.4G, 2400k, 915e6)")
    return parse_frequency(value)


def _duration(value: Any) -> float:
    _not_bool(value, "a duration")
    if not isinstance(value, (str, int, float)):
        raise TypeError(f"not a duration: {value!r} (examples: 0.5s, 500ms, 10, 2min)")
    return parse_duration(value)


def _size(value: Any) -> int:
    _not_bool(value, "a size")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (str, int)):
        raise TypeError(f"not a size: {value!r} (examples: 2G, 500M, 1048576)")
    return parse_size(value)


def _show_duration(seconds: Any) -> str:
    return f"{seconds:g}s"


def _show_size(size_bytes: Any) -> str:
    for div, suffix in ((2**40, "T"), (2**30, "G"), (2**20, "M"), (2**10, "k")):
        if size_bytes >= div and size_bytes % div == 0:
            return f"{size_bytes // div}{suffix}"
    return str(size_bytes)


def _integer(value: Any) -> int:
    _not_bool(value, "an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, not {value!r}")


def _number(value: Any) -> float:
    _not_bool(value, "a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a number, not {value!r}")


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, not {value!r}")
    return value


def _text(value: Any) -> str:
    _not_bool(value, "text")
    if not isinstance(value, (str, int, float)):
        raise TypeError(f"expected text, not {value!r}")
    return str(value)


def _path(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"expected a path, not {value!r}")
    return os.fspath(value)


def _gain(value: Any) -> str | float:
    """``"auto"`` or a gain in dB (number or numeric text)."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    try:
        return _number(value)
    except ValueError:
        raise ValueError(f"not a gain: {value!r} (use 'auto' or dB, e.g. 28.0)") from None


def choice(words: Sequence[str]) -> Kind:
    """A kind that takes one of ``words``."""
    allowed = tuple(words)

    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    return Kind("choice", parse, choices=allowed, metavar="|".join(allowed))


def path_or(what: str, accepts: Callable[[Any], bool], path: str = "file") -> Kind:
    """A file path, or an already loaded object for which ``accepts(value)`` is true (from Python)."""

    def parse(value: Any) -> Any:
        if accepts(value):
            return value
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"expected a path or {what}, not {value!r}")
        return os.fspath(value)

    return Kind(path, parse, metavar=path.upper(), path=path)


#: Frequencies and sample rates in Hz: ``915M``, ``2.4G``, ``2400k``, ``915e6`` or a number.
FREQUENCY = Kind("frequency", _frequency, show=format_frequency, metavar="FREQ")
#: Durations in seconds: ``0.5s``, ``500ms``, ``2min`` or a number.
DURATION = Kind("duration", _duration, show=_show_duration, metavar="DURATION")
#: Sizes in bytes (binary multiples): ``2G``, ``500M`` or a number.
SIZE = Kind("size", _size, show=_show_size, metavar="SIZE")
INTEGER = Kind("integer", _integer, metavar="INTEGER")
NUMBER = Kind("number", _number, metavar="FLOAT")
FLAG = Kind("flag", _flag, flag=True, metavar="")
TEXT = Kind("text", _text)
FILE = Kind("file", _path, metavar="FILE", path="file")
DIRECTORY = Kind("dir", _path, metavar="DIRECTORY", path="dir")
#: Tuner gain: ``auto`` or dB.
GAIN = Kind("gain", _gain, metavar="DB|auto")


def _text_list(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise ValueError(f"expected a string or a list of strings, not {value!r}")
    return list(items)


#: One string or several (repeatable on the command line).
TEXT_LIST = Kind("list", _text_list)
