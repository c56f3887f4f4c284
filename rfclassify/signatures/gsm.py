"""``gsm``: GSM base-station carriers (BCCH and traffic) and handset uplinks, GMSK on a 200 kHz raster.

Physical link, with the public source of every number:

* **Modulation** — 3GPP TS 45.004 §2: GMSK, modulation index h = 0.5, Gaussian
  filter BT = 0.3, symbol rate 1625/6 ksym/s = 270.833 kb/s (T = 48/13 µs).
  The bits are differentially encoded first (§2.3: d̂ᵢ = dᵢ ⊕ dᵢ₋₁,
  aᵢ = 1 − 2·d̂ᵢ), so a run of zeros gives aᵢ = +1 throughout: a pure tone at
  +1/(4T) = +67.708 kHz. The frequency-correction burst (FCCH) is exactly
  that (TS 45.002 §5.2.4: 142 fixed zero bits).
* **TDMA** — TS 45.002 §4.3 and §5.2: a TDMA frame is 8 timeslots of
  156.25 bit periods = 576.9 µs, 1250 bits = 4.615 ms. Within a frame the
  slots carry 157, 156, 156, 156, 157, 156, 156, 156 bit periods (the
  quarter bits gathered into timeslots 0 and 4, TS 45.010 §5.7). A normal
  burst is 3 tail bits, 57 data, 1 stealing flag, 26-bit training sequence,
  1 stealing flag, 57 data, 3 tail (148 bits) and a guard period of 8.25
  bits (§5.2.3); the training sequences TSC 0–7 are Table 5.2.3-1 (each a
  16-bit core cyclically extended by 5 bits at either end). The
  synchronisation burst (SCH, §5.2.5) is 3 tail, 39 data, the 64-bit
  extended training sequence, 39 data, 3 tail.
* **Channel multiplexing** — TS 45.002 §7 Table 3 (51-multiframe): on
  timeslot 0 of the BCCH carrier the FCCH is sent in frames 0, 10, 20, 30,
  40 and the SCH in the frame after each; frame 50 is idle. Traffic channels
  (TCH/F) follow the 26-multiframe: 24 traffic frames, frame 12 carries the
  SACCH, frame 25 is idle (§7 Table 1).
* **BCCH carrier** — TS 45.008 (base-station power control, which excludes
  the BCCH carrier) and TS 45.002 §5.2.6 (dummy burst): the BCCH carrier is
  transmitted on every timeslot of every frame at constant power (idle
  timeslots carry dummy bursts) so that handsets can measure it: a
  continuous emission. Other base-station carriers (``traffic``) send only
  the timeslots of active calls, and a handset (``uplink``) sends one
  timeslot per frame of its call (its uplink frame starts three timeslots
  after the downlink one, TS 45.002 §4.3.3).
* **Bands and channel raster** — TS 45.005 §2: GSM 850 uplink 824–849 MHz,
  downlink 869–894 MHz (ARFCN 128–251: DL 869.2 + 0.2·(n − 128) MHz, 45 MHz
  duplex); PCS 1900 uplink 1850–1910, downlink 1930–1990 MHz (ARFCN
  512–810: DL 1930.2 + 0.2·(n − 512) MHz, 80 MHz duplex). These are the GSM
  bands of ITU Region 2 (US: 47 CFR 22.905 cellular, 24.229 PCS; Mexico: the
  same 850/1900 MHz plans, IFT CNAF). Recordings come from anywhere, so the
  Region 1 downlinks E-GSM 900 (925.2–959.8 MHz, ARFCN 975–1023 and 0–124)
  and DCS 1800 (1805.2–1879.8 MHz, ARFCN 512–885) are included; their
  uplinks (880–915 MHz, 1710–1785 MHz) are not, since in Region 2 those
  frequencies are the 902–928 MHz ISM band and AWS uplinks.
* **EDGE** — TS 45.004 §3: 8-PSK at the same 270.833 ksym/s with 3π/8
  rotation per symbol and the linearised GMSK pulse C0 (§3.5), on the
  timeslots of a traffic carrier that carry (E)GPRS data (param ``edge``).

Assumptions (not fixed by the standards): a downlink emitter is the BCCH
carrier 60 % of the time, another carrier of the cell otherwise; which timeslots of a traffic
carrier are busy (each active with probability 0.2–0.9, at least one); that
an EDGE-capable carrier sends 8-PSK on 30–100 % of its busy timeslots; the
dummy bursts that fill a BCCH carrier's idle slots are sent as normal bursts
with random bits (the fixed dummy-burst pattern of TS 45.002 §5.2.6 has the
same spectrum and envelope); guard periods inside a continuous BCCH
transmission carry ones. Data bits are random (the spectrum, envelope and
training sequences are what a classifier sees).

Params (``EmitRequest.params``): ``carrier`` (``"bcch"`` | ``"traffic"`` on a
downlink band; ``"uplink"`` is implied by an uplink band), ``tsc`` (0–7),
``edge`` (bool: 8-PSK bursts on a traffic carrier), ``slots`` (busy timeslot
numbers of a traffic carrier, or the uplink's timeslot), ``arfcn_hz`` (the
carrier frequency; by default a channel of the band in the receiver's window,
see :meth:`EmitRequest.pick_channel`). Missing ones are
drawn from ``req.rng``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.modulation import gaussian_pulse, gfsk
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SYMBOL_RATE_HZ = 1625e3 / 6
SAMPLES_PER_SYMBOL = 4
FS_HZ = SAMPLES_PER_SYMBOL * SYMBOL_RATE_HZ
DEVIATION_HZ = SYMBOL_RATE_HZ / 4  # h = 0.5
BT = 0.3
SLOT_BITS = (157, 156, 156, 156, 157, 156, 156, 156)
FRAME_BITS = sum(SLOT_BITS)  # 1250
SLOT_S = 156.25 / SYMBOL_RATE_HZ
FRAME_S = FRAME_BITS / SYMBOL_RATE_HZ
BURST_BITS = 148
CHANNEL_SPACING_HZ = 200e3
#: 99 % power bandwidth of GMSK BT 0.3 at 270.833 kb/s (about 0.92 × the bit rate; measured in the tests).
BANDWIDTH_HZ = 250e3
FCCH_FRAMES = (0, 10, 20, 30, 40)
SCH_FRAMES = (1, 11, 21, 31, 41)
IDLE_FRAME_51 = 50
IDLE_FRAME_26 = 25
CARRIERS = ("bcch", "traffic", "uplink")

#: Normal-burst training sequences TSC 0–7, TS 45.002 Table 5.2.3-1.
TSC: tuple[str, ...] = (
    "00100101110000100010010111",
    "00101101110111100010110111",
    "01000011101110100100001110",
    "01000111101101000100011110",
    "00011010111001000001101011",
    "01001110101100000100111010",
    "10100111110110001010011111",
    "11101111000100101110111100",
)
#: SCH extended training sequence, TS 45.002 §5.2.5.
SCH_SEQUENCE = "1011100101100010000001000000111100101101010001010111011000011011"
TSC_START = 61
SCH_SEQ_START = 42


def _bits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8) - ord("0")


def differential_encode(bits: np.ndarray) -> np.ndarray:
    """TS 45.004 §2.3: d̂ᵢ = dᵢ ⊕ dᵢ₋₁ (d₋₁ = 1), mapped to GMSK frequency bits (1 → +deviation).

    ``aᵢ = 1 − 2·d̂ᵢ`` is +1 for d̂ᵢ = 0, so the frequency bit for :func:`gfsk`
    is ``1 − d̂ᵢ``: all-zero input gives a +67.7 kHz tone.
    """
    b = np.asarray(bits, dtype=np.uint8)
    prev = np.concatenate(([1], b[:-1])).astype(np.uint8)
    return (1 - (b ^ prev)).astype(np.uint8)


def gmsk(bits: np.ndarray) -> np.ndarray:
    """GSM GMSK of ``bits`` (before differential encoding) at :data:`FS_HZ`, complex64."""
    return gfsk(differential_encode(bits), SYMBOL_RATE_HZ, DEVIATION_HZ, FS_HZ, bt=BT)


def _c0_pulse(sps: int) -> np.ndarray:
    """Linearised GMSK pulse C0 (TS 45.004 §3.5), 5 symbols long, sampled at ``sps`` per symbol.

    ``g`` is the GMSK frequency pulse (a one-symbol rectangle through the BT 0.3
    Gaussian, over 4T, ∫g = 1/2); S(t) = sin(π∫₀ᵗg) for t < 4T and
    sin(π/2 − π∫₀^{t−4T}g) up to 8T; C0(t) = Π_{i=0..3} S(t + iT), 0 ≤ t ≤ 5T.
    """
    g = np.convolve(np.ones(sps), gaussian_pulse(BT, sps, span_symbols=6))
    mid = len(g) // 2
    g = g[mid - 2 * sps : mid + 2 * sps + 1]
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (g[1:] + g[:-1]))))
    integral *= 0.5 / integral[-1]
    s = np.concatenate((np.sin(np.pi * integral), np.sin(np.pi / 2 - np.pi * integral)[1:]))
    c0 = np.ones(5 * sps + 1)
    for i in range(4):
        c0 *= s[i * sps : i * sps + 5 * sps + 1]
    return c0 / np.max(c0)


def edge_8psk(symbols: np.ndarray) -> np.ndarray:
    """EDGE 8-PSK (TS 45.004 §3): symbols 0–7 → e^{j2πl/8}, rotated 3π/8 per symbol, C0-shaped."""
    sym = np.asarray(symbols, dtype=np.int64)
    points = np.exp(1j * (2 * np.pi * sym / 8 + 3 * np.pi / 8 * np.arange(len(sym))))
    up = np.zeros(len(sym) * SAMPLES_PER_SYMBOL, dtype=np.complex128)
    up[::SAMPLES_PER_SYMBOL] = points
    return np.convolve(up, _c0_pulse(SAMPLES_PER_SYMBOL), mode="same").astype(np.complex64)


def _arfcn_grid(first_hz: float, count: int) -> tuple[float, ...]:
    return tuple(first_hz + CHANNEL_SPACING_HZ * k for k in range(count))


BANDS: tuple[Band, ...] = (
    Band("GSM850-DL", 869e6, 894e6, _arfcn_grid(869.2e6, 124)),
    Band("GSM850-UL", 824e6, 849e6, _arfcn_grid(824.2e6, 124)),
    Band("PCS1900-DL", 1930e6, 1990e6, _arfcn_grid(1930.2e6, 299)),
    Band("PCS1900-UL", 1850e6, 1910e6, _arfcn_grid(1850.2e6, 299)),
    Band("EGSM900-DL", 925e6, 960e6, _arfcn_grid(925.2e6, 174)),
    Band("DCS1800-DL", 1805e6, 1880e6, _arfcn_grid(1805.2e6, 374)),
)


def _normal_bursts(rng: np.random.Generator, n: int, tsc: int) -> np.ndarray:
    """``(n, 148)`` normal-burst bits: zero tails, random data and stealing flags, the TSC in the middle."""
    bits = rng.integers(0, 2, (n, BURST_BITS), dtype=np.uint8)
    bits[:, :3] = 0
    bits[:, -3:] = 0
    bits[:, TSC_START : TSC_START + 26] = _bits(TSC[tsc])
    return bits


def _bcch_stream(rng: np.random.Generator, n_frames: int, fn0: int, tsc: int) -> tuple[np.ndarray, list[int]]:
    """Bits of ``n_frames`` whole TDMA frames of a BCCH carrier from frame number ``fn0``; FCCH frame offsets."""
    slots = np.ones((n_frames, 8, 157), dtype=np.uint8)  # guard periods: ones
    slots[:, :, :BURST_BITS] = _normal_bursts(rng, n_frames * 8, tsc).reshape(n_frames, 8, BURST_BITS)
    fn51 = (fn0 + np.arange(n_frames)) % 51
    fcch = np.isin(fn51, FCCH_FRAMES)
    slots[fcch, 0, :BURST_BITS] = 0
    sch = np.isin(fn51, SCH_FRAMES)
    slots[sch, 0, SCH_SEQ_START : SCH_SEQ_START + 64] = _bits(SCH_SEQUENCE)
    keep = np.arange(157)[None, :] < np.asarray(SLOT_BITS)[:, None]  # (8, 157)
    stream = slots[:, keep]  # (n_frames, 1250)
    return stream.reshape(-1), [int(i) for i in np.flatnonzero(fcch)]


def _slot_start_s(frame: int, slot: int) -> float:
    return (frame * FRAME_BITS + sum(SLOT_BITS[:slot])) / SYMBOL_RATE_HZ


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    uplink = req.band.name.endswith("-UL")
    channels = req.band.channels_hz or (req.band.center_hz,)
    rf_hz = float(req.params.get("arfcn_hz", 0.0)) or req.pick_channel(channels, BANDWIDTH_HZ / 2)
    carrier = str(req.params.get("carrier", "uplink" if uplink else ("bcch" if rng.random() < 0.6 else "traffic")))
    if carrier not in CARRIERS:
        raise ValueError(f"gsm: carrier {carrier!r} not in {CARRIERS}")
    if (carrier == "uplink") != uplink:
        raise ValueError(f"gsm: carrier {carrier!r} cannot be sent in band {req.band.name}")
    tsc = int(req.params.get("tsc", rng.integers(0, 8)))
    edge = bool(req.params.get("edge", carrier == "traffic" and rng.random() < 0.4))
    half = BANDWIDTH_HZ / 2
    lo, hi = rf_hz - half, rf_hz + half
    t0 = -float(rng.uniform(0.0, FRAME_S))  # frame boundary before the recording starts
    fn0 = int(rng.integers(0, 51 * 26))
    n_frames = int(np.ceil((req.duration_s - t0) / FRAME_S)) + 1
    if not req.visible(lo, hi) or req.duration_s <= 0:
        return []
    meta = {"carrier": carrier, "arfcn_hz": rf_hz, "tsc": tsc}

    if carrier == "bcch":
        stream, fcch_frames = _bcch_stream(rng, n_frames, fn0, tsc)
        x = gmsk(stream)
        first = round(-t0 * FS_HZ)
        x = x[first : first + round(req.duration_s * FS_HZ)]
        fcch_s = [t0 + f * FRAME_S for f in fcch_frames if 0.0 <= t0 + f * FRAME_S < req.duration_s]
        meta.update({"fcch_start_s": fcch_s, "continuous": True})
        return [Burst(0.0, rf_hz, unit_power(x), FS_HZ, lo, hi, "none", meta=meta)]

    if "slots" in req.params:
        slots = [int(s) for s in np.atleast_1d(req.params["slots"])]
    elif carrier == "uplink":
        slots = [int(rng.integers(0, 8))]
    else:
        busy = rng.random(8) < rng.uniform(0.2, 0.9)
        busy[int(rng.integers(0, 8))] = True
        slots = [int(s) for s in np.flatnonzero(busy)]
    edge_slots = set()
    if edge and carrier == "traffic":
        edge_slots = {s for s in slots if rng.random() < rng.uniform(0.3, 1.0)} or {slots[0]}
    bursts: list[Burst] = []
    fn26 = fn0 % 26
    for frame in range(n_frames):
        if (fn26 + frame) % 26 == IDLE_FRAME_26:
            continue
        for slot in slots:
            t_s = t0 + _slot_start_s(frame, slot)
            if t_s < 0.0 or t_s >= req.duration_s:
                continue
            if slot in edge_slots:
                x = edge_8psk(rng.integers(0, 8, BURST_BITS))
                modulation = "8psk"
            else:
                x = gmsk(_normal_bursts(rng, 1, tsc)[0])
                modulation = "gmsk"
            burst_meta = {**meta, "slot": slot, "frame": frame, "modulation": modulation}
            bursts.append(Burst(t_s, rf_hz, unit_power(x), FS_HZ, lo, hi, "none", meta=burst_meta))
    return bursts


SIGNATURE = Signature(
    label="gsm",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="GMSK BT 0.3, 270.833 kb/s (8-PSK for EDGE), TDMA 8 slots",
    bandwidth_hz=BANDWIDTH_HZ,
    timing={
        "continuous": True,
        "symbol_rate_hz": SYMBOL_RATE_HZ,
        "slot_s": SLOT_S,
        "frame_s": FRAME_S,
        "burst_s": BURST_BITS / SYMBOL_RATE_HZ,
        "fcch_tone_hz": SYMBOL_RATE_HZ / 4,
        "channel_spacing_hz": CHANNEL_SPACING_HZ,
        "fcch_period_frames": (10, 11),
    },
    builder=_build,
    description="GSM/EDGE: continuous BCCH carriers, bursty traffic carriers and handset uplinks on a 200 kHz raster.",
    sources=(
        "3GPP TS 45.004 §2 (GMSK, differential encoding), §3 (EDGE 8-PSK, linearised GMSK pulse)",
        "3GPP TS 45.002 §4.3, §5.2 (TDMA frame, bursts, training sequences), §7 (26/51-multiframes)",
        "3GPP TS 45.005 §2 (bands, ARFCN raster); 3GPP TS 45.008 (BCCH carrier: no downlink power control)",
        "47 CFR 22.905 (cellular 824–849/869–894 MHz), 47 CFR 24.229 (PCS 1850–1910/1930–1990 MHz)",
    ),
    order=15,
)
