"""Frequency is evidence, and a drone claim weighs what was observed (issue 16, items 1 and 4).

Drone links synthesized in their own band are classified by the shipped model twice: with the
receiver's true tuning, and declared (as a recording's metadata would say) at frequencies where
the link is never used — an LTE downlink at 1815 MHz, a TDD carrier at 2360 MHz, LTE 800 at
796 MHz. Out of band they must never become a confirmed drone, nor be called ``dji-ocusync`` or
``wifi``; in band, a continuous video link of 0.5 s at 10 dB is confirmed, while one short
confident control packet is not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from rfclassify.classify.bearings import classify_channel
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.recordings import burst_record
from rfclassify.classify.tracking import EmitterTracker, emitter_summary
from rfclassify.signatures import EmitRequest, get
from rfclassify.synth import EmitterSpec, Scene, render, wideband

RATE_HZ = 20e6
DURATION_S = 0.5
SNR_DB = 10.0
WRONG_TUNINGS_HZ = (1815e6, 2360e6, 796e6)


@functools.cache
def observed(label: str, band: str, params: tuple[tuple[str, str], ...], seed: int, duration_s: float = DURATION_S,
             center_hz: float | None = None) -> tuple[np.ndarray, float, list[dict]]:
    """A 20 MS/s HackRF-like recording of one emitter at ``SNR_DB``, tuned 2 MHz beside its channel."""
    sig = get(label)
    params = dict(params)
    if center_hz is None:
        first = sig.emit(EmitRequest(np.random.default_rng(seed), duration_s, sig.band(band), None, params))[0]
        center_hz = first.rf_hz + 2e6
    scene = Scene([EmitterSpec(label, SNR_DB, band=band, params=params, seed=seed)], wideband(center_hz, RATE_HZ),
                  duration_s)
    rendered = render(scene, np.random.default_rng(seed), keep_components=False)
    return rendered.samples, center_hz, rendered.annotations


def emitters(x: np.ndarray, declared_hz: float, classifier: Classifier) -> tuple[list[dict], list]:
    """Emitter records and burst decisions of ``x`` read as tuned to ``declared_hz``."""
    decisions = classify_channel(x, RATE_HZ, declared_hz, classifier)
    tracker = EmitterTracker(classifier.classes)
    for d in decisions:
        tracker.add(d)
    return [emitter_summary(tracker, e, "") for e in tracker.close_all()], decisions


LINKS = {
    "dji-ocusync": ("2.4G", (("mode", "video"),), 8),
    "analog-video": ("5.8G", (), 8),
    "elrs-900": ("FCC915", (), 8),
}


@pytest.fixture(scope="module")
def link_at(classifier: Classifier) -> Callable[[str, float | None], tuple[list[dict], list]]:
    """``link_at(label, declared_hz)``: ``emitters`` of the recording of ``LINKS[label]`` declared at
    ``declared_hz`` (None: its true tuning), classified once per module."""

    @functools.cache
    def at(label: str, declared_hz: float | None) -> tuple[list[dict], list]:
        band, params, seed = LINKS[label]
        x, true_hz, _ = observed(label, band, params, seed, center_hz=915e6 if label == "elrs-900" else None)
        return emitters(x, true_hz if declared_hz is None else declared_hz, classifier)

    return at


@pytest.mark.parametrize("label", list(LINKS))
def test_a_drone_link_declared_where_it_is_never_used_is_no_drone(label, link_at):
    for declared in WRONG_TUNINGS_HZ:
        records, decisions = link_at(label, declared)
        assert records, f"{label} at {declared / 1e6} MHz: nothing detected"
        assert not any(r["drone"] for r in records), (label, declared, records)
        burst_labels = {d.label for d in decisions}
        assert not burst_labels & {"dji-ocusync", "wifi", label}, (label, declared, burst_labels)
        refused = [burst_record("", d) for d in decisions if d.reason == "out_of_band"]
        assert refused, f"{label} at {declared / 1e6} MHz: no burst refused as out of band"
        for r in refused:  # the confidence of an unknown is that it is not its (in-band) candidate
            assert r["label"] == "unknown" and r["candidate"] not in ("dji-ocusync", "wifi", label)
            assert r["confidence"] == pytest.approx(1 - r["candidate_confidence"], abs=1e-4)
            assert r["freq_known"] is True
        for r in records:
            assert r["label"] == "unknown" or r["label"] not in ("dji-ocusync", "wifi", label)
    # the same samples at the true tuning: the link is claimed
    records, _ = link_at(label, None)
    assert label in {r["label"] for r in records if r["drone"]}, records


@pytest.mark.parametrize("label", ["dji-ocusync", "analog-video"])
def test_a_continuous_video_link_observed_for_half_a_second_is_claimed(label, link_at):
    # 0.5 s of video is one or two long detections: claimed on its signal time, not a segment count.
    records, _ = link_at(label, None)
    (claimed,) = [r for r in records if r["drone"]]
    assert claimed["label"] == label and claimed["reason"] == "ok" and claimed["freq_known"] is True
    assert claimed["t_end_s"] - claimed["t_start_s"] > 0.3


def test_one_short_confident_control_packet_is_no_drone(classifier):
    # One 50 Hz ExpressLRS packet (SF8, ~18 ms on air) cut out of a stream: called elrs-900 with
    # confidence, but one packet is not an observation of a link.
    x, center, annotations = observed("elrs-900", "FCC915", (("mode", "50Hz"),), 8, center_hz=915e6)
    ann = next(a for a in annotations if a["core:sample_start"] > RATE_HZ * 0.01)
    a, n = ann["core:sample_start"], ann["core:sample_count"]
    pad = int(0.001 * RATE_HZ)
    records, decisions = emitters(x[a - pad: a + n + pad], center, classifier)
    assert any(d.label == "elrs-900" and d.confidence > 0.8 for d in decisions), decisions
    (link,) = [r for r in records if r.get("candidate") == "elrs-900" or r["label"] == "elrs-900"]
    assert link["label"] == "unknown" and not link["drone"]
    assert link["reason"] == "too_little_evidence" and link["reason_detail"].startswith("1 burst")
    assert link["candidate_confidence"] > 0.8 and link["confidence"] < 0.2


def test_at_an_unknown_tuning_records_say_so_and_a_claim_needs_more(classifier):
    # Baseband (tuning 0): no band can rule a class out, so records say freq_known false and a
    # control link needs twice the packets.
    x, _, _ = observed("elrs-900", "FCC915", (("mode", "50Hz"),), 8, duration_s=0.1, center_hz=915e6)
    records, decisions = emitters(x, 0.0, classifier)
    assert decisions and all(not d.freq_known for d in decisions)
    assert records and all(r["freq_known"] is False for r in records)
    link = [r for r in records if "elrs-900" in (r["label"], r.get("candidate"))]
    assert link and not any(r["drone"] for r in link)
    assert "at an unknown frequency needs 6 whole packets" in link[0]["reason_detail"]
    assert all(burst_record("", d)["freq_known"] is False for d in decisions)
