"""Impairments and receiver models: each does what its physics says, seeded."""

import numpy as np
import pytest

from rfclassify.synth import impairments as imp
from rfclassify.synth.receiver import Receiver, ideal, receive, rtlsdr, wideband


def test_awgn_power_and_seed():
    x = imp.awgn(200_000, np.random.default_rng(1), power=2.0)
    assert x.dtype == np.complex64
    assert np.mean(np.abs(x) ** 2) == pytest.approx(2.0, rel=0.02)
    # circular: I and Q carry half each and are uncorrelated
    assert np.var(x.real) == pytest.approx(1.0, rel=0.03)
    assert abs(np.mean(x.real * x.imag)) < 0.02
    np.testing.assert_array_equal(x, imp.awgn(200_000, np.random.default_rng(1), power=2.0))
    assert not np.array_equal(x, imp.awgn(200_000, np.random.default_rng(2), power=2.0))


def test_ppm_offset():
    assert imp.ppm_offset_hz(30, 915e6) == pytest.approx(27_450.0)
    assert imp.ppm_offset_hz(-10, 2.44e9) == pytest.approx(-24_400.0)


def test_phase_noise_is_wiener_with_linewidth():
    fs, lw = 1e6, 500.0
    p = imp.phase_noise(400_000, fs, lw, np.random.default_rng(3))
    assert np.allclose(np.abs(p), 1.0, atol=1e-5)
    steps = np.angle(p[1:] * np.conj(p[:-1]))
    assert np.var(steps) == pytest.approx(2 * np.pi * lw / fs, rel=0.05)
    flat = imp.phase_noise(1000, fs, 0.0, np.random.default_rng(3))
    assert np.allclose(flat, flat[0])


def test_rician_taps_unit_power_and_k_factor():
    rng = np.random.default_rng(4)
    taps = np.array([imp.multipath_taps(rng, k_factor_db=6.0, num_taps=3) for _ in range(4000)])
    assert np.mean(np.sum(np.abs(taps) ** 2, axis=1)) == pytest.approx(1.0, rel=0.05)
    los = np.abs(np.mean(taps[:, 0] * np.exp(-1j * np.angle(taps[:, 0]))))  # mean magnitude of tap 0
    assert los > np.mean(np.abs(taps[:, 1]))  # LOS tap dominates
    pure = imp.multipath_taps(rng, k_factor_db=np.inf, num_taps=3)
    assert abs(pure[0]) == pytest.approx(1.0) and np.allclose(pure[1:], 0)
    x = np.ones(10, dtype=np.complex64)
    y = imp.apply_multipath(x, np.array([0.5, 0.5j]))
    assert len(y) == 10 and y[0] == pytest.approx(0.5) and y[5] == pytest.approx(0.5 + 0.5j)


def test_iq_imbalance_creates_the_predicted_image():
    fs, f = 1e6, 100e3
    n = np.arange(8192)
    tone = np.exp(2j * np.pi * f * n / fs).astype(np.complex64)
    np.testing.assert_array_equal(imp.iq_imbalance(tone), tone)
    g_db, phi_deg = 1.0, 5.0
    y = imp.iq_imbalance(tone, g_db, phi_deg)
    spec = np.abs(np.fft.fft(y)) ** 2
    k = int(f / fs * len(n))
    measured_irr_db = 10 * np.log10(spec[k] / spec[-k])
    g, phi = 10 ** (g_db / 20), np.deg2rad(phi_deg)
    expected_irr_db = 10 * np.log10((1 + 2 * g * np.cos(phi) + g**2) / (1 - 2 * g * np.cos(phi) + g**2))
    assert measured_irr_db == pytest.approx(expected_irr_db, abs=0.1)
    assert 20 < measured_irr_db < 35


def test_quantize_grid_clipping_and_noise():
    x = np.array([0.0, 2 + 2j, -3 - 0.5j, 0.3 - 0.7j], dtype=np.complex64)
    cu8 = imp.quantize_cu8(x)
    assert cu8[1] == 1 + 1j  # clipped at full scale
    assert cu8[2].real == -1.0 and cu8[2].imag == pytest.approx(-0.5, abs=1 / 127.5)
    assert np.all(np.isin(np.round(cu8.real * 127.5 + 127.5, 4), np.arange(256)))
    ci8 = imp.quantize_ci8(x)
    assert ci8[1] == pytest.approx(127 / 128 + 127j / 128)
    assert ci8[2].real == -1.0
    assert np.all(np.isin(np.round(ci8.imag * 128, 4), np.arange(-128, 128)))
    np.testing.assert_array_equal(imp.quantize(x, "cf32_le"), x)
    # Rounding error of an unclipped signal is uniform: variance step²/12 per component.
    y = imp.awgn(100_000, np.random.default_rng(5), power=0.05)
    err = imp.quantize_cu8(y) - y
    assert np.var(err.real) == pytest.approx((1 / 127.5) ** 2 / 12, rel=0.1)
    assert imp.clipped_fraction(cu8) == pytest.approx(0.5)


def test_agc_scaling():
    x = imp.awgn(10_000, np.random.default_rng(6), power=7.0)
    y, gain = imp.agc_scale(x, 0.25)
    assert np.sqrt(np.mean(np.abs(y) ** 2)) == pytest.approx(0.25, rel=1e-4)
    assert gain == pytest.approx(0.25 / np.sqrt(7.0), rel=0.02)


def test_receiver_window_and_presets():
    rx = rtlsdr(915e6)
    assert rx.datatype == "cu8" and rx.sample_rate_hz == 2.4e6
    assert rx.window_hz == (913.8e6, 916.2e6)
    drawn = [rtlsdr(915e6, rng=np.random.default_rng(i)) for i in range(50)]
    assert all(-30 <= r.ppm <= 30 for r in drawn) and max(abs(r.ppm) for r in drawn) > 15
    assert drawn[0].lo_error_hz == pytest.approx(drawn[0].ppm * 915.0)
    wb = wideband(2.44e9)
    assert wb.datatype == "ci8" and wb.bandwidth_hz == 20e6
    assert wideband(2.44e9, datatype="cf32_le").datatype == "cf32_le"
    with pytest.raises(ValueError):
        wideband(2.44e9, datatype="cu8")
    narrow = Receiver("x", 2.4e6, 915e6, analog_bw_hz=1.5e6)
    assert narrow.window_hz == (914.25e6, 915.75e6)


def test_receive_rtlsdr_front_end():
    rng = np.random.default_rng(7)
    rx = rtlsdr(915e6)
    samples, gain = receive(np.zeros(240_000, dtype=np.complex64), rx, rng)
    # cu8 grid, AGC to target, DC spike where the preset puts it.
    assert np.all(np.isin(np.round(samples.real * 127.5 + 127.5, 3), np.arange(256)))
    assert np.sqrt(np.mean(np.abs(samples - rx.dc_offset) ** 2)) == pytest.approx(0.25, rel=0.02)
    assert np.mean(samples) == pytest.approx(rx.dc_offset, abs=0.003)
    assert gain == pytest.approx(0.25, rel=0.02)
    assert imp.clipped_fraction(samples) < 1e-4


def test_receive_clips_a_hot_signal_without_agc():
    n = 100_000
    strong = (10 * np.exp(2j * np.pi * 0.1 * np.arange(n))).astype(np.complex64)
    hot = Receiver("hot", 2.4e6, 915e6, datatype="cu8", agc_target_rms=None, gain=0.2)
    samples, _ = receive(strong, hot, np.random.default_rng(8))
    assert imp.clipped_fraction(samples) > 0.5
    assert np.max(np.abs(samples.real)) == 1.0
    cool, _ = receive(strong, rtlsdr(915e6), np.random.default_rng(8))
    assert imp.clipped_fraction(cool) < 0.01


def test_ideal_receiver_is_just_noise():
    samples, gain = receive(np.zeros(100_000, np.complex64), ideal(915e6, 2.4e6), np.random.default_rng(9))
    assert gain == 1.0
    assert np.mean(np.abs(samples) ** 2) == pytest.approx(1.0, rel=0.02)
