"""Baseband waveform generators shared by the signature builders.

Pure functions: parameters in physical units, complex64 out at the requested
sample rate. References: LoRa chirp structure from Semtech AN1200.22 ("LoRa
Modulation Basics") — a symbol of spreading factor SF spans 2^SF chips over
bandwidth BW, duration 2^SF/BW, frequency slope BW²/2^SF; GFSK as a Gaussian-
filtered frequency pulse (BT product) integrated to phase, as in the
Bluetooth Core Specification Vol 2 Part A §3.
"""

from __future__ import annotations

import functools

import numpy as np

from rfclassify.dsp.baseband import mix


def lora_symbol_duration_s(sf: int, bw_hz: float) -> float:
    """Duration of one LoRa symbol: 2^SF / BW seconds."""
    return (2**sf) / bw_hz


def lora_chirps(
    values: np.ndarray | list[int],
    sf: int,
    bw_hz: float,
    fs_hz: float,
    down: bool | np.ndarray = False,
) -> np.ndarray:
    """Concatenated LoRa chirp symbols.

    Each symbol sweeps ``bw_hz`` in ``2^sf / bw_hz`` seconds, starting at
    frequency ``-bw/2 + value·bw/2^sf`` and wrapping at ``+bw/2`` (an
    up-chirp; ``down=True`` — or a per-symbol boolean array — gives
    down-chirps). Phase is continuous across symbols.
    """
    values = np.asarray(values, dtype=np.int64)
    n_chips = 2**sf
    t_sym = n_chips / bw_hz
    n_sym = round(t_sym * fs_hz)
    t = np.arange(n_sym) / fs_hz
    downs = np.broadcast_to(np.asarray(down, dtype=bool), values.shape)
    out = np.empty(len(values) * n_sym, dtype=np.complex64)
    phase0 = 0.0
    slope = bw_hz / t_sym  # Hz/s
    for i, (v, is_down) in enumerate(zip(values, downs)):
        f0 = -bw_hz / 2 + (v % n_chips) * bw_hz / n_chips
        f = f0 + slope * t
        f = (f + bw_hz / 2) % bw_hz - bw_hz / 2  # wrap into the band
        if is_down:
            f = -f
        phase = phase0 + 2 * np.pi * np.cumsum(f) / fs_hz
        out[i * n_sym : (i + 1) * n_sym] = np.exp(1j * phase)
        phase0 = float(phase[-1])
    return out


def gaussian_pulse(bt: float, samples_per_symbol: int, span_symbols: int = 4) -> np.ndarray:
    """Gaussian frequency-shaping filter with bandwidth-time product ``bt``, unit sum."""
    t = np.arange(-span_symbols * samples_per_symbol / 2, span_symbols * samples_per_symbol / 2 + 1)
    t = t / samples_per_symbol
    sigma = np.sqrt(np.log(2)) / (2 * np.pi * bt)
    h = np.exp(-(t**2) / (2 * sigma**2))
    return h / h.sum()


def gfsk(
    bits: np.ndarray,
    symbol_rate_hz: float,
    deviation_hz: float,
    fs_hz: float,
    bt: float | None = 0.5,
) -> np.ndarray:
    """Binary (G)FSK: bit 1 → +deviation, bit 0 → −deviation; ``bt=None`` for plain FSK.

    ``fs_hz`` is rounded down to an integer number of samples per symbol for
    the shaping; the output has ``len(bits)·sps`` samples at ``sps·symbol_rate``
    — callers that need an exact rate resample (see :func:`resample`).
    """
    sps = max(2, round(fs_hz / symbol_rate_hz))
    levels = np.repeat(2.0 * np.asarray(bits, dtype=np.float64) - 1.0, sps)
    if bt is not None:
        levels = np.convolve(levels, gaussian_pulse(bt, sps), mode="same")
    phase = 2 * np.pi * deviation_hz * np.cumsum(levels) / (sps * symbol_rate_hz)
    return np.exp(1j * phase).astype(np.complex64)


def resample(x: np.ndarray, fs_in_hz: float, fs_out_hz: float) -> np.ndarray:
    """Resample complex samples from ``fs_in_hz`` to ``fs_out_hz`` (polyphase, anti-aliased)."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    if abs(fs_in_hz - fs_out_hz) < 1e-6 * fs_out_hz:
        return x.astype(np.complex64)
    ratio = Fraction(fs_out_hz / fs_in_hz).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.complex64)


def frequency_shift(x: np.ndarray, shift_hz: float, fs_hz: float, t0_s: float = 0.0) -> np.ndarray:
    """Multiply by ``exp(j·2π·shift·t)`` (complex64, :func:`rfclassify.dsp.baseband.mix`); ``t0_s`` keeps
    phase continuous across blocks."""
    y = mix(x, shift_hz / fs_hz)
    if t0_s and shift_hz:
        y *= np.complex64(np.exp(2j * np.pi * shift_hz * t0_s))
    return y


def lora_sync_symbols(sync_word: int, sf: int) -> tuple[int, int]:
    """The two network-identifier upchirp values that encode a LoRa sync word.

    Each nibble of the 8-bit sync word is sent as one upchirp of value
    ``nibble·8`` (mod 2^SF): 0x12 (private, SX127x default) → 8, 16; 0x34
    (LoRaWAN public) → 24, 32. This is the mapping measured by Tapparel et al.
    in gr-lora_sdr (EPFL, "An Open-Source LoRa Physical Layer Prototype on
    GNU Radio", SPAWC 2020).
    """
    n = 2**sf
    return ((sync_word >> 4) * 8 % n, (sync_word & 0x0F) * 8 % n)


def lora_payload_symbols(
    payload_bytes: int, sf: int, cr: int = 1, crc: bool = True, implicit_header: bool = False,
    low_data_rate: bool = False,
) -> int:
    """Number of payload symbols of an SX127x LoRa packet (Semtech SX1276 datasheet §4.1.1.7).

    ``cr`` is 1..4 for coding rates 4/5..4/8. The preamble adds
    ``n_preamble + 4.25`` symbols (2 sync-word upchirps + 2.25 downchirps).
    """
    num = 8 * payload_bytes - 4 * sf + 28 + 16 * int(crc) - 20 * int(implicit_header)
    den = 4 * (sf - 2 * int(low_data_rate))
    return 8 + max(int(np.ceil(num / den)) * (cr + 4), 0)


def lora_frame(
    payload: np.ndarray | list[int],
    sf: int,
    bw_hz: float,
    fs_hz: float,
    n_preamble: int = 8,
    sync_word: int = 0x12,
    invert_iq: bool = False,
) -> np.ndarray:
    """One LoRa packet at baseband, vectorized (no per-symbol loop).

    Layout (Semtech AN1200.22; SX1276/SX1280 datasheets): ``n_preamble``
    upchirps of value 0, two sync-word upchirps (:func:`lora_sync_symbols`),
    2.25 downchirps (SFD), then one upchirp per payload value (each value in
    ``[0, 2^SF)``). An up-chirp of value ``v`` starts at ``-bw/2 + v·bw/2^SF``
    and sweeps at ``bw²/2^SF`` Hz/s, wrapping at ``+bw/2``; phase is continuous.
    ``invert_iq`` conjugates the packet (LoRaWAN downlinks). Pick ``fs_hz`` as a
    multiple of ``bw_hz`` so symbols hold a whole number of samples.
    """
    n_chips = 2**sf
    n_sym = round(n_chips / bw_hz * fs_hz)
    values = np.concatenate(
        (
            np.zeros(n_preamble, dtype=np.int64),
            np.asarray(lora_sync_symbols(sync_word, sf), dtype=np.int64),
            np.zeros(3, dtype=np.int64),
            np.asarray(payload, dtype=np.int64) % n_chips,
        )
    )
    down = np.zeros(len(values), dtype=bool)
    down[n_preamble + 2 : n_preamble + 5] = True
    lengths = np.full(len(values), n_sym, dtype=np.int64)
    lengths[n_preamble + 4] = n_sym // 4  # the quarter downchirp
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    total = int(lengths.sum())
    k_in_sym = np.arange(total) - np.repeat(starts, lengths)
    # Frequency offset from the band bottom, in Hz, wrapping at bw.
    f_hz = np.mod(np.repeat(values, lengths) * (bw_hz / n_chips) + k_in_sym * (bw_hz / n_sym), bw_hz)
    f_hz -= bw_hz / 2
    f_hz[np.repeat(down, lengths)] *= -1.0
    phase = (2 * np.pi / fs_hz) * np.cumsum(f_hz)
    x = np.exp(1j * phase).astype(np.complex64)
    return np.conj(x) if invert_iq else x


# --- OFDM (appended for the wideband signatures: dji-ocusync, wifi) ---------
# OFDM symbol construction follows the textbook IFFT + cyclic-prefix model of
# IEEE 802.11-2020 §17.3.5.10 and 3GPP TS 36.211 §6.12; Zadoff-Chu sequences
# as in TS 36.211 §5.5.1.1 (x_u(n) = exp(-jπ·u·n(n+1)/N_ZC)).


def zadoff_chu(root: int, length: int) -> np.ndarray:
    """Zadoff-Chu sequence ``exp(-jπ·root·n(n+1)/length)``, n = 0…length-1 (complex128)."""
    n = np.arange(length, dtype=np.float64)
    return np.exp(-1j * np.pi * root * n * (n + 1) / length)


def qam_symbols(rng: np.random.Generator, shape: int | tuple[int, ...], bits_per_symbol: int) -> np.ndarray:
    """Random Gray-free square-QAM points with unit mean power: 1 → BPSK, 2 → QPSK, 4 → 16-QAM, 6 → 64-QAM."""
    if bits_per_symbol == 1:
        return (2.0 * rng.integers(0, 2, shape) - 1.0).astype(np.complex128)
    m = 2 ** (bits_per_symbol // 2)
    levels = 2.0 * np.arange(m) - (m - 1)
    scale = np.sqrt(2.0 * (m * m - 1) / 3.0)
    return (levels[rng.integers(0, m, shape)] + 1j * levels[rng.integers(0, m, shape)]) / scale


@functools.lru_cache(maxsize=8)
def qam_byte_table(bits_per_symbol: tuple[int, ...]) -> np.ndarray:
    """Lookup table for fast random QAM: row q maps a byte to a unit-power point of ``bits_per_symbol[q]`` bits.

    Square QAM of 2, 4, 6 or 8 bits (QPSK, 16-, 64-, 256-QAM): I from the
    byte's low nibble and Q from its high nibble, each modulo the √M levels;
    16 is a multiple of every level count, so a uniformly random byte gives
    uniformly random points. Index it as ``table[row, bytes]``.
    """
    byte = np.arange(256)
    table = np.empty((len(bits_per_symbol), 256), dtype=np.complex128)
    for q, bits in enumerate(bits_per_symbol):
        if bits not in (2, 4, 6, 8):
            raise ValueError(f"square QAM of {bits} bits is not tabulated (2, 4, 6 or 8)")
        m = 2 ** (bits // 2)
        scale = np.sqrt(2.0 * (m * m - 1) / 3.0)
        table[q] = ((2.0 * ((byte & 15) % m) - (m - 1)) + 1j * (2.0 * ((byte >> 4) % m) - (m - 1))) / scale
    return table


def ofdm_modulate(
    coeffs: np.ndarray,
    k: np.ndarray,
    nfft: int,
    cp: np.ndarray | int,
    body: np.ndarray | int | None = None,
    k0: int = 0,
) -> np.ndarray:
    """Time-domain OFDM: one row of ``coeffs`` per symbol on subcarriers ``k`` (integers, 0 = carrier).

    Symbol ``i`` is the ``nfft``-point IFFT, cyclically extended to ``cp[i]``
    samples before and ``body[i]`` samples after its reference instant
    (default ``body = nfft``; ``body = 2.5·nfft`` with ``cp = 0`` gives an
    802.11 short training field). ``k0`` re-centres the output on subcarrier
    ``k0`` (a receiver-window slice): subcarrier ``k`` then sits at ``k - k0``
    and each symbol gets the phase the carrier offset accumulates up to its
    reference instant, so the slice equals the full signal mixed down by
    ``k0`` subcarriers. Mean power is 1 per subcarrier of unit power.
    """
    coeffs = np.atleast_2d(np.asarray(coeffs, dtype=np.complex128))
    n_sym = coeffs.shape[0]
    cp = np.broadcast_to(np.asarray(cp, dtype=np.int64), (n_sym,))
    body = np.broadcast_to(np.asarray(nfft if body is None else body, dtype=np.int64), (n_sym,))
    lengths = cp + body
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    if k0:
        ref = starts + cp  # the symbol's reference instant, samples from the first symbol's start
        coeffs = coeffs * np.exp(-2j * np.pi * k0 * ref / nfft)[:, None]
    grid = np.zeros((n_sym, nfft), dtype=np.complex128)
    grid[:, (np.asarray(k) - k0) % nfft] = coeffs
    time = np.fft.ifft(grid, axis=1) * np.sqrt(nfft)
    # Every symbol cut from one extended row (its longest prefix and body), then the rows joined
    # through a mask that keeps each symbol's own span: one pass, no per-sample index arrays.
    c_max, b_max = int(cp.max()), int(body.max())
    if b_max <= nfft and c_max <= nfft:  # prefix and body are two plain slices of each row
        ext = np.concatenate((time[:, nfft - c_max :], time[:, :b_max]), axis=1, dtype=np.complex64)
    else:
        ext = time[:, np.arange(-c_max, b_max) % nfft].astype(np.complex64)
    j = np.arange(c_max + b_max)[None, :]
    keep = (j >= (c_max - cp)[:, None]) & (j < (c_max + body)[:, None])
    return ext[keep]


def ofdm_slice_plan(
    k_used: np.ndarray,
    spacing_hz: float,
    center_hz: float,
    window_hz: tuple[float, float] | None,
    nfft_full: int,
    nfft_step: int,
    oversample: float = 1.25,
    margin_subcarriers: int = 2,
) -> tuple[np.ndarray, int, int, float] | None:
    """Which subcarriers a receiver window sees, and the smallest FFT that carries them.

    ``k_used`` are the signal's subcarriers around ``center_hz``. Returns
    ``(k_kept, k0, nfft, power_fraction)``: the subcarriers inside the window
    (plus ``margin_subcarriers`` either side, so the receiver's own filter
    makes the edge), the slice centre subcarrier, an FFT size that is a
    multiple of ``nfft_step`` (so cyclic prefixes stay whole samples) and at
    most ``nfft_full``, with ``nfft·spacing ≥ oversample·slice width``, and
    the share of subcarriers kept. ``None`` if the window misses the signal.
    """
    k_used = np.asarray(k_used)
    if window_hz is None:
        return k_used, 0, nfft_full, 1.0
    lo = (window_hz[0] - center_hz) / spacing_hz - margin_subcarriers
    hi = (window_hz[1] - center_hz) / spacing_hz + margin_subcarriers
    kept = k_used[(k_used >= lo) & (k_used <= hi)]
    if len(kept) == 0:
        return None
    k0 = int(np.rint(0.5 * (kept[0] + kept[-1])))
    span = int(kept[-1] - kept[0]) + 1
    if len(kept) == len(k_used):
        return k_used, 0, nfft_full, 1.0
    nfft = min(nfft_full, nfft_step * int(np.ceil(oversample * span / nfft_step)))
    return kept, k0, nfft, len(kept) / len(k_used)


# --- Cellular (LTE, NR) sequences and numerology ------------------------------
# From the 3GPP specifications cited per function; m-sequence recursions are written
# out as in the standard's equations (x(i+n) from earlier terms, modulo 2).


def _m_sequence(taps: tuple[int, ...], init: tuple[int, ...], length: int) -> np.ndarray:
    """Binary sequence x(i) with x(i + n) = Σ x(i + t) mod 2 over ``taps``; ``init`` = x(0)…x(n−1)."""
    n = len(init)
    x = np.zeros(length + n, dtype=np.int64)
    x[:n] = init
    for i in range(length):
        x[i + n] = sum(int(x[i + t]) for t in taps) % 2
    return x[:length]


def normal_cp_lengths(nfft: int, mu: int, n_symbols: int) -> np.ndarray:
    """Normal cyclic prefix of each symbol, in samples at ``nfft``·15·2^µ kHz (LTE is µ = 0).

    TS 38.211 §5.3.1 (and TS 36.211 Table 6.12-1 for LTE): 144·nfft/2048 samples,
    plus 16·2^µ·nfft/2048 on the first symbol of every 0.5 ms (symbol 0 of
    each group of 7·2^µ symbols). At 30.72 MS/s and 15 kHz: 160 / 144 samples.
    ``nfft`` must be a multiple of 128 (whole samples).
    """
    if nfft % 128:
        raise ValueError(f"nfft {nfft} is not a multiple of 128: cyclic prefixes would not be whole samples")
    cp = np.full(n_symbols, 144 * nfft // 2048, dtype=np.int64)
    cp[:: 7 * 2**mu] += 16 * 2**mu * nfft // 2048
    return cp


def gold_sequence(c_init: np.ndarray | list[int], length: int) -> np.ndarray:
    """Length-31 Gold sequences c(n), n < ``length``, one row per ``c_init`` (TS 36.211 §7.2, TS 38.211 §5.2.1).

    x1(n+31) = x1(n+3) + x1(n), x1 initialised to 1, 0, …, 0; x2(n+31) = x2(n+3) +
    x2(n+2) + x2(n+1) + x2(n), initialised with the bits of ``c_init``; c(n) =
    x1(n + 1600) + x2(n + 1600), all modulo 2. Vectorized over the rows.
    """
    c_init = np.atleast_1d(np.asarray(c_init, dtype=np.int64))
    total = length + 1600
    x1 = np.zeros(total + 31, dtype=np.int8)
    x1[0] = 1
    x2 = np.zeros((len(c_init), total + 31), dtype=np.int8)
    x2[:, :31] = (c_init[:, None] >> np.arange(31)[None, :]) & 1
    for n in range(total):
        x1[n + 31] = x1[n + 3] ^ x1[n]
        x2[:, n + 31] = x2[:, n + 3] ^ x2[:, n + 2] ^ x2[:, n + 1] ^ x2[:, n]
    return (x1[None, 1600:total] ^ x2[:, 1600:total]).astype(np.int8)


def lte_pss(n_id2: int) -> np.ndarray:
    """LTE primary synchronization signal d(0…61) of ``n_id2`` ∈ {0, 1, 2} (TS 36.211 §6.11.1.1).

    The length-63 Zadoff-Chu sequence of root 25, 29 or 34 (Table 6.11.1.1-1)
    without its middle element n = 31, which would sit on the DC subcarrier.
    """
    root = (25, 29, 34)[n_id2]
    return np.delete(zadoff_chu(root, 63), 31)


def lte_sss(n_id1: int, n_id2: int, subframe: int) -> np.ndarray:
    """LTE secondary synchronization signal d(0…61) in subframe 0 or 5 (TS 36.211 §6.11.2.1).

    Two interleaved length-31 m-sequences cyclically shifted by m0, m1 (from
    ``n_id1`` ∈ 0…167), scrambled by c0/c1 (shifted by ``n_id2``) and z1; the
    halves swap between subframes 0 and 5, which tells a receiver where the
    10 ms frame starts.
    """
    q1 = n_id1 // 30
    q = (n_id1 + q1 * (q1 + 1) // 2) // 30
    m1_ = n_id1 + q * (q + 1) // 2
    m0 = m1_ % 31
    m1 = (m0 + m1_ // 31 + 1) % 31
    s = 1 - 2 * _m_sequence((0, 2), (0, 0, 0, 0, 1), 31)
    c = 1 - 2 * _m_sequence((0, 3), (0, 0, 0, 0, 1), 31)
    z = 1 - 2 * _m_sequence((0, 1, 2, 4), (0, 0, 0, 0, 1), 31)
    n = np.arange(31)
    s0, s1 = s[(n + m0) % 31], s[(n + m1) % 31]
    c0, c1 = c[(n + n_id2) % 31], c[(n + n_id2 + 3) % 31]
    z10, z11 = z[(n + m0 % 8) % 31], z[(n + m1 % 8) % 31]
    d = np.empty(62, dtype=np.float64)
    if subframe == 0:
        d[0::2], d[1::2] = s0 * c0, s1 * c1 * z10
    elif subframe == 5:
        d[0::2], d[1::2] = s1 * c0, s0 * c1 * z11
    else:
        raise ValueError(f"the SSS is sent in subframes 0 and 5, not {subframe}")
    return d


def nr_pss(n_id2: int) -> np.ndarray:
    """NR primary synchronization signal d(0…126) of ``n_id2`` ∈ {0, 1, 2} (TS 38.211 §7.4.2.2.1).

    BPSK m-sequence x(i+7) = x(i+4) + x(i) mod 2 from x(0…6) = 0 1 1 0 1 1 1,
    cyclically shifted by 43·``n_id2``.
    """
    x = _m_sequence((0, 4), (0, 1, 1, 0, 1, 1, 1), 127)
    return (1 - 2 * x[(np.arange(127) + 43 * n_id2) % 127]).astype(np.float64)


def nr_sss(n_id1: int, n_id2: int) -> np.ndarray:
    """NR secondary synchronization signal d(0…126) (TS 38.211 §7.4.2.3.1), ``n_id1`` ∈ 0…335.

    Product of two BPSK m-sequences (x0: x(i+7) = x(i+4) + x(i); x1: x(i+7) =
    x(i+1) + x(i); both from 1 0 0 0 0 0 0) shifted by m0 = 15·⌊n_id1/112⌋ +
    5·n_id2 and m1 = n_id1 mod 112.
    """
    x0 = _m_sequence((0, 4), (1, 0, 0, 0, 0, 0, 0), 127)
    x1 = _m_sequence((0, 1), (1, 0, 0, 0, 0, 0, 0), 127)
    m0 = 15 * (n_id1 // 112) + 5 * n_id2
    m1 = n_id1 % 112
    n = np.arange(127)
    return ((1 - 2 * x0[(n + m0) % 127]) * (1 - 2 * x1[(n + m1) % 127])).astype(np.float64)


def _largest_prime_below(m: int) -> int:
    """Largest prime strictly below ``m`` (``m`` ≥ 3)."""
    return max(p for p in range(2, m) if all(p % d for d in range(2, int(p**0.5) + 1)))


def sc_fdma_frequency_rows(
    rng: np.random.Generator, n_symbols: int, m: int, bits_per_symbol: int, reference_rows: np.ndarray
) -> np.ndarray:
    """Frequency-domain rows of an LTE uplink allocation of ``m`` subcarriers (input of :func:`sc_fdma_modulate`).

    Data rows are random QAM of ``bits_per_symbol`` transform-precoded by the
    ``m``-point DFT scaled by 1/√m (TS 36.211 §5.3.3); rows where
    ``reference_rows`` is True carry a demodulation reference signal (§5.5.2.1):
    a Zadoff-Chu sequence of the largest prime length below ``m``, cyclically
    extended to ``m`` (§5.5.1.1; for ``m`` < 36 the standard tabulates QPSK
    sequences instead — approximated here by the same construction).
    """
    data = qam_symbols(rng, (n_symbols, m), bits_per_symbol)
    rows = np.fft.fft(data, axis=1) / np.sqrt(m)
    n_zc = _largest_prime_below(max(m, 3))
    ref = zadoff_chu(int(rng.integers(1, n_zc)), n_zc)[np.arange(m) % n_zc]
    rows[np.asarray(reference_rows, dtype=bool)] = ref
    return rows


def sc_fdma_modulate(rows: np.ndarray, nfft: int, cp: np.ndarray | int) -> np.ndarray:
    """LTE uplink SC-FDMA time signal of one allocation (TS 36.211 §5.6), complex64 at ``nfft``·15 kHz.

    Each row of ``rows`` holds the ``M`` frequency-domain values of one SC-FDMA
    symbol (see :func:`sc_fdma_frequency_rows`), mapped onto ``M`` contiguous
    subcarriers centred on 0 with the uplink's half-subcarrier offset:
    value j sits at (j − ⌊M/2⌋ + ½)·Δf, the phase running from the start of
    each cyclic prefix as in s_l(t) = Σ a_k·exp(j2π(k + ½)Δf(t − N_CP·T_s)).
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=np.complex128))
    m = rows.shape[1]
    cp = np.broadcast_to(np.asarray(cp, dtype=np.int64), (rows.shape[0],))
    x = ofdm_modulate(rows, np.arange(m) - m // 2, nfft, cp).astype(np.complex128)
    # The half-subcarrier offset: exp(jπ(n − cp)/nfft), n counted from each symbol's first sample.
    lengths = cp + nfft
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    n_in = np.arange(len(x)) - np.repeat(starts + cp, lengths)
    return (x * np.exp(1j * np.pi * n_in / nfft)).astype(np.complex64)


# --- Narrowband TDMA / land-mobile modulators (gsm, dect, lmr) ---------------
# Raised-cosine pulses as in TIA-102.BAAA §5 (C4FM: Nyquist raised cosine, roll-off 0.2),
# ETSI TS 102 361-1 §10.2 (DMR 4FSK: root raised cosine, roll-off 0.2) and ETSI EN 300 392-2
# §5.4 (TETRA π/4-DQPSK: root raised cosine, roll-off 0.35).


def raised_cosine_taps(rolloff: float, samples_per_symbol: int, span_symbols: int = 8, root: bool = False) -> np.ndarray:
    """(Root) raised-cosine impulse response, ``span_symbols·sps + 1`` taps, peak 1 at the centre.

    The raised cosine is zero at every other symbol instant (no intersymbol
    interference at the sampling instants); its root splits that response
    between transmitter and receiver.
    """
    t = np.arange(-span_symbols * samples_per_symbol / 2, span_symbols * samples_per_symbol / 2 + 1) / samples_per_symbol
    a = float(rolloff)
    if not root:
        h = np.sinc(t) * np.cos(np.pi * a * t)
        denom = 1.0 - (2.0 * a * t) ** 2
        singular = np.isclose(denom, 0.0)
        h = np.where(singular, np.pi / 4 * np.sinc(1.0 / (2.0 * a)), h / np.where(singular, 1.0, denom))
        return h / h[len(h) // 2]
    num = np.sin(np.pi * t * (1 - a)) + 4 * a * t * np.cos(np.pi * t * (1 + a))
    den = np.pi * t * (1 - (4 * a * t) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = num / den
    h[np.isclose(t, 0.0)] = 1.0 - a + 4 * a / np.pi
    edge = np.isclose(np.abs(t), 1.0 / (4 * a))
    h[edge] = a / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * a)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * a)))
    return h / h[len(h) // 2]


def shaped_fsk(
    levels: np.ndarray,
    symbol_rate_hz: float,
    deviation_hz: float,
    samples_per_symbol: int,
    rolloff: float = 0.2,
    root: bool = False,
) -> np.ndarray:
    """Continuous-phase multilevel FSK: frequency ``level·deviation_hz`` per symbol, pulse-shaped.

    ``levels`` are the symbol values (±1, ±3 for 4FSK/C4FM); each becomes an
    impulse filtered by a (root) raised cosine of ``rolloff``, so the
    instantaneous frequency passes through ``level·deviation_hz`` at the symbol
    instants (exactly so for ``root=False``). Output at ``sps·symbol_rate_hz``.
    """
    sps = int(samples_per_symbol)
    impulses = np.zeros(len(levels) * sps)
    impulses[sps // 2 :: sps] = np.asarray(levels, dtype=np.float64)
    freq_hz = deviation_hz * np.convolve(impulses, raised_cosine_taps(rolloff, sps, 8, root), mode="same")
    phase = 2 * np.pi * np.cumsum(freq_hz) / (sps * symbol_rate_hz)
    return np.exp(1j * phase).astype(np.complex64)


def pi4_dqpsk(dibits: np.ndarray, samples_per_symbol: int, rolloff: float = 0.35) -> np.ndarray:
    """π/4-DQPSK: each dibit turns the phase by ±π/4 or ±3π/4, root-raised-cosine shaped.

    Dibit mapping (ETSI EN 300 392-2 §5.5.2, Table 5.2): 00 → +π/4, 01 → +3π/4,
    11 → −3π/4, 10 → −π/4. Output at ``sps`` samples per symbol, one symbol per
    dibit (rows of ``dibits``: ``(n, 2)`` bits).
    """
    d = np.asarray(dibits, dtype=np.int64).reshape(-1, 2)
    step = np.array([[np.pi / 4, 3 * np.pi / 4], [-np.pi / 4, -3 * np.pi / 4]])[d[:, 0], d[:, 1]]
    symbols = np.exp(1j * np.cumsum(step))
    sps = int(samples_per_symbol)
    up = np.zeros(len(symbols) * sps, dtype=np.complex128)
    up[sps // 2 :: sps] = symbols
    return np.convolve(up, raised_cosine_taps(rolloff, sps, 8, root=True), mode="same").astype(np.complex64)


# --- Pulse, DSSS and FM modulators (adsb, zigbee, fm-broadcast) -------------


def pulse_envelope(
    starts_s: np.ndarray, widths_s: np.ndarray | float, n_samples: int, fs_hz: float, rise_s: float
) -> np.ndarray:
    """Real envelope (0…1) of rectangular pulses with raised-cosine edges, ``n_samples`` long.

    Pulse ``i`` is on from ``starts_s[i]`` for ``widths_s[i]`` (seconds, at the
    half-amplitude points); each edge rises over ``rise_s`` (10–90 % ≈ 0.6·``rise_s``).
    Edges fall between samples at their exact times (linear interpolation of
    the on-time into the first and last sample), so pulse positions are not
    quantized to the sample grid. Overlapping pulses saturate at 1.
    """
    starts = np.asarray(starts_s, dtype=np.float64)
    ends = starts + np.broadcast_to(np.asarray(widths_s, dtype=np.float64), starts.shape)
    steps = np.zeros(n_samples + 1, dtype=np.float64)
    for edges, sign in ((starts, 1.0), (ends, -1.0)):
        pos = np.clip(edges * fs_hz, 0.0, n_samples)
        i = np.floor(pos).astype(np.int64)
        frac = pos - i
        np.add.at(steps, i, sign * (1.0 - frac))
        np.add.at(steps, np.minimum(i + 1, n_samples), sign * frac)
    level = np.minimum(np.cumsum(steps)[:n_samples], 1.0)
    n_rise = round(rise_s * fs_hz)
    if n_rise > 1:
        win = np.hanning(n_rise + 2)[1:-1]
        level = np.convolve(level, win / win.sum(), mode="same")
    return level


def oqpsk_half_sine(chips: np.ndarray, samples_per_chip: int) -> np.ndarray:
    """O-QPSK with half-sine pulses (IEEE 802.15.4-2020 §12.2.6): even chips on I, odd chips on Q.

    Chips are 0/1 (→ −1/+1); each chip's half-sine pulse lasts two chip
    periods and the Q branch lags I by one chip period, so the envelope is
    constant (the signal is MSK at the chip rate). Returns
    ``(len(chips) + 1)·samples_per_chip`` complex64 samples at
    ``samples_per_chip × chip rate``, unit power.
    """
    chips = 2.0 * np.asarray(chips, dtype=np.float64) - 1.0
    if len(chips) % 2:
        chips = np.append(chips, 1.0)
    sps = int(samples_per_chip)
    pulse = np.sin(np.pi * np.arange(2 * sps) / (2 * sps))
    n = (len(chips) + 1) * sps
    i_branch = np.zeros(n)
    q_branch = np.zeros(n)
    pairs = len(chips) // 2
    # I pulse k starts at 2k chips, Q pulse k at 2k + 1 chips: each branch is a train of
    # non-overlapping half-sines, so it is one reshape and no convolution.
    i_branch[: pairs * 2 * sps] = (chips[0::2, None] * pulse[None, :]).ravel()
    q_branch[sps : sps + pairs * 2 * sps] = (chips[1::2, None] * pulse[None, :]).ravel()
    return (i_branch + 1j * q_branch).astype(np.complex64)


def raised_cosine_pulse(samples_per_symbol: int, rolloff: float, span_symbols: int = 6) -> np.ndarray:
    """Raised-cosine (Nyquist) impulse response ``sinc(t/T)·cos(πβt/T)/(1 − (2βt/T)²)``, peak 1."""
    t = np.arange(-span_symbols * samples_per_symbol, span_symbols * samples_per_symbol + 1) / samples_per_symbol
    denom = 1.0 - (2.0 * rolloff * t) ** 2
    singular = np.abs(denom) < 1e-9
    h = np.sinc(t) * np.cos(np.pi * rolloff * t) / np.where(singular, 1.0, denom)
    # the limit at t = ±T/(2β)
    h[singular] = (np.pi / 4) * np.sinc(1.0 / (2.0 * rolloff))
    return h


def bpsk_shaped(chips: np.ndarray, samples_per_chip: int, rolloff: float = 1.0) -> np.ndarray:
    """BPSK chips (0 → +1, 1 → −1) with raised-cosine pulses of ``rolloff`` at ``samples_per_chip``; complex64."""
    symbols = 1.0 - 2.0 * np.asarray(chips, dtype=np.float64)
    sps = int(samples_per_chip)
    impulses = np.zeros(len(symbols) * sps)
    impulses[::sps] = symbols
    return np.convolve(impulses, raised_cosine_pulse(sps, rolloff), mode="same").astype(np.complex64)


def fm_modulate(message: np.ndarray, deviation_hz: float, fs_hz: float, phase0: float = 0.0) -> np.ndarray:
    """Frequency modulation: instantaneous frequency ``deviation_hz · message`` (message peak 1 = full deviation)."""
    phase = phase0 + (2 * np.pi * deviation_hz / fs_hz) * np.cumsum(np.asarray(message, dtype=np.float64))
    return np.exp(1j * phase).astype(np.complex64)


def lowpass_fft(x: np.ndarray, fs_hz: float, cutoff_hz: float, low_hz: float = 0.0) -> np.ndarray:
    """Real signal band-limited to ``[low_hz, cutoff_hz]`` by zeroing its FFT outside (a brick-wall filter)."""
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / fs_hz)
    spectrum[(f > cutoff_hz) | (f < low_hz)] = 0.0
    return np.fft.irfft(spectrum, len(x))


def differential_encode(bits: np.ndarray, previous: int = 0) -> np.ndarray:
    """Differential encoding: each output bit is the input bit XOR the previous output bit (``previous`` before the first)."""
    b = np.asarray(bits, dtype=np.int64) % 2
    b = np.concatenate(([previous % 2], b))
    return np.bitwise_xor.accumulate(b)[1:]


def _rds_shaped(impulses: np.ndarray, fs_hz: float, bit_rate_hz: float) -> np.ndarray:
    """Impulses filtered by the RDS data-shaping response ``cos(π·f·t_d/4)``, ``f ≤ 2/t_d`` (FFT, circular)."""
    spectrum = np.fft.rfft(impulses)
    f = np.fft.rfftfreq(len(impulses), 1.0 / fs_hz)
    td_s = 1.0 / bit_rate_hz
    spectrum *= np.where(f <= 2.0 / td_s, np.cos(np.pi * f * td_s / 4.0), 0.0)
    return np.fft.irfft(spectrum, len(impulses))


def rds_baseband(encoded_bits: np.ndarray, fs_hz: float, n_samples: int, bit_rate_hz: float = 1187.5) -> np.ndarray:
    """RDS data-shaped biphase baseband (IEC 62106-1 §4 / NRSC-4-B), before the 57 kHz carrier.

    ``encoded_bits`` are already differentially encoded (:func:`differential_encode`).
    Each becomes an impulse pair ±(δ(t) − δ(t − t_d/2)) with t_d = 1/1187.5 s,
    shaped by ``cos(π·f·t_d/4)`` for ``f ≤ 2/t_d`` (zero above), which with the
    biphase confines the spectrum to ±2.4 kHz around the subcarrier. Applied in
    the frequency domain over the record (real, ``n_samples`` at ``fs_hz``;
    ``fs_hz/bit_rate_hz`` should be an even integer). Scaled so that one
    isolated bit peaks at 1, whatever the record length.
    """
    sps = round(fs_hz / bit_rate_hz)
    sign = 2.0 * np.asarray(encoded_bits, dtype=np.float64) - 1.0
    impulses = np.zeros(n_samples)
    pos = np.arange(len(sign)) * sps
    keep = pos + sps // 2 < n_samples
    impulses[pos[keep]] = sign[keep]
    impulses[pos[keep] + sps // 2] = -sign[keep]
    single = np.zeros(8 * sps)
    single[4 * sps], single[4 * sps + sps // 2] = 1.0, -1.0
    peak = float(np.max(np.abs(_rds_shaped(single, fs_hz, bit_rate_hz))))
    return _rds_shaped(impulses, fs_hz, bit_rate_hz) / peak
