"""``--config node.toml``: every ``watch`` option from a file (see ``scripts/node.example.toml``).

Keys are the options declared in :mod:`rfclassify.node.options`: the long
option names, with ``-`` or ``_`` (``sensor-id`` or ``sensor_id``), at the
top level or under a ``[watch]`` table; ``source`` names the SOURCE;
``output`` is a string or a list of strings. Values are parsed as on the
command line and by :func:`rfclassify.watch` (one parser per kind). Quantities may
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
from rfclassify.node.options import config_options
from rfclassify.options.declare import parse_values


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


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
    values = {key: value for key, value in table.items() if not (key == "watch" and table is data)}
    return parse_values(config_options(), values, path, dashed=True)
