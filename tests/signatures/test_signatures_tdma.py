"""TDMA and land-mobile clutter measured against their standards: gsm, dect, lmr.

Every test builds a signal through ``SIGNATURE.emit`` (or renders a scene) and
measures it from the samples — instantaneous frequency, envelope spans,
spectra, spectral lines — never by re-reading the constants it was built from.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import fftconvolve

from rfclassify.dsp.measure import instantaneous_frequency_hz, occupied_bandwidth_hz, psd
from rfclassify.dsp.modulation import raised_cosine_taps
from rfclassify.signatures import get
from rfclassify.signatures import gsm as gsm_module
from rfclassify.synth.receiver import rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Scene, render
from rfclassify.testing.bursts import emit, on_runs, timeline

GSM = get("gsm")
DECT = get("dect")
LMR = get("lmr")


def spectral_line_hz(y, fs_hz, lo_hz, hi_hz):
    """Frequency of the strongest spectral line of real ``y`` between ``lo_hz`` and ``hi_hz``."""
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    f = np.fft.rfftfreq(len(y), 1.0 / fs_hz)
    band = (f >= lo_hz) & (f <= hi_hz)
    return float(f[band][np.argmax(spec[band])])


# ---------------------------------------------------------------- GSM


def test_gsm_training_sequences_are_cyclic_extensions_of_distinct_cores():
    """TS 45.002 Table 5.2.3-1: each TSC is a 16-bit core with 5 bits cyclically repeated either side."""
    cores = set()
    for text in gsm_module.TSC:
        b = np.array([int(c) for c in text])
        assert len(b) == 26
        assert (b[:5] == b[16:21]).all() and (b[21:] == b[5:10]).all()
        cores.add(text[5:21])
    assert len(cores) == 8


def test_gsm_bcch_is_continuous_200khz_raster_and_about_250khz_wide():
    bursts = emit(GSM, 0.3, "GSM850-DL", seed=1, carrier="bcch")
    assert len(bursts) == 1
    b = bursts[0]
    assert b.t_start_s == 0.0 and b.duration_s == pytest.approx(0.3, abs=2e-6)
    env = np.abs(b.samples)
    assert env.min() > 0.95 * env.max()  # every slot of every frame is sent, at constant envelope
    bw, lo, hi = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, 0.99, nfft=2048)
    # GMSK BT 0.3 at 270.833 kb/s: 99 % of the power within ~0.92 × the bit rate, on a 200 kHz raster.
    assert 225e3 < bw < 260e3 and abs(lo + hi) < 10e3
    for seed in range(20):
        rf = emit(GSM, 0.01, "PCS1900-DL", seed=seed, carrier="bcch")[0].rf_hz
        k = (rf - 1930.2e6) / 200e3
        assert abs(k - round(k)) < 1e-6 and 1930e6 < rf < 1990e6


def test_gsm_fcch_is_a_tone_at_plus_67_7_khz_every_10_or_11_frames():
    b = emit(GSM, 0.5, "GSM850-DL", seed=2, carrier="bcch")[0]
    fs = b.sample_rate_hz
    f = instantaneous_frequency_hz(b.samples, fs)
    f = np.convolve(f, np.ones(8) / 8, mode="same")
    tone = np.abs(f - 1625e3 / 24) < 3e3
    starts, ends = on_runs(tone, 1.0).T  # in samples
    lengths = ends - starts
    keep = lengths > 130 * 4  # ≥ 130 bit periods at 4 samples per bit
    starts, lengths = starts[keep], lengths[keep]
    assert len(starts) >= 9
    assert np.all(np.abs(lengths / 4 - 142) < 8)  # the 142 fixed bits (plus tails)
    frame_s = 60e-3 / 13
    gaps = np.diff(starts) / fs / frame_s
    assert np.all(np.isin(np.round(gaps), [10, 11])) and np.allclose(gaps, np.round(gaps), atol=0.01)
    assert 11 in np.round(gaps)  # the 51-multiframe: 10, 10, 10, 10, 11


def test_gsm_sch_follows_each_fcch_by_one_frame():
    b = emit(GSM, 0.25, "GSM850-DL", seed=3, carrier="bcch")[0]
    fs = b.sample_rate_hz
    ref = gsm_module.gmsk(np.array([int(c) for c in gsm_module.SCH_SEQUENCE]))[16:-16]
    corr = np.abs(fftconvolve(b.samples, np.conj(ref[::-1]), mode="valid")) / len(ref)
    peaks = np.flatnonzero(corr > 0.9)
    assert len(peaks) > 0
    groups = peaks[np.concatenate(([True], np.diff(peaks) > 100))]
    f = np.convolve(instantaneous_frequency_hz(b.samples, fs), np.ones(8) / 8, mode="same")
    starts, ends = on_runs(np.abs(f - 1625e3 / 24) < 3e3, 1.0).T  # in samples
    lengths = ends - starts
    fcch = starts[lengths > 130 * 4]
    frame = 60e-3 / 13 * fs
    # The SCH's 64-bit training sequence starts 42 bits into the frame after each FCCH (the FCCH's own
    # 142 fixed bits start 3 bits into its frame; the reference skips its first 4 samples = 1 bit).
    expected = 1.0 + (42 + 1 - 3) / 1250
    after = [(g - fcch[fcch < g]) / frame for g in groups if np.any(fcch < g)]
    assert len(after) >= 3
    for d in after:
        assert np.min(np.abs(d - expected)) < 5 / 1250  # other timeslots would be ≥ 156 bits off


def test_gsm_traffic_bursts_slot_577us_frame_4615us_one_idle_frame_in_26():
    bursts = emit(GSM, 0.5, "GSM850-DL", seed=4, carrier="traffic", slots=[2, 4], edge=False)
    x, fs = timeline(bursts, 0.5)
    starts, ends = on_runs(x, fs, threshold=0.3).T
    lengths = ends - starts
    assert np.all(np.abs(lengths - 148 * 6 / 1625e3) < 8e-6)  # 148 bits ≈ 546 µs
    frame_s, slot_s = 60e-3 / 13, 15e-3 / 26
    assert np.all(lengths < slot_s)
    d = np.diff(starts)
    pair = d[np.abs(d - 2 * slot_s) < 20e-6]
    assert len(pair) > 20 and np.allclose(pair, 2 * slot_s, atol=2 / fs)  # slots 2 → 4: 2 × 576.9 µs
    same_slot = np.diff(starts[::2])
    periods = np.round(same_slot / frame_s)
    assert np.allclose(same_slot, periods * frame_s, atol=2 / fs)
    assert set(periods) <= {1.0, 2.0} and np.sum(periods == 2) in (3, 4, 5)  # 108 frames: ~4 idle


def test_gsm_uplink_is_one_slot_per_frame_and_only_in_uplink_bands():
    bursts = emit(GSM, 0.2, "PCS1900-UL", seed=5)
    assert bursts and all(1850e6 < b.rf_hz < 1910e6 for b in bursts)
    x, fs = timeline(bursts, 0.2)
    starts, _ = on_runs(x, fs, threshold=0.3).T
    periods = np.round(np.diff(starts) / (60e-3 / 13))
    assert set(periods) <= {1.0, 2.0}
    with pytest.raises(ValueError, match="cannot be sent"):
        emit(GSM, 0.01, "GSM850-DL", carrier="uplink")
    uplinks = [b for b in GSM.bands if b.name.endswith("-UL")]
    assert uplinks
    assert not any(b.lo_hz < 928e6 and b.hi_hz > 902e6 for b in uplinks)


def test_gsm_edge_bursts_are_8psk_with_a_varying_envelope_in_the_same_channel():
    bursts = emit(GSM, 0.1, "GSM850-DL", seed=6, carrier="traffic", edge=True)
    psk = [b for b in bursts if b.meta["modulation"] == "8psk"]
    gmsk = [b for b in bursts if b.meta["modulation"] == "gmsk"]
    assert psk
    x = np.concatenate([b.samples for b in psk])
    env = np.abs(x[64:-64])
    assert np.std(env) / np.mean(env) > 0.1  # linear modulation, unlike constant-envelope GMSK
    if gmsk:
        g = np.abs(gmsk[0].samples)
        assert np.std(g) / np.mean(g) < 0.01
    bw, _, _ = occupied_bandwidth_hz(x, psk[0].sample_rate_hz, 0.99, nfft=1024)
    assert 225e3 < bw < 265e3  # the linearised GMSK pulse keeps EDGE inside GSM's spectrum


# ---------------------------------------------------------------- DECT


def test_dect_us_carriers_and_bandwidth():
    seen = set()
    for seed in range(15):
        for b in emit(DECT, 0.03, "DECT6.0-US", seed=seed):
            seen.add(round(b.rf_hz))
    k = (np.array(sorted(seen)) - 1921.536e6) / 1.728e6
    assert np.allclose(k, np.round(k), atol=1e-6) and set(np.round(k)) <= {0, 1, 2, 3, 4} and len(seen) >= 3
    bursts = emit(DECT, 0.2, "DECT6.0-US", seed=1, calls=1)
    x = np.concatenate([b.samples for b in bursts])
    bw, lo, hi = occupied_bandwidth_hz(x, bursts[0].sample_rate_hz, 0.99, nfft=1024)
    assert 1.1e6 < bw < 1.45e6 and abs(lo + hi) < 50e3  # within the 1.728 MHz carrier spacing
    assert DECT.band("DECT-EU").channels_hz[-1] == pytest.approx(1897.344e6)


def test_dect_call_slots_417us_frame_10ms_duplex_5ms():
    bursts = emit(DECT, 0.3, "DECT6.0-US", seed=2, calls=1)
    x, fs = timeline(bursts, 0.3)
    starts, ends = on_runs(x, fs, threshold=0.3).T
    lengths = ends - starts
    assert np.allclose(lengths, 424 / 1.152e6, atol=3e-6)  # P32: 368 µs
    d = np.diff(starts)
    assert np.allclose(d, 5e-3, atol=2 / fs)  # downlink and uplink alternate, 12 slots apart
    slot_s = 480 / 1.152e6
    rel = (starts - starts[0]) / slot_s
    assert np.allclose(rel, np.round(rel), atol=1e-3) and slot_s == pytest.approx(416.67e-6, rel=1e-4)


def test_dect_s_field_sync_words_of_base_and_handset():
    bursts = emit(DECT, 0.05, "DECT-EU", seed=3, calls=1)
    words = set()
    for b in bursts:
        f = instantaneous_frequency_hz(b.samples, b.sample_rate_hz)
        bits = (f[2 : 4 * 32 : 4] > 0).astype(int)  # bit centres at 4 samples per bit
        words.add(int("".join(map(str, bits)), 2))
    assert words == {0xAAAAE98A, 0x55551675}


def test_dect_idle_base_sends_one_dummy_bearer_packet_per_frame():
    bursts = emit(DECT, 0.2, "DECT6.0-US", seed=4, calls=0)
    x, fs = timeline(bursts, 0.2)
    starts, _ = on_runs(x, fs, threshold=0.3).T
    assert len(starts) in (19, 20) and np.allclose(np.diff(starts), 10e-3, atol=2 / fs)


# ---------------------------------------------------------------- LMR


def _symbol_instants(f, sps):
    """Samples of the instantaneous frequency at the symbol phase that opens the eye widest."""
    phase = max(range(sps), key=lambda p: np.mean(np.abs(f[p::sps])))
    return f[phase::sps]


@pytest.mark.parametrize("mode, band, role, outer_hz", [
    ("dmr", "UHF-450", {"dmr_role": "bs"}, 1944.0),
    ("p25", "800-DL", {"p25_role": "control"}, 1800.0),
])
def test_lmr_4fsk_symbol_rate_deviation_and_channel(mode, band, role, outer_hz):
    b = emit(LMR, 0.5, band, seed=7, mode=mode, **role)[0]
    fs = b.sample_rate_hz
    bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=4096)
    assert 5e3 < bw < 12.5e3  # inside the 12.5 kHz channel
    f = instantaneous_frequency_hz(b.samples, fs)
    assert spectral_line_hz(np.abs(np.diff(f)), fs, 1e3, 20e3) == pytest.approx(4800, abs=20)
    s = _symbol_instants(f, round(fs / 4800))
    outer = np.abs(s) > 2 * outer_hz / 3
    assert np.median(np.abs(s[outer])) == pytest.approx(outer_hz, rel=0.1)
    assert np.median(np.abs(s[~outer])) == pytest.approx(outer_hz / 3, rel=0.2)
    assert 0.35 < np.mean(outer) < 0.65  # four equiprobable levels


def test_lmr_dmr_handset_bursts_27_5ms_every_60ms():
    bursts = emit(LMR, 0.5, "VHF-150", seed=8, mode="dmr", dmr_role="ms", over_s=5.0)
    x, fs = timeline(bursts, 0.5)
    starts, ends = on_runs(x, fs, threshold=0.3).T
    lengths = ends - starts
    whole = starts + lengths < 0.5 - 1e-3  # a burst cut by the end of the recording is not measured
    starts, lengths = starts[whole], lengths[whole]
    assert len(starts) >= 6
    assert np.allclose(lengths, 27.5e-3, atol=0.3e-3) and np.all(lengths < 30e-3)
    assert np.allclose(np.diff(starts), 60e-3, atol=2 / fs)


def test_lmr_tetra_is_pi4_dqpsk_18ksym_in_25khz_with_56_67ms_uplink_frames():
    b = emit(LMR, 0.3, "UHF-380", seed=9, mode="tetra", tetra_role="bs")[0]
    fs = b.sample_rate_hz
    bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=4096)
    assert 15e3 < bw < 25e3
    assert spectral_line_hz(np.abs(b.samples) ** 2, fs, 5e3, 30e3) == pytest.approx(18e3, abs=50)
    # after the receiver's matched root-raised-cosine filter, symbol-to-symbol phase steps are odd
    # multiples of π/4
    sps = round(fs / 18e3)
    y = np.convolve(b.samples, raised_cosine_taps(0.35, sps, 8, root=True), mode="same")
    phase = max(range(sps), key=lambda p: np.mean(np.abs(y[p::sps])))
    z = y[phase::sps][8:-8]
    steps = np.angle(z[1:] * np.conj(z[:-1])) / (np.pi / 4)
    assert np.mean(np.abs(np.abs(steps) - np.round(np.abs(steps))) < 0.2) > 0.9
    assert set(np.round(np.abs(steps[np.abs(steps) > 0.5]))) <= {1.0, 3.0}
    ms = emit(LMR, 0.5, "UHF-406", seed=9, mode="tetra", tetra_role="ms", over_s=5.0)
    x, fs = timeline(ms, 0.5)
    starts, ends = on_runs(x, fs, threshold=0.05).T
    lengths = ends - starts
    assert np.allclose(np.diff(starts), 0.17 / 3, atol=3 / fs)  # 4 × 14.167 ms
    assert np.all(lengths < 0.017 / 1.2)
    with pytest.raises(ValueError, match="not used in band"):
        emit(LMR, 0.01, "VHF-150", mode="tetra")


def test_lmr_fm_voice_within_channel_with_ctcss_tone():
    for deviation, channel in ((2500.0, 12.5e3), (5000.0, 25e3)):
        b = emit(LMR, 0.5, "UHF-450", seed=10, mode="fm", fm_deviation_hz=deviation, over_s=5.0)[0]
        fs = b.sample_rate_hz
        bw, _, _ = occupied_bandwidth_hz(b.samples, fs, 0.99, nfft=4096)
        assert bw < channel
        f = instantaneous_frequency_hz(b.samples, fs)
        assert np.max(np.abs(f)) <= deviation * 1.01
        assert spectral_line_hz(f, fs, 60.0, 260.0) == pytest.approx(b.meta["ctcss_hz"], abs=2.5)


def test_lmr_bands_stay_out_of_amateur_ism_and_weather_satellite_ranges():
    for band in LMR.bands:
        for lo, hi in ((144e6, 148e6), (420e6, 450e6), (902e6, 928e6), (136e6, 138e6)):
            assert band.hi_hz <= lo or band.lo_hz >= hi, band.name
        k = (np.asarray(band.channels_hz) - band.lo_hz) / 12.5e3 - 0.5
        assert np.allclose(k, np.round(k))


# ---------------------------------------------------------------- rendered through the receiver models


@pytest.mark.parametrize("sig, band, window", [
    (GSM, "PCS1900-DL", (1950.0e6, 1952.4e6)),
    (LMR, "VHF-150", (155.0e6, 155.25e6)),
    (DECT, "DECT-EU", (1888.0e6, 1890.4e6)),
])
def test_fixed_channel_transmitters_are_on_a_channel_the_window_shows(sig, band, window):
    for seed in range(12):
        bursts = emit(sig, 0.03, band, seed=seed, window_hz=window)
        assert bursts
        for b in bursts:
            assert b.f_hi_hz > window[0] and b.f_lo_hz < window[1]
            assert b.rf_hz in sig.band(band).channels_hz or sig is LMR and b.meta["mode"] == "tetra"
    unwindowed = {emit(sig, 0.03, band, seed=seed)[0].rf_hz for seed in range(12)}
    assert any(not window[0] < f < window[1] for f in unwindowed)  # the window, not the band, narrowed it



@pytest.mark.parametrize("label, receiver, params, band", [
    ("gsm", rtlsdr(881.0e6), {"carrier": "bcch", "arfcn_hz": 880.4e6}, "GSM850-DL"),
    ("gsm", wideband(881.5e6, 20e6, "ci8"), {"carrier": "bcch", "arfcn_hz": 880.4e6}, "GSM850-DL"),
    ("dect", rtlsdr(1923.5e6), {"calls": 1, "carrier": 1}, "DECT6.0-US"),
    ("dect", wideband(1925e6, 20e6, "ci8"), {"calls": 1, "carrier": 1}, "DECT6.0-US"),
    ("lmr", rtlsdr(460.5e6), {"mode": "p25", "p25_role": "control", "channel_hz": 460.10625e6}, "UHF-450"),
    ("lmr", wideband(460e6, 20e6, "ci8"), {"mode": "p25", "p25_role": "control", "channel_hz": 460.10625e6},
     "UHF-450"),
])
def test_render_shows_annotated_energy_where_expected(label, receiver, params, band):
    scene = Scene([EmitterSpec(label, 25.0, band=band, params=params, emitter_id="e")], receiver, 0.05)
    r = render(scene, np.random.default_rng(21), keep_components=False)
    ann = [a for a in r.annotations if a["core:label"] == label]
    assert ann
    fs, fc = r.sample_rate_hz, r.center_freq_hz
    lo = min(a["core:freq_lower_edge"] for a in ann) - fc
    hi = max(a["core:freq_upper_edge"] for a in ann) - fc
    # the spectrum while the annotated emissions are on (DECT is on 7 % of the time)
    on = np.concatenate([r.samples[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]] for a in ann])
    f, p = psd(on, fs, nfft=8192)
    noise_density = r.gain**2 / fs  # the receiver's thermal noise, in the recording's units
    inside = (f >= max(lo, -fs / 2)) & (f <= min(hi, fs / 2))
    assert np.mean(p[inside]) > 30 * noise_density  # 25 dB SNR: the signal sits in its annotation
    peak = f[np.argmax(np.where(np.abs(f) > 3 * (f[1] - f[0]), p, 0))]  # away from the DC spike
    assert lo - 0.2 * (hi - lo) <= peak <= hi + 0.2 * (hi - lo)
    outside = (np.abs(f) < 0.4 * fs) & ((f < lo - (hi - lo)) | (f > hi + (hi - lo))) & (np.abs(f) > 0.01 * fs)
    if outside.any():
        assert np.median(p[outside]) < 2 * noise_density  # and nowhere else
