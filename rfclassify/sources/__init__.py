"""Every place IQ samples come from, behind one call: :func:`open_source`.

Spec strings:

- ``rtlsdr:``, ``rtlsdr:INDEX``, ``rtlsdr::SERIAL`` — a live RTL-SDR (pyrtlsdr);
- ``rtl_tcp://HOST:PORT`` — a live ``rtl_tcp`` server;
- ``*.sigmf-meta``, ``*.sigmf-data``, ``*.sigmf`` — SigMF recordings and archives;
- ``*.cu8``, ``*.cs8``, ``*.cs16``, ``*.cf32``, ``*.cfile``, ``*.fc32`` — raw interleaved IQ;
- ``*.wav`` — two-channel I/Q WAV;
- anything else — raw IQ with an explicit ``format=`` (``cu8|cs8|cs16|cf32``);
- a numpy array instead of a spec — samples already in memory
  (:class:`~rfclassify.sources.memory.MemorySource`; ``sample_rate_hz`` required).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfclassify.sources.base import Block, Capture, FileSource, Source, SourceInfo

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Block", "Capture", "FileSource", "Source", "SourceInfo", "is_live_spec", "open_source"]


def is_live_spec(spec: str) -> bool:
    """True for specs naming a live receiver rather than a file."""
    return spec.startswith(("rtlsdr:", "rtl_tcp://"))


def open_source(
    spec: str | np.ndarray,
    *,
    format: str | None = None,
    sample_rate_hz: float | str | None = None,
    center_freq_hz: float | str | None = None,
    **overrides: Any,
) -> Source:
    """Open ``spec`` and return a :class:`Source` (iterate it for :class:`Block` objects).

    ``spec`` is a spec string (see the module docstring) or a numpy array of
    samples (``(n,)`` or ``(n, channels)``). ``format``, ``sample_rate_hz``
    (Hz, or text such as ``2400k``) and ``center_freq_hz`` (Hz, or ``915M``)
    override or complete what the file says; an array needs
    ``sample_rate_hz``. Live sources take further keyword overrides
    (``gain``, ``ppm``, ``bias_tee`` …), an array ``metadata`` and ``name``.
    Raises :class:`rfclassify.errors.InputError` with a one-line message for
    anything unusable.
    """
    from rfclassify.units import parse_frequency

    rate_hz = None if sample_rate_hz is None else parse_frequency(sample_rate_hz)
    freq_hz = None if center_freq_hz is None else parse_frequency(center_freq_hz)
    if not isinstance(spec, str):
        from rfclassify.sources.memory import MemorySource

        return MemorySource(spec, sample_rate_hz=rate_hz, center_freq_hz=freq_hz, **overrides)
    if spec.startswith("rtl_tcp://"):
        from rfclassify.sources.rtltcp import RtlTcpSource

        return RtlTcpSource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    if spec.startswith("rtlsdr:"):
        from rfclassify.sources.rtlsdr import RtlSdrSource

        return RtlSdrSource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    from rfclassify.sources.files import open_file

    return open_file(spec, format=format, rate_hz=rate_hz, freq_hz=freq_hz)
