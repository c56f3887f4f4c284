"""LoRaWAN end devices and gateways: the ``lora-iot`` background class.

Physical link, with the public source of every number:

* **Channels** — LoRa Alliance RP002-1.0.x "LoRaWAN Regional Parameters":

  - EU863-870 has three default channels 868.1, 868.3 and 868.5 MHz that
    every device supports; networks add five more (the common plan, e.g. The
    Things Network's EU868 frequency plan, uses 867.1–867.9 MHz in 200 kHz
    steps, and a 250 kHz SF7 channel, DR6, on 868.3 MHz).
  - US902-928 numbers 72 uplink channels: 0–63 of 125 kHz at 902.3 + 0.2·n MHz
    and 64–71 of 500 kHz at 903.0 + 1.6·n MHz (n = 0…7); gateways answer on 8
    downlink channels of 500 kHz at 923.3 + 0.6·n MHz.
  - AU915-928 has the same structure: 125 kHz uplinks at 915.2 + 0.2·n MHz
    (n = 0…63), 500 kHz uplinks at 915.9 + 1.6·n MHz (n = 0…7), downlinks at
    923.3 + 0.6·n MHz. Mexico (ITU Region 2) lists both US902-928 and
    AU915-928 in the LoRa Alliance's regional-parameters-by-country table
    (RP002 companion; The Things Network "Frequency plans by country") —
    *verify* per deployment; both are modelled.
* **Modulation** — LoRa (Semtech AN1200.22). Data rates (RP002): EU868
  DR5…DR0 = SF7…SF12 at 125 kHz, DR6 = SF7 at 250 kHz; US915 DR3…DR0 =
  SF7…SF10 at 125 kHz (SF11/SF12 break the 400 ms dwell limit), DR4 = SF8 at
  500 kHz; AU915 DR5…DR0 = SF7…SF12 at 125 kHz, DR6 = SF8 at 500 kHz;
  US915/AU915 downlinks DR8…DR13 = SF12…SF7 at 500 kHz. The 500 kHz packets
  are physically close to ExpressLRS 900 (LoRa 500 kHz, SF6–SF9): the point of
  modelling them.
* **Packet** (RP002 and LoRaWAN L2 1.0.4 spec): preamble 8 symbols, public sync
  word 0x34, 2.25-symbol SFD, explicit PHY header, coding rate 4/5, payload
  CRC on uplinks only, low-data-rate optimisation when a symbol lasts longer
  than 16 ms (SX1276 datasheet). PHYPayload = MHDR (1) + FHDR (7) + FPort (1) +
  FRMPayload + MIC (4): 13 + 0…40 bytes on uplinks, 13 on downlinks here.
  Time on air from the SX1276 datasheet §4.1.1.7: ~10 ms at SF7/500 kHz to
  over 2 s at SF12/125 kHz.
* **Bandwidth per uplink** — in EU868 a packet uses DR6 (250 kHz, 868.3 MHz)
  with probability 0.1, otherwise a 125 kHz channel; in US915/AU915 a packet
  uses a 500 kHz channel (64–71) with probability 0.25 (``bw500_prob``),
  otherwise a 125 kHz one. Both shares are *assumptions* (networks choose the
  data rate by adaptive data rate; TTN/Helium traffic is mostly 125 kHz).
* **Timing** — devices transmit sparsely (duty-cycle limits of 1 % in EU
  sub-band g1, 400 ms dwell time in US915). To make a short recording hold at
  least one packet, a scene has ``1 + Poisson(duration/3 s)`` uplinks (several
  devices) with start times uniform over the duration — an assumption about the
  scene, not the protocol.
* **Gateway downlinks** — with probability ``downlink_prob`` (default 0.2) an
  uplink is answered in RX1: RECEIVE_DELAY1 = 1 s after the uplink ends, IQ
  inverted (RP002; LoRaWAN L2 spec), RX1DROffset 0 (its default). EU868: same
  channel and data rate. US915/AU915: channel 923.3 + 0.6·(uplink channel mod
  8) MHz at 500 kHz, DR from RP002's RX1 table (US DR0…DR3 → DR10…DR13, DR4 →
  DR13; AU DR0…DR5 → DR8…DR13, DR6 → DR13), i.e. the uplink's SF for 125 kHz
  uplinks and SF7 after a 500 kHz SF8 uplink. The ``DL923`` band is what a
  receiver tuned to 923–928 MHz hears: gateway downlinks only, answering
  uplinks made before the recording (uniform times, ``1 + Poisson(duration/3
  s)`` of them).

Each packet is one :class:`Burst`; ``meta`` holds ``direction``, ``plan``,
``channel`` (uplink channel number; the downlink's own index for downlinks,
with ``uplink_channel``), ``sf``, ``bw_hz``, ``payload_bytes``.

Builder parameters: ``sf`` (force a spreading factor), ``bw_hz`` (force
125e3, 250e3 or 500e3 where the plan has it), ``packets`` (number of uplinks),
``payload_bytes`` (PHYPayload length), ``downlink_prob``, ``bw500_prob``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.dsp.modulation import lora_frame, lora_payload_symbols
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

BW_HZ = 125e3
N_PREAMBLE = 8
SYNC_WORD = 0x34
CODING_RATE = 1  # 4/5
MEAN_GAP_S = 3.0
RECEIVE_DELAY1_S = 1.0
DOWNLINK_PROB = 0.2
BW500_PROB = 0.25
BW250_PROB = 0.1
DOWNLINK_PAYLOAD_BYTES = 13


@dataclass(frozen=True)
class ChannelSet:
    """Uplink channels of one bandwidth in a plan: centres in Hz, their channel numbers, and the SFs allowed."""

    bw_hz: float
    channels_hz: tuple[float, ...]
    numbers: tuple[int, ...]
    sfs: tuple[int, ...]


def _raster(first_hz: float, step_hz: float, count: int) -> tuple[float, ...]:
    return tuple(first_hz + step_hz * n for n in range(count))


EU_125 = (867.1e6, 867.3e6, 867.5e6, 867.7e6, 867.9e6, 868.1e6, 868.3e6, 868.5e6)
US_125 = _raster(902.3e6, 0.2e6, 64)
US_500 = _raster(903.0e6, 1.6e6, 8)
AU_125 = _raster(915.2e6, 0.2e6, 64)
AU_500 = _raster(915.9e6, 1.6e6, 8)
#: US915/AU915 RX1 downlink channels, 500 kHz (RP002).
DL_500 = _raster(923.3e6, 0.6e6, 8)

#: Uplink channel sets per plan (RP002 data-rate tables).
PLANS: dict[str, tuple[ChannelSet, ...]] = {
    "EU868": (ChannelSet(125e3, EU_125, tuple(range(8)), (7, 8, 9, 10, 11, 12)),
              ChannelSet(250e3, (868.3e6,), (6,), (7,))),
    "US915": (ChannelSet(125e3, US_125, tuple(range(64)), (7, 8, 9, 10)),
              ChannelSet(500e3, US_500, tuple(range(64, 72)), (8,))),
    "AU915": (ChannelSet(125e3, AU_125, tuple(range(64)), (7, 8, 9, 10, 11, 12)),
              ChannelSet(500e3, AU_500, tuple(range(64, 72)), (8,))),
}

EU868 = Band("EU868", 867.1e6 - BW_HZ / 2, 868.5e6 + BW_HZ / 2, EU_125)
#: The US915 band runs from the lowest uplink to the highest RX1 downlink channel edge: a US915
#: emitter's answers land at 923–928 MHz (AU915's range holds its downlinks already).
US915 = Band("US915", 902.3e6 - BW_HZ / 2, DL_500[-1] + 250e3, US_125 + US_500)
AU915 = Band("AU915", 915.2e6 - BW_HZ / 2, 915.2e6 + 63 * 0.2e6 + BW_HZ / 2, AU_125 + AU_500)
DL923 = Band("DL923", DL_500[0] - 250e3, DL_500[-1] + 250e3, DL_500)
BANDS = (EU868, US915, AU915, DL923)


def airtime_s(sf: int, payload_bytes: int, n_preamble: int = N_PREAMBLE, bw_hz: float = BW_HZ,
              crc: bool = True) -> float:
    """LoRaWAN packet time on air (explicit header, CR 4/5, LDRO when a symbol exceeds 16 ms)."""
    t_sym_s = 2**sf / bw_hz
    n_payload = lora_payload_symbols(payload_bytes, sf, CODING_RATE, crc=crc, implicit_header=False,
                                     low_data_rate=t_sym_s > 16e-3)
    return (n_preamble + 4.25 + n_payload) * t_sym_s


def rx1_downlink(plan: str, channel: int, rf_hz: float, sf: int, bw_hz: float) -> tuple[float, int, int, float]:
    """RX1 answer to an uplink on ``channel`` at ``rf_hz``: (RF centre Hz, downlink channel, SF, bandwidth Hz).

    RX1DROffset 0. EU868 answers on the uplink's channel and data rate;
    US915/AU915 on 923.3 + 0.6·(channel mod 8) MHz at 500 kHz with the
    uplink's SF, or SF7 after a 500 kHz uplink (RP002 RX1 data-rate tables).
    """
    if plan == "EU868":
        return rf_hz, channel, sf, bw_hz
    down_sf = 7 if bw_hz >= 500e3 else sf
    return DL_500[channel % 8], channel % 8, down_sf, 500e3


def _samples(seed: int, sf: int, bw_hz: float, payload_bytes: int, crc: bool, downlink: bool) -> np.ndarray:
    t_sym_s = 2**sf / bw_hz
    n_payload = lora_payload_symbols(payload_bytes, sf, CODING_RATE, crc=crc, implicit_header=False,
                                     low_data_rate=t_sym_s > 16e-3)
    values = np.random.default_rng(seed).integers(0, 2**sf, n_payload)
    x = lora_frame(values, sf, bw_hz, 2 * bw_hz, n_preamble=N_PREAMBLE, sync_word=SYNC_WORD, invert_iq=downlink)
    return unit_power(x)


def _burst(req: EmitRequest, t_s: float, rf_hz: float, bw_hz: float, seed: int, meta: dict) -> Burst | None:
    if t_s >= req.duration_s or not req.visible(rf_hz - bw_hz / 2, rf_hz + bw_hz / 2):
        return None
    downlink = meta["direction"] == "downlink"
    x = _samples(seed, meta["sf"], bw_hz, meta["payload_bytes"], crc=not downlink, downlink=downlink)
    return Burst(t_s, rf_hz, x, 2 * bw_hz, rf_hz - bw_hz / 2, rf_hz + bw_hz / 2, "none", meta=meta)


def _draw_uplink(req: EmitRequest, plan: str) -> tuple[ChannelSet, int]:
    """The channel set (bandwidth) and the index in it of one uplink, drawn as the module docstring says."""
    rng = req.rng
    narrow, wide = PLANS[plan]
    share = float(req.params.get("bw500_prob", BW500_PROB)) if plan != "EU868" else BW250_PROB
    drawn_wide = rng.random() < share
    bw = req.params.get("bw_hz")
    use_wide = drawn_wide if bw is None else float(bw) == wide.bw_hz
    if bw is not None and float(bw) not in (narrow.bw_hz, wide.bw_hz):
        raise ValueError(f"lora-iot {plan} has no {float(bw):.0f} Hz channels")
    chosen = wide if use_wide else narrow
    return chosen, int(rng.integers(len(chosen.channels_hz)))


def _uplinks(req: EmitRequest, plan: str) -> list[Burst]:
    rng = req.rng
    n_packets = int(req.params.get("packets", 1 + rng.poisson(req.duration_s / MEAN_GAP_S)))
    downlink_prob = float(req.params.get("downlink_prob", DOWNLINK_PROB))
    starts_s = np.sort(rng.uniform(0.0, req.duration_s, n_packets))
    bursts: list[Burst | None] = []
    for t_s in starts_s:
        chset, k = _draw_uplink(req, plan)
        sf = int(req.params.get("sf", chset.sfs[int(rng.integers(len(chset.sfs)))]))
        payload_bytes = int(req.params.get("payload_bytes", 13 + int(rng.integers(0, 41))))
        answered = rng.random() < downlink_prob
        seeds = rng.integers(0, 2**63 - 1, 2)
        number, rf_hz = chset.numbers[k], chset.channels_hz[k]
        meta = {"direction": "uplink", "plan": plan, "channel": number, "sf": sf, "bw_hz": chset.bw_hz,
                "payload_bytes": payload_bytes}
        bursts.append(_burst(req, float(t_s), rf_hz, chset.bw_hz, int(seeds[0]), meta))
        if answered:
            t_down_s = float(t_s) + airtime_s(sf, payload_bytes, bw_hz=chset.bw_hz) + RECEIVE_DELAY1_S
            down_hz, down_ch, down_sf, down_bw = rx1_downlink(plan, number, rf_hz, sf, chset.bw_hz)
            meta = {"direction": "downlink", "plan": plan, "channel": down_ch, "uplink_channel": number,
                    "sf": down_sf, "bw_hz": down_bw, "payload_bytes": DOWNLINK_PAYLOAD_BYTES}
            bursts.append(_burst(req, t_down_s, down_hz, down_bw, int(seeds[1]), meta))
    return [b for b in bursts if b is not None]


def _gateway_downlinks(req: EmitRequest) -> list[Burst]:
    """What a receiver at 923–928 MHz hears: RX1 answers to US915 uplinks made before the recording."""
    rng = req.rng
    n_packets = int(req.params.get("packets", 1 + rng.poisson(req.duration_s / MEAN_GAP_S)))
    starts_s = np.sort(rng.uniform(0.0, req.duration_s, n_packets))
    bursts: list[Burst | None] = []
    for t_s in starts_s:
        chset, k = _draw_uplink(req, "US915")
        sf = int(req.params.get("sf", chset.sfs[int(rng.integers(len(chset.sfs)))]))
        seed = int(rng.integers(0, 2**63 - 1))
        down_hz, down_ch, down_sf, down_bw = rx1_downlink("US915", chset.numbers[k], chset.channels_hz[k], sf,
                                                          chset.bw_hz)
        meta = {"direction": "downlink", "plan": "US915", "channel": down_ch, "uplink_channel": chset.numbers[k],
                "sf": down_sf, "bw_hz": down_bw, "payload_bytes": DOWNLINK_PAYLOAD_BYTES}
        bursts.append(_burst(req, float(t_s), down_hz, down_bw, seed, meta))
    return [b for b in bursts if b is not None]


def _build(req: EmitRequest) -> list[Burst]:
    if req.band.name == DL923.name:
        return _gateway_downlinks(req)
    return _uplinks(req, req.band.name if req.band.name in PLANS else "EU868")


SIGNATURE = Signature(
    label="lora-iot",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="LoRa CSS, BW 125/250/500 kHz, SF7-SF12 (LoRaWAN EU868, US915, AU915)",
    bandwidth_hz=BW_HZ,
    timing={
        "symbol_duration_s": {sf: 2**sf / BW_HZ for sf in range(7, 13)},
        "airtime_min_s": round(airtime_s(7, 13, bw_hz=500e3), 7),
        "airtime_max_s": round(airtime_s(12, 53), 7),
        "preamble_symbols": N_PREAMBLE,
        "mean_packet_gap_s": MEAN_GAP_S,
        "receive_delay1_s": RECEIVE_DELAY1_S,
        "channel_spacing_hz": {"125kHz": 200e3, "500kHz_uplink": 1.6e6, "500kHz_downlink": 0.6e6},
        "first_channel_hz": {"US915_125kHz": US_125[0], "US915_500kHz": US_500[0], "AU915_125kHz": AU_125[0],
                             "AU915_500kHz": AU_500[0], "downlink_500kHz": DL_500[0]},
        "bandwidths_hz": (125e3, 250e3, 500e3),
    },
    builder=_build,
    description="LoRaWAN uplinks (125/250/500 kHz) and RX1 gateway downlinks: sparse LoRa packets",
    sources=(
        "LoRa Alliance RP002-1.0.x LoRaWAN Regional Parameters (EU863-870, US902-928, AU915-928 plans, RX1 tables)",
        "LoRa Alliance LoRaWAN L2 1.0.4 specification (PHYPayload layout, RX1 delay, IQ inversion)",
        "The Things Network frequency plans (EU868 867.1-867.9 MHz, SF7BW250 on 868.3 MHz)",
        "The Things Network 'Frequency plans by country' (Mexico: US902-928, AU915-928)",
        "Semtech SX1276/77/78/79 datasheet §4.1.1 (packet structure, time on air, LDRO)",
        "Semtech AN1200.22 LoRa Modulation Basics",
    ),
    order=10,
)
