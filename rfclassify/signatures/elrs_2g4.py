"""ExpressLRS on 2.4 GHz (SX1280): the ``elrs-2g4`` control link, LoRa and FLRC modes.

Physical link, with the public source of every number:

* **Band plan** — ExpressLRS ``src/lib/FHSS/FHSS.cpp`` (``domains[]`` for
  ``RADIO_SX128X``, ISM2G4 and CE_LBT): 80 channels evenly spaced from
  2400.4 to 2479.4 MHz, i.e. a 1 MHz step (verified: (2479.4 − 2400.4)/79 = 1).
  Hop sequence and sync channel as for :mod:`rfclassify.signatures.elrs_900`.
* **Air rates** — ExpressLRS ``src/src/common.cpp`` (``RADIO_SX128X`` tables):

  ======= ===== ====================== ======== ======== ======= ===== ===== ========
  mode    modem modulation             interval preamble payload hop   TLM   airtime
  ======= ===== ====================== ======== ======== ======= ===== ===== ========
  F1000   FLRC  0.65 Mb/s, BT 1, CR 1/2 1 ms    32 bit   8 B     2     1:128 389 µs
  F500    FLRC  same                   2 ms     32 bit   8 B     2     1:128 389 µs
  500Hz   LoRa  SF5, BW 812.5 kHz, 4/6 2 ms     12       8 B     4     1:128 1507 µs
  333HzF  LoRa  SF5, 4/7               3.003 ms 12       13 B    4     1:128 2374 µs
  250Hz   LoRa  SF6, 4/7               4 ms     14       8 B     4     1:64  3300 µs
  150Hz   LoRa  SF7, 4/7               6.666 ms 12       8 B     4     1:32  5871 µs
  100HzF  LoRa  SF7, 4/7               10 ms    12       13 B    4     1:32  7605 µs
  50Hz    LoRa  SF8, 4/7               20 ms    12       8 B     2     1:16  10798 µs
  ======= ===== ====================== ======== ======== ======= ===== ===== ========

  ``SX1280_LORA_BW_0800`` is the SX1280's 812.5 kHz LoRa bandwidth (SX1280
  datasheet, LoRa modulation parameters). The SX1280 uses long-interleaved
  coding rates and extra header symbols for SF5/SF6, so rather than re-derive
  its time-on-air formula, the payload symbol count here is taken from the
  firmware's own time-on-air column: ``round(airtime·BW/2^SF − preamble −
  4.25)`` (22, 44, 24, 21, 32, 18 symbols).
* **FLRC** — ``SX1280_FLRC_BR_0_650_BW_0_6``: 0.65 Mb/s on air in a 0.6 MHz
  receiver bandwidth, Gaussian BT 1.0. ``SIGNATURES.md`` says ~1.3 Mb/s: that
  is the SX1280's fastest FLRC rate, but ExpressLRS configures 0.65 Mb/s, and
  the source wins. A 389 µs burst at 0.65 Mb/s holds 253 bits: a 32-bit
  alternating preamble then sync word, header and coded payload (random bits
  here). FLRC is a binary GFSK with modulation index 0.5 (assumption: the
  datasheet calls it "GMSK-like" without giving h); the 99 % power bandwidth of
  such an MSK-like signal is about 1.18·R_b ≈ 0.77 MHz, which is what the
  bursts' ``f_lo_hz``/``f_hi_hz`` carry.
* DVDA modes (D500, D250) repeat F1000 packets and look the same on air; they
  are not modelled separately.
* **Telemetry** — as for ``elrs-900``: one slot in ``tlm_ratio`` is the drone's
  downlink on the same channel (``link="telemetry"``).

Builder parameters: ``mode`` (one of :data:`MODES`) or ``rate_hz`` (1000 and
500 pick FLRC F1000/F500 when ``modem="flrc"``, else LoRa; 250, 150, 50 LoRa),
``modem`` (``"lora"``/``"flrc"``), ``tlm_ratio``. Missing ones are drawn.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Burst, EmitRequest, Signature
from rfclassify.signatures.elrs_900 import (
    SYNC_WORD,
    ElrsMode,
    _band,
    binary_hopping_bursts,
    lora_hopping_bursts,
)

LORA_BW_HZ = 812.5e3
FLRC_BITRATE_HZ = 650e3
FLRC_BT = 1.0
FLRC_MOD_INDEX = 0.5  # assumption, see module docstring
FLRC_OCCUPIED_BW_HZ = 1.18 * FLRC_BITRATE_HZ
FLRC_AIRTIME_S = 389e-6
FLRC_PREAMBLE_BITS = 32
FLRC_SAMPLES_PER_BIT = 4


def _lora(name: str, rate_hz: float, interval_s: float, hop: int, tlm: int, payload_bytes: int, sf: int,
          cr: int, n_preamble: int, airtime_s: float) -> ElrsMode:
    return ElrsMode(name, rate_hz, "lora", interval_s, hop, tlm, payload_bytes, sf=sf, bw_hz=LORA_BW_HZ,
                    cr=cr, n_preamble=n_preamble, airtime_fw_s=airtime_s)


MODES: dict[str, ElrsMode] = {
    m.name: m
    for m in (
        ElrsMode("F1000", 1000, "flrc", 0.001, 2, 128, 8),
        ElrsMode("F500", 500, "flrc", 0.002, 2, 128, 8),
        _lora("500Hz", 500, 0.002, 4, 128, 8, 5, 2, 12, 1507e-6),
        _lora("333HzFull", 333, 0.003003, 4, 128, 13, 5, 3, 12, 2374e-6),
        _lora("250Hz", 250, 0.004, 4, 64, 8, 6, 3, 14, 3300e-6),
        _lora("150Hz", 150, 0.006666, 4, 32, 8, 7, 3, 12, 5871e-6),
        _lora("100HzFull", 100, 0.010, 4, 32, 13, 7, 3, 12, 7605e-6),
        _lora("50Hz", 50, 0.020, 2, 16, 8, 8, 3, 12, 10798e-6),
    )
}

BANDS = (_band("ISM2G4", 2400.4e6, 2479.4e6, 80, LORA_BW_HZ),)


def flrc_burst(rng: np.random.Generator) -> np.ndarray:
    """One FLRC packet at ``FLRC_SAMPLES_PER_BIT``·0.65 MS/s: alternating preamble, then random bits."""
    n_bits = round(FLRC_AIRTIME_S * FLRC_BITRATE_HZ)
    bits = np.concatenate((np.arange(FLRC_PREAMBLE_BITS) % 2, rng.integers(0, 2, n_bits - FLRC_PREAMBLE_BITS)))
    deviation_hz = FLRC_MOD_INDEX * FLRC_BITRATE_HZ / 2
    return gfsk(bits, FLRC_BITRATE_HZ, deviation_hz, FLRC_SAMPLES_PER_BIT * FLRC_BITRATE_HZ, bt=FLRC_BT)


def _pick(req: EmitRequest) -> ElrsMode:
    if "mode" in req.params:
        name = req.params["mode"]
        if name not in MODES:
            raise KeyError(f"unknown ExpressLRS 2.4 GHz mode {name!r}; known: {', '.join(MODES)}")
        return MODES[name]
    modem = req.params.get("modem")
    candidates = [m for m in MODES.values() if modem is None or m.modem == modem]
    if "rate_hz" in req.params:
        rate = float(req.params["rate_hz"])
        candidates = [m for m in candidates if m.rate_hz == rate and not m.name.endswith("Full")]
        if not candidates:
            raise KeyError(f"no ExpressLRS 2.4 GHz mode at {rate} Hz (modem {modem})")
        # 500 Hz exists as FLRC and LoRa: LoRa unless modem="flrc".
        candidates.sort(key=lambda m: m.modem != "lora")
        return candidates[0]
    return candidates[int(req.rng.integers(len(candidates)))]


def _build(req: EmitRequest) -> list[Burst]:
    mode = _pick(req)
    if mode.modem == "flrc":
        return binary_hopping_bursts(
            req, mode, "flrc", FLRC_OCCUPIED_BW_HZ, FLRC_SAMPLES_PER_BIT * FLRC_BITRATE_HZ, flrc_burst
        )
    return lora_hopping_bursts(req, mode, SYNC_WORD, meta={"modem": "lora"})


SIGNATURE = Signature(
    label="elrs-2g4",
    drone=True,
    link="control",
    bands=BANDS,
    modulation="LoRa CSS (SX1280) BW 812.5 kHz SF5-SF8, or FLRC 0.65 Mb/s GFSK; FHSS",
    bandwidth_hz=LORA_BW_HZ,
    timing={
        "packet_interval_s": {m.name: m.interval_s for m in MODES.values()},
        "airtime_s": {
            m.name: (FLRC_AIRTIME_S if m.modem == "flrc" else round(m.airtime_s, 7)) for m in MODES.values()
        },
        "spreading_factor": {m.name: m.sf for m in MODES.values() if m.modem == "lora"},
        "hop_interval_packets": {m.name: m.hop_interval_packets for m in MODES.values()},
        "telemetry_ratio": {m.name: m.tlm_ratio for m in MODES.values()},
        "channel_spacing_hz": 1e6,
        "flrc_bitrate_hz": FLRC_BITRATE_HZ,
        "flrc_occupied_bw_hz": FLRC_OCCUPIED_BW_HZ,
    },
    builder=_build,
    description="ExpressLRS 2.4 GHz RC control uplink (LoRa or FLRC FHSS, 80 channels) with telemetry slots",
    sources=(
        "ExpressLRS src/src/common.cpp (RADIO_SX128X ExpressLRS_AirRateConfig, ExpressLRS_AirRateRFperf)",
        "ExpressLRS src/lib/FHSS/FHSS.cpp (ISM2G4 domain, FHSSrandomiseFHSSsequence)",
        "Semtech SX1280/SX1281 datasheet (LoRa BW 812.5 kHz, FLRC bit rates and Gaussian BT)",
    ),
    order=1,
    drone_models=(
        "ExpressLRS 2.4 GHz FPV quadcopters (freestyle, racing, cinewhoop)",
        "BetaFPV Meteor65/75 Pro ELRS BNF",
        "HappyModel Mobula7/8 ELRS BNF",
        "HappyModel EP1/EP2, BetaFPV ELRS Lite, RadioMaster RP1/RP2/RP3 receivers",
        "RadioMaster Pocket/Boxer/TX16S ELRS handsets (handset side)",
    ),
    drone_model_sources=(
        "ExpressLRS documentation, 'Supported Hardware' (expresslrs.org): 2.4 GHz receivers, TX modules and handsets with internal ELRS",
        "manufacturer product pages: BetaFPV Meteor65/75 Pro ELRS BNF, HappyModel Mobula7/8 ELRS BNF, HappyModel EP1/EP2, RadioMaster RP1/RP2/RP3, RadioMaster Pocket/Boxer/TX16S ELRS",
    ),
    training_sets=2,
)
