"""Features on signals whose physics is known: chirp slope, CP period, FSK deviation, line rate,
bandwidth and duration; the transformer's shape, schema and sklearn behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from rfclassify.detect.burst_detector import detect_samples
from rfclassify.dsp.modulation import gfsk, lora_chirps
from rfclassify.features import (
    FEATURE_NAMES,
    FEATURE_SCHEMA,
    FEATURE_SCHEMA_VERSION,
    BurstFeatures,
    feature_rows,
)
from rfclassify.features import iq as R
from rfclassify.features.context import context_features
from rfclassify.features.order_stats import percentile


def _noise(rng, n, power=1.0):
    return (np.sqrt(power / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def _row(x):
    """One signal as a batch of one: ``(1, n)`` complex64."""
    return np.asarray(x, dtype=np.complex64).reshape(1, -1)


def _one(rows):
    """The features of a batch of one as plain floats."""
    return {name: float(v[0]) for name, v in rows.items()}


def chirp_of(x, fs, bw_hz):
    return _one(R.chirp_features(_row(x), fs, np.array([bw_hz]), R.active_mask(_row(x))))


def cp_of(x, fs):
    return _one(R.cp_features(_row(x), fs))


def fsk_of(x, fs):
    return _one(R.fsk_features(_row(x), fs, R.active_mask(_row(x)), R.phase_steps(_row(x))))


def periodicity_of(x, fs):
    return _one(R.periodicity_features(_row(x), fs, R.phase_steps(_row(x))))


def envelope_of(x):
    return _one(R.envelope_features(_row(x)))


def spectral_of(x, fs, bw_hz):
    return _one(R.spectral_features(_row(x), fs, np.array([bw_hz])))


def _ofdm(rng, nsym, nfft, ncp, used):
    out = []
    carriers = np.r_[1 : used // 2 + 1, nfft - used // 2 : nfft]
    for _ in range(nsym):
        spec = np.zeros(nfft, complex)
        spec[carriers] = np.exp(2j * np.pi * rng.integers(0, 4, len(carriers)) / 4)
        sym = np.fft.ifft(spec)
        out.append(np.r_[sym[-ncp:], sym])
    x = np.concatenate(out)
    return (x / np.sqrt(np.mean(np.abs(x) ** 2))).astype(np.complex64)


@pytest.mark.parametrize("sf,bw_hz", [(7, 500e3), (9, 125e3)])
def test_lora_chirp_slope_and_sf(sf, bw_hz):
    rng = np.random.default_rng(sf)
    fs = 1.5 * bw_hz
    x = lora_chirps(rng.integers(0, 2**sf, 8), sf, bw_hz, fs)
    x = x + _noise(rng, len(x), 0.1)  # 10 dB
    out = chirp_of(x, fs, bw_hz * 1.02)
    expected = bw_hz**2 / 2**sf
    assert abs(out["chirp_slope_hz_per_s"] / expected - 1) < 0.05
    assert out["dechirp_sf"] == sf
    assert abs(out["chirp_sf_est"] - sf) < 0.1
    assert out["dechirp_gain_db"] > 15


def test_no_chirp_in_gfsk():
    rng = np.random.default_rng(1)
    fs = 1.2e6
    x = gfsk(rng.integers(0, 2, 400), 250e3, 125e3, fs, bt=None)
    out = chirp_of(x, fs, 500e3)
    assert out["chirp_slope_hz_per_s"] < 0.1 * 500e3**2 / 2**7
    assert out["dechirp_gain_db"] < 15


def test_ofdm_symbol_period_wifi_and_lte():
    rng = np.random.default_rng(2)
    wifi = _ofdm(rng, 40, 64, 16, 52)
    wifi = wifi + _noise(rng, len(wifi), 0.1)
    out = cp_of(wifi, 20e6)
    assert out["cp_best_lag_s"] == pytest.approx(3.2e-6)
    assert 0.1 < out["cp_corr_3u2"] < 0.25  # CP/(N+CP) = 0.2
    lte = _ofdm(rng, 14, 1024, 72, 600)
    lte = lte + _noise(rng, len(lte), 0.1)
    out = cp_of(lte, 15.36e6)
    assert out["cp_best_lag_s"] == pytest.approx(1 / 15e3)
    assert out["cp_corr_66u7"] > 0.03
    noise = cp_of(_noise(rng, 20000), 20e6)
    assert noise["cp_best_corr"] < 0.03


def test_fsk_deviation():
    rng = np.random.default_rng(3)
    fs = 2.4e6
    x = gfsk(rng.integers(0, 2, 300), 50e3, 150e3, fs, bt=None)
    x = x + _noise(rng, len(x), 0.03)
    out = fsk_of(x, fs)
    assert abs(out["fsk_deviation_hz"] - 150e3) < 15e3
    assert out["fsk_separation"] > 5
    # A tone's IF is one noisy cluster: 2-means still splits it, but the halves overlap
    # (separation ≈ 2.65 for a Gaussian).
    tone = np.exp(2j * np.pi * 30e3 * np.arange(20000) / fs).astype(np.complex64) + _noise(rng, 20000, 0.03)
    assert fsk_of(tone, fs)["fsk_separation"] < 3.5


def test_video_line_rate():
    rng = np.random.default_rng(4)
    fs = 2.4e6
    t = np.arange(int(0.03 * fs)) / fs
    line = (t * 15625.0) % 1.0
    level = np.where(line < 0.07, -0.3, line)  # sync tip, then a luminance ramp
    x = np.exp(2j * np.pi * np.cumsum(3e6 * level) / fs).astype(np.complex64) + _noise(rng, len(t), 0.1)
    out = periodicity_of(x, fs)
    assert abs(out["env_peak_hz"] - 15625) < 200
    assert out["line_rate_db"] > 25
    assert periodicity_of(_noise(rng, len(t)), fs)["line_rate_db"] < 12


def test_envelope_ook_vs_constant():
    rng = np.random.default_rng(5)
    n = 24000
    ook = np.repeat(rng.integers(0, 2, n // 240), 240).astype(np.complex64) + _noise(rng, n, 0.01)
    const = np.exp(1j * rng.uniform(0, 6.28, n)).astype(np.complex64) + _noise(rng, n, 0.01)
    assert envelope_of(ook)["envelope_cv"] > 0.5
    assert envelope_of(const)["envelope_cv"] < 0.15


def test_spectral_bandwidth_and_kurtosis():
    rng = np.random.default_rng(6)
    fs = 1e6
    spec = np.fft.fft(_noise(rng, 65536))
    spec[np.abs(np.fft.fftfreq(65536, 1 / fs)) > 150e3] = 0
    x = np.fft.ifft(spec).astype(np.complex64)
    x = x / np.sqrt(np.mean(np.abs(x) ** 2)) + _noise(rng, 65536, 1e-3)
    out = spectral_of(x, fs, 300e3)
    assert abs(out["bw_occ99_hz"] - 300e3) < 30e3
    assert abs(out["bw_10db_hz"] - 300e3) < 30e3
    assert abs(out["spectral_kurtosis"]) < 0.3  # Gaussian
    tone = np.exp(2j * np.pi * 1e3 * np.arange(65536) / fs).astype(np.complex64)
    assert spectral_of(tone, fs, 20e3)["spectral_kurtosis"] < -0.5


class _D:
    def __init__(self, t, f, bw=500e3, dur=4e-3):
        self.t_start_s, self.freq_hz, self.bandwidth_hz, self.duration_s = t, f, bw, dur


def test_context_hop_spacing_and_interval():
    chans = [915e6 + k * 600e3 for k in (0, 3, 1, 5, 2, 4)]
    dets = [_D(0.005 * i, chans[i % 6]) for i in range(40)]
    dets.append(_D(0.1, 917e6, bw=20e3, dur=1e-3))  # a different emitter: not similar
    ctx = context_features(dets, 20)
    assert ctx["has_prev"] == 1.0
    assert ctx["prev_interval_s"] == pytest.approx(0.005)
    assert ctx["n_channels"] == 6
    assert ctx["hop_spacing_hz"] == pytest.approx(600e3)
    assert ctx["burst_rate_hz"] == pytest.approx(200, rel=0.05)
    first = context_features(dets, 0)
    assert first["has_prev"] == 0.0 and first["prev_interval_s"] == 0.0


def _scene():
    rng = np.random.default_rng(7)
    fs, n = 2.4e6, int(0.3 * 2.4e6)
    x = _noise(rng, n)
    chirp = lora_chirps(rng.integers(0, 128, 16), 7, 500e3, fs)
    for k, t in enumerate((0.02, 0.1, 0.18)):
        i = int(t * fs)
        amp = np.sqrt(10 * 500e3 / fs)
        x[i : i + len(chirp)] += amp * chirp * np.exp(2j * np.pi * (-600e3 + 600e3 * k) * np.arange(len(chirp)) / fs)
    return detect_samples(x, fs, 915e6)


def test_transformer_on_detected_lora_bursts():
    bursts = _scene()
    assert len(bursts) == 3
    tf = BurstFeatures().fit(bursts)
    X = tf.transform(bursts)
    assert X.shape == (3, len(FEATURE_NAMES)) and X.dtype == np.float32
    assert np.isfinite(X).all()
    col = {name: X[:, i] for i, name in enumerate(FEATURE_NAMES)}
    assert np.allclose(col["duration_s"], 16 * 2**7 / 500e3, atol=0.3e-3)
    assert np.allclose(col["bandwidth_hz"], 500e3, rtol=0.1)
    assert np.allclose(col["chirp_slope_hz_per_s"], 500e3**2 / 128, rtol=0.1)
    assert (col["dechirp_sf"] == 7).all()
    assert (col["has_iq"] == 1).all()
    assert col["has_prev"].tolist() == [0, 1, 1]
    assert np.allclose(col["prev_interval_s"][1:], 0.08, atol=0.5e-3)
    assert (col["n_channels"] == 3).all() and np.allclose(col["hop_spacing_hz"], 600e3, rtol=0.05)
    # Row order follows input order, whatever the time order.
    X2 = tf.transform(bursts[::-1])
    assert np.array_equal(X2, X[::-1])


def test_transformer_sklearn_rules():
    tf = BurstFeatures(context_window_s=0.25, max_samples=4096)
    params = tf.get_params()
    assert params == {"context_window_s": 0.25, "max_samples": 4096}
    twin = clone(tf)
    assert twin.get_params() == params and not hasattr(twin, "schema_version_")
    assert tf.fit([]).schema_version_ == FEATURE_SCHEMA_VERSION
    assert list(tf.get_feature_names_out()) == list(FEATURE_NAMES)
    assert tf.transform([]).shape == (0, len(FEATURE_NAMES))


def test_schema_names_units_unique():
    names = [n for n, _, _ in FEATURE_SCHEMA]
    assert len(set(names)) == len(names)
    for name, unit, _ in FEATURE_SCHEMA:
        for suffix, expected in (("_hz_per_s", "Hz/s"), ("_hz", "Hz"), ("_s", "s"), ("_db", "dB")):
            if name.endswith(suffix):
                assert unit == expected, name
                break


@pytest.mark.parametrize("n", [1, 7, 1000, 4097])
def test_percentile_helper_equals_numpy(n):
    x = np.random.default_rng(n).standard_normal(n)
    for q in (0, 20, 50, 80, 95, 100):
        assert percentile(x, q) == pytest.approx(float(np.percentile(x, q)), abs=1e-12)


def test_fsk_and_chirp_features_given_the_power_equal_computed():
    rng = np.random.default_rng(4)
    fs = 1e6
    x = gfsk(rng.integers(0, 2, 300), 100e3, 50e3, fs, bt=None)
    x = np.concatenate((_noise(rng, 500, 1e-3), x, _noise(rng, 500, 1e-3)))
    r = _row(x)
    on = R.active_mask(r)
    assert 0.8 * 300 * 10 < np.count_nonzero(on) < 1.1 * 300 * 10  # the burst's own samples, not the quiet margins
    on_p = R.active_mask(r, p=R.power(r))  # the power known, as iq_features passes it
    steps = R.phase_steps(r)
    assert _one(R.fsk_features(r, fs, on_p, steps)) == _one(R.fsk_features(r, fs, on, steps))
    bw = np.array([200e3])
    assert _one(R.chirp_features(r, fs, bw, on_p)) == _one(R.chirp_features(r, fs, bw, on))


def test_iq_features_measure_the_detection_not_the_margin():
    # A Wi-Fi-like OFDM packet (64-point FFT at 20 MS/s, 0.8 µs CP) 2 ms into noise: the IQ snippet
    # starts 0.5 ms before it, i.e. with 10,000 samples of noise at 20 MS/s (more than the 8192
    # analysed), so the CP period is found only if the features look at the detection itself.
    from rfclassify.features.burst import analysis_iq

    rng = np.random.default_rng(8)
    fs = 20e6
    pkt = _ofdm(rng, 200, 64, 16, 52) * np.float32(3.0)  # 16 µs symbols × 200 = 1.6 ms, ~10 dB per bin
    x = _noise(rng, int(5e-3 * fs), 0.1)
    i0 = int(2e-3 * fs)
    x[i0 : i0 + len(pkt)] += pkt
    bursts = [b for b in detect_samples(x, fs, 2.437e9) if b.detection.bandwidth_hz > 10e6]
    assert len(bursts) == 1
    b = bursts[0]
    span = analysis_iq(b)
    assert abs(len(span) / b.iq_rate_hz - b.detection.duration_s) < 1e-4
    assert np.mean(np.abs(span) ** 2) > 5 * np.mean(np.abs(b.iq[:1000]) ** 2)  # burst, not margin
    row = dict(zip(FEATURE_NAMES, feature_rows([b], [{}])[0], strict=True))
    assert row["cp_best_lag_s"] == pytest.approx(3.2e-6, rel=1e-3)
    assert row["cp_corr_3u2"] > 0.1
