"""Receiver models: what an SDR does to the RF scene it observes.

A :class:`Receiver` is a tuned centre frequency, a sample rate, an analog
bandwidth and the front end's imperfections. :func:`receive` turns the clean
sum of observed emitters (see :mod:`rfclassify.synth.scene`) into what the
receiver records: thermal noise (the unit of power: total complex noise power
1 over the sample rate, so a signal's SNR fixes its power), IQ imbalance, AGC
gain, DC offset, then the ADC's rounding and clipping.

Presets and the sources of their numbers:

- :func:`rtlsdr`: RTL2832U + R820T/R828D dongle, 8-bit unsigned ``cu8``
  samples centred on 127.5 (osmocom rtl-sdr ``rtl_sdr.c`` writes the raw
  bytes), stable up to about 2.4–2.56 MS/s, reference crystal within about
  ±30 ppm uncorrected (osmocom documentation, ``rtl_test -p``), visible DC
  spike and IQ imbalance of a zero-IF receiver. 2.4 and 5.8 GHz links are
  observed "through a downconverter": the recording's frequency axis and
  annotations are in RF as if the dongle tuned there directly, and the
  downconverter's own LO error is folded into ``ppm``.
- :func:`wideband`: a HackRF-One-like recorder at 20 MS/s (also 15.36,
  30.72, 40 MS/s), 8-bit signed ``cs8`` (SigMF ``ci8``; ``hackrf_transfer``
  writes interleaved int8) or float ``cf32_le`` (what GNU Radio / SDR++
  SigMF exports hold). Its LO and sampling clocks all derive from one
  on-board 25 MHz crystal (greatscottgadgets/hackrf issue #1416); the ±20
  ppm spread drawn here is an assumption for an uncompensated crystal, and
  the DC/imbalance/AGC numbers of both presets are typical, not measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rfclassify.synth import impairments as imp


@dataclass(frozen=True)
class Receiver:
    """An SDR tuned at ``center_freq_hz`` sampling at ``sample_rate_hz`` into ``datatype``.

    ``analog_bw_hz`` is the RF width the front end passes (``None``: the
    full sample rate); emissions outside ``center ± analog_bw/2`` are not
    seen. ``ppm`` is the LO's error: a signal at RF ``f`` appears at
    ``f − center − ppm·1e-6·center`` in baseband. ``dc_offset`` is in units
    of full scale, added after the AGC. ``agc_target_rms`` sets the RMS the
    AGC brings the recording to (full scale = 1); ``None`` disables the AGC
    and applies the fixed ``gain`` (amplitude per unit noise RMS) instead.
    """

    name: str
    sample_rate_hz: float
    center_freq_hz: float
    datatype: str = "cf32_le"
    analog_bw_hz: float | None = None
    ppm: float = 0.0
    dc_offset: complex = 0j
    iq_gain_db: float = 0.0
    iq_phase_deg: float = 0.0
    agc_target_rms: float | None = 0.25
    gain: float = 0.1
    phase_noise_linewidth_hz: float = 0.0
    hardware: str = ""

    @property
    def bandwidth_hz(self) -> float:
        """RF width the receiver sees (the analog bandwidth, at most the sample rate)."""
        bw = self.sample_rate_hz if self.analog_bw_hz is None else self.analog_bw_hz
        return min(bw, self.sample_rate_hz)

    @property
    def window_hz(self) -> tuple[float, float]:
        """The RF range ``(lo, hi)`` in Hz that the receiver observes."""
        half = self.bandwidth_hz / 2
        return (self.center_freq_hz - half, self.center_freq_hz + half)

    @property
    def lo_error_hz(self) -> float:
        """How far the real LO sits above the nominal centre, in Hz."""
        return imp.ppm_offset_hz(self.ppm, self.center_freq_hz)

    def tuned(self, center_freq_hz: float) -> Receiver:
        """The same receiver tuned elsewhere."""
        return replace(self, center_freq_hz=float(center_freq_hz))


def rtlsdr(
    center_freq_hz: float, sample_rate_hz: float = 2.4e6, *, rng: np.random.Generator | None = None
) -> Receiver:
    """An RTL-SDR dongle: ``cu8``, DC spike, IQ imbalance, LO error, AGC, 8-bit clipping.

    Without ``rng`` the imperfections take typical fixed values (LO exact);
    with ``rng`` each is drawn: ppm uniform in ±30, DC offset 0.2–3 % of full
    scale, IQ gain ±0.5 dB, phase ±3°, AGC target RMS 0.12–0.35 of full scale.
    """
    if rng is None:
        return Receiver(
            name="rtlsdr",
            sample_rate_hz=float(sample_rate_hz),
            center_freq_hz=float(center_freq_hz),
            datatype="cu8",
            dc_offset=0.01 + 0.005j,
            iq_gain_db=0.3,
            iq_phase_deg=1.5,
            agc_target_rms=0.25,
            hardware="RTL-SDR (RTL2832U/R820T), simulated",
        )
    dc = rng.uniform(0.002, 0.03) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    return Receiver(
        name="rtlsdr",
        sample_rate_hz=float(sample_rate_hz),
        center_freq_hz=float(center_freq_hz),
        datatype="cu8",
        ppm=float(rng.uniform(-30, 30)),
        dc_offset=complex(dc),
        iq_gain_db=float(rng.uniform(-0.5, 0.5)),
        iq_phase_deg=float(rng.uniform(-3, 3)),
        agc_target_rms=float(rng.uniform(0.12, 0.35)),
        hardware="RTL-SDR (RTL2832U/R820T), simulated",
    )


def wideband(
    center_freq_hz: float,
    sample_rate_hz: float = 20e6,
    datatype: str = "ci8",
    *,
    rng: np.random.Generator | None = None,
) -> Receiver:
    """A HackRF-like wideband recorder: ``ci8`` (``cs8``) or ``cf32_le``, smaller DC spike and imbalance.

    With ``rng``: ppm uniform in ±20, DC offset 0.1–1 % of full scale, IQ
    gain ±0.2 dB, phase ±1°, AGC target RMS 0.1–0.3.
    """
    if datatype not in ("ci8", "cf32_le"):
        raise ValueError(f"wideband datatype must be 'ci8' or 'cf32_le', not {datatype!r}")
    hardware = "HackRF One, simulated" if datatype == "ci8" else "wideband SDR (float export), simulated"
    if rng is None:
        return Receiver(
            name="wideband",
            sample_rate_hz=float(sample_rate_hz),
            center_freq_hz=float(center_freq_hz),
            datatype=datatype,
            dc_offset=0.004 - 0.002j,
            iq_gain_db=0.1,
            iq_phase_deg=0.5,
            agc_target_rms=0.2,
            hardware=hardware,
        )
    dc = rng.uniform(0.001, 0.01) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    return Receiver(
        name="wideband",
        sample_rate_hz=float(sample_rate_hz),
        center_freq_hz=float(center_freq_hz),
        datatype=datatype,
        ppm=float(rng.uniform(-20, 20)),
        dc_offset=complex(dc),
        iq_gain_db=float(rng.uniform(-0.2, 0.2)),
        iq_phase_deg=float(rng.uniform(-1, 1)),
        agc_target_rms=float(rng.uniform(0.1, 0.3)),
        hardware=hardware,
    )


def ideal(center_freq_hz: float, sample_rate_hz: float, datatype: str = "cf32_le") -> Receiver:
    """A perfect receiver (no DC, imbalance, LO error or AGC; unit noise), for measurements and tests."""
    return Receiver(
        name="ideal",
        sample_rate_hz=float(sample_rate_hz),
        center_freq_hz=float(center_freq_hz),
        datatype=datatype,
        agc_target_rms=None,
        gain=1.0,
        hardware="ideal receiver, simulated",
    )


def receive(clean: np.ndarray, receiver: Receiver, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """What ``receiver`` records of the clean observed signal ``clean`` (complex, receiver rate).

    Adds unit-power thermal noise, the LO's phase noise, IQ imbalance, the AGC
    (or fixed) gain, the DC offset, then quantizes to ``receiver.datatype``.
    Returns ``(samples, gain)``: complex64 in units of full scale, and the
    amplitude gain applied, so the noise power in the output is ``gain²``.
    """
    x = imp.awgn(len(clean), rng)
    x += clean
    if receiver.phase_noise_linewidth_hz > 0:
        x = imp.apply_phase_noise(x, receiver.sample_rate_hz, receiver.phase_noise_linewidth_hz, rng)
    x = imp.iq_imbalance(x, receiver.iq_gain_db, receiver.iq_phase_deg)
    if receiver.agc_target_rms is not None:
        x, gain = imp.agc_scale(x, receiver.agc_target_rms)
    else:
        gain = receiver.gain
        x = np.multiply(x, np.float32(gain), dtype=np.complex64)
    if receiver.dc_offset:
        x = imp.dc_offset(x, receiver.dc_offset)
    return imp.quantize(x, receiver.datatype), float(gain)
