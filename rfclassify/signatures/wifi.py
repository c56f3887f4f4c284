"""``wifi``: IEEE 802.11a/g (legacy OFDM) and 802.11n HT20 traffic on one channel.

Physical link, with the public source of every number (IEEE Std 802.11-2020):

* **OFDM numerology** — clause 17.3.2.4 (Table 17-5): 20 MS/s, 64-point FFT,
  subcarrier spacing 312.5 kHz, 3.2 µs useful symbol + 0.8 µs guard interval
  = 4 µs, 48 data + 4 pilot subcarriers (±1…±26, pilots ±7, ±21); occupied
  bandwidth 53·312.5 kHz = 16.6 MHz. HT20 (clause 19.3.7, Table 19-6): 52
  data + 4 pilots on ±1…±28 (17.8 MHz).
* **Preamble** — 17.3.3: L-STF 8 µs (ten 0.8 µs repetitions; the 12 nonzero
  subcarriers of eq. 17-6), L-LTF 8 µs (1.6 µs double guard interval + two
  3.2 µs long symbols; eq. 17-8), SIGNAL 4 µs (BPSK rate 1/2). HT-mixed
  (19.3.9): L-STF, L-LTF, L-SIG, HT-SIG1/2 (QBPSK, 8 µs), HT-STF 4 µs,
  one HT-LTF 4 µs per spatial stream (one stream here).
* **Data rates** — Table 17-4 (6…54 Mb/s: BPSK/QPSK/16-QAM/64-QAM, N_DBPS
  24…216) and Table 19-27 (HT MCS 0–7, N_DBPS 26…260). Symbols per PPDU:
  ⌈(16 + 8·LENGTH + 6)/N_DBPS⌉ (17.3.5.4, eq. 17-11; 19.3.11.1).
* **Pilots** — 17.3.5.10: pilot values {1, 1, 1, −1} on −21, −7, 7, 21,
  multiplied by the 127-periodic polarity sequence produced by the scrambler
  polynomial x⁷ + x⁴ + 1 from the all-ones state (eq. 17-25).
* **Channel access** — 17.4.4 (Table 17-21): aSlotTime 9 µs, aSIFSTime
  16 µs, so DIFS = SIFS + 2·slot = 34 µs; aCWmin 15. Each data frame is
  followed after SIFS by a 14-byte ACK at the highest basic rate (6/12/24
  Mb/s) not above the data rate (10.6.6.5), sent by the peer station. Beacons
  every 100 TU = 102.4 ms (11.1.3.2, default dot11BeaconPeriod), deferred
  while the medium is busy.
* **Channels** — 2.4 GHz channels 1–13 at 2412 + 5·(n − 1) MHz (Table 15-6 /
  E-4); 5 GHz channels 36–64, 100–144, 149–165 at 5000 + 5·n MHz (E-4).

Assumptions (not in the standard): data payloads are a mix of full-size
(1000–1540 B) and short (40–400 B) frames; the station's link rate is drawn
once per emitter and each frame's rate is within one step of it; beacons are
OFDM 6 Mb/s frames of 200–400 B (a 2.4 GHz AP that also serves 802.11b
clients sends them as 1 Mb/s DSSS instead, which is not modelled); the idle
time between exchanges beyond DIFS + backoff is exponential, set so that the
airtime fraction is ``load`` on average. The SIGNAL/HT-SIG and data
subcarriers carry random constellation points of the right modulation (the
spectrum and timing are what a classifier sees; the bits are not decodable).

Builder parameters (``EmitRequest.params``): ``standard`` (``"11a"``,
``"11g"`` — same waveform, 11a in 5 GHz — or ``"11n"``), ``load`` (airtime
fraction, 0 < load < 1), ``rate_index`` (index into the standard's rate
table), ``beacons`` (bool). Missing ones are drawn from the generator.

Under a receiver window only the visible subcarriers are synthesized, at the
smallest multiple of 16 FFT points (5, 10, 15 or 20 MS/s) that carries them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rfclassify.dsp.modulation import ofdm_modulate, ofdm_slice_plan, qam_symbols
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature

SPACING_HZ = 312.5e3
NFFT = 64
FS_HZ = NFFT * SPACING_HZ  # 20 MS/s
CP = 16  # 0.8 µs at 20 MS/s
NFFT_STEP = 16  # smallest FFT for which STF period (nfft/4) and CP (nfft/4) stay whole samples
SIFS_S = 16e-6
SLOT_S = 9e-6
DIFS_S = SIFS_S + 2 * SLOT_S
CW_MIN = 15
BEACON_INTERVAL_S = 102.4e-3
ACK_BYTES = 14

#: legacy rate (Mb/s) -> (coded bits per subcarrier, data bits per symbol)
LEGACY_RATES: dict[float, tuple[int, int]] = {
    6: (1, 24),
    9: (1, 36),
    12: (2, 48),
    18: (2, 72),
    24: (4, 96),
    36: (4, 144),
    48: (6, 192),
    54: (6, 216),
}
#: HT20 single-stream MCS 0..7 rate (Mb/s, 800 ns GI) -> (bits per subcarrier, data bits per symbol)
HT_RATES: dict[float, tuple[int, int]] = {
    6.5: (1, 26),
    13: (2, 52),
    19.5: (2, 78),
    26: (4, 104),
    39: (4, 156),
    52: (6, 208),
    58.5: (6, 234),
    65: (6, 260),
}
BASIC_RATES = (6, 12, 24)
_CHUNK_PPDUS = 64  # PPDUs synthesized per IFFT batch (bounds memory: ≤ ~33k rows)
STANDARDS = ("11a", "11g", "11n")

K_ALL = np.arange(-NFFT // 2, NFFT // 2)  # column j of a coefficient row is subcarrier K_ALL[j]
PILOT_K = np.array([-21, -7, 7, 21])
PILOT_BASE = np.array([1.0, 1.0, 1.0, -1.0])


def _col(k: np.ndarray | list[int]) -> np.ndarray:
    return np.asarray(k) + NFFT // 2


def _used(half: int) -> np.ndarray:
    return np.concatenate((np.arange(-half, 0), np.arange(1, half + 1)))


K_LEGACY = _used(26)
K_HT = _used(28)
K_DATA_LEGACY = K_LEGACY[~np.isin(K_LEGACY, PILOT_K)]
K_DATA_HT = K_HT[~np.isin(K_HT, PILOT_K)]

# L-STF, IEEE 802.11-2020 eq. 17-6: sqrt(13/6)·(±1±j) on every 4th subcarrier.
_STF_SIGNS = {
    -24: 1,
    -20: -1,
    -16: 1,
    -12: -1,
    -8: -1,
    -4: 1,
    4: -1,
    8: -1,
    12: 1,
    16: 1,
    20: 1,
    24: 1,
}
STF = np.zeros(NFFT, dtype=np.complex128)
for _k, _s in _STF_SIGNS.items():
    STF[_col(_k)] = np.sqrt(13 / 6) * _s * (1 + 1j)
# L-LTF, eq. 17-8, subcarriers -26..26 (0 at DC).
_LTF_VALUES = [
    1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, 0,
    1, -1, -1, 1, 1, -1, 1, -1, 1, -1, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1, 1, -1, 1, 1, 1, 1,
]  # fmt: skip
LTF = np.zeros(NFFT, dtype=np.complex128)
LTF[_col(np.arange(-26, 27))] = _LTF_VALUES
# HT-LTF for 20 MHz (19.3.9.4.6): the L-LTF extended by {1, 1} below and {-1, -1} above.
HT_LTF = LTF.copy()
HT_LTF[_col([-28, -27, 27, 28])] = [1, 1, -1, -1]


def pilot_polarity() -> np.ndarray:
    """The 127-long pilot polarity sequence p_n (±1): scrambler x⁷+x⁴+1 from all ones, 0 → +1, 1 → −1."""
    state = [1] * 7
    out = np.empty(127)
    for n in range(127):
        bit = state[3] ^ state[6]  # x^4 and x^7 taps
        state = [bit] + state[:-1]
        out[n] = 1.0 - 2.0 * bit
    return out


POLARITY = pilot_polarity()


def ppdu_symbols_count(length_bytes: int, ndbps: int) -> int:
    """OFDM data symbols of a PPDU: ⌈(16 service + 8·LENGTH + 6 tail bits) / N_DBPS⌉."""
    return int(np.ceil((16 + 8 * length_bytes + 6) / ndbps))


def ppdu_duration_s(length_bytes: int, rate_mbps: float, ht: bool) -> float:
    """Airtime of a PPDU: 20 µs legacy preamble + SIGNAL (36 µs HT-mixed) + 4 µs per data symbol."""
    table = HT_RATES if ht else LEGACY_RATES
    n_sym = ppdu_symbols_count(length_bytes, table[rate_mbps][1])
    return (36e-6 if ht else 20e-6) + 4e-6 * n_sym


def ppdu_grid(
    rng: np.random.Generator,
    length_bytes: np.ndarray,
    rate_mbps: np.ndarray,
    ht: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequency-domain rows of a sequence of PPDUs at 20 MS/s, back to back.

    Returns ``(coeffs (rows, 64), cp (rows,), body (rows,), rows_per_ppdu)``;
    columns are subcarriers −32…31. Each PPDU is L-STF (cp 0, body 160 —
    ten 16-sample periods), L-LTF (cp 32, body 128), L-SIG (BPSK), for HT
    also HT-SIG1/2 (QBPSK), HT-STF and one HT-LTF, then the data symbols;
    all but the first two are (cp 16, body 64).
    """
    length_bytes = np.asarray(length_bytes, dtype=np.int64)
    ht = np.asarray(ht, dtype=bool)
    rates = np.asarray(rate_mbps, dtype=np.float64)
    bits = np.array(
        [(HT_RATES if h else LEGACY_RATES)[r][0] for r, h in zip(rates, ht)], dtype=np.int64
    )
    ndbps = np.array(
        [(HT_RATES if h else LEGACY_RATES)[r][1] for r, h in zip(rates, ht)], dtype=np.int64
    )
    n_data = -(-(16 + 8 * length_bytes + 6) // ndbps)
    n_pre = np.where(ht, 7, 3)
    rows_per = n_pre + n_data
    n_rows = int(rows_per.sum())
    fid = np.repeat(np.arange(len(rows_per)), rows_per)
    pos = np.arange(n_rows) - np.repeat(np.cumsum(rows_per) - rows_per, rows_per)
    row_ht = ht[fid]

    coeffs = np.zeros((n_rows, NFFT), dtype=np.complex128)
    cp = np.full(n_rows, CP, dtype=np.int64)
    body = np.full(n_rows, NFFT, dtype=np.int64)
    coeffs[pos == 0] = STF
    cp[pos == 0], body[pos == 0] = 0, 160
    coeffs[pos == 1] = LTF
    cp[pos == 1], body[pos == 1] = 32, 128
    # L-SIG (BPSK) and HT-SIG1/2 (QBPSK: BPSK on the quadrature axis) on the legacy subcarriers.
    sig = (pos == 2) | (row_ht & ((pos == 3) | (pos == 4)))
    rot = np.where(pos[sig] == 2, 1.0, 1j)[:, None]
    coeffs[np.ix_(np.flatnonzero(sig), _col(K_DATA_LEGACY))] = rot * qam_symbols(
        rng, (int(sig.sum()), len(K_DATA_LEGACY)), 1
    )
    coeffs[np.ix_(np.flatnonzero(sig), _col(PILOT_K))] = (
        PILOT_BASE * POLARITY[pos[sig] - 2][:, None]
    )
    coeffs[row_ht & (pos == 5)] = STF  # HT-STF: same subcarriers, 4 µs with a 0.8 µs guard
    coeffs[row_ht & (pos == 6)] = HT_LTF

    data = pos >= n_pre[fid]
    sym = (pos - n_pre[fid])[data]
    data_rows = np.flatnonzero(data)
    for is_ht in (False, True):
        k_data = K_DATA_HT if is_ht else K_DATA_LEGACY
        for b in (1, 2, 4, 6):
            rows = data_rows[(row_ht[data_rows] == is_ht) & (bits[fid[data_rows]] == b)]
            if len(rows):
                coeffs[np.ix_(rows, _col(k_data))] = qam_symbols(rng, (len(rows), len(k_data)), b)
    d_ht = row_ht[data_rows]
    pol = POLARITY[(sym + np.where(d_ht, 3, 1)) % 127][:, None]
    # Single-stream HT pilots rotate {1, 1, 1, -1} by one position per symbol (19.3.11.10).
    shift = np.where(d_ht, sym, 0)
    pilots = PILOT_BASE[(np.arange(4)[None, :] + shift[:, None]) % 4]
    coeffs[np.ix_(data_rows, _col(PILOT_K))] = pilots * pol
    return coeffs, cp, body, rows_per


def channels_24_hz() -> tuple[float, ...]:
    """2.4 GHz channels 1–13: 2412 + 5·(n − 1) MHz."""
    return tuple(2412e6 + 5e6 * n for n in range(13))


def channels_5_hz() -> tuple[float, ...]:
    """5 GHz 20 MHz channels 36–64, 100–144, 149–165: 5000 + 5·n MHz."""
    numbers = [*range(36, 65, 4), *range(100, 145, 4), *range(149, 166, 4)]
    return tuple(5000e6 + 5e6 * n for n in numbers)


BAND_24 = Band("2.4G", 2400e6, 2483.5e6, channels_24_hz())
BAND_5 = Band("5G", 5150e6, 5835e6, channels_5_hz())


def _rate_for(rates: list[float], index: int) -> float:
    return rates[min(max(index, 0), len(rates) - 1)]


def _ack_rate(rate_mbps: float, ht: bool) -> float:
    legacy_equiv = (
        rate_mbps if not ht else rate_mbps * 24 / 26
    )  # HT MCS n ~ legacy with 48/52 carriers
    return max([r for r in BASIC_RATES if r <= legacy_equiv] or [6])


def schedule(req: EmitRequest, ht: bool, load: float, rate_index: int, beacons: bool) -> list[dict]:
    """Frame exchange timeline over ``[0, duration)``: dicts with t_s, kind, length_bytes, rate_mbps, ht."""
    rng = req.rng
    rates = list(HT_RATES if ht else LEGACY_RATES)
    beacon_len = int(rng.integers(200, 401))
    next_beacon = rng.uniform(0, BEACON_INTERVAL_S)
    t = -rng.uniform(0, 3e-3)  # a random phase into the traffic
    frames: list[dict] = []

    def add(t_s: float, kind: str, length: int, rate: float, is_ht: bool) -> float:
        if t_s >= 0:
            frames.append(
                {"t_s": t_s, "kind": kind, "length_bytes": length, "rate_mbps": rate, "ht": is_ht}
            )
        return t_s + ppdu_duration_s(length, rate, is_ht)

    while t < req.duration_s:
        if beacons and next_beacon <= t + DIFS_S:
            t = add(max(t, next_beacon) + DIFS_S, "beacon", beacon_len, 6, False)
            next_beacon += BEACON_INTERVAL_S
            continue
        length = (
            int(rng.integers(1000, 1541)) if rng.random() < 0.55 else int(rng.integers(40, 401))
        )
        rate = _rate_for(rates, rate_index + int(rng.integers(-1, 2)))
        start = t + DIFS_S + SLOT_S * int(rng.integers(0, CW_MIN + 1))
        end_data = add(start, "data", length, rate, ht)
        end = add(end_data + SIFS_S, "ack", ACK_BYTES, _ack_rate(rate, ht), False)
        busy = end - start
        # idle beyond the next DIFS + backoff so that busy / (busy + idle) averages ``load``
        extra_s = busy * (1 - load) / load - (DIFS_S + 0.5 * CW_MIN * SLOT_S)
        t = end + (rng.exponential(extra_s) if extra_s > 0 else 0.0)
    return [f for f in frames if f["t_s"] < req.duration_s]


def _param(req: EmitRequest, key: str, draw: Callable[[], object]) -> object:
    """``req.params[key]``, or a value drawn when it is missing."""
    value = req.params.get(key)
    return draw() if value is None else value


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    five = req.band.lo_hz > 3e9
    standard = str(
        _param(req, "standard", lambda: STANDARDS[int(rng.integers(0 if five else 1, 3))])
    )
    if standard not in STANDARDS:
        raise ValueError(f"wifi: standard {standard!r} not in {STANDARDS}")
    ht = standard == "11n"
    load = float(_param(req, "load", lambda: rng.uniform(0.02, 0.7)))
    if not 0 < load <= 1:
        raise ValueError(f"wifi: load {load} not in (0, 1]")
    n_rates = len(HT_RATES if ht else LEGACY_RATES)
    rate_index = int(_param(req, "rate_index", lambda: rng.integers(0, n_rates)))
    beacons = bool(req.params.get("beacons", True))
    channels = req.band.channels_hz or channels_24_hz()
    ch = int(rng.integers(len(channels)))
    fc = channels[ch]
    frames = schedule(req, ht, load, rate_index, beacons)

    bursts: list[Burst] = []
    for kind_ht, k_used in ((False, K_LEGACY), (True, K_HT)):
        edge = (k_used[-1] + 0.5) * SPACING_HZ
        todo = [f for f in frames if f["ht"] == kind_ht]
        if not todo or not req.visible(fc - edge, fc + edge):
            continue
        plan = ofdm_slice_plan(k_used, SPACING_HZ, fc, req.window_hz, NFFT, NFFT_STEP)
        if plan is None:
            continue
        kept, k0, nfft, frac = plan
        cols = (K_ALL >= kept[0]) & (K_ALL <= kept[-1])
        # PPDUs are synthesized back to back in chunks and cut apart: each keeps
        # its internal phase relations, only its absolute phase is arbitrary.
        for i0 in range(0, len(todo), _CHUNK_PPDUS):
            chunk = todo[i0 : i0 + _CHUNK_PPDUS]
            coeffs, cp, body, rows_per = ppdu_grid(
                rng,
                np.array([f["length_bytes"] for f in chunk]),
                np.array([f["rate_mbps"] for f in chunk]),
                np.full(len(chunk), kind_ht),
            )
            # A reduced FFT scales every length by nfft/64 (whole samples thanks to NFFT_STEP).
            cp, body = cp * nfft // NFFT, body * nfft // NFFT
            x = ofdm_modulate(coeffs[:, cols], K_ALL[cols], nfft, cp, body, k0=k0)
            lengths = np.add.reduceat(cp + body, np.cumsum(rows_per) - rows_per)
            starts = np.cumsum(lengths) - lengths
            # unit mean power per PPDU, in one pass over the chunk
            power = np.add.reduceat(
                x.real.astype(np.float64) ** 2 + x.imag.astype(np.float64) ** 2, starts
            )
            x *= np.repeat((1.0 / np.sqrt(power / lengths)).astype(np.float32), lengths)
            for f, piece in zip(chunk, np.split(x, starts[1:])):
                bursts.append(
                    Burst(
                        t_start_s=float(f["t_s"]),
                        rf_hz=fc + k0 * SPACING_HZ,
                        samples=piece,
                        sample_rate_hz=nfft * SPACING_HZ,
                        f_lo_hz=fc - edge,
                        f_hi_hz=fc + edge,
                        link="none",
                        power_fraction=frac,
                        meta={
                            "frame": f["kind"],
                            "standard": standard if kind_ht == ht else "11a/g",
                            "rate_mbps": f["rate_mbps"],
                            "length_bytes": f["length_bytes"],
                            "channel_hz": fc,
                        },
                    )
                )
    return bursts


SIGNATURE = Signature(
    label="wifi",
    drone=False,
    link="none",
    bands=(BAND_24, BAND_5),
    modulation="OFDM 64-FFT, 312.5 kHz spacing, BPSK…64-QAM (802.11a/g/n HT20)",
    bandwidth_hz=53 * SPACING_HZ,
    timing={
        "subcarrier_spacing_hz": SPACING_HZ,
        "symbol_s": 4e-6,
        "guard_interval_s": 0.8e-6,
        "preamble_s": 16e-6,
        "sifs_s": SIFS_S,
        "slot_s": SLOT_S,
        "difs_s": DIFS_S,
        "beacon_interval_s": BEACON_INTERVAL_S,
        "frame_s": (20e-6, 2.1e-3),
    },
    builder=_build,
    description="Wi-Fi 802.11a/g/n HT20 traffic: data frames, SIFS-spaced ACKs, 102.4 ms beacons, CSMA gaps.",
    sources=(
        "IEEE Std 802.11-2020 clause 17 (OFDM PHY), clause 19 (HT PHY), 10.3/17.4.4 (timing), Annex E (channels)",
    ),
    order=8,
)
