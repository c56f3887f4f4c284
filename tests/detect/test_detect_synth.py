"""Detections against the synthesizer's ground truth (SigMF annotations) on a few RTL-SDR scenes."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify import synth
from rfclassify.detect.burst_detector import detect_samples
from rfclassify.synth import dataset


def _render(label: str, seed: int):
    rng = np.random.default_rng(seed)
    scene = dataset.class_scene(label, "rtlsdr", 0.3, (10, 10), rng, probe=True)
    return synth.render(scene, rng, keep_components=False)


@pytest.mark.parametrize("label", ["elrs-900", "lora-iot", "ook-ism"])
def test_every_annotated_burst_is_detected_in_time_and_frequency(label):
    rec = _render(label, 11)
    anns = [a for a in rec.annotations if a.get("core:label") == label]
    assert anns
    dets = [b.detection for b in detect_samples(rec.samples, rec.sample_rate_hz, rec.center_freq_hz)]
    frame_s = 256 / rec.sample_rate_hz
    for a in anns:
        s0 = a["core:sample_start"]
        s1 = s0 + a["core:sample_count"]
        lo, hi = a["core:freq_lower_edge"], a["core:freq_upper_edge"]
        match = [
            d
            for d in dets
            if d.sample_start < s1 and d.sample_start + d.sample_count > s0 and d.f_lo_hz < hi and d.f_hi_hz > lo
        ]
        assert match, a
        d = match[0]
        # Two frames: the receiver model filters, and time edges come from 3-frame-smoothed power.
        assert abs(d.t_start_s - s0 / rec.sample_rate_hz) <= 2 * frame_s + 1e-9
        # SNR is in-band: referred to the annotation's bandwidth, the same signal power gives 10 dB.
        snr_ann_bw = d.snr_db + 10 * np.log10(d.bandwidth_hz / (hi - lo))
        assert abs(snr_ann_bw - 10.0) < 2.5


def test_noise_scene_gives_nothing():
    rec = _render("noise", 12)
    assert detect_samples(rec.samples, rec.sample_rate_hz, rec.center_freq_hz) == []
