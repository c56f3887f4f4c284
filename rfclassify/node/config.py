"""``--config node.toml``: every ``watch`` option from a file (see ``scripts/node.example.toml``).

Keys are the long option names, with ``-`` or ``_`` (``sensor-id`` or
``sensor_id``), at the top level or under a ``[watch]`` table; ``source``
names the SOURCE; ``output`` is a string or a list of strings. Quantities may
be written as numbers (Hz, seconds, bytes) or as the CLI's text (``"915M"``,
``"0.5s"``, ``"2G"``). Options given on the command line win over the file;
the array geometry (``array``, ``elements``, ``radius``, ``spacing``,
``positions``) is one option there: any of them on the command line replaces
all of them from the file.
TOML 1.0 is read with :mod:`tomllib` (Python 3.11+) or ``tomli`` (3.10).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rfclassify.errors import InputError

#: Option name → kind ("freq", "duration", "size", "str", "choice", "float", "int", "bool", "list").
CONFIG_KEYS: dict[str, str] = {
    "source": "str",
    "freq": "freq",
    "rate": "freq",
    "format": "str",
    "gain": "str",
    "ppm": "int",
    "model": "str",
    "sensor_id": "str",
    "lat": "float",
    "lon": "float",
    "heading": "float",
    "scan": "str",
    "dwell": "duration",
    "output": "list",
    "require_output": "bool",
    "heartbeat": "duration",
    "record_dir": "str",
    "record_max": "size",
    "realtime": "bool",
    "min_confidence": "float",
    "min_bursts": "int",
    "update_interval": "duration",
    "quiet": "duration",
    "array": "choice",
    "elements": "int",
    "radius": "float",
    "spacing": "float",
    "positions": "str",
    "method": "choice",
    "calibration": "str",
}


def _choices(key: str) -> tuple[str, ...]:
    """The words a "choice" option takes (those of the CLI)."""
    if key == "method":
        from rfclassify.bearing.doa import METHODS

        return tuple(METHODS)
    return ("uca", "ula")  # array


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _convert(path: Path, key: str, kind: str, value: Any) -> Any:
    from rfclassify.units import parse_duration, parse_frequency, parse_size

    try:
        if kind == "freq":
            return parse_frequency(value)
        if kind == "duration":
            return parse_duration(value)
        if kind == "size":
            return parse_size(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, not {value!r}")
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected an integer, not {value!r}")
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"expected a number, not {value!r}")
            return float(value)
        if kind == "list":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                raise ValueError(f"expected a string or a list of strings, not {value!r}")
            return list(items)
        if kind == "choice":
            words = _choices(key.replace("-", "_"))
            if value not in words:
                raise ValueError(f"expected one of {', '.join(words)}, not {value!r}")
        return str(value)
    except (ValueError, TypeError) as exc:
        raise InputError(path, f"{key}: {exc}") from None


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a node config file into ``{option_name: value}`` (underscored names, converted values).

    Raises :class:`InputError` for a missing file, bad TOML, unknown keys or bad values.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read config: {exc.strerror or exc}") from None
    try:
        data = _toml_loads(text)
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise InputError(path, f"not valid TOML: {exc}") from None
    table = data.get("watch", data)
    if not isinstance(table, dict):
        raise InputError(path, "[watch] must be a table")
    out: dict[str, Any] = {}
    for raw_key, value in table.items():
        if raw_key == "watch" and table is data:
            continue
        key = raw_key.replace("-", "_")
        if key not in CONFIG_KEYS:
            known = ", ".join(k.replace("_", "-") for k in CONFIG_KEYS)
            raise InputError(path, f"unknown option {raw_key!r} (known: {known})")
        out[key] = _convert(path, raw_key, CONFIG_KEYS[key], value)
    return out
