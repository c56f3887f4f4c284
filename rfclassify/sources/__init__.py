"""Every place IQ samples come from, behind one call: :func:`open_source`.

Spec strings:

- ``rtlsdr:``, ``rtlsdr:INDEX``, ``rtlsdr::SERIAL`` — a live RTL-SDR (pyrtlsdr);
- ``rtl_tcp://HOST:PORT`` — a live ``rtl_tcp`` server;
- ``soapy:``, ``soapy:driver=hackrf,serial=…`` — a live SoapySDR device (HackRF, Airspy, LimeSDR, …);
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

__all__ = [
    "SOURCE_FORMATS", "Block", "Capture", "FileSource", "Source", "SourceInfo", "device_settings", "is_live_spec",
    "open_source",
]

#: The raw sample formats people name (``--format``): rtl_sdr, HackRF, int16 and GNU Radio complex64.
SOURCE_FORMATS = ("cu8", "cs8", "cs16", "cf32")


def is_live_spec(spec: str) -> bool:
    """True for specs naming a live receiver rather than a file."""
    return spec.startswith(("rtlsdr:", "rtl_tcp://", "soapy:"))


def device_settings(
    spec: str, *, agc: bool = False, bias_tee: bool = False, bandwidth_hz: float | None = None
) -> dict[str, Any]:
    """The receiver-specific keywords of :func:`open_source` for live ``spec``, refusing ones it has not.

    ``agc`` and ``bias_tee`` are RTL-SDR settings (dongle or ``rtl_tcp``); ``bandwidth_hz`` sets a
    SoapySDR device's analog filter. Raises :class:`rfclassify.errors.InputError` for a setting the
    receiver does not have, rather than ignoring it.
    """
    from rfclassify.errors import InputError

    if spec.startswith("soapy:"):
        if agc or bias_tee:
            raise InputError(spec, "--agc and --bias-tee are RTL-SDR settings; a SoapySDR device has its own gain")
        return {"bandwidth_hz": bandwidth_hz}
    if bandwidth_hz is not None:
        raise InputError(spec, "--bandwidth sets a SoapySDR device's filter; an RTL-SDR has none to set")
    return {"agc": agc, "bias_tee": bias_tee}


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
    if spec.startswith("soapy:"):
        from rfclassify.sources.soapy import SoapySource

        return SoapySource(spec, rate_hz=rate_hz, freq_hz=freq_hz, **overrides)
    from rfclassify.sources.files import open_file

    return open_file(spec, format=format, rate_hz=rate_hz, freq_hz=freq_hz)
