"""DJI OcuSync (O2/O3): the ``dji-ocusync`` video downlink, and its DroneID broadcast.

Physical link, with the public source of every number:

* **Numerology** — LTE-like OFDM (3GPP TS 36.211 §6.12, Table 6.12-1 normal
  cyclic prefix): 15 kHz subcarrier spacing, useful symbol 1/15 kHz =
  66.67 µs, cyclic prefix 160/2048·T (5.21 µs) on the first and
  144/2048·T (4.69 µs) on the other six symbols of a 0.5 ms slot, two slots
  per 1 ms subframe. That OcuSync uses this numerology is stated by the
  RUB-SysSec DroneSecurity paper (Schiller et al., "Drone Security and the
  Mysterious Case of DJI's DroneID", NDSS 2023) and by proto17/dji_droneid
  (``README.md``: 15 kHz carriers, 10 MHz wide).
* **Bandwidth modes** — 10 MHz: 600 used subcarriers, FFT 1024 at
  15.36 MS/s (9.0 MHz occupied); 20 MHz: 1200 / 2048 / 30.72 MS/s; 40 MHz:
  2400 / 4096 / 61.44 MS/s (the LTE scaling, TS 36.104 Table 5.6-1 for 10 and
  20 MHz; the 40 MHz row continues it — assumption). DroneSecurity's
  ``src/helpers.py`` ``estimate_offset`` looks for video frames 18–22 MHz
  wide, i.e. the 20 MHz mode on a Mavic Air 2.
* **Video downlink timing** — bursts made of whole 1 ms subframes with a high
  duty cycle (``SIGNATURES.md``). The run length (1–8 subframes) and the gap
  between runs (0.1–0.5 ms) are an **assumption** fitted to published
  spectrograms, not a decoded frame structure; the data subcarriers carry
  random QPSK or 16-QAM (no reference-signal pattern is public: assumption).
* **Video channel** — anywhere in 2400–2483.5 MHz or 5725–5850 MHz with the
  whole channel inside the band, on a 0.5 MHz raster (**assumption**: DJI
  does not publish its channel table).
* **DroneID burst** — DroneSecurity ``src/helpers.py`` (``NFFT = 1024``,
  ``NCARRIERS = 601``, ``CP_LENGTHS = [80, 72×7, 80]``,
  ``ZC_SYMBOL_IDX = [3, 5]``) and ``src/Packet.py`` (roots 600 and 147,
  checked on every frame); proto17/dji_droneid ``README.md`` ("9 OFDM symbols
  with two symbols using a long cyclic prefix", Zadoff-Chu on symbols 4 and 6
  with roots 600 and 147, QPSK elsewhere, "every 600 ms or so") and
  ``matlab/updated_scripts/create_zc.m`` (a length-601 ZC mapped onto the
  subcarriers around DC, DC nulled). At 15.36 MS/s a burst is
  9·1024 + 2·80 + 7·72 = 9880 samples = 643.2 µs; the RUB sample recording
  (Mavic Air 2) has 32180 samples at 50 MS/s = 643.6 µs bursts, 9.0 MHz wide.
  Old drones (Mavic Pro, Mavic 2: DroneSecurity's "legacy" format) send 8
  symbols with ZC on symbols 3 and 5: ``params["droneid_symbols"] = 8``.
* **DroneID hop list** — 2.4 GHz: 2399.5, 2414.5, 2429.5, 2444.5, 2459.5 MHz
  (proto17 ``README.md``, "frequencies I have noted") and 2474.5 MHz
  (DroneSecurity ``src/droneid_receiver_live.py`` scan list); the 2.4 GHz
  channel 2399.5 MHz reaches 4.5 MHz below the ISM band, as observed. 5.8 GHz:
  the DroneSecurity scan list 5721.5 … 5831.5 MHz (that DroneID hops over
  exactly these is an **assumption**). Which channel a burst uses is drawn
  uniformly (the hop pattern is not public); the period is 600 ms with
  ±5 ms jitter (assumption).
* **DroneID content** — every burst is a real, decodable frame built by the
  transmitter chain of :mod:`rfclassify.dsp.droneid_encode` (flight-information
  message 0x10, CRC-16, CRC-24A, LTE turbo code, rate matching, Gold
  scrambling; sources in :mod:`rfclassify.dsp.droneid`). One drone per
  request: a 14-character serial, an operator somewhere along the US–Mexico
  border (latitude 25.8–32.7°, longitude −117.1…−97.1°), the drone within
  2 km of it, home point at the operator, a device type from the decoder's
  table, and a sequence number that counts up by one per burst — all drawn
  from the request's generator (the values are an **assumption**; the layout
  is the protocol's).

Builder parameters (``EmitRequest.params``): ``mode`` — ``"video"``,
``"droneid"`` or ``"both"`` (video with DroneID bursts interleaved; video
subframes that would overlap a DroneID burst are not sent, the radio being
busy); ``bw_hz`` — 10e6, 20e6 or 40e6 for video; ``qam_bits`` — 2 (QPSK) or 4
(16-QAM); ``droneid_symbols`` — 9 (default) or 8; ``droneid_channels`` — indices
into the band's DroneID hop list to hop over (default: all of it; one index
keeps every burst on the channel a receiver watches, which training sets use
to see more than one burst in a short recording). Missing ones are drawn.

Under a receiver window only the visible subcarriers are synthesized, at the
smallest FFT (a multiple of 128, so cyclic prefixes stay whole samples) that
carries them; ``power_fraction`` is the share of used subcarriers kept.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rfclassify.dsp.droneid import DEVICE_TYPES
from rfclassify.dsp.droneid_encode import FlightInfo, droneid_grid, flight_info_payload
from rfclassify.dsp.modulation import ofdm_modulate, ofdm_slice_plan, qam_symbols
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SPACING_HZ = 15e3
#: bw_hz -> (used subcarriers, FFT size at the natural rate nfft·15 kHz)
BW_MODES: dict[float, tuple[int, int]] = {10e6: (600, 1024), 20e6: (1200, 2048), 40e6: (2400, 4096)}
CP_LONG_1024 = 80  # samples at 15.36 MS/s (5.21 µs)
CP_SHORT_1024 = 72  # 4.69 µs
NFFT_STEP = 128  # smallest FFT for which both CPs are whole samples (10 and 9)
SUBFRAME_S = 1e-3
SYMBOLS_PER_SUBFRAME = 14

DRONEID_PERIOD_S = 0.6
DRONEID_JITTER_S = 5e-3
DRONEID_SUBCARRIERS = np.arange(-300, 301)  # 601 incl. DC (DC carries nothing)
DRONEID_CH_24_HZ = (2399.5e6, 2414.5e6, 2429.5e6, 2444.5e6, 2459.5e6, 2474.5e6)
DRONEID_CH_58_HZ = (
    5721.5e6,
    5731.5e6,
    5741.5e6,
    5756.5e6,
    5761.5e6,
    5771.5e6,
    5786.5e6,
    5801.5e6,
    5816.5e6,
    5831.5e6,
)

RUN_SUBFRAMES = (1, 8)  # assumption
RUN_GAP_S = (0.1e-3, 0.5e-3)  # assumption
VIDEO_RASTER_HZ = 0.5e6  # assumption

BAND_24 = Band("2.4G", 2400e6, 2483.5e6, DRONEID_CH_24_HZ)
BAND_58 = Band("5.8G", 5725e6, 5850e6, DRONEID_CH_58_HZ)
MODES = ("video", "droneid", "both")


def used_subcarriers(n_used: int) -> np.ndarray:
    """Subcarrier indices of an LTE-like carrier with ``n_used`` used subcarriers: ±1…±n/2, DC empty."""
    half = n_used // 2
    return np.concatenate((np.arange(-half, 0), np.arange(1, half + 1)))


def cp_lengths(nfft: int, n_symbols: int, long_at: tuple[int, ...]) -> np.ndarray:
    """Cyclic prefix of each symbol in samples at ``nfft``·15 kHz (long ones at ``long_at``)."""
    cp = np.full(n_symbols, CP_SHORT_1024 * nfft // 1024, dtype=np.int64)
    cp[list(long_at)] = CP_LONG_1024 * nfft // 1024
    return cp


#: Where drawn operators stand (degrees): the US–Mexico border region (assumption, see the docstring).
OPERATOR_LAT_DEG = (25.8, 32.7)
OPERATOR_LON_DEG = (-117.1, -97.1)
DRONE_RANGE_M = 2000.0
_SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def draw_flight(rng: np.random.Generator) -> FlightInfo:
    """A drone's DroneID flight information (sequence to be counted up per burst), drawn from ``rng``."""
    pilot_lat = float(rng.uniform(*OPERATOR_LAT_DEG))
    pilot_lon = float(rng.uniform(*OPERATOR_LON_DEG))
    north_m, east_m = rng.uniform(-DRONE_RANGE_M, DRONE_RANGE_M, 2) / np.sqrt(2.0)
    m_per_deg = 111_320.0
    return FlightInfo(
        serial="".join(_SERIAL_CHARS[i] for i in rng.integers(0, len(_SERIAL_CHARS), 14)),
        sequence=int(rng.integers(0, 60_000)),
        drone_lat=pilot_lat + north_m / m_per_deg,
        drone_lon=pilot_lon + east_m / (m_per_deg * np.cos(np.radians(pilot_lat))),
        altitude_m=float(rng.uniform(0.0, 1500.0)),
        height_m=float(rng.uniform(0.0, 120.0)),
        v_north_mps=float(rng.uniform(-15.0, 15.0)),
        v_east_mps=float(rng.uniform(-15.0, 15.0)),
        v_up_mps=float(rng.uniform(-5.0, 5.0)),
        yaw_deg=float(rng.uniform(-180.0, 180.0)),
        gps_time_ms=1_704_067_200_000 + int(rng.integers(0, 366 * 86_400_000)),
        pilot_lat=pilot_lat,
        pilot_lon=pilot_lon,
        home_lat=pilot_lat,
        home_lon=pilot_lon,
        device_type_code=int(rng.choice(sorted(DEVICE_TYPES))),
    )


def droneid_burst(
    info: FlightInfo, k: np.ndarray, k0: int, nfft: int, n_symbols: int = 9
) -> np.ndarray:
    """One decodable DroneID burst of ``info`` (complex64 at nfft·15 kHz), long CP first and last.

    ``k`` are the subcarriers to synthesize (a subset of −300…300 under a
    receiver window) and ``k0`` the slice centre (see :func:`ofdm_modulate`).
    """
    coeffs = droneid_grid(flight_info_payload(info), n_symbols=n_symbols)
    keep = np.isin(DRONEID_SUBCARRIERS, k)
    cp = cp_lengths(nfft, n_symbols, (0, n_symbols - 1))
    return ofdm_modulate(coeffs[:, keep], DRONEID_SUBCARRIERS[keep], nfft, cp, k0=k0)


def video_run(
    rng: np.random.Generator, k: np.ndarray, k0: int, nfft: int, n_subframes: int, qam_bits: int
) -> np.ndarray:
    """``n_subframes`` consecutive 1 ms subframes (14 symbols, long CP on symbols 0 and 7) of random QAM."""
    n_sym = SYMBOLS_PER_SUBFRAME * n_subframes
    coeffs = qam_symbols(rng, (n_sym, len(k)), qam_bits)
    cp = np.tile(cp_lengths(nfft, SYMBOLS_PER_SUBFRAME, (0, 7)), n_subframes)
    return ofdm_modulate(coeffs, k, nfft, cp, k0=k0)


def _draw(req: EmitRequest, key: str, choices: tuple) -> object:
    value = req.params.get(key)
    if value is None:
        return choices[int(req.rng.integers(len(choices)))]
    return value


def _droneid_times(req: EmitRequest) -> np.ndarray:
    """Start times of the DroneID bursts in [0, duration): 600 ms cadence from a random phase."""
    t = -req.rng.uniform(0, DRONEID_PERIOD_S)
    times = []
    while t < req.duration_s:
        if t >= 0:
            times.append(t)
        t += DRONEID_PERIOD_S + req.rng.uniform(-DRONEID_JITTER_S, DRONEID_JITTER_S)
    return np.array(times)


def _video_channel(req: EmitRequest, n_used: int) -> float:
    half_bw = 0.5 * n_used * SPACING_HZ
    lo = np.ceil((req.band.lo_hz + half_bw) / VIDEO_RASTER_HZ)
    hi = np.floor((req.band.hi_hz - half_bw) / VIDEO_RASTER_HZ)
    if hi < lo:
        return req.band.center_hz
    return float(req.rng.integers(int(lo), int(hi) + 1)) * VIDEO_RASTER_HZ


def _build(req: EmitRequest) -> list[Burst]:
    mode = str(_draw(req, "mode", MODES))
    if mode not in MODES:
        raise ValueError(f"dji-ocusync: mode {mode!r} not in {MODES}")
    bursts: list[Burst] = []
    busy: list[tuple[float, float]] = []

    if mode in ("droneid", "both"):
        n_sym = int(req.params.get("droneid_symbols", 9))
        channels = req.band.channels_hz or DRONEID_CH_24_HZ
        if "droneid_channels" in req.params:  # a subset of the hop list (datasets that watch one channel)
            channels = tuple(channels[int(i)] for i in req.params["droneid_channels"])
        dur_s = (n_sym * 1024 + 2 * CP_LONG_1024 + (n_sym - 2) * CP_SHORT_1024) / (
            1024 * SPACING_HZ
        )
        flight = draw_flight(req.rng)
        for t in _droneid_times(req):
            flight = dataclasses.replace(flight, sequence=(flight.sequence + 1) % 65536)
            ch = int(req.rng.integers(len(channels)))
            fc = channels[ch]
            busy.append((t, t + dur_s))
            edge = (DRONEID_SUBCARRIERS[-1] + 0.5) * SPACING_HZ
            if not req.visible(fc - edge, fc + edge):
                continue
            plan = ofdm_slice_plan(
                DRONEID_SUBCARRIERS, SPACING_HZ, fc, req.window_hz, 1024, NFFT_STEP
            )
            if plan is None:
                continue
            k, k0, nfft, frac = plan
            x = droneid_burst(flight, k, k0, nfft, n_sym)
            bursts.append(
                Burst(
                    t_start_s=float(t),
                    rf_hz=fc + k0 * SPACING_HZ,
                    samples=unit_power(x),
                    sample_rate_hz=nfft * SPACING_HZ,
                    f_lo_hz=fc - edge,
                    f_hi_hz=fc + edge,
                    link="telemetry",
                    power_fraction=frac,
                    meta={"mode": "droneid", "channel": ch, "symbols": n_sym, "serial": flight.serial,
                          "sequence": flight.sequence},
                )
            )

    if mode in ("video", "both"):
        bw_hz = float(_draw(req, "bw_hz", tuple(BW_MODES)))
        if bw_hz not in BW_MODES:
            raise ValueError(f"dji-ocusync: bw_hz {bw_hz} not in {tuple(BW_MODES)}")
        qam_bits = int(_draw(req, "qam_bits", (2, 4)))
        n_used, nfft_full = BW_MODES[bw_hz]
        k_used = used_subcarriers(n_used)
        fc = _video_channel(req, n_used)
        edge = (n_used / 2 + 0.5) * SPACING_HZ
        if not req.visible(fc - edge, fc + edge):
            return bursts
        plan = ofdm_slice_plan(k_used, SPACING_HZ, fc, req.window_hz, nfft_full, NFFT_STEP)
        if plan is None:
            return bursts
        k, k0, nfft, frac = plan
        t = -req.rng.uniform(0, RUN_SUBFRAMES[1] * SUBFRAME_S)
        while t < req.duration_s:
            n_sub = int(req.rng.integers(RUN_SUBFRAMES[0], RUN_SUBFRAMES[1] + 1))
            gap = req.rng.uniform(*RUN_GAP_S)
            if t >= 0:
                # Drop the subframes the radio spends on a DroneID burst.
                starts = t + SUBFRAME_S * np.arange(n_sub)
                free = np.ones(n_sub, dtype=bool)
                for b0, b1 in busy:
                    free &= (starts + SUBFRAME_S <= b0) | (starts >= b1)
                for seg in np.split(
                    np.arange(n_sub), np.flatnonzero(np.diff(free.astype(int))) + 1
                ):
                    if not free[seg[0]]:
                        continue
                    x = video_run(req.rng, k, k0, nfft, len(seg), qam_bits)
                    bursts.append(
                        Burst(
                            t_start_s=float(starts[seg[0]]),
                            rf_hz=fc + k0 * SPACING_HZ,
                            samples=unit_power(x),
                            sample_rate_hz=nfft * SPACING_HZ,
                            f_lo_hz=fc - edge,
                            f_hi_hz=fc + edge,
                            link="video",
                            power_fraction=frac,
                            meta={
                                "mode": "video",
                                "bw_hz": bw_hz,
                                "subframes": len(seg),
                                "qam_bits": qam_bits,
                            },
                        )
                    )
            t += n_sub * SUBFRAME_S + gap
    return bursts


SIGNATURE = Signature(
    label="dji-ocusync",
    drone=True,
    link="video",
    bands=(BAND_24, BAND_58),
    modulation="OFDM (LTE-like, 15 kHz, QPSK/16-QAM) + DroneID OFDM bursts (ZC 600/147)",
    bandwidth_hz=9.0e6,
    timing={
        "subcarrier_spacing_hz": SPACING_HZ,
        "symbol_s": 1 / SPACING_HZ,
        "cp_short_s": CP_SHORT_1024 / 15.36e6,
        "cp_long_s": CP_LONG_1024 / 15.36e6,
        "subframe_s": SUBFRAME_S,
        "droneid_burst_s": 9880 / 15.36e6,
        "droneid_period_s": DRONEID_PERIOD_S,
        "droneid_symbols": 9,
        "bandwidths_hz": tuple(BW_MODES),
    },
    builder=_build,
    description=(
        "DJI OcuSync video downlink (LTE-like OFDM, 10/20/40 MHz, 1 ms subframes) "
        "with DroneID broadcast bursts (9 OFDM symbols, 9 MHz, ~600 ms, hopping)."
    ),
    sources=(
        "RUB-SysSec/DroneSecurity src/helpers.py, src/Packet.py, src/droneid_receiver_live.py",
        "Schiller et al., Drone Security and the Mysterious Case of DJI's DroneID, NDSS 2023",
        "proto17/dji_droneid README.md, matlab/updated_scripts/create_zc.m",
        "3GPP TS 36.211 §6.12 (LTE OFDM numerology)",
    ),
    order=6,
    drone_models=(
        "DJI Mavic 2 Pro/Zoom",
        "DJI Mavic Air 2, Air 2S, Air 3",
        "DJI Mavic 3 family",
        "DJI Mini 2, Mini 3, Mini 3 Pro, Mini 4 Pro",
        "DJI FPV, Avata, Avata 2 and O3 Air Unit FPV builds",
        "DJI Phantom 4 Pro V2.0",
        "DJI Matrice 30 / 300 RTK (OcuSync / O3 Enterprise)",
    ),
    drone_model_sources=(
        "DJI product specification pages (video transmission system: OcuSync 2.0 / O2, O3, O4, OcuSync Enterprise)",
        "Schiller et al., 'Drone Security and the Mysterious Case of DJI's DroneID', NDSS 2023 (devices analysed: DJI Mini 2, Mavic Air 2, Mavic 2, Mavic 3 and others)",
        "proto17/dji_droneid (DroneID from OcuSync drones)",
    ),
)
