"""LoRaWAN end devices and gateways: the ``lora-iot`` background class.

Physical link, with the public source of every number:

* **Channels** — LoRa Alliance RP002-1.0.x "LoRaWAN Regional Parameters":
  EU863-870 has three default channels 868.1, 868.3 and 868.5 MHz that every
  device supports; networks add five more (the common plan, e.g. The Things
  Network's EU868 frequency plan, uses 867.1–867.9 MHz in 200 kHz steps).
  US902-928 has 64 uplink channels of 125 kHz at 902.3 + 0.2·n MHz
  (n = 0…63); its 500 kHz uplinks and downlinks are not modelled.
* **Modulation** — LoRa BW 125 kHz (Semtech AN1200.22). Data rates (RP002):
  EU868 DR5…DR0 = SF7…SF12; US915 DR3…DR0 = SF7…SF10 (SF11/SF12 are not
  allowed for US915 uplinks).
* **Packet** (RP002 and LoRaWAN L2 1.0.4 spec): preamble 8 symbols, public sync
  word 0x34, 2.25-symbol SFD, explicit PHY header, coding rate 4/5, payload
  CRC on uplinks, low-data-rate optimisation for SF11/SF12 at 125 kHz (symbol
  longer than 16 ms — SX1276 datasheet). PHYPayload = MHDR (1) + FHDR (7) +
  FPort (1) + FRMPayload + MIC (4): 13 + 0…40 bytes here. Time on air from
  the SX1276 datasheet §4.1.1.7: tens of ms at SF7 to over 2 s at SF12.
* **Timing** — devices transmit sparsely (duty-cycle limits of 1 % in EU
  sub-band g1, 400 ms dwell time in US915). To make a short recording hold at
  least one packet, a scene has ``1 + Poisson(duration/3 s)`` uplinks (several
  devices) with start times uniform over the duration — an assumption about the
  scene, not the protocol.
* **Gateway downlinks** — with probability ``downlink_prob`` (default 0.2) an
  uplink is answered in RX1: RECEIVE_DELAY1 = 1 s after the uplink ends, same
  channel (EU868) and SF, IQ inverted (RP002; LoRaWAN L2 spec). US915 RX1
  answers on 923.3 + 0.6·(n mod 8) MHz with 500 kHz — not modelled, so US915
  downlinks are omitted.

Builder parameters: ``sf`` (force a spreading factor), ``packets`` (number of
uplinks), ``payload_bytes`` (PHYPayload length), ``downlink_prob``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import lora_frame, lora_payload_symbols
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

BW_HZ = 125e3
FS_HZ = 2 * BW_HZ
N_PREAMBLE = 8
SYNC_WORD = 0x34
CODING_RATE = 1  # 4/5
MEAN_GAP_S = 3.0
RECEIVE_DELAY1_S = 1.0

EU868 = Band(
    "EU868",
    867.1e6 - BW_HZ / 2,
    868.5e6 + BW_HZ / 2,
    (867.1e6, 867.3e6, 867.5e6, 867.7e6, 867.9e6, 868.1e6, 868.3e6, 868.5e6),
)
US915 = Band(
    "US915",
    902.3e6 - BW_HZ / 2,
    902.3e6 + 63 * 0.2e6 + BW_HZ / 2,
    tuple(902.3e6 + 0.2e6 * n for n in range(64)),
)
BANDS = (EU868, US915)
SPREADING_FACTORS = {"EU868": (7, 8, 9, 10, 11, 12), "US915": (7, 8, 9, 10)}


def airtime_s(sf: int, payload_bytes: int, n_preamble: int = N_PREAMBLE, bw_hz: float = BW_HZ) -> float:
    """LoRaWAN uplink time on air (explicit header, CRC on, CR 4/5, LDRO at SF ≥ 11 on 125 kHz)."""
    t_sym_s = 2**sf / bw_hz
    n_payload = lora_payload_symbols(payload_bytes, sf, CODING_RATE, crc=True, implicit_header=False,
                                     low_data_rate=t_sym_s > 16e-3)
    return (n_preamble + 4.25 + n_payload) * t_sym_s


def _packet(rng: np.random.Generator, sf: int, payload_bytes: int, crc: bool, downlink: bool) -> np.ndarray:
    t_sym_s = 2**sf / BW_HZ
    n_payload = lora_payload_symbols(payload_bytes, sf, CODING_RATE, crc=crc, implicit_header=False,
                                     low_data_rate=t_sym_s > 16e-3)
    values = rng.integers(0, 2**sf, n_payload)
    return lora_frame(values, sf, BW_HZ, FS_HZ, n_preamble=N_PREAMBLE, sync_word=SYNC_WORD, invert_iq=downlink)


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    channels = req.band.channels_hz or (req.band.center_hz,)
    sfs = SPREADING_FACTORS.get(req.band.name, SPREADING_FACTORS["EU868"])
    n_packets = int(req.params.get("packets", 1 + rng.poisson(req.duration_s / MEAN_GAP_S)))
    downlink_prob = float(req.params.get("downlink_prob", 0.2)) if req.band.name == "EU868" else 0.0
    starts_s = np.sort(rng.uniform(0.0, req.duration_s, n_packets))
    bursts: list[Burst] = []
    for t_s in starts_s:
        sf = int(req.params.get("sf", sfs[int(rng.integers(len(sfs)))]))
        payload_bytes = int(req.params.get("payload_bytes", 13 + int(rng.integers(0, 41))))
        ch = int(rng.integers(len(channels)))
        rf_hz = channels[ch]
        f_lo, f_hi = rf_hz - BW_HZ / 2, rf_hz + BW_HZ / 2
        answered = rng.random() < downlink_prob
        if not req.visible(f_lo, f_hi):
            continue
        up = _packet(rng, sf, payload_bytes, crc=True, downlink=False)
        meta = {"channel": ch, "sf": sf, "payload_bytes": payload_bytes, "direction": "uplink"}
        bursts.append(Burst(float(t_s), rf_hz, unit_power(up), FS_HZ, f_lo, f_hi, "none", meta=meta))
        t_down_s = float(t_s) + len(up) / FS_HZ + RECEIVE_DELAY1_S
        if answered and t_down_s < req.duration_s:
            down = _packet(rng, sf, 13, crc=False, downlink=True)  # downlinks carry no payload CRC
            meta = {"channel": ch, "sf": sf, "payload_bytes": 13, "direction": "downlink"}
            bursts.append(Burst(t_down_s, rf_hz, unit_power(down), FS_HZ, f_lo, f_hi, "none", meta=meta))
    return bursts


SIGNATURE = Signature(
    label="lora-iot",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="LoRa CSS, BW 125 kHz, SF7-SF12 (LoRaWAN)",
    bandwidth_hz=BW_HZ,
    timing={
        "symbol_duration_s": {sf: 2**sf / BW_HZ for sf in range(7, 13)},
        "airtime_min_s": round(airtime_s(7, 13), 7),
        "airtime_max_s": round(airtime_s(12, 53), 7),
        "preamble_symbols": N_PREAMBLE,
        "mean_packet_gap_s": MEAN_GAP_S,
        "receive_delay1_s": RECEIVE_DELAY1_S,
        "channel_spacing_hz": 200e3,
    },
    builder=_build,
    description="LoRaWAN end-device uplinks (and EU868 RX1 gateway downlinks): sparse 125 kHz LoRa packets",
    sources=(
        "LoRa Alliance RP002-1.0.x LoRaWAN Regional Parameters (EU863-870, US902-928 channel plans, data rates)",
        "LoRa Alliance LoRaWAN L2 1.0.4 specification (PHYPayload layout, RX1 delay, IQ inversion)",
        "The Things Network EU868 frequency plan (867.1-867.9 MHz extra channels)",
        "Semtech SX1276/77/78/79 datasheet §4.1.1 (packet structure, time on air, LDRO)",
        "Semtech AN1200.22 LoRa Modulation Basics",
    ),
    order=10,
)
