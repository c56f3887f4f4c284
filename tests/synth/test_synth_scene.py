"""Scenes: SNR as defined, annotations that contain their signals, windowing, determinism."""

import numpy as np
import pytest

from rfclassify import signatures
from rfclassify.dsp.measure import band_power, psd
from rfclassify.dsp.modulation import lora_chirps
from rfclassify.signatures import REGISTRY, Band, Burst, Signature
from rfclassify.signatures.base import unit_power
from rfclassify.synth import EmitterSpec, Scene, ideal, render, rtlsdr
from rfclassify.synth.dataset import observed_scene

CHANNELS_HZ = tuple(903.5e6 + 600e3 * i for i in range(40))
LORA_BW_HZ = 500e3


def _lora_hopper(req):
    """200 packets/s of SF6 LoRa over 40 channels; ``params['channel_hz']`` pins one channel."""
    bursts = []
    fixed = req.params.get("channel_hz")
    for k in range(int(req.duration_s / 0.005)):
        rf = fixed if fixed is not None else CHANNELS_HZ[int(req.rng.integers(len(CHANNELS_HZ)))]
        if not req.visible(rf - LORA_BW_HZ / 2, rf + LORA_BW_HZ / 2):
            continue
        x = lora_chirps(req.rng.integers(0, 64, 30), 6, LORA_BW_HZ, 1e6)  # 3.84 ms
        bursts.append(Burst(k * 0.005 + 0.0004, rf, unit_power(x), 1e6, rf - 250e3, rf + 250e3, "control"))
    return bursts


def _wide(req):
    """One 1 ms burst of band-limited noise, 10 MHz wide, at 30 MS/s (an OFDM-like wide signal)."""
    rf = req.params.get("rf_hz", 2437e6)
    rng = req.rng
    n = 30_000
    spec = np.zeros(n, complex)
    f = np.fft.fftfreq(n, 1 / 30e6)
    inband = np.abs(f) < 5e6
    spec[inband] = rng.standard_normal(inband.sum()) + 1j * rng.standard_normal(inband.sum())
    x = np.fft.ifft(spec)
    return [Burst(0.002, rf, unit_power(x), 30e6, rf - 5e6, rf + 5e6, "video")]


@pytest.fixture(autouse=True)
def test_signatures(monkeypatch):
    monkeypatch.setitem(
        REGISTRY,
        "test-hopper",
        Signature("test-hopper", True, "control", (Band("FCC", 903.25e6, 927.15e6, CHANNELS_HZ),),
                  "LoRa", LORA_BW_HZ, {}, _lora_hopper, drone_models=("test quad",), drone_model_sources=("test",)),
    )
    monkeypatch.setitem(
        REGISTRY,
        "test-wide",
        Signature("test-wide", True, "video", (Band("ISM", 2400e6, 2483.5e6),), "OFDM", 10e6, {}, _wide,
                  drone_models=("test quad",), drone_model_sources=("test",)),
    )


def _measured_snr_db(rendered, annotation):
    """In-band SNR of one annotated burst: (band power in burst − band power in noise) / band noise."""
    fs = rendered.sample_rate_hz
    fc = rendered.center_freq_hz
    s, n = annotation["core:sample_start"], annotation["core:sample_count"]
    lo = annotation["core:freq_lower_edge"] - fc
    hi = annotation["core:freq_upper_edge"] - fc
    busy = band_power(rendered.samples[s : s + n], fs, lo, hi, nfft=512)
    gap = rendered.samples[max(0, s - 2000) : max(0, s - 64)]  # the quiet stretch before the burst
    quiet = band_power(gap, fs, lo, hi, nfft=512) if len(gap) >= 1024 else rendered.gain**2 * (hi - lo) / fs
    return 10 * np.log10((busy - quiet) / quiet)


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 25.0])
@pytest.mark.parametrize("make_rx", [lambda: ideal(915e6, 2.4e6), lambda: rtlsdr(915e6)])
def test_snr_is_signal_over_noise_in_occupied_band(snr_db, make_rx):
    rx = make_rx()
    spec = EmitterSpec("test-hopper", snr_db, params={"channel_hz": 915.5e6})  # off the DC spike
    r = render(Scene([spec], rx, 0.02), np.random.default_rng(11))
    assert len(r.annotations) >= 3
    measured = [_measured_snr_db(r, a) for a in r.annotations[:3]]
    assert np.median(measured) == pytest.approx(snr_db, abs=1.0)


def test_wide_signal_snr_holds_in_the_visible_slice():
    # 10 MHz signal seen through 2.4 MS/s: the visible slice still sits snr_db over the noise density.
    rx = ideal(2437e6, 2.4e6)
    r = render(Scene([EmitterSpec("test-wide", 10.0)], rx, 0.004), np.random.default_rng(12))
    (a,) = r.annotations
    assert a["core:freq_lower_edge"] == pytest.approx(2432e6) and a["core:freq_upper_edge"] == pytest.approx(2442e6)
    assert a["rfclassify:visible_freq_lower_edge"] == pytest.approx(2435.8e6)
    assert a["rfclassify:visible_freq_upper_edge"] == pytest.approx(2438.2e6)
    s, n = a["core:sample_start"], a["core:sample_count"]
    busy = band_power(r.samples[s : s + n], 2.4e6, -1e6, 1e6, nfft=512)
    quiet = band_power(r.samples[: s - 100], 2.4e6, -1e6, 1e6, nfft=512)
    assert 10 * np.log10((busy - quiet) / quiet) == pytest.approx(10.0, abs=1.0)


def test_partly_visible_wide_signal_shows_only_its_slice_without_folding():
    # Signal 2432–2442 MHz, receiver centred at 2442 MHz: only the lower half of the window has it.
    rx = ideal(2442e6, 2.4e6)
    r = render(Scene([EmitterSpec("test-wide", 20.0, emitter_id="w")], rx, 0.004), np.random.default_rng(13))
    comp = r.components["w"]
    (a,) = r.annotations
    seg = comp[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]]
    inside = band_power(seg, 2.4e6, -1.0e6, -0.1e6, nfft=512)
    outside = band_power(seg, 2.4e6, 0.1e6, 1.0e6, nfft=512)
    assert inside > 1000 * outside
    assert a["rfclassify:visible_freq_upper_edge"] == pytest.approx(2442e6)


def test_annotations_contain_the_signal():
    rx = rtlsdr(915.2e6, rng=np.random.default_rng(14))  # with a random LO error
    spec = EmitterSpec("test-hopper", 20.0, emitter_id="elrs", ppm=8.0)
    r = render(Scene([spec], rx, 0.05), np.random.default_rng(15))
    clean = r.components["elrs"]
    assert r.annotations
    mask = np.zeros(len(clean), bool)
    for a in r.annotations:
        mask[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]] = True
        assert a["core:label"] == "test-hopper" and a["rfclassify:emitter_id"] == "elrs"
        assert a["rfclassify:link"] == "control" and a["rfclassify:snr_db"] == 20.0
        # frequency: 99 % of this burst's clean energy lies inside the visible edges
        seg = clean[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]]
        lo = a["rfclassify:visible_freq_lower_edge"] - rx.center_freq_hz
        hi = a["rfclassify:visible_freq_upper_edge"] - rx.center_freq_hz
        assert a["core:freq_lower_edge"] <= a["rfclassify:visible_freq_lower_edge"]
        assert a["core:freq_upper_edge"] >= a["rfclassify:visible_freq_upper_edge"]
        if hi - lo > 490e3:  # wholly visible burst: its energy lies within the edges
            # (SF6 LoRa leaks a little past its nominal BW: wrapped chirps of 64 chips)
            f, p = psd(seg, rx.sample_rate_hz, 1024)
            margin = 0.1 * (hi - lo)
            assert p[(f >= lo) & (f <= hi)].sum() >= 0.96 * p.sum()
            assert p[(f >= lo - margin) & (f <= hi + margin)].sum() >= 0.985 * p.sum()
            assert np.sum(f * p) / np.sum(p) == pytest.approx((lo + hi) / 2, abs=0.02 * (hi - lo))
    energy = np.abs(clean) ** 2
    assert energy[mask].sum() >= 0.999 * energy.sum()


def test_oscillator_errors_move_signal_and_annotations_together():
    rx = ideal(915e6, 2.4e6)
    shifted = ideal(915e6, 2.4e6).__class__(**{**ideal(915e6, 2.4e6).__dict__, "ppm": 20.0})
    spec = EmitterSpec("test-hopper", 30.0, params={"channel_hz": 915.5e6}, emitter_id="e", ppm=-10.0)
    a0 = render(Scene([spec], rx, 0.01), np.random.default_rng(16))
    a1 = render(Scene([spec], shifted, 0.01), np.random.default_rng(16))
    expected_hz = -10e-6 * 915.5e6 - 20e-6 * 915e6
    lo0 = a0.annotations[0]["core:freq_lower_edge"]
    assert lo0 == pytest.approx(915.25e6 - 10e-6 * 915.5e6)
    assert a1.annotations[0]["core:freq_lower_edge"] - lo0 == pytest.approx(-20e-6 * 915e6)

    def centroid(rendered):
        f, p = psd(rendered.components["e"], 2.4e6, 4096)
        return np.sum(f * p) / np.sum(p)

    assert centroid(a0) == pytest.approx(0.5e6 - 10e-6 * 915.5e6, abs=5e3)
    assert centroid(a1) - centroid(a0) == pytest.approx(expected_hz - (-10e-6 * 915.5e6), abs=3e3)


def test_window_shows_fewer_hops_at_2_4_than_at_20_msps():
    label = "elrs-900" if "elrs-900" in signatures.labels() else "test-hopper"
    params = {"rate_hz": 200} if label == "elrs-900" else {}
    spec = EmitterSpec(label, 15.0, band="FCC915" if label == "elrs-900" else None, params=params)
    narrow = render(Scene([spec], ideal(915e6, 2.4e6), 0.4), np.random.default_rng(17), keep_components=False)
    wide = render(Scene([spec], ideal(915e6, 20e6), 0.4), np.random.default_rng(17), keep_components=False)
    hops_narrow = {round(a["rfclassify:rf_hz"]) for a in narrow.annotations}
    hops_wide = {round(a["rfclassify:rf_hz"]) for a in wide.annotations}
    # 2.4 MHz / 600 kHz spacing: at most 5–6 of the 40 channels touch the window; 20 MHz covers 33.
    assert 1 <= len(hops_narrow) <= 6
    assert len(hops_wide) >= 10 and len(hops_wide) >= 2 * len(hops_narrow)
    assert len(wide.annotations) > 2 * len(narrow.annotations)
    assert all(913.8e6 - 250e3 <= f <= 916.2e6 + 250e3 for f in hops_narrow)
    for a in narrow.annotations:
        assert a["core:freq_upper_edge"] > 913.8e6 and a["core:freq_lower_edge"] < 916.2e6


def test_several_emitters_and_components_sum():
    rx = ideal(915e6, 2.4e6)
    scene = Scene(
        [EmitterSpec("test-hopper", 10.0, emitter_id="a", params={"channel_hz": 914.3e6}),
         EmitterSpec("test-hopper", 20.0, emitter_id="b", params={"channel_hz": 915.5e6}, start_s=0.002,
                     fading_k_db=3.0, phase_noise_linewidth_hz=50.0, azimuth_deg=120.0)],
        rx, 0.02,
    )
    r = render(scene, np.random.default_rng(18))
    assert set(r.components) == {"a", "b"}
    ids = {a["rfclassify:emitter_id"] for a in r.annotations}
    assert ids == {"a", "b"}
    assert all(a.get("rfclassify:azimuth_deg") == 120.0 for a in r.annotations if a["rfclassify:emitter_id"] == "b")
    starts = [a["core:sample_start"] for a in r.annotations]
    assert starts == sorted(starts)
    # samples = noise + a + b exactly for the ideal receiver with the same noise stream
    residual = r.samples - r.components["a"] - r.components["b"]
    assert np.mean(np.abs(residual) ** 2) == pytest.approx(1.0, rel=0.05)


def test_nothing_but_noise():
    r = render(Scene([], rtlsdr(433.92e6), 0.01), np.random.default_rng(19))
    assert r.annotations == [] and r.components == {}
    assert len(r.samples) == 24_000
    if "noise" in signatures.labels():
        r2 = render(Scene([EmitterSpec("noise", 0.0)], rtlsdr(433.92e6), 0.01), np.random.default_rng(19))
        assert r2.annotations == []


def test_same_seed_same_scene_different_seed_different():
    scene = Scene([EmitterSpec("test-hopper", 10.0)], rtlsdr(915e6), 0.02)
    a = render(scene, np.random.default_rng(20))
    b = render(scene, np.random.default_rng(20))
    c = render(scene, np.random.default_rng(21))
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.annotations == b.annotations
    assert not np.array_equal(a.samples, c.samples)


def test_unknown_label_is_refused():
    with pytest.raises(KeyError, match="unknown label"):
        render(Scene([EmitterSpec("no-such-link", 10.0)], rtlsdr(915e6), 0.01), np.random.default_rng(0))


@pytest.mark.parametrize("receiver_kind", ["rtlsdr", "wideband"])
def test_every_registered_label_is_observed_with_sane_annotations(receiver_kind):
    """Each real signature, tuned as the dataset tunes, shows up with annotations inside the window."""
    duration_s = 0.3 if receiver_kind == "rtlsdr" else 0.02
    for label in signatures.labels():
        scene, r = observed_scene(label, receiver_kind, duration_s, (15.0, 15.0), np.random.default_rng(22))
        rx = scene.receiver
        assert len(r.samples) == round(duration_s * rx.sample_rate_hz)
        assert label == "noise" or any(a["core:label"] == label for a in r.annotations), label
        for a in r.annotations:
            assert a["core:sample_count"] > 0
            assert a["core:sample_start"] + a["core:sample_count"] <= len(r.samples)
            assert a["core:freq_lower_edge"] < a["core:freq_upper_edge"]
            assert a["rfclassify:visible_freq_lower_edge"] >= rx.window_hz[0] - 1
            assert a["rfclassify:visible_freq_upper_edge"] <= rx.window_hz[1] + 1
            assert a["rfclassify:snr_db"] == 15.0
