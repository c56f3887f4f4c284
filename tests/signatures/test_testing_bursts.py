"""The signature tests' shared helpers (:mod:`rfclassify.testing.bursts`) do what they say."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.signatures import get
from rfclassify.signatures.base import Burst
from rfclassify.testing.bursts import emit, on_runs, timeline


def _burst(t_start_s: float, n: int, rate_hz: float = 10.0) -> Burst:
    return Burst(t_start_s, 915e6, np.ones(n, dtype=np.complex64), rate_hz, 914e6, 916e6)


def test_on_runs_finds_runs_in_seconds_and_bridges_short_gaps():
    x = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0.4, 0.6])
    assert on_runs(x, 2.0).tolist() == [[0.5, 1.5], [2.5, 3.0], [4.5, 5.5]]
    assert on_runs(x, 2.0, threshold=0.5).tolist() == [[0.5, 1.5], [2.5, 3.0], [5.0, 5.5]]
    # the 2-sample gap (1 s) is bridged by 1.5 s, the 3-sample one (1.5 s) is not
    assert on_runs(x, 2.0, bridge_s=1.5).tolist() == [[0.5, 3.0], [4.5, 5.5]]
    assert on_runs(np.zeros(4), 2.0, bridge_s=1.0).shape == (0, 2)


def test_timeline_cuts_at_the_end_unless_asked_to_keep_bursts_whole():
    bursts = [_burst(0.2, 3), _burst(0.8, 5)]
    x, rate_hz = timeline(bursts, 1.0)
    assert rate_hz == 10.0
    assert np.flatnonzero(x).tolist() == [2, 3, 4, 8, 9, 10]  # 11 samples: the second burst is cut
    whole, _ = timeline(bursts, 1.0, whole_bursts=True)
    assert np.flatnonzero(whole).tolist() == [2, 3, 4, 8, 9, 10, 11, 12] and len(whole) == 14
    with pytest.raises(AssertionError, match="different sample rates"):
        timeline([_burst(0.0, 2), _burst(0.5, 2, rate_hz=20.0)], 1.0)


def test_emit_takes_a_label_or_signature_and_a_band_name_or_band():
    sig = get("ook-ism")
    by_label = emit("ook-ism", 0.5, seed=3, encoding="pwm")
    assert by_label

    def content(bursts: list[Burst]) -> list[tuple[float, bytes]]:
        return [(b.t_start_s, b.samples.tobytes()) for b in bursts]

    for other in (emit(sig, 0.5, seed=3, encoding="pwm"),
                  emit(sig, 0.5, sig.bands[0], seed=3, encoding="pwm"),
                  emit("ook-ism", 0.5, sig.bands[0].name, seed=3, encoding="pwm")):
        assert content(other) == content(by_label)
    assert content(emit("ook-ism", 0.5, seed=4, encoding="pwm")) != content(by_label)
