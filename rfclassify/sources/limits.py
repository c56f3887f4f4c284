"""Valid sample rates, centre frequencies and gains: for recordings and for RTL-SDR hardware.

One place for every range a source checks, so an impossible value is
refused with the valid range (an :class:`~rfclassify.errors.InputError`, one
line) and an odd but possible one is reported as a warning on the
``rfclassify.sources`` logger.

Recordings (any source): the sample rate must be finite and between
:data:`MIN_ANALYSIS_RATE_HZ` (below it no radio link we classify fits, and
the detector's time and frequency resolution collapse) and
:data:`MAX_RATE_HZ` (the detector's buffers hold seconds of spectrum, so
their size grows with the rate: about 0.2 GB at 1 GS/s, 95 GB at 100 GS/s;
the widest SDRs in use record 250 MS/s); a centre frequency must be finite and between 0 Hz
(complex baseband) and :data:`MAX_FREQ_HZ` (3 THz, the top of the ITU's
definition of radio waves).

RTL-SDR (RTL2832U + tuner), from librtlsdr (osmocom ``rtl-sdr``,
``src/librtlsdr.c``) and the osmocom rtl-sdr wiki's tuner table:

- sample rates: librtlsdr refuses rates of at most 225 kS/s, above 3.2 MS/s
  and between 300 kS/s (excluded) and 900 kS/s (included); above 2.56 MS/s
  most dongles lose samples over USB (warned);
- tuning range per tuner, :data:`RTL_TUNERS` (frequencies below the tuner's
  range are warned, not refused: RTL-SDR Blog drivers switch to direct
  sampling there; above it, or inside the E4000's gap, nothing is received);
- gains: the tuner's gain table (``rtlsdr_get_tuner_gains``), in dB; a gain
  outside the table's span is refused, since the driver would silently pick
  its nearest step. Before the tuner is known (rtl_tcp announces it in its
  header, a USB dongle once opened) the span of every tuner applies.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from rfclassify.errors import InputError

log = logging.getLogger("rfclassify.sources")

MIN_ANALYSIS_RATE_HZ = 1e3
MAX_RATE_HZ = 1e9
MAX_FREQ_HZ = 3e12

#: Sample-rate bands librtlsdr accepts, Hz: (lowest excluded, highest included).
RTL_RATE_BANDS_HZ: tuple[tuple[float, float], ...] = ((225e3, 300e3), (900e3, 3.2e6))
#: Above this rate most RTL-SDRs drop samples on USB.
RTL_STABLE_RATE_HZ = 2.56e6


@dataclass(frozen=True)
class TunerLimits:
    """What one RTL-SDR tuner chip can do: tuning bands (Hz) and manual gain span (dB)."""

    name: str
    bands_hz: tuple[tuple[float, float], ...]
    gain_db: tuple[float, float] | None  # None: the tuner has no manual gain steps

    def describe_bands(self) -> str:
        """``24–1766 MHz`` (bands joined with ``and``)."""
        return " and ".join(f"{lo / 1e6:g}–{hi / 1e6:g} MHz" for lo, hi in self.bands_hz)


#: By the tuner number of librtlsdr's ``enum rtlsdr_tuner`` (as the rtl_tcp header carries it).
RTL_TUNERS: dict[int, TunerLimits] = {
    1: TunerLimits("E4000", ((52e6, 1100e6), (1250e6, 2200e6)), (-1.0, 42.0)),
    2: TunerLimits("FC0012", ((22e6, 948.6e6),), (-9.9, 19.2)),
    3: TunerLimits("FC0013", ((22e6, 1100e6),), (-9.9, 19.7)),
    4: TunerLimits("FC2580", ((146e6, 308e6), (438e6, 924e6)), None),
    5: TunerLimits("R820T", ((24e6, 1766e6),), (0.0, 49.6)),
    6: TunerLimits("R828D", ((24e6, 1766e6),), (0.0, 49.6)),
}
#: What any RTL-SDR might do, before its tuner is known.
RTL_ANY_MAX_FREQ_HZ = max(hi for t in RTL_TUNERS.values() for _, hi in t.bands_hz)
RTL_ANY_GAIN_DB = (
    min(t.gain_db[0] for t in RTL_TUNERS.values() if t.gain_db),
    max(t.gain_db[1] for t in RTL_TUNERS.values() if t.gain_db),
)


def format_rate(rate_hz: float) -> str:
    """``2.4 MS/s``, ``250 kS/s``, ``10 S/s`` (for messages)."""
    for div, unit in ((1e9, "GS/s"), (1e6, "MS/s"), (1e3, "kS/s")):
        if abs(rate_hz) >= div:
            return f"{rate_hz / div:.4g} {unit}"
    return f"{rate_hz:.4g} S/s"


def format_freq(freq_hz: float) -> str:
    """``915 MHz``, ``2.44 GHz``, ``-915 MHz`` (for messages)."""
    for div, unit in ((1e12, "THz"), (1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(freq_hz) >= div:
            return f"{freq_hz / div:.6g} {unit}"
    return f"{freq_hz:.6g} Hz"


def rate_problem(rate_hz: float) -> str | None:
    """Why ``rate_hz`` cannot be a recording's sample rate (``None`` when it can)."""
    valid = f"valid: {format_rate(MIN_ANALYSIS_RATE_HZ)} – {format_rate(MAX_RATE_HZ)}"
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        return f"sample rate must be a positive number, not {rate_hz:g} ({valid})"
    if rate_hz < MIN_ANALYSIS_RATE_HZ:
        return f"sample rate {format_rate(rate_hz)} is too low to analyse ({valid})"
    if rate_hz > MAX_RATE_HZ:
        return f"sample rate {format_rate(rate_hz)} is beyond what rfclassify analyses ({valid})"
    return None


def freq_problem(freq_hz: float) -> str | None:
    """Why ``freq_hz`` cannot be a centre frequency (``None`` when it can)."""
    if not math.isfinite(freq_hz) or not 0 <= freq_hz <= MAX_FREQ_HZ:
        return (
            f"centre frequency {format_freq(freq_hz)} is not a radio frequency "
            f"(valid: 0 Hz – {format_freq(MAX_FREQ_HZ)})"
        )
    return None


def check_rate(where: object, rate_hz: float) -> None:
    """Refuse a sample rate no recording can have (:class:`InputError` naming ``where``)."""
    problem = rate_problem(rate_hz)
    if problem:
        raise InputError(where, problem)


def check_freq(where: object, freq_hz: float) -> None:
    """Refuse a centre frequency that is not a radio frequency (:class:`InputError`)."""
    problem = freq_problem(freq_hz)
    if problem:
        raise InputError(where, problem)


def check_rtl_rate(where: object, rate_hz: float) -> None:
    """Refuse a rate librtlsdr refuses; warn above the rate most dongles sustain."""
    if not any(lo < rate_hz <= hi for lo, hi in RTL_RATE_BANDS_HZ):
        raise InputError(
            where,
            f"an RTL-SDR cannot sample at {format_rate(rate_hz)} "
            "(valid: 225–300 kS/s or 0.9–3.2 MS/s, lower ends excluded)",
        )
    if rate_hz > RTL_STABLE_RATE_HZ:
        log.warning(
            "%s: %s is above the %s most RTL-SDRs sustain; expect dropped samples",
            where, format_rate(rate_hz), format_rate(RTL_STABLE_RATE_HZ),
        )


def check_rtl_tuning(
    where: object, freq_hz: float, gain_db: float | None, tuner_type: int | None = None
) -> None:
    """Check a centre frequency and manual gain against the tuner (any RTL tuner when unknown).

    Refuses what the hardware cannot do (:class:`InputError` with the valid
    range); warns below the tuner's range (direct sampling may reach it) and
    when the tuner has no manual gain.
    """
    tuner = RTL_TUNERS.get(tuner_type) if tuner_type is not None else None
    if tuner is None:
        if not 0 < freq_hz <= RTL_ANY_MAX_FREQ_HZ:
            raise InputError(
                where,
                f"an RTL-SDR cannot tune to {format_freq(freq_hz)} "
                f"(valid: above 0 Hz up to {format_freq(RTL_ANY_MAX_FREQ_HZ)}, by tuner)",
            )
        span = RTL_ANY_GAIN_DB
    else:
        lowest = tuner.bands_hz[0][0]
        highest = tuner.bands_hz[-1][1]
        if freq_hz > highest or (
            freq_hz >= lowest and not any(lo <= freq_hz <= hi for lo, hi in tuner.bands_hz)
        ):
            raise InputError(
                where,
                f"the {tuner.name} tuner cannot tune to {format_freq(freq_hz)} "
                f"(valid: {tuner.describe_bands()})",
            )
        if freq_hz < lowest:
            log.warning(
                "%s: %s is below the %s tuner's range (%s); only direct sampling receives there",
                where, format_freq(freq_hz), tuner.name, tuner.describe_bands(),
            )
        if tuner.gain_db is None:
            if gain_db is not None:
                log.warning("%s: the %s tuner has no manual gain; --gain is ignored", where, tuner.name)
            return
        span = tuner.gain_db
    if gain_db is not None and not span[0] <= gain_db <= span[1]:
        which = f"the {tuner.name} tuner's" if tuner is not None else "an RTL-SDR's"
        raise InputError(
            where, f"gain {gain_db:g} dB is outside {which} range ({span[0]:g} to {span[1]:g} dB, or 'auto')"
        )
