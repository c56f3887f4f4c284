"""Per-emitter channelization, calibration and the rotating antenna (synthesized recordings)."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.bearing.calibration import Calibration, align, estimate_calibration, estimate_delays
from rfclassify.bearing.channelize import channelize, design_band_filter
from rfclassify.bearing.doa import angle_error_deg, estimate_doa
from rfclassify.bearing.emitters import EmitterBand, emitter_doa
from rfclassify.bearing.rotating import (
    AzimuthSegment,
    band_power_per_segment,
    fit_pattern,
    pattern_gain,
    read_azimuth_csv,
)
from rfclassify.classify.bearings import find_emitters
from rfclassify.errors import InputError
from rfclassify.synth.array import (
    ChannelErrors,
    common_noise_recording,
    elrs_like_emitters,
    rotating_recording,
)
from rfclassify.testing.array_scene import CENTER_HZ, RATE_HZ, UCA, array_scene

#: Two links on adjacent ELRS channels: (offset from the centre in Hz, azimuth in degrees).
TWO_LINKS = ((-300e3, 40.0), (300e3, 250.0))
SCENE_SAMPLES = int(0.03 * RATE_HZ)


def test_band_filter_rejects_the_adjacent_elrs_channel():
    filt = design_band_filter(500e3, RATE_HZ)
    f = np.array([0.0, 200e3, 350e3, 500e3])
    resp = np.abs(np.exp(-2j * np.pi * np.outer(f, np.arange(len(filt.taps))) / RATE_HZ) @ filt.taps)
    assert resp[0] == pytest.approx(1.0, abs=0.01) and resp[1] == pytest.approx(1.0, abs=0.01)
    assert resp[2] < 1e-3 and resp[3] < 1e-3
    assert filt.output_rate_hz >= 700e3  # band + both transitions: alias-free


def test_channelize_keeps_only_the_spans_and_the_band():
    n = 24000
    t = np.arange(n) / RATE_HZ
    x = np.exp(2j * np.pi * 300e3 * t) + np.exp(2j * np.pi * -500e3 * t)
    band = channelize(x, RATE_HZ, 300e3, 200e3, [(0.001, 0.002), (0.004, 0.005)])
    assert band.spans_used == 2
    assert len(band.samples) == pytest.approx(2 * 0.001 * band.sample_rate_hz, abs=4)
    # only the 300 kHz tone remains, moved to DC with unit amplitude
    assert np.allclose(np.abs(band.samples), 1.0, atol=0.01)
    assert np.std(np.diff(np.unwrap(np.angle(band.samples[: len(band.samples) // 2])))) < 1e-3


def test_two_simultaneous_emitters_each_get_their_own_bearing():
    rng = np.random.default_rng(21)
    x = array_scene(TWO_LINKS, SCENE_SAMPLES, 10.0, rng)
    emitters = find_emitters(x, RATE_HZ, CENTER_HZ)
    assert len(emitters) == 2
    found = {}
    for em in sorted(emitters, key=lambda e: e.freq_hz):
        assert em.bandwidth_hz == pytest.approx(500e3, rel=0.15)
        res = emitter_doa(x, RATE_HZ, CENTER_HZ, em, UCA, "music")
        found[round((em.freq_hz - CENTER_HZ) / 1e5)] = res.bearing_deg
    assert angle_error_deg(found[-3], 40.0) < 1.0 and angle_error_deg(found[3], 250.0) < 1.0
    # the whole window holds two wavefronts; each channelized band holds one
    assert estimate_doa(x, UCA, CENTER_HZ).n_sources == 2
    for em in emitters:
        assert emitter_doa(x, RATE_HZ, CENTER_HZ, em, UCA, "music").n_sources == 1


def test_calibration_recovers_random_phase_gain_and_delay():
    rng = np.random.default_rng(8)
    errors = ChannelErrors.random(5, rng, gain_db_std=1.0, max_delay_samples=4)
    noise = common_noise_recording(5, 1 << 15, rng, errors=errors)
    cal = estimate_calibration(noise)
    d = np.asarray(errors.delay_samples)
    assert np.array_equal(np.asarray(cal.delay_samples) - cal.delay_samples[0], d - d[0])
    want = errors.complex_gain / errors.complex_gain[0]
    assert np.max(np.abs(np.angle(cal.gain / want, deg=True))) < 1.0
    assert np.max(np.abs(cal.gain_db - 20 * np.log10(np.abs(want)))) < 0.2
    assert min(cal.coherence) > 0.95

    x = array_scene(TWO_LINKS, SCENE_SAMPLES, 10.0, rng, errors=errors)
    em = EmitterBand(((0.0, 0.03),), CENTER_HZ - 550e3, CENTER_HZ - 50e3, 10.0)
    raw = emitter_doa(x, RATE_HZ, CENTER_HZ, em, UCA)
    fixed = emitter_doa(x, RATE_HZ, CENTER_HZ, em, UCA, calibration=cal)
    assert angle_error_deg(fixed.bearing_deg, 40.0) < 1.0
    assert angle_error_deg(raw.bearing_deg, 40.0) > 5.0


def test_known_azimuth_calibration_and_file_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    errors = ChannelErrors.random(5, rng)
    n = 20000
    x = array_scene([(0.0, 90.0)], n, 20, rng, errors=errors)
    band = channelize(align(x, estimate_delays(x)), RATE_HZ, 0.0, 550e3)
    cal = estimate_calibration(band.samples, geometry=UCA, known_azimuth_deg=90.0, rf_hz=CENTER_HZ,
                               delay_samples=[0] * 5)
    want = errors.complex_gain / errors.complex_gain[0]
    assert np.max(np.abs(np.angle(cal.gain / want, deg=True))) < 2.0
    path = tmp_path / "cal.json"
    cal.save(path)
    back = Calibration.load(path)
    np.testing.assert_allclose(back.gain, cal.gain, rtol=1e-5)
    assert back.method == "known-azimuth" and back.known_azimuth_deg == 90.0
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError):
        Calibration.load(tmp_path / "bad.json")
    with pytest.raises(ValueError):
        cal.apply(np.zeros((10, 4), np.complex64))


def test_pattern_models_have_the_stated_beamwidth():
    for model in ("gaussian", "cos"):
        assert pattern_gain(30.0, 60.0, model, None) == pytest.approx(0.5)
        assert pattern_gain(-30.0, 60.0, model, None) == pytest.approx(0.5)
        assert pattern_gain(0.0, 60.0, model) == pytest.approx(1.0)
        assert pattern_gain(180.0, 60.0, model, -25.0) == pytest.approx(10**-2.5)


@pytest.mark.parametrize("truth", [0.0, 123.0, 277.0])
def test_rotating_antenna_ten_degree_steps_sixty_degree_beam(truth):
    rng = np.random.default_rng(int(truth) + 1)
    dwell = int(0.005 * RATE_HZ)
    azimuths = np.arange(0.0, 360.0, 10.0)
    n = dwell * len(azimuths)
    emitter = elrs_like_emitters([(200e3, truth)], n, RATE_HZ, CENTER_HZ, 10.0, rng)
    x, caps = rotating_recording(emitter, azimuths, dwell, 60.0, rng, pattern="cos")
    segments = [AzimuthSegment(s, s + dwell, a) for s, a in caps]
    az, pw = band_power_per_segment(x, RATE_HZ, segments, 200e3, 550e3)
    fit = fit_pattern(az, pw, 60.0, "gaussian")  # a model other than the one that made the data
    assert angle_error_deg(fit.bearing_deg, truth) <= 5.0
    assert 0.0 < fit.bearing_std_deg < 5.0
    assert fit.snr_db > 6.0  # 10 dB in-band SNR less the duty cycle and the wider filter


def test_azimuth_csv(tmp_path):
    path = tmp_path / "az.csv"
    path.write_text("time_s,azimuth_deg\n0,0\n0.01,10\n# comment\n0.02,20\n")
    segs = read_azimuth_csv(path, 1000.0, 30)
    assert [(s.start, s.stop, s.azimuth_deg) for s in segs] == [(0, 10, 0.0), (10, 20, 10.0), (20, 30, 20.0)]
    path.write_text("0,0\n0.01,ten\n")
    with pytest.raises(InputError):
        read_azimuth_csv(path, 1000.0, 30)
