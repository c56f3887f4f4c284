"""Wideband signatures measured against their specs: dji-ocusync, analog-video, wifi, noise.

Each test generates a signal through ``SIGNATURE.emit`` and measures it from
the samples (PSD, envelope, cyclic-prefix autocorrelation, instantaneous
frequency, per-symbol FFTs), never by re-reading the numbers it was built
from. The real recordings in ``shared/realdata`` are used, when present, only
to compare measurements (evaluation, never training).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rfclassify.dsp.measure import (
    burst_spans,
    instantaneous_frequency_hz,
    occupied_bandwidth_hz,
    psd,
)
from rfclassify.dsp.modulation import zadoff_chu
from rfclassify.signatures import REGISTRY, Band, get
from rfclassify.testing.bursts import emit, on_runs, timeline

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
DRONEID_REAL = REALDATA / "RUB-SysSec_DroneSecurity" / "mavic_air_2.sigmf-data"
WIFI_REAL = REALDATA / "jhshi_openofdm" / "radiated" / "dot11n_6.5mbps.dat"


def cp_symbol_period(x: np.ndarray, nfft: int, cp: int) -> float:
    """Median distance (samples) between cyclic-prefix autocorrelation peaks at lag ``nfft``."""
    prod = x[nfft:] * np.conj(x[:-nfft])
    corr = np.abs(np.convolve(prod, np.ones(cp), mode="valid"))
    energy = np.convolve(np.abs(x[:-nfft]) ** 2, np.ones(cp), mode="valid") + 1e-12
    metric = corr / energy
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(metric, height=0.6, distance=nfft // 2)
    assert len(peaks) >= 3, "no cyclic-prefix structure found"
    return float(np.median(np.diff(peaks)))


# ---------------------------------------------------------------- noise


def test_noise_emits_nothing_over_any_band():
    sig = get("noise")
    assert sig.link == "none" and not sig.drone
    band = sig.band()
    assert band.lo_hz <= 24e6 and band.hi_hz >= 6e9
    assert emit("noise", 1.0, band, seed=1) == []
    assert emit("noise", 1.0, band, seed=1, window_hz=(914e6, 916e6)) == []


def test_wideband_labels_registered():
    for label in ("dji-ocusync", "analog-video", "wifi", "noise"):
        assert label in REGISTRY
    assert get("dji-ocusync").drone and get("analog-video").drone and not get("wifi").drone


# ---------------------------------------------------------------- DJI DroneID


def _droneid(seed: int = 3, window=None, duration_s: float = 1.3):
    bursts = emit("dji-ocusync", duration_s, "2.4G", seed=seed, window_hz=window, mode="droneid")
    assert bursts and all(b.link == "telemetry" for b in bursts)
    return bursts


def test_droneid_burst_duration_bandwidth_and_symbols():
    b = _droneid()[0]
    fs = b.sample_rate_hz
    padded = np.concatenate([np.zeros(2000, np.complex64), b.samples, np.zeros(2000, np.complex64)])
    spans = burst_spans(padded, fs, threshold_db=10, smooth_s=2e-6)
    assert len(spans) == 1
    # 9·66.67 µs + 2·5.21 µs + 7·4.69 µs = 643.2 µs (RUB recording: 32180 / 50 MS/s = 643.6 µs)
    assert spans[0][1] - spans[0][0] == pytest.approx(643.2e-6, abs=3e-6)
    bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=1024)
    assert bw == pytest.approx(9.0e6, rel=0.03)
    # symbol period 1024 + 72 samples at 15.36 MS/s = 71.35 µs
    period = cp_symbol_period(b.samples, 1024, 72)
    assert period / fs == pytest.approx(71.35e-6, abs=0.2e-6)


def test_droneid_zadoff_chu_symbols_4_and_6():
    b = _droneid(seed=5)[0]
    x = b.samples
    assert b.sample_rate_hz == 15.36e6
    cps = [80, 72, 72, 72, 72, 72, 72, 72, 80]
    start = np.cumsum([0] + [c + 1024 for c in cps[:-1]]) + np.array(cps)
    k = np.arange(-300, 301)
    for sym, root in ((3, 600), (5, 147)):
        spec = np.fft.fft(x[start[sym] : start[sym] + 1024])[k % 1024]
        ref = zadoff_chu(root, 601)
        ref[300] = 0
        corr = np.abs(np.vdot(ref, spec)) / (np.linalg.norm(ref) * np.linalg.norm(spec))
        assert corr > 0.99
        other = zadoff_chu(147 if root == 600 else 600, 601)
        assert np.abs(np.vdot(other, spec)) / (np.linalg.norm(other) * np.linalg.norm(spec)) < 0.2
    # the other symbols are QPSK: four clusters of equal magnitude
    data = np.fft.fft(x[start[0] : start[0] + 1024])[k[k != 0] % 1024]
    ang = np.angle(data) % (np.pi / 2)
    assert np.std(np.abs(data)) / np.mean(np.abs(data)) < 0.05
    assert np.allclose(ang, np.median(ang), atol=0.05)


def test_droneid_period_and_hop_channels():
    bursts = emit("dji-ocusync", 12.0, "2.4G", seed=11, mode="droneid")
    t = np.array([b.t_start_s for b in bursts])
    assert np.median(np.diff(t)) == pytest.approx(0.6, abs=0.01)
    rf = np.array(sorted({b.rf_hz for b in bursts}))
    assert len(rf) >= 4
    steps = np.diff(rf) / 15e6
    assert np.allclose(steps, np.round(steps))  # a 15 MHz raster
    assert rf.min() >= 2399.5e6 and rf.max() <= 2474.5e6
    assert t.min() > 0  # a random phase into the schedule


def test_droneid_window_slice_equals_full_signal():
    """Same seed, full vs 2.4 MHz window: the visible subcarriers carry the same symbols."""
    full = _droneid(seed=7)[0]
    win = (full.rf_hz + 1.0e6, full.rf_hz + 3.4e6)
    part = _droneid(seed=7, window=win)[0]
    assert part.t_start_s == full.t_start_s
    assert part.sample_rate_hz <= 4e6
    assert part.f_lo_hz == full.f_lo_hz and part.f_hi_hz == full.f_hi_hz
    assert part.power_fraction == pytest.approx(2.4e6 / 9.0e6, abs=0.03)
    _bw, lo, hi = occupied_bandwidth_hz(part.samples, part.sample_rate_hz, 0.99, nfft=256)
    assert part.rf_hz + lo > win[0] - 0.1e6 and part.rf_hz + hi < win[1] + 0.1e6
    nfft_p = round(part.sample_rate_hz / 15e3)
    k0 = round((part.rf_hz - full.rf_hz) / 15e3)
    cps = np.array([80, 72, 72, 72, 72, 72, 72, 72, 80])
    start_f = np.cumsum(np.r_[0, cps[:-1] + 1024]) + cps
    cps_p = cps * nfft_p // 1024
    start_p = np.cumsum(np.r_[0, cps_p[:-1] + nfft_p]) + cps_p
    k = np.arange(k0 - 60, k0 + 61)
    for i in range(9):
        a = np.fft.fft(full.samples[start_f[i] : start_f[i] + 1024])[k % 1024]
        b = np.fft.fft(part.samples[start_p[i] : start_p[i] + nfft_p])[(k - k0) % nfft_p]
        assert np.abs(np.vdot(a, b)) / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.999


@pytest.mark.skipif(not DRONEID_REAL.exists(), reason="real DroneID recording not available")
def test_droneid_looks_like_the_real_mavic_air_2_bursts():
    fs_real = 50e6
    real = np.fromfile(DRONEID_REAL, dtype=np.complex64)
    burst = real[128639 : 128639 + 32180]
    n = np.arange(len(burst))
    burst = burst * np.exp(-2j * np.pi * (2459.5e6 - 2457.5e6) * n / fs_real)
    bw_real, _, _ = occupied_bandwidth_hz(burst, fs_real, 0.99, nfft=2048)
    period_real = cp_symbol_period(burst, 3333, 234) / fs_real
    syn = _droneid()[0]
    bw_syn, _, _ = occupied_bandwidth_hz(syn.samples, syn.sample_rate_hz, 0.99, nfft=1024)
    period_syn = cp_symbol_period(syn.samples, 1024, 72) / syn.sample_rate_hz
    assert bw_syn == pytest.approx(bw_real, rel=0.03)
    assert period_syn == pytest.approx(period_real, rel=0.005)
    assert syn.duration_s == pytest.approx(32180 / fs_real, rel=0.005)


# ---------------------------------------------------------------- DJI video


@pytest.mark.parametrize("bw_hz, expected_hz", [(10e6, 9.0e6), (20e6, 18.0e6)])
def test_ocusync_video_bandwidth_symbols_and_duty(bw_hz, expected_hz):
    bursts = emit("dji-ocusync", 0.05, "2.4G", seed=2, mode="video", bw_hz=bw_hz)
    assert bursts and all(b.link == "video" for b in bursts)
    x, fs = timeline(bursts, 0.05)
    bw, _, _ = occupied_bandwidth_hz(bursts[0].samples, fs, 0.99, nfft=2048)
    assert bw == pytest.approx(expected_hz, rel=0.03)
    nfft = round(fs / 15e3)
    period = cp_symbol_period(bursts[0].samples, nfft, nfft * 72 // 1024)
    assert period / fs == pytest.approx(71.35e-6, abs=0.3e-6)
    spans = on_runs(x, fs, bridge_s=5e-6)[:-1]  # the last run may be cut by the end of the timeline
    durations = spans[:, 1] - spans[:, 0]
    on = durations.sum() / (spans[-1][1] - spans[0][0])
    assert on > 0.8  # high duty cycle
    # runs are whole 1 ms subframes
    ms = durations / 1e-3
    assert np.all(np.abs(ms - np.round(ms)) < 0.02) and np.all(np.round(ms) >= 1)


def test_ocusync_both_modes_do_not_overlap_and_slice_is_cheap():
    sig = get("dji-ocusync")
    win = (2440e6 - 1.2e6, 2440e6 + 1.2e6)
    bursts = emit("dji-ocusync", 1.0, Band("2.4G", 2435e6, 2445e6, (2440e6,)), seed=4, window_hz=win, mode="both",
                  bw_hz=10e6)
    # Cheap by construction (speed itself is measured by scripts/bench_synth.py): the slice is rendered
    # at a rate for the 2.4 MHz window, not at the 15.36 MS/s of the whole 10 MHz signal.
    assert max(b.sample_rate_hz for b in bursts) < 5e6
    video = [b for b in bursts if b.link == "video"]
    droneid = [b for b in bursts if b.link == "telemetry"]
    assert video and droneid
    assert max(b.sample_rate_hz for b in bursts) <= 4e6
    for d in droneid:
        for v in video:
            assert (
                v.t_start_s + v.duration_s <= d.t_start_s + 1e-9
                or v.t_start_s >= d.t_start_s + d.duration_s - 1e-9
            )
    assert sig.band("5.8G").lo_hz == 5725e6


# ---------------------------------------------------------------- Wi-Fi


def _wifi(seed=1, duration_s=0.05, window=None, **params):
    band = Band("ch6", 2400e6, 2483.5e6, (2437e6,))
    return emit("wifi", duration_s, band, seed=seed, window_hz=window, **params)


@pytest.mark.parametrize("standard, expected_hz", [("11g", 16.6e6), ("11n", 17.8e6)])
def test_wifi_bandwidth_preamble_and_symbols(standard, expected_hz):
    bursts = _wifi(standard=standard, load=0.5)
    data = [b for b in bursts if b.meta["frame"] == "data"]
    assert data
    b = max(data, key=lambda q: len(q.samples))
    fs = b.sample_rate_hz
    assert fs == 20e6 and b.rf_hz == 2437e6
    bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=256)
    assert bw == pytest.approx(expected_hz, abs=0.6e6)
    x = b.samples
    # L-STF: 0.8 µs periodic over its 8 µs; L-LTF: two identical 3.2 µs symbols
    stf = x[:160]
    assert np.abs(np.vdot(stf[:-16], stf[16:])) / np.vdot(stf[:-16], stf[:-16]).real > 0.99
    ltf = x[160 + 32 : 160 + 160]
    assert np.abs(np.vdot(ltf[:64], ltf[64:])) / np.vdot(ltf[:64], ltf[:64]).real > 0.99
    # data symbols: 3.2 µs + 0.8 µs guard → 4 µs period from the CP autocorrelation
    assert cp_symbol_period(x[320:], 64, 16) == pytest.approx(80, abs=1)


def test_wifi_sifs_difs_and_frame_lengths():
    bursts = _wifi(seed=2, duration_s=0.2, standard="11g", load=0.5, beacons=False)
    x, fs = timeline(bursts, 0.2)
    assert fs == 20e6
    spans = on_runs(x, fs, bridge_s=0.5e-6)[:-1]  # the last may be cut by the end
    gaps = spans[1:, 0] - spans[:-1, 1]
    lengths = spans[:, 1] - spans[:, 0]
    assert lengths.min() > 20e-6 and lengths.max() < 2.2e-3
    sifs = gaps[gaps < 25e-6]
    assert len(sifs) >= 0.9 * len(gaps) / 2  # every data frame is answered by an ACK
    assert np.median(sifs) == pytest.approx(16e-6, abs=0.5e-6)
    others = gaps[gaps >= 25e-6]
    assert others.min() >= 34e-6 - 0.5e-6  # DIFS
    acks = [b for b in bursts if b.meta["frame"] == "ack"]
    data = [b for b in bursts if b.meta["frame"] == "data"]
    assert len(acks) == len(data) > 100  # one ACK a data frame
    assert all(b.duration_s <= 44e-6 + 1e-9 for b in acks)


def test_wifi_beacons_every_102_4_ms_and_channels():
    bursts = _wifi(seed=3, duration_s=1.0, standard="11n", load=0.1, window=(2436e6, 2438e6))
    beacons = np.array([b.t_start_s for b in bursts if b.meta["frame"] == "beacon"])
    assert len(beacons) >= 9
    assert np.median(np.diff(beacons)) == pytest.approx(0.1024, abs=2e-3)
    rf = {emit("wifi", 0.005, "2.4G", seed=s)[0].meta["channel_hz"] for s in range(12)}
    assert len(rf) >= 4
    assert all(abs((f - 2412e6) / 5e6 - round((f - 2412e6) / 5e6)) < 1e-9 for f in rf)


def test_wifi_window_slice_and_speed():
    win = (2437e6 - 1.2e6, 2437e6 + 1.2e6)
    bursts = _wifi(seed=4, duration_s=1.0, window=win, standard="11n", load=0.6, rate_index=7)
    x, fs = timeline(bursts, 1.0)
    assert fs == 5e6
    on = np.mean(np.abs(x) > 0)
    assert on == pytest.approx(0.6, abs=0.12)  # airtime ≈ load
    f, p = psd(x, fs, nfft=256)
    # the slice keeps the window's subcarriers plus 2 either side for the receiver's filter
    inside = p[np.abs(f) < 1.2e6 + 2.5 * 312.5e3].sum() / p.sum()
    assert inside > 0.97


@pytest.mark.skipif(not WIFI_REAL.exists(), reason="real Wi-Fi recording not available")
def test_wifi_looks_like_the_real_openofdm_packets():
    raw = np.fromfile(WIFI_REAL, dtype=np.int16).astype(np.float32)
    real = (raw[0::2] + 1j * raw[1::2]).astype(np.complex64)
    spans = burst_spans(real, 20e6, threshold_db=10, smooth_s=2e-6, min_gap_s=10e-6)
    s, e = max(spans, key=lambda q: q[1] - q[0])
    pkt = real[int(s * 20e6) + 400 : int(e * 20e6) - 20]  # the data part, past the preamble
    syn = max(
        (b for b in _wifi(standard="11n", load=0.5) if b.meta["frame"] == "data"),
        key=lambda q: len(q.samples),
    )

    # The USRP's decimation filters tilt the real spectrum by ~10 dB towards the
    # edges (its 99 % bandwidth is ~15 MHz) and the noise-free synthetic one
    # leaks ~18 dB below its flat top into the 3 bins beyond ±28, so count the
    # occupied 312.5 kHz subcarrier bins with a threshold suited to each.
    def used_bins(x, below_db):
        _, p = psd(x, 20e6, nfft=64)
        return int(np.sum(p > np.median(p) * 10 ** (-below_db / 10)))

    assert used_bins(pkt, 25) == pytest.approx(57, abs=2)  # HT20: ±28 subcarriers (+DC)
    assert used_bins(syn.samples[720:], 6) == pytest.approx(used_bins(pkt, 25), abs=2)
    assert cp_symbol_period(syn.samples[720:], 64, 16) == 80  # 4 µs at 20 MS/s
    assert cp_symbol_period(pkt, 64, 16) == pytest.approx(
        80, abs=1
    )  # real: multipath-blurred peaks


# ---------------------------------------------------------------- analog video


def _video(seed=1, duration_s=0.005, window=None, **params):
    band = Band("1.2G", 1080e6, 1360e6, (1200e6,))
    (b,) = emit("analog-video", duration_s, band, seed=seed, window_hz=window, **params)
    assert b.link == "video" and b.t_start_s == 0.0
    return b


@pytest.mark.parametrize("standard, line_rate_hz", [("PAL", 15625.0), ("NTSC", 15734.27)])
def test_analog_video_sync_line_rate_deviation_and_bandwidth(standard, line_rate_hz):
    dev = 3.5e6
    b = _video(duration_s=0.045, standard=standard, dev_hz=dev, audio_hz=6.5e6, pattern="bars")
    fs = b.sample_rate_hz
    # low-pass the instantaneous frequency below the chroma/audio subcarriers
    f_inst = instantaneous_frequency_hz(b.samples, fs)
    n = round(1e-6 * fs)
    f_smooth = np.convolve(f_inst, np.ones(n) / n, mode="same")
    sync = f_smooth < -0.7 * dev  # halfway between blanking (−0.4·dev) and sync tip (−dev)
    edges = np.flatnonzero(np.diff(sync.astype(np.int8)) == 1)
    falls = np.flatnonzero(np.diff(sync.astype(np.int8)) == -1)
    widths = np.array([(falls[falls > r][0] - r) / fs for r in edges[:-1] if np.any(falls > r)])
    line_pulses = widths[(widths > 3.5e-6) & (widths < 6e-6)]
    assert np.median(line_pulses) == pytest.approx(4.7e-6, abs=0.3e-6)
    steps = np.diff(edges) / fs
    line_s = np.median(steps[steps > 40e-6])
    assert 1 / line_s == pytest.approx(line_rate_hz, rel=2e-3)
    # the sync tip sits at −dev (the bottom of the deviation range)
    assert np.median(f_smooth[sync]) == pytest.approx(-dev, rel=0.05)
    bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=4096)
    assert 8e6 < bw < 18e6
    assert b.f_hi_hz - b.f_lo_hz == pytest.approx(bw, rel=0.1)


def test_analog_video_slice_sweeps_through_window_at_line_rate():
    win = (1200e6 - 2.2e6, 1200e6 + 0.2e6)
    b = _video(seed=2, duration_s=1.0, window=win, standard="PAL", dev_hz=3e6, pattern="scene")
    fs = b.sample_rate_hz
    assert fs <= 4e6 and len(b.samples) == pytest.approx(fs, abs=1)
    # the in-window energy repeats every line: envelope autocorrelation peaks at 64 µs
    env = np.abs(b.samples[: int(0.1 * fs)]) ** 2
    env = env - env.mean()
    spec = np.fft.rfft(env, 2 * len(env))
    acf = np.fft.irfft(np.abs(spec) ** 2)[: len(env)]
    acf /= acf[0]
    lags = np.arange(len(acf)) / fs
    search = (lags > 40e-6) & (lags < 90e-6)
    lag_s = lags[search][np.argmax(acf[search])]
    assert lag_s == pytest.approx(64e-6, abs=0.5e-6)
    assert acf[search].max() > 0.5
    # the slice carries the share of power the full signal has inside the window
    full = _video(seed=2, duration_s=0.04, standard="PAL", dev_hz=3e6, pattern="scene")
    f, p = psd(full.samples, full.sample_rate_hz, nfft=8192)
    lo, hi = win[0] - full.rf_hz, win[1] - full.rf_hz
    share = p[(f >= lo) & (f <= hi)].sum() / p.sum()
    assert b.power_fraction == pytest.approx(share, abs=0.02)
    _bw, blo, bhi = occupied_bandwidth_hz(b.samples, fs, 0.999, nfft=1024)
    assert b.rf_hz + blo >= win[0] - 0.1e6 and b.rf_hz + bhi <= win[1] + 0.1e6


def test_analog_video_is_continuous_across_frames():
    b = _video(seed=3, duration_s=0.1, standard="NTSC", dev_hz=3e6, audio_hz=0.0)
    f_inst = instantaneous_frequency_hz(b.samples, b.sample_rate_hz)
    # no phase glitch anywhere (also at the frame seams): |f| stays inside the deviation range plus chroma
    assert np.max(np.abs(f_inst)) < 3e6 + 1.5e6
    assert np.mean(np.abs(b.samples) ** 2) == pytest.approx(1.0, rel=0.01)


def test_analog_video_channels_and_skips_invisible():
    sig = get("analog-video")
    assert {5658e6, 5917e6, 5645e6, 5945e6} <= set(sig.band("5.8G").channels_hz)
    assert sig.band("1.2G").channels_hz[0] == 1080e6
    assert (
        emit("analog-video", 1.0, Band("1.2G", 1080e6, 1360e6, (1200e6,)), seed=1, window_hz=(915e6, 917e6)) == []
    )


def test_synthesized_droneid_bursts_are_real_frames_that_decode():
    """The scene's DroneID bursts carry decodable flight information: one serial, counting sequence."""
    from rfclassify.dsp.droneid import decode_bursts
    from rfclassify.synth import EmitterSpec, Scene, render, wideband

    sig = get("dji-ocusync")
    channel_hz = sig.band("2.4G").channels_hz[2]
    emitter = EmitterSpec("dji-ocusync", snr_db=20.0, band="2.4G",
                          params={"mode": "droneid", "droneid_channels": (2,)})
    receiver = wideband(center_freq_hz=channel_hz + 2e6, sample_rate_hz=20e6)
    rendered = render(Scene([emitter], receiver, 1.3), np.random.default_rng(11))
    truth = [a for a in rendered.annotations if a.get("rfclassify:link") == "telemetry"]
    assert len(truth) >= 2
    frames = decode_bursts(rendered.samples, 20e6, receiver.center_freq_hz)
    good = [f for f in frames if f.message_crc_ok]
    assert len(good) == len(truth)
    assert len({f.serial for f in good}) == 1 and len(good[0].serial) == 14
    sequences = [f.sequence for f in good]
    assert np.array_equal(np.diff(sequences), np.ones(len(good) - 1))
    assert 25.0 < good[0].pilot_lat < 33.5 and -118.0 < good[0].pilot_lon < -96.0
