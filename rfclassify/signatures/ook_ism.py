"""OOK/ASK sensors, remotes and key fobs at 315 / 433.92 / 868.3 / 915 MHz.

What the signal looks like, and where the numbers come from:

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

Params: ``encoding`` ("pwm" | "ppm" | "manchester"), ``offset_hz``,
``short_s`` (base time unit), ``n_bits``, ``repeats``, ``repeat_gap_s``,
``report_interval_s``. Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

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
    device: *assumption* spanning those devices. Not a class of its own in
    SIGNATURES.md: it belongs to the non-drone ISM clutter this label stands for.
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


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    p = req.params
    nominal_hz = req.band.channels_hz[0] if req.band.channels_hz else req.band.center_hz
    offset_hz = float(p.get("offset_hz", rng.uniform(-MAX_OFFSET_HZ, MAX_OFFSET_HZ)))
    rf_hz = nominal_hz + offset_hz
    half = BANDWIDTH_HZ / 2.0
    if not req.visible(rf_hz - half, rf_hz + half):
        return []
    encoding = str(p.get("encoding", rng.choice(ENCODINGS + ("fsk",), p=(0.25, 0.25, 0.25, 0.25))))
    if encoding == "fsk":
        return _build_fsk(req, rf_hz, offset_hz)
    if encoding not in ENCODINGS:
        raise ValueError(f"ook-ism encoding must be one of {ENCODINGS + ('fsk',)}, not {encoding!r}")
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
            meta = {"encoding": encoding, "short_s": short_s, "offset_hz": offset_hz, "repeat": r}
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
        Band("868", 868.0e6, 868.6e6, (868.3e6,)),
        Band("915", 902e6, 928e6, (915e6,)),
        Band("315", 314e6, 316e6, (315e6,)),
    ),
    modulation="OOK/ASK, PWM / PPM / Manchester line codes; 2-FSK sensors (FSK_PCM)",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "pulse_min_s": 100e-6,
        "pulse_max_s": 2.5e-3,
        "repeats_min": REPEATS[0],
        "repeats_max": REPEATS[1],
        "repeat_gap_min_s": REPEAT_GAP_S[0],
        "repeat_gap_max_s": REPEAT_GAP_S[1],
        "max_offset_hz": MAX_OFFSET_HZ,
    },
    builder=_build,
    description="ISM-band OOK sensors and remotes: repeated packets of 0.1-2.4 ms pulses",
    sources=(
        "merbanan/rtl_433 src/devices/generic_remote.c (PT2262/EV1527 PWM 464/1404 us)",
        "merbanan/rtl_433 src/devices/fineoffset.c, acurite.c, oregon_scientific.c (PWM, PPM, Manchester)",
        "merbanan/rtl_433 src/devices/acurite.c (592TXR: three packets ~2.2 ms apart), oregon_scientific.c (v2.1)",
        "merbanan/rtl_433_tests 433.92 MHz recordings (pulse widths, gaps, offsets; evaluation only)",
    ),
    order=11,
    training_sets=2,
)
