"""Sample datatypes on disk and on the wire, and their conversion to complex64.

Names follow SigMF (``cu8``, ``ci8``, ``ci16_le``, ``cf32_le``); the raw-file
spellings people use (``cs8`` for HackRF, ``cs16``, ``cf32``, ``fc32``,
``cfile``) are aliases. Interleaving is I, Q per sample and, for several
channels, channel-major within a sample (``I0 Q0 I1 Q1 …``) as SigMF defines.

``cu8`` is unpacked with a 256-entry lookup table (one gather instead of a
subtract and a multiply per component), which pyrtlsdr's notes measure as
several times faster than arithmetic; float32 is kept throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DataType:
    """One on-disk sample type: ``name`` (SigMF spelling), component dtype, bytes per complex sample."""

    name: str
    component: np.dtype
    scale: float  # multiply the (offset-removed) integer by this to get full scale ±1
    offset: float  # subtract this from the integer first (cu8's 127.5)

    @property
    def bytes_per_sample(self) -> int:
        """Bytes of one complex sample of one channel."""
        return 2 * self.component.itemsize


#: The raw sample formats people name (``--format``): rtl_sdr, HackRF, int16 and GNU Radio complex64.
SOURCE_FORMATS = ("cu8", "cs8", "cs16", "cf32")

DATATYPES: dict[str, DataType] = {
    "cu8": DataType("cu8", np.dtype(np.uint8), 1 / 127.5, 127.5),
    "ci8": DataType("ci8", np.dtype(np.int8), 1 / 128.0, 0.0),
    "ci16_le": DataType("ci16_le", np.dtype("<i2"), 1 / 32768.0, 0.0),
    "cf32_le": DataType("cf32_le", np.dtype("<f4"), 1.0, 0.0),
}

ALIASES: dict[str, str] = {
    "cu8": "cu8",
    "cs8": "ci8",
    "ci8": "ci8",
    "cs16": "ci16_le",
    "ci16": "ci16_le",
    "ci16_le": "ci16_le",
    "sc16": "ci16_le",
    "cf32": "cf32_le",
    "cf32_le": "cf32_le",
    "fc32": "cf32_le",
    "cfile": "cf32_le",
    "complex64": "cf32_le",
}

_CU8_LUT = ((np.arange(256, dtype=np.float32) - np.float32(127.5)) / np.float32(127.5)).astype(np.float32)


def datatype(name: str) -> DataType:
    """Return the :class:`DataType` for a SigMF name or alias; ``KeyError`` if unknown."""
    return DATATYPES[ALIASES[name.lower()]]


def decode(raw: np.ndarray, dtype: DataType, num_channels: int = 1) -> np.ndarray:
    """Convert interleaved components (as read, any length multiple of 2·channels) to complex64.

    Returns shape ``(n,)`` for one channel and ``(n, num_channels)`` otherwise.
    """
    if dtype.name == "cu8":
        flat = _CU8_LUT[raw]
    elif dtype.name == "cf32_le":
        flat = np.asarray(raw, dtype=np.float32)
    else:
        flat = raw.astype(np.float32)
        flat *= np.float32(dtype.scale)
    out = flat.view(np.complex64) if flat.flags.c_contiguous else np.ascontiguousarray(flat).view(np.complex64)
    if num_channels > 1:
        out = out.reshape(-1, num_channels)
    return out


def encode(samples: np.ndarray, dtype: DataType) -> np.ndarray:
    """Convert complex samples (``(n,)`` or ``(n, channels)``) to interleaved components of ``dtype``.

    Integer types are rounded and clipped to their range, as a real ADC would;
    the result's ``tobytes()`` is what goes to disk.
    """
    comp = np.ascontiguousarray(samples, dtype=np.complex64).view(np.float32).reshape(-1)
    if dtype.name == "cf32_le":
        return comp.astype("<f4", copy=False)
    info = np.iinfo(dtype.component)
    scaled = np.rint(comp / np.float32(dtype.scale) + np.float32(dtype.offset))
    return np.clip(scaled, info.min, info.max).astype(dtype.component)
