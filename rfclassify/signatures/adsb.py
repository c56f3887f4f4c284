"""``adsb``: aviation surveillance replies and broadcasts — Mode S / ADS-B 1090ES, Mode A/C, UAT.

Not a drone link: the transponders of the aircraft overhead, heard by any
receiver tuned near 1090 or 978 MHz. The physics, with sources:

**1090 MHz (worldwide; ICAO Annex 10 Vol IV, RTCA DO-260B / DO-181E)**

* Carrier 1090 MHz; tolerance ±1 MHz for Mode S transponders and ±3 MHz
  for Mode A/C-only ones (Annex 10 Vol IV §3.1.2.10.1 and §3.1.1.4). Each
  aircraft draws its own offset (*assumption*: normal, σ 0.25 MHz for Mode S,
  0.5 MHz for Mode A/C, clipped to the tolerance). The spectrum limits of
  Annex 10 Vol IV Figure 3-5 are 3 dB down at ±1.3 MHz: the annotated
  occupied band is that 2.6 MHz.
* Mode S reply (§3.1.2.2.5): preamble of four 0.5 µs pulses at 0, 1.0, 3.5
  and 4.5 µs; the data block starts at 8 µs with 56 or 112 one-microsecond
  bit intervals, pulse position modulated (bit 1: a 0.5 µs pulse in the
  first half, bit 0: in the second half; adjacent half-pulses merge into a
  1 µs pulse). So a short reply lasts 64 µs, a long one 120 µs. Pulse rise
  time 0.05–0.1 µs, decay 0.05–0.2 µs (Table 3-2).
* Formats (§3.1.2.3, DO-260B §2.2.3): DF17 extended squitter (112 bits:
  DF 5, CA 3, AA 24-bit ICAO address, ME 56, PI 24 = CRC), DF11 acquisition
  squitter and all-call reply (56 bits: DF, CA, AA, PI), DF4/5 (56) and
  DF20/21 (112) roll-call replies whose AP field is the CRC overlaid with
  the address. Parity: CRC-24 with the generator polynomial
  x²⁴ + x²³ + … + x¹² + x¹⁰ + x³ + 1 (0x1FFF409, §3.1.2.3.3).
* Squitter rates, airborne (DO-260B §2.2.3.3.1): position and velocity each
  at random intervals of 0.4–0.6 s, identification 4.8–5.2 s, target state
  and status 1.2–1.3 s, operational status 2.4–2.6 s (≈ 5.4 DF17 per second),
  plus a DF11 acquisition squitter every 0.8–1.2 s (Annex 10 §3.1.2.8.5).
* Mode A/C reply (§3.1.1.6): framing pulses F1 and F2 20.3 µs apart, twelve
  code pulses at multiples of 1.45 µs from F1 (C1 A1 C2 A2 C4 A4, X unused,
  B1 D1 B2 D2 B4 D4), SPI 4.35 µs after F2 when identing; pulses 0.45 µs.
  Mode A carries the squawk (four octal digits), Mode C the Gillham-coded
  pressure altitude (§3.1.1.7.12, Appendix to Chapter 3).
* Interrogations (*assumption*, a typical terminal/en-route environment):
  one or two rotating radars (rotation 4–12 s, ASR-9 4.8 s, ARSR 12 s)
  with a ~2.4° beam, so each aircraft is in a beam for 1/150 of a rotation;
  an ATCRBS radar interrogates Mode A and C alternately at 150–450 Hz and
  every aircraft replies in Mode A/C; a Mode S radar sends 2–4 roll-calls
  (DF4/5/20/21 replies) to Mode S aircraft and Mode A/C interrogations that
  only Mode A/C transponders answer. TCAS interrogations are not modelled.
* Traffic (*assumption*): a Poisson number of aircraft in view, mean drawn
  log-uniform 3–40 (a border site far from or near an airport); 85 % carry
  Mode S, and of those 90 % ADS-B Out (the FAA's 2020 mandate, 14 CFR
  91.225, covers most airspace; the rest are Mode S without ES).

**978 MHz UAT (US only; RTCA DO-282B, ICAO Doc 9861)**

* Binary CPFSK at 1.041667 Mb/s, modulation index 0.6 (±312.5 kHz); the
  frequency pulse's filtering is left to the implementation, so a plain
  rectangular frequency pulse is synthesized (*assumption*).
* One-second frame of 4000 message start opportunities (MSO) of 250 µs: the
  ground segment is 32 slots of 22 MSOs (5.5 ms) and a 48-MSO guard, then
  the ADS-B segment of 3200 MSOs (MSO 752–3951) in which each aircraft sends
  one ADS-B message per second at a pseudo-random MSO (Doc 9861 Part I §2,
  "UAT timing structure"). The frame is aligned to the UTC second; a
  recording starts at a random phase in it.
* ADS-B messages: 36-bit sync 0xEACDDA4E2, then basic (144 + 96 FEC = 240
  bits, 276 in all ≈ 265 µs) or long (272 + 112 = 384 bits, 420 in all ≈
  403 µs). Ground uplinks (FIS-B/TIS-B): sync 0x153225B1D, 432 payload
  bytes as six RS(92,72) blocks = 4416 bits, 4452 in all ≈ 4.27 ms, once
  per second at the start of the station's slot.
* *Assumption*: UAT aircraft (general aviation below 18 000 ft) number
  Poisson with mean log-uniform 0.5–10, and 0–3 ground stations are heard.
  Payload and FEC bits are random (the waveform, not the content, is what a
  classifier sees).

Each message is one :class:`Burst` at 20 MS/s (1090 MHz) or 6.25 MS/s (UAT),
constant carrier phase within a message. ``meta`` holds the format
(``DF17``, ``DF11``, ``DF4`` …, ``mode-a``, ``mode-c``, ``uat-basic``,
``uat-long``, ``uat-uplink``), the carrier offset, at 1090 MHz the aircraft
address and the message bits, at 978 MHz ``frame_start_s`` (when a UTC
second, the UAT frame, began: the recording starts inside that frame).

Builder parameters (``EmitRequest.params``): ``aircraft`` (number at 1090 MHz
or UAT aircraft at 978 MHz), ``radars`` (0–2), ``ground_stations`` (UAT,
0–3). The band (``1090`` or ``978``) picks the system.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gfsk, pulse_envelope
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

MODE_S_FS_HZ = 20e6
MODE_S_HZ = 1090e6
UAT_HZ = 978e6
#: Annex 10 Vol IV Figure 3-5: the transponder spectrum is 3 dB down at ±1.3 MHz.
MODE_S_BW_HZ = 2.6e6
PREAMBLE_US = (0.0, 1.0, 3.5, 4.5)
PULSE_S = 0.5e-6
DATA_START_S = 8e-6
BIT_S = 1e-6
#: Mode S reply pulse rise time range, Annex 10 Vol IV Table 3-2.
RISE_S = (0.05e-6, 0.1e-6)
CRC24_POLY = 0x1FFF409
#: Silence kept before the first and after the last pulse of a reply's samples, s.
LEAD_S = 0.25e-6
#: Mode A/C: framing pulse spacing, code pulse spacing and width, SPI delay after F1 (Annex 10 §3.1.1.6).
F2_S = 20.3e-6
CODE_SPACING_S = 1.45e-6
AC_PULSE_S = 0.45e-6
SPI_S = 24.65e-6
#: Code pulse order at positions 1…13 × 1.45 µs (position 7 is the unused X pulse).
AC_POSITIONS = ("C1", "A1", "C2", "A2", "C4", "A4", "X", "B1", "D1", "B2", "D2", "B4", "D4")
#: DF17 squitter types: (name, shortest and longest interval in s), DO-260B §2.2.3.3.1 (airborne).
SQUITTERS = (
    ("position", 0.4, 0.6),
    ("velocity", 0.4, 0.6),
    ("identification", 4.8, 5.2),
    ("target-state", 1.2, 1.3),
    ("operational-status", 2.4, 2.6),
)
#: DF11 acquisition squitter interval, s (Annex 10 Vol IV §3.1.2.8.5.2).
ACQUISITION_SQUITTER_S = (0.8, 1.2)

UAT_BIT_RATE_HZ = 1.041667e6
UAT_DEVIATION_HZ = 312.5e3
UAT_SPS = 6
UAT_FS_HZ = UAT_SPS * UAT_BIT_RATE_HZ
UAT_SYNC_ADSB = 0xEACDDA4E2
UAT_SYNC_UPLINK = 0x153225B1D
UAT_SYNC_BITS = 36
UAT_BITS = {"uat-basic": 276, "uat-long": 420, "uat-uplink": 4452}
UAT_MSO_S = 250e-6
UAT_ADSB_MSO = (752, 3951)
UAT_SLOT_S = 22 * UAT_MSO_S
UAT_SLOTS = 32
#: Carson's rule for the UAT signal: 2·(312.5 kHz + 1.041667 Mb/s / 2).
UAT_BW_HZ = 2 * (UAT_DEVIATION_HZ + UAT_BIT_RATE_HZ / 2)


def crc24(bits: np.ndarray) -> int:
    """Mode S parity: remainder of ``bits·x²⁴`` divided by the generator 0x1FFF409 (Annex 10 §3.1.2.3.3)."""
    register = 0
    for bit in np.asarray(bits, dtype=np.int64):
        register = (register << 1) | int(bit)
        if register & (1 << 24):
            register ^= CRC24_POLY
    for _ in range(24):
        register <<= 1
        if register & (1 << 24):
            register ^= CRC24_POLY
    return register


def int_bits(value: int, width: int) -> np.ndarray:
    """The ``width`` bits of ``value``, most significant first."""
    return np.array([(value >> (width - 1 - i)) & 1 for i in range(width)], dtype=np.int64)


def mode_s_frame(df: int, fields: np.ndarray, address: int) -> np.ndarray:
    """A Mode S downlink frame: DF (5 bits), the ``fields`` bits, then 24 parity bits.

    DF11/17/18 carry the plain CRC (PI with interrogator code 0); the replies
    (DF0/4/5/16/20/21) carry it overlaid with the aircraft ``address`` (AP).
    """
    head = np.concatenate((int_bits(df, 5), np.asarray(fields, dtype=np.int64)))
    parity = crc24(head)
    if df not in (11, 17, 18):
        parity ^= address
    return np.concatenate((head, int_bits(parity, 24)))


def mode_s_pulses(bits: np.ndarray) -> np.ndarray:
    """Start times (s) of the 0.5 µs pulses of a Mode S reply: preamble, then one pulse per PPM bit."""
    bits = np.asarray(bits)
    data = DATA_START_S + BIT_S * np.arange(len(bits)) + np.where(bits == 1, 0.0, PULSE_S)
    return np.concatenate((np.asarray(PREAMBLE_US) * 1e-6, data))


def squawk_pulses(code: int) -> dict[str, int]:
    """Mode A pulses of an octal squawk ``code`` (digits ABCD; pulse X4 X2 X1 per digit)."""
    digits = {name: (code >> (3 * (3 - i))) & 7 for i, name in enumerate("ABCD")}
    return {f"{d}{w}": (digits[d] >> k) & 1 for d in "ABCD" for k, w in enumerate((1, 2, 4))}


def gillham_pulses(altitude_ft: float) -> dict[str, int]:
    """Mode C pulses of a pressure altitude (Gillham code, 100 ft steps from −1200 ft).

    The 500 ft increments are a reflected Gray code on D1 D2 D4 A1 A2 A4 B1 B2 B4;
    the 100 ft step within them is a five-state code on C1 C2 C4, reflected
    when the 500 ft count is odd (Annex 10 Vol IV, Appendix to Chapter 3).
    """
    n = round((altitude_ft + 1200.0) / 100.0)
    fives, hundreds = divmod(n, 5)
    gray = fives ^ (fives >> 1)
    names = ("D1", "D2", "D4", "A1", "A2", "A4", "B1", "B2", "B4")
    out = {name: (gray >> (8 - i)) & 1 for i, name in enumerate(names)}
    if fives % 2:
        hundreds = 4 - hundreds
    c_code = (0b001, 0b011, 0b010, 0b110, 0b100)[hundreds]
    out.update({"C1": (c_code >> 2) & 1, "C2": (c_code >> 1) & 1, "C4": c_code & 1})
    return out


def mode_ac_pulses(pulses: dict[str, int], spi: bool = False) -> np.ndarray:
    """Start times (s) of a Mode A/C reply's pulses: F1, the code pulses set in ``pulses``, F2, SPI."""
    times = [0.0]
    times += [CODE_SPACING_S * (i + 1) for i, name in enumerate(AC_POSITIONS) if pulses.get(name, 0)]
    times.append(F2_S)
    if spi:
        times.append(SPI_S)
    return np.asarray(times)


def pulse_reply(starts_s: np.ndarray, width_s: float, rng: np.random.Generator) -> np.ndarray:
    """Complex baseband of a pulse reply at :data:`MODE_S_FS_HZ`: the envelope at a random carrier phase.

    The samples begin :data:`LEAD_S` before the first pulse and end as long after the last,
    so both edges are whole.
    """
    end_s = float(np.max(starts_s)) + width_s + 2 * LEAD_S
    n = int(np.ceil(end_s * MODE_S_FS_HZ))
    level = pulse_envelope(np.asarray(starts_s) + LEAD_S, width_s, n, MODE_S_FS_HZ, float(rng.uniform(*RISE_S)))
    return unit_power(level * np.exp(1j * rng.uniform(0, 2 * np.pi)))


def _periodic_times(rng: np.random.Generator, lo_s: float, hi_s: float, duration_s: float) -> np.ndarray:
    """Event times in [0, duration) at intervals drawn uniformly in [lo, hi], starting at a random phase."""
    count = int(duration_s / lo_s) + 2
    steps = rng.uniform(lo_s, hi_s, count)
    times = np.cumsum(steps) - rng.uniform(0, steps[0])
    return times[(times >= 0) & (times < duration_s)]


def _draw_offset(rng: np.random.Generator, sigma_hz: float, limit_hz: float) -> float:
    return float(np.clip(rng.normal(0.0, sigma_hz), -limit_hz, limit_hz))


def _aircraft_count(req: EmitRequest, lo: float, hi: float) -> int:
    value = req.params.get("aircraft")
    if value is not None:
        return int(value)
    mean = float(np.exp(req.rng.uniform(np.log(lo), np.log(hi))))
    return max(1, int(req.rng.poisson(mean)))


def _radar_dwells(rng: np.random.Generator, count: int) -> list[dict]:
    """Rotating radars: rotation period, PRF, Mode S capability and the beam's phase (assumption, see docstring)."""
    radars = []
    for _ in range(count):
        period_s = float(rng.uniform(4.0, 12.0))
        radars.append(
            {
                "period_s": period_s,
                "dwell_s": period_s * 2.4 / 360.0,
                "prf_hz": float(rng.uniform(150.0, 450.0)),
                "mode_s": bool(rng.random() < 0.5),
                "phase_s": float(rng.uniform(0.0, period_s)),
            }
        )
    return radars


def _build_1090(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    n_aircraft = _aircraft_count(req, 3.0, 40.0)
    n_radars = int(req.params.get("radars", rng.integers(1, 3)))
    radars = _radar_dwells(rng, n_radars)
    events: list[tuple[float, str, int, float, np.ndarray]] = []  # (t_s, format, address, offset_hz, pulses)
    for _ in range(n_aircraft):
        mode_s = rng.random() < 0.85
        extended = mode_s and rng.random() < 0.9
        address = int(rng.integers(0, 1 << 24))
        offset_hz = _draw_offset(rng, 0.25e6, 1e6) if mode_s else _draw_offset(rng, 0.5e6, 3e6)
        squawk = int(rng.integers(0, 0o10000))
        altitude_ft = float(np.round(rng.uniform(1000.0, 40000.0), -2))
        spi = bool(rng.random() < 0.02)
        if mode_s:
            ca = 5
            for _name, lo, hi in SQUITTERS if extended else ():
                for t in _periodic_times(rng, lo, hi, req.duration_s):
                    fields = np.concatenate((int_bits(ca, 3), int_bits(address, 24), rng.integers(0, 2, 56)))
                    events.append((float(t), "DF17", address, offset_hz, mode_s_frame(17, fields, address)))
            for t in _periodic_times(rng, *ACQUISITION_SQUITTER_S, req.duration_s):
                fields = np.concatenate((int_bits(ca, 3), int_bits(address, 24)))
                events.append((float(t), "DF11", address, offset_hz, mode_s_frame(11, fields, address)))
        bearing = float(rng.uniform(0.0, 1.0))
        for radar in radars:
            dwell_start = (radar["phase_s"] + bearing * radar["period_s"]) % radar["period_s"]
            dwell_start -= radar["period_s"] * np.ceil(dwell_start / radar["period_s"])
            for start in np.arange(dwell_start, req.duration_s, radar["period_s"]):
                if start + radar["dwell_s"] <= 0:
                    continue
                if radar["mode_s"] and mode_s:
                    for t in np.sort(rng.uniform(start, start + radar["dwell_s"], int(rng.integers(2, 5)))):
                        df = int(rng.choice([4, 5, 20, 21]))
                        body = rng.integers(0, 2, 27 + (56 if df >= 20 else 0))
                        events.append((float(t), f"DF{df}", address, offset_hz, mode_s_frame(df, body, address)))
                    continue
                for k, t in enumerate(np.arange(start, start + radar["dwell_s"], 1.0 / radar["prf_hz"])):
                    mode_c = k % 2 == 1
                    pulses = gillham_pulses(altitude_ft) if mode_c else squawk_pulses(squawk)
                    events.append(
                        (float(t), "mode-c" if mode_c else "mode-a", address, offset_hz, mode_ac_pulses(pulses, spi))
                    )
    bursts: list[Burst] = []
    half = MODE_S_BW_HZ / 2
    for t, fmt, address, offset_hz, payload in sorted(events, key=lambda e: e[0]):
        if not LEAD_S <= t < req.duration_s:
            continue
        rf_hz = MODE_S_HZ + offset_hz
        if not req.visible(rf_hz - half, rf_hz + half):
            continue
        mode_ac = fmt.startswith("mode-")
        starts = payload if mode_ac else mode_s_pulses(payload)
        samples = pulse_reply(starts, AC_PULSE_S if mode_ac else PULSE_S, rng)
        meta = {"format": fmt, "address": f"{address:06X}", "offset_hz": offset_hz}
        if not mode_ac:
            meta["bits"] = "".join(map(str, payload.tolist()))
        bursts.append(Burst(t - LEAD_S, rf_hz, samples, MODE_S_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta))
    return bursts


def uat_message(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A UAT message's bits: the 36-bit sync of its kind, then random payload and FEC bits."""
    sync = UAT_SYNC_UPLINK if kind == "uat-uplink" else UAT_SYNC_ADSB
    body = rng.integers(0, 2, UAT_BITS[kind] - UAT_SYNC_BITS)
    return np.concatenate((int_bits(sync, UAT_SYNC_BITS), body))


def _build_978(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    n_aircraft = _aircraft_count(req, 0.5, 10.0)
    n_ground = int(req.params.get("ground_stations", rng.integers(0, 4)))
    frame_phase_s = float(rng.uniform(0.0, 1.0))  # where in the UTC second the recording starts
    seconds = np.arange(-1, int(np.ceil(req.duration_s)) + 1) - frame_phase_s
    events: list[tuple[float, str, float]] = []  # (t_s, kind, offset_hz)
    for _ in range(n_aircraft):
        offset_hz = _draw_offset(rng, 20e3, 60e3)
        kind = "uat-long" if rng.random() < 0.5 else "uat-basic"
        for second in seconds:
            mso = int(rng.integers(UAT_ADSB_MSO[0], UAT_ADSB_MSO[1] + 1))
            events.append((float(second + mso * UAT_MSO_S), kind, offset_hz))
    for slot in rng.choice(UAT_SLOTS, size=min(n_ground, UAT_SLOTS), replace=False):
        offset_hz = _draw_offset(rng, 5e3, 20e3)
        for second in seconds:
            events.append((float(second + int(slot) * UAT_SLOT_S), "uat-uplink", offset_hz))
    bursts: list[Burst] = []
    half = UAT_BW_HZ / 2
    for t, kind, offset_hz in sorted(events):
        if not 0 <= t < req.duration_s:
            continue
        rf_hz = UAT_HZ + offset_hz
        if not req.visible(rf_hz - half, rf_hz + half):
            continue
        x = gfsk(uat_message(kind, rng), UAT_BIT_RATE_HZ, UAT_DEVIATION_HZ, UAT_FS_HZ, bt=None)
        x = unit_power(x * np.exp(1j * rng.uniform(0, 2 * np.pi)))
        meta = {"format": kind, "offset_hz": offset_hz, "frame_start_s": -frame_phase_s}
        bursts.append(Burst(t, rf_hz, x, UAT_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta))
    return bursts


def _build(req: EmitRequest) -> list[Burst]:
    if req.band.name == "978":
        return _build_978(req)
    return _build_1090(req)


SIGNATURE = Signature(
    label="adsb",
    drone=False,
    link="none",
    bands=(
        Band("1090", MODE_S_HZ - 3e6, MODE_S_HZ + 3e6, (MODE_S_HZ,)),
        Band("978", UAT_HZ - 1e6, UAT_HZ + 1e6, (UAT_HZ,)),
    ),
    modulation="PPM 1 Mb/s pulses (Mode S), pulse-coded Mode A/C replies; binary CPFSK 1.041667 Mb/s h=0.6 (UAT)",
    bandwidth_hz=MODE_S_BW_HZ,
    timing={
        "preamble_s": DATA_START_S,
        "preamble_pulses_s": tuple(t * 1e-6 for t in PREAMBLE_US),
        "bit_s": BIT_S,
        "short_reply_s": DATA_START_S + 56 * BIT_S,
        "long_reply_s": DATA_START_S + 112 * BIT_S,
        "mode_ac_framing_s": F2_S,
        "uat_bit_rate_hz": UAT_BIT_RATE_HZ,
        "uat_deviation_hz": UAT_DEVIATION_HZ,
        "uat_basic_s": UAT_BITS["uat-basic"] / UAT_BIT_RATE_HZ,
        "uat_long_s": UAT_BITS["uat-long"] / UAT_BIT_RATE_HZ,
        "uat_frame_s": 1.0,
        "squitter_rate_hz": 6.4,  # DF17 ≈ 5.4/s plus DF11 ≈ 1/s per aircraft
    },
    builder=_build,
    description="Aviation transponders: Mode S/ADS-B 1090ES squitters and replies, Mode A/C replies, UAT at 978 MHz",
    sources=(
        "ICAO Annex 10 Vol IV §3.1.1 (Mode A/C replies), §3.1.2.2.5 and Table 3-2 (Mode S reply), Figure 3-5 (spectrum)",
        "RTCA DO-260B §2.2.3 (1090ES formats and squitter rates)",
        "RTCA DO-282B, ICAO Doc 9861 (UAT: CPFSK 1.041667 Mb/s, h 0.6, MSO frame, message lengths)",
        "14 CFR 91.225 (ADS-B Out equipage in the US)",
    ),
    order=16,
)
