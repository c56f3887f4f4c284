"""Spektrum DSMX: Cypress CYRF6936 DSSS (1 Mchip/s GFSK chips), 23-channel pseudo-random hop.

Physical link, with the public source of each number:

* Radio: Cypress CYRF6936 (WirelessUSB LP, datasheet 38-16015). RF channel
  ``n`` is at 2400 + n MHz (1 MHz grid). Chips are GFSK at 1 Mchip/s; DSSS
  modes spread each symbol with a 32- or 64-chip PN code.
* Mode (DIY-Multiprotocol-TX-Module ``DSM_cyrf6936.ino``,
  ``DSM_data_vals``): TX_CFG 0x28 → 64-chip data codes, 8DR mode;
  FRAMING_CFG 0xEA → SOP on with a 64-chip SOP code, length field on;
  CRC16 on; TX_LENGTH 0x10 → 16-byte packets; EOP_CTRL 0x02 → 2 EOP
  symbols; preamble register 0x333304 → the 16-chip pattern 0x3333 sent 4
  times.
* Packet on air (our accounting, partly *assumption*): preamble 4·16 = 64
  chips, SOP 2·64 chips, then length + 16 data + 2 CRC = 19 bytes at one
  byte per 64-chip 8DR symbol, then 2 EOP symbols: 64 + 128 + 1216 + 128 =
  1536 chips = 1.536 ms. How 8DR maps a byte onto a 64-chip symbol is not
  described in the public sources we used; we invert eight 8-chip segments
  of the PN code by the byte's bits, which keeps what a receiver sees — a
  1 Mchip/s pseudo-random GFSK chip stream. Chip deviation ±250 kHz (h=0.5)
  and BT 0.5 are *assumptions* (the occupied bandwidth, ~1 MHz, matches
  SIGNATURES.md). PN codes are drawn per link rather than taken from the
  firmware table.
* Timing (``ReadDsm``): two packets per frame on two consecutive hop
  channels, the second written 4010 µs (``DSM_CH1_CH2_DELAY``) after the
  first; frame 11 ms (DSMX_11) or 22 ms (DSMX_22, fewer than 8 channels).
* Hopping (``DSM_calc_dsmx_channel``): 23 distinct channels in 3..75
  (2403–2475 MHz), all of one parity (so ≥2 MHz apart), 8 / 7 / 8 of them in
  3–27 / 28–51 / 52–76; the hop index advances by one per packet.

Params: ``frame_s`` (0.011 | 0.022), ``hop_channels`` (23 CYRF channel
numbers). Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

BASE_HZ = 2400e6
CHANNEL_STEP_HZ = 1e6
CHIP_RATE_HZ = 1e6
DEVIATION_HZ = 250e3  # assumption (h = 0.5)
BT = 0.5  # assumption
SPS = 3
N_HOP = 23
CH1_CH2_DELAY_S = 4.010e-3
FRAMES_S = (11e-3, 22e-3)
PREAMBLE_CHIPS = 4 * 16
SOP_SYMBOLS = 2
EOP_SYMBOLS = 2
CODE_CHIPS = 64
DATA_BYTES = 1 + 16 + 2  # length, payload, CRC16
PACKET_CHIPS = PREAMBLE_CHIPS + (SOP_SYMBOLS + DATA_BYTES + EOP_SYMBOLS) * CODE_CHIPS
# 99 % power bandwidth of 1 Mchip/s GFSK chips at h = 0.5, BT = 0.5 (~1.1·chip rate).
BANDWIDTH_HZ = 1.1e6
_THIRDS = ((3, 27, 8), (28, 51, 7), (52, 76, 8))


def channel_hz(channel: int) -> float:
    """RF centre of CYRF6936 channel ``channel``: 2400 MHz + channel · 1 MHz."""
    return BASE_HZ + channel * CHANNEL_STEP_HZ


def hop_channels(rng: np.random.Generator) -> np.ndarray:
    """23 distinct channels of one parity in 3..75, 8/7/8 per third, in pseudo-random order."""
    parity = int(rng.integers(0, 2))
    chosen: list[int] = []
    for lo, hi, n in _THIRDS:
        pool = [c for c in range(lo, min(hi, 75) + 1) if c % 2 == parity]
        chosen.extend(int(c) for c in rng.choice(pool, size=n, replace=False))
    return rng.permutation(np.asarray(chosen))


def _chips(code: np.ndarray, sop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chip stream (0/1) of one packet: preamble, SOP, 19 8DR bytes, EOP."""
    preamble = np.tile(np.array([0, 0, 1, 1] * 4, dtype=np.uint8), PREAMBLE_CHIPS // 16)
    data = np.unpackbits(rng.integers(0, 256, DATA_BYTES, dtype=np.uint8)).reshape(DATA_BYTES, 8)
    # each bit inverts one 8-chip segment of the code (assumption, see docstring)
    symbols = code[None, :] ^ np.repeat(data, CODE_CHIPS // 8, axis=1)
    eop = np.tile(code ^ 1, EOP_SYMBOLS)
    return np.concatenate([preamble, np.tile(sop, SOP_SYMBOLS), symbols.ravel(), eop])


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    hops = np.asarray(req.params.get("hop_channels", hop_channels(rng)), dtype=int)
    frame_s = float(req.params.get("frame_s", FRAMES_S[int(rng.integers(0, 2))]))
    code = rng.integers(0, 2, CODE_CHIPS, dtype=np.uint8)
    sop = rng.integers(0, 2, CODE_CHIPS, dtype=np.uint8)
    fs_hz = SPS * CHIP_RATE_HZ
    half = BANDWIDTH_HZ / 2.0
    bursts: list[Burst] = []
    t_frame = -rng.uniform(0.0, frame_s)
    k = int(rng.integers(0, len(hops)))
    while t_frame < req.duration_s:
        for slot, t in enumerate((t_frame, t_frame + CH1_CH2_DELAY_S)):
            ch = int(hops[k])
            k = (k + 1) % len(hops)
            rf = channel_hz(ch)
            if not (0.0 <= t < req.duration_s) or not req.visible(rf - half, rf + half):
                continue
            x = gfsk(_chips(code, sop, rng), CHIP_RATE_HZ, DEVIATION_HZ, fs_hz, bt=BT)
            meta = {"channel": ch, "packet_in_frame": slot, "frame_s": frame_s}
            bursts.append(Burst(t, rf, unit_power(x), fs_hz, rf - half, rf + half, "control", meta=meta))
        t_frame += frame_s
    return bursts


SIGNATURE = Signature(
    label="dsmx",
    drone=True,
    link="control",
    bands=(Band("2G4", 2400e6, 2483.5e6, tuple(channel_hz(c) for c in range(3, 76))),),
    modulation="DSSS 64-chip 8DR, GFSK chips 1 Mchip/s (CYRF6936)",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "frame_s": FRAMES_S,
        "packets_per_frame": 2,
        "packet_spacing_s": CH1_CH2_DELAY_S,
        "packet_s": PACKET_CHIPS / CHIP_RATE_HZ,
        "hop_channels": N_HOP,
        "channel_step_hz": CHANNEL_STEP_HZ,
        "min_hop_spacing_hz": 2 * CHANNEL_STEP_HZ,
        "chip_rate_hz": CHIP_RATE_HZ,
    },
    builder=_build,
    description="Spektrum DSMX RC link: two ~1.5 ms DSSS packets per 11/22 ms frame over 23 channels",
    sources=(
        "DIY-Multiprotocol-TX-Module Multiprotocol/DSM_cyrf6936.ino (timing, hop set, CYRF config)",
        "Cypress CYRF6936 WirelessUSB LP datasheet (channel plan, 1 Mchip/s GFSK, DSSS modes)",
    ),
    order=5,
    drone_models=(
        "Blade 350 QX, Blade Chroma",
        "Blade Inductrix FPV BNF",
        "Horizon Hobby BNF aircraft with Spektrum DSMX receivers (AR-series, SPM4648)",
        "Spektrum DX/NX/iX handsets (handset side)",
    ),
    drone_model_sources=(
        "Horizon Hobby / Spektrum product pages: DSMX receivers (AR-series, SPM4648), Blade 350 QX, Blade Inductrix FPV BNF, Blade Chroma",
    ),
)
