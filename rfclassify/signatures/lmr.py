"""``lmr``: land mobile radio — DMR, P25 Phase 1, TETRA and analog FM voice on 12.5/25 kHz channels.

Physical links, with the public source of every number:

* **DMR** (ETSI TS 102 361-1): 4FSK at 4800 sym/s (9.6 kb/s), dibits 01, 00,
  10, 11 → deviations +1944, +648, −648, −1944 Hz (§10.2.1, Table 10.3),
  root-raised-cosine shaping with roll-off 0.2 (§10.2.2), 12.5 kHz channel.
  Two-slot TDMA (§4.2, §9.1): a burst is 264 bits = 132 symbols = 27.5 ms
  (108 payload bits, the 48-bit sync or embedded signalling in the middle,
  108 payload bits) in a 30 ms timeslot; a handset (``dmr_role="ms"``)
  transmits one timeslot, i.e. a 27.5 ms burst every 60 ms; a repeater
  (``"bs"``) sends both timeslots with the 24-bit CACH between them, a
  continuous carrier while it is keyed. Sync words (Table 9.2): BS voice
  0x755FD7DF75F7, MS voice 0x7F7D5DD57DFD.
* **P25 Phase 1** (TIA-102.BAAA-A): C4FM at 4800 sym/s, dibits 01, 00, 10,
  11 → +1800, +600, −600, −1800 Hz (§5.2), Nyquist raised-cosine shaping,
  roll-off 0.2 (§5.3; the extra shaping filter that C4FM adds is omitted),
  12.5 kHz channel. Every data unit opens with the 48-bit frame sync
  0x5575F5FF77FF (TIA-102.BAAA, frame synchronization); a voice superframe is two 180 ms LDUs
  of 864 symbols. A trunked system's control channel transmits without
  pause (``p25_role="control"``); a voice call is a push-to-talk transmission
  (``"voice"``).
* **TETRA** (ETSI EN 300 392-2): π/4-DQPSK at 18 ksym/s (36 kb/s), root-
  raised-cosine roll-off 0.35 (§5.4–5.5), 25 kHz channel. A TDMA frame is
  4 timeslots of 510 bits = 14.167 ms, 56.67 ms (§9). A base station's
  main carrier is transmitted continuously (continuous downlink bursts fill
  every slot, §9.4); a handset sends a normal uplink burst of 462 bits (4
  tail, 216, the 22-bit normal training sequence, 216, 4 tail; §9.4.2,
  §9.4.4.3.2) in one timeslot per frame.
* **Analog FM** (TIA-603-E; 47 CFR 90.203(j) narrowbanding): ±2.5 kHz peak
  deviation in 12.5 kHz channels (±5 kHz in legacy 25 kHz channels), voice
  300–3000 Hz and a CTCSS sub-audible tone of 67.0–254.1 Hz at ~15 % of the
  deviation (TIA-603 §3.1.4 tone list).

Bands (ITU Region 2; US 47 CFR 2.106 table, Part 90 §90.20/§90.35, the NTIA
Manual ch. 4 for federal LMR; Mexico IFT CNAF uses the same ranges):
VHF 138–144, 148–150.8 (federal/military LMR) and 150.8–174 MHz (Part 90,
federal 162–174) — 136–138 MHz (weather satellites) and 144–148 MHz
(amateur) are left out; UHF 380–400 MHz (federal/military; TETRA for
public safety in Mexico and Region 1), 406.1–420 MHz (federal LMR), 450–470
MHz (Part 90), 470–512 MHz (T-band, §90.303); 700 MHz public-safety
narrowband 769–775/799–805 MHz (§90.531); 800 MHz 806–824/851–869 MHz
(§90.613). 420–450 MHz (amateur, radiolocation) and the 902–928 MHz ISM band
are not LMR. Channels sit on a 12.5 kHz raster (25 kHz for TETRA).
TETRA is drawn only in 380–400 and 406.1–420 MHz: the parts of TETRA's usual
ranges (380–400 MHz public safety, 410–430 MHz civil) that are LMR in
Region 2 (assumption: Mexican TETRA networks use these ranges).

Assumptions: a push-to-talk transmission ("over") lasts 1–8 s and a recording
sees a random part of one (at least its overlap with the recording); which
mode a channel carries (drawn, TETRA only where allowed); the wide FM
variant (±5 kHz) is drawn 20 % of the time; voice is band-limited noise
with a syllabic (3–6 Hz) envelope; P25 places a frame sync every 864
symbols on a control channel as in voice LDUs. Payload bits are random.

Params (``EmitRequest.params``): ``mode`` (``dmr`` | ``p25`` | ``tetra`` |
``fm``), ``dmr_role`` (``ms`` | ``bs``), ``p25_role`` (``control`` |
``voice``), ``tetra_role`` (``bs`` | ``ms``), ``fm_deviation_hz`` (2500 or
5000), ``over_s`` (length of a push-to-talk transmission), ``channel_hz`` (by default a
channel of the band in the receiver's window, :meth:`EmitRequest.pick_channel`).
Missing ones are drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import fm_modulate, pi4_dqpsk, shaped_fsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

MODES = ("dmr", "p25", "tetra", "fm")
FSK_SYMBOL_RATE_HZ = 4800.0
FSK_SPS = 10
FSK_FS_HZ = FSK_SPS * FSK_SYMBOL_RATE_HZ  # 48 kS/s
DMR_DEVIATION_HZ = 648.0  # per level unit: ±648 / ±1944 Hz
P25_DEVIATION_HZ = 600.0  # ±600 / ±1800 Hz
DMR_BURST_SYMBOLS = 132
DMR_BURST_S = DMR_BURST_SYMBOLS / FSK_SYMBOL_RATE_HZ  # 27.5 ms
DMR_SLOT_S = 30e-3
DMR_FRAME_S = 2 * DMR_SLOT_S
DMR_SYNC = {"bs": 0x755FD7DF75F7, "ms": 0x7F7D5DD57DFD}
P25_FRAME_SYNC = 0x5575F5FF77FF
P25_LDU_SYMBOLS = 864  # 180 ms
TETRA_SYMBOL_RATE_HZ = 18e3
TETRA_SPS = 4
TETRA_FS_HZ = TETRA_SPS * TETRA_SYMBOL_RATE_HZ  # 72 kS/s
TETRA_SLOT_BITS = 510
TETRA_SLOT_S = TETRA_SLOT_BITS / 2 / TETRA_SYMBOL_RATE_HZ  # 14.167 ms
TETRA_FRAME_S = 4 * TETRA_SLOT_S  # 56.67 ms
TETRA_UPLINK_BITS = 462
TETRA_TRAINING = "1101000011101001110100"  # normal training sequence n, EN 300 392-2 §9.4.4.3.2
FM_FS_HZ = 48e3
CTCSS_HZ = (67.0, 71.9, 77.0, 82.5, 88.5, 94.8, 100.0, 103.5, 107.2, 110.9, 114.8, 118.8, 123.0, 127.3,
            131.8, 136.5, 141.3, 146.2, 151.4, 156.7, 162.2, 167.9, 173.8, 179.9, 186.2, 192.8, 203.5,
            210.7, 218.1, 225.7, 233.6, 241.8, 250.3, 254.1)  # fmt: skip
RASTER_HZ = 12.5e3
TETRA_RASTER_HZ = 25e3
#: Occupied (99 %) bandwidth per mode in Hz, checked against the emitted spectra in the tests.
BANDWIDTH_HZ = {"dmr": 8.5e3, "p25": 8.5e3, "tetra": 22e3, "fm": 11e3, "fm-wide": 16e3}
OVER_S = (1.0, 8.0)
TETRA_BANDS = ("UHF-380", "UHF-406")


def _raster(lo_hz: float, hi_hz: float, step_hz: float) -> tuple[float, ...]:
    n = int((hi_hz - lo_hz) // step_hz)
    return tuple(lo_hz + step_hz * (k + 0.5) for k in range(n))


BANDS: tuple[Band, ...] = (
    Band("VHF-138", 138e6, 144e6, _raster(138e6, 144e6, RASTER_HZ)),
    Band("VHF-148", 148e6, 150.8e6, _raster(148e6, 150.8e6, RASTER_HZ)),
    Band("VHF-150", 150.8e6, 174e6, _raster(150.8e6, 174e6, RASTER_HZ)),
    Band("UHF-380", 380e6, 400e6, _raster(380e6, 400e6, RASTER_HZ)),
    Band("UHF-406", 406.1e6, 420e6, _raster(406.1e6, 420e6, RASTER_HZ)),
    Band("UHF-450", 450e6, 470e6, _raster(450e6, 470e6, RASTER_HZ)),
    Band("UHF-T", 470e6, 512e6, _raster(470e6, 512e6, RASTER_HZ)),
    Band("PS700-DL", 769e6, 775e6, _raster(769e6, 775e6, RASTER_HZ)),
    Band("PS700-UL", 799e6, 805e6, _raster(799e6, 805e6, RASTER_HZ)),
    Band("800-UL", 806e6, 824e6, _raster(806e6, 824e6, RASTER_HZ)),
    Band("800-DL", 851e6, 869e6, _raster(851e6, 869e6, RASTER_HZ)),
)

#: Dibit (as an integer 0–3, first bit high) → 4FSK level, TS 102 361-1 Table 10.3 / TIA-102.BAAA §5.2.
_DIBIT_LEVEL = np.array([1.0, 3.0, -1.0, -3.0])


def _word_bits(word: int, n_bits: int) -> np.ndarray:
    return np.array([(word >> (n_bits - 1 - i)) & 1 for i in range(n_bits)], dtype=np.uint8)


def _levels(bits: np.ndarray) -> np.ndarray:
    """4FSK levels of a bit sequence of even length, two bits per symbol."""
    b = np.asarray(bits, dtype=np.int64).reshape(-1, 2)
    return _DIBIT_LEVEL[2 * b[:, 0] + b[:, 1]]


def _over(req: EmitRequest, continuous_keyed: bool) -> tuple[float, float]:
    """Start and end (s, recording time) of the transmission this recording sees part of."""
    rng = req.rng
    if continuous_keyed:
        return 0.0, req.duration_s
    over_s = float(req.params.get("over_s", rng.uniform(*OVER_S)))
    start = float(rng.uniform(-over_s + 0.1 * min(over_s, req.duration_s), 0.9 * req.duration_s))
    return start, start + over_s


def _clip(start_s: float, end_s: float, duration_s: float) -> tuple[float, float]:
    return max(start_s, 0.0), min(end_s, duration_s)


def _dmr(req: EmitRequest, rf_hz: float, meta: dict) -> list[Burst]:
    rng = req.rng
    role = str(req.params.get("dmr_role", rng.choice(["ms", "bs"])))
    if role not in DMR_SYNC:
        raise ValueError(f"lmr: dmr_role {role!r} not in {tuple(DMR_SYNC)}")
    start, end = _over(req, False)
    t0, t1 = _clip(start, end, req.duration_s)
    half = BANDWIDTH_HZ["dmr"] / 2
    meta = {**meta, "dmr_role": role}
    sync = _word_bits(DMR_SYNC[role], 48)
    if role == "bs":
        # A keyed repeater: 30 ms bursts back to back (27.5 ms burst + 2.5 ms CACH), one carrier.
        n_slots = int(np.ceil((t1 - t0) / DMR_SLOT_S))
        bits = rng.integers(0, 2, (n_slots, 2 * 144), dtype=np.uint8)  # 144 symbols per 30 ms
        bits[:, 24 + 108 : 24 + 108 + 48] = sync
        x = shaped_fsk(_levels(bits.reshape(-1)), FSK_SYMBOL_RATE_HZ, DMR_DEVIATION_HZ, FSK_SPS, 0.2, root=True)
        x = x[: round((t1 - t0) * FSK_FS_HZ)]
        return [Burst(t0, rf_hz, unit_power(x), FSK_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)]
    # A handset: one 27.5 ms burst every 60 ms, centred in its 30 ms timeslot.
    slot = int(rng.integers(0, 2))
    first = start + slot * DMR_SLOT_S + (DMR_SLOT_S - DMR_BURST_S) / 2
    times = first + DMR_FRAME_S * np.arange(int(np.ceil((end - first) / DMR_FRAME_S)))
    times = times[(times >= 0.0) & (times + DMR_BURST_S <= end) & (times < req.duration_s)]
    if len(times) == 0:
        return []
    bits = rng.integers(0, 2, (len(times), 2 * DMR_BURST_SYMBOLS), dtype=np.uint8)
    bits[:, 108 : 108 + 48] = sync
    stride = 2 * (DMR_BURST_SYMBOLS + 4)  # modulated in one pass, a few idle symbols apart
    stream = np.zeros((len(times), stride), dtype=np.uint8)
    stream[:, : 2 * DMR_BURST_SYMBOLS] = bits
    x = shaped_fsk(_levels(stream.reshape(-1)), FSK_SYMBOL_RATE_HZ, DMR_DEVIATION_HZ, FSK_SPS, 0.2, root=True)
    x = x.reshape(len(times), -1)[:, : DMR_BURST_SYMBOLS * FSK_SPS]
    return [
        Burst(float(t), rf_hz, unit_power(x[k]), FSK_FS_HZ, rf_hz - half, rf_hz + half, "none",
              meta={**meta, "timeslot": slot})
        for k, t in enumerate(times)
    ]


def _p25(req: EmitRequest, rf_hz: float, meta: dict) -> list[Burst]:
    rng = req.rng
    role = str(req.params.get("p25_role", rng.choice(["control", "voice"])))
    if role not in ("control", "voice"):
        raise ValueError(f"lmr: p25_role {role!r} not in ('control', 'voice')")
    t0, t1 = _clip(*_over(req, role == "control"), req.duration_s)
    if t1 <= t0:
        return []
    n_sym = int(np.ceil((t1 - t0) * FSK_SYMBOL_RATE_HZ))
    n_ldu = n_sym // P25_LDU_SYMBOLS + 2
    bits = rng.integers(0, 2, (n_ldu, 2 * P25_LDU_SYMBOLS), dtype=np.uint8)
    bits[:, :48] = _word_bits(P25_FRAME_SYNC, 48)
    skip = 0 if role == "voice" else int(rng.integers(0, P25_LDU_SYMBOLS))  # a control channel is mid-stream
    levels = _levels(bits.reshape(-1))[skip : skip + n_sym]
    x = shaped_fsk(levels, FSK_SYMBOL_RATE_HZ, P25_DEVIATION_HZ, FSK_SPS, 0.2, root=False)
    half = BANDWIDTH_HZ["p25"] / 2
    meta = {**meta, "p25_role": role, "frame_sync_offset_symbols": (-skip) % P25_LDU_SYMBOLS}
    return [Burst(t0, rf_hz, unit_power(x), FSK_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)]


def _tetra(req: EmitRequest, rf_hz: float, meta: dict) -> list[Burst]:
    rng = req.rng
    role = str(req.params.get("tetra_role", rng.choice(["bs", "ms"])))
    if role not in ("bs", "ms"):
        raise ValueError(f"lmr: tetra_role {role!r} not in ('bs', 'ms')")
    half = BANDWIDTH_HZ["tetra"] / 2
    meta = {**meta, "tetra_role": role}
    training = np.frombuffer(TETRA_TRAINING.encode(), dtype=np.uint8) - ord("0")
    if role == "bs":
        n_sym = int(np.ceil(req.duration_s * TETRA_SYMBOL_RATE_HZ))
        x = pi4_dqpsk(rng.integers(0, 2, 2 * n_sym), TETRA_SPS, 0.35)
        return [Burst(0.0, rf_hz, unit_power(x), TETRA_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)]
    start, end = _over(req, False)
    slot = int(rng.integers(0, 4))
    first = start + slot * TETRA_SLOT_S
    times = first + TETRA_FRAME_S * np.arange(int(np.ceil((end - first) / TETRA_FRAME_S)))
    burst_s = TETRA_UPLINK_BITS / 2 / TETRA_SYMBOL_RATE_HZ
    times = times[(times >= 0.0) & (times + burst_s <= end) & (times < req.duration_s)]
    bursts = []
    for t in times:
        bits = rng.integers(0, 2, TETRA_UPLINK_BITS, dtype=np.uint8)
        bits[:4] = 0
        bits[-4:] = 0
        bits[220:242] = training
        x = pi4_dqpsk(bits, TETRA_SPS, 0.35)
        bursts.append(Burst(float(t), rf_hz, unit_power(x), TETRA_FS_HZ, rf_hz - half, rf_hz + half, "none",
                            meta={**meta, "timeslot": slot}))
    return bursts


def _voice(rng: np.random.Generator, n: int, fs_hz: float) -> np.ndarray:
    """Speech-like message, peak about 1: 300–3000 Hz noise under a 3–6 Hz syllabic envelope."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs_hz)
    spectrum[(f < 300.0) | (f > 3000.0)] = 0.0
    speech = np.fft.irfft(spectrum, n)
    t = np.arange(n) / fs_hz
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * t + rng.uniform(0, 2 * np.pi)), 0.15, 1.0)
    speech *= envelope
    return speech / (3.0 * np.std(speech) + 1e-12)  # ~3 sigma peaks at full deviation


def _fm(req: EmitRequest, rf_hz: float, meta: dict) -> list[Burst]:
    rng = req.rng
    deviation = float(req.params.get("fm_deviation_hz", 5000.0 if rng.random() < 0.2 else 2500.0))
    t0, t1 = _clip(*_over(req, False), req.duration_s)
    n = round((t1 - t0) * FM_FS_HZ)
    if n <= 0:
        return []
    tone = float(rng.choice(CTCSS_HZ))
    t = np.arange(n) / FM_FS_HZ
    message = 0.85 * np.clip(_voice(rng, n, FM_FS_HZ), -1.0, 1.0) + 0.15 * np.sin(2 * np.pi * tone * t)
    x = fm_modulate(message, deviation, FM_FS_HZ)
    half = BANDWIDTH_HZ["fm-wide" if deviation > 3000 else "fm"] / 2
    meta = {**meta, "fm_deviation_hz": deviation, "ctcss_hz": tone}
    return [Burst(t0, rf_hz, unit_power(x), FM_FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)]


_BUILDERS = {"dmr": _dmr, "p25": _p25, "tetra": _tetra, "fm": _fm}


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    allowed = MODES if req.band.name in TETRA_BANDS else tuple(m for m in MODES if m != "tetra")
    mode = str(req.params.get("mode", allowed[int(rng.integers(len(allowed)))]))
    if mode not in allowed:
        raise ValueError(f"lmr: mode {mode!r} not used in band {req.band.name}; there: {allowed}")
    if "channel_hz" in req.params:
        rf_hz = float(req.params["channel_hz"])
    else:
        channels = req.band.channels_hz or (req.band.center_hz,)
        if mode == "tetra":
            channels = _raster(req.band.lo_hz, req.band.hi_hz, TETRA_RASTER_HZ)
        rf_hz = req.pick_channel(channels, BANDWIDTH_HZ[mode] / 2)  # narrow FM: in view whatever the deviation
    half = BANDWIDTH_HZ["fm-wide" if mode == "fm" else mode] / 2
    if not req.visible(rf_hz - half, rf_hz + half) or req.duration_s <= 0:
        return []
    return _BUILDERS[mode](req, rf_hz, {"mode": mode, "channel_hz": rf_hz})


SIGNATURE = Signature(
    label="lmr",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="4FSK (DMR) / C4FM (P25) 4800 sym/s, π/4-DQPSK 18 ksym/s (TETRA), analog FM ±2.5/5 kHz",
    bandwidth_hz=12.5e3,
    timing={
        "continuous": True,
        "fsk_symbol_rate_hz": FSK_SYMBOL_RATE_HZ,
        "dmr_burst_s": DMR_BURST_S,
        "dmr_slot_s": DMR_SLOT_S,
        "dmr_frame_s": DMR_FRAME_S,
        "dmr_deviation_hz": (DMR_DEVIATION_HZ, 3 * DMR_DEVIATION_HZ),
        "p25_deviation_hz": (P25_DEVIATION_HZ, 3 * P25_DEVIATION_HZ),
        "p25_ldu_s": P25_LDU_SYMBOLS / FSK_SYMBOL_RATE_HZ,
        "tetra_symbol_rate_hz": TETRA_SYMBOL_RATE_HZ,
        "tetra_slot_s": TETRA_SLOT_S,
        "tetra_frame_s": TETRA_FRAME_S,
        "channel_spacing_hz": (RASTER_HZ, TETRA_RASTER_HZ),
        "over_s": OVER_S,
    },
    builder=_build,
    description="Land mobile radio: DMR 2-slot TDMA, P25 C4FM, TETRA π/4-DQPSK and analog FM push-to-talk.",
    sources=(
        "ETSI TS 102 361-1 §4.2, §9.1, §10.2 (DMR burst, TDMA, 4FSK, sync patterns Table 9.2)",
        "TIA-102.BAAA-A §5, §8 (P25 Phase 1 C4FM, frame sync)",
        "ETSI EN 300 392-2 §5, §9 (TETRA π/4-DQPSK, TDMA frame, bursts, training sequences)",
        "TIA-603-E (analog FM, CTCSS); 47 CFR 90.203(j), 90.20, 90.303, 90.531, 90.613; NTIA Manual ch. 4",
    ),
    order=20,
)
