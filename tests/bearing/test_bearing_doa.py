"""Array geometry, the steering sign convention and the DOA estimators (pure math)."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.bearing.doa import (
    angle_error_deg,
    crb_std_deg,
    estimate_doa,
    estimate_source_count,
    sample_covariance,
)
from rfclassify.bearing.geometry import SPEED_OF_LIGHT_M_S, ArrayGeometry, parse_positions
from rfclassify.bearing.steering import steering_vectors
from rfclassify.errors import InputError
from rfclassify.synth.array import ArrayEmitter, array_recording, complex_noise

RF_HZ = 915e6
LAMBDA_M = SPEED_OF_LIGHT_M_S / RF_HZ

GEOMETRIES = {
    "uca": ArrayGeometry.uca(5, 0.11),
    "ula": ArrayGeometry.ula(4, 0.16),
    "custom": ArrayGeometry.custom([[0.0, 0.0], [0.12, 0.01], [0.05, 0.13], [-0.07, 0.06]]),
}


def test_uca_and_ula_positions_follow_the_documented_layout():
    uca = ArrayGeometry.uca(4, 0.2)
    np.testing.assert_allclose(uca.positions_m, [[0.2, 0], [0, 0.2], [-0.2, 0], [0, -0.2]], atol=1e-12)
    ula = ArrayGeometry.ula(3, 0.1)
    np.testing.assert_allclose(ula.positions_m, [[0, 0], [0.1, 0], [0.2, 0]])
    assert ula.is_linear and not uca.is_linear
    assert ArrayGeometry.from_metadata(uca.to_metadata()).positions_m.tolist() == uca.positions_m.tolist()
    custom = GEOMETRIES["custom"]
    assert ArrayGeometry.from_metadata(custom.to_metadata()).num_elements == 4


def test_steering_phase_sign_element_nearer_the_emitter_leads():
    # element 0 of a UCA sits on +x; a wave from azimuth 0 reaches it r/c earlier than the origin
    uca = ArrayGeometry.uca(5, 0.11)
    a = steering_vectors(uca, 0.0, RF_HZ)
    assert np.angle(a[0]) == pytest.approx(np.angle(np.exp(2j * np.pi * 0.11 / LAMBDA_M)))
    # from azimuth 180 it arrives later: the opposite phase
    assert np.angle(steering_vectors(uca, 180.0, RF_HZ)[0]) == pytest.approx(-np.angle(a[0]))
    assert steering_vectors(uca, [0.0, 90.0], RF_HZ).shape == (2, 5)


def _true_delay_recording(geometry, azimuth_deg, rng, n=8192, fs_hz=2.4e6, snr_db=15.0):
    """Physical model, independent of steering.py: each element sees s(t − τ) mixed down by the LO."""
    u = np.array([np.cos(np.radians(azimuth_deg)), np.sin(np.radians(azimuth_deg))])
    tau_s = -(geometry.positions_m @ u) / SPEED_OF_LIGHT_M_S  # nearer elements: earlier (negative delay)
    s = complex_noise((n,), 1.0, rng)
    freqs = np.fft.fftfreq(n, 1 / fs_hz)
    spec = np.fft.fft(s)
    cols = [np.fft.ifft(spec * np.exp(-2j * np.pi * freqs * t)) * np.exp(-2j * np.pi * RF_HZ * t) for t in tau_s]
    x = np.stack(cols, axis=1) * 10 ** (snr_db / 20)
    return x + complex_noise(x.shape, 1.0, rng)


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
@pytest.mark.parametrize("method", ["music", "bartlett", "capon"])
def test_source_at_known_azimuth_recovered_within_one_degree(name, method):
    geometry = GEOMETRIES[name]
    rng = np.random.default_rng(7)
    truths = [20.0, 75.0, 140.0] if geometry.is_linear else [20.0, 135.0, 250.0, 330.0]
    for truth in truths:
        x = _true_delay_recording(geometry, truth, rng)
        res = estimate_doa(x, geometry, RF_HZ, method)
        assert angle_error_deg(res.bearing_deg, truth) < 1.0, (name, method, truth, res.bearing_deg)
        assert 0.0 <= res.bearing_std_deg[0] < 1.0
        assert res.confidence > 0.3


def test_ula_reports_0_to_180_and_names_the_mirror():
    geometry = GEOMETRIES["ula"]
    rng = np.random.default_rng(3)
    x = _true_delay_recording(geometry, 300.0, rng)  # below the axis: the ULA sees its mirror, 60°
    res = estimate_doa(x, geometry, RF_HZ)
    assert 0.0 <= res.bearing_deg <= 180.0
    assert res.bearing_deg == pytest.approx(60.0, abs=1.0)
    assert res.mirror_ambiguous and res.mirror_deg[0] == pytest.approx(300.0, abs=1.0)
    planar = estimate_doa(_true_delay_recording(GEOMETRIES["uca"], 300.0, rng), GEOMETRIES["uca"], RF_HZ)
    assert not planar.mirror_ambiguous and planar.bearing_deg == pytest.approx(300.0, abs=1.0)


def test_music_resolves_two_sources_at_the_same_frequency():
    geometry = GEOMETRIES["uca"]  # the 5-element, r = 0.11 m target array: 0.67 λ across
    rng = np.random.default_rng(11)
    n = 4000
    truths = (60.0, 130.0)
    emitters = [ArrayEmitter(complex_noise((n,), 10.0, rng), RF_HZ, t) for t in truths]
    x = array_recording(emitters, geometry, n, rng)
    music = estimate_doa(x, geometry, RF_HZ, "music")
    assert music.n_sources == 2
    found = sorted(music.bearings_deg)
    assert found[0] == pytest.approx(truths[0], abs=1.0) and found[1] == pytest.approx(truths[1], abs=1.0)
    one = array_recording(emitters[:1], geometry, n, rng)
    assert estimate_doa(one, geometry, RF_HZ).n_sources == 1


def test_forward_backward_averaging_only_where_the_array_is_centro_symmetric():
    rng = np.random.default_rng(1)
    x = complex_noise((100, 4), 1.0, rng)
    ula = GEOMETRIES["ula"]
    assert ula.centro_symmetric_permutation().tolist() == [3, 2, 1, 0]
    fb = sample_covariance(x, ula)
    assert not np.allclose(fb, sample_covariance(x, ula, forward_backward=False))
    np.testing.assert_allclose(fb, fb.conj()[::-1, ::-1])  # persymmetric
    assert GEOMETRIES["uca"].centro_symmetric_permutation() is None  # odd UCA
    assert ArrayGeometry.uca(6, 0.1).centro_symmetric_permutation().tolist() == [3, 4, 5, 0, 1, 2]
    with pytest.raises(ValueError):
        sample_covariance(complex_noise((100, 5), 1.0, rng), GEOMETRIES["uca"], forward_backward=True)


def test_source_count_mdl_and_aic():
    noise = np.ones(6)
    assert estimate_source_count(noise * [50, 20, 1.01, 1, 0.99, 1], 1000) == 2
    assert estimate_source_count(noise * [50, 1.02, 1, 0.98, 1, 1], 1000, "aic") == 1
    assert estimate_source_count(noise, 1000) == 1  # at least one: called for a detection


def test_crb_shrinks_with_snapshots_and_snr_and_matches_music_error():
    geometry = GEOMETRIES["uca"]
    base = crb_std_deg(geometry, RF_HZ, [100.0], [1.0], 1.0, 1000)[0]
    assert crb_std_deg(geometry, RF_HZ, [100.0], [1.0], 1.0, 4000)[0] == pytest.approx(base / 2, rel=1e-6)
    assert crb_std_deg(geometry, RF_HZ, [100.0], [10.0], 1.0, 1000)[0] < base / 2.5
    rng = np.random.default_rng(5)
    errors, bounds = [], []
    for _ in range(30):
        truth = float(rng.uniform(0, 360))
        x = array_recording([ArrayEmitter(complex_noise((2000,), 1.0, rng), RF_HZ, truth)], geometry, 2000, rng)
        res = estimate_doa(x, geometry, RF_HZ)
        errors.append(angle_error_deg(res.bearing_deg, truth))
        bounds.append(res.bearing_std_deg[0])
    rms = float(np.sqrt(np.mean(np.square(errors))))
    assert 0.6 * np.mean(bounds) < rms < 1.6 * np.mean(bounds)


def test_bad_shapes_and_geometry_input_raise():
    geometry = GEOMETRIES["uca"]
    with pytest.raises(ValueError):
        estimate_doa(np.zeros((100, 4), complex), geometry, RF_HZ)
    with pytest.raises(ValueError):
        estimate_doa(np.zeros((100, 5), complex), geometry, RF_HZ, "esprit")
    with pytest.raises(ValueError):
        ArrayGeometry.uca(2, 0.1)
    with pytest.raises(InputError):
        parse_positions("0,0;0.1")
    with pytest.raises(InputError):
        parse_positions("0,0;0,0")
    with pytest.raises(InputError):
        ArrayGeometry.from_metadata({"type": "uca", "elements": 5})
    assert parse_positions(" 0,0 ; 0.1,0; 0.05,0.08 ").num_elements == 3
    assert ArrayGeometry.ula(4, 0.3).spacing_warning(RF_HZ) is not None
    assert ArrayGeometry.ula(4, 0.15).spacing_warning(RF_HZ) is None
