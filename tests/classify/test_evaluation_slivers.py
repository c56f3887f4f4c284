"""Evaluation scores only what the receiver could observe: sliver detections are left out, and shown apart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from rfclassify.classify.evaluation import evaluate_features
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.training import RecordingFeatures, extract_recording
from rfclassify.synth.dataset import synthesize_dataset


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> RecordingFeatures:
    """Features of one synthesized ELRS-900 recording at high SNR (default model, fixed seed)."""
    out = tmp_path_factory.mktemp("slivers")
    synthesize_dataset(out, classes=["elrs-900"], per_class=1, snr_db_range=(20, 25), receivers="rtlsdr",
                       duration_s=0.3, seed=5, mixed=0, clutter_probability=0.0, progress=False)
    rec = extract_recording(next(Path(out).glob("*.sigmf-meta")))
    assert rec.observable is not None and rec.observable.dtype == bool and len(rec.observable) == len(rec.y)
    return rec


def test_sliver_detections_are_not_scored(recording: RecordingFeatures) -> None:
    clf = Classifier.load(None)
    link = np.flatnonzero(recording.y == "elrs-900")
    assert len(link) >= 3
    base = evaluate_features([dataclasses.replace(recording, observable=None)], clf)
    assert base["emitter_accuracy_snr_ge_10db"] == 1.0 and base["unobservable_bursts"] == 0
    # The same detections, truth moved to a label the model does not give them: a miss.
    y = recording.y.copy()
    y[link] = "wifi"
    missed = evaluate_features([dataclasses.replace(recording, y=y, observable=None)], clf)
    assert missed["emitter_accuracy_snr_ge_10db"] == 0.0
    # Marked as a sliver of that emission: neither the bursts nor the emitter are scored ...
    hidden = np.ones(len(y), dtype=bool)
    hidden[link] = False
    sliver = evaluate_features([dataclasses.replace(recording, y=y, observable=hidden)], clf)
    assert sliver["unobservable_bursts"] == len(link)
    assert sliver["bursts"] == base["bursts"] - len(link)
    assert sliver["emitter_accuracy_snr_ge_10db"] is None and sliver["emitters"] == 0
    # ... and the figure with slivers still shows the miss.
    assert sliver["emitter_accuracy_with_slivers_snr_ge_10db"] == 0.0
    assert sliver["emitters_with_slivers_snr_ge_10db"] == 1


def test_emitter_score_counts_refusals_as_the_tracker_groups_them() -> None:
    from rfclassify.classify.evaluation import _EmitterScore

    classes = ["bluetooth", "elrs-2g4", "noise"]
    p_bt = np.array([0.48, 0.45, 0.07])

    def score(*rows: tuple[str, str]) -> bool:
        s = _EmitterScore()
        for predicted, grouped in rows:
            s.add("bluetooth", 15.0, p_bt, predicted, grouped)
        return s.correct(classes)

    # One packet accepted, one refused at 0.48 leaning to Bluetooth: one Bluetooth emitter, as reported.
    assert score(("bluetooth", "bluetooth"), ("unknown", "bluetooth"))
    # Refusals alone are reported unknown: not a correct Bluetooth emitter.
    assert not score(("unknown", "bluetooth"), ("unknown", "bluetooth"))
    # Half refused with no class to join (far from every class): a miss, as before.
    assert not score(("bluetooth", "bluetooth"), ("unknown", "unknown"))
