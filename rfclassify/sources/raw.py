"""Raw interleaved IQ files: no header, just I, Q, I, Q … of one sample type.

Extensions and what writes them:

- ``.cu8`` — unsigned 8-bit, offset 127.5: ``rtl_sdr`` and rtl_433's ``-w``
  (rtl_433 ``docs/IQ_FORMATS.md``);
- ``.cs8`` — signed 8-bit: ``hackrf_transfer -r`` (HackRF documentation);
- ``.cs16`` — signed 16-bit little-endian (rtl_433, SoapySDR tools, USRP dumps);
- ``.cf32`` / ``.cfile`` / ``.fc32`` — complex64, GNU Radio's File Sink with
  ``gr_complex`` items (GNU Radio wiki "File Sink");
- ``.complex16u`` / ``.complex16s`` / ``.complex32s`` / ``.complex`` — URH's
  names for cu8 / ci8 / ci16_le / cf32_le (URH user guide, "supported file
  formats");
- any other extension (``.dat``, ``.bin``, ``.raw``, ``.iq`` …) with an explicit
  ``format=`` (``cu8|cs8|cs16|cf32``).

A file that is not a whole number of samples long (a recording cut short)
is read up to its last whole sample, with a warning. The first block is
judged (:mod:`rfclassify.sources.plausibility`): bytes that cannot be
samples of the format (a ``cu8`` file read as ``cf32``) are refused, with a
hint at ``--format``; NaN or absurd float samples later on are set to 0
with a warning.

Sample rate and centre frequency come from ``rate_hz`` / ``freq_hz``, else
from the file name (:mod:`rfclassify.sources.names`), else an
:class:`~rfclassify.errors.InputError` asks for them. Samples are read through
positioned reads (:mod:`rfclassify.sources.fileview`): opening a 10 GB file costs nothing, and a block costs only its
own bytes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from rfclassify.errors import InputError
from rfclassify.sources.base import Capture, FileSource
from rfclassify.sources.datatypes import ALIASES, DataType, datatype, decode
from rfclassify.sources.fileview import FileComponents
from rfclassify.sources.names import resolve_rate_freq
from rfclassify.sources.plausibility import FIRST_BLOCK_COMPONENTS, judge_first_block, zero_unusable
from rfclassify.sources.sigmf_io import recording_info

log = logging.getLogger("rfclassify.sources")

RAW_EXTENSIONS: dict[str, str] = {
    ".cu8": "cu8",
    ".cs8": "ci8",
    ".cs16": "ci16_le",
    ".cf32": "cf32_le",
    ".cfile": "cf32_le",
    ".fc32": "cf32_le",
    ".complex16u": "cu8",
    ".complex16s": "ci8",
    ".complex32s": "ci16_le",
    ".complex": "cf32_le",
}


def raw_datatype(path: str | os.PathLike[str], format: str | None = None) -> DataType | None:
    """The datatype of a raw file from an explicit ``format`` or its extension (``None`` if neither says)."""
    if format is not None:
        if format.lower() not in ALIASES:
            raise InputError(path, f"unknown sample format {format!r}; use cu8, cs8, cs16 or cf32")
        return datatype(format)
    ext = Path(path).suffix.lower()
    return datatype(RAW_EXTENSIONS[ext]) if ext in RAW_EXTENSIONS else None


class RawSource(FileSource):
    """A raw interleaved IQ file (one channel), memory-mapped."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
    ) -> None:
        p = Path(path)
        self.path = str(p)
        if not p.exists():
            raise InputError(p, "file not found")
        if not p.is_file():
            raise InputError(p, "not a regular file")
        dtype = raw_datatype(p, format)
        if dtype is None:
            from rfclassify.sources.names import parse_name

            hinted = parse_name(p.name).format
            if hinted is None:
                raise InputError(
                    p, f"unknown file type {p.suffix or '(no extension)'!r}; give --format cu8|cs8|cs16|cf32"
                )
            dtype = datatype(hinted)
        self._dtype = dtype
        rate, freq, hints = resolve_rate_freq(p, rate_hz=rate_hz, freq_hz=freq_hz)
        size = p.stat().st_size
        n = size // dtype.bytes_per_sample
        if size % dtype.bytes_per_sample:
            log.warning(
                "%s: truncated: %d bytes is not a whole number of %s samples (%d bytes each); "
                "reading the first %d samples",
                p, size, dtype.name, dtype.bytes_per_sample, n,
            )
        try:
            self._mm: np.ndarray | FileComponents = (
                FileComponents(p, dtype.component, 0, 2 * n) if n else np.zeros(0, dtype.component)
            )
        except OSError as exc:
            raise InputError(p, f"cannot read: {exc.strerror or exc}") from None
        self._zeroed = 0
        verdict = judge_first_block(self._mm[: 2 * min(n, FIRST_BLOCK_COMPONENTS // 2)], dtype.name)
        hint = "; is --format right (cu8, cs8, cs16, cf32)?"
        if verdict.error:
            self.close()
            raise InputError(p, verdict.error + hint)
        if verdict.warning:
            log.warning("%s: %s", p, verdict.warning + hint)
        self.captures = [Capture(0, freq, hints.datetime_utc)]
        self.info = recording_info("raw", dtype.name, rate, self.captures[0], n)

    def read(self, start: int, count: int) -> np.ndarray:
        """``count`` complex64 samples from ``start`` (fewer at the end; a copy, not a view)."""
        n = self.num_samples
        start = max(0, min(int(start), n))
        stop = max(start, min(start + int(count), n))
        out = decode(np.array(self._mm[2 * start : 2 * stop]), self._dtype)
        if self._dtype.component.kind == "f":
            zeroed = zero_unusable(out)
            if zeroed and not self._zeroed:
                log.warning(
                    "%s: %d NaN, infinite or absurd samples in the block at sample %d set to 0 (later ones too)",
                    self.path, zeroed, start,
                )
            self._zeroed += zeroed
        return out

    def close(self) -> None:
        if isinstance(self._mm, FileComponents):
            self._mm.close()
        self._mm = np.zeros(0, self._dtype.component)
