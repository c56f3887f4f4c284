"""TBS Crossfire: the ``crossfire`` 868/915 MHz long-range RC control link.

Crossfire is proprietary (Team BlackSheep); no specification is public. What
public sources establish, and what this module therefore models as fact:

* The radio is a Semtech SX1272 driven by a PIC32 (receiver teardown and SPI
  sniffing by g3gg0, "Reverse engineering TBS Crossfire", 2022, summarised by
  Hackaday, 2022-02-20, "Reverse Engineering A 900 MHz RC Transmitter And
  Receiver"): the link hops channels and uses both of the SX1272's modems.
* Three RF profiles, reported by the receiver as "RF mode" 2/1/0 = 150 Hz,
  50 Hz and 4 Hz (Betaflight CRSF link-statistics documentation; TBS Crossfire
  manual): the 150 Hz profile uses FSK, the slower profiles use LoRa.
* Bands: the 915 MHz version hops in the US 902–928 MHz ISM band, the 868 MHz
  version in the European 863–870 MHz SRD band (TBS product pages).

Everything below is an **assumption**, chosen to be physically plausible for
an SX1272 and consistent with ``SIGNATURES.md`` (~0.2–0.5 MHz occupied):

* Channel plans: FCC915 100 channels 902.25–927.00 MHz and EU868 25 channels
  863.5–869.5 MHz, 250 kHz apart; hop every packet through a random
  permutation (one per emitter; the sequence structure of
  :func:`rfclassify.signatures.elrs_900.fhss_sequence` is reused).
* 150 Hz mode: one packet every 6.667 ms, GFSK 100 kb/s, ±50 kHz deviation
  (h = 1), BT 0.5; 30 bytes on air (4 preamble, 4 sync, 20 payload, 2 CRC) =
  2.4 ms. Occupied bandwidth ~0.2 MHz (Carson: 2·(50 + 50) kHz).
* 50 Hz mode: one packet every 20 ms, LoRa BW 250 kHz SF6 CR 4/5, implicit
  header, 8-symbol preamble, 20-byte payload = 38 payload symbols, 12.9 ms on
  air (SX1272 datasheet time-on-air formula).
* One slot in 8 is a telemetry downlink from the drone on the same channel.
* The 4 Hz failsafe profile is not modelled.

Builder parameters: ``rate_hz`` (150 or 50) or ``mode`` (``"150Hz"``/``"50Hz"``),
``tlm_ratio``. Missing ones are drawn.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature
from rfclassify.signatures.elrs_900 import (
    ElrsMode,
    binary_hopping_bursts,
    even_channels,
    lora_hopping_bursts,
)

CHANNEL_SPACING_HZ = 250e3
FSK_BITRATE_HZ = 100e3
FSK_DEVIATION_HZ = 50e3
FSK_BT = 0.5
FSK_PACKET_BYTES = 30
FSK_PREAMBLE_BYTES = 4
FSK_SAMPLES_PER_BIT = 4
FSK_OCCUPIED_BW_HZ = 2 * (FSK_DEVIATION_HZ + FSK_BITRATE_HZ / 2)
LORA_BW_HZ = 250e3
SYNC_WORD = 0x12  # assumption: SX1272 default private sync word
DEFAULT_TLM_RATIO = 8

MODES: dict[str, ElrsMode] = {
    "150Hz": ElrsMode("150Hz", 150, "fsk", 1 / 150, 1, DEFAULT_TLM_RATIO, FSK_PACKET_BYTES),
    "50Hz": ElrsMode("50Hz", 50, "lora", 0.020, 1, DEFAULT_TLM_RATIO, 20, sf=6, bw_hz=LORA_BW_HZ, cr=1),
}


def _plan(name: str, first_hz: float, count: int) -> Band:
    last_hz = first_hz + (count - 1) * CHANNEL_SPACING_HZ
    return Band(name, first_hz - CHANNEL_SPACING_HZ / 2, last_hz + CHANNEL_SPACING_HZ / 2,
                even_channels(first_hz, last_hz, count))


BANDS = (_plan("FCC915", 902.25e6, 100), _plan("EU868", 863.5e6, 25))


def fsk_packet(rng: np.random.Generator) -> np.ndarray:
    """One 150 Hz-mode GFSK packet at 400 kS/s: alternating preamble, random sync/payload/CRC bits."""
    n_bits = 8 * FSK_PACKET_BYTES
    n_pre = 8 * FSK_PREAMBLE_BYTES
    bits = np.concatenate((np.arange(n_pre) % 2, rng.integers(0, 2, n_bits - n_pre)))
    return gfsk(bits, FSK_BITRATE_HZ, FSK_DEVIATION_HZ, FSK_SAMPLES_PER_BIT * FSK_BITRATE_HZ, bt=FSK_BT)


def _pick(req: EmitRequest) -> ElrsMode:
    if "mode" in req.params:
        return MODES[req.params["mode"]]
    if "rate_hz" in req.params:
        name = f"{int(req.params['rate_hz'])}Hz"
        if name not in MODES:
            raise KeyError(f"no Crossfire mode at {req.params['rate_hz']} Hz; modes: {', '.join(MODES)}")
        return MODES[name]
    names = list(MODES)
    return MODES[names[int(req.rng.integers(len(names)))]]


def _build(req: EmitRequest) -> list[Burst]:
    mode = _pick(req)
    if mode.modem == "fsk":
        return binary_hopping_bursts(
            req, mode, "fsk", FSK_OCCUPIED_BW_HZ, FSK_SAMPLES_PER_BIT * FSK_BITRATE_HZ, fsk_packet
        )
    return lora_hopping_bursts(req, mode, SYNC_WORD, meta={"modem": "lora"})


SIGNATURE = Signature(
    label="crossfire",
    drone=True,
    link="control",
    bands=BANDS,
    modulation="150 Hz: GFSK (SX1272 FSK modem); 50 Hz: LoRa CSS BW 250 kHz; FHSS (parameters partly assumed)",
    bandwidth_hz=FSK_OCCUPIED_BW_HZ,
    timing={
        "packet_interval_s": {name: m.interval_s for name, m in MODES.items()},
        "airtime_s": {"150Hz": 8 * FSK_PACKET_BYTES / FSK_BITRATE_HZ, "50Hz": round(MODES["50Hz"].airtime_s, 7)},
        "spreading_factor": {"50Hz": MODES["50Hz"].sf},
        "hop_interval_packets": {name: m.hop_interval_packets for name, m in MODES.items()},
        "telemetry_ratio": {name: m.tlm_ratio for name, m in MODES.items()},
        "channel_spacing_hz": CHANNEL_SPACING_HZ,
        "fsk_bitrate_hz": FSK_BITRATE_HZ,
        "fsk_deviation_hz": FSK_DEVIATION_HZ,
    },
    builder=_build,
    description="TBS Crossfire 868/915 MHz RC control link: 150 Hz GFSK or 50 Hz LoRa bursts, hopping",
    sources=(
        "g3gg0, 'Reverse engineering TBS Crossfire' (2022; SX1272 + PIC32, channel hopping, FSK and LoRa)",
        "Hackaday 2022-02-20, 'Reverse Engineering A 900 MHz RC Transmitter And Receiver'",
        "Betaflight CRSF link statistics: RF mode 2/1/0 = 150/50/4 Hz",
        "Semtech SX1272 datasheet (FSK and LoRa modems, LoRa time on air)",
        "assumption: channel plan, FSK bit rate/deviation, LoRa SF/BW, telemetry ratio (see module docstring)",
    ),
    order=2,
    drone_models=(
        "TBS Crossfire long-range FPV quadcopters (Nano RX, Diversity RX)",
        "TBS Source One / Source X long-range builds",
        "Fixed-wing FPV with TBS Crossfire",
        "TBS Tango 2 / Mambo handsets, Crossfire Micro TX (handset side)",
    ),
    drone_model_sources=(
        "Team BlackSheep product pages and manual: TBS Crossfire (Nano RX, Diversity RX, Micro TX, Tango 2, Mambo)",
        "TBS Source One open-source frame documentation (builds flown with Crossfire)",
    ),
)
