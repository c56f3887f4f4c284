"""Features that tell drone links from their look-alikes, measured on signals of known physics.

An LTE-like FDD downlink (TS 36.211 frame: 10 MHz, 15 kHz, normal CP, PSS in
the last symbol of slots 0 and 10, SSS before it, CRS on symbols 0 and 4 of
each slot, a loaded control region at the start of each subframe, partly
loaded data) against DJI OcuSync video from the ``dji-ocusync`` builder
(same numerology, random QAM) and its DroneID bursts; TDMA and TDD
envelopes of known frame period; fixed-rate against random packet timing.
"""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.detect.burst_detector import detect_samples
from rfclassify.dsp.modulation import (
    frequency_shift,
    lte_pss,
    ofdm_modulate,
    qam_symbols,
    resample,
    zadoff_chu,
)
from rfclassify.features import FEATURE_NAMES, BurstFeatures
from rfclassify.features.columns import ModelColumns
from rfclassify.features.context import context_features
from rfclassify.features.frame import frame_period_features
from rfclassify.features.sync import lte_pss_features, pss_subcarriers
from rfclassify.signatures import dji_ocusync as ocusync
from rfclassify.signatures.base import EmitRequest

NFFT = 1024  # 10 MHz LTE / OcuSync: 600 subcarriers
FS_HZ = NFFT * 15e3  # 15.36 MS/s
N_USED = 600


def _noise(rng, n, power):
    return (np.sqrt(power / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def _unit(x):
    return (x / np.sqrt(np.mean(np.abs(x) ** 2))).astype(np.complex64)


def _at_snr(rng, x, snr_db):
    return (_unit(x) + _noise(rng, len(x), 10 ** (-snr_db / 10))).astype(np.complex64)


def lte_downlink(rng, n_frames=1, nid2=1, load=0.3, n_used=N_USED, nfft=NFFT):
    """An LTE-like FDD downlink at ``nfft``·15 kHz (see the module docstring), complex64 of unit power."""
    k = ocusync.used_subcarriers(n_used)
    rb = np.arange(len(k)) // 12
    n_sym = 140 * n_frames
    coeffs = np.zeros((n_sym, len(k)), dtype=np.complex128)
    central = np.abs(k) <= 36  # the 72 subcarriers around DC: PSS/SSS and their guard
    pss_pos = np.searchsorted(k, pss_subcarriers())
    for s in range(n_sym):
        sym, slot = s % 7, (s // 7) % 20
        coeffs[s] = qam_symbols(rng, len(k), 4) * (rng.random(n_used // 12) < load)[rb]
        if sym == 0 and slot % 2 == 0:  # control region: every subcarrier of the subframe's first symbol
            coeffs[s] = qam_symbols(rng, len(k), 2)
        if sym in (0, 4):  # cell-specific reference signals, every 6th subcarrier
            crs = np.arange(len(k)) % 6 == (0 if sym == 0 else 3)
            coeffs[s, crs] = qam_symbols(rng, int(crs.sum()), 2)
        if slot in (0, 10) and sym in (5, 6):
            coeffs[s, central] = 0.0
            coeffs[s, pss_pos] = lte_pss(nid2) if sym == 6 else 2.0 * rng.integers(0, 2, 62) - 1
    cp = np.tile(ocusync.cp_lengths(nfft, 7, (0,)), n_sym // 7)
    return _unit(ofdm_modulate(coeffs, k, nfft, cp))


def ocusync_video(rng, duration_s=0.03):
    """The longest run of video subframes the ``dji-ocusync`` builder sends in ``duration_s`` (10 MHz, 15.36 MS/s)."""
    req = EmitRequest(rng, duration_s, ocusync.BAND_24, None, {"mode": "video", "bw_hz": 10e6, "qam_bits": 4})
    bursts = ocusync.SIGNATURE.builder(req)
    best = max(bursts, key=lambda b: len(b.samples))
    assert best.sample_rate_hz == FS_HZ
    return best.samples


def pss_of(x, bandwidth_hz=9e6):
    return lte_pss_features(x, FS_HZ, (0, len(x)), bandwidth_hz)


def test_pss_is_the_punctured_length_63_zadoff_chu_on_subcarriers_around_dc():
    """TS 36.211 §6.11.1.1: d(n) is the length-63 ZC sequence (roots 25, 29, 34) without its middle
    element, n = 0…61, mapped to the 62 subcarriers around DC."""
    for n_id2, root in enumerate((25, 29, 34)):
        assert np.allclose(lte_pss(n_id2), np.delete(zadoff_chu(root, 63), 31))
    k = pss_subcarriers()
    assert k[0] == -31 and k[-1] == 31 and 0 not in k and len(set(k)) == 62


@pytest.mark.parametrize("nid2", [0, 1, 2])
def test_pss_separates_lte_downlink_from_ocusync(nid2):
    """Every PSS root is found in an LTE downlink 20 kHz off the detection's centre at 6 dB SNR; OcuSync video and
    DroneID (same 15 kHz numerology, no PSS) stay at the level of noise."""
    rng = np.random.default_rng(10 + nid2)
    lte = _at_snr(rng, frequency_shift(lte_downlink(rng, nid2=nid2), 20e3, FS_HZ), 6)
    video = _at_snr(rng, ocusync_video(rng), 6)
    droneid = _at_snr(rng, ocusync.droneid_burst(ocusync.draw_flight(rng), ocusync.DRONEID_SUBCARRIERS, 0, NFFT), 20)
    noise = _noise(rng, len(lte), 1.0)
    f_lte = pss_of(lte)
    others = [pss_of(x) for x in (video, droneid, noise)]
    assert f_lte["lte_pss_corr"] > 0.3
    assert f_lte["lte_pss_db"] > 12
    for f in others:
        assert f["lte_pss_corr"] < 0.15
        assert f["lte_pss_db"] < f_lte["lte_pss_db"] - 5


def test_pss_needs_a_span_and_width_that_can_hold_it():
    rng = np.random.default_rng(3)
    lte = lte_downlink(rng)
    assert pss_of(lte, bandwidth_hz=200e3) == {"lte_pss_corr": 0.0, "lte_pss_db": 0.0}  # GSM-narrow
    assert pss_of(lte[:1000]) == {"lte_pss_corr": 0.0, "lte_pss_db": 0.0}  # 65 µs: no whole subframe before a PSS
    # The search follows the detection's span: a span that misses both PSS symbols finds none.
    slot_s = 0.5e-3
    f = lte_pss_features(lte, FS_HZ, (round(1.2 * slot_s * FS_HZ), round(9 * slot_s * FS_HZ)), 9e6)
    assert 0.0 < f["lte_pss_corr"] < 0.15


def _tdma(rng, frame_s, on_s, n_frames, fs_hz):
    """A burst of noise-like signal ``on_s`` long at the start of every ``frame_s``, over noise 20 dB down."""
    n = round(n_frames * frame_s * fs_hz)
    t = np.arange(n) / fs_hz
    on = (t % frame_s) < on_s
    return (_noise(rng, n, 1.0) * on + _noise(rng, n, 0.01)).astype(np.complex64)


@pytest.mark.parametrize(
    ("frame_s", "on_s"),
    [(4.615e-3, 0.577e-3), (5e-3, 3e-3), (10e-3, 0.417e-3)],  # GSM timeslot, TDD 5 ms pattern, DECT slot
)
def test_frame_period_of_tdma_and_tdd_envelopes(frame_s, on_s):
    rng = np.random.default_rng(4)
    fs_hz = 2e6
    x = _tdma(rng, frame_s, on_s, 5, fs_hz)
    f = frame_period_features(x, fs_hz, (0, len(x)))
    assert f["frame_period_s"] == pytest.approx(frame_s, abs=50e-6)
    assert f["frame_period_corr"] > 0.8


def test_frame_period_lte_subframe_vs_ocusync_video():
    """The LTE-like downlink repeats its subframe's power pattern every 1 ms; OcuSync's random QAM has no period."""
    rng = np.random.default_rng(5)
    lte = _at_snr(rng, lte_downlink(rng, n_frames=2), 10)
    video = _at_snr(rng, ocusync_video(rng), 10)
    f_lte = frame_period_features(lte, FS_HZ, (0, len(lte)))
    f_video = frame_period_features(video, FS_HZ, (0, len(video)))
    assert f_lte["frame_period_s"] == pytest.approx(1e-3, abs=50e-6)
    assert f_lte["frame_period_corr"] > 0.6
    assert f_video["frame_period_corr"] < 0.4


def test_frame_period_needs_two_periods():
    rng = np.random.default_rng(6)
    x = _noise(rng, 1500, 1.0)  # 0.75 ms at 2 MS/s: not two of the shortest period
    assert frame_period_features(x, 2e6, (0, len(x))) == {"frame_period_s": 0.0, "frame_period_corr": 0.0}


class _Det:
    def __init__(self, t_start_s, freq_hz, bandwidth_hz=500e3, duration_s=2e-3):
        self.t_start_s, self.freq_hz, self.bandwidth_hz, self.duration_s = t_start_s, freq_hz, bandwidth_hz, duration_s


def test_interval_cv_fixed_packet_rate_vs_random_access():
    """ExpressLRS-like hopping at a fixed 5 ms packet interval: cv ≈ 0; ALOHA-like random intervals: cv ≈ 1."""
    rng = np.random.default_rng(7)
    hop = [_Det(0.005 * i, 903e6 + 600e3 * (i % 40)) for i in range(60)]
    aloha_t = np.cumsum(rng.exponential(0.02, 40))
    aloha = [_Det(float(t), 903.9e6 + 200e3 * int(rng.integers(8))) for t in aloha_t]
    cv_hop = context_features(hop, 30)["interval_cv"]
    cv_aloha = context_features(aloha, 20)["interval_cv"]
    assert cv_hop == pytest.approx(0.0, abs=1e-6)
    assert 0.5 < cv_aloha < 2.0
    assert context_features(hop[:2], 1)["interval_cv"] == 0.0  # two bursts: one interval, no spread


def test_columns_through_the_detector():
    """An LTE-like downlink detected in a recording carries its PSS and 1 ms period in its feature row."""
    rng = np.random.default_rng(8)
    x = np.concatenate((_noise(rng, 20000, 0.01), _at_snr(rng, lte_downlink(rng), 15) , _noise(rng, 20000, 0.01)))
    bursts = [b for b in detect_samples(x, FS_HZ, 2.14e9) if b.detection.bandwidth_hz > 5e6]
    rows = BurstFeatures().fit(bursts).transform(bursts)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    longest = int(np.argmax([b.detection.duration_s for b in bursts]))
    row = rows[longest]
    assert row[col["lte_pss_corr"]] > 0.3
    assert row[col["frame_period_s"]] == pytest.approx(1e-3, abs=50e-6)


@pytest.mark.parametrize("offset_hz", [0.0, 30e3, -45e3])
def test_pss_of_a_20_mhz_downlink_recorded_at_19_2_msps(offset_hz):
    """Issue 16's case: a 20 MHz LTE downlink (18 MHz occupied) recorded by a HackRF at 19.2 MS/s, the carrier
    a few tens of kHz off the tuning: the detected emission's row carries the PSS."""
    rng = np.random.default_rng(9)
    fs_hz = 19.2e6
    x = resample(lte_downlink(rng, nid2=2, load=0.5, n_used=1200, nfft=2048), 2048 * 15e3, fs_hz)
    x = _at_snr(rng, frequency_shift(x, offset_hz, fs_hz), 10)
    x = np.concatenate((_noise(rng, 40000, 0.01), x, _noise(rng, 40000, 0.01)))
    bursts = [b for b in detect_samples(x, fs_hz, 1815.3e6) if b.detection.bandwidth_hz > 15e6]
    assert bursts
    rows = BurstFeatures().fit(bursts).transform(bursts)
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert rows[:, col["lte_pss_corr"]].max() > 0.4


def test_model_columns_read_the_leading_columns_a_model_was_trained_on():
    """Columns appended by a later schema do not reach a model trained before them."""
    rows = np.arange(2 * len(FEATURE_NAMES), dtype=np.float32).reshape(2, -1)
    old = ModelColumns(n_features=36).transform(rows)
    new = ModelColumns().transform(rows)
    assert new.shape[1] == len(FEATURE_NAMES) - 1  # rf_mhz becomes the band code, offset_hz is dropped
    assert old.shape[1] == 35
    assert np.array_equal(old, new[:, :35])


def test_a_model_reads_the_columns_its_metadata_names():
    """The shipped model decides on rows of this schema through the leading columns it was trained on."""
    from rfclassify.classify.pipeline import Classifier

    clf = Classifier.load()
    names = clf.meta["feature_names"]
    assert tuple(names) == FEATURE_NAMES[: len(names)]
    assert clf.model.named_steps["select"].n_features == len(names)
    rng = np.random.default_rng(12)
    x = np.concatenate((_noise(rng, 20000, 0.01), _at_snr(rng, lte_downlink(rng), 15), _noise(rng, 20000, 0.01)))
    bursts = detect_samples(x, FS_HZ, 2.14e9)
    decisions = clf.decide(bursts)
    assert len(decisions) == len(bursts) and all(d.label for d in decisions)


@pytest.mark.parametrize("fs_hz", [2.4e6, 2.048e6, 7e6, 14e6, 19.2e6, 20e6 / 3, 2.4e6 * (1 + 3e-5), 61.44e6])
def test_pss_search_lengths_exist_for_any_rate(fs_hz):
    """For every baseband rate the PSS search finds fast FFT lengths close to the PSS rate (it once searched
    forever for rates whose ratio to 1.92 MHz no pair of 5-smooth lengths matches exactly)."""
    from rfclassify.features.sync import PSS_RATE_HZ, _fft_lengths

    n_span = round(2e-3 * fs_hz)
    n, m = _fft_lengths(n_span, fs_hz)
    assert n_span <= n <= 2 * n_span
    assert m * fs_hz / n == pytest.approx(PSS_RATE_HZ, rel=5e-3)
