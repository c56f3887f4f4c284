"""Classification of the emitters that direction finding found: the ``label_fn`` of :mod:`rfclassify.bearing`.

The bearing pipeline finds emitters on the channel-summed spectrogram of an
array recording and channelizes each one; this module names them. Channel 0
of the recording is classified once with the same streaming path as
``classify``; each emitter band takes the bursts whose centre falls inside
its band and whose time falls inside its spans, and their decisions are
aggregated as the tracker does (so the control uplink's bearing is reported
with ``label`` ``elrs-900``, ``link`` ``control``: the operator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.pipeline import Classifier, classify_bursts
from rfclassify.classify.tracking import BurstDecision, EmitterTracker, emitter_summary
from rfclassify.sources.base import Block

_FIELDS = ("label", "drone", "link", "confidence", "models")


def classify_channel(x: np.ndarray, rate_hz: float, center_hz: float, classifier: Classifier) -> list[BurstDecision]:
    """Burst decisions of one channel of samples (``(n,)``), noise detections left out."""
    step = 1 << 18
    blocks = (Block(x[i : i + step], rate_hz, center_hz, i) for i in range(0, len(x), step))
    return [d for _, d in classify_bursts(blocks, classifier) if d.label != NOISE_LABEL]


def make_label_fn(classifier: Classifier) -> Callable[[np.ndarray, float, float, Any], dict[str, Any]]:
    """A ``label_fn(samples, rate_hz, center_hz, emitter_band)`` for :func:`bearings_for_source`."""
    cache: dict[tuple[int, int, float, float], list[BurstDecision]] = {}

    def label_fn(samples: np.ndarray, rate_hz: float, center_hz: float, band: Any) -> dict[str, Any]:
        channel0 = samples if samples.ndim == 1 else samples[:, 0]
        key = (id(samples), len(samples), rate_hz, center_hz)
        if key not in cache:
            cache.clear()
            cache[key] = classify_channel(np.ascontiguousarray(channel0), rate_hz, center_hz, classifier)
        decisions = [
            d for d in cache[key]
            if band.f_lo_hz <= d.freq_hz <= band.f_hi_hz
            and any(s - 1e-3 <= d.t_start_s <= e + 1e-3 for s, e in band.spans_s)
        ]
        if not decisions:
            return {}
        tracker = EmitterTracker(classifier.classes, gap_s=float("inf"))
        counts: dict[str, int] = {}
        for d in decisions:
            counts[d.label] = counts.get(d.label, 0) + 1
        majority = max(counts, key=lambda k: counts[k])
        for d in decisions:
            if d.label == majority:
                tracker.add(d)
        emitters = tracker.close_all()
        summary = emitter_summary(tracker, emitters[0], "")
        return {k: summary[k] for k in _FIELDS}

    return label_fn
