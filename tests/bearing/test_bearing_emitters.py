"""One emitter's band and bearing (bearing.emitters) and finding emitters with the project detector
(classify.bearings.find_emitters) on the channel-summed spectrogram."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import rfclassify
from rfclassify.bearing.emitters import EmitterBand, emitter_doa, split_band, summed_power
from rfclassify.classify.bearings import find_emitters, window_floor
from rfclassify.dsp.noise import bin_medians
from rfclassify.dsp.spectrogram import power_spectrogram
from rfclassify.testing.array_scene import CENTER_HZ, RATE_HZ, UCA, array_scene


def _noise(rng: np.random.Generator, n: int, channels: int) -> np.ndarray:
    return ((rng.standard_normal((n, channels)) + 1j * rng.standard_normal((n, channels))) / np.sqrt(2)).astype(
        np.complex64
    )


def test_bearing_imports_no_sources_detection_or_classification() -> None:
    """bearing/ is array maths: reading recordings, detecting and classifying are joined in classify/bearings.py."""
    root = Path(rfclassify.__file__).parent / "bearing"
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[:2] in (["rfclassify", p] for p in ("sources", "detect", "classify", "node", "cli")):
                    found.append(f"{path.name}: {name}")
    assert found == []


def test_summed_power_adds_every_channel_and_refuses_other_shapes() -> None:
    x = _noise(np.random.default_rng(0), 4096, 3)
    total = summed_power(x, 256)
    parts = [power_spectrogram(np.ascontiguousarray(x[:, ch]), 256) for ch in range(3)]
    np.testing.assert_allclose(total, parts[0] + parts[1] + parts[2], rtol=1e-5)
    np.testing.assert_allclose(summed_power(x[:, 1], 256), parts[1], rtol=1e-6)
    with pytest.raises(ValueError, match="shape"):
        summed_power(np.zeros((10, 2, 2), dtype=np.complex64), 256)


def test_emitter_doa_refuses_samples_that_do_not_match_the_array() -> None:
    band = EmitterBand(((0.0, 0.001),), CENTER_HZ - 1e5, CENTER_HZ + 1e5, 10.0)
    with pytest.raises(ValueError, match=r"\(n, 5\)"):
        emitter_doa(np.zeros((4800, 4), dtype=np.complex64), RATE_HZ, CENTER_HZ, band, UCA)
    with pytest.raises(ValueError, match=r"\(n, 5\)"):
        emitter_doa(np.zeros(4800, dtype=np.complex64), RATE_HZ, CENTER_HZ, band, UCA)


def test_split_band_cuts_only_at_real_gaps() -> None:
    rng = np.random.default_rng(1)
    excess = 0.05 * rng.standard_normal((40, 60))
    excess[:, 5:25] += 8.0
    excess[:, 35:55] += 6.0  # weaker, but above half the in-band level
    low, high = split_band(excess)
    # cut inside the gap (bins 25-34, give or take the 3-bin smoothing); the box's outer edges stay
    assert low.start == 0 and 24 <= low.stop <= 26
    assert 34 <= high.start <= 36 and high.stop == 60
    one = 0.05 * rng.standard_normal((40, 60))
    one[:, 10:50] += 5.0
    assert split_band(one) == [slice(0, 60)]  # one emitter: its whole box
    assert split_band(np.full((10, 20), -0.2)) == []
    with pytest.raises(ValueError, match="frames, bins"):
        split_band(np.zeros(5))


def test_window_floor_is_the_noise_of_summed_channels() -> None:
    """Five channels summed: a noise cell is Gamma(5), whose median is not ln 2 × its mean."""
    x = _noise(np.random.default_rng(2), 256 * 400, 5)
    power = summed_power(x, 256)
    truth = float(np.mean(power[:, 20:-20]))
    floor = window_floor(power, RATE_HZ, channels=5)
    assert abs(10 * np.log10(float(np.median(floor[20:-20])) / truth)) < 0.2
    exponential = float(np.median(bin_medians(power)[20:-20]))
    assert 10 * np.log10(exponential / truth) > 1.0  # what the one-channel rule would have said


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_adjacent_links_transmitting_at_once_are_both_found(seed: int) -> None:
    """Two ELRS-like links 600 kHz apart whose packets overlap: the detector reports the stronger of each
    overlapping packet pair; the successive passes find the other one too."""
    rng = np.random.default_rng(100 + seed)
    n = int(0.03 * RATE_HZ)
    offsets = (-300e3, 300e3)
    x = array_scene(zip(offsets, (40.0, 250.0)), n, 5.0, rng)
    found = find_emitters(x, RATE_HZ, CENTER_HZ)
    for off in offsets:
        near = [e for e in found if abs(e.freq_hz - (CENTER_HZ + off)) < 125e3]
        assert len(near) == 1, (off, found)
        assert near[0].bandwidth_hz == pytest.approx(500e3, rel=0.2)
    assert len(found) == 2
