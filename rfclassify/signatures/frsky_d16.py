"""FrSky D16 (ACCST "X" protocol): CC2500 2-FSK/GFSK hopping over 47 of 235 channels at 2.4 GHz.

Physical link, with the public source of each number:

* Radio: TI CC2500 with a 26 MHz crystal. Register values are those the
  DIY-Multiprotocol-TX-Module writes for FrSky X (``FrSkyDVX_common.ino``,
  tables ``FRSKYX_cc2500_conf`` for FCC and ``FRSKYXEU_cc2500_conf`` for EU
  LBT); the formulas that turn registers into physics are from the CC2500
  datasheet (TI SWRS040C, §12 data rate, §16 deviation, §21 frequency
  programming):

  - data rate ``(256+DRATE_M)·2^DRATE_E·f_xosc/2^28``: FCC MDMCFG4/3 =
    0x7B/0x61 → 70.02 kbaud; LBT 0x7B/0xF8 → 99.98 kbaud;
  - deviation ``f_xosc/2^17·(8+DEVIATION_M)·2^DEVIATION_E``: FCC DEVIATN 0x51
    → ±57.1 kHz (h ≈ 1.6); LBT 0x53 → ±69.8 kHz;
  - modulation MDMCFG2: FCC 0x13 → GFSK, LBT 0x03 → 2-FSK. The CC2500's
    Gaussian filter BT is taken as 1.0 (assumption: the datasheet does not
    state it in the parts we could check; TI application notes describe BT=1);
  - channel spacing ``f_xosc/2^18·(256+CHANSPC_M)·2^CHANSPC_E`` with
    MDMCFG1/0 = 0x23/0x7A → 299.93 kHz; base frequency FREQ2..0 =
    0x5C7627 → 2404.00 MHz (FCC), 0x5C8000 → 2405.00 MHz (LBT);
  - preamble MDMCFG1.NUM_PREAMBLE=2 → 4 bytes; SYNC_MODE=3 → the 16-bit sync
    word (CC2500 default 0xD391) sent twice.
* Packet: the TX writes ``packet[0]+1`` bytes = 30 (FCC, length 0x1D) or 33
  (LBT, 0x20) to the FIFO (``FrSkyX_cc2500.ino``, ``frskyX_data_frame``), so
  one TX burst is (4+4+30)·8 bits / 70.02 kbaud ≈ 4.34 ms (FCC) or
  (4+4+33)·8 / 99.98 kbaud ≈ 3.28 ms (LBT).
* Frame: 9 ms, one packet per frame; the state machine in ``ReadFrSkyX``
  returns 5200 + 200 + 3100 + 500 µs. After its packet the TX listens on
  the same channel for the receiver's telemetry frame ("Telemetry frame is
  17": a 0x0E-length packet → (4+4+15)·8 bits ≈ 2.63 ms at 70 kbaud), which
  we emit as a ``telemetry`` burst from the drone side, starting 5.4 ms
  into the frame (start jitter is an assumption).
* Hopping: 47 channels, one hop per frame; the channel index advances by a
  per-link ``chanskip`` (1..46) modulo 47. Two hop-table generators are
  public (``FrSkyDVX_common.ino``): v1 (``Frsky_init_hop``) steps CC2500
  channel numbers by a per-transmitter spacing modulo 235; v2
  (``FrSkyX2_init_hop``, FrSky firmware 2.x) uses channels ``5·k + offset``
  (offset 0..4), i.e. a 1.4997 MHz grid covering 2404–2474 MHz. We
  reimplement both generators' structure (arithmetic progressions), not
  their exception lists.

Params (``EmitRequest.params``): ``hop_table`` ("v1" | "v2"), ``chanskip``
(1..46), ``telemetry`` (bool). Missing ones are drawn from ``req.rng``. The
band (``FCC`` or ``EU-LBT``) selects the register set.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

XOSC_HZ = 26e6
CHANNEL_SPACING_HZ = XOSC_HZ / 2**18 * (256 + 0x7A) * 2**3
N_CC2500_CHANNELS = 235
N_HOP_CHANNELS = 47
FRAME_S = 9e-3
TELEMETRY_OFFSET_S = 5.4e-3
PREAMBLE_BYTES = 4
SYNC_BYTES = 4  # 0xD391 sent twice (SYNC_MODE=3)
SYNC_WORD = (0xD3, 0x91, 0xD3, 0x91)
TELEMETRY_PACKET_BYTES = 15  # length byte 0x0E + 14 bytes


def _data_rate_hz(drate_e: int, drate_m: int) -> float:
    return (256 + drate_m) * 2**drate_e * XOSC_HZ / 2**28


def _deviation_hz(dev_e: int, dev_m: int) -> float:
    return XOSC_HZ / 2**17 * (8 + dev_m) * 2**dev_e


# (base frequency, data rate, deviation, Gaussian BT or None for 2-FSK, TX packet bytes)
_CONFIGS: dict[str, dict[str, float | int | None]] = {
    "FCC": {
        "base_hz": 0x5C7627 * XOSC_HZ / 2**16,
        "rate_hz": _data_rate_hz(0xB, 0x61),
        "deviation_hz": _deviation_hz(5, 1),
        "bt": 1.0,
        "packet_bytes": 0x1D + 1,
    },
    "EU-LBT": {
        "base_hz": 0x5C8000 * XOSC_HZ / 2**16,
        "rate_hz": _data_rate_hz(0xB, 0xF8),
        "deviation_hz": _deviation_hz(5, 3),
        "bt": None,
        "packet_bytes": 0x20 + 1,
    },
}


def _occupied_bw_hz(cfg: dict) -> float:
    """99 % power bandwidth: about 2·Δf + 1.2·R for GFSK (BT 1), 2·Δf + 2·R for unshaped 2-FSK.

    Empirical rules for these modulation indices (h ≈ 1.4–1.6), checked
    against the PSD of generated packets in the tests.
    """
    dev_hz, rate_hz = float(cfg["deviation_hz"]), float(cfg["rate_hz"])
    return 2.0 * dev_hz + (1.2 if cfg["bt"] is not None else 2.0) * rate_hz


def _channels_hz(base_hz: float) -> tuple[float, ...]:
    return tuple(base_hz + k * CHANNEL_SPACING_HZ for k in range(N_CC2500_CHANNELS))


def hop_table(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A 47-entry table of CC2500 channel numbers (0..234) for one transmitter.

    ``v2``: the 47 channels ``5·k + offset``, visited in the order
    ``k = inc·i mod 47``. ``v1``: ``c0 + i·spacing mod 235`` with a spacing
    not divisible by 47 (so the 47 entries are distinct), channel 0 avoided.
    """
    if kind == "v2":
        inc = int(rng.integers(1, N_HOP_CHANNELS))
        offset = int(rng.integers(0, 5))
        k = (inc * np.arange(N_HOP_CHANNELS)) % N_HOP_CHANNELS
        return 5 * k + offset
    if kind == "v1":
        spacing = int(rng.integers(2, 0xEA))
        while spacing % N_HOP_CHANNELS == 0:
            spacing += 1
        c0 = int(rng.integers(0, 8))
        chans = (c0 + spacing * np.arange(N_HOP_CHANNELS)) % N_CC2500_CHANNELS
        chans[chans == 0] = 1  # channel 0 is the bind channel
        return chans
    raise ValueError(f"hop_table must be 'v1' or 'v2', not {kind!r}")


def _bytes_to_bits(data: np.ndarray) -> np.ndarray:
    return np.unpackbits(np.asarray(data, dtype=np.uint8))


def _packet_bits(payload_bytes: int, rng: np.random.Generator) -> np.ndarray:
    preamble = np.full(PREAMBLE_BYTES, 0xAA, dtype=np.uint8)
    body = rng.integers(0, 256, payload_bytes, dtype=np.uint8)
    return _bytes_to_bits(np.concatenate([preamble, np.array(SYNC_WORD, dtype=np.uint8), body]))


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    band_name = req.band.name if req.band.name in _CONFIGS else "FCC"
    cfg = _CONFIGS[band_name]
    rate_hz = float(cfg["rate_hz"])
    dev_hz = float(cfg["deviation_hz"])
    bt = cfg["bt"]
    sps = max(4, round(480e3 / rate_hz))
    fs_hz = sps * rate_hz
    half_bw = _occupied_bw_hz(cfg) / 2.0

    kind = str(req.params.get("hop_table", rng.choice(["v1", "v2"])))
    table = hop_table(kind, rng)
    chanskip = int(req.params.get("chanskip", rng.integers(1, N_HOP_CHANNELS)))
    telemetry = bool(req.params.get("telemetry", rng.random() < 0.8))
    channels = np.asarray(req.band.channels_hz) if req.band.channels_hz else np.asarray(
        _channels_hz(float(cfg["base_hz"]))
    )

    bursts: list[Burst] = []
    t_frame = -rng.uniform(0.0, FRAME_S)
    hop_idx = int(rng.integers(0, N_HOP_CHANNELS))
    tx_bytes = int(cfg["packet_bytes"])
    while t_frame < req.duration_s:
        rf_hz = float(channels[int(table[hop_idx]) % len(channels)])
        lo, hi = rf_hz - half_bw, rf_hz + half_bw
        if req.visible(lo, hi):
            meta = {"channel": int(table[hop_idx]), "hop_index": hop_idx, "hop_table": kind, "mode": band_name}
            if t_frame >= 0.0:
                x = gfsk(_packet_bits(tx_bytes, rng), rate_hz, dev_hz, fs_hz, bt=bt)
                bursts.append(Burst(t_frame, rf_hz, unit_power(x), fs_hz, lo, hi, "control", meta=dict(meta)))
            t_tlm = t_frame + TELEMETRY_OFFSET_S + rng.uniform(0.0, 0.2e-3)
            if telemetry and 0.0 <= t_tlm < req.duration_s:
                x = gfsk(_packet_bits(TELEMETRY_PACKET_BYTES, rng), rate_hz, dev_hz, fs_hz, bt=bt)
                bursts.append(Burst(t_tlm, rf_hz, unit_power(x), fs_hz, lo, hi, "telemetry", meta=dict(meta)))
        hop_idx = (hop_idx + chanskip) % N_HOP_CHANNELS
        t_frame += FRAME_S
    return bursts


_FCC = _CONFIGS["FCC"]
_LBT = _CONFIGS["EU-LBT"]

SIGNATURE = Signature(
    label="frsky-d16",
    drone=True,
    link="control",
    bands=(
        Band("FCC", 2400e6, 2483.5e6, _channels_hz(float(_FCC["base_hz"]))),
        Band("EU-LBT", 2400e6, 2483.5e6, _channels_hz(float(_LBT["base_hz"]))),
    ),
    modulation="GFSK (FCC, BT 1) / 2-FSK (EU LBT), CC2500",
    bandwidth_hz=_occupied_bw_hz(_FCC),
    timing={
        "frame_s": FRAME_S,
        "hop_channels": N_HOP_CHANNELS,
        "channel_spacing_hz": CHANNEL_SPACING_HZ,
        "symbol_rate_hz": float(_FCC["rate_hz"]),
        "deviation_hz": float(_FCC["deviation_hz"]),
        "bandwidth_lbt_hz": _occupied_bw_hz(_LBT),
        "packet_s": (PREAMBLE_BYTES + SYNC_BYTES + int(_FCC["packet_bytes"])) * 8 / float(_FCC["rate_hz"]),
        "packet_lbt_s": (PREAMBLE_BYTES + SYNC_BYTES + int(_LBT["packet_bytes"])) * 8 / float(_LBT["rate_hz"]),
        "telemetry_s": (PREAMBLE_BYTES + SYNC_BYTES + TELEMETRY_PACKET_BYTES) * 8 / float(_FCC["rate_hz"]),
        "telemetry_offset_s": TELEMETRY_OFFSET_S,
    },
    builder=_build,
    description="FrSky ACCST D16 (X) RC link: 9 ms frames, one ~4.3 ms GFSK packet per hop over 47 channels",
    sources=(
        "DIY-Multiprotocol-TX-Module Multiprotocol/FrSkyX_cc2500.ino (frame timing, packet length, chanskip hop)",
        "DIY-Multiprotocol-TX-Module Multiprotocol/FrSkyDVX_common.ino (CC2500 registers, hop tables v1/v2)",
        "TI CC2500 datasheet SWRS040C (data rate, deviation, channel spacing, sync and preamble formulas)",
    ),
    order=3,
    drone_models=(
        "FPV quadcopters with FrSky ACCST D16 receivers (XM+, R-XSR, XSR, X4R-SB)",
        "RC aircraft and helicopters with FrSky X-series receivers",
        "FrSky Taranis X9D/Q X7/X-Lite handsets; multiprotocol radios in FrSky X mode (handset side)",
    ),
    drone_model_sources=(
        "FrSky product pages: ACCST D16 receivers (X4R-SB, XSR, XM+, R-XSR) and Taranis handsets",
        "DIY-Multiprotocol-TX-Module protocol list (FrSky X / D16 on multiprotocol radios)",
    ),
)
