"""RF scenes: emitters placed in frequency and time, observed by one receiver.

A :class:`Scene` lists :class:`EmitterSpec` objects (a label from the
signature registry, a per-signal SNR, a band, a start time, mode parameters,
oscillator error, optional fading and phase noise) and a
:class:`~rfclassify.synth.receiver.Receiver`. :func:`render` asks each
signature's builder for its bursts over the receiver's RF window, moves each
visible burst to the receiver's sample rate and baseband offset, scales it to
its SNR, sums everything and lets the receiver record it (noise, front-end,
quantization). The result carries ground-truth SigMF annotations.

Conventions, decided here and relied on by datasets, training and evaluation:

- **Noise is the unit of power.** The receiver's thermal noise has total
  complex power 1 over its sample rate ``fs``, i.e. density ``1/fs`` per Hz.
  ``SIGNATURES.md`` defines SNR per signal as signal power over the noise
  power inside the signal's occupied bandwidth ``B``; the noise there is
  ``B/fs``, so a signal of SNR ``s`` has power ``s·B/fs``. A burst that is a
  slice of a wider signal (``Burst.power_fraction < 1``) gets that share.
  The SNR so defined does not depend on how much of the signal the receiver
  sees: Wi-Fi at 10 dB seen through 2.4 MS/s still shows 10 dB over the
  noise in its visible slice.
- **Frequencies in annotations are where the signal appears in the
  recording**: the frequency axis of a recording is its nominal centre plus
  baseband frequency, so the emitter's crystal error (``EmitterSpec.ppm``)
  and the receiver's LO error (``Receiver.ppm``) move the annotated edges.
  ``core:freq_lower_edge``/``core:freq_upper_edge`` give the whole occupied
  bandwidth of the signal (they may reach beyond the recording's band for a
  wide signal seen through a narrow receiver);
  ``rfclassify:visible_freq_lower_edge``/``…upper_edge`` clip them to what
  the receiver passes. Both contain the signal's observed energy.
- **Sample ranges** are the burst's own span at the receiver rate, clipped to
  the recording.
- A burst is **visible** when its occupied band overlaps the receiver's
  window (``Receiver.window_hz``). Bursts partly outside are moved to an
  intermediate rate wide enough that nothing folds back, shifted, then
  low-pass filtered and decimated to the receiver rate, so a receiver shows
  only the in-band slice of a wide signal — the same ELRS hop sequence shows
  a few hops through an RTL-SDR at 2.4 MS/s and most of them at 20 MS/s.
- ``Rendered.components`` maps each emitter id to its clean observed signal
  (complex64, receiver rate, same length as the recording, SNR scaling,
  oscillator offsets, fading and phase noise applied; no receiver noise,
  front-end impairments or AGC gain). Its unit is that of the noise before the
  receiver's gain: multiply by ``Rendered.gain`` to compare with ``samples``.
  An array synthesizer applies a per-element steering phase to each
  component, sums, and passes the sum to
  :func:`rfclassify.synth.receiver.receive` once per element with
  independent noise.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.signal import firwin, resample_poly

from rfclassify.dsp.modulation import frequency_shift
from rfclassify.signatures import REGISTRY, Band, Burst, EmitRequest, Signature
from rfclassify.synth import impairments as imp
from rfclassify.synth.receiver import Receiver, receive

#: Share of the receiver rate that a resampler passes untouched (the rest is its transition band).
_PASS_FRACTION = 0.45
GENERATOR = "rfclassify.synth"


@dataclass
class EmitterSpec:
    """One emitter in a scene.

    ``label`` names a registered signature; ``snr_db`` is its SNR as defined
    in ``SIGNATURES.md``; ``band`` picks one of the signature's bands by name
    (``None``: the band that overlaps the receiver's window most);
    ``start_s`` delays (or, negative, advances) the emitter's timeline;
    ``params`` are passed to the builder (modes, channels …); ``ppm`` is the
    emitter's crystal error; ``azimuth_deg`` is its bearing from the receiver
    (carried to annotations, used by array synthesis); ``fading_k_db`` turns on
    block Rician multipath with that K-factor; ``phase_noise_linewidth_hz``
    adds Wiener phase noise to its carrier. ``seed`` fixes the builder's
    generator (``None``: a child of the scene's generator), so the same
    emission can be observed by several receivers.
    """

    label: str
    snr_db: float
    band: str | None = None
    start_s: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    emitter_id: str | None = None
    ppm: float = 0.0
    azimuth_deg: float | None = None
    fading_k_db: float | None = None
    phase_noise_linewidth_hz: float = 0.0
    seed: int | None = None


@dataclass
class Scene:
    """Emitters observed by one receiver for ``duration_s`` seconds."""

    emitters: list[EmitterSpec]
    receiver: Receiver
    duration_s: float

    @property
    def num_samples(self) -> int:
        """Length of the recording in samples."""
        return round(self.duration_s * self.receiver.sample_rate_hz)


@dataclass
class Rendered:
    """A rendered scene: the recording, its ground truth and each emitter's clean contribution.

    ``samples`` are complex64 in units of full scale, as the receiver would
    record them (after noise, front end, AGC and quantization). ``gain`` is
    the amplitude gain from noise units to full scale (noise power in
    ``samples`` is ``gain²``). ``annotations`` are SigMF annotation dicts
    sorted by start sample. ``components`` is described in the module docstring
    (empty when rendering with ``keep_components=False``).
    """

    samples: np.ndarray
    annotations: list[dict[str, Any]]
    components: dict[str, np.ndarray]
    scene: Scene
    gain: float

    @property
    def sample_rate_hz(self) -> float:
        """The receiver's sample rate."""
        return self.scene.receiver.sample_rate_hz

    @property
    def center_freq_hz(self) -> float:
        """The receiver's nominal centre frequency."""
        return self.scene.receiver.center_freq_hz


# ---------------------------------------------------------------------------
# Resampling with one filter design per rate pair


@functools.lru_cache(maxsize=128)
def _ratio(fs_in_hz: float, fs_out_hz: float) -> tuple[int, int]:
    frac = Fraction(fs_out_hz / fs_in_hz).limit_denominator(1000)
    return frac.numerator, frac.denominator


@functools.lru_cache(maxsize=128)
def _poly_filter(up: int, down: int) -> np.ndarray:
    # The same Kaiser-windowed design scipy's resample_poly makes by default,
    # designed once per rate pair instead of once per burst.
    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)).astype(np.float32)


def resample_cached(x: np.ndarray, fs_in_hz: float, fs_out_hz: float) -> np.ndarray:
    """Polyphase resampling of complex ``x`` from ``fs_in_hz`` to ``fs_out_hz`` (anti-aliased, zero delay).

    Equivalent to :func:`rfclassify.dsp.modulation.resample` (ratio limited
    to a denominator of 1000) with the filter cached per rate pair.
    """
    if abs(fs_in_hz - fs_out_hz) < 1e-6 * fs_out_hz:
        return np.asarray(x, dtype=np.complex64)
    up, down = _ratio(float(fs_in_hz), float(fs_out_hz))
    if up == down:
        return np.asarray(x, dtype=np.complex64)
    return resample_poly(x, up, down, window=_poly_filter(up, down)).astype(np.complex64)


@functools.lru_cache(maxsize=32)
def _lowpass(cutoff_ratio: float) -> np.ndarray:
    return firwin(101, cutoff_ratio, window=("kaiser", 6.0)).astype(np.float32)


# ---------------------------------------------------------------------------
# Placement


def pick_band(sig: Signature, receiver: Receiver, name: str | None = None) -> Band:
    """The signature's band called ``name``, else the one overlapping the receiver's window most.

    Falls back to the first band when none overlaps (the emitter is then out of view).
    """
    if name is not None:
        return sig.band(name)
    lo, hi = receiver.window_hz
    overlaps = [(min(hi, b.hi_hz) - max(lo, b.lo_hz), i) for i, b in enumerate(sig.bands)]
    best, index = max(overlaps)
    return sig.bands[index] if best > 0 else sig.bands[0]


def signal_amplitude(snr_db: float, bandwidth_hz: float, sample_rate_hz: float, power_fraction: float = 1.0) -> float:
    """Amplitude for a unit-power burst so the signal has ``snr_db`` over unit noise (see module docstring)."""
    power = 10 ** (snr_db / 10) * bandwidth_hz / sample_rate_hz * power_fraction
    return math.sqrt(max(power, 0.0))


def _observe_burst(
    burst: Burst, amplitude: float, offset_hz: float, receiver: Receiver
) -> np.ndarray:
    """The burst at the receiver rate, shifted to baseband ``offset_hz`` and limited to the receiver's band."""
    fs_rx = receiver.sample_rate_hz
    fs_b = burst.sample_rate_hz
    x = burst.samples.astype(np.complex64) * np.float32(amplitude)
    # Part of the spectrum the samples actually hold, relative to the burst's centre.
    lo_rel = max(burst.f_lo_hz - burst.rf_hz, -fs_b / 2)
    hi_rel = min(burst.f_hi_hz - burst.rf_hz, fs_b / 2)
    half_extent = max(-lo_rel, hi_rel, 0.0)
    lo_bb, hi_bb = offset_hz + lo_rel, offset_hz + hi_rel
    half_rx = receiver.bandwidth_hz / 2
    inside = lo_bb >= -half_rx and hi_bb <= half_rx and half_extent <= _PASS_FRACTION * fs_rx
    if inside:
        y = resample_cached(x, fs_b, fs_rx)
        return frequency_shift(y, offset_hz, fs_rx)
    # Partly visible: go to a rate at which the shifted burst does not fold back into the
    # receiver's band, shift there, then let the decimation filter keep the in-band slice.
    needed_hz = abs(offset_hz) + half_extent + 0.6 * fs_rx
    factor = max(1, math.ceil(needed_hz / fs_b))
    fs_i = fs_b * factor
    if factor > 1:
        x = resample_poly(x, factor, 1, window=_poly_filter(factor, 1)).astype(np.complex64)
    x = frequency_shift(x, offset_hz, fs_i)
    y = resample_cached(x, fs_i, fs_rx)
    if receiver.bandwidth_hz < 0.95 * fs_rx:
        y = np.convolve(y, _lowpass(round(receiver.bandwidth_hz / fs_rx, 4)), mode="same").astype(np.complex64)
    return y


def _child_rngs(rng: np.random.Generator, count: int) -> list[np.random.Generator]:
    seeds = rng.integers(0, 2**63 - 1, size=count)
    return [np.random.default_rng(int(s)) for s in seeds]


def place(
    scene: Scene, rng: np.random.Generator, keep_components: bool = True
) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, np.ndarray]]:
    """The clean observed sum of a scene's emitters, its annotations and (optionally) per-emitter parts.

    Returns ``(clean, annotations, components)``: ``clean`` is complex64 at
    the receiver rate in noise units (no receiver noise yet); see the module
    docstring for the conventions.
    """
    receiver = scene.receiver
    fs_rx = receiver.sample_rate_hz
    n_total = scene.num_samples
    clean = np.zeros(n_total, dtype=np.complex64)
    components: dict[str, np.ndarray] = {}
    annotations: list[dict[str, Any]] = []
    win_lo, win_hi = receiver.window_hz
    rngs = _child_rngs(rng, 2 * len(scene.emitters))
    for index, spec in enumerate(scene.emitters):
        sig = REGISTRY.get(spec.label)
        if sig is None:
            raise KeyError(f"unknown label {spec.label!r}; known: {', '.join(REGISTRY)}")
        emitter_id = spec.emitter_id or f"{spec.label}-{index}"
        build_rng, chan_rng = rngs[2 * index], rngs[2 * index + 1]
        if spec.seed is not None:
            build_rng = np.random.default_rng(spec.seed)
        band = pick_band(sig, receiver, spec.band)
        # Widen the window the builder sees by the worst oscillator offsets so no burst that
        # lands in view after the offsets is skipped.
        margin_hz = abs(imp.ppm_offset_hz(spec.ppm, band.hi_hz)) + abs(receiver.lo_error_hz) + 1e3
        request = EmitRequest(
            rng=build_rng,
            duration_s=scene.duration_s - spec.start_s,
            band=band,
            window_hz=(win_lo - margin_hz, win_hi + margin_hz),
            params=dict(spec.params),
        )
        target = clean
        if keep_components:
            target = components.setdefault(emitter_id, np.zeros(n_total, dtype=np.complex64))
        for burst in sig.emit(request):
            # Apparent position in the recording: emitter crystal error up, receiver LO error down.
            apparent_shift_hz = imp.ppm_offset_hz(spec.ppm, burst.rf_hz) - receiver.lo_error_hz
            f_lo = burst.f_lo_hz + apparent_shift_hz
            f_hi = burst.f_hi_hz + apparent_shift_hz
            if f_hi <= win_lo or f_lo >= win_hi or len(burst.samples) == 0:
                continue
            start = round((spec.start_s + burst.t_start_s) * fs_rx)
            if start >= n_total:
                continue
            amplitude = signal_amplitude(spec.snr_db, burst.bandwidth_hz, fs_rx, burst.power_fraction)
            offset_hz = burst.rf_hz + apparent_shift_hz - receiver.center_freq_hz
            y = _observe_burst(burst, amplitude, offset_hz, receiver)
            y *= np.complex64(np.exp(1j * chan_rng.uniform(0, 2 * np.pi)))
            if spec.fading_k_db is not None:
                y = imp.apply_multipath(y, imp.multipath_taps(chan_rng, spec.fading_k_db))
            if spec.phase_noise_linewidth_hz > 0:
                y = imp.apply_phase_noise(y, fs_rx, spec.phase_noise_linewidth_hz, chan_rng)
            lo_i, hi_i = max(start, 0), min(start + len(y), n_total)
            if hi_i <= lo_i:
                continue
            target[lo_i:hi_i] += y[lo_i - start : hi_i - start]
            annotation: dict[str, Any] = {
                "core:sample_start": lo_i,
                "core:sample_count": hi_i - lo_i,
                "core:freq_lower_edge": float(f_lo),
                "core:freq_upper_edge": float(f_hi),
                "core:label": sig.label,
                "core:generator": GENERATOR,
                "rfclassify:snr_db": float(spec.snr_db),
                "rfclassify:link": burst.link,
                "rfclassify:emitter_id": emitter_id,
                "rfclassify:drone": bool(sig.drone),
                "rfclassify:rf_hz": float(burst.rf_hz),
                "rfclassify:visible_freq_lower_edge": float(max(f_lo, win_lo)),
                "rfclassify:visible_freq_upper_edge": float(min(f_hi, win_hi)),
            }
            if spec.azimuth_deg is not None:
                annotation["rfclassify:azimuth_deg"] = float(spec.azimuth_deg)
            annotations.append(annotation)
        if keep_components:
            clean += target
    annotations.sort(key=lambda a: (a["core:sample_start"], a["core:freq_lower_edge"]))
    return clean, annotations, components


def render(scene: Scene, rng: np.random.Generator, keep_components: bool = True) -> Rendered:
    """Render ``scene``: place its emitters, then let its receiver record them (see module docstring).

    Deterministic for a given ``rng`` state. ``keep_components=False`` saves
    one recording-sized array per emitter when only the recording is wanted.
    """
    place_rng, rx_rng = _child_rngs(rng, 2)
    clean, annotations, components = place(scene, place_rng, keep_components)
    samples, gain = receive(clean, scene.receiver, rx_rng)
    return Rendered(samples, annotations, components, scene, gain)
