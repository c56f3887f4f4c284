"""FlySky AFHDS 2A: AMICCOM A7105 GFSK at 500 kb/s, 16-channel hop, one packet every 3.85 ms.

Physical link, with the public source of each number:

* Radio: AMICCOM A7105 (datasheet "A7105 2.4GHz FSK/GFSK Transceiver with
  500Kbps data rate", v1.1, 2010). Register values are those the
  DIY-Multiprotocol-TX-Module writes for AFHDS 2A (``A7105_SPI.ino``, table
  ``AFHDS2A_A7105_regs``):

  - data rate register 0x0E = 0x00 → 500 kb/s (rate = 500 kb/s / (SDR+1);
    the same mapping, 0x01 → 250 kb/s, is listed in the open
    matthewmoto/atmega_a7105 library's ``A7105_DataRate`` enum);
  - code register I 0x1F = 0x1F → 4-byte preamble, 4-byte ID, CRC and FEC
    on. The A7105's FEC is a (7,4) Hamming code, so payload and CRC take
    7/4 of their size on air;
  - LO base 2400 MHz (PLL III 0x4B × 32 MHz) and a 500 kHz channel step
    (A7105 datasheet channel plan); the protocol uses channels 1..168
    (``AFHDS2A_calc_channels``: ``% 0xa8 + 1``), i.e. 2400.5–2484 MHz;
  - frequency deviation: TX II 0x15 = 0x2B, the datasheet's recommended
    value for 500 kb/s. We take ±186 kHz (h ≈ 0.75) and Gaussian BT 0.5 —
    *assumption*: we could not check the register formula against a public
    copy of the datasheet. The 99 % occupied bandwidth is ≈ 0.57 MHz
    (Carson's rule bounds it by 2·(Δf + R/2) ≈ 0.87 MHz).
* Packet: 38 bytes TX (``AFHDS2A_TXPACKET_SIZE``), so on air
  4 + 4 + (38 + 2 CRC)·7/4 = 78 bytes = 624 bits → 1.25 ms.
* Frame: ``ReadAFHDS2A`` returns (1700 + 700) + (2150 − 700) = 3850 µs per
  packet: TX, then RX for the receiver's 37-byte reply
  (``AFHDS2A_RXPACKET_SIZE``; 1.22 ms on air), which carries telemetry. The
  receiver's reply rate is an *assumption* (param ``telemetry_ratio``,
  drawn 0.1–0.5); replies start 2.5 ms into the frame, on the same channel.
* Hopping: 16 channels drawn per transmitter ID, all odd or all even (so
  ≥1 MHz apart), at most 5 in each quarter (1–42, 43–85, 86–128, 129–168)
  of the channel range; one hop per packet, cycling through the 16.

Params: ``telemetry_ratio`` (0..1), ``hop_channels`` (list of 16 A7105
channel numbers). Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

BASE_HZ = 2400e6
CHANNEL_STEP_HZ = 500e3
CHANNELS = tuple(range(1, 169))
N_HOP = 16
FRAME_S = 3.85e-3
RATE_HZ = 500e3
DEVIATION_HZ = 186e3  # assumption, see module docstring
BT = 0.5  # assumption
TX_PAYLOAD_BYTES = 38
RX_PAYLOAD_BYTES = 37
TELEMETRY_OFFSET_S = 2.5e-3
SPS = 4
# 99 % power bandwidth of GFSK at BT 0.5, h ≈ 0.75: about 2·Δf + 0.4·R (between the
# peak-to-peak deviation 2·Δf and Carson's 2·Δf + R, as the PSD of these packets shows).
BANDWIDTH_HZ = 2.0 * DEVIATION_HZ + 0.4 * RATE_HZ
_QUARTERS = ((1, 42), (43, 85), (86, 128), (129, 168))


def air_bytes(payload_bytes: int) -> int:
    """Bytes on air: 4 preamble + 4 ID + (payload + 2 CRC) Hamming(7,4)-coded, rounded up."""
    return 4 + 4 + int(np.ceil((payload_bytes + 2) * 7 / 4))


def hop_channels(rng: np.random.Generator) -> np.ndarray:
    """16 distinct A7105 channels of one parity, at most 5 per quarter of 1..168."""
    parity = int(rng.integers(0, 2))
    chosen: list[int] = []
    counts = [0, 0, 0, 0]
    candidates = [c for c in CHANNELS if c % 2 == parity]
    for c in rng.permutation(candidates):
        q = next(i for i, (lo, hi) in enumerate(_QUARTERS) if lo <= c <= hi)
        if counts[q] < 5:
            chosen.append(int(c))
            counts[q] += 1
        if len(chosen) == N_HOP:
            break
    return np.asarray(chosen)


def channel_hz(channel: int) -> float:
    """RF centre of A7105 channel ``channel`` (2400 MHz + 500 kHz steps)."""
    return BASE_HZ + channel * CHANNEL_STEP_HZ


def _packet(payload_bytes: int, rng: np.random.Generator) -> np.ndarray:
    n = air_bytes(payload_bytes)
    preamble = np.full(4, 0xAA, dtype=np.uint8)
    rest = rng.integers(0, 256, n - 4, dtype=np.uint8)
    bits = np.unpackbits(np.concatenate([preamble, rest]))
    return unit_power(gfsk(bits, RATE_HZ, DEVIATION_HZ, SPS * RATE_HZ, bt=BT))


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    hops = np.asarray(req.params.get("hop_channels", hop_channels(rng)), dtype=int)
    ratio = float(req.params.get("telemetry_ratio", rng.uniform(0.1, 0.5)))
    fs_hz = SPS * RATE_HZ
    half = BANDWIDTH_HZ / 2.0
    bursts: list[Burst] = []
    t = -rng.uniform(0.0, FRAME_S)
    k = int(rng.integers(0, len(hops)))
    while t < req.duration_s:
        ch = int(hops[k])
        rf = channel_hz(ch)
        lo, hi = rf - half, rf + half
        if req.visible(lo, hi):
            meta = {"channel": ch, "hop_index": k}
            if t >= 0.0:
                x = _packet(TX_PAYLOAD_BYTES, rng)
                bursts.append(Burst(t, rf, x, fs_hz, lo, hi, "control", meta=dict(meta)))
            t_rx = t + TELEMETRY_OFFSET_S
            if 0.0 <= t_rx < req.duration_s and rng.random() < ratio:
                x = _packet(RX_PAYLOAD_BYTES, rng)
                bursts.append(Burst(t_rx, rf, x, fs_hz, lo, hi, "telemetry", meta=dict(meta)))
        k = (k + 1) % len(hops)
        t += FRAME_S
    return bursts


SIGNATURE = Signature(
    label="afhds-2a",
    drone=True,
    link="control",
    bands=(Band("2G4", 2400e6, 2483.5e6, tuple(channel_hz(c) for c in CHANNELS)),),
    modulation="GFSK 500 kb/s, A7105, Hamming(7,4) FEC",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "frame_s": FRAME_S,
        "packet_s": air_bytes(TX_PAYLOAD_BYTES) * 8 / RATE_HZ,
        "telemetry_s": air_bytes(RX_PAYLOAD_BYTES) * 8 / RATE_HZ,
        "telemetry_offset_s": TELEMETRY_OFFSET_S,
        "hop_channels": N_HOP,
        "channel_step_hz": CHANNEL_STEP_HZ,
        "min_hop_spacing_hz": 2 * CHANNEL_STEP_HZ,
        "symbol_rate_hz": RATE_HZ,
        "deviation_hz": DEVIATION_HZ,
    },
    builder=_build,
    description="FlySky AFHDS 2A RC link: 1.25 ms GFSK packets every 3.85 ms over 16 channels",
    sources=(
        "DIY-Multiprotocol-TX-Module Multiprotocol/AFHDS2A_a7105.ino (frame 3850 us, packet sizes, hop set)",
        "DIY-Multiprotocol-TX-Module Multiprotocol/A7105_SPI.ino (AFHDS2A_A7105_regs register values)",
        "AMICCOM A7105 datasheet v1.1 (500 kb/s, 500 kHz channel step, FEC, preamble/ID)",
        "matthewmoto/atmega_a7105 libraries/a7105/a7105.h (data-rate register mapping)",
    ),
    order=4,
    drone_models=(
        "Hobby quadcopters and fixed-wing with FlySky FS-iA6B/FS-iA10B/FS-A8S receivers",
        "Eachine Wizard X220 and similar RTF FPV kits",
        "FlySky FS-i6/FS-i6X handsets (handset side)",
    ),
    drone_model_sources=(
        "FlySky product pages: FS-i6, FS-i6X handsets; FS-iA6B, FS-iA10B, FS-A8S receivers (AFHDS 2A)",
        "Eachine Wizard X220 RTF kit listing (ships with FlySky FS-i6)",
    ),
)
