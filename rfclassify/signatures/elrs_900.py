"""ExpressLRS on sub-GHz (SX127x LoRa): the ``elrs-900`` control link with its telemetry downlink.

Physical link, with the public source of every number:

* **Band plans** — ExpressLRS ``src/lib/FHSS/FHSS.cpp`` (``domains[]``: first
  channel, last channel, channel count; channels evenly spaced between them):
  FCC915 40 ch 903.5–926.9 MHz (600 kHz step), AU915 20 ch 915.5–926.9 MHz
  (600 kHz), EU868 13 ch 863.275–869.575 MHz (525 kHz), IN866 4 ch
  865.375–866.95 MHz (525 kHz), AU433 3 ch 433.42–434.42 MHz (500 kHz), EU433
  3 ch 433.1–434.45 MHz (675 kHz). One 3.x revision moved EU868 to start at
  865.275 MHz; the current table (and ``SIGNATURES.md``) has 863.275 MHz.
* **Air rates** — ExpressLRS ``src/src/common.cpp`` (``ExpressLRS_AirRateConfig``
  and ``ExpressLRS_AirRateRFperf`` for ``RADIO_SX127X``), all LoRa BW 500 kHz:

  ====== ==== ===== ======== ======== ======= ====== ======= ==========
  mode   SF   CR    interval preamble payload hop    TLM     airtime
  ====== ==== ===== ======== ======== ======= ====== ======= ==========
  200Hz  6    4/7   5 ms     8        8 B     4      1:64    4.38 ms
  100Hz  7    4/7   10 ms    8        8 B     4      1:32    8.77 ms
  100HzF 6    4/8   10 ms    8        13 B    4      1:32    6.69 ms
  50Hz   8    4/7   20 ms    10       8 B     4      1:16    18.56 ms
  25Hz   9    4/7   40 ms    10       8 B     2      1:8     29.95 ms
  ====== ==== ===== ======== ======== ======= ====== ======= ==========

  (8 B = ``OTA4_PACKET_SIZE``, 13 B = ``OTA8_PACKET_SIZE`` in
  ``src/lib/OTA/OTA.h``.) ELRS sends in implicit-header mode without the
  radio's CRC, so the payload symbol count from the SX1276 datasheet §4.1.1.7
  formula is 22 (200/100/50 Hz), 15 (25 Hz) and 40 (100 Hz Full); with the
  ``n_preamble + 4.25`` symbols of preamble, sync word and SFD this
  reproduces the firmware's time-on-air column to within 5 µs — a check the
  tests repeat by measuring burst lengths. ``SIGNATURES.md`` lists 1:64…1:16
  telemetry; the current firmware defaults are the per-rate values above (the
  user may pick any of 1:2…1:128 or off — ``params["tlm_ratio"]``). D50
  (``RATE_DVDA_50HZ``) is the 200 Hz waveform with each packet sent 4 times, so
  on air it is the 200Hz mode and is not modelled separately.
* **Packet** — Semtech AN1200.22 / SX1276 datasheet: preamble upchirps, two
  sync-word upchirps (SX127x default private sync word 0x12 — assumption: ELRS
  keeps the default), 2.25 downchirps, then the payload chirps (random values
  here: the payload is whitened data).
* **Hopping** — ``FHSS.cpp`` ``FHSSrandomiseFHSSsequence``: a 256-entry
  sequence cut into blocks of ``n_channels``; every block starts with the sync
  channel (``n_channels // 2 + 1``) followed by a random permutation of the
  other channels, seeded from the binding phrase (here: drawn from the
  request's generator, one sequence per emitter). The radio moves to the next
  entry every ``hop`` packets (table above).
* **Telemetry** — one packet slot in ``tlm_ratio`` is sent by the receiver on
  the drone instead of the handset, on the same channel and with the same
  modulation; those bursts carry ``link="telemetry"``.

Builder parameters (``EmitRequest.params``): ``mode`` (one of
:data:`MODES`), or ``rate_hz`` (200, 100, 50, 25 — the non-"Full" mode of that
rate), and ``tlm_ratio`` (denominator; 0 or 1 = no telemetry). Missing ones are
drawn from the request's generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rfclassify.dsp.modulation import lora_frame, lora_payload_symbols
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power


@dataclass(frozen=True)
class ElrsMode:
    """One ExpressLRS air-rate row: modem settings, timing and hop/telemetry cadence."""

    name: str
    rate_hz: float
    modem: str  # "lora" or "flrc"
    interval_s: float
    hop_interval_packets: int
    tlm_ratio: int
    payload_bytes: int
    sf: int = 0
    bw_hz: float = 0.0
    cr: int = 0  # 1..4 for 4/5..4/8
    n_preamble: int = 8
    airtime_fw_s: float = 0.0  # the firmware's time-on-air figure, when the payload length derives from it

    @property
    def payload_symbols(self) -> int:
        """LoRa payload symbols: implicit header, no radio CRC (as ExpressLRS sends), SX127x formula.

        With ``airtime_fw_s`` set (SX1280 modes), the count that makes the
        packet last the firmware's time on air instead.
        """
        if self.airtime_fw_s > 0:
            return round(self.airtime_fw_s * self.bw_hz / 2**self.sf - self.n_preamble - 4.25)
        return lora_payload_symbols(self.payload_bytes, self.sf, self.cr, crc=False, implicit_header=True)

    @property
    def airtime_s(self) -> float:
        """Time on air of one LoRa packet: (preamble + 4.25 + payload symbols)·2^SF/BW."""
        return (self.n_preamble + 4.25 + self.payload_symbols) * (2**self.sf) / self.bw_hz


BW_HZ = 500e3

MODES: dict[str, ElrsMode] = {
    m.name: m
    for m in (
        ElrsMode("200Hz", 200, "lora", 0.005, 4, 64, 8, sf=6, bw_hz=BW_HZ, cr=3, n_preamble=8),
        ElrsMode("100Hz", 100, "lora", 0.010, 4, 32, 8, sf=7, bw_hz=BW_HZ, cr=3, n_preamble=8),
        ElrsMode("100HzFull", 100, "lora", 0.010, 4, 32, 13, sf=6, bw_hz=BW_HZ, cr=4, n_preamble=8),
        ElrsMode("50Hz", 50, "lora", 0.020, 4, 16, 8, sf=8, bw_hz=BW_HZ, cr=3, n_preamble=10),
        ElrsMode("25Hz", 25, "lora", 0.040, 2, 8, 8, sf=9, bw_hz=BW_HZ, cr=3, n_preamble=10),
    )
}

SYNC_WORD = 0x12


def even_channels(first_hz: float, last_hz: float, count: int) -> tuple[float, ...]:
    """``count`` channel centres evenly spaced from ``first_hz`` to ``last_hz`` (as FHSS.cpp spreads them)."""
    return tuple(float(f) for f in np.linspace(first_hz, last_hz, count))


def _band(name: str, first_hz: float, last_hz: float, count: int, bw_hz: float) -> Band:
    return Band(name, first_hz - bw_hz / 2, last_hz + bw_hz / 2, even_channels(first_hz, last_hz, count))


BANDS: tuple[Band, ...] = (
    _band("FCC915", 903.5e6, 926.9e6, 40, BW_HZ),
    _band("EU868", 863.275e6, 869.575e6, 13, BW_HZ),
    _band("AU915", 915.5e6, 926.9e6, 20, BW_HZ),
    _band("IN866", 865.375e6, 866.95e6, 4, BW_HZ),
    _band("AU433", 433.42e6, 434.42e6, 3, BW_HZ),
    _band("EU433", 433.1e6, 434.45e6, 3, BW_HZ),
)


def fhss_sequence(n_channels: int, rng: np.random.Generator, length: int = 256) -> np.ndarray:
    """An ExpressLRS-style hop sequence of channel indices.

    ``length // n_channels`` blocks, each the sync channel
    (``n_channels // 2 + 1``) followed by a random permutation of the other
    channels — every channel once per block, the sync channel revisited at the
    start of each block (``FHSS.cpp``).
    """
    if n_channels < 2:
        return np.zeros(max(1, length), dtype=np.int64)
    sync = min(n_channels // 2 + 1, n_channels - 1)
    others = np.array([c for c in range(n_channels) if c != sync], dtype=np.int64)
    blocks = max(1, length // n_channels)
    return np.concatenate([np.concatenate(([sync], rng.permutation(others))) for _ in range(blocks)])


@dataclass(frozen=True)
class Slot:
    """One packet slot of a hopping schedule: start time, channel index, link, packet counter."""

    t_s: float
    channel: int
    link: str
    nonce: int


def hop_schedule(
    rng: np.random.Generator,
    duration_s: float,
    interval_s: float,
    hop_interval_packets: int,
    tlm_ratio: int,
    sequence: np.ndarray,
) -> list[Slot]:
    """Packet slots starting in ``[0, duration_s)``, at a random phase into the schedule.

    The first slot falls uniformly in ``[0, interval_s)`` and the packet
    counter (nonce) starts at a random point of the hop sequence. The channel
    is ``sequence[nonce // hop_interval_packets]``; slot ``nonce`` is a
    telemetry downlink when ``(nonce + 1) % tlm_ratio == 0`` (``tlm_ratio`` ≤ 1
    means none).
    """
    t0_s = float(rng.uniform(0.0, interval_s))
    n = max(0, int(np.ceil((duration_s - t0_s) / interval_s)))
    nonce0 = int(rng.integers(0, len(sequence) * hop_interval_packets))
    nonces = nonce0 + np.arange(n)
    times_s = t0_s + np.arange(n) * interval_s
    channels = sequence[(nonces // hop_interval_packets) % len(sequence)]
    slots = []
    for t_s, ch, nonce in zip(times_s, channels, nonces):
        if t_s >= duration_s:
            break
        tlm = tlm_ratio > 1 and (int(nonce) + 1) % tlm_ratio == 0
        slots.append(Slot(float(t_s), int(ch), "telemetry" if tlm else "control", int(nonce)))
    return slots


def pick_mode(req: EmitRequest, modes: dict[str, ElrsMode]) -> ElrsMode:
    """The mode named by ``params["mode"]`` or ``params["rate_hz"]``, else one drawn from ``req.rng``."""
    name = req.params.get("mode")
    if name is not None:
        if name not in modes:
            raise KeyError(f"unknown ExpressLRS mode {name!r}; known: {', '.join(modes)}")
        return modes[name]
    rate = req.params.get("rate_hz")
    if rate is not None:
        for mode in modes.values():
            if mode.rate_hz == float(rate) and not mode.name.endswith("Full"):
                return mode
        raise KeyError(f"no ExpressLRS mode at {rate} Hz; rates: {sorted({m.rate_hz for m in modes.values()})}")
    names = list(modes)
    return modes[names[int(req.rng.integers(len(names)))]]


def hop_slots(req: EmitRequest, mode: ElrsMode) -> list[tuple[Slot, float]]:
    """The packet slots of one hopping emitter in ``req``, each with its RF centre.

    The hop sequence over the band's channels and the slot schedule (with
    ``params["tlm_ratio"]``, default the mode's) are drawn from ``req.rng``.
    """
    channels = req.band.channels_hz or (req.band.center_hz,)
    sequence = fhss_sequence(len(channels), req.rng)
    tlm_ratio = int(req.params.get("tlm_ratio", mode.tlm_ratio))
    slots = hop_schedule(req.rng, req.duration_s, mode.interval_s, mode.hop_interval_packets, tlm_ratio, sequence)
    return [(slot, channels[slot.channel]) for slot in slots]


def slot_burst(slot: Slot, rf_hz: float, samples: np.ndarray, fs_hz: float, bw_hz: float, meta: dict) -> Burst:
    """The burst of one packet slot: ``samples`` at unit power, occupying ``bw_hz`` around ``rf_hz``."""
    return Burst(
        t_start_s=slot.t_s,
        rf_hz=rf_hz,
        samples=unit_power(samples),
        sample_rate_hz=fs_hz,
        f_lo_hz=rf_hz - bw_hz / 2,
        f_hi_hz=rf_hz + bw_hz / 2,
        link=slot.link,
        meta=meta,
    )


def lora_hopping_bursts(
    req: EmitRequest, mode: ElrsMode, sync_word: int, fs_over_bw: int = 2, meta: dict | None = None
) -> list[Burst]:
    """Bursts of a LoRa FHSS link (ELRS-style schedule) for ``req``: one per visible packet slot.

    Every slot's payload is drawn, visible or not.
    """
    fs_hz = fs_over_bw * mode.bw_hz
    bursts: list[Burst] = []
    for slot, rf_hz in hop_slots(req, mode):
        payload = req.rng.integers(0, 2**mode.sf, mode.payload_symbols)
        if not req.visible(rf_hz - mode.bw_hz / 2, rf_hz + mode.bw_hz / 2):
            continue
        x = lora_frame(payload, mode.sf, mode.bw_hz, fs_hz, n_preamble=mode.n_preamble, sync_word=sync_word)
        burst_meta = {"channel": slot.channel, "mode": mode.name, "sf": mode.sf, "nonce": slot.nonce, **(meta or {})}
        bursts.append(slot_burst(slot, rf_hz, x, fs_hz, mode.bw_hz, burst_meta))
    return bursts


def binary_hopping_bursts(
    req: EmitRequest,
    mode: ElrsMode,
    modem: str,
    occupied_bw_hz: float,
    fs_hz: float,
    packet: Callable[[np.random.Generator], np.ndarray],
) -> list[Burst]:
    """Bursts of a hopping FSK-family link (Crossfire GFSK, ELRS FLRC): one per visible packet slot.

    ``packet(rng)`` makes one packet at ``fs_hz``; it is called for visible
    slots only.
    """
    bursts: list[Burst] = []
    for slot, rf_hz in hop_slots(req, mode):
        if not req.visible(rf_hz - occupied_bw_hz / 2, rf_hz + occupied_bw_hz / 2):
            continue
        meta = {"channel": slot.channel, "mode": mode.name, "modem": modem, "nonce": slot.nonce}
        bursts.append(slot_burst(slot, rf_hz, packet(req.rng), fs_hz, occupied_bw_hz, meta))
    return bursts


def _build(req: EmitRequest) -> list[Burst]:
    return lora_hopping_bursts(req, pick_mode(req, MODES), SYNC_WORD)


SIGNATURE = Signature(
    label="elrs-900",
    drone=True,
    link="control",
    bands=BANDS,
    modulation="LoRa CSS (SX127x), BW 500 kHz, SF6-SF9, FHSS",
    bandwidth_hz=BW_HZ,
    timing={
        "packet_interval_s": {m.name: m.interval_s for m in MODES.values()},
        "airtime_s": {m.name: round(m.airtime_s, 7) for m in MODES.values()},
        "spreading_factor": {m.name: m.sf for m in MODES.values()},
        "hop_interval_packets": {m.name: m.hop_interval_packets for m in MODES.values()},
        "telemetry_ratio": {m.name: m.tlm_ratio for m in MODES.values()},
        "channel_spacing_hz": {"FCC915": 600e3, "AU915": 600e3, "EU868": 525e3, "IN866": 525e3,
                               "AU433": 500e3, "EU433": 675e3},
    },
    builder=_build,
    description="ExpressLRS 900 MHz RC control uplink (LoRa FHSS) with telemetry downlink slots",
    sources=(
        "ExpressLRS src/src/common.cpp (ExpressLRS_AirRateConfig, ExpressLRS_AirRateRFperf)",
        "ExpressLRS src/lib/FHSS/FHSS.cpp (domains, FHSSrandomiseFHSSsequence)",
        "ExpressLRS src/lib/OTA/OTA.h (OTA4_PACKET_SIZE, OTA8_PACKET_SIZE)",
        "Semtech SX1276/77/78/79 datasheet §4.1.1 (LoRa packet structure, time on air)",
        "Semtech AN1200.22 LoRa Modulation Basics",
    ),
    order=0,
    drone_models=(
        "ExpressLRS 900 MHz long-range FPV quadcopters (DIY builds)",
        "ExpressLRS 900 MHz fixed-wing and long-range wing builds",
        "HappyModel ES900RX receiver",
        "BetaFPV ELRS Nano 915/868 MHz receiver",
        "RadioMaster Bandit 900 MHz ELRS TX module (handset side)",
    ),
    drone_model_sources=(
        "ExpressLRS documentation, 'Supported Hardware' (expresslrs.org): 900 MHz receivers and TX modules",
        "manufacturer product pages: HappyModel ES900RX, BetaFPV ELRS Nano 915/868 MHz, RadioMaster Bandit",
    ),
)
