"""The signature contract: what a signal class is, and what its builder emits.

A :class:`Signature` states the physics of one label of ``SIGNATURES.md``
(bands, modulation, occupied bandwidth, timing) and owns a builder that emits
:class:`Burst` objects at the emitter's natural sample rate. The synthesizer
(:mod:`rfclassify.synth`) places bursts in RF and time and lets a receiver
model observe them; the registry (:mod:`rfclassify.signatures`) is the one
list every other list of labels derives from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LINKS: tuple[str, ...] = ("control", "video", "telemetry", "none")
UNKNOWN = "unknown"
#: A band of this name holds every tuning a receiver can have: its signature is not band-limited
#: (``noise``, the receiver itself, is heard wherever the receiver is tuned).
ANY_BAND = "any"
#: Local-oscillator error a band check allows for, in parts per million of the RF: an uncorrected
#: RTL-SDR or HackRF crystal is specified at ±10–30 ppm (±30 ppm is 0.07 MHz at 2.4 GHz, 0.17 MHz at
#: 5.8 GHz), far below any spacing between a link's band and the next service's.
LO_TOLERANCE_PPM = 30.0


@dataclass(frozen=True)
class Band:
    """An RF band with its channel plan (channel centres in Hz; empty for a continuous range)."""

    name: str
    lo_hz: float
    hi_hz: float
    channels_hz: tuple[float, ...] = ()

    @property
    def center_hz(self) -> float:
        """Middle of the band."""
        return 0.5 * (self.lo_hz + self.hi_hz)

    def overlaps(self, f_lo_hz: np.ndarray | float, f_hi_hz: np.ndarray | float) -> np.ndarray:
        """True where an emission occupying ``[f_lo_hz, f_hi_hz]`` (Hz, arrays broadcast) overlaps the band."""
        return (np.asarray(f_hi_hz) >= self.lo_hz) & (np.asarray(f_lo_hz) <= self.hi_hz)


@dataclass
class Burst:
    """One contiguous transmission at one RF frequency.

    ``samples`` are complex64 baseband at ``sample_rate_hz`` centred on
    ``rf_hz``, scaled to unit mean power over the burst (the scene sets the
    power from the requested SNR). ``f_lo_hz``/``f_hi_hz`` are the RF edges of
    the occupied bandwidth (what annotations carry and what the SNR is defined
    over). A builder that knows the receiver window may return only the
    in-window slice of a wide signal, with ``rf_hz`` at that slice's centre;
    ``f_lo_hz``/``f_hi_hz`` still give the whole signal, and ``power_fraction``
    says which share of the whole signal's power the slice carries.
    """

    t_start_s: float
    rf_hz: float
    samples: np.ndarray
    sample_rate_hz: float
    f_lo_hz: float
    f_hi_hz: float
    link: str = "none"
    power_fraction: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Burst length in seconds."""
        return len(self.samples) / self.sample_rate_hz

    @property
    def bandwidth_hz(self) -> float:
        """Occupied bandwidth in Hz."""
        return self.f_hi_hz - self.f_lo_hz


@dataclass(frozen=True)
class EmitRequest:
    """What the scene asks of a builder.

    ``band`` is one of the signature's bands (the builder picks channels in
    it); ``window_hz`` is the RF range the receiver sees, or ``None`` for all:
    builders skip bursts wholly outside it and may slice wide signals to it.
    ``params`` selects modes (e.g. ``{"rate_hz": 200}`` for ELRS); unknown keys
    are ignored, missing ones are drawn from ``rng``.
    """

    rng: np.random.Generator
    duration_s: float
    band: Band
    window_hz: tuple[float, float] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def visible(self, f_lo_hz: float, f_hi_hz: float) -> bool:
        """True if an emission occupying ``[f_lo_hz, f_hi_hz]`` overlaps the receiver window."""
        if self.window_hz is None:
            return True
        return f_hi_hz > self.window_hz[0] and f_lo_hz < self.window_hz[1]

    def pick_channel(self, channels_hz: tuple[float, ...] | np.ndarray, half_width_hz: float) -> float:
        """A channel centre (Hz) drawn from ``rng``: among those whose ``±half_width_hz`` the window shows, if any.

        For fixed-channel transmitters (a cell's carrier, a repeater, a cordless base) among many
        channels: a scene holds such an emitter to hear it, so it is one of the transmitters on a
        channel in view; without a window, or with none in view, any channel of ``channels_hz``.
        """
        chans = np.asarray(channels_hz, dtype=np.float64)
        if self.window_hz is not None:
            seen = chans[(chans + half_width_hz > self.window_hz[0]) & (chans - half_width_hz < self.window_hz[1])]
            if len(seen):
                chans = seen
        return float(chans[int(self.rng.integers(len(chans)))])


Builder = Callable[[EmitRequest], list[Burst]]


@dataclass(frozen=True)
class Signature:
    """One label of the taxonomy with its physical parameters and its signal builder.

    ``timing`` holds the numbers a test or a feature can check (seconds and
    Hz, units in the key names, e.g. ``{"packet_interval_s": 0.005}``).
    ``sources`` lists the public sources the numbers come from.

    The rest is what the tools derive from the class, so that a protocol
    lives in its one module: ``drone_models`` are the drone models and
    families known to use the link (what a detection carries as ``models``;
    empty for non-drone classes), ``drone_model_sources`` where that list
    comes from; ``order`` places the label in every listing (README tables,
    CLI choices, the synthesizer's per-class seed keys: changing an existing
    class's order changes its synthesized recordings); ``training_sets`` is how
    many independently seeded sets of recordings ``make model`` synthesizes
    for the class (2 for classes whose builders draw among many air modes).
    """

    label: str
    drone: bool
    link: str
    bands: tuple[Band, ...]
    modulation: str
    bandwidth_hz: float
    timing: dict[str, Any]
    builder: Builder
    description: str = ""
    sources: tuple[str, ...] = ()
    drone_models: tuple[str, ...] = ()
    drone_model_sources: tuple[str, ...] = ()
    order: int = 1000
    training_sets: int = 1

    def __post_init__(self) -> None:
        if self.link not in LINKS:
            raise ValueError(f"{self.label}: link {self.link!r} not in {LINKS}")
        if self.drone and not self.drone_models:
            raise ValueError(f"{self.label}: a drone link must name the drone models known to use it")
        if self.drone_models and not self.drone_model_sources:
            raise ValueError(f"{self.label}: drone_models need drone_model_sources (public sources)")
        if not self.drone and self.drone_models:
            raise ValueError(f"{self.label}: a non-drone class lists no drone models")
        if self.training_sets < 1:
            raise ValueError(f"{self.label}: training_sets must be at least 1")

    def emit(self, request: EmitRequest) -> list[Burst]:
        """Run the builder; bursts come back sorted by start time."""
        return sorted(self.builder(request), key=lambda b: b.t_start_s)

    @property
    def band_limited(self) -> bool:
        """False for a class heard at any tuning (a band named :data:`ANY_BAND`, as ``noise`` declares)."""
        return all(band.name != ANY_BAND for band in self.bands)

    @property
    def continuous(self) -> bool:
        """True for a link that streams without pause while it is up: a video link (``link == "video"``)
        or a signature whose ``timing`` says ``"continuous": True``. Its time on air, not only its
        packet count, is evidence of it."""
        return self.link == "video" or bool(self.timing.get("continuous", False))

    def in_band(
        self, freq_hz: np.ndarray | float, width_hz: np.ndarray | float = 0.0, margin_hz: np.ndarray | float | None = None
    ) -> np.ndarray:
        """True where an emission centred at ``freq_hz`` (RF, Hz) and ``width_hz`` wide can be this class.

        It can when its measured extent ``freq_hz ± width_hz/2``, widened by ``margin_hz`` (default the
        receiver's local-oscillator error, :data:`LO_TOLERANCE_PPM` of ``freq_hz``), overlaps one of the
        signature's bands: a DroneID burst on 2399.5 MHz, 9 MHz wide, reaches into the 2.4 GHz band
        whose edge its centre lies beyond, and a packet cut at the receiver's window keeps a centre
        inside its own emission. Arrays broadcast; a class that is not :attr:`band_limited` is in
        band everywhere.
        """
        freq = np.asarray(freq_hz, dtype=np.float64)
        half = 0.5 * np.asarray(width_hz, dtype=np.float64)
        margin = np.abs(freq) * LO_TOLERANCE_PPM * 1e-6 if margin_hz is None else np.asarray(margin_hz, dtype=np.float64)
        out = np.zeros(np.broadcast(freq, half, margin).shape, dtype=bool)
        if not self.band_limited:
            return out | True
        lo, hi = freq - half - margin, freq + half + margin
        for band in self.bands:
            out |= band.overlaps(lo, hi)
        return out

    def band(self, name: str | None = None) -> Band:
        """The band called ``name``, or the first band."""
        if name is None:
            return self.bands[0]
        for band in self.bands:
            if band.name == name:
                return band
        raise KeyError(f"{self.label} has no band {name!r}; bands: {[b.name for b in self.bands]}")


def unit_power(x: np.ndarray) -> np.ndarray:
    """Scale complex samples to unit mean power (complex64); all-zero input is returned as is."""
    power = float(np.mean(np.abs(x) ** 2)) if len(x) else 0.0
    if power <= 0:
        return x.astype(np.complex64)
    return (x / np.sqrt(power)).astype(np.complex64)
