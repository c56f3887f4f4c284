"""DJI DroneID transmitter: the real frame, for the synthesizer (``dji-ocusync``), tests and benchmarks.

The chain is the receiver's (:mod:`rfclassify.dsp.droneid`, which documents every
number and its source) run forwards: message fields -> 91-byte message with its
CRC-16, zero-padded to 173 bytes -> CRC-24A -> LTE turbo encoder (K = 1408) -> rate
matching to 7200 bits -> Gold scrambling -> LTE QPSK on 600 subcarriers x 6 data
symbols -> OFDM with the two Zadoff-Chu symbols and the cyclic prefixes at
15.36 MS/s -> (optionally) any other sample rate with ``scipy.signal.resample_poly``.
:func:`droneid_grid` stops before the OFDM step (subcarriers −300…300 of every symbol), so the
``dji-ocusync`` signature can synthesize only the slice a receiver window shows.
:func:`droneid_capture` also puts a burst through a channel (frequency offset,
multipath, AWGN) so the decoder can be tested on frames whose content is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as _signal

from rfclassify.dsp.droneid import (
    CP_SCHEDULES,
    DATA_SYMBOLS,
    E_BITS,
    K_BITS,
    MESSAGE_BYTES,
    N_CARRIERS,
    N_FFT,
    OCCUPIED_HZ,
    PAYLOAD_BYTES,
    SAMPLE_RATE_HZ,
    ZC_ROOTS,
    ZC_SYMBOLS,
    crc16_droneid,
    crc24a,
    gold_sequence,
    zadoff_chu,
)
from rfclassify.dsp.turbo import rate_match, turbo_encode

__all__ = ["FlightInfo", "droneid_burst", "droneid_capture", "droneid_grid", "encode_bits", "flight_info_payload"]

_DEG_TO_RAD7 = math.pi / 180.0 * 1e7
_FEET_PER_M = 3.281


@dataclass(frozen=True)
class FlightInfo:
    """Content of a type-0x10 (flight information) message, in physical units."""

    serial: str = "1WNBH3900201N1"
    sequence: int = 1
    state_info: int = 0x1FF7
    drone_lat: float = 0.0
    drone_lon: float = 0.0
    altitude_m: float = 0.0
    height_m: float = 0.0
    v_north_mps: float = 0.0
    v_east_mps: float = 0.0
    v_up_mps: float = 0.0
    yaw_deg: float = 0.0
    gps_time_ms: int = 0
    pilot_lat: float = 0.0
    pilot_lon: float = 0.0
    home_lat: float = 0.0
    home_lon: float = 0.0
    device_type_code: int = 58
    uuid: str = ""


def _i(value: float, scale: float, size: int, signed: bool = True) -> bytes:
    return round(value * scale).to_bytes(size, "little", signed=signed)


def flight_info_payload(info: FlightInfo) -> bytes:
    """The 173-byte transport payload (message + CRC-16 + zero padding) of ``info``."""
    serial = info.serial.encode("ascii")[:16].ljust(16, b"\x00")
    uuid = info.uuid.encode("ascii")[:20]
    body = b"".join(
        [
            bytes([0x10, 2]),
            info.sequence.to_bytes(2, "little"),
            info.state_info.to_bytes(2, "little"),
            serial,
            _i(info.drone_lon, _DEG_TO_RAD7, 4),
            _i(info.drone_lat, _DEG_TO_RAD7, 4),
            _i(info.altitude_m, _FEET_PER_M, 2),
            _i(info.height_m, _FEET_PER_M, 2),
            _i(info.v_north_mps, 100, 2),
            _i(info.v_east_mps, 100, 2),
            _i(info.v_up_mps, 100, 2),
            _i(info.yaw_deg, 100, 2),
            info.gps_time_ms.to_bytes(8, "little"),
            _i(info.pilot_lat, _DEG_TO_RAD7, 4),
            _i(info.pilot_lon, _DEG_TO_RAD7, 4),
            _i(info.home_lon, _DEG_TO_RAD7, 4),
            _i(info.home_lat, _DEG_TO_RAD7, 4),
            bytes([info.device_type_code, len(uuid)]),
            uuid.ljust(20, b"\x00"),
        ]
    )
    message = bytes([len(body)]) + body
    message += crc16_droneid(message).to_bytes(2, "little")
    assert len(message) == MESSAGE_BYTES
    return message.ljust(PAYLOAD_BYTES, b"\x00")


def encode_bits(payload: bytes, *, corrupt_crc: bool = False) -> np.ndarray:
    """The 7200 scrambled channel bits of a 173-byte payload.

    ``corrupt_crc`` flips one CRC-24 bit: a frame that decodes cleanly but must be
    rejected (for tests of the "bad CRC never gives data" rule).
    """
    if len(payload) != PAYLOAD_BYTES:
        raise ValueError(f"a DroneID payload is {PAYLOAD_BYTES} bytes, not {len(payload)}")
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    parity = crc24a(bits)
    crc_bits = np.array([(parity >> (23 - i)) & 1 for i in range(24)], dtype=np.uint8)
    if corrupt_crc:
        crc_bits[0] ^= 1
    block = np.concatenate([bits, crc_bits])
    assert block.size == K_BITS
    coded = rate_match(turbo_encode(block), E_BITS)
    return coded ^ gold_sequence(E_BITS)


def _qpsk(bits: np.ndarray) -> np.ndarray:
    """LTE QPSK (TS 36.211 §7.1.2): bit pairs to (+-1 +-j) / sqrt(2), 0 -> +."""
    b = bits.reshape(-1, 2).astype(float)
    return ((1 - 2 * b[:, 0]) + 1j * (1 - 2 * b[:, 1])) / math.sqrt(2)


def droneid_grid(payload: bytes, *, n_symbols: int = 9, corrupt_crc: bool = False) -> np.ndarray:
    """The burst's subcarrier values: ``(n_symbols, 601)`` complex on subcarriers −300…300 (DC empty).

    Data symbols carry the LTE-QPSK channel bits, the Zadoff-Chu symbols their roots, and (9-symbol
    frames) the first symbol the start of the scrambling sequence, which the NDSS receiver expects.
    """
    bits = encode_bits(payload, corrupt_crc=corrupt_crc).reshape(6, 2 * N_CARRIERS)
    used = np.concatenate([np.arange(0, 300), np.arange(301, 601)])  # columns of −300…−1, 1…300
    grid = np.zeros((n_symbols, N_CARRIERS + 1), complex)
    for row, sym in zip(bits, DATA_SYMBOLS[n_symbols], strict=True):
        grid[sym, used] = _qpsk(row)
    if n_symbols == 9:
        grid[0, used] = _qpsk(gold_sequence(2 * N_CARRIERS))
    for sym, root in zip(ZC_SYMBOLS[n_symbols], ZC_ROOTS, strict=True):
        grid[sym] = zadoff_chu(root)
    return grid


def droneid_burst(
    payload: bytes,
    *,
    sample_rate_hz: float = SAMPLE_RATE_HZ,
    n_symbols: int = 9,
    corrupt_crc: bool = False,
) -> np.ndarray:
    """Complex baseband of one DroneID burst (unit mean power) at ``sample_rate_hz``."""
    grid = droneid_grid(payload, n_symbols=n_symbols, corrupt_crc=corrupt_crc)
    spectra = np.zeros((n_symbols, N_FFT), complex)
    spectra[:, np.arange(-300, 301) % N_FFT] = grid
    symbols = np.fft.ifft(spectra, axis=1) * math.sqrt(N_FFT**2 / N_CARRIERS)
    parts = []
    for sym, cp in zip(symbols, CP_SCHEDULES[n_symbols], strict=True):
        parts.extend([sym[-cp:], sym])
    burst = np.concatenate(parts)
    if sample_rate_hz != SAMPLE_RATE_HZ:
        ratio = Fraction(sample_rate_hz / SAMPLE_RATE_HZ).limit_denominator(5000)
        burst = _signal.resample_poly(burst, ratio.numerator, ratio.denominator)
    return burst


def droneid_capture(
    payload: bytes,
    *,
    sample_rate_hz: float,
    offset_hz: float = 0.0,
    snr_db: float = 30.0,
    taps: tuple[complex, ...] = (1.0,),
    tap_spacing_s: float = 1 / SAMPLE_RATE_HZ,
    lead_s: float = 400e-6,
    tail_s: float = 300e-6,
    n_symbols: int = 9,
    corrupt_crc: bool = False,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """A capture holding one burst: ``offset_hz`` from the centre, through multipath
    ``taps`` (spaced ``tap_spacing_s``), in white noise at ``snr_db`` within the 9 MHz band.
    """
    rng = rng if rng is not None else np.random.default_rng()
    burst = droneid_burst(payload, sample_rate_hz=SAMPLE_RATE_HZ, n_symbols=n_symbols,
                          corrupt_crc=corrupt_crc)  # fmt: skip
    # Multipath on the 15.36 MS/s grid (fractional spacings rounded to it).
    step = max(1, round(tap_spacing_s * SAMPLE_RATE_HZ))
    fir = np.zeros(step * (len(taps) - 1) + 1, complex)
    fir[::step] = taps
    burst = np.convolve(burst, fir)
    if sample_rate_hz != SAMPLE_RATE_HZ:
        ratio = Fraction(sample_rate_hz / SAMPLE_RATE_HZ).limit_denominator(5000)
        burst = _signal.resample_poly(burst, ratio.numerator, ratio.denominator)
    lead = int(lead_s * sample_rate_hz)
    total = lead + burst.size + int(tail_s * sample_rate_hz)
    x = np.zeros(total, complex)
    x[lead : lead + burst.size] = burst
    t = np.arange(total) / sample_rate_hz
    x *= np.exp(2j * np.pi * offset_hz * t + 1j * rng.uniform(0, 2 * np.pi))
    signal_power = float(np.mean(np.abs(burst) ** 2))
    noise_power = signal_power / 10 ** (snr_db / 10) * sample_rate_hz / OCCUPIED_HZ
    noise = rng.normal(size=(total, 2)) @ np.array([1, 1j]) * math.sqrt(noise_power / 2)
    return (x + noise).astype(np.complex64)
