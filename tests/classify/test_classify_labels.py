"""Ground truth for training: detections take labels from the annotations they overlap."""

from rfclassify.classify.labels import NOISE_LABEL, label_for, match_annotation

FS = 1e6


def ann(label, t0, t1, lo, hi, **extra):
    return {"core:label": label, "core:sample_start": int(t0 * FS), "core:sample_count": int((t1 - t0) * FS),
            "core:freq_lower_edge": lo, "core:freq_upper_edge": hi, **extra}


def test_detection_inside_annotation_takes_its_label():
    anns = [ann("elrs-900", 0.010, 0.015, 914.75e6, 915.25e6)]
    assert label_for(0.0101, 0.0149, 914.8e6, 915.2e6, anns, FS) == "elrs-900"


def test_detection_elsewhere_is_noise():
    anns = [ann("elrs-900", 0.010, 0.015, 914.75e6, 915.25e6)]
    assert label_for(0.0101, 0.0149, 916.0e6, 916.1e6, anns, FS) == NOISE_LABEL  # other frequency
    assert label_for(0.0300, 0.0350, 914.8e6, 915.2e6, anns, FS) == NOISE_LABEL  # other time


def test_detection_spanning_several_packets_of_one_link():
    # a detector that merges three 1 ms packets with 1 ms gaps: each covers 20 %, together 60 %
    anns = [ann("wifi", 0.001 + 0.002 * k, 0.002 + 0.002 * k, 2.412e9, 2.432e9, **{"rfclassify:emitter_id": "ap"})
            for k in range(3)]
    best = match_annotation(0.001, 0.006, 2.413e9, 2.431e9, anns, FS)
    assert best is not None and best["core:label"] == "wifi"


def test_best_covering_label_wins():
    anns = [ann("ook-ism", 0.0, 0.010, 914.9e6, 915.1e6), ann("lora-iot", 0.0, 0.002, 914.9e6, 915.1e6)]
    assert label_for(0.0, 0.010, 914.95e6, 915.05e6, anns, FS) == "ook-ism"


def test_a_speck_of_a_wide_emission_is_a_fragment() -> None:
    from rfclassify.classify.labels import is_fragment

    ofdm = {"core:label": "dji-ocusync", "core:freq_lower_edge": 2.4355e9, "core:freq_upper_edge": 2.4445e9}
    fc, fs = 2.44e9, 20e6
    assert is_fragment(2.440e9, 2.44008e9, ofdm, fc, fs)  # 80 kHz of a 9 MHz signal
    assert not is_fragment(2.436e9, 2.444e9, ofdm, fc, fs)  # the whole signal
    # Only what the window shows counts: a 2.4 MS/s receiver sees 2.4 MHz of it, 1 MHz is no speck.
    assert not is_fragment(2.4395e9, 2.4405e9, ofdm, 2.44e9, 2.4e6)
    assert not is_fragment(914.9e6, 915.1e6, {"core:label": "ook-ism"}, 915e6, 2.4e6)  # no edges: never


def test_an_emission_mostly_outside_the_window_is_a_sliver() -> None:
    from rfclassify.classify.labels import is_sliver, visible_fraction

    def band(lo: float, hi: float) -> dict:
        return {"core:label": "x", "core:freq_lower_edge": lo, "core:freq_upper_edge": hi}

    fc, fs = 2442.12e6, 2.4e6  # window 2440.92–2443.32 MHz
    wifi_outside = band(2423.171e6, 2440.984e6)  # channel centred 10 MHz below: 64 kHz of it inside
    assert visible_fraction(wifi_outside, fc, fs) < 0.03 and is_sliver(wifi_outside, fc, fs)
    # A channel wider than the window, centred in it, shows all the window can: not a sliver.
    assert visible_fraction(band(2433e6, 2451e6), fc, fs) == 1.0
    assert visible_fraction(band(2441.4e6, 2442.6e6), fc, fs) == 1.0  # Bluetooth inside
    edge = band(2443.09e6, 2444.29e6)  # 1.2 MHz channel, 0.23 MHz inside: the window's skirt
    assert is_sliver(edge, fc, fs)
    most = band(2442.7e6, 2443.7e6)  # 0.62 of it inside
    assert abs(visible_fraction(most, fc, fs) - 0.62) < 1e-6 and not is_sliver(most, fc, fs)
    assert visible_fraction({"core:label": "ook-ism"}, fc, fs) == 1.0  # no edges: never a sliver
    assert visible_fraction(band(2450e6, 2451e6), fc, fs) == 0.0
