"""Weak long emissions at wideband rates stay whole: one LoRa packet is a few detections, not hundreds."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.detect.burst_detector import detect_samples
from rfclassify.dsp.modulation import lora_chirps

FS = 20e6
FC = 868e6
BW = 125e3


def _lora_scene(seed: int, snr_db: float, t0_s: float, n_symbols: int, sf: int) -> tuple[np.ndarray, float]:
    """Unit-density noise with one LoRa packet (``BW``, SF ``sf``) at in-band SNR ``snr_db``, 2 MHz off DC."""
    rng = np.random.default_rng(seed)
    pkt = lora_chirps(rng.integers(0, 2**sf, n_symbols), sf, BW, FS)
    n = int((t0_s + 0.05) * FS) + len(pkt)
    x = (np.sqrt(0.5) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)
    amp = np.sqrt(10 ** (snr_db / 10) * BW / FS)
    i = int(t0_s * FS)
    f_hz = 2e6
    x[i : i + len(pkt)] += (amp * pkt * np.exp(2j * np.pi * f_hz * np.arange(len(pkt)) / FS)).astype(np.complex64)
    return x, len(pkt) / FS


@pytest.mark.parametrize("seed", [21, 22, 24])
def test_lora_at_0db_and_20msps_is_a_few_detections_covering_the_packet(seed):
    t0_s = 0.25  # after 0.2 s of noise: the floor's history is full
    # SF11 at 125 kHz: 16.4 ms symbols, a 164 ms packet (before: ~150 detections covering 40 % of it).
    x, dur_s = _lora_scene(seed, 0.0, t0_s, n_symbols=10, sf=11)
    dets = [b.detection for b in detect_samples(x, FS, FC, keep_iq=False)]
    on = [d for d in dets if d.t_end_s > t0_s and d.t_start_s < t0_s + dur_s and abs(d.freq_hz - FC - 2e6) < BW]
    assert on and len(on) <= 3, [(d.t_start_s, d.duration_s) for d in dets]
    covered = sum(min(d.t_end_s, t0_s + dur_s) - max(d.t_start_s, t0_s) for d in on)
    assert covered >= 0.8 * dur_s


def test_lora_packets_5ms_apart_stay_separate_at_20msps():
    # Two strong 4 ms packets 1 ms apart on one channel (an ELRS-like 5 ms period): two detections.
    rng = np.random.default_rng(23)
    n = int(0.1 * FS)
    x = (np.sqrt(0.5) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)
    amp = np.sqrt(10 ** (15 / 10) * 500e3 / FS)
    for t in (0.03, 0.035):
        pkt = lora_chirps(rng.integers(0, 128, 30), 7, 500e3, FS)[: int(4e-3 * FS)]
        i = int(t * FS)
        x[i : i + len(pkt)] += (amp * pkt * np.exp(2j * np.pi * -3e6 * np.arange(len(pkt)) / FS)).astype(np.complex64)
    dets = sorted((b.detection for b in detect_samples(x, FS, FC, keep_iq=False)), key=lambda d: d.t_start_s)
    assert len(dets) == 2, [(d.t_start_s, d.duration_s) for d in dets]
    assert abs(dets[0].t_end_s - 0.034) < 0.2e-3 and abs(dets[1].t_start_s - 0.035) < 0.2e-3
