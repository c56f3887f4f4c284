"""DJI DroneID (OcuSync 2/3 broadcast) frames: physical layer, coding and message fields.

Every DJI drone with OcuSync 2 or 3 sends, besides its control and video links, a
short OFDM burst about every 600 ms that carries its serial number, position,
velocity, home point and the position of the pilot's phone. This module is the
receiver as pure functions: find the bursts in a capture, synchronise, demodulate,
decode and parse them (:func:`decode_bursts`); the transmitter side is
:mod:`rfclassify.dsp.droneid_encode`.

Physical layer (NDSS 2023 paper "Drone Security and the Mysterious Case of DJI's
DroneID", Schiller et al., §IV and its receiver RUB-SysSec/DroneSecurity; proto17/
dji_droneid README and scripts):

- LTE-like OFDM on a 15.36 MS/s grid: 1024-point FFT, 15 kHz subcarriers, 600
  used subcarriers (-300..-1, +1..+300, DC empty), 9.015 MHz occupied;
- 9 OFDM symbols (8 on older "legacy" firmware, which lacks the first), cyclic
  prefixes of 80 samples on the first and the last symbol and 72 on the others
  (burst ~643 us at 9 symbols);
- symbols 4 and 6 (1-based; 3 and 5 here, 2 and 4 in a legacy frame) carry
  Zadoff-Chu sequences of length 601, roots 600 and 147, ``zc[n] =
  exp(-j pi u n (n + 1) / 601)`` placed on subcarriers ``n - 300`` with the DC
  subcarrier zeroed: the receiver's references for timing, frequency and channel;
- the remaining 6 data symbols carry 6 x 600 QPSK symbols = 7200 bits, LTE
  mapping (TS 36.211 §7.1.2: bit 2i to the sign of I, 2i+1 to Q, 0 -> +), in
  order of increasing subcarrier frequency; the first symbol of a 9-symbol frame
  carries no payload (the NDSS receiver compares it with the scrambling sequence
  and ignores it);
- scrambling: the LTE Gold sequence (TS 36.211 §7.2, Nc = 1600) with
  ``c_init = 0x12345678`` over the 7200 bits (NDSS paper; both receivers);
- channel code: the LTE turbo code (TS 36.212 §5.1.3.2) on K = 1408 bits
  (176 bytes, whose last 3 are a CRC-24A of TS 36.212 §5.1.1 over the first 173)
  and LTE rate matching to E = 7200 with rv = 0 (proto17/dji_droneid
  ``cpp/remove_turbo.cc``: D = 1412, E = 7200, CRC_24_LTEA; NDSS receiver: the
  systematic bits start at offset 4148 of the rate-matched block).

Message (the first 91 of the 173 payload bytes, little-endian; field order of the
NDSS receiver's ``droneid_packet.py`` and of the Kismet Wi-Fi DroneID decoder
``dot11_ie_221_dji_droneid.ksy`` by F. van Tienen and J. Dumon, which share it):

======  =====  =================  ================================================
offset  type   field              scaling / unit (source)
======  =====  =================  ================================================
0       u8     length             bytes after this one, up to the CRC-16 (88)
1       u8     message type       0x10 flight information, 0x11 flight purpose
                                  (Kismet: "subcommand")
2       u8     version            2 (proto17 ``create_frame_bytes.m``)
3       u16    sequence number
5       u16    state information  bit flags (Kismet)
7       16 B   serial number      ASCII, NUL-padded
23      i32    drone longitude    radians x 1e7 -> degrees: raw / 174533 (Kismet,
                                  NDSS; proto17 encodes deg x 1e7 / 57.2957795)
27      i32    drone latitude     same
31      i16    altitude           NDSS receiver divides by 3.281 (feet -> m)
33      i16    height             above take-off, same conversion (NDSS receiver)
35      i16    velocity north     cm/s (raw in both receivers; cm/s assumed here)
37      i16    velocity east      cm/s
39      i16    velocity up        cm/s
41      i16    yaw                centidegrees (Kismet's Wi-Fi layout: /100 -> deg)
43      u64    GPS time           ms since the Unix epoch (proto17: PhoneAppGPSTime)
51      i32    pilot latitude     radians x 1e7 (NDSS: app_lat)
55      i32    pilot longitude    radians x 1e7
59      i32    home longitude     radians x 1e7
63      i32    home latitude      radians x 1e7
67      u8     product type       device code, names in :data:`DEVICE_TYPES`
68      u8     UUID length
69      20 B   UUID               ASCII, NUL-padded
89      u16    CRC-16             poly 0x1021 reflected, init 0x3692, over bytes
                                  0..88 (NDSS receiver; proto17 ``calculate_crc``)
======  =====  =================  ================================================

A type-0x11 message (Kismet: "flight purpose", user-entered data) carries, in the
Mavic Air 2 recording published with the NDSS paper, the length byte, the type, the
serial number (16 B) at offset 2, a few further bytes whose meaning no source
documents, and the CRC-16 after ``length + 1`` bytes as in type 0x10 (verified on
that recording); only the serial number is parsed. Every message's CRC-16 is
checked and reported as ``message_crc_ok``.

Positions: the exact conversion radians x 1e7 -> degrees is used; the NDSS
receiver divides by 174533 instead (0.43 ppm smaller, ~2.5 m at 51 deg N), which is
how the positions published with its sample were computed.

A frame is reported as data only when its CRC-24 checks; otherwise the result
carries ``crc_ok = False`` and no fields, so a corrupted frame never yields positions.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import signal as _signal

from rfclassify.dsp.modulation import gold_sequence as lte_gold_sequence
from rfclassify.dsp.turbo import rate_dematch, turbo_decode

__all__ = [
    "CP_SCHEDULES",
    "DATA_SYMBOLS",
    "DEVICE_TYPES",
    "E_BITS",
    "K_BITS",
    "SAMPLE_RATE_HZ",
    "ZC_ROOTS",
    "ZC_SYMBOLS",
    "DroneIDFrame",
    "crc16_droneid",
    "crc24a",
    "decode_bursts",
    "decode_soft_bits",
    "demodulate_burst",
    "gold_sequence",
    "ofdm_symbol_starts",
    "parse_message",
    "subcarrier_bins",
    "zadoff_chu",
]

SAMPLE_RATE_HZ = 15.36e6
N_FFT = 1024
N_CARRIERS = 600
SUBCARRIER_HZ = 15e3
OCCUPIED_HZ = N_CARRIERS * SUBCARRIER_HZ
CP_LONG = 80
CP_SHORT = 72
#: Cyclic-prefix lengths (samples at 15.36 MS/s) by number of OFDM symbols.
CP_SCHEDULES: dict[int, tuple[int, ...]] = {
    9: (CP_LONG, *(CP_SHORT,) * 7, CP_LONG),
    8: (CP_LONG, *(CP_SHORT,) * 6, CP_LONG),
}
#: Zadoff-Chu symbol indices (0-based) and their roots.
ZC_SYMBOLS: dict[int, tuple[int, int]] = {9: (3, 5), 8: (2, 4)}
ZC_ROOTS: tuple[int, int] = (600, 147)
#: Indices (0-based) of the six payload symbols.
DATA_SYMBOLS: dict[int, tuple[int, ...]] = {9: (1, 2, 4, 6, 7, 8), 8: (0, 1, 3, 5, 6, 7)}
K_BITS = 1408
E_BITS = 7200
SCRAMBLER_INIT = 0x12345678
MESSAGE_BYTES = 91
PAYLOAD_BYTES = K_BITS // 8 - 3

#: DroneID product-type codes (NDSS receiver ``droneid_packet.py``; same list in the
#: Department 13 white paper "Anatomy of DJI's Drone ID Implementation").
DEVICE_TYPES: dict[int, str] = {
    1: "Inspire 1", 2: "Phantom 3 Series", 3: "Phantom 3 Series", 4: "Phantom 3 Std",
    5: "M100", 6: "ACEONE", 7: "WKM", 8: "NAZA", 9: "A2", 10: "A3", 11: "Phantom 4",
    12: "MG1", 14: "M600", 15: "Phantom 3 4k", 16: "Mavic Pro", 17: "Inspire 2",
    18: "Phantom 4 Pro", 20: "N2", 21: "Spark", 23: "M600 Pro", 24: "Mavic Air",
    25: "M200", 26: "Phantom 4 Series", 27: "Phantom 4 Adv", 28: "M210", 30: "M210RTK",
    31: "A3_AG", 32: "MG2", 34: "MG1A", 35: "Phantom 4 RTK", 36: "Phantom 4 Pro V2.0",
    38: "MG1P", 40: "MG1P-RTK", 41: "Mavic 2", 44: "M200 V2 Series",
    51: "Mavic 2 Enterprise", 53: "Mavic Mini", 58: "Mavic Air 2", 59: "P4M",
    60: "M300 RTK", 61: "DJI FPV", 63: "Mini 2", 64: "AGRAS T10", 65: "AGRAS T30",
    66: "Air 2S", 67: "M30", 68: "Mavic 3", 69: "Mavic 2 Enterprise Advanced",
    70: "Mini SE",
}  # fmt: skip

_RAD7_TO_DEG = 180.0 / math.pi / 1e7
_FEET_PER_M = 3.281


# --------------------------------------------------------------------------- sequences


def zadoff_chu(root: int) -> np.ndarray:
    """The 601-point Zadoff-Chu sequence of ``root`` on subcarriers -300..300, DC zeroed."""
    n = np.arange(N_CARRIERS + 1)
    zc = np.exp(-1j * np.pi * root * n * (n + 1) / (N_CARRIERS + 1))
    zc[N_CARRIERS // 2] = 0.0
    return zc


def subcarrier_bins() -> np.ndarray:
    """FFT bins (0..1023) of the 600 used subcarriers, lowest frequency first."""
    k = np.concatenate([np.arange(-300, 0), np.arange(1, 301)])
    return k % N_FFT


def _zc_bins() -> np.ndarray:
    """FFT bins of the 601 Zadoff-Chu subcarriers -300..300 (DC included, zero-valued)."""
    return np.arange(-300, 301) % N_FFT


def gold_sequence(length: int, c_init: int = SCRAMBLER_INIT) -> np.ndarray:
    """The LTE pseudo-random sequence c(n) of TS 36.211 §7.2 (Nc = 1600) from ``c_init``, uint8 bits."""
    return lte_gold_sequence([c_init], length)[0].astype(np.uint8)


_GOLD = gold_sequence(E_BITS)


def ofdm_symbol_starts(n_symbols: int) -> np.ndarray:
    """Sample offsets (15.36 MS/s) of each symbol's FFT window from the burst start."""
    cps = np.array(CP_SCHEDULES[n_symbols])
    ends = np.cumsum(cps + N_FFT)
    return ends - N_FFT


# --------------------------------------------------------------------------- CRCs


def crc24a(bits: np.ndarray) -> int:
    """CRC-24A remainder (TS 36.212 §5.1.1, g = 0x1864CFB) of a bit array; 0 if it checks."""
    data = np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()
    if len(bits) % 8:
        raise ValueError("crc24a needs a whole number of bytes")
    crc = 0
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc = ((crc << 1) ^ 0x864CFB) if crc & 0x800000 else (crc << 1)
            crc &= 0xFFFFFF
    return crc


def crc16_droneid(data: bytes) -> int:
    """The message CRC-16: polynomial 0x1021 processed LSB first, register preset 0x3692."""
    crc = 0x3692
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class DroneIDFrame:
    """One decoded DroneID burst. Fields are ``None`` when the CRC failed or unknown.

    Positions in degrees (WGS84), altitude/height in metres, velocities in m/s,
    ``gps_time_utc`` as ISO-8601; receiver metadata: ``start_s`` (burst start in the
    capture, s), ``center_freq_hz`` (absolute, if the capture's centre was known),
    ``cfo_hz`` (residual offset found by the synchroniser), ``n_symbols`` (9 or 8).
    """

    crc_ok: bool
    start_s: float
    center_freq_hz: float
    cfo_hz: float = 0.0
    n_symbols: int = 9
    turbo_iterations: int = 0
    message_type: int | None = None
    message_crc_ok: bool | None = None
    version: int | None = None
    sequence: int | None = None
    state_info: int | None = None
    serial: str | None = None
    drone_lat: float | None = None
    drone_lon: float | None = None
    altitude_m: float | None = None
    height_m: float | None = None
    v_north_mps: float | None = None
    v_east_mps: float | None = None
    v_up_mps: float | None = None
    yaw_deg: float | None = None
    gps_time_utc: str | None = None
    pilot_lat: float | None = None
    pilot_lon: float | None = None
    home_lat: float | None = None
    home_lon: float | None = None
    device_type_code: int | None = None
    device_type: str | None = None
    uuid: str | None = None
    raw: bytes = field(default=b"", repr=False)

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready record the pipeline reports (the keys of issue 19)."""
        keys = (
            "serial", "device_type", "drone_lat", "drone_lon", "altitude_m", "height_m",
            "v_north_mps", "v_east_mps", "v_up_mps", "pilot_lat", "pilot_lon", "home_lat",
            "home_lon", "sequence", "gps_time_utc", "crc_ok", "message_type",
        )  # fmt: skip
        return {k: getattr(self, k) for k in keys}


def _position(raw_lat: int, raw_lon: int) -> tuple[float | None, float | None]:
    """Degrees from radians x 1e7; (0, 0) means "not known" and gives ``None``."""
    if raw_lat == 0 and raw_lon == 0:
        return None, None
    return round(raw_lat * _RAD7_TO_DEG, 8), round(raw_lon * _RAD7_TO_DEG, 8)


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace")


def parse_message(payload: bytes) -> dict[str, Any]:
    """Fields of a DroneID message (the 173 payload bytes after a valid CRC-24)."""
    msg_type = payload[1]
    length = payload[0]
    crc_ok = length + 3 <= len(payload) and crc16_droneid(payload[: length + 1]) == (
        int.from_bytes(payload[length + 1 : length + 3], "little")
    )
    out: dict[str, Any] = {"message_type": msg_type, "message_crc_ok": crc_ok}
    if msg_type == 0x11:
        out["serial"] = _text(payload[2:18])
        return out
    out["version"] = payload[2]
    if msg_type != 0x10:
        return out
    b = payload
    le = "little"
    i16 = lambda o: int.from_bytes(b[o : o + 2], le, signed=True)
    i32 = lambda o: int.from_bytes(b[o : o + 4], le, signed=True)
    lat, lon = _position(i32(27), i32(23))
    pilot_lat, pilot_lon = _position(i32(51), i32(55))
    home_lat, home_lon = _position(i32(63), i32(59))
    gps_ms = int.from_bytes(b[43:51], le)
    try:
        gps_time = (
            _dt.datetime.fromtimestamp(gps_ms / 1000, tz=_dt.timezone.utc).isoformat()
            if gps_ms
            else None
        )
    except (OverflowError, ValueError, OSError):
        gps_time = None
    code = b[67]
    out.update(
        sequence=int.from_bytes(b[3:5], le),
        state_info=int.from_bytes(b[5:7], le),
        serial=_text(b[7:23]),
        drone_lat=lat,
        drone_lon=lon,
        altitude_m=round(i16(31) / _FEET_PER_M, 2),
        height_m=round(i16(33) / _FEET_PER_M, 2),
        v_north_mps=i16(35) / 100.0,
        v_east_mps=i16(37) / 100.0,
        v_up_mps=i16(39) / 100.0,
        yaw_deg=i16(41) / 100.0,
        gps_time_utc=gps_time,
        pilot_lat=pilot_lat,
        pilot_lon=pilot_lon,
        home_lat=home_lat,
        home_lon=home_lon,
        device_type_code=code,
        device_type=DEVICE_TYPES.get(code, f"unknown ({code})"),
        uuid=_text(b[69 : 69 + min(b[68], 20)]),
    )
    return out


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True)
class _Decoded:
    crc_ok: bool
    payload: bytes
    iterations: int


def decode_soft_bits(
    llr: np.ndarray, *, systematic_only: bool = False, max_iterations: int = 8
) -> _Decoded:
    """Scrambled 7200 LLRs in, CRC-checked 176-byte transport block out.

    ``systematic_only`` takes hard decisions on the (soft-combined) systematic bits
    instead of turbo decoding: the baseline the NDSS receiver uses.
    """
    llr = np.asarray(llr, dtype=np.float64)
    descrambled = llr * (1.0 - 2.0 * _GOLD[: llr.size])
    streams = rate_dematch(descrambled, K_BITS + 4)
    if systematic_only:
        bits = (streams[0, :K_BITS] < 0).astype(np.uint8)
        iterations = 0
    else:
        result = turbo_decode(
            streams, K_BITS, max_iterations=max_iterations, stop=lambda b: crc24a(b) == 0
        )
        bits, iterations = result.bits, result.iterations
    return _Decoded(crc24a(bits) == 0, np.packbits(bits).tobytes(), iterations)


@dataclass(frozen=True)
class _Demodulated:
    llr: np.ndarray
    n_symbols: int
    cfo_hz: float
    start: int  # burst start (15.36 MS/s samples) in the resampled segment


def _moving_sum(x: np.ndarray, n: int) -> np.ndarray:
    c = np.concatenate([[0], np.cumsum(x)])
    return c[n:] - c[:-n]


def _cp_metric(x: np.ndarray, n_symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """Complex CP correlation summed over a frame's cyclic prefixes, and its energy norm.

    Index n is a hypothesised burst start (first sample of the first CP).
    """
    prod = x[:-N_FFT] * np.conj(x[N_FFT:])
    power = 0.5 * (np.abs(x[:-N_FFT]) ** 2 + np.abs(x[N_FFT:]) ** 2)
    corr = _moving_sum(prod, CP_SHORT)
    energy = _moving_sum(power, CP_SHORT)
    cps = np.array(CP_SCHEDULES[n_symbols])
    # Last 72 samples of each CP: offset of that stretch from the burst start.
    offsets = np.concatenate([[0], np.cumsum(cps + N_FFT)[:-1]]) + (cps - CP_SHORT)
    n = corr.size - offsets[-1]
    if n <= 0:
        return np.zeros(0, complex), np.zeros(0)
    total = np.zeros(n, complex)
    norm = np.zeros(n)
    for o in offsets:
        total += corr[o : o + n]
        norm += energy[o : o + n]
    return total, norm


def _symbols_fft(x: np.ndarray, start: int, n_symbols: int, advance: int) -> np.ndarray:
    """FFT of every OFDM symbol (shape ``(n_symbols, 1024)``), windows ``advance`` early."""
    idx = start + ofdm_symbol_starts(n_symbols)[:, None] - advance + np.arange(N_FFT)[None, :]
    return np.fft.fft(x[idx], axis=1)


def _zc_references() -> tuple[np.ndarray, np.ndarray]:
    return zadoff_chu(ZC_ROOTS[0]), zadoff_chu(ZC_ROOTS[1])


_ZC_REF = _zc_references()
_ZC_BINS = _zc_bins()
_ZC_USED = np.arange(N_CARRIERS + 1) != N_CARRIERS // 2
_DATA_BINS = subcarrier_bins()


def _integer_cfo(freq: np.ndarray, zc_idx: tuple[int, int], max_shift: int) -> tuple[int, float]:
    """Subcarrier shift that best aligns the ZC symbols, and its match quality (0..1).

    The metric correlates the two ZC symbols' channel estimates subcarrier by
    subcarrier, so neither the channel nor a timing offset matters.
    """
    used = _ZC_BINS[_ZC_USED]
    shifts = np.arange(-max_shift, max_shift + 1)
    idx = (used[None, :] + shifts[:, None]) % N_FFT
    # A cyclic shift of a Zadoff-Chu sequence equals the sequence times a phase ramp (a
    # time shift) that depends on the root, so one ZC symbol cannot tell a frequency
    # shift from a delay; the two roots agree on the delay only at the true shift.
    h = [
        freq[sym][idx] * np.conj(ref[_ZC_USED])[None, :]
        for sym, ref in zip(zc_idx, _ZC_REF, strict=True)
    ]
    cross = h[1] * np.conj(h[0])
    num = cross.sum(axis=1)
    den = np.abs(cross).sum(axis=1)
    quality = np.abs(num) / np.maximum(den, 1e-30)
    best = int(np.argmax(quality))
    return int(shifts[best]), float(quality[best])


@lru_cache(maxsize=4)
def _channel_projection(advance: int) -> np.ndarray:
    """Least-squares projection of 601 subcarrier gains onto the channels a burst can have.

    The FFT window opens ``advance`` samples early, so the impulse response lies at
    delays of about ``advance .. advance + CP`` samples; projecting the raw estimate on
    the span of those delays removes most of the noise without the edge ringing of a
    windowed inverse FFT.
    """
    k = np.arange(-300, 301)
    delays = np.arange(-6, advance + CP_SHORT + 10)
    basis = np.exp(-2j * np.pi * np.outer(k, delays) / N_FFT)
    q, _ = np.linalg.qr(basis)
    return q @ q.conj().T


def demodulate_burst(x: np.ndarray, *, max_shift: int = 80) -> _Demodulated | None:
    """Synchronise to a DroneID burst in ``x`` (15.36 MS/s, centred) and return its LLRs.

    Timing and the fractional CFO come from the cyclic prefixes, the integer CFO (in
    subcarriers, up to ``max_shift``) from the Zadoff-Chu symbols, the fine timing from
    the ZC cross-correlation and the residual CFO from the phase between the two ZC
    symbols; the channel is estimated on the ZC subcarriers. Returns ``None`` if no
    burst with matching ZC symbols is found.
    """
    x = np.asarray(x, dtype=np.complex128)
    # A 9-symbol frame also fits the 8-symbol schedule (it is the legacy frame with one
    # more symbol in front), so the full frame is tried first.
    for n_symbols in (9, 8):
        result = _demodulate_at(x, n_symbols, max_shift)
        if result is not None:
            return result
    return None


def _demodulate_at(x: np.ndarray, n_symbols: int, max_shift: int) -> _Demodulated | None:
    total, norm = _cp_metric(x, n_symbols)
    if total.size == 0:
        return None
    score = np.abs(total) / np.maximum(norm, 1e-30)
    start = int(np.argmax(score))
    frac_cfo = -np.angle(total[start]) * SAMPLE_RATE_HZ / (2 * np.pi * N_FFT)
    t = np.arange(x.size) / SAMPLE_RATE_HZ
    zc_idx = ZC_SYMBOLS[n_symbols]
    advance = 4
    frame_len = ofdm_symbol_starts(n_symbols)[-1] + N_FFT
    margin = 48
    if start - margin - advance < 0 or start + frame_len + margin > x.size:
        pad = margin + advance + N_FFT
        x = np.concatenate([np.zeros(pad, complex), x, np.zeros(pad, complex)])
        t = np.arange(x.size) / SAMPLE_RATE_HZ
        start += pad
    y = x * np.exp(-2j * np.pi * frac_cfo * t)
    freq = _symbols_fft(y, start, n_symbols, advance)
    shift, quality = _integer_cfo(freq, zc_idx, max_shift)
    if quality < 0.2:
        return None
    cfo = frac_cfo + shift * SUBCARRIER_HZ
    y = x * np.exp(-2j * np.pi * cfo * t)
    # Fine timing: the start whose ZC windows correlate best with the references.
    refs = [np.fft.ifft(_place(ref)) for ref in _ZC_REF]
    starts = ofdm_symbol_starts(n_symbols)
    lags = np.arange(-margin, margin + 1)
    metric = np.zeros(lags.size)
    for sym, ref in zip(zc_idx, refs, strict=True):
        seg = y[start + starts[sym] - margin : start + starts[sym] + margin + N_FFT]
        c = _signal.correlate(seg, ref, mode="valid")
        metric += np.abs(c[: lags.size]) ** 2
    start += int(lags[np.argmax(metric)])
    # Residual CFO from the phase advance between the two ZC symbols.
    freq = _symbols_fft(y, start, n_symbols, advance)
    h = [freq[s, _ZC_BINS] * np.conj(ref) for s, ref in zip(zc_idx, _ZC_REF, strict=True)]
    gap = starts[zc_idx[1]] - starts[zc_idx[0]]
    fine = np.angle(np.sum(h[1] * np.conj(h[0]))) * SAMPLE_RATE_HZ / (2 * np.pi * gap)
    cfo += fine
    y = x * np.exp(-2j * np.pi * cfo * t)
    freq = _symbols_fft(y, start, n_symbols, advance)
    h = [freq[s, _ZC_BINS] * np.conj(ref) for s, ref in zip(zc_idx, _ZC_REF, strict=True)]
    raw = 0.5 * (h[0] + h[1])
    raw[N_CARRIERS // 2] = 0.5 * (raw[N_CARRIERS // 2 - 1] + raw[N_CARRIERS // 2 + 1])
    n0 = float(np.mean(np.abs(h[0] - h[1])[_ZC_USED] ** 2) / 2)
    channel = _channel_projection(advance) @ raw
    channel = np.delete(channel, N_CARRIERS // 2)
    n0 = max(n0, 1e-12 * float(np.mean(np.abs(channel) ** 2)))
    llrs = []
    for sym in DATA_SYMBOLS[n_symbols]:
        z = freq[sym, _DATA_BINS] * np.conj(channel)
        # Common phase error left in this symbol (4th-power QPSK estimator).
        phase = np.angle(-np.sum(z**4)) / 4
        z = z * np.exp(-1j * phase)
        scale = 2 * math.sqrt(2) / n0
        pair = np.empty(2 * N_CARRIERS)
        pair[0::2] = scale * z.real
        pair[1::2] = scale * z.imag
        llrs.append(pair)
    return _Demodulated(np.concatenate(llrs), n_symbols, float(cfo), start)


def _place(values601: np.ndarray) -> np.ndarray:
    """A 1024-bin spectrum with 601 values on subcarriers -300..300."""
    spectrum = np.zeros(N_FFT, complex)
    spectrum[_ZC_BINS] = values601
    return spectrum


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True)
class _Candidate:
    start: int
    stop: int
    offset_hz: float


def find_burst_candidates(x: np.ndarray, sample_rate_hz: float) -> list[_Candidate]:
    """Bursts about 9 MHz wide and 0.4-0.9 ms long: start/stop samples and centre offset."""
    nfft = int(2 ** round(math.log2(sample_rate_hz / 150e3)))
    n_frames = x.size // nfft
    if n_frames < 8:
        return []
    frames = x[: n_frames * nfft].reshape(n_frames, nfft)
    power = np.abs(np.fft.fftshift(np.fft.fft(frames, axis=1), axes=1)) ** 2
    bin_hz = sample_rate_hz / nfft
    width = max(1, round(OCCUPIED_HZ / bin_hz))
    if width > nfft:
        return []
    csum = np.concatenate([np.zeros((n_frames, 1)), np.cumsum(power, axis=1)], axis=1)
    box = csum[:, width:] - csum[:, :-width]  # (frames, centres)
    frame_s = nfft / sample_rate_hz
    smooth = max(1, round(40e-6 / frame_s))
    kernel = np.ones(smooth) / smooth
    box = _signal.fftconvolve(box, kernel[:, None], mode="same", axes=0)
    floor = np.percentile(box, 10, axis=0)
    spectrum = power / np.maximum(np.percentile(power, 10, axis=0), 1e-30)
    ratio = box / np.maximum(floor, 1e-30)
    peak = ratio.max(axis=1)
    candidates: list[_Candidate] = []
    # A burst next to (or over) weaker signals only separates from them at a threshold
    # between the two levels: try thresholds on a ladder and keep every run of burst
    # length that does not overlap one found at a lower threshold.
    for threshold in 1.25 * 4.0 ** np.arange(8):
        active = peak > threshold
        edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(int), [0]])))
        for a, b in zip(edges[0::2], edges[1::2], strict=True):
            duration = (b - a) * frame_s
            if not 0.4e-3 <= duration <= 0.95e-3:
                continue
            if any(a * nfft < c.stop and b * nfft > c.start for c in candidates):
                continue
            offset = (_band_centre(spectrum[a:b].mean(axis=0), width) - nfft / 2) * bin_hz
            candidates.append(_Candidate(int(a * nfft), int(b * nfft), float(offset)))
    return sorted(candidates, key=lambda c: c.start)


def _band_centre(spectrum: np.ndarray, width: int) -> float:
    """Centre (fractional bin) of the ``width``-bin band in a noise-normalised spectrum.

    The best box position gives the band roughly; its -6 dB edges (relative to the
    median level inside the box) give the centre to about half a bin even when
    multipath ripples the spectrum.
    """
    csum = np.concatenate([[0.0], np.cumsum(spectrum)])
    start = int(np.argmax(csum[width:] - csum[:-width]))
    level = float(np.median(spectrum[start : start + width]))
    above = spectrum > max(level / 4, 1.0)
    lo, hi = start + width // 2, start + width // 2
    while lo > 0 and (above[lo - 1] or above[max(lo - 2, 0)]):
        lo -= 1
    while hi < spectrum.size - 1 and (above[hi + 1] or above[min(hi + 2, spectrum.size - 1)]):
        hi += 1
    if not 0.8 * width <= hi - lo + 1 <= 1.2 * width:
        return start + (width - 1) / 2
    return (lo + hi) / 2


def _to_grid(x: np.ndarray, sample_rate_hz: float) -> np.ndarray:
    """Resample a centred burst to 15.36 MS/s."""
    if sample_rate_hz == SAMPLE_RATE_HZ:
        return x
    ratio = Fraction(SAMPLE_RATE_HZ / sample_rate_hz).limit_denominator(5000)
    return _signal.resample_poly(x, ratio.numerator, ratio.denominator)


def decode_bursts(
    samples: np.ndarray,
    sample_rate_hz: float,
    center_freq_hz: float = 0.0,
    *,
    systematic_only: bool = False,
) -> list[DroneIDFrame]:
    """Find, demodulate and decode every DroneID burst in a capture.

    ``samples``: complex baseband; ``sample_rate_hz`` at least ~10 MS/s (the burst is
    9 MHz wide); ``center_freq_hz``: the capture's centre (0 if unknown: frequencies
    are then relative). Returns one :class:`DroneIDFrame` per synchronised burst;
    bursts whose CRC fails come back with ``crc_ok = False`` and no fields.
    """
    x = np.asarray(samples, dtype=np.complex64)
    frames: list[DroneIDFrame] = []
    margin = int(120e-6 * sample_rate_hz)
    for cand in find_burst_candidates(x, sample_rate_hz):
        lo = max(0, cand.start - margin)
        hi = min(x.size, cand.stop + margin)
        seg = x[lo:hi].astype(np.complex128)
        t = np.arange(seg.size) / sample_rate_hz
        seg = seg * np.exp(-2j * np.pi * cand.offset_hz * t)
        grid = _to_grid(seg, sample_rate_hz)
        demod = demodulate_burst(grid)
        if demod is None:
            continue
        decoded = decode_soft_bits(demod.llr, systematic_only=systematic_only)
        start_s = lo / sample_rate_hz + demod.start / SAMPLE_RATE_HZ
        centre = center_freq_hz + cand.offset_hz + demod.cfo_hz
        meta = {
            "start_s": round(start_s, 9),
            "center_freq_hz": round(centre, 1),
            "cfo_hz": round(demod.cfo_hz, 1),
            "n_symbols": demod.n_symbols,
            "turbo_iterations": decoded.iterations,
        }
        if not decoded.crc_ok:
            frames.append(DroneIDFrame(crc_ok=False, **meta))
            continue
        payload = decoded.payload[:PAYLOAD_BYTES]
        frames.append(DroneIDFrame(crc_ok=True, raw=payload, **meta, **parse_message(payload)))
    return frames
