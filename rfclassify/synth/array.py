"""Multi-channel array recordings and rotating-antenna recordings from clean emitter signals.

Input is what a scene knows about each emitter: its clean complex baseband
as the receiver sees it (at the receiver rate, already offset to where it
falls in the receiver window), its RF frequency and its azimuth. This module
then plays the array:

- coherent array: every element ``m`` receives each emitter times its
  steering phase ``exp(+j·2π·(p_m·u(θ))/λ)`` with ``λ = c / rf_hz`` of *that*
  emitter (convention of :mod:`rfclassify.bearing.steering`), plus
  independent complex white noise per channel; optional per-channel complex
  gain (gain in dB, phase in degrees) and integer sample delays model the
  uncalibrated receivers of a KrakenSDR-like array (one shared clock, each
  tuner with its own LO phase and USB buffering);
- rotating or switched directional antenna: one channel whose gain towards
  each emitter follows the antenna's power pattern at ``azimuth(t) − θ``,
  with a capture boundary (``rfclassify:azimuth_deg``, see
  :mod:`rfclassify.bearing.rotating`) at every azimuth step.

SNR follows SIGNATURES.md: signal power (while on) over the noise power
inside the signal's occupied bandwidth, per channel.

All randomness comes from a ``numpy.random.Generator`` the caller passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.steering import steering_vectors


@dataclass(frozen=True)
class ArrayEmitter:
    """One emitter as the array sees it: clean baseband ``samples`` at the receiver rate.

    ``rf_hz`` is the emitter's RF centre (sets λ for its steering);
    ``azimuth_deg`` follows the array convention (CCW from +x, towards the
    emitter). ``samples`` may be shorter than the recording; it starts at
    ``start_sample``.
    """

    samples: np.ndarray
    rf_hz: float
    azimuth_deg: float
    start_sample: int = 0


@dataclass(frozen=True)
class ChannelErrors:
    """Per-channel receiver imperfections: gain (dB), phase (degrees), integer delay (samples).

    Channel ``m`` records ``g_m · x_m[n − delay_m]`` with
    ``g_m = 10^(gain_db/20)·exp(j·phase)``.
    """

    gain_db: tuple[float, ...]
    phase_deg: tuple[float, ...]
    delay_samples: tuple[int, ...] = field(default=())

    @property
    def complex_gain(self) -> np.ndarray:
        """``g_m`` per channel."""
        return 10 ** (np.asarray(self.gain_db) / 20) * np.exp(1j * np.radians(self.phase_deg))

    @classmethod
    def random(
        cls,
        num_channels: int,
        rng: np.random.Generator,
        *,
        gain_db_std: float = 1.0,
        max_delay_samples: int = 0,
    ) -> ChannelErrors:
        """Uniform random phases in [0, 360)°, Gaussian gains (dB), delays in ``[0, max_delay]``."""
        phase = rng.uniform(0.0, 360.0, num_channels)
        gain = rng.normal(0.0, gain_db_std, num_channels)
        delay = rng.integers(0, max_delay_samples + 1, num_channels) if max_delay_samples > 0 else np.zeros(
            num_channels, dtype=int
        )
        return cls(tuple(map(float, gain)), tuple(map(float, phase)), tuple(int(d) for d in delay))


def active_power(samples: np.ndarray) -> float:
    """Mean power of ``samples`` over the samples where the signal is on (non-zero)."""
    p = np.abs(np.asarray(samples)) ** 2
    on = p > 1e-12 * max(float(np.max(p)) if p.size else 0.0, 1e-300)
    return float(np.mean(p[on])) if np.any(on) else 0.0


def scale_to_snr(
    samples: np.ndarray, snr_db: float, bandwidth_hz: float, sample_rate_hz: float, noise_power: float = 1.0
) -> np.ndarray:
    """Scale ``samples`` so that (power while on) / (noise power in ``bandwidth_hz``) = ``snr_db``.

    ``noise_power`` is the total complex noise power per channel over the
    whole ``sample_rate_hz``, so the in-band noise is ``noise_power·bw/fs``.
    """
    p = active_power(samples)
    if p <= 0:
        raise ValueError("cannot scale a signal that is all zeros")
    target = 10 ** (snr_db / 10) * noise_power * min(1.0, bandwidth_hz / sample_rate_hz)
    return (np.asarray(samples) * np.sqrt(target / p)).astype(np.complex64)


def complex_noise(shape: tuple[int, ...], noise_power: float, rng: np.random.Generator) -> np.ndarray:
    """Circular complex white Gaussian noise of total power ``noise_power`` per sample."""
    scale = np.sqrt(noise_power / 2)
    return (rng.normal(0.0, scale, shape) + 1j * rng.normal(0.0, scale, shape)).astype(np.complex64)


def _place(emitter: ArrayEmitter, num_samples: int) -> tuple[np.ndarray, slice]:
    start = max(0, int(emitter.start_sample))
    stop = min(num_samples, start + len(emitter.samples))
    return np.asarray(emitter.samples[: stop - start], dtype=np.complex128), slice(start, stop)


def _apply_errors(out: np.ndarray, errors: ChannelErrors, noise_power: float, rng: np.random.Generator) -> None:
    """Apply ``errors`` to ``out`` (samples × channels) in place: complex gains, then delays.

    A channel delayed by ``d`` samples starts with ``d`` samples of fresh
    noise of ``noise_power``.
    """
    out *= errors.complex_gain[None, :]
    for ch, d in enumerate(errors.delay_samples):
        if d > 0:
            out[d:, ch] = out[:-d, ch].copy()
            out[:d, ch] = complex_noise((d,), noise_power, rng)


def array_recording(
    emitters: Sequence[ArrayEmitter],
    geometry: ArrayGeometry,
    num_samples: int,
    rng: np.random.Generator,
    *,
    noise_power: float = 1.0,
    errors: ChannelErrors | None = None,
) -> np.ndarray:
    """Samples of shape ``(num_samples, M)`` (complex64) that ``geometry`` would record.

    Each emitter is steered per the convention, noise of ``noise_power`` per
    channel is added independently, then ``errors`` (gain, phase, delay) are
    applied per channel, as a receiver chain would.
    """
    m = geometry.num_elements
    out = np.zeros((num_samples, m), dtype=np.complex128)
    for em in emitters:
        sig, where = _place(em, num_samples)
        steer = steering_vectors(geometry, float(em.azimuth_deg), float(em.rf_hz))
        out[where] += sig[:, None] * steer[None, :]
    out += complex_noise((num_samples, m), noise_power, rng)
    if errors is not None:
        if len(errors.phase_deg) != m or len(errors.gain_db) != m:
            raise ValueError(f"errors describe {len(errors.phase_deg)} channels, array has {m}")
        _apply_errors(out, errors, noise_power, rng)
    return out.astype(np.complex64)


def common_noise_recording(
    num_channels: int,
    num_samples: int,
    rng: np.random.Generator,
    *,
    snr_db: float = 20.0,
    noise_power: float = 1.0,
    errors: ChannelErrors | None = None,
) -> np.ndarray:
    """What a calibration recording looks like: one wideband noise source split to every channel.

    KrakenSDR switches a common noise source into all inputs through a
    splitter for its coherent calibration (krakenrf/krakensdr_docs wiki,
    "Coherent calibration"); each channel adds its own receiver noise
    ``snr_db`` below it, then its ``errors``.
    """
    common = complex_noise((num_samples,), noise_power * 10 ** (snr_db / 10), rng).astype(np.complex128)
    out = np.repeat(common[:, None], num_channels, axis=1)
    out += complex_noise((num_samples, num_channels), noise_power, rng)
    if errors is not None:
        _apply_errors(out, errors, noise_power, rng)
    return out.astype(np.complex64)


def elrs_like_signal(
    num_samples: int,
    sample_rate_hz: float,
    offset_hz: float,
    rng: np.random.Generator,
    *,
    sf: int = 6,
    bw_hz: float = 500e3,
    period_s: float = 5e-3,
    first_s: float | None = None,
) -> np.ndarray:
    """A stand-in ELRS 900 control link: LoRa SF6/BW500k bursts every ``period_s``, at ``offset_hz``.

    Packet layout from SIGNATURES.md (ExpressLRS ``src/src/common.cpp``: 200 Hz
    rate = SF6, 5 ms interval): 8 preamble up-chirps, 2 sync symbols, 2
    down-chirps, then random payload symbols filling ~4.4 ms. Unit amplitude
    while on; zero between packets. Used until the scene synthesizer exposes
    the real signature; tests and the bearing benchmark call it.
    """
    from rfclassify.dsp.modulation import frequency_shift, lora_chirps, lora_symbol_duration_s

    t_sym = lora_symbol_duration_s(sf, bw_hz)
    n_payload = max(1, int(4.4e-3 / t_sym) - 12)
    out = np.zeros(num_samples, dtype=np.complex64)
    period = round(period_s * sample_rate_hz)
    start = int(rng.integers(0, period)) if first_s is None else round(first_s * sample_rate_hz)
    while start < num_samples:
        values = np.concatenate(([0] * 8, [8, 16], [0, 0], rng.integers(0, 2**sf, n_payload)))
        down = np.zeros(len(values), dtype=bool)
        down[10:12] = True
        burst = lora_chirps(values, sf, bw_hz, sample_rate_hz, down=down)
        burst = frequency_shift(burst, offset_hz, sample_rate_hz, start / sample_rate_hz)
        burst *= np.exp(2j * np.pi * rng.uniform())
        stop = min(num_samples, start + len(burst))
        out[start:stop] = burst[: stop - start]
        start += period
    return out


def elrs_like_emitters(
    placements: Iterable[tuple[float, float]],
    num_samples: int,
    sample_rate_hz: float,
    center_hz: float,
    snr_db: float,
    rng: np.random.Generator,
    *,
    bw_hz: float = 500e3,
    period_s: float = 5e-3,
) -> list[ArrayEmitter]:
    """One :func:`elrs_like_signal` emitter per ``(offset_hz, azimuth_deg)`` of ``placements``.

    Each is at ``offset_hz`` in the receiver window (RF ``center_hz + offset_hz``),
    sends a packet every ``period_s``, is scaled to ``snr_db`` in ``bw_hz``
    (:func:`scale_to_snr`, unit noise power) and drawn from ``rng`` in the
    order given. The scene of the bearing tests and of ``scripts/bench_bearing.py``.
    """
    return [
        ArrayEmitter(
            scale_to_snr(elrs_like_signal(num_samples, sample_rate_hz, off, rng, period_s=period_s), snr_db, bw_hz,
                         sample_rate_hz),
            center_hz + off,
            az,
        )
        for off, az in placements
    ]


def rotating_recording(
    emitters: Sequence[ArrayEmitter],
    azimuths_deg: Sequence[float],
    dwell_samples: int,
    beamwidth_deg: float,
    rng: np.random.Generator,
    *,
    pattern: str = "gaussian",
    floor_db: float = -25.0,
    noise_power: float = 1.0,
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """A single-channel recording made by a directional antenna stepped through ``azimuths_deg``.

    The antenna points at ``azimuths_deg[i]`` for ``dwell_samples`` samples
    each; every emitter's amplitude is scaled by the square root of the power
    pattern (:func:`rfclassify.bearing.rotating.pattern_gain`) at
    ``azimuth − θ_emitter``. Returns ``(samples, captures)`` where captures
    are ``(sample_start, azimuth_deg)`` pairs — what a SigMF writer stores as
    ``core:sample_start`` and ``rfclassify:azimuth_deg``.
    """
    from rfclassify.bearing.rotating import pattern_gain

    n = dwell_samples * len(azimuths_deg)
    az_t = np.repeat(np.asarray(azimuths_deg, dtype=np.float64), dwell_samples)
    out = np.zeros(n, dtype=np.complex128)
    for em in emitters:
        sig, where = _place(em, n)
        gain = pattern_gain(az_t[where] - em.azimuth_deg, beamwidth_deg, pattern, floor_db)
        out[where] += sig * np.sqrt(gain)
    out += complex_noise((n,), noise_power, rng)
    captures = [(i * dwell_samples, float(az) % 360.0) for i, az in enumerate(azimuths_deg)]
    return out.astype(np.complex64), captures


#: Emitters of :func:`write_bearing_examples`: (offset from the centre in Hz, azimuth in degrees).
EXAMPLE_PLACEMENTS: tuple[tuple[float, float], ...] = ((-300e3, 40.0), (400e3, 250.0))


#: File stems of the bearing example recordings, by kind (``<stem>.sigmf-meta`` / ``.sigmf-data``).
BEARING_EXAMPLES: dict[str, str] = {
    "kraken": "kraken_915M_2400k",
    "noise": "noise_915M_2400k",
    "sweep": "sweep_915M_2400k",
}


def write_bearing_examples(out_dir: str | Path, seed: int = 0, *, overwrite: bool = False) -> dict[str, Path]:
    """Write the recordings the README's bearing examples use; returns ``{kind: .sigmf-meta path}``.

    - ``kraken``: a 5-element UCA of radius 0.11 m (KrakenSDR-like, 2.4 MS/s ``ci16_le`` at 915 MHz)
      hearing two ELRS-like links at the azimuths of :data:`EXAMPLE_PLACEMENTS`, through receivers
      with random phases, gains and delays (so it needs ``rfclassify calibrate``); the geometry is
      in ``rfclassify:array``, each emitter's true azimuth in its annotation
      (``rfclassify:azimuth_deg``).
    - ``noise``: the calibration recording of the same receivers (a common noise source).
    - ``sweep``: one channel of an antenna of 60° beamwidth stepped in 10° steps every 5 ms, hearing
      one link at 205° (captures carry ``rfclassify:azimuth_deg``).

    Refuses to overwrite existing recordings unless ``overwrite``; callers that must not leave a
    partial set check every path of :data:`BEARING_EXAMPLES` first.
    """
    from rfclassify.bearing.rotating import AZIMUTH_KEY
    from rfclassify.sources.sigmf_io import write_sigmf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fs_hz, fc_hz, elements, radius_m = 2.4e6, 915e6, 5, 0.11
    rng = np.random.default_rng(seed)
    geometry = ArrayGeometry.uca(elements, radius_m)
    errors = ChannelErrors.random(elements, rng, max_delay_samples=3)
    n = int(0.05 * fs_hz)
    emitters = elrs_like_emitters(EXAMPLE_PLACEMENTS, n, fs_hz, fc_hz, 12.0, rng)
    x = array_recording(emitters, geometry, n, rng, errors=errors) * 0.05
    annotations = [
        {"core:sample_start": 0, "core:sample_count": n, "core:label": "elrs-900",
         "core:freq_lower_edge": fc_hz + off - 250e3, "core:freq_upper_edge": fc_hz + off + 250e3,
         "rfclassify:azimuth_deg": az}
        for off, az in EXAMPLE_PLACEMENTS
    ]
    written = {
        "kraken": write_sigmf(
            out / BEARING_EXAMPLES["kraken"], x, datatype="ci16_le", sample_rate_hz=fs_hz, center_freq_hz=fc_hz,
            annotations=annotations, global_extra={"rfclassify:array": geometry.to_metadata()},
            description="synthetic 5-element UCA (r = 0.11 m), uncalibrated receivers, two ELRS-like links",
            overwrite=overwrite,
        ),
    }
    noise = common_noise_recording(elements, 1 << 15, rng, errors=errors) * 0.02
    written["noise"] = write_sigmf(
        out / BEARING_EXAMPLES["noise"], noise, datatype="ci16_le", sample_rate_hz=fs_hz, center_freq_hz=fc_hz,
        description="calibration recording of the same receivers: one noise source split to every input",
        overwrite=overwrite,
    )
    dwell = int(0.005 * fs_hz)
    azimuths = np.arange(0.0, 360.0, 10.0)
    sweep_emitter = elrs_like_emitters([(-200e3, 205.0)], dwell * len(azimuths), fs_hz, fc_hz, 12.0, rng)
    y, caps = rotating_recording(sweep_emitter, azimuths, dwell, 60.0, rng)
    written["sweep"] = write_sigmf(
        out / BEARING_EXAMPLES["sweep"], y * 0.05, datatype="ci16_le", sample_rate_hz=fs_hz, center_freq_hz=fc_hz,
        captures=[{"core:sample_start": s, AZIMUTH_KEY: a} for s, a in caps],
        annotations=[{"core:sample_start": 0, "core:sample_count": len(y), "core:label": "elrs-900",
                      "rfclassify:azimuth_deg": 205.0}],
        description="synthetic rotating antenna (60° beamwidth, 10° steps every 5 ms), one ELRS-like link at 205°",
        overwrite=overwrite,
    )
    return written
