"""Frequency-hopping ISM devices at 902–928 and 863–870 MHz: the ``ism-fhss`` clutter class.

Smart meters, 900 MHz cordless phones and Amazon Sidewalk FSK endpoints hop
narrow 2-FSK/GFSK packets over the same band as ExpressLRS 900 and TBS
Crossfire. This module makes the physical differences from those drone links
real: more channels on a finer raster, one hop per packet (or per frame) over
a whole permutation of the set, and — for meters and Sidewalk — irregular
(random-access) packet timing instead of a fixed packet rate.

Regulation (both bands):

* **US, ITU Region 2** — 47 CFR §15.247(a)(1)(i) (902–928 MHz FHSS): with a
  20 dB bandwidth under 250 kHz at least 50 hopping channels and at most
  0.4 s average dwell per channel in any 20 s; with 250 kHz or more at least
  25 channels and 0.4 s in any 10 s; channels used equally on average
  (§15.247(a)(1)). Mexico's IFT allocates 902–928 MHz to the same ISM use
  (Cuadro Nacional de Atribución de Frecuencias).
* **EU** — ETSI EN 300 220-1/-2 (short-range devices, 863–870 MHz, FHSS
  permitted with the duty-cycle limits of ERC/REC 70-03 Annex 1).

Device families (``params["family"]``; drawn with the weights of
:data:`FAMILY_WEIGHTS`, an *assumption* about what a border sensor hears):

* ``meter`` — FHSS mesh smart meters and utility networks. The public PHY is
  IEEE 802.15.4g SUN FSK (IEEE 802.15.4-2020 §19, Wi-SUN FAN 1.0 PHY): in
  902–928 MHz operating mode #1 is 50 kb/s 2-FSK with modulation index 1.0
  (±25 kHz) on 129 channels of 200 kHz from 902.2 MHz; modes #2 and #3 are
  150 and 200 kb/s with index 0.5 (±37.5/±50 kHz) on 64 channels of 400 kHz
  from 902.4 MHz; in 863–870 MHz mode #1 uses 34 channels of 200 kHz from
  863.125 MHz (IEEE 802.15.4g-2012 SUN FSK channel plans, as tabulated in
  TI's Contiki ``dot-15-4g.h``; the 400 kHz modes *verify* against the
  standard's tables). A legacy proprietary AMR mode — 19.2 kb/s 2-FSK,
  ±20 kHz, 83 channels on a 300 kHz raster from 902.3 MHz — stands for
  older Itron/Landis+Gyr-style networks: *assumption* (no public PHY
  document). Every mode is sent Gaussian-shaped (BT 0.5): an *assumption*
  where the standard allows filtered 2-FSK. A SUN FSK packet is a 64-bit preamble, 16-bit SFD, 16-bit PHR
  and a 20–250 byte PSDU (§19.2), i.e. 4–45 ms at 50 kb/s. Packets hop
  channel by channel through a pseudo-random permutation of the whole set
  (every channel once per cycle, as §15.247(a)(1) asks); 60 % of them are
  acknowledged after the 1 ms SUN turnaround time (aTurnaroundTime) by a
  short 40-byte Enh-Ack on the same channel. The idle time between one
  exchange and the next is exponential with a mean of 20–200 ms (random
  access by a mesh neighbourhood heard as one source: *assumption*).
* ``cordless`` — 900 MHz digital spread-spectrum cordless phones during a
  call: a TDD frame of 10 ms holds a base burst and a handset burst on the
  same channel, and the phone hops every frame through 50–95 channels of
  250 kHz from 902.6 MHz, GFSK (BT 0.5) 64 kb/s ±40 kHz — all *assumptions*
  within §15.247 (20 dB bandwidth under 250 kHz, ≥ 50 channels). Regular
  timing like ELRS, but twice the channel count, a narrower raster and two
  bursts per hop.
* ``sidewalk`` — Amazon Sidewalk FSK (900 MHz link of Echo/Ring bridges and
  endpoints): 2-GFSK 50 kb/s (Amazon Sidewalk developer documentation,
  *verify*), frequency hopping in 902–928 MHz, each message
  preceded by clear-channel assessment and followed by an acknowledgement
  (Silicon Labs Amazon Sidewalk docs, "FSK configuration": gateway beacons
  every 10 s, RX windows every 3150 ms by default). Deviation ±25 kHz and the
  129-channel 200 kHz raster are *assumptions* (Sidewalk's FSK PHY is not
  public). A scene's Sidewalk emitter sends 1 + Poisson(duration / 0.5 s)
  message/ACK pairs at uniform times (several endpoints: *assumption*).

Every family sends at least one packet in any recording (a scene includes
the emitter to see it). Each packet is one :class:`Burst` with ``meta``
``family``, ``mode``, ``channel``, ``n_channels``, ``bit_rate_hz``,
``deviation_hz``, ``kind`` (``data``/``ack``/``base``/``handset``).

Params: ``family`` (``meter`` | ``cordless`` | ``sidewalk``), ``mode`` (a
key of :data:`MODES` for meters), ``mean_gap_s`` (meter packet spacing),
``n_channels`` (cordless).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power


@dataclass(frozen=True)
class FskPhy:
    """One hopping 2-FSK air mode: bit rate, peak deviation, shaping and channel raster (Hz)."""

    name: str
    bit_rate_hz: float
    deviation_hz: float
    first_hz: float
    spacing_hz: float
    n_channels: int
    bt: float | None = 0.5

    @property
    def half_width_hz(self) -> float:
        """Half the occupied bandwidth (Carson's rule: deviation plus half the bit rate)."""
        return self.deviation_hz + 0.5 * self.bit_rate_hz

    @property
    def channels_hz(self) -> np.ndarray:
        """Channel centres in Hz."""
        return self.first_hz + self.spacing_hz * np.arange(self.n_channels)

    @property
    def sample_rate_hz(self) -> float:
        """A natural sample rate: a whole number of samples per bit, at least 4× the half width."""
        sps = max(4, int(np.ceil(4.0 * self.half_width_hz / self.bit_rate_hz)))
        return sps * self.bit_rate_hz


#: Meter PHYs per band (IEEE 802.15.4-2020 §19 SUN FSK; ``legacy19k2`` is an assumption).
MODES: dict[str, dict[str, FskPhy]] = {
    "ISM915": {
        "sun50k": FskPhy("sun50k", 50e3, 25e3, 902.2e6, 200e3, 129),
        "sun150k": FskPhy("sun150k", 150e3, 37.5e3, 902.4e6, 400e3, 64),
        "sun200k": FskPhy("sun200k", 200e3, 50e3, 902.4e6, 400e3, 64),
        "legacy19k2": FskPhy("legacy19k2", 19.2e3, 20e3, 902.3e6, 300e3, 83),
    },
    "SRD868": {
        "sun50k": FskPhy("sun50k", 50e3, 25e3, 863.125e6, 200e3, 34),
    },
}
SIDEWALK = FskPhy("sidewalk", 50e3, 25e3, 902.2e6, 200e3, 129)
CORDLESS_SPACING_HZ = 250e3
CORDLESS_FIRST_HZ = 902.6e6
CORDLESS_CHANNELS = (50, 64, 95)
CORDLESS_FRAME_S = 10e-3
CORDLESS_BURST_S = 4.2e-3
CORDLESS_GUARD_S = 0.3e-3

FAMILY_WEIGHTS: dict[str, dict[str, float]] = {
    "ISM915": {"meter": 0.5, "cordless": 0.25, "sidewalk": 0.25},
    "SRD868": {"meter": 1.0},
}
#: SUN FSK framing: preamble + SFD + PHR, bits (IEEE 802.15.4-2020 §19.2).
SUN_HEADER_BITS = 64 + 16 + 16
PSDU_BYTES = (20, 250)
ACK_BYTES = 40
ACK_PROBABILITY = 0.6
TURNAROUND_S = 1e-3
MEAN_GAP_S = (20e-3, 200e-3)
SIDEWALK_MEAN_GAP_S = 0.5
SIDEWALK_MESSAGE_BYTES = (20, 120)

BANDS: tuple[Band, ...] = (
    Band("ISM915", 902e6, 928e6, tuple(float(f) for f in MODES["ISM915"]["sun50k"].channels_hz)),
    Band("SRD868", 863e6, 870e6, tuple(float(f) for f in MODES["SRD868"]["sun50k"].channels_hz)),
)


def hop_sequence(n_channels: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` channel indices: successive random permutations of all ``n_channels`` (each used equally)."""
    cycles = -(-count // n_channels)
    return np.concatenate([rng.permutation(n_channels) for _ in range(max(1, cycles))])[:count]


def _packet(phy: FskPhy, n_bits: int, seed: int) -> np.ndarray:
    """One packet: alternating preamble then random bits, (G)FSK at the PHY's natural rate."""
    bits_rng = np.random.default_rng(seed)
    preamble = np.tile([1, 0], 32)
    body = bits_rng.integers(0, 2, max(0, n_bits - len(preamble)))
    return unit_power(gfsk(np.concatenate([preamble, body]), phy.bit_rate_hz, phy.deviation_hz,
                           phy.sample_rate_hz, bt=phy.bt))


@dataclass(frozen=True)
class _Tx:
    """One planned transmission: start (s), channel index, bits and role."""

    t_s: float
    channel: int
    n_bits: int
    kind: str
    seed: int


def _meter_plan(req: EmitRequest, phy: FskPhy) -> list[_Tx]:
    rng = req.rng
    mean_gap_s = float(req.params.get("mean_gap_s", np.exp(rng.uniform(*np.log(MEAN_GAP_S)))))
    t_s = float(rng.uniform(0.0, min(mean_gap_s, 0.5 * req.duration_s)))
    plan: list[_Tx] = []
    while t_s < req.duration_s:
        n_bits = SUN_HEADER_BITS + 8 * int(rng.integers(PSDU_BYTES[0], PSDU_BYTES[1] + 1))
        acked = rng.random() < ACK_PROBABILITY
        seeds = rng.integers(0, 2**63 - 1, 2)
        plan.append(_Tx(t_s, -1, n_bits, "data", int(seeds[0])))
        t_s += n_bits / phy.bit_rate_hz + TURNAROUND_S
        if acked:
            ack_bits = SUN_HEADER_BITS + 8 * ACK_BYTES
            plan.append(_Tx(t_s, -1, ack_bits, "ack", int(seeds[1])))
            t_s += ack_bits / phy.bit_rate_hz + TURNAROUND_S
        t_s += float(rng.exponential(mean_gap_s))  # idle until the next exchange: random access
    n_data = sum(tx.kind == "data" for tx in plan)
    hops = iter(hop_sequence(phy.n_channels, max(1, n_data), rng))
    channel = -1
    placed: list[_Tx] = []
    for tx in plan:
        channel = int(next(hops)) if tx.kind == "data" else channel  # the ACK answers on the data channel
        placed.append(_Tx(tx.t_s, channel, tx.n_bits, tx.kind, tx.seed))
    return [tx for tx in placed if tx.t_s < req.duration_s]


def _sidewalk_plan(req: EmitRequest, phy: FskPhy) -> list[_Tx]:
    rng = req.rng
    count = 1 + int(rng.poisson(req.duration_s / SIDEWALK_MEAN_GAP_S))
    starts = np.sort(rng.uniform(0.0, req.duration_s, count))
    hops = hop_sequence(phy.n_channels, count, rng)
    plan: list[_Tx] = []
    for t_s, ch in zip(starts, hops):
        n_bits = SUN_HEADER_BITS + 8 * int(rng.integers(SIDEWALK_MESSAGE_BYTES[0], SIDEWALK_MESSAGE_BYTES[1] + 1))
        seeds = rng.integers(0, 2**63 - 1, 2)
        plan.append(_Tx(float(t_s), int(ch), n_bits, "data", int(seeds[0])))
        t_ack_s = float(t_s) + n_bits / phy.bit_rate_hz + TURNAROUND_S
        plan.append(_Tx(t_ack_s, int(ch), SUN_HEADER_BITS + 8 * 16, "ack", int(seeds[1])))
    return [tx for tx in plan if tx.t_s < req.duration_s]


def _cordless_plan(req: EmitRequest, phy: FskPhy) -> list[_Tx]:
    rng = req.rng
    t0_s = float(rng.uniform(0.0, CORDLESS_FRAME_S))
    n_frames = max(1, int(np.ceil((req.duration_s - t0_s) / CORDLESS_FRAME_S)))
    hops = hop_sequence(phy.n_channels, n_frames, rng)
    n_bits = round(CORDLESS_BURST_S * phy.bit_rate_hz)
    plan: list[_Tx] = []
    for k, ch in enumerate(hops):
        t_s = t0_s + k * CORDLESS_FRAME_S
        seeds = rng.integers(0, 2**63 - 1, 2)
        plan.append(_Tx(t_s, int(ch), n_bits, "base", int(seeds[0])))
        plan.append(_Tx(t_s + CORDLESS_BURST_S + CORDLESS_GUARD_S, int(ch), n_bits, "handset", int(seeds[1])))
    return [tx for tx in plan if tx.t_s < req.duration_s]


def _pick_family(req: EmitRequest) -> str:
    weights = FAMILY_WEIGHTS.get(req.band.name, FAMILY_WEIGHTS["ISM915"])
    names = list(weights)
    drawn = names[int(req.rng.choice(len(names), p=np.array(list(weights.values())) / sum(weights.values())))]
    family = str(req.params.get("family", drawn))
    if family not in weights:
        raise ValueError(f"ism-fhss family in band {req.band.name} must be one of {names}, not {family!r}")
    return family


def _pick_phy(req: EmitRequest, family: str) -> FskPhy:
    rng = req.rng
    if family == "sidewalk":
        return SIDEWALK
    if family == "cordless":
        n_drawn = int(CORDLESS_CHANNELS[int(rng.integers(len(CORDLESS_CHANNELS)))])
        n = int(req.params.get("n_channels", n_drawn))
        return FskPhy(f"cordless{n}", 64e3, 40e3, CORDLESS_FIRST_HZ, CORDLESS_SPACING_HZ, n)
    modes = MODES.get(req.band.name, MODES["ISM915"])
    names = list(modes)
    name = str(req.params.get("mode", names[int(rng.integers(len(names)))]))
    if name not in modes:
        raise ValueError(f"ism-fhss meter mode in band {req.band.name} must be one of {names}, not {name!r}")
    return modes[name]


def _build(req: EmitRequest) -> list[Burst]:
    family = _pick_family(req)
    phy = _pick_phy(req, family)
    plan = {"meter": _meter_plan, "sidewalk": _sidewalk_plan, "cordless": _cordless_plan}[family](req, phy)
    channels_hz = phy.channels_hz
    half = phy.half_width_hz
    bursts: list[Burst] = []
    for tx in plan:
        rf_hz = float(channels_hz[tx.channel])
        if not req.visible(rf_hz - half, rf_hz + half):
            continue
        meta = {"family": family, "mode": phy.name, "channel": tx.channel, "n_channels": phy.n_channels,
                "bit_rate_hz": phy.bit_rate_hz, "deviation_hz": phy.deviation_hz, "kind": tx.kind}
        x = _packet(phy, tx.n_bits, tx.seed)
        bursts.append(Burst(tx.t_s, rf_hz, x, phy.sample_rate_hz, rf_hz - half, rf_hz + half, "none", meta=meta))
    return bursts


SIGNATURE = Signature(
    label="ism-fhss",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="2-FSK/GFSK 19.2-200 kb/s, frequency hopping per packet or per TDD frame (meters, cordless, Sidewalk)",
    bandwidth_hz=2 * MODES["ISM915"]["sun200k"].half_width_hz,
    timing={
        "max_dwell_s": 0.4,
        "dwell_window_s": {"narrow_lt_250kHz": 20.0, "wide": 10.0},
        "min_channels": {"narrow_lt_250kHz": 50, "wide": 25},
        "channels": {f"meter_{name}": phy.n_channels for name, phy in MODES["ISM915"].items()},
        "channel_spacing_hz": {f"meter_{name}": phy.spacing_hz for name, phy in MODES["ISM915"].items()},
        "bit_rate_hz": {f"meter_{name}": phy.bit_rate_hz for name, phy in MODES["ISM915"].items()},
        "meter_mean_gap_s": MEAN_GAP_S,
        "turnaround_s": TURNAROUND_S,
        "cordless_frame_s": CORDLESS_FRAME_S,
        "cordless_burst_s": CORDLESS_BURST_S,
        "cordless_channels": CORDLESS_CHANNELS,
        "cordless_channel_spacing_hz": CORDLESS_SPACING_HZ,
        "sidewalk_bit_rate_hz": SIDEWALK.bit_rate_hz,
    },
    builder=_build,
    description="Frequency-hopping ISM devices (smart meters, 900 MHz cordless phones, Amazon Sidewalk FSK)",
    sources=(
        "47 CFR 15.247(a)(1) and (a)(1)(i): 902-928 MHz FHSS channel count, 20 dB bandwidth, 0.4 s dwell",
        "IEEE 802.15.4-2020 clause 19 (SUN FSK PHY: operating modes, packet format) and 802.15.4g-2012 channel plans",
        "Wi-SUN FAN 1.0 PHY (SUN FSK operating modes in 902-928 MHz)",
        "Texas Instruments / Contiki cpu/cc26xx-cc13xx/rf-core/dot-15-4g.h (channel 0 and spacing per band)",
        "ETSI EN 300 220-1/-2 and ERC/REC 70-03 Annex 1 (863-870 MHz short-range devices)",
        "Silicon Labs Amazon Sidewalk documentation, 'FSK configuration' (beacons, RX windows, CCA and ACK)",
    ),
    order=21,
)
