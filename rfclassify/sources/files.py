"""Open a recording by its name: SigMF, raw IQ or I/Q WAV, chosen by extension.

``open_file`` is what :func:`rfclassify.sources.open_source` calls for any
spec that is not a live receiver. The extension decides; ``format`` makes any
other extension readable as raw IQ. A bare base name ``rec`` opens
``rec.sigmf-meta`` when that exists.
"""

from __future__ import annotations

import os
from pathlib import Path

from rfclassify.errors import InputError
from rfclassify.sources.base import FileSource
from rfclassify.sources.raw import RAW_EXTENSIONS, RawSource
from rfclassify.sources.sigmf_io import ARCHIVE_EXT, DATA_EXT, META_EXT, SigMFSource

SIGMF_SUFFIXES = (META_EXT, DATA_EXT, ARCHIVE_EXT)
WAV_SUFFIXES = (".wav", ".wave", ".rf64")


def open_file(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    rate_hz: float | None = None,
    freq_hz: float | None = None,
) -> FileSource:
    """Open a recording and return its :class:`FileSource`.

    ``format`` (``cu8|cs8|cs16|cf32`` or a SigMF name) reads any file as raw
    IQ; ``rate_hz`` / ``freq_hz`` override what the file or its name says.
    Raises :class:`InputError` naming the file for anything unusable.
    """
    p = Path(path)
    name = p.name.lower()
    if name.endswith(SIGMF_SUFFIXES):
        if format is not None:
            raise InputError(p, "--format applies to raw IQ files; a SigMF recording states its own datatype")
        return SigMFSource(p, rate_hz=rate_hz, freq_hz=freq_hz)
    if format is None and not p.exists() and p.with_name(p.name + META_EXT).is_file():
        return SigMFSource(p.with_name(p.name + META_EXT), rate_hz=rate_hz, freq_hz=freq_hz)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, "is a directory, not a recording")
    if format is None and name.endswith(WAV_SUFFIXES):
        from rfclassify.sources.wav import WavSource

        return WavSource(p, rate_hz=rate_hz, freq_hz=freq_hz)
    if format is not None or p.suffix.lower() in RAW_EXTENSIONS:
        return RawSource(p, format=format, rate_hz=rate_hz, freq_hz=freq_hz)
    from rfclassify.sources.names import parse_name

    if parse_name(p.name).format is not None:  # gqrx names say their datatype
        return RawSource(p, rate_hz=rate_hz, freq_hz=freq_hz)
    known = ", ".join([*SIGMF_SUFFIXES, *sorted(RAW_EXTENSIONS), ".wav"])
    raise InputError(
        p,
        f"unknown file type {p.suffix or '(no extension)'!r} (known: {known}); "
        "for raw IQ give --format cu8|cs8|cs16|cf32",
    )
