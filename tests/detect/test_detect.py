"""Detection: known bursts in noise are found with the right edges; noise and DC give nothing;
streamed results do not depend on the block size."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.detect.burst_detector import BurstDetector, detect_samples
from rfclassify.detect.engine import detect
from rfclassify.dsp.baseband import baseband
from rfclassify.dsp.modulation import lora_chirps
from rfclassify.dsp.noise import dc_bins, estimate_floor
from rfclassify.dsp.spectrogram import nfft_for_rate, power_spectrogram
from rfclassify.sources.base import Block

FS = 2.4e6
FC = 915e6


def _noise(rng: np.random.Generator, n: int, power: float = 1.0) -> np.ndarray:
    return (np.sqrt(power / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def _band_noise(rng: np.random.Generator, n: int, bw_hz: float, fs_hz: float) -> np.ndarray:
    """Unit-power noise with a brick-wall spectrum of width ``bw_hz`` at 0 Hz (sharp edges)."""
    spec = np.fft.fft(_noise(rng, n))
    f = np.fft.fftfreq(n, 1 / fs_hz)
    spec[np.abs(f) > bw_hz / 2] = 0
    x = np.fft.ifft(spec)
    return (x / np.sqrt(np.mean(np.abs(x) ** 2))).astype(np.complex64)


def _add(x, burst, t_s, f_hz, snr_db, bw_hz, fs=FS):
    """Add ``burst`` (unit power) at in-band SNR ``snr_db`` over unit-density noise of ``x``."""
    i = int(t_s * fs)
    amp = np.sqrt(10 ** (snr_db / 10) * bw_hz / fs)
    x[i : i + len(burst)] += (amp * burst * np.exp(2j * np.pi * f_hz * np.arange(len(burst)) / fs)).astype(
        np.complex64
    )


def test_burst_in_noise_found_with_edges_within_one_frame_and_bin():
    rng = np.random.default_rng(1)
    x = _noise(rng, int(0.5 * FS))
    bw = 100e3
    _add(x, _band_noise(rng, int(0.020 * FS), bw, FS), 0.2, 300e3, 12.0, bw)
    bursts = detect_samples(x, FS, FC)
    assert len(bursts) == 1
    d = bursts[0].detection
    nfft = nfft_for_rate(FS)
    frame_s, bin_hz = nfft / FS, FS / nfft
    assert abs(d.t_start_s - 0.2) <= frame_s + 1e-9
    assert abs(d.t_end_s - 0.22) <= frame_s + 1e-9
    assert abs(d.f_lo_hz - (FC + 250e3)) <= bin_hz
    assert abs(d.f_hi_hz - (FC + 350e3)) <= bin_hz
    assert abs(d.snr_db - 12.0) < 1.5
    assert d.peak_db > d.snr_db
    assert not d.touches_edge
    # The IQ is at baseband: its power sits around 0 Hz, decimated to ~1.5× the bandwidth.
    b = bursts[0]
    assert 1.5 * 100e3 <= b.iq_rate_hz < 0.5 * FS
    spec = np.abs(np.fft.fftshift(np.fft.fft(b.iq))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(len(b.iq), 1 / b.iq_rate_hz))
    assert abs(np.sum(f * spec) / np.sum(spec)) < 15e3


def test_weak_wideband_lora_found_at_0db():
    rng = np.random.default_rng(2)
    x = _noise(rng, int(0.3 * FS))
    chirps = lora_chirps(rng.integers(0, 128, 24), 7, 500e3, FS)
    _add(x, chirps, 0.1, -400e3, 0.0, 500e3)
    dets = [b.detection for b in detect_samples(x, FS, FC)]
    assert len(dets) == 1
    d = dets[0]
    assert abs(d.bandwidth_hz - 500e3) < 60e3
    assert abs(d.t_start_s - 0.1) < 0.5e-3
    assert abs(d.snr_db - 0.0) < 2.0


def test_pure_noise_gives_no_detection():
    rng = np.random.default_rng(3)
    x = _noise(rng, int(4.0 * FS))  # 9.6 M cells × 4 scales
    assert detect_samples(x, FS, FC) == []


def test_dc_spike_and_iq_offset_give_no_detection():
    rng = np.random.default_rng(4)
    x = _noise(rng, int(1.0 * FS)) + np.complex64(0.05 + 0.03j)  # LO leakage ~ 30 dB above a bin's noise
    assert detect_samples(x, FS, FC) == []


def test_continuous_tone_is_one_emission_in_bounded_segments():
    rng = np.random.default_rng(5)
    n = int(1.2 * FS)
    x = _noise(rng, n)
    tone_f = 512 * FS / 2048
    x[int(0.1 * FS) : int(1.0 * FS)] += 0.2 * np.exp(2j * np.pi * tone_f * np.arange(int(0.9 * FS)) / FS)
    dets = sorted((b.detection for b in detect_samples(x, FS, FC)), key=lambda d: d.t_start_s)
    assert len(dets) >= 3
    assert len({d.emission_id for d in dets}) == 1
    assert all(d.duration_s <= 0.25 + 0.06 for d in dets)
    assert dets[0].split_after and dets[-1].split_before and not dets[0].split_before
    assert abs(dets[0].t_start_s - 0.1) < 1e-3 and abs(dets[-1].t_end_s - 1.0) < 1e-3
    assert all(abs(d.freq_hz - FC - tone_f) < 15e3 for d in dets)


def _scene(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = _noise(rng, int(1.5 * FS)) + np.complex64(0.02)
    for k, t in enumerate(np.arange(0.01, 1.4, 0.07)):
        bw = [50e3, 200e3, 500e3][k % 3]
        _add(x, _band_noise(rng, int(rng.uniform(0.5e-3, 30e-3) * FS), bw, FS), t, rng.uniform(-0.9e6, 0.9e6), 8, bw)
    return x


def test_block_size_invariance():
    x = _scene(6)
    key = lambda d: (d.sample_start, d.f_lo_hz)
    results = {}
    for bs in (1 << 14, 1 << 16, 1 << 18, 100_003):
        results[bs] = sorted((b.detection for b in detect_samples(x, FS, FC, block_size=bs)), key=key)
    ref = results[1 << 16]
    assert len(ref) >= 15
    for bs, dets in results.items():
        assert dets == ref, bs


@pytest.mark.parametrize("fs", [250e3, 1.024e6])
def test_every_burst_keeps_its_iq_at_low_rates(fs):
    """A 2^18-sample block lasts 1 s at 250 kS/s (0.26 s at 1.024 MS/s), longer than the detector's
    span: the IQ of a burst found early in a block must still be there, starting where it says."""
    rng = np.random.default_rng(3)
    x = _noise(rng, int(2.5 * fs))
    starts = np.arange(0.02, 2.4, 0.1)
    pulse = np.ones(int(4e-3 * fs), dtype=np.complex64)
    for t in starts:
        _add(x, pulse, t, 20e3, 25, 5e3, fs=fs)
    bursts = detect_samples(x, fs, 433.92e6, block_size=1 << 18)
    found = [b for b in bursts if abs(b.detection.offset_hz - 20e3) < 10e3]
    assert len(found) == len(starts)
    for b in found:
        d = b.detection
        assert b.iq_t0_s <= d.t_start_s and len(b.iq) / b.iq_rate_hz >= d.duration_s
        # the pulse is in the IQ where the times say: its middle is strong, the margin before it is noise
        mid = round((d.t_start_s + d.duration_s / 2 - b.iq_t0_s) * b.iq_rate_hz)
        assert np.abs(b.iq[mid]) ** 2 > 10 * np.mean(np.abs(b.iq[:3]) ** 2)


@pytest.mark.parametrize("fs", [250e3, 2.4e6])
def test_short_narrow_pulse_keeps_enough_iq_for_features(fs):
    """A 0.5 ms, ~20 kHz OOK pulse decimated to 1.5 × its width would be ~15 samples: too few to measure."""
    from rfclassify.detect.burst_detector import MIN_SPAN_SAMPLES
    from rfclassify.features import FEATURE_NAMES, feature_rows

    rng = np.random.default_rng(4)
    x = _noise(rng, int(0.3 * fs))
    for t in (0.05, 0.15, 0.25):
        _add(x, np.ones(int(0.5e-3 * fs), dtype=np.complex64), t, 30e3, 25, 5e3, fs=fs)
    found = [b for b in detect_samples(x, fs, 433.92e6) if abs(b.detection.offset_hz - 30e3) < 10e3]
    assert len(found) == 3
    for b in found:
        assert b.detection.bandwidth_hz < 60e3
        assert b.detection.duration_s * b.iq_rate_hz >= MIN_SPAN_SAMPLES - 1
        (row,) = feature_rows([b], [None])
        assert row[FEATURE_NAMES.index("has_iq")] == 1.0
        assert abs(row[FEATURE_NAMES.index("airtime_s")] - 0.5e-3) < 0.05e-3


def test_pure_detect_equals_streaming():
    x = _scene(7)
    nfft = nfft_for_rate(FS)
    power = power_spectrogram(x, nfft)
    floor = estimate_floor(power, dc=dc_bins(nfft, FS))
    whole = detect(power, floor, sample_rate_hz=FS, center_freq_hz=FC)
    streamed = sorted((b.detection for b in detect_samples(x, FS, FC)), key=lambda d: (d.t_start_s, d.f_lo_hz))
    assert whole == streamed


def test_bursts_across_block_boundaries_are_joined_and_memory_is_bounded():
    rng = np.random.default_rng(8)
    x = _noise(rng, int(0.6 * FS))
    _add(x, _band_noise(rng, int(0.03 * FS), 200e3, FS), 0.25, 0.0 + 300e3, 10, 200e3)
    det = BurstDetector()
    out = []
    for i in range(0, len(x), 5000):  # 2.1 ms blocks: the burst spans 15 of them
        out += det.process(Block(x[i : i + 5000], FS, FC, i))
    out += det.flush()
    assert len(out) == 1
    assert abs(out[0].detection.duration_s - 0.03) < 0.5e-3
    assert det._stream is None


def test_retune_starts_a_new_stream():
    rng = np.random.default_rng(9)
    x = _noise(rng, int(0.2 * FS))
    _add(x, _band_noise(rng, int(0.01 * FS), 100e3, FS), 0.15, 0.0 + 200e3, 12, 100e3)
    det = BurstDetector()
    half = len(x) // 2
    out = det.process(Block(x[:half], FS, 900e6, 0))
    out += det.process(Block(x[half:], FS, 910e6, half))
    out += det.flush()
    assert len(out) == 1
    assert abs(out[0].detection.freq_hz - 910.2e6) < 20e3


@pytest.mark.parametrize("shift_hz", [-250e3, 0.0, 400e3])
def test_baseband_centres_and_decimates(shift_hz):
    fs = 2.4e6
    t = np.arange(48000) / fs
    x = np.exp(2j * np.pi * (shift_hz + 10e3) * t).astype(np.complex64)
    y, rate = baseband(x, fs, shift_hz, 100e3)
    assert rate == fs / 16
    assert abs(len(y) - len(x) / 16) <= 1
    core = y[20:-20]
    f = np.fft.fftfreq(len(core), 1 / rate)
    assert abs(f[np.argmax(np.abs(np.fft.fft(core)))] - 10e3) <= rate / len(core)


@pytest.mark.parametrize("gap_s", [0.6e-3, 2.0e-3])
def test_close_bursts_on_one_channel_stay_separate(gap_s):
    # Two strong 3 ms bursts (a packet and its telemetry reply) a fraction of the longest box apart:
    # the box-mean scales smear each in time, the split on the in-band profile must separate them.
    rng = np.random.default_rng(10)
    x = _noise(rng, int(0.1 * FS))
    n = int(3e-3 * FS)
    _add(x, _band_noise(rng, n, 200e3, FS), 0.03, 250e3, 15, 200e3)
    _add(x, _band_noise(rng, n, 200e3, FS), 0.033 + gap_s, 250e3, 15, 200e3)
    dets = sorted((b.detection for b in detect_samples(x, FS, FC)), key=lambda d: d.t_start_s)
    assert len(dets) == 2
    frame_s = nfft_for_rate(FS) / FS
    assert abs(dets[0].t_end_s - 0.033) <= 2 * frame_s
    assert abs(dets[1].t_start_s - (0.033 + gap_s)) <= 2 * frame_s
    assert dets[0].emission_id != dets[1].emission_id


@pytest.mark.parametrize("n", [1, 1023, 1024, 50_001])
def test_mix_equals_direct_phasor(n):
    from rfclassify.dsp.baseband import mix

    x = (np.random.default_rng(n).standard_normal(n) + 1j).astype(np.complex64)
    f = -0.1234567
    direct = x * np.exp(2j * np.pi * f * np.arange(n))
    y = mix(x, f)
    assert y.dtype == np.complex64 and len(y) == n
    assert np.max(np.abs(y - direct)) < 1e-4 * np.max(np.abs(x))


def test_back_to_back_bursts_split_at_a_70_us_gap_at_50_msps():
    # Two 643 µs, 9 MHz bursts 70 µs apart (stored DroneID burst windows, as in the RUB-SysSec Mavic
    # recording): at 50 MS/s a frame lasts 10.24 µs, so the gap spans ~6 frames and must split them.
    fs, bw = 50e6, 9e6
    rng = np.random.default_rng(21)
    x = _noise(rng, int(3e-3 * fs))
    n = int(643e-6 * fs)
    for t0 in (0.5e-3, 0.5e-3 + 643e-6 + 70e-6):
        _add(x, _band_noise(rng, n, bw, fs), t0, 2e6, 20, bw, fs)
    dets = sorted((b.detection for b in detect_samples(x, fs, 2.4575e9, keep_iq=False)
                   if b.detection.bandwidth_hz > 5e6), key=lambda d: d.t_start_s)
    assert len(dets) == 2
    assert all(abs(d.duration_s - 643e-6) < 4 * 10.24e-6 for d in dets)


def test_hopper_packets_on_adjacent_channels_keep_their_own_band():
    # ELRS-900 at 100 Hz in the 433 MHz plan: 8.8 ms packets 10 ms apart, hopping between channels
    # 500 kHz apart. The two packets share one box (1.2 ms gap); each must keep its own 500 kHz
    # band, not the union of both channels (1 MHz, as before the per-run edges).
    rng = np.random.default_rng(12)
    x = _noise(rng, int(0.06 * FS))
    n = int(8.8e-3 * FS)
    _add(x, _band_noise(rng, n, 500e3, FS), 0.02, -750e3, 15, 500e3)
    _add(x, _band_noise(rng, n, 500e3, FS), 0.03, -250e3, 15, 500e3)
    dets = sorted((b.detection for b in detect_samples(x, FS, FC)), key=lambda d: d.t_start_s)
    assert len(dets) == 2
    for d, f in zip(dets, (-750e3, -250e3)):
        assert d.bandwidth_hz == pytest.approx(500e3, rel=0.15)
        assert abs(d.offset_hz - f) < 50e3



def _wifi_exchange(rng: np.random.Generator, fs: float) -> np.ndarray:
    """Unit-power 802.11a PPDUs at 20 MS/s (IEEE 802.11-2016 §17: 52 subcarriers, 16.6 MHz): a
    1500-byte data frame at 24 Mbit/s, SIFS (16 µs), its 14-byte ACK at 6 Mbit/s."""
    from rfclassify.dsp.modulation import ofdm_modulate
    from rfclassify.signatures.wifi import K_ALL, NFFT, ppdu_grid

    pieces = []
    for length, rate in ((1500, 24.0), (14, 6.0)):
        coeffs, cp, body, _rows = ppdu_grid(rng, np.array([length]), np.array([rate]), np.array([False]))
        x = ofdm_modulate(coeffs, K_ALL, NFFT, cp, body).astype(np.complex64)
        pieces.append(x / np.sqrt(np.mean(np.abs(x) ** 2)))
    return np.concatenate((pieces[0], np.zeros(int(16e-6 * fs), dtype=np.complex64), pieces[1]))


def test_a_strong_wifi_exchange_filling_the_recording_is_one_wide_detection():
    # A conducted capture cut to the packets (as the openofdm samples): every 25.6 µs frame holds
    # signal, and the noise shows only in the 16 µs SIFS gap. The floor must come from that gap, not
    # from the packets: the exchange is one ~16.6 MHz detection tens of dB above the noise, not
    # fragments of a few MHz at ~0 dB.
    fs = 20e6
    rng = np.random.default_rng(16)
    s = _wifi_exchange(rng, fs)
    x = (s * np.float32(10 ** (60 / 20)) + _noise(rng, len(s))).astype(np.complex64)
    found = [b.detection for b in detect_samples(x, fs, 2437e6)]
    assert len(found) == 1, [(d.t_start_s, d.duration_s, d.bandwidth_hz, d.snr_db) for d in found]
    (d,) = found
    assert 15.5e6 <= d.bandwidth_hz <= 18e6 and abs(d.freq_hz - 2437e6) < 0.5e6
    assert d.snr_db >= 25
    assert d.duration_s >= 0.9 * len(x) / fs
