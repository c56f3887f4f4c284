"""Single-channel ISM sensors, remotes and meters, OOK and FSK: the ``ook-ism`` clutter class.

Bands (ITU Region 2 first): the 47 CFR §15.231 remotes at 300–390 MHz,
433.05–434.79 MHz (ITU RR 5.138 ISM; sold across the border too), 868–870 MHz
(EU SRD, ERC/REC 70-03; wireless M-Bus meters and Z-Wave EU) and 902–928 MHz
(47 CFR §15.249/§15.231, Z-Wave US). The **draw of modulation**
(``params["encoding"]``) is uniform over what the band carries
(:data:`ENCODINGS_BY_BAND`): OOK line codes (``pwm``, ``ppm``,
``manchester``) and 2-FSK sensors (``fsk``) everywhere, ``zwave`` at 868 and
915 MHz, ``wmbus`` at 868 MHz.

* **300–390 MHz remotes** (§15.231: momentary/periodic control signals,
  field strength limits interpolated over 260–470 MHz): garage openers and
  security sensors keyed on carriers set by the manufacturer — X10 remotes
  310 MHz, Chamberlain/LiftMaster 315 and 390 MHz, Linear MegaCode 318 MHz,
  GE/Interlogix security 319.5 MHz, Honeywell 5800 series 345 MHz, Linear
  Multi-Code 300 MHz and 303.875 MHz openers (installation manuals / FCC
  filings of those devices). OOK line codes as below; FSK sensors here are
  e.g. 315 MHz tyre-pressure sensors. The carrier is drawn uniformly from
  that list.
* **Z-Wave** (ITU-T G.9959 §7 PHY): R1 9.6 kb/s Manchester-coded FSK
  (19.2 kchip/s) and R2 40 kb/s NRZ FSK, both ±20 kHz, on 908.42 MHz (US) /
  868.42 MHz (EU); R3 100 kb/s GFSK (BT 0.6) ±29 kHz on 916.00 MHz /
  869.85 MHz. Frame: preamble of 0x55 bytes (≥ 10 bytes R1/R2; 24 bytes R3),
  start-of-frame byte, MPDU of up to 64 (R1/R2) or 170 (R3) bytes; an exchange
  is 1–3 frames (frame, ACK, retries or routed hops) 5–50 ms apart —
  *assumption* for the gaps.
* **Wireless M-Bus** (EN 13757-4:2013): mode S1 868.30 MHz, Manchester at
  32.768 kchip/s, ±50 kHz, long preamble (≥ 279 chips); mode T1 868.95 MHz,
  100 kchip/s, 3-out-of-6 coded (six chips per four bits, every codeword
  three ones and three zeros — our codeword table is balanced like the
  standard's but is not its table), ±50 kHz, preamble ≥ 19 chip pairs;
  mode C1 868.95 MHz, 100 kb/s NRZ, ±45 kHz. Frames of 20–60 bytes, one per
  report (meters report every few seconds to minutes). Sync words are random
  here (not reproduced).
* FSK devices carry crystal references: their carrier offset is drawn in
  ±20 ppm (±18 kHz at 900 MHz — *assumption* typical of such crystals);
  their annotated bandwidth holds 99 % of the power (see
  :attr:`FskDevice.half_width_hz`).

OOK/ASK sensors, remotes and key fobs (433.92 / 868.3 / 915 MHz and the
300–390 MHz carriers) — what the signal looks like, and where the numbers
come from:

* Carrier: a SAW- or crystal-referenced oscillator keyed on and off. Cheap
  devices sit up to ±100 kHz off their nominal frequency (SIGNATURES.md; the
  rtl_433 test recordings at 433.92 MHz show carriers between −80 and
  +96 kHz), so each emission draws a fixed offset in ±100 kHz (param
  ``offset_hz``). An oscillator that is restarted for every pulse starts each
  pulse with a new phase and a short frequency transient; we draw a phase per
  pulse and an exponentially settling offset (0–20 kHz, 10–60 µs time
  constant) per device — *assumption* from the shape of the recordings, not
  from a datasheet. Edges rise in 8–30 µs (raised cosine). Occupied
  bandwidth is tens of kHz around the carrier.
* Line codes, with timings in the ranges rtl_433's decoders document (the
  ``r_device`` ``short_width``/``long_width``/``gap``/``reset_limit`` fields in
  ``src/devices/*.c``): e.g. ``generic_remote.c`` (PT2262/EV1527: PWM, short
  464 µs, long 1404 µs, 25 bits), ``fineoffset.c`` (PWM ~500/1500 µs pulses
  with fixed ~1000 µs gaps), ``acurite.c`` (PPM: fixed pulses, gaps of two
  lengths), ``oregon_scientific.c`` (Manchester at ~1 kHz bit rate):

  - ``pwm``: bit = pulse of short or long width; either a constant bit period
    (PT2262 style) or a constant gap (Fine Offset style); short 150–800 µs,
    long 2–3 × short; optional sync pulse with a ~31 × short gap;
  - ``ppm``: constant pulse (200–600 µs), the gap carries the bit
    (gap₀ 1.5–4 × pulse, gap₁ = 2 × gap₀);
  - ``manchester``: half-bit 100–1000 µs (car key fobs run at ~4 kbaud,
    weather sensors at ~1 kbaud), pulses of one or two half-bits, preceded
    by a run of ones as preamble.

  Time units are drawn log-uniform in these ranges.

  Pulses therefore last 0.1–2.4 ms (gaps alike; sync gaps up to ~25 ms).
  A transmission is one packet of 24–72 bits (Manchester: up to 160, as
  Oregon Scientific v2.1 sends every bit twice, inverted then true —
  ``oregon_scientific.c``) repeated 2–10 times with 1.5–60 ms between
  repeats, log-uniform: AcuRite 592TXR sends three packets ~2.2 ms apart
  (``acurite.c``: sync of four 600 µs pulses, no long gap), so the whole
  transmission is one unbroken pulse train for ~250 ms; Oregon v2.1 sends two
  ~50 ms apart; the rtl_433_tests recordings show 2–53 ms. Each repeat is one :class:`Burst`; its samples
  include the off periods, and its unit mean power is over the whole packet.
* Schedule: transmissions repeat every ``report_interval_s`` (sensors: tens
  of seconds; default drawn log-uniform 0.5–60 s). A scene includes an OOK
  emitter to see it, so the first transmission starts at a random time
  inside ``[0, min(report_interval, duration))``.

Params: ``encoding`` ("pwm" | "ppm" | "manchester" | "fsk" | "zwave" |
"wmbus", as the band allows), ``device`` (a key of :data:`FSK_DEVICES` for
``zwave``/``wmbus``), ``frames`` (frames per Z-Wave exchange), ``offset_hz``,
``short_s`` (base time unit), ``n_bits``, ``repeats``, ``repeat_gap_s``,
``report_interval_s``; ``bit_rate_hz`` and ``deviation_hz`` for ``fsk``.
Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.dsp.modulation import gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SAMPLE_RATE_HZ = 250e3
MAX_OFFSET_HZ = 100e3
# Annotated span around the carrier: the 99 % power bandwidth of the keyed carrier (15–55 kHz
# with 8–30 µs edges and per-pulse phase) plus the one-sided start-up transient (≤ 20 kHz).
BANDWIDTH_HZ = 80e3
ENCODINGS = ("pwm", "ppm", "manchester")
#: Most data bits of a packet per line code (Manchester: bit-doubled Oregon v2.1 frames).
MAX_BITS = {"pwm": 72, "ppm": 72, "manchester": 160}
REPEATS = (2, 10)
#: Gap between repeated packets, seconds (drawn log-uniform).
REPEAT_GAP_S = (1.5e-3, 60e-3)


def _pwm(bits: np.ndarray, short_s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    long_s = short_s * float(rng.choice([2.0, 3.0]))
    pulse = np.where(bits == 1, long_s, short_s)
    if rng.random() < 0.6:  # constant bit period
        gap = (short_s + long_s) - pulse
    else:  # constant gap
        gap = np.full(len(bits), short_s * rng.uniform(1.5, 2.5))
    if rng.random() < 0.5:  # sync pulse then a long gap
        pulse = np.concatenate([pulse, [short_s]])
        gap = np.concatenate([gap, [31 * short_s]])
    return pulse, gap


def _ppm(bits: np.ndarray, short_s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    gap0 = short_s * rng.uniform(1.5, 4.0)
    gap = np.where(bits == 1, 2 * gap0, gap0)
    pulse = np.full(len(bits), short_s)
    return pulse, gap


def _manchester(bits: np.ndarray, half_s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    preamble = np.ones(int(rng.integers(8, 25)), dtype=np.uint8)
    b = np.concatenate([preamble, bits])
    halves = np.stack([b, 1 - b], axis=1).ravel()  # 1 → on-off, 0 → off-on
    halves = np.concatenate([[0], halves, [0]])
    edges = np.flatnonzero(np.diff(halves))
    on_start, on_end = edges[::2], edges[1::2]
    pulse = (on_end - on_start) * half_s
    gap = np.append((on_start[1:] - on_end[:-1]) * half_s, half_s)
    return pulse, gap


def ook_envelope(
    pulse_s: np.ndarray,
    gap_s: np.ndarray,
    fs_hz: float,
    rise_s: float,
    chirp_hz: float,
    chirp_tau_s: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Complex baseband of an on/off pulse train: pulse ``i`` lasts ``pulse_s[i]``, then ``gap_s[i]`` off.

    Edges are raised-cosine over ``rise_s``; each pulse starts with a random
    phase and a frequency offset ``chirp_hz`` that settles with time constant
    ``chirp_tau_s``.
    """
    n_on = np.maximum(1, np.round(np.asarray(pulse_s) * fs_hz).astype(np.int64))
    n_off = np.maximum(1, np.round(np.asarray(gap_s) * fs_hz).astype(np.int64))
    lengths = np.stack([n_on, n_off], axis=1).ravel()
    level = np.repeat(np.tile([1.0, 0.0], len(n_on)), lengths)
    pulse_id = np.repeat(np.arange(len(n_on)), n_on + n_off)
    starts = np.concatenate([[0], np.cumsum(n_on + n_off)[:-1]])
    t_in_pulse = (np.arange(len(level)) - starts[pulse_id]) / fs_hz
    n_rise = max(1, round(rise_s * fs_hz))
    if n_rise > 1:
        win = np.hanning(n_rise + 2)[1:-1]
        level = np.convolve(level, win / win.sum(), mode="same")
    # frequency chirp_hz·exp(−t/τ) integrates to this phase; plus a random phase per pulse
    phase = 2 * np.pi * chirp_hz * chirp_tau_s * (1.0 - np.exp(-t_in_pulse / chirp_tau_s))
    phase += rng.uniform(0, 2 * np.pi, len(n_on))[pulse_id]
    return (level * np.exp(1j * phase)).astype(np.complex64)


def _build_fsk(req: EmitRequest, rf_hz: float, offset_hz: float) -> list[Burst]:
    """2-FSK ISM sensors (rtl_433's FSK_PCM devices): the FSK half of the ISM clutter.

    Many 433/868/915 MHz sensors are FSK, not OOK: LaCrosse TX29/TX35 (17.24 kb/s),
    EnergyCount 3000 (20 kb/s), Danfoss CF-R and HomeMatic (10 kb/s, ±19 kHz
    deviation, per the CC1100 settings their rtl_433/URH decoders assume) —
    rtl_433 ``src/devices/lacrosse_tx35.c``, ``ec3k.c``, ``danfoss.c``.
    A packet is an alternating preamble (16–48 bits), a sync word (16–32
    bits) and 40–160 payload bits, sent 1–3 times 5–50 ms apart. Bit rate
    (4.8–40 kb/s, log-uniform) and deviation (±10–60 kHz) are drawn per
    device: *assumption* spanning those devices and the radios they are built
    on (HopeRF RFM69: 1.2–300 kb/s, deviation 0.6–300 kHz; Si4432: 1–128 kb/s,
    ±1–160 kHz — their datasheets). Not a class of its own in SIGNATURES.md: it
    belongs to the non-drone ISM clutter this label stands for.
    """
    rng, p = req.rng, req.params
    bit_rate_hz = float(p.get("bit_rate_hz", np.exp(rng.uniform(np.log(4.8e3), np.log(40e3)))))
    dev_hz = float(p.get("deviation_hz", rng.uniform(10e3, 60e3)))
    repeats = int(p.get("repeats", rng.integers(1, 4)))
    repeat_gap_s = float(p.get("repeat_gap_s", rng.uniform(5e-3, 50e-3)))
    interval_s = float(p.get("report_interval_s", np.exp(rng.uniform(np.log(0.5), np.log(60.0)))))
    half = dev_hz + bit_rate_hz
    sps = int(np.ceil(4.0 * half / bit_rate_hz))
    fs_hz = sps * bit_rate_hz
    bursts: list[Burst] = []
    t = rng.uniform(0.0, min(interval_s, req.duration_s))
    while t < req.duration_s:
        preamble = np.tile([1, 0], int(rng.integers(8, 25)))
        body = rng.integers(0, 2, int(rng.integers(16, 33)) + int(rng.integers(40, 161)))
        x = gfsk(np.concatenate([preamble, body]), bit_rate_hz, dev_hz, fs_hz, bt=None)
        t_rep = t
        for r in range(repeats):
            if t_rep >= req.duration_s:
                break
            meta = {"encoding": "fsk", "bit_rate_hz": bit_rate_hz, "deviation_hz": dev_hz, "offset_hz": offset_hz,
                    "repeat": r}
            bursts.append(Burst(t_rep, rf_hz, unit_power(x), fs_hz, rf_hz - half, rf_hz + half, "none", meta=meta))
            t_rep += len(x) / fs_hz + repeat_gap_s
        t += max(interval_s * rng.uniform(0.95, 1.05), t_rep - t)
    return bursts


@dataclass(frozen=True)
class FskDevice:
    """A single-channel FSK device family's air interface (Hz, seconds; carriers per band name)."""

    name: str
    family: str
    chip_rate_hz: float
    deviation_hz: float
    line_code: str  # "nrz", "manchester" (two chips per bit) or "3of6" (six chips per four bits)
    carriers_hz: dict[str, float]
    preamble_chips: int
    payload_bytes: tuple[int, int]
    frames: tuple[int, int]
    bt: float | None = None

    @property
    def half_width_hz(self) -> float:
        """Half the annotated bandwidth, holding 99 % of the power (Hz).

        GFSK: deviation + half the chip rate (Carson). Plain FSK: deviation + the
        chip rate up to a modulation index h = 2·deviation/chip rate of 1.5, and
        deviation + 1.7 × the chip rate above it — high-index FSK (Z-Wave R1
        h ≈ 2, wM-Bus S1 h ≈ 3) spreads sidelobes beyond Carson's rule.
        """
        if self.bt is not None:
            return self.deviation_hz + 0.5 * self.chip_rate_hz
        h = 2 * self.deviation_hz / self.chip_rate_hz
        return self.deviation_hz + (1.7 if h > 1.5 else 1.0) * self.chip_rate_hz

    @property
    def sample_rate_hz(self) -> float:
        """A whole number of samples per chip, at least 4× the half width."""
        return max(4, int(np.ceil(4.0 * self.half_width_hz / self.chip_rate_hz))) * self.chip_rate_hz


FSK_DEVICES: dict[str, FskDevice] = {
    d.name: d
    for d in (
        FskDevice("zwave-r1", "zwave", 19.2e3, 20e3, "manchester", {"915": 908.42e6, "868": 868.42e6}, 160, (10, 64),
                  (1, 3)),
        FskDevice("zwave-r2", "zwave", 40e3, 20e3, "nrz", {"915": 908.42e6, "868": 868.42e6}, 80, (10, 64), (1, 3)),
        FskDevice("zwave-r3", "zwave", 100e3, 29e3, "nrz", {"915": 916.0e6, "868": 869.85e6}, 192, (10, 170), (1, 3),
                  bt=0.6),
        FskDevice("wmbus-s1", "wmbus", 32.768e3, 50e3, "manchester", {"868": 868.3e6}, 558, (20, 60), (1, 1)),
        FskDevice("wmbus-t1", "wmbus", 100e3, 50e3, "3of6", {"868": 868.95e6}, 38, (20, 60), (1, 1)),
        FskDevice("wmbus-c1", "wmbus", 100e3, 45e3, "nrz", {"868": 868.95e6}, 32, (20, 60), (1, 1)),
    )
}
FSK_FAMILIES: tuple[str, ...] = ("zwave", "wmbus")
#: Crystal error of FSK devices (parts per million): the carrier offset is drawn in ± this.
CRYSTAL_PPM = 20.0
#: Gap between the frames of one Z-Wave exchange (retries, routed hops, the ACK), seconds.
FRAME_GAP_S = (5e-3, 50e-3)
#: A balanced 6-chip codeword (three ones, three zeros) per 4-bit nibble: the property of
#: EN 13757-4's 3-out-of-6 code that shapes the spectrum (not the standard's own table).
THREE_OF_SIX = np.array([w for w in range(64) if w.bit_count() == 3][:16], dtype=np.int64)


def line_code_chips(bits: np.ndarray, line_code: str) -> np.ndarray:
    """Chips of ``bits`` (0/1) under ``line_code``: NRZ as is, Manchester 1 → 10 and 0 → 01, 3-of-6 per nibble."""
    bits = np.asarray(bits, dtype=np.int64)
    if line_code == "nrz":
        return bits
    if line_code == "manchester":
        return np.stack([bits, 1 - bits], axis=1).ravel()
    if line_code == "3of6":
        padded = np.concatenate([bits, np.zeros((-len(bits)) % 4, dtype=np.int64)])
        nibbles = padded.reshape(-1, 4) @ np.array([8, 4, 2, 1])
        words = THREE_OF_SIX[nibbles]
        return ((words[:, None] >> np.arange(5, -1, -1)) & 1).ravel()
    raise ValueError(f"unknown line code {line_code!r}")


def _build_fsk_device(req: EmitRequest, band: str, family: str, unit_offset: float) -> list[Burst]:
    """Z-Wave or wireless M-Bus frames of one device (module docstring), on its standard carrier.

    ``unit_offset`` in [-1, 1] scales the crystal error (:data:`CRYSTAL_PPM`).
    """
    rng, p = req.rng, req.params
    devices = [d for d in FSK_DEVICES.values() if d.family == family and band in d.carriers_hz]
    device = devices[int(rng.integers(len(devices)))]
    if "device" in p:
        device = FSK_DEVICES[str(p["device"])]
        if band not in device.carriers_hz:
            raise ValueError(f"ook-ism device {device.name} has no carrier in band {band}")
    nominal_hz = device.carriers_hz[band]
    offset_hz = float(p.get("offset_hz", unit_offset * CRYSTAL_PPM * 1e-6 * nominal_hz))
    rf_hz = nominal_hz + offset_hz
    half = device.half_width_hz
    interval_s = float(p.get("report_interval_s", np.exp(rng.uniform(np.log(0.5), np.log(60.0)))))
    if not req.visible(rf_hz - half, rf_hz + half):
        return []
    fs_hz = device.sample_rate_hz
    bursts: list[Burst] = []
    t = rng.uniform(0.0, min(interval_s, req.duration_s))
    while t < req.duration_s:
        n_frames = int(p.get("frames", rng.integers(device.frames[0], device.frames[1] + 1)))
        t_frame = t
        for k in range(n_frames):
            n_bytes = int(rng.integers(device.payload_bytes[0], device.payload_bytes[1] + 1))
            body = line_code_chips(rng.integers(0, 2, 8 * (n_bytes + 1)), device.line_code)  # + start/sync byte
            chips = np.concatenate([np.tile([0, 1], device.preamble_chips // 2), body])
            x = unit_power(gfsk(chips, device.chip_rate_hz, device.deviation_hz, fs_hz, bt=device.bt))
            if t_frame >= req.duration_s:
                break
            meta = {"encoding": family, "device": device.name, "chip_rate_hz": device.chip_rate_hz,
                    "deviation_hz": device.deviation_hz, "line_code": device.line_code, "offset_hz": offset_hz,
                    "nominal_hz": nominal_hz, "repeat": k}
            bursts.append(Burst(t_frame, rf_hz, x, fs_hz, rf_hz - half, rf_hz + half, "none", meta=meta))
            t_frame += len(x) / fs_hz + float(rng.uniform(*FRAME_GAP_S))
        t += max(interval_s * rng.uniform(0.95, 1.05), t_frame - t)
    return bursts


#: What a device in each band may send (``params["encoding"]``), drawn uniformly: the draw of
#: modulation. OOK line codes and FSK sensors everywhere they are sold; Z-Wave where G.9959 puts
#: it (908.42/916 MHz, 868.42/869.85 MHz); wireless M-Bus at 868 MHz only; 15.231 remotes at
#: 300–390 MHz are OOK.
ENCODINGS_BY_BAND: dict[str, tuple[str, ...]] = {
    "433": (*ENCODINGS, "fsk"),
    "868": (*ENCODINGS, "fsk", "zwave", "wmbus"),
    "915": (*ENCODINGS, "fsk", "zwave"),
    "300-390": (*ENCODINGS, "fsk"),
}
#: Nominal carriers of OOK remotes and FSK sensors per band (Hz); the 300–390 MHz list is the
#: carriers of common 15.231 devices (see the module docstring).
OOK_CARRIERS_HZ: dict[str, tuple[float, ...]] = {
    "433": (433.92e6,),
    "868": (868.3e6,),
    "915": (915.0e6,),
    "300-390": (315.0e6, 310.0e6, 318.0e6, 319.5e6, 345.0e6, 390.0e6, 300.0e6, 303.875e6),
}


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    p = req.params
    band = req.band.name if req.band.name in ENCODINGS_BY_BAND else "433"
    allowed = ENCODINGS_BY_BAND[band]
    # One uniform draw sets the device's frequency error: ±100 kHz for a SAW/free-running OOK or
    # FSK sensor, ±20 ppm for a crystal-referenced Z-Wave or wM-Bus radio.
    unit_offset = float(rng.uniform(-1.0, 1.0))
    encoding = str(p.get("encoding", rng.choice(allowed, p=np.full(len(allowed), 1.0 / len(allowed)))))
    if encoding not in allowed:
        raise ValueError(f"ook-ism encoding in band {band} must be one of {allowed}, not {encoding!r}")
    if encoding in FSK_FAMILIES:
        return _build_fsk_device(req, band, encoding, unit_offset)
    carriers = OOK_CARRIERS_HZ[band]
    nominal_hz = float(carriers[int(rng.integers(len(carriers)))]) if len(carriers) > 1 else carriers[0]
    offset_hz = float(p.get("offset_hz", unit_offset * MAX_OFFSET_HZ))
    rf_hz = nominal_hz + offset_hz
    half = BANDWIDTH_HZ / 2.0
    if not req.visible(rf_hz - half, rf_hz + half):
        return []
    if encoding == "fsk":
        return _build_fsk(req, rf_hz, offset_hz)
    lo_s, hi_s = {"pwm": (150e-6, 800e-6), "ppm": (200e-6, 600e-6), "manchester": (100e-6, 1000e-6)}[encoding]
    short_s = float(p.get("short_s", np.exp(rng.uniform(np.log(lo_s), np.log(hi_s)))))
    n_bits = int(p.get("n_bits", rng.integers(24, MAX_BITS[encoding] + 1)))
    repeats = int(p.get("repeats", rng.integers(REPEATS[0], REPEATS[1] + 1)))
    repeat_gap_s = float(p.get("repeat_gap_s", np.exp(rng.uniform(*np.log(REPEAT_GAP_S)))))
    interval_s = float(p.get("report_interval_s", np.exp(rng.uniform(np.log(0.5), np.log(60.0)))))
    rise_s = rng.uniform(8e-6, 30e-6)
    chirp_hz = rng.uniform(-20e3, 20e3)
    chirp_tau_s = rng.uniform(10e-6, 60e-6)
    coder = {"pwm": _pwm, "ppm": _ppm, "manchester": _manchester}[encoding]

    bursts: list[Burst] = []
    t = rng.uniform(0.0, min(interval_s, req.duration_s))
    while t < req.duration_s:
        bits = rng.integers(0, 2, n_bits, dtype=np.uint8)
        pulse, gap = coder(bits, short_s, rng)
        # the last gap is not part of the packet: the repeat gap follows instead
        x = ook_envelope(pulse, gap, SAMPLE_RATE_HZ, rise_s, chirp_hz, chirp_tau_s, rng)
        x = x[: len(x) - max(1, round(gap[-1] * SAMPLE_RATE_HZ))]
        t_rep = t
        for r in range(repeats):
            if t_rep >= req.duration_s:
                break
            meta = {"encoding": encoding, "short_s": short_s, "offset_hz": offset_hz, "nominal_hz": nominal_hz,
                    "repeat": r}
            bursts.append(
                Burst(t_rep, rf_hz, unit_power(x), SAMPLE_RATE_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)
            )
            t_rep += len(x) / SAMPLE_RATE_HZ + repeat_gap_s
        t += max(interval_s * rng.uniform(0.95, 1.05), t_rep - t)
    return bursts


SIGNATURE = Signature(
    label="ook-ism",
    drone=False,
    link="none",
    bands=(
        Band("433", 433.05e6, 434.79e6, (433.92e6,)),
        Band("868", 868.0e6, 870.0e6, (868.3e6, 868.42e6, 868.95e6, 869.85e6)),
        Band("915", 902e6, 928e6, (915e6, 908.42e6, 916.0e6)),
        Band("300-390", 300e6, 390e6, OOK_CARRIERS_HZ["300-390"]),
    ),
    modulation="OOK/ASK (PWM / PPM / Manchester line codes); 2-FSK sensors; Z-Wave (G.9959) and wireless M-Bus FSK",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "pulse_min_s": 100e-6,
        "pulse_max_s": 2.5e-3,
        "repeats_min": REPEATS[0],
        "repeats_max": REPEATS[1],
        "repeat_gap_min_s": REPEAT_GAP_S[0],
        "repeat_gap_max_s": REPEAT_GAP_S[1],
        "max_offset_hz": MAX_OFFSET_HZ,
        "fsk_chip_rate_hz": {name: d.chip_rate_hz for name, d in FSK_DEVICES.items()},
        "fsk_deviation_hz": {name: d.deviation_hz for name, d in FSK_DEVICES.items()},
        "fsk_carrier_hz": {name: d.carriers_hz for name, d in FSK_DEVICES.items()},
    },
    builder=_build,
    description="ISM-band OOK/FSK sensors, remotes and meters (incl. Z-Wave, wireless M-Bus, 300-390 MHz remotes)",
    sources=(
        "merbanan/rtl_433 src/devices/generic_remote.c (PT2262/EV1527 PWM 464/1404 us)",
        "merbanan/rtl_433 src/devices/fineoffset.c, acurite.c, oregon_scientific.c (PWM, PPM, Manchester)",
        "merbanan/rtl_433 src/devices/acurite.c (592TXR: three packets ~2.2 ms apart), oregon_scientific.c (v2.1)",
        "merbanan/rtl_433_tests 433.92 MHz recordings (pulse widths, gaps, offsets; evaluation only)",
        "47 CFR 15.231 (periodic/momentary remotes, 40.66-40.70 MHz and above 70 MHz; 300-390 MHz use)",
        "ITU-T G.9959 (01/2015) §7 (Z-Wave PHY: R1/R2/R3 rates, deviations, carriers, preamble, SOF)",
        "EN 13757-4:2013 (wireless M-Bus modes S, T, C: carriers, chip rates, deviation, 3-out-of-6 code)",
        "HopeRF RFM69HCW and Silicon Labs Si4432 datasheets (FSK sensor radios: bit rate, deviation ranges)",
        "merbanan/rtl_433 src/devices/lacrosse_tx35.c, ec3k.c, danfoss.c (FSK sensor bit rates, deviations)",
        "installation manuals: Honeywell 5800 series (345 MHz), GE/Interlogix (319.5 MHz), X10 remotes (310 MHz)",
        "installation manuals: Linear MegaCode (318 MHz), Chamberlain/LiftMaster (315/390 MHz) openers",
    ),
    order=11,
    training_sets=2,
)
