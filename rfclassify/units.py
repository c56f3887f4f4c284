"""Parsing of physical quantities written by people: ``915M``, ``2.4G``, ``0.5s``, ``2G``.

Frequencies and sample rates share one syntax (SI suffix k/M/G, optional
``Hz``), so ``915M``, ``915MHz``, ``915e6`` and ``915000000`` are the same.
"""

from __future__ import annotations

import re

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9}
_FREQ_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([kKmMgG]?)(?:[hH][zZ])?\s*$")
_DUR_RE = re.compile(r"^\s*((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(ms|us|µs|s|min|m|h)?\s*$")
_DUR_UNIT = {None: 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "min": 60.0, "m": 60.0, "h": 3600.0}
_SIZE_RE = re.compile(r"^\s*(\d+\.?\d*)\s*([kKmMgGtT]?)i?[bB]?\s*$")
_SIZE_UNIT = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_frequency(text: str | float) -> float:
    """Return a frequency or rate in Hz from ``915M``, ``2.4G``, ``2400k``, ``915e6`` or a number.

    Raises ``ValueError`` with a message suitable for a one-line CLI error.
    """
    if isinstance(text, (int, float)):
        return float(text)
    match = _FREQ_RE.match(text)
    if not match:
        raise ValueError(f"not a frequency: {text!r} (examples: 915M, 2.4G, 2400k, 915e6)")
    return float(match.group(1)) * _SI[match.group(2)]


def parse_duration(text: str | float) -> float:
    """Return a duration in seconds from ``0.5s``, ``500ms``, ``10``, ``2min`` or ``1h``."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _DUR_RE.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (examples: 0.5s, 500ms, 10, 2min)")
    return float(match.group(1)) * _DUR_UNIT[match.group(2)]


def parse_size(text: str | int) -> int:
    """Return a size in bytes from ``2G``, ``500M``, ``10k`` (binary multiples) or a number."""
    if isinstance(text, int):
        return text
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (examples: 2G, 500M, 1048576)")
    return int(float(match.group(1)) * _SIZE_UNIT[match.group(2).lower()])


def format_frequency(hz: float) -> str:
    """Format a frequency compactly for file names and tables: ``915M``, ``2.4G``, ``250k``."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(hz) >= div:
            return f"{hz / div:.6g}{suffix}"
    return f"{hz:.6g}"
