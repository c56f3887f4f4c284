"""Every place IQ samples come from, behind one call: :func:`open_source`.

Spec strings:

- ``rtlsdr:``, ``rtlsdr:INDEX``, ``rtlsdr::SERIAL`` — a live RTL-SDR (pyrtlsdr);
- ``rtl_tcp://HOST:PORT`` — a live ``rtl_tcp`` server;
- ``soapy:``, ``soapy:driver=hackrf,serial=…`` — a live SoapySDR device (HackRF, Airspy, LimeSDR, …);
- ``*.sigmf-meta``, ``*.sigmf-data``, ``*.sigmf`` — SigMF recordings and archives;
- ``*.cu8``, ``*.cs8``, ``*.cs16``, ``*.cf32``, ``*.cfile``, ``*.fc32`` — raw interleaved IQ;
- ``*.wav`` — two-channel I/Q WAV;
- anything else — raw IQ with an explicit ``format=`` (``cu8|cs8|cs16|cf32``).
"""

from __future__ import annotations

from typing import Any

from rfclassify.sources.base import Block, Capture, FileSource, Source, SourceInfo

__all__ = ["Block", "Capture", "FileSource", "Source", "SourceInfo", "is_live_spec", "open_source"]


def is_live_spec(spec: str) -> bool:
    """True for specs naming a live receiver rather than a file."""
    return spec.startswith(("rtlsdr:", "rtl_tcp://", "soapy:"))


def open_source(
    spec: str,
    *,
    format: str | None = None,
    rate: float | str | None = None,
    freq: float | str | None = None,
    **overrides: Any,
) -> Source:
    """Open ``spec`` and return a :class:`Source` (iterate it for :class:`Block` objects).

    ``format``, ``rate`` (Hz, or text such as ``2400k``) and ``freq`` (Hz, or
    ``915M``) override or complete what the file says. Live sources take
    further keyword overrides (``gain``, ``ppm``, ``bias_tee`` …).
    Raises :class:`rfclassify.errors.InputError` with a one-line message for
    anything unusable.
    """
    from rfclassify.units import parse_frequency

    rate_hz = None if rate is None else parse_frequency(rate)
    freq_hz = None if freq is None else parse_frequency(freq)
    if spec.startswith("rtl_tcp://"):
        from rfclassify.sources.rtltcp import RtlTcpSource

        return RtlTcpSource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    if spec.startswith("rtlsdr:"):
        from rfclassify.sources.rtlsdr import RtlSdrSource

        return RtlSdrSource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    if spec.startswith("soapy:"):
        from rfclassify.sources.soapy import SoapySource

        return SoapySource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    from rfclassify.sources.files import open_file

    return open_file(spec, format=format, rate_hz=rate_hz, freq_hz=freq_hz)
