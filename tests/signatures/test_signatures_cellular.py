"""Cellular clutter measured against 3GPP: ``lte`` (TS 36.211/36.101) and ``nr`` (TS 38.211/38.101-1).

Each test synthesizes through ``SIGNATURE.emit`` (or a scene) and measures
the physics from the samples: occupied bandwidth, cyclic-prefix correlation,
synchronization-signal correlation peaks built here from the standard's
formulas, TDD on/off patterns, uplink burst structure.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve, find_peaks

from rfclassify.dsp.measure import occupied_bandwidth_hz, psd
from rfclassify.dsp.modulation import lte_sss
from rfclassify.signatures import get
from rfclassify.synth import EmitterSpec, Scene, render, rtlsdr
from rfclassify.synth.receiver import wideband
from rfclassify.testing.bursts import emit, on_runs, timeline

LTE_TS = 1 / 30.72e6  # TS 36.211 basic time unit


def lte_pss_time(n_id2: int, nfft: int) -> np.ndarray:
    """The LTE PSS OFDM symbol body (no CP) at nfft·15 kHz, from TS 36.211 §6.11.1 written out here."""
    u = (25, 29, 34)[n_id2]
    n = np.arange(62)
    d = np.where(n <= 30, np.exp(-1j * np.pi * u * n * (n + 1) / 63), np.exp(-1j * np.pi * u * (n + 1) * (n + 2) / 63))
    k = np.concatenate((np.arange(-31, 0), np.arange(1, 32)))  # 62 subcarriers around DC, DC unused
    grid = np.zeros(nfft, dtype=complex)
    grid[k % nfft] = d
    return np.fft.ifft(grid)


def nr_pss_time(n_id2: int, nfft: int) -> np.ndarray:
    """The NR PSS symbol body at nfft·SCS (TS 38.211 §7.4.2.2: m-sequence, subcarriers 56…182 of the SSB)."""
    x = [0, 1, 1, 0, 1, 1, 1]
    for i in range(127 - 7):
        x.append((x[i + 4] + x[i]) % 2)
    d = 1 - 2 * np.array(x)[(np.arange(127) + 43 * n_id2) % 127]
    k = np.arange(127) - 63  # centred on the SSB's subcarrier 120 (the PSS's middle is SSB subcarrier 119)
    grid = np.zeros(nfft, dtype=complex)
    grid[k % nfft] = d
    return np.fft.ifft(grid)


def sync_peaks(x: np.ndarray, template: np.ndarray, min_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalized correlation of ``x`` with ``template`` (magnitude insensitive to frequency offset within a symbol)."""
    corr = np.abs(fftconvolve(x, np.conj(template[::-1]), mode="valid"))
    energy = np.sqrt(fftconvolve(np.abs(x) ** 2, np.ones(len(template)), mode="valid").clip(1e-12))
    metric = corr / (energy * np.linalg.norm(template))
    peaks, _ = find_peaks(metric, height=0.5 * metric.max(), distance=min_distance)
    return peaks, metric


# ---------------------------------------------------------------- LTE: bands


def test_lte_bands_follow_ts36101_and_cover_the_measured_false_alarms():
    sig = get("lte")
    assert sig.label == "lte" and not sig.drone and sig.link == "none" and sig.order == 13 and sig.continuous
    names = {b.name for b in sig.bands}
    for op in ("B2", "B4", "B5", "B12", "B13", "B14", "B17", "B25", "B26", "B28", "B66", "B71", "B7", "B30",
               "B1", "B3", "B8", "B20"):
        assert {f"{op} DL", f"{op} UL"} <= names, op
    assert {"B41", "B38", "B40", "B46"} <= names
    # TS 36.101 Table 5.5-1 edges.
    assert (sig.band("B5 DL").lo_hz, sig.band("B5 DL").hi_hz) == (869e6, 894e6)
    assert (sig.band("B3 DL").lo_hz, sig.band("B3 DL").hi_hz) == (1805e6, 1880e6)
    assert (sig.band("B20 DL").lo_hz, sig.band("B20 DL").hi_hz) == (791e6, 821e6)
    assert (sig.band("B41").lo_hz, sig.band("B41").hi_hz) == (2496e6, 2690e6)
    assert (sig.band("B71 DL").lo_hz, sig.band("B71 UL").hi_hz) == (617e6, 698e6)
    # The measured false alarms (B3 at 1815.3 MHz, B40 at 2360 MHz, B20 at 796 MHz) are in band ...
    assert sig.in_band([1815.3e6, 2360e6, 796e6], 9e6).tolist() == [True, True, True]
    # ... and LTE is never claimable in the middle of the 2.4 GHz ISM band or at 433/915 MHz.
    assert not sig.in_band(2440e6, 2e6) and not sig.in_band(433.9e6, 0.2e6) and not sig.in_band(923e6, 0.5e6)


# ---------------------------------------------------------------- LTE: downlink numerology


@pytest.mark.parametrize("bw_hz, occupied_hz", [(1.4e6, 1.08e6), (3e6, 2.7e6), (5e6, 4.5e6), (10e6, 9e6),
                                                (15e6, 13.5e6), (20e6, 18e6)])
def test_lte_downlink_occupied_bandwidth(bw_hz, occupied_hz):
    bursts = emit("lte", 0.004, "B3 DL", seed=1, bandwidth_hz=bw_hz, load=1.0)
    assert len(bursts) == 1 and bursts[0].t_start_s == 0.0
    b = bursts[0]
    assert b.duration_s == pytest.approx(0.004, abs=1 / b.sample_rate_hz)
    bw, lo, hi = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, 0.99, nfft=2048)
    assert bw == pytest.approx(0.99 * occupied_hz, rel=0.03)
    assert abs(lo + hi) < 0.02 * occupied_hz  # centred on the carrier
    assert b.f_hi_hz - b.f_lo_hz == pytest.approx(occupied_hz)
    # EARFCN raster: carriers on multiples of 100 kHz inside the band.
    assert round(b.meta["carrier_hz"] / 100e3) * 100e3 == pytest.approx(b.meta["carrier_hz"], abs=1.0)
    assert 1805e6 <= b.f_lo_hz and b.f_hi_hz <= 1880e6


def test_lte_cyclic_prefix_at_66_7_us_and_seven_symbols_per_slot():
    b = emit("lte", 0.003, "B3 DL", seed=2, bandwidth_hz=10e6, load=0.8)[0]
    x, fs = b.samples, b.sample_rate_hz  # 15.36 MS/s
    assert fs == 15.36e6

    def cp_metric(lag: int, window: int = 72) -> np.ndarray:
        prod = x[lag:] * np.conj(x[:-lag])
        return np.abs(np.convolve(prod, np.ones(window), mode="valid")) / (
            np.convolve(np.abs(x[:-lag]) ** 2, np.ones(window), mode="valid") + 1e-12
        )

    lag_667 = round(fs / 15e3)  # 1024 samples = 66.67 µs
    metric = cp_metric(lag_667)
    # The prefix repeats the symbol's end 66.7 µs later: near-perfect correlation once per symbol at that
    # lag (the top 3 % of windows), none at lags 40 samples (2.6 µs) off.
    assert np.percentile(metric, 97) > 0.8
    assert max(np.percentile(cp_metric(lag), 97) for lag in (lag_667 - 40, lag_667 + 40)) < 0.4
    peaks, _ = find_peaks(metric, height=0.7, distance=lag_667 // 2)
    periods = np.diff(peaks) / fs
    # 7 symbols per 0.5 ms slot: 71.35 µs (CP 4.69 µs) and one 71.88 µs (CP 5.21 µs) per slot.
    assert np.median(periods) == pytest.approx((144 + 2048) * LTE_TS, abs=0.2e-6)
    assert np.mean(periods) == pytest.approx(0.5e-3 / 7, rel=2e-3)


@pytest.mark.parametrize("band, n_id2", [("B3 DL", 0), ("B3 DL", 2), ("B40", 1)])
def test_lte_pss_every_5_ms_with_the_configured_root(band, n_id2):
    cell_id = 3 * 57 + n_id2
    bursts = emit("lte", 0.031, band, seed=3, bandwidth_hz=1.4e6, direction="downlink", cell_id=cell_id, load=0.6)
    x, fs = timeline(bursts, 0.031)
    nfft = round(fs / 15e3)
    assert nfft == 128  # 1.4 MHz at 1.92 MS/s
    best = []
    for root_id in range(3):
        peaks, metric = sync_peaks(x, lte_pss_time(root_id, nfft), nfft)
        best.append(metric.max())
        if root_id == n_id2:
            assert len(peaks) >= 5
            assert np.median(np.diff(peaks)) / fs == pytest.approx(5e-3, abs=1 / fs)
    assert int(np.argmax(best)) == n_id2 and best[n_id2] > 0.8 and max(np.delete(best, n_id2)) < 0.6


def _demodulate_symbol(x: np.ndarray, body_start: int, nfft: int) -> np.ndarray:
    """Subcarrier values of the OFDM symbol whose body starts at ``body_start``, indexed by offset −nfft/2…nfft/2−1."""
    return np.fft.fftshift(np.fft.fft(x[body_start : body_start + nfft])) / np.sqrt(nfft)


def test_lte_sss_before_the_pss_and_crs_every_sixth_subcarrier():
    n_id1, n_id2 = 101, 1
    cell_id = 3 * n_id1 + n_id2
    b = emit("lte", 0.012, "B3 DL", seed=4, bandwidth_hz=1.4e6, cell_id=cell_id, load=0.0)[0]
    x, _fs, nfft = b.samples, b.sample_rate_hz, 128
    peaks, _ = sync_peaks(x, lte_pss_time(n_id2, nfft), nfft)
    offsets = np.arange(-nfft // 2, nfft // 2)
    sync_sc = np.concatenate((np.arange(-31, 0), np.arange(1, 32)))
    sss_ref = {sf: lte_sss(n_id1, n_id2, sf) for sf in (0, 5)}
    seen = set()
    for p in peaks:
        # FDD: the SSS is the symbol before the PSS (both short-CP symbols, 9 samples of CP at 1.92 MS/s).
        sss_start = p - (nfft + 9)
        if sss_start < 0:
            continue
        values = _demodulate_symbol(x, sss_start, nfft)[np.isin(offsets, sync_sc)]
        scores = {sf: abs(np.vdot(ref, values)) / (np.linalg.norm(ref) * np.linalg.norm(values)) for sf, ref in sss_ref.items()}
        sf = max(scores, key=scores.get)
        assert scores[sf] > 0.95 and scores[5 - sf] < 0.5
        seen.add(sf)
        # CRS, port 0: symbol 4 of the PSS's slot (PSS = symbol 6) on subcarriers 6m + (3 + N_ID mod 6) mod 6.
        crs_start = p - 2 * (nfft + 9)
        power = np.abs(_demodulate_symbol(x, crs_start, nfft)) ** 2
        grid_k = {off: off + 36 - (off > 0) for off in offsets if off != 0 and abs(off) <= 36}
        on = [off for off, k in grid_k.items() if k % 6 == (3 + cell_id % 6) % 6]
        off_ = [off for off, k in grid_k.items() if k % 6 != (3 + cell_id % 6) % 6]
        assert len(on) == 12
        assert power[np.isin(offsets, on)].min() > 0.5 and power[np.isin(offsets, off_)].max() < 0.05
    assert seen == {0, 5}  # the two SSS halves alternate between subframes 0 and 5


def test_lte_sss_sequences_are_distinct_binary_and_differ_between_subframes():
    seqs = {(n1, n2, sf): lte_sss(n1, n2, sf) for n1 in range(168) for n2 in range(3) for sf in (0, 5)}
    stacked = np.array(list(seqs.values()))
    assert set(np.unique(stacked)) == {-1.0, 1.0} and stacked.shape == (1008, 62)
    assert len({s.tobytes() for s in stacked}) == 1008
    assert not np.array_equal(seqs[(5, 0, 0)], seqs[(5, 0, 5)])


# ---------------------------------------------------------------- LTE: TDD, LAA, uplink


@pytest.mark.parametrize("config, special, on_s, period_s", [
    (1, 7, 2e-3 + 21952 * LTE_TS, 5e-3),   # D S U U D: two D subframes + DwPTS of 10 symbols, every 5 ms
    (2, 7, 3e-3 + 21952 * LTE_TS, 5e-3),   # D S U D D
    (5, 4, 8e-3 + 26336 * LTE_TS, 10e-3),  # D S U D D D D D D D: 8 D subframes + DwPTS of 12 symbols
])
def test_lte_tdd_downlink_follows_the_uplink_downlink_configuration(config, special, on_s, period_s):
    bursts = emit("lte", 0.06, "B41", seed=5, bandwidth_hz=5e6, direction="downlink", tdd_config=config,
                  special_subframe=special)
    x, fs = timeline(bursts, 0.06)
    runs = on_runs(x, fs)[1:-1]  # the first and last may be cut by the request's edges
    assert len(runs) >= 3
    starts, durations = runs[:, 0], runs[:, 1] - runs[:, 0]
    assert durations == pytest.approx(np.full(len(runs), on_s), abs=5e-6)
    assert np.diff(starts) == pytest.approx(np.full(len(runs) - 1, period_s), abs=5e-6)
    assert len(bursts) >= len(runs)  # one Burst per transmission


def test_lte_laa_bursts_fit_the_channel_occupancy_on_5ghz_channels():
    bursts = emit("lte", 0.3, "B46", seed=6)
    assert len(bursts) >= 5
    carrier = bursts[0].meta["carrier_hz"]
    assert carrier in {(5000 + 5 * n) * 1e6 for n in (36, 40, 44, 48, 149, 153, 157, 161, 165)}
    x, fs = timeline(bursts, 0.3)
    runs = on_runs(x, fs)[1:-1]
    durations = runs[:, 1] - runs[:, 0]
    gaps = runs[1:, 0] - runs[:-1, 1]
    assert durations.max() <= 8e-3 + 1e-6 and durations.min() >= 1e-3 - 1e-6
    slots = durations / 0.5e-3
    assert np.abs(slots - np.round(slots)).max() < 0.01  # whole slots
    assert gaps.min() >= 0.5e-3 - 1e-6
    bw, _, _ = occupied_bandwidth_hz(bursts[1].samples, fs, 0.99, nfft=2048)
    assert bw == pytest.approx(0.99 * 18e6, rel=0.05)


def test_lte_uplink_sc_fdma_bursts_of_whole_subframes():
    bursts = emit("lte", 0.4, "B3 UL", seed=7)
    assert len(bursts) >= 10 and all(b.meta["direction"] == "uplink" for b in bursts)
    band = get("lte").band("B3 UL")
    inner = [b for b in bursts if b.t_start_s > 0 and b.meta["channel"] == "pusch"]
    for b in inner:
        assert band.lo_hz <= b.f_lo_hz and b.f_hi_hz <= band.hi_hz
        ms = b.duration_s / 1e-3
        assert abs(ms - round(ms)) < 1e-6 and 1 <= round(ms) <= 4
        n_rb = (b.f_hi_hz - b.f_lo_hz) / 180e3
        assert n_rb == round(n_rb)
        n = round(n_rb)  # a product of powers of 2, 3 and 5 (DFT sizes of TS 36.211 §5.3.3)
        for p in (2, 3, 5):
            while n % p == 0:
                n //= p
        assert n == 1
    wide = [b for b in inner if b.f_hi_hz - b.f_lo_hz >= 12 * 180e3]
    assert wide
    for b in wide[:3]:
        bw, lo, hi = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, 0.99, nfft=1024)
        assert bw == pytest.approx(0.99 * (b.f_hi_hz - b.f_lo_hz), rel=0.06) and abs(lo + hi) < 60e3
    # Half-subcarrier offset (§5.6): a symbol's body lands on FFT bins only after removing 7.5 kHz.
    b = wide[0]
    nfft = round(b.sample_rate_hz / 15e3)
    body = b.samples[160 * nfft // 2048 : 160 * nfft // 2048 + nfft]
    m = round((b.f_hi_hz - b.f_lo_hz) / 15e3)
    centre = np.isin(np.arange(-nfft // 2, nfft // 2), np.arange(-m // 2, m // 2))

    def leak(y):
        p = np.abs(np.fft.fftshift(np.fft.fft(y))) ** 2
        return p[~centre].sum() / p.sum()

    derotated = body * np.exp(-1j * np.pi * np.arange(nfft) / nfft)
    assert leak(derotated) < 1e-6 and leak(body) > 1e-3
    # Single-carrier: lower peak-to-average power than the OFDM downlink.
    dl = emit("lte", 0.01, "B3 DL", seed=7, bandwidth_hz=5e6, load=1.0)[0].samples

    def papr_db(y):
        p = np.abs(y) ** 2
        return 10 * np.log10(np.percentile(p, 99.9) / p.mean())

    assert np.median([papr_db(b.samples) for b in inner]) < papr_db(dl) - 1.5


def test_lte_uplink_pucch_hops_between_the_carrier_edges():
    bursts = [b for b in emit("lte", 0.2, "B3 UL", seed=7, bandwidth_hz=10e6) if b.meta["channel"] == "pucch"]
    assert len(bursts) >= 10
    fc = bursts[0].meta["carrier_hz"]
    for b in bursts:
        assert b.duration_s == pytest.approx(0.5e-3, abs=1 / b.sample_rate_hz)  # one slot
        assert b.f_hi_hz - b.f_lo_hz == pytest.approx(180e3)
        assert abs(b.rf_hz - fc) > 4.5e6 - 2 * 180e3  # on the outermost RBs of the 50-RB (9 MHz) carrier
        bw, _, _ = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, 0.9, nfft=256)
        assert bw < 200e3
    # Each report's two slots sit on mirrored RBs around the carrier centre, back to back.
    by_start = {round(b.t_start_s * 1e4): b for b in bursts}
    pairs = [(b, by_start.get(round((b.t_start_s + 0.5e-3) * 1e4))) for b in bursts]
    pairs = [(a, b) for a, b in pairs if b is not None and a.meta["ue"] == b.meta["ue"]]
    assert pairs
    for a, b in pairs:
        assert a.rf_hz + b.rf_hz == pytest.approx(2 * fc, abs=1.0)


def test_lte_tdd_uplink_only_in_uplink_subframes():
    bursts = emit("lte", 0.2, "B41", seed=8, direction="uplink", tdd_config=5)  # one U subframe per 10 ms
    pusch = [b for b in bursts if b.meta["channel"] == "pusch" and b.t_start_s > 0]
    assert pusch and all(abs(b.duration_s - 1e-3) < 1e-9 for b in pusch)
    starts = np.array([b.t_start_s for b in bursts if b.t_start_s > 0])
    phase = np.mod(starts - pusch[0].t_start_s + 1e-9, 10e-3)
    assert np.all(phase < 1e-3)  # PUSCH and PUCCH only in the frame's one uplink subframe


# ---------------------------------------------------------------- LTE: slices and scenes


def test_lte_downlink_slice_for_a_narrow_receiver():
    window = (1815.3e6 - 1.2e6, 1815.3e6 + 1.2e6)
    bursts = emit("lte", 0.2, "B3 DL", seed=9, window_hz=window, bandwidth_hz=20e6)
    assert len(bursts) == 1
    b = bursts[0]
    assert b.duration_s == pytest.approx(0.2, abs=1e-6)
    assert b.sample_rate_hz <= 3.84e6  # the visible slice only, not 30.72 MS/s
    assert b.f_lo_hz < window[0] and b.f_hi_hz > window[1]  # the whole carrier covers the window
    assert b.power_fraction == pytest.approx(2.4e6 / 18e6, rel=0.1)
    f, p = psd(b.samples, b.sample_rate_hz, 512)
    inside = np.abs(f + b.rf_hz - 1815.3e6) < 1.0e6
    assert p[inside].min() > 0.3 * p[inside].mean()  # flat across the window: no edge, no DC hole


def test_lte_render_through_rtlsdr_inside_a_20_mhz_carrier():
    scene = Scene([EmitterSpec("lte", 15.0, band="B3 DL", params={"bandwidth_hz": 20e6}, emitter_id="cell")],
                  rtlsdr(1815.3e6, 2.4e6), 0.1)
    rec = render(scene, np.random.default_rng(10))
    anns = [a for a in rec.annotations if a["core:label"] == "lte"]
    assert len(anns) == 1
    a = anns[0]
    assert a["core:freq_upper_edge"] - a["core:freq_lower_edge"] == pytest.approx(18e6, rel=1e-3)
    assert a["rfclassify:visible_freq_lower_edge"] >= 1815.3e6 - 1.2e6 - 100e3
    assert a["core:sample_count"] == len(rec.samples)
    f, p = psd(rec.samples, 2.4e6, 256)
    lte_only = psd(rec.components["cell"] * rec.gain, 2.4e6, 256)[1]
    inside = (np.abs(f) < 0.9e6) & (np.abs(f) > 50e3)  # away from the dongle's DC spike
    # The carrier fills the whole window evenly and dominates the recording there (15 dB over noise).
    assert lte_only[inside].min() > 0.3 * lte_only[inside].mean()
    assert np.median(lte_only[inside] / p[inside]) > 0.8


def test_lte_tdd_render_through_a_wideband_receiver():
    scene = Scene([EmitterSpec("lte", 20.0, band="B40", params={"bandwidth_hz": 10e6, "direction": "downlink",
                                                                 "tdd_config": 2})],
                  wideband(2350e6, 20e6), 0.03)
    rec = render(scene, np.random.default_rng(11))
    anns = [a for a in rec.annotations if a["core:label"] == "lte"]
    assert len(anns) >= 4  # a burst train, not one emission
    lo, hi = anns[0]["core:freq_lower_edge"], anns[0]["core:freq_upper_edge"]
    assert hi - lo == pytest.approx(9e6, rel=1e-3)
    f, p = psd(rec.samples, 20e6, 1024)
    rf = f + 2350e6
    inside = (rf > lo + 0.5e6) & (rf < hi - 0.5e6)
    outside = (rf < lo - 1e6) | (rf > hi + 1e6)
    assert np.median(p[inside]) > 10 * np.median(p[outside])


# ---------------------------------------------------------------- NR


def test_nr_bands_follow_ts38101():
    sig = get("nr")
    assert sig.label == "nr" and not sig.drone and sig.link == "none" and sig.order == 14 and sig.continuous
    names = {b.name for b in sig.bands}
    assert {"n71 DL", "n25 DL", "n66 DL", "n5 DL", "n2 DL", "n41", "n77", "n78"} <= names
    assert (sig.band("n71 DL").lo_hz, sig.band("n71 DL").hi_hz) == (617e6, 652e6)
    assert (sig.band("n77").lo_hz, sig.band("n77").hi_hz) == (3300e6, 4200e6)
    assert (sig.band("n25 DL").lo_hz, sig.band("n25 DL").hi_hz) == (1930e6, 1995e6)
    assert sig.in_band([3700e6, 2600e6, 630e6], 20e6).tolist() == [True, True, True]
    assert not sig.in_band(2440e6, 2e6) and not sig.in_band(5800e6, 10e6) and not sig.in_band(915e6, 0.5e6)


def _nr_ssb_view(bursts, duration_s: float) -> tuple[np.ndarray, float, float]:
    """The timeline mixed so the SSB's PSS middle (block subcarrier 119) is at 0 Hz; (samples, rate, SCS)."""
    x, fs = timeline(bursts, duration_s)
    meta = bursts[0].meta
    scs = meta["scs_hz"]
    shift = meta["ssb_hz"] - scs - bursts[0].rf_hz
    return x * np.exp(-2j * np.pi * shift * np.arange(len(x)) / fs), fs, scs


@pytest.mark.parametrize("band, bw_hz, period_s", [("n71 DL", 5e6, 20e-3), ("n78", 10e6, 20e-3), ("n25 DL", 5e6, 10e-3)])
def test_nr_ssb_period_position_width_and_root(band, bw_hz, period_s):
    n_id2 = 2
    duration_s = 3.3 * period_s
    bursts = emit("nr", duration_s, band, seed=12, bandwidth_hz=bw_hz, load=0.0, cell_id=3 * 200 + n_id2,
                  ssb_period_s=period_s, n_ssb=2)
    x, fs, scs = _nr_ssb_view(bursts, duration_s)
    nfft = round(fs / scs)
    scores = []
    for root_id in range(3):
        peaks, metric = sync_peaks(x, nr_pss_time(root_id, nfft), nfft)
        scores.append(metric.max())
        if root_id == n_id2:
            found = peaks
    assert int(np.argmax(scores)) == n_id2 and scores[n_id2] > 0.8
    t = found / fs
    groups = np.split(t, np.flatnonzero(np.diff(t) > 4e-3) + 1)
    assert len(groups) >= 3 and all(len(g) == 2 for g in groups)  # n_ssb blocks per burst
    assert np.diff([g[0] for g in groups]) == pytest.approx(np.full(len(groups) - 1, period_s), abs=2 / fs)
    # Cases A / C: the two first blocks start on symbols 2 and 8 of the first slot: 6 symbols apart,
    # one of them (symbol 7) with the long CP at 15 kHz, where it starts the second 0.5 ms.
    spacing_s = 6 * (1 + 144 / 2048) / scs + (16 / 2048 / scs if scs == 15e3 else 0.0)
    assert [g[1] - g[0] for g in groups] == pytest.approx([spacing_s] * len(groups), abs=2 / fs)
    # An idle NR cell sends its SSBs only: 240 subcarriers (3.6 MHz at 15 kHz, 7.2 MHz at 30 kHz).
    on = np.abs(x) > 0
    bw, lo, hi = occupied_bandwidth_hz(x[on], fs, 0.99, nfft=1024)
    assert 0.93 * 240 * scs < bw <= 1.01 * 240 * scs
    assert (lo + hi) / 2 == pytest.approx(0.5 * scs, abs=scs)  # centred on SS_REF, half a subcarrier above 0


def test_nr_idle_cell_is_silent_between_ssbs_unlike_lte():
    nr = emit("nr", 0.04, "n25 DL", seed=13, bandwidth_hz=5e6, load=0.0)
    lte = emit("lte", 0.04, "B25 DL", seed=13, bandwidth_hz=5e6, load=0.0)

    def on_share(bursts):
        x, fs = timeline(bursts, 0.04)
        n = round(fs * 0.5e-3)  # per 0.5 ms
        blocks = np.abs(x[: len(x) // n * n].reshape(-1, n)) ** 2
        return float(np.mean(blocks.sum(axis=1) > 0))

    assert on_share(nr) < 0.15  # at most 4 SSBs of 4 symbols per 20 ms: 2 ms of 20
    assert on_share(lte) == 1.0  # CRS in every slot (symbols 0 and 4) whatever the load


def test_nr_30_khz_cyclic_prefix_and_slot():
    b = emit("nr", 0.003, "n25 DL", seed=14, bandwidth_hz=10e6, load=0.9)[0]
    assert b.meta["scs_hz"] == 15e3
    b = emit("nr", 0.003, "n78", seed=14, bandwidth_hz=20e6, load=0.9, tdd_pattern="DDDDDDDSUU")[0]
    x, fs = b.samples, b.sample_rate_hz
    lag = round(fs / 30e3)  # 33.3 µs
    cp = 144 * lag // 2048
    prod = x[lag:] * np.conj(x[:-lag])
    metric = np.abs(np.convolve(prod, np.ones(cp), mode="valid")) / (
        np.convolve(np.abs(x[:-lag]) ** 2, np.ones(cp), mode="valid") + 1e-12
    )
    peaks, _ = find_peaks(metric, height=0.7, distance=lag // 2)
    periods = np.diff(peaks) / fs
    assert np.median(periods) == pytest.approx((1 + 144 / 2048) / 30e3, abs=0.2e-6)  # 35.68 µs
    assert np.mean(periods[:200]) == pytest.approx(0.5e-3 / 14, rel=3e-3)  # 14 symbols per 0.5 ms slot


@pytest.mark.parametrize("pattern, on_slots, period_s", [("DDDSU", 3, 2.5e-3), ("DDDDDDDSUU", 7, 5e-3)])
def test_nr_tdd_pattern(pattern, on_slots, period_s):
    bursts = emit("nr", 0.03, "n41", seed=15, bandwidth_hz=20e6, load=0.9, tdd_pattern=pattern)
    x, fs = timeline(bursts, 0.03)
    runs = on_runs(x, fs)[1:-1]
    starts, durations = runs[:, 0], runs[:, 1] - runs[:, 0]
    # D slots of 0.5 ms, then the special slot's 10 downlink symbols (the first with the long CP).
    special_s = (10 * (2048 + 144) + 32) / (2048 * 30e3)
    assert durations == pytest.approx(np.full(len(runs), on_slots * 0.5e-3 + special_s), abs=3e-6)
    assert np.diff(starts) == pytest.approx(np.full(len(runs) - 1, period_s), abs=3e-6)


def test_nr_slice_of_a_100_mhz_carrier_through_narrow_and_wide_receivers():
    window = (3700e6 - 1.2e6, 3700e6 + 1.2e6)
    bursts = emit("nr", 0.02, "n77", seed=16, window_hz=window, bandwidth_hz=100e6, tdd_pattern="DDDSU")
    assert bursts and max(b.sample_rate_hz for b in bursts) <= 4 * 30e3 * 128  # not 122.88 MS/s
    b = bursts[0]
    assert b.f_hi_hz - b.f_lo_hz == pytest.approx(273 * 12 * 30e3)  # 98.28 MHz
    assert b.f_lo_hz < window[0] and b.f_hi_hz > window[1]
    assert b.power_fraction == pytest.approx(2.4e6 / 98.28e6, rel=0.15)
    scene = Scene([EmitterSpec("nr", 20.0, band="n77", params={"bandwidth_hz": 100e6, "load": 0.9, "carrier_hz": 3690e6},
                               emitter_id="gnb")], wideband(3700e6, 20e6), 0.02)
    rec = render(scene, np.random.default_rng(17))
    anns = [a for a in rec.annotations if a["core:label"] == "nr"]
    assert anns and all(a["core:freq_upper_edge"] - a["core:freq_lower_edge"] > 90e6 for a in anns)
    comp = rec.components["gnb"]
    f, p = psd(comp[np.abs(comp) > 0], 20e6, 512)
    inside = np.abs(f) < 8e6
    assert p[inside].min() > 0.2 * p[inside].mean()  # the slice fills the receiver's band


def test_nr_ssbs_only_on_downlink_symbols_of_the_tdd_pattern():
    # DDSUU at 30 kHz: slots 0-1 downlink, slot 2 special (10 downlink symbols): candidates 2, 8, 16, 22, 30.
    with pytest.raises(ValueError, match="n_ssb"):
        emit("nr", 0.01, "n78", seed=18, bandwidth_hz=10e6, tdd_pattern="DDSUU", n_ssb=6)
    bursts = emit("nr", 0.045, "n78", seed=18, bandwidth_hz=10e6, tdd_pattern="DDSUU", n_ssb=5, load=0.0, cell_id=7)
    x, fs, scs = _nr_ssb_view(bursts, 0.045)
    peaks, _ = sync_peaks(x, nr_pss_time(7 % 3, round(fs / scs)), round(fs / scs))
    t = peaks / fs
    groups = np.split(t, np.flatnonzero(np.diff(t) > 4e-3) + 1)
    assert len(groups) >= 2 and all(len(g) == 5 for g in groups)  # every PSS whole: none cut by the pattern
