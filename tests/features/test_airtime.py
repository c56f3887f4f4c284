"""Air time to the sample: ExpressLRS FLRC packets (389 µs) against Bluetooth DH1 (366 µs), which the
detector's 25–100 µs frames cannot tell apart; through the whole detector and feature row too."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rfclassify.detect.burst_detector import detect_samples
from rfclassify.dsp.modulation import gfsk, resample
from rfclassify.features import FEATURE_NAMES, BurstFeatures
from rfclassify.features.airtime import airtime_s


def _packet(rng, rate_hz, dev_hz, bt, n_bits, fs_hz, snr_db, margin_s=0.5e-3):
    """A GFSK packet with ``margin_s`` of noise each side; SNR over the sample rate's whole band."""
    x = resample(gfsk(rng.integers(0, 2, n_bits), rate_hz, dev_hz, 8 * rate_hz, bt=bt), 8 * rate_hz, fs_hz)
    m = round(margin_s * fs_hz)
    y = np.zeros(len(x) + 2 * m, dtype=np.complex64)
    y[m : m + len(x)] = x
    p = 10 ** (-snr_db / 10)
    y += (np.sqrt(p / 2) * (rng.standard_normal(len(y)) + 1j * rng.standard_normal(len(y)))).astype(np.complex64)
    return y, m, m + len(x)


@pytest.mark.parametrize("fs_hz", [1.2e6, 2.4e6])
def test_flrc_and_dh1_air_times_within_two_percent(fs_hz):
    rng = np.random.default_rng(7)
    for n_bits, rate, dev, bt, expected in ((253, 650e3, 162.5e3, 1.0, 389e-6), (366, 1e6, 160e3, 0.5, 366e-6)):
        for _ in range(3):
            y, a, b = _packet(rng, rate, dev, bt, n_bits, fs_hz, snr_db=10)
            # the detector's span is frame-quantised: edges off by up to ±60 µs
            ja, jb = (round(rng.uniform(-60e-6, 60e-6) * fs_hz) for _ in range(2))
            assert airtime_s(y, fs_hz, (a + ja, b + jb)) == pytest.approx(expected, rel=0.02)


def test_a_short_peak_beside_the_packet_does_not_stretch_it():
    # A 4 µs click 100 µs after the packet, inside the search window: a plain threshold would end the
    # packet at the click (+104 µs); the maximum-sum interval pays for the 100 µs of quiet between.
    rng = np.random.default_rng(10)
    fs = 2.4e6
    y, a, b = _packet(rng, 650e3, 162.5e3, 1.0, 253, fs, snr_db=10)
    k = b + round(100e-6 * fs)
    y[k : k + round(4e-6 * fs)] += 3.0
    assert airtime_s(y, fs, (a, b)) == pytest.approx(389e-6, rel=0.02)


def test_ook_pulse_with_neighbours_in_the_margins():
    # OOK pulse train, 500 µs on / 300 µs off: the margins beside one pulse are mostly its
    # neighbours, whose level must not be taken for the noise (their median is: the pulse measured 0 s).
    rng = np.random.default_rng(11)
    fs = 250e3
    on, off = round(500e-6 * fs), round(300e-6 * fs)
    y = np.tile(np.r_[np.ones(on), np.zeros(off)], 9).astype(np.complex64)
    y += (0.05 * (rng.standard_normal(len(y)) + 1j * rng.standard_normal(len(y)))).astype(np.complex64)
    a = 4 * (on + off)
    assert airtime_s(y, fs, (a - 5, a + on + 5)) == pytest.approx(500e-6, abs=8e-6)


def test_noise_only_has_no_air_time():
    rng = np.random.default_rng(8)
    y = (rng.standard_normal(4000) + 1j * rng.standard_normal(4000)).astype(np.complex64)
    assert airtime_s(y, 2.4e6, (1000, 2000)) == 0.0
    assert airtime_s(y[:3], 2.4e6, (0, 3)) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no median of an empty span: at 20 MS/s the last 19 samples are smoothed away
        assert airtime_s(y[:100], 20e6, (95, 100)) == 0.0


def test_air_time_column_through_detector():
    """A 389 µs packet at 20 MS/s: the detection lasts whole 25.6 µs frames, the feature is to the µs."""
    rng = np.random.default_rng(9)
    fs = 20e6
    y, _a, _b = _packet(rng, 650e3, 162.5e3, 1.0, 253, fs, snr_db=5, margin_s=2e-3)
    bursts = [b for b in detect_samples(y, fs, 2.44e9) if b.detection.snr_db > 10]
    assert len(bursts) == 1
    row = BurstFeatures().fit([]).transform(bursts)[0]
    assert row[FEATURE_NAMES.index("airtime_s")] == pytest.approx(389e-6, rel=0.02)
    assert abs(bursts[0].detection.duration_s - 389e-6) > 2e-6  # the frames alone do not say it
