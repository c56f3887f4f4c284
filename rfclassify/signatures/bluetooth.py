"""Bluetooth BR (Classic) piconet traffic and BLE advertising, GFSK at 1 Msym/s in 2402–2480 MHz.

Numbers from the Bluetooth Core Specification v5.3 (public at
bluetooth.com/specifications):

* RF (Vol 2 Part A §2–3, Vol 6 Part A §2–3): 79 BR/EDR channels at
  2402 + k MHz, k = 0..78; 40 LE channels at 2 MHz spacing with the
  advertising channels 37/38/39 at 2402/2426/2480 MHz. GFSK with BT = 0.5 at
  1 Msym/s; modulation index 0.28–0.35 for BR (we use 0.32) and 0.45–0.55 for
  LE 1M (we use 0.5). EDR's DPSK payloads are not modelled (BR GFSK only).
* BR baseband (Vol 2 Part B §2.2, §6.5–6.7): 625 µs slots, the central
  transmits in even slots and the peripheral in odd ones; the channel hops
  every slot (1600 hops/s), a multi-slot packet stays on the frequency of its
  first slot. Packet air times: ID 68 µs, NULL/POLL 126 µs (72-bit access
  code + 54-bit header), DH1 ≤ 366 µs, DH3 ≤ 1622 µs, DH5 ≤ 2870 µs, HV3
  366 µs every 6 slots (SCO). The hop *sequence* (selection kernel driven
  by the central's address and clock) is replaced by a uniform random draw
  per slot over the channel set — *assumption*, statistically equivalent for
  a classifier; adaptive hopping restricts the set to ≥ 20 channels.
* LE advertising (Vol 6 Part B §2.1, §4.4.2.2): an advertising event sends
  one PDU on each of 37, 38, 39 in turn (≤ 10 ms apart); events repeat every
  advInterval (20 ms … 10.24 s) plus a random advDelay of 0–10 ms. A 1M PDU
  is preamble 1 + access address 4 + header 2 + payload 6–37 + CRC 3 bytes
  = 80–376 µs. The PDU-to-PDU spacing inside an event (drawn 0.4–1.6 ms per
  device) and the advInterval population (log-uniform 20 ms–1 s) are
  *assumptions*; scan requests/responses are not modelled.

LE connections (``mode`` "ble-conn"): see :func:`_build_ble_conn`.

Params: ``mode`` ("br" | "ble" | "ble-conn"); BR: ``traffic`` ("acl" | "sco" | "poll"),
``afh_channels`` (number of channels in use, 20..79), ``poll_slots``; BLE:
``adv_interval_s``, ``payload_bytes`` (6..37), ``pdu_spacing_s``. Missing
ones are drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SYMBOL_RATE_HZ = 1e6
SPS = 3
SLOT_S = 625e-6
BR_H = 0.32
BLE_H = 0.5
BT = 0.5
BR_CHANNELS_HZ = tuple(2402e6 + k * 1e6 for k in range(79))
ADV_CHANNELS_HZ = (2402e6, 2426e6, 2480e6)
# 99 % power bandwidths of GFSK BT 0.5 at 1 Msym/s: h=0.32 → 0.85–0.95 MHz (BR's 20 dB
# bandwidth limit is 1 MHz, Vol 2 Part A §3), h=0.5 → 1.05–1.1 MHz; short packets spread more.
BR_BANDWIDTH_HZ = 1.0e6
BLE_BANDWIDTH_HZ = 1.2e6
# air time in µs (= bits) of BR packet types: (max bits, slots)
_BR_TYPES = {"NULL": (126, 1), "POLL": (126, 1), "DH1": (366, 1), "DH3": (1622, 3), "DH5": (2870, 5)}
HEADER_BITS = 126  # access code 72 + header 54


def ble_pdu_bits(payload_bytes: int) -> int:
    """On-air bits of an LE 1M advertising PDU with ``payload_bytes`` of payload."""
    return (1 + 4 + 2 + payload_bytes + 3) * 8


def _packet(n_bits: int, h: float, rng: np.random.Generator) -> np.ndarray:
    bits = rng.integers(0, 2, n_bits, dtype=np.uint8)
    bits[:4] = (1, 0, 1, 0)  # preamble
    x = gfsk(bits, SYMBOL_RATE_HZ, h * SYMBOL_RATE_HZ / 2.0, SPS * SYMBOL_RATE_HZ, bt=BT)
    return unit_power(x)


def _br_schedule(req: EmitRequest, traffic: str, n_slots: int) -> list[tuple[int, int, str]]:
    """(slot index, air bits, packet type) of every BR packet, central and peripheral."""
    rng = req.rng
    out: list[tuple[int, int, str]] = []
    if traffic == "sco":
        period = 6
        first = int(rng.integers(0, period // 2)) * 2
        for s in range(first, n_slots, period):
            out.append((s, 366, "HV3"))
            out.append((s + 1, 366, "HV3"))
        return out
    if traffic == "poll":
        period = int(req.params.get("poll_slots", 2 * int(rng.integers(1, 21))))
        first = int(rng.integers(0, max(1, period // 2))) * 2
        for s in range(first, n_slots, period):
            out.append((s, 126, "POLL"))
            out.append((s + 1, 126, "NULL"))
        return out
    # ACL data: a stream of multi-slot packets from the central, short replies
    types = ("DH1", "DH3", "DH5", "POLL")
    weights = np.array([0.25, 0.25, 0.35, 0.15])
    s = 0
    while s < n_slots:
        kind = types[int(rng.choice(len(types), p=weights))]
        max_bits, slots = _BR_TYPES[kind]
        bits = max_bits if kind == "POLL" else int(rng.uniform(0.5, 1.0) * (max_bits - HEADER_BITS)) + HEADER_BITS
        out.append((s, bits, kind))
        s += slots
        reply = "DH1" if rng.random() < 0.3 else "NULL"
        r_bits = _BR_TYPES[reply][0] if reply == "NULL" else int(rng.uniform(160, 366))
        out.append((s, r_bits, reply))
        s += 1
        if rng.random() < 0.1:  # idle pair of slots
            s += 2
    return out


def _build_br(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    traffic = str(req.params.get("traffic", rng.choice(["acl", "sco", "poll"])))
    if traffic not in ("acl", "sco", "poll"):
        raise ValueError(f"bluetooth traffic must be acl, sco or poll, not {traffic!r}")
    n_afh = int(req.params.get("afh_channels", 79 if rng.random() < 0.5 else rng.integers(20, 80)))
    band_ch = np.asarray(req.band.channels_hz or BR_CHANNELS_HZ)
    in_use = np.sort(rng.choice(band_ch, size=min(n_afh, len(band_ch)), replace=False))
    # slot 0 starts at t0 <= 0, so the first visible packet is at a random phase of the schedule
    t0 = -rng.uniform(0.0, 2 * SLOT_S)
    n_slots = int(np.ceil((req.duration_s - t0) / SLOT_S))
    hops = rng.choice(in_use, size=n_slots + 8)
    half = BR_BANDWIDTH_HZ / 2.0
    fs_hz = SPS * SYMBOL_RATE_HZ
    bursts: list[Burst] = []
    for slot, n_bits, kind in _br_schedule(req, traffic, n_slots):
        t = t0 + slot * SLOT_S
        rf = float(hops[slot])
        if not (0.0 <= t < req.duration_s) or not req.visible(rf - half, rf + half):
            continue
        meta = {"mode": "br", "traffic": traffic, "packet": kind, "slot": slot, "central": slot % 2 == 0}
        x = _packet(n_bits, BR_H, rng)
        bursts.append(Burst(t, rf, x, fs_hz, rf - half, rf + half, "none", meta=meta))
    return bursts


def _build_ble(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    interval_s = float(req.params.get("adv_interval_s", np.exp(rng.uniform(np.log(20e-3), np.log(1.0)))))
    payload = int(req.params.get("payload_bytes", rng.integers(6, 38)))
    spacing_s = float(req.params.get("pdu_spacing_s", rng.uniform(0.4e-3, 1.6e-3)))
    n_bits = ble_pdu_bits(payload)
    spacing_s = max(spacing_s, n_bits / SYMBOL_RATE_HZ + 150e-6)
    half = BLE_BANDWIDTH_HZ / 2.0
    fs_hz = SPS * SYMBOL_RATE_HZ
    bursts: list[Burst] = []
    t_event = -rng.uniform(0.0, interval_s + 10e-3)
    while t_event < req.duration_s:
        for i, rf in enumerate(ADV_CHANNELS_HZ):
            t = t_event + i * spacing_s
            if 0.0 <= t < req.duration_s and req.visible(rf - half, rf + half):
                meta = {"mode": "ble", "channel": 37 + i, "adv_interval_s": interval_s}
                x = _packet(n_bits, BLE_H, rng)
                bursts.append(Burst(t, rf, x, fs_hz, rf - half, rf + half, "none", meta=meta))
        t_event += interval_s + rng.uniform(0.0, 10e-3)
    return bursts


def ble_data_channel_hz(k: int) -> float:
    """RF centre of LE data channel ``k`` (0..36), skipping the advertising channels (Vol 6 Part B §1.4.1)."""
    return 2404e6 + 2e6 * k if k <= 10 else 2428e6 + 2e6 * (k - 11)


def _build_ble_conn(req: EmitRequest) -> list[Burst]:
    """LE connection traffic: connection events on hopping data channels, central and peripheral PDUs.

    Vol 6 Part B §4.5: a connection event every connInterval (7.5 ms … 4 s;
    drawn log-uniform 7.5–100 ms, *assumption* for an active link), channel
    selection algorithm #1 (unmapped channel = (last + hopIncrement) mod 37,
    hopIncrement 5…16, §4.5.8.2); within an event the central and the
    peripheral alternate PDUs T_IFS = 150 µs apart (§4.1.1); data PDUs carry
    0…251 bytes with the data length extension (§2.4), i.e. 80–2120 µs at 1M.
    """
    rng = req.rng
    interval_s = float(req.params.get("conn_interval_s", np.exp(rng.uniform(np.log(7.5e-3), np.log(0.1)))))
    hop = int(req.params.get("hop_increment", rng.integers(5, 17)))
    max_payload = int(req.params.get("max_payload_bytes", rng.choice([27, 251])))
    half = BLE_BANDWIDTH_HZ / 2.0
    fs_hz = SPS * SYMBOL_RATE_HZ
    bursts: list[Burst] = []
    channel = int(rng.integers(0, 37))
    t_event = -rng.uniform(0.0, interval_s)
    while t_event < req.duration_s:
        channel = (channel + hop) % 37
        rf = ble_data_channel_hz(channel)
        t = t_event
        exchanges = int(rng.integers(1, 4))
        for _ in range(exchanges):
            for role in ("central", "peripheral"):
                payload = int(rng.integers(0, max_payload + 1)) if rng.random() < 0.6 else 0
                n_bits = ble_pdu_bits(payload)
                if 0.0 <= t < req.duration_s and req.visible(rf - half, rf + half):
                    meta = {"mode": "ble-conn", "channel": channel, "role": role, "conn_interval_s": interval_s}
                    bursts.append(Burst(t, rf, _packet(n_bits, BLE_H, rng), fs_hz, rf - half, rf + half, "none",
                                        meta=meta))
                t += n_bits / SYMBOL_RATE_HZ + 150e-6
            if t - t_event > 0.8 * interval_s:
                break
        t_event += interval_s
    return bursts


def _build(req: EmitRequest) -> list[Burst]:
    mode = str(req.params.get("mode", req.rng.choice(["br", "ble", "ble-conn"])))
    if mode == "br":
        return _build_br(req)
    if mode == "ble":
        return _build_ble(req)
    if mode == "ble-conn":
        return _build_ble_conn(req)
    raise ValueError(f"bluetooth mode must be 'br', 'ble' or 'ble-conn', not {mode!r}")


SIGNATURE = Signature(
    label="bluetooth",
    drone=False,
    link="none",
    bands=(Band("2G4", 2400e6, 2483.5e6, BR_CHANNELS_HZ),),
    modulation="GFSK 1 Msym/s, BT 0.5, h 0.32 (BR) / 0.5 (LE)",
    bandwidth_hz=BR_BANDWIDTH_HZ,
    timing={
        "slot_s": SLOT_S,
        "hop_rate_hz": 1.0 / SLOT_S,
        "br_channels": 79,
        "channel_spacing_hz": 1e6,
        "symbol_rate_hz": SYMBOL_RATE_HZ,
        "dh1_max_s": 366e-6,
        "dh3_max_s": 1622e-6,
        "dh5_max_s": 2870e-6,
        "poll_s": 126e-6,
        "ble_adv_channels_hz": ADV_CHANNELS_HZ,
        "ble_pdu_min_s": ble_pdu_bits(6) / SYMBOL_RATE_HZ,
        "ble_pdu_max_s": ble_pdu_bits(37) / SYMBOL_RATE_HZ,
        "ble_adv_delay_max_s": 10e-3,
        "ble_bandwidth_hz": BLE_BANDWIDTH_HZ,
    },
    builder=_build,
    description="Bluetooth BR piconet (625 us slots, 1600 hops/s) or BLE advertising on ch 37/38/39",
    sources=(
        "Bluetooth Core Specification v5.3 Vol 2 Part A (BR RF: channels, GFSK BT 0.5, h 0.28-0.35)",
        "Bluetooth Core Specification v5.3 Vol 2 Part B (slots, hopping, packet types and air times)",
        "Bluetooth Core Specification v5.3 Vol 6 Parts A/B (LE channels, advertising events, PDU format)",
    ),
    order=9,
    training_sets=2,
)
