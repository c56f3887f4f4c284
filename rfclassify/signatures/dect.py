"""``dect``: DECT and DECT 6.0 cordless phones — GFSK slots in a 10 ms TDMA/TDD frame on 1.728 MHz carriers.

Physical link, with the public source of every number:

* **Modulation** — ETSI EN 300 175-2 §5: GFSK, bit rate 1152 kb/s,
  Gaussian filter BT = 0.5, nominal peak deviation 288 kHz (modulation
  index 0.5). The 99 % power bandwidth that gives is about 1.2–1.3 MHz
  (measured in the tests); the carriers are 1.728 MHz apart.
* **Carriers** — EN 300 175-2 §4.1: Fc = F0 − c·1.728 MHz with F0 =
  1897.344 MHz, c = 0…9, i.e. 1881.792–1897.344 MHz in the European band
  1880–1900 MHz. DECT 6.0 in the US (FCC 47 CFR 15.303 and 15.323,
  unlicensed PCS 1920–1930 MHz; ETSI TS 101 948 / the DECT Forum's US
  profile) uses the five carriers 1921.536 + 1.728·k MHz, k = 0…4
  (1921.536–1928.448 MHz). Mexico's plan follows the US one (IFT CNAF,
  1920–1930 MHz for cordless telephones).
* **TDMA/TDD frame** — EN 300 175-2 §4 and EN 300 175-3: a frame is
  10 ms = 11520 bits, 24 full slots of 480 bits = 416.7 µs; slots 0–11 carry
  the fixed part's (base station's) transmissions, slots 12–23 the portable
  part's; a duplex bearer pairs slot k with slot k + 12, 5 ms later, on the
  same carrier.
* **Packet** — EN 300 175-2 §4 / EN 300 175-3: the basic physical
  packet P32 is the 32-bit S-field (16-bit preamble, 16-bit sync word), the
  388-bit D-field (64-bit A-field, 320-bit B-field, 4-bit X-field) and the
  4-bit Z-field: 424 bits = 368 µs, the rest of the slot is guard space.
  The S-field of a base station is 0xAAAA E98A, that of a handset its
  inverse 0x5555 1675 (EN 300 175-2 §4).
* **Beacon** — EN 300 175-3 (MAC layer, bearer types): a base station with no call keeps one
  *dummy bearer* — one downlink P32 per frame in one slot — so handsets
  can lock to it; a call is a duplex traffic bearer (one downlink and one
  uplink P32 per frame, 5 ms apart), which then carries the beacon
  information instead.

Assumptions: the dummy bearer is dropped while a call is active (the
traffic bearer takes over the beacon); a recording sees 0–2 calls; each
bearer keeps its slot and carrier over the recording (no handover); the A-
and B-field bits are random.

Params (``EmitRequest.params``): ``calls`` (number of duplex traffic bearers,
0 = idle base with its dummy bearer), ``carrier`` (index into the band's
carriers, for every bearer; by default each bearer's carrier is one in the
receiver's window, :meth:`EmitRequest.pick_channel`), ``slot`` (downlink slot 0–11 of the first
bearer). Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

BIT_RATE_HZ = 1.152e6
DEVIATION_HZ = 288e3
BT = 0.5
SAMPLES_PER_BIT = 4
FS_HZ = SAMPLES_PER_BIT * BIT_RATE_HZ
CARRIER_SPACING_HZ = 1.728e6
FRAME_S = 10e-3
SLOTS = 24
SLOT_BITS = 480
SLOT_S = SLOT_BITS / BIT_RATE_HZ
PACKET_BITS = 424  # P32: S 32 + D 388 + Z 4
PACKET_S = PACKET_BITS / BIT_RATE_HZ
DUPLEX_OFFSET_SLOTS = 12
#: 99 % power bandwidth of GFSK BT 0.5, h = 0.5 at 1.152 Mb/s (measured in the tests: ~1.25 MHz).
BANDWIDTH_HZ = 1.3e6
S_FIELD_FP = 0xAAAAE98A
S_FIELD_PP = 0x55551675
MAX_CALLS = 2


def _carriers(first_hz: float, count: int) -> tuple[float, ...]:
    return tuple(first_hz + CARRIER_SPACING_HZ * k for k in range(count))


BANDS: tuple[Band, ...] = (
    Band("DECT6.0-US", 1920e6, 1930e6, _carriers(1921.536e6, 5)),
    Band("DECT-EU", 1880e6, 1900e6, _carriers(1881.792e6, 10)),
)


def _packets(rng: np.random.Generator, n: int, s_field: int) -> np.ndarray:
    """``(n, 424)`` P32 bits: the S-field then random D- and Z-fields."""
    s_bits = np.array([(s_field >> (31 - i)) & 1 for i in range(32)], dtype=np.uint8)
    bits = rng.integers(0, 2, (n, PACKET_BITS), dtype=np.uint8)
    bits[:, :32] = s_bits
    return bits


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    carriers = req.band.channels_hz or _carriers(1921.536e6, 5)
    calls = int(req.params.get("calls", rng.choice([0, 0, 1, 1, 2])))
    if not 0 <= calls <= 12:
        raise ValueError(f"dect: calls {calls} not in 0..12")
    # (downlink slot, carrier index, kind) of every bearer.
    bearers: list[tuple[int, int, str]] = []
    free_slots = list(rng.permutation(DUPLEX_OFFSET_SLOTS))
    if "slot" in req.params:
        first = int(req.params["slot"]) % DUPLEX_OFFSET_SLOTS
        free_slots.remove(first)
        free_slots.insert(0, first)
    for i in range(max(calls, 1)):
        if "carrier" in req.params:
            c = int(req.params["carrier"]) % len(carriers)
        else:
            c = carriers.index(req.pick_channel(carriers, BANDWIDTH_HZ / 2))
        bearers.append((int(free_slots[i]), c, "traffic" if calls else "dummy"))
    half = BANDWIDTH_HZ / 2
    t_frame = -float(rng.uniform(0.0, FRAME_S))
    n_frames = int(np.ceil((req.duration_s - t_frame) / FRAME_S))
    # (start s, rf Hz, link direction, bearer kind, slot)
    plan: list[tuple[float, float, str, str, int]] = []
    for slot, c, kind in bearers:
        rf_hz = float(carriers[c])
        if not req.visible(rf_hz - half, rf_hz + half):
            continue
        directions = (("down", slot),) if kind == "dummy" else (("down", slot), ("up", slot + DUPLEX_OFFSET_SLOTS))
        for frame in range(n_frames):
            for direction, s in directions:
                t_s = t_frame + frame * FRAME_S + s * SLOT_S
                if 0.0 <= t_s < req.duration_s:
                    plan.append((t_s, rf_hz, direction, kind, s))
    if not plan:
        return []
    fp = np.array([d == "down" for _, _, d, _, _ in plan])
    bits = np.where(fp[:, None], _packets(rng, len(plan), S_FIELD_FP), _packets(rng, len(plan), S_FIELD_PP))
    # All packets modulated in one pass with one guard bit between them, then cut apart.
    stride = PACKET_BITS + 8
    stream = np.zeros((len(plan), stride), dtype=np.uint8)
    stream[:, :PACKET_BITS] = bits
    x = gfsk(stream.reshape(-1), BIT_RATE_HZ, DEVIATION_HZ, FS_HZ, bt=BT).reshape(len(plan), -1)
    n_packet = PACKET_BITS * SAMPLES_PER_BIT
    bursts = []
    for k, (t_s, rf_hz, direction, kind, s) in enumerate(plan):
        meta = {"bearer": kind, "direction": direction, "slot": s, "carrier_hz": rf_hz}
        bursts.append(Burst(t_s, rf_hz, unit_power(x[k, :n_packet]), FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta))
    return bursts


SIGNATURE = Signature(
    label="dect",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="GFSK BT 0.5, 1.152 Mb/s, ±288 kHz; TDMA/TDD 24 slots per 10 ms",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "bit_rate_hz": BIT_RATE_HZ,
        "frame_s": FRAME_S,
        "slot_s": SLOT_S,
        "packet_s": PACKET_S,
        "duplex_offset_s": DUPLEX_OFFSET_SLOTS * SLOT_S,
        "carrier_spacing_hz": CARRIER_SPACING_HZ,
        "deviation_hz": DEVIATION_HZ,
    },
    builder=_build,
    description="DECT / DECT 6.0 cordless phones: 368 µs GFSK packets, a dummy bearer or duplex call slots every 10 ms.",
    sources=(
        "ETSI EN 300 175-2 §4 (carriers, frame, slots, packets), §5 (GFSK, deviation, S-field)",
        "ETSI EN 300 175-3 (MAC layer: duplex bearers, dummy bearer)",
        "47 CFR 15.303, 15.323 (US unlicensed PCS 1920–1930 MHz); DECT 6.0 carriers 1921.536 + 1.728·k MHz",
    ),
    order=17,
)
