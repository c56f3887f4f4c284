"""``zigbee``: IEEE 802.15.4 networks (Zigbee, Thread, Matter-over-Thread) — data frames and their ACKs.

Physical link, with the public source of every number (IEEE Std 802.15.4-2020):

* **2450 MHz O-QPSK PHY** (clause 12): 2 Mchip/s; each 4-bit symbol is
  spread to one of 16 nearly orthogonal 32-chip sequences (§12.2.4, Table
  12-1: symbol 0 is ``11011001110000110101001000101110``; symbols 1–7 are
  its cyclic shifts by 4·k chips; symbols 8–15 are 0–7 with every odd-index
  chip inverted), so 62.5 ksymbol/s and 250 kb/s. Even chips modulate I, odd
  chips Q, offset by one chip period, each a half-sine pulse two chips long
  (§12.2.6): a constant-envelope MSK-like signal whose main lobe is 3 MHz
  wide (nulls at ±0.75 × chip rate) and whose 99 % power bandwidth is about
  2.4 MHz. Channels 11–26 at 2405 + 5·(k − 11) MHz (§10.1.3.3).
* **Sub-GHz BPSK PHY** (clause 11): each bit, differentially encoded, is
  spread by the 15-chip sequence ``111101011001000`` (bit 1: its inverse);
  chips are BPSK with raised-cosine pulses of roll-off 1 (§11.2.5). 868.3 MHz
  (channel 0): 300 kchip/s, 20 kb/s; 902–928 MHz (channels 1–10 at 906 +
  2·(k − 1) MHz, §10.1.3.1): 600 kchip/s, 40 kb/s. (The 915 MHz O-QPSK
  option of 1 Mchip/s with 16-chip sequences is not modelled.)
* **PPDU** (§6, §12.1): SHR = preamble of four zero octets (8 symbols,
  128 µs at 2.4 GHz; 32 bits in BPSK) + SFD 0xA7, then the PHR (frame length,
  7 bits) and a PSDU of at most aMaxPhyPacketSize = 127 octets, octets sent
  low nibble (least significant bit) first. A 2.4 GHz PPDU lasts (6 + L)·32 µs:
  at most 4.256 ms.
* **MAC timing** (§6.2.5.1, §11.3 / Table 11-1 constants): unslotted
  CSMA-CA waits a random (0 … 2^BE − 1) × aUnitBackoffPeriod (20 symbols,
  BE from macMinBe = 3) and a CCA of 8 symbols before sending; an
  acknowledged frame's 5-octet ACK (11 octets on air, 352 µs at 2.4 GHz)
  follows after aTurnaroundTime = 12 symbols (192 µs at 2.4 GHz), sent by
  the receiving device (§6.7.4.2).
* **Frequency tolerance** ±40 ppm (§10.1.6, 2.4 GHz); each device draws an
  offset within ±20 ppm (*assumption*: typical crystals).

Traffic (*assumption*): a PAN of 3–30 devices on one channel; frames arrive
as a Poisson process of ``packet_rate_hz`` (log-uniform 2–50 frames/s: the
coordinator's and routers' link-status, many-to-one route and MLE
advertisements plus sensor reports and light commands of a busy home or
building network); 70 % of data frames are short (9–50 octets: commands,
reports), 30 % long (50–127: OTA, route records); 80 % are unicast and
acknowledged. The first frame is placed within the first mean inter-arrival
time so a short recording shows one. Payload chips are random symbols.

Each PPDU is one :class:`Burst` at 4 samples per chip (8 MS/s at 2.4 GHz),
with ``meta`` giving the frame kind (``data``/``ack``), PSDU octets, PHY,
channel and device.

Builder parameters (``EmitRequest.params``): ``channel`` (802.15.4 channel
number in the band), ``packet_rate_hz``, ``devices``. The band (``2.4G``,
``915``, ``868``) picks the PHY.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.dsp.modulation import bpsk_shaped, differential_encode, oqpsk_half_sine
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SPS = 4  # samples per chip
SYMBOL0 = "11011001110000110101001000101110"
BPSK_SEQUENCE = "111101011001000"
SFD = 0xA7
SHR_PHR_OCTETS = 6  # 4 preamble octets, SFD, PHR
MAX_PSDU = 127
ACK_PSDU = 5
TURNAROUND_SYMBOLS = 12
BACKOFF_SYMBOLS = 20
CCA_SYMBOLS = 8
MIN_BE = 3
#: Occupied bandwidth (99 % power) of the 2.4 GHz O-QPSK signal, measured by the tests: ~1.2 × chip rate.
OQPSK_BW_HZ = 2.4e6


@dataclass(frozen=True)
class Phy:
    """One 802.15.4 PHY: chip rate, chips per symbol, bits per symbol, modulation, occupied bandwidth."""

    name: str
    chip_rate_hz: float
    chips_per_symbol: int
    bits_per_symbol: int
    bandwidth_hz: float

    @property
    def symbol_s(self) -> float:
        """Symbol period in seconds."""
        return self.chips_per_symbol / self.chip_rate_hz

    @property
    def bit_rate_hz(self) -> float:
        """Data rate in bits per second."""
        return self.bits_per_symbol / self.symbol_s

    def ppdu_s(self, psdu_octets: int) -> float:
        """Airtime of a PPDU carrying ``psdu_octets`` in seconds."""
        return 8 * (SHR_PHR_OCTETS + psdu_octets) / self.bit_rate_hz


#: Raised-cosine BPSK of roll-off 1 spans ± the chip rate; 99 % of its power lies within ±0.67 × chip rate.
BPSK_BW_PER_CHIP_RATE = 1.35
PHYS = {
    "2.4G": Phy("oqpsk-2450", 2e6, 32, 4, OQPSK_BW_HZ),
    "915": Phy("bpsk-915", 600e3, 15, 1, BPSK_BW_PER_CHIP_RATE * 600e3),
    "868": Phy("bpsk-868", 300e3, 15, 1, BPSK_BW_PER_CHIP_RATE * 300e3),
}


def chip_table() -> np.ndarray:
    """The 16 × 32 chip sequences of the 2.4 GHz O-QPSK PHY (IEEE 802.15.4-2020 Table 12-1), 0/1."""
    base = np.array([int(c) for c in SYMBOL0], dtype=np.int8)
    table = np.empty((16, 32), dtype=np.int8)
    for k in range(8):
        table[k] = np.roll(base, 4 * k)
    odd = np.arange(32) % 2 == 1
    table[8:] = table[:8]
    table[8:, odd] ^= 1
    return table


CHIPS = chip_table()


def ppdu_octets(psdu: np.ndarray) -> np.ndarray:
    """The octets of a PPDU: four zero preamble octets, SFD 0xA7, PHR (length), then the PSDU."""
    psdu = np.asarray(psdu, dtype=np.int64)
    return np.concatenate(([0, 0, 0, 0, SFD, len(psdu) & 0x7F], psdu))


def oqpsk_ppdu(psdu: np.ndarray) -> np.ndarray:
    """2.4 GHz O-QPSK baseband of a PPDU at ``SPS`` samples per chip (unit power, complex64)."""
    octets = ppdu_octets(psdu)
    symbols = np.stack((octets & 0x0F, octets >> 4), axis=1).ravel()  # low nibble first
    return unit_power(oqpsk_half_sine(CHIPS[symbols].ravel(), SPS))


def bpsk_ppdu(psdu: np.ndarray) -> np.ndarray:
    """Sub-GHz BPSK baseband of a PPDU: bits LSB first, differentially encoded, 15 chips per bit."""
    octets = ppdu_octets(psdu)
    bits = ((octets[:, None] >> np.arange(8)[None, :]) & 1).ravel()
    sequence = np.array([int(c) for c in BPSK_SEQUENCE], dtype=np.int64)
    chips = differential_encode(bits)[:, None] ^ sequence[None, :]
    return unit_power(bpsk_shaped(chips.ravel(), SPS, rolloff=1.0))


def channels_hz(band_name: str) -> dict[int, float]:
    """Channel number → centre (Hz) of a band: 2405 + 5·(k − 11) MHz, 906 + 2·(k − 1) MHz or 868.3 MHz (§10.1.3)."""
    if band_name == "2.4G":
        return {k: 2405e6 + 5e6 * (k - 11) for k in range(11, 27)}
    if band_name == "915":
        return {k: 906e6 + 2e6 * (k - 1) for k in range(1, 11)}
    return {0: 868.3e6}


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    phy = PHYS.get(req.band.name)
    if phy is None:
        raise ValueError(f"zigbee: no PHY for band {req.band.name!r}; bands: {list(PHYS)}")
    channels = channels_hz(req.band.name)
    channel = int(req.params.get("channel", rng.choice(list(channels))))
    if channel not in channels:
        raise ValueError(f"zigbee: channel {channel} not in band {req.band.name} (channels {list(channels)})")
    fc_hz = channels[channel]
    rate_hz = float(req.params.get("packet_rate_hz", np.exp(rng.uniform(np.log(2.0), np.log(50.0)))))
    n_devices = int(req.params.get("devices", rng.integers(3, 31)))
    offsets_hz = rng.uniform(-20e-6, 20e-6, n_devices) * fc_hz
    half = phy.bandwidth_hz / 2
    max_offset = float(np.max(np.abs(offsets_hz)))
    if not req.visible(fc_hz - half - max_offset, fc_hz + half + max_offset):
        return []
    modulate = oqpsk_ppdu if phy.name.startswith("oqpsk") else bpsk_ppdu
    fs_hz = SPS * phy.chip_rate_hz
    bursts: list[Burst] = []

    def send(t_s: float, kind: str, octets: int, device: int) -> float:
        rf_hz = fc_hz + float(offsets_hz[device])
        x = modulate(rng.integers(0, 256, octets))
        x = (x * np.exp(1j * rng.uniform(0, 2 * np.pi))).astype(np.complex64)
        meta = {"frame": kind, "psdu_octets": octets, "phy": phy.name, "channel": channel, "device": device}
        bursts.append(Burst(t_s, rf_hz, x, fs_hz, rf_hz - half, rf_hz + half, "none", meta=meta))
        return t_s + phy.ppdu_s(octets)

    t_s = float(rng.uniform(0.0, min(1.0 / rate_hz, req.duration_s)))
    while t_s < req.duration_s:
        backoff = int(rng.integers(0, 2**MIN_BE)) * BACKOFF_SYMBOLS + CCA_SYMBOLS + TURNAROUND_SYMBOLS
        start = t_s + backoff * phy.symbol_s
        if start >= req.duration_s:
            break
        octets = int(rng.integers(9, 51)) if rng.random() < 0.7 else int(rng.integers(50, MAX_PSDU + 1))
        src, dst = rng.choice(n_devices, size=2, replace=False)
        end = send(start, "data", octets, int(src))
        if rng.random() < 0.8:
            ack_t = end + TURNAROUND_SYMBOLS * phy.symbol_s
            if ack_t < req.duration_s:
                end = send(ack_t, "ack", ACK_PSDU, int(dst))
        t_s = max(end, t_s + float(rng.exponential(1.0 / rate_hz)))
    return bursts


SIGNATURE = Signature(
    label="zigbee",
    drone=False,
    link="none",
    bands=(
        Band("2.4G", 2400e6, 2483.5e6, tuple(channels_hz("2.4G").values())),
        Band("915", 902e6, 928e6, tuple(channels_hz("915").values())),
        Band("868", 868e6, 868.6e6, (868.3e6,)),
    ),
    modulation="O-QPSK half-sine 2 Mchip/s, 32-chip DSSS, 250 kb/s (2.4 GHz); DSSS BPSK 300/600 kchip/s (868/915 MHz)",
    bandwidth_hz=OQPSK_BW_HZ,
    timing={
        "chip_rate_hz": 2e6,
        "symbol_s": 16e-6,
        "bit_rate_hz": 250e3,
        "shr_s": 160e-6,
        "max_ppdu_s": PHYS["2.4G"].ppdu_s(MAX_PSDU),
        "turnaround_s": TURNAROUND_SYMBOLS * 16e-6,
        "backoff_period_s": BACKOFF_SYMBOLS * 16e-6,
        "channel_spacing_hz": 5e6,
    },
    builder=_build,
    description="IEEE 802.15.4 (Zigbee, Thread): O-QPSK DSSS packets <= 4.3 ms with ACKs, CSMA, on 5 MHz channels",
    sources=(
        "IEEE Std 802.15.4-2020 clause 12 (O-QPSK PHY: Table 12-1 chips, §12.2.6 half-sine), clause 11 (BPSK PHY)",
        "IEEE Std 802.15.4-2020 §10.1.3 (channel numbering), §6.2.5.1 (CSMA-CA), §11.3 (PHY constants)",
    ),
    order=18,
)
