"""Emitter tracking: grouping, accumulated confidence, and the drone-confirmation rule."""

from __future__ import annotations

import numpy as np

from rfclassify.classify.tracking import (
    DRONE_MIN_LOG_ODDS,
    DRONE_MIN_MEAN_CONFIDENCE,
    DRONE_MIN_PACKETS,
    DRONE_MIN_SIGNAL_S,
    FREQ_UNKNOWN_EVIDENCE_FACTOR,
    LOG_ODDS_CLIP,
    WHOLE_PACKET_FRACTION,
    BurstDecision,
    EmitterTracker,
    emitter_summary,
    shortest_packet_s,
)

CLASSES = ["elrs-900", "noise", "ook-ism"]


def burst(t: float, label: str, p: float, freq: float = 915e6, dur: float = 0.004) -> BurstDecision:
    proba = np.full(len(CLASSES), (1 - p) / (len(CLASSES) - 1))
    proba[CLASSES.index(label)] = p
    return BurstDecision(t, t + dur, freq - 250e3, freq + 250e3, 12.0, label, p, proba, center_freq_hz=915e6,
                         candidate=label)


def test_hops_of_one_link_are_one_emitter_with_growing_confidence():
    tracker = EmitterTracker(CLASSES)
    confidences = []
    for k in range(10):
        emitter, is_new = tracker.add(burst(0.005 * k, "elrs-900", 0.75, 904e6 + 600e3 * (k % 5)))
        assert is_new == (k == 0)
        confidences.append(tracker.confidence(emitter))
    assert confidences[0] < confidences[-1] and confidences[-1] > 0.99
    (em,) = tracker.close_all()
    rec = emitter_summary(tracker, em, "x")
    assert rec["label"] == "elrs-900" and rec["drone"] and rec["bursts"] == 10 and rec["channels"] == 5


def test_a_carrier_on_a_raster_boundary_is_one_channel():
    # An OOK sensor at 433.875 MHz whose pulse centres are measured a few kHz either side:
    # one channel, however the estimates fall; a carrier 200 kHz away is another.
    tracker = EmitterTracker(CLASSES)
    for k, df in enumerate([-4e3, 5e3, -6e3, 3e3, 200e3, 196e3]):
        tracker.add(burst(0.01 * k, "ook-ism", 0.9, 433.875e6 + df))
    (em,) = tracker.close_all()
    assert emitter_summary(tracker, em, "x")["channels"] == 2


def test_a_silent_gap_starts_a_new_emitter():
    tracker = EmitterTracker(CLASSES, gap_s=1.0)
    tracker.add(burst(0.0, "ook-ism", 0.9))
    _, is_new = tracker.add(burst(5.0, "ook-ism", 0.9))
    assert is_new and len(tracker.close_all()) == 2


def test_an_unconfirmed_drone_guess_is_reported_unknown():
    tracker = EmitterTracker(CLASSES)
    for k in range(DRONE_MIN_PACKETS - 1):
        tracker.add(burst(0.01 * k, "elrs-900", 0.99))
    (em,) = tracker.close_all()
    rec = emitter_summary(tracker, em, "x")
    assert rec["label"] == "unknown" and rec["drone"] is False
    assert rec["candidate"] == "elrs-900" and rec["reason"] == "too_little_evidence"
    # never "unknown" with another class's confidence: it is that of not being the candidate
    assert rec["candidate_confidence"] > 0.99 and rec["confidence"] == round(1 - rec["candidate_confidence"], 4)
    assert rec["reason_detail"].startswith("2 bursts, 8 ms of signal, 2 whole packets")


def test_many_weak_drone_guesses_do_not_add_up_to_a_drone():
    # Specks of one weak Wi-Fi packet, each called a drone link at 0.6: the accumulated posterior
    # says "certain", but bursts whose errors are not independent are no evidence; the mean says no.
    tracker = EmitterTracker(CLASSES)
    for k in range(200):
        tracker.add(burst(0.001 * k, "elrs-900", 0.6))
    (em,) = tracker.close_all()
    assert tracker.confidence(em) > 0.99 and em.log_odds > DRONE_MIN_LOG_ODDS
    rec = emitter_summary(tracker, em, "x")
    assert rec["label"] == "unknown" and rec["candidate"] == "elrs-900"
    assert DRONE_MIN_MEAN_CONFIDENCE > 0.6


def test_non_drone_labels_need_no_confirmation():
    tracker = EmitterTracker(CLASSES)
    tracker.add(burst(0.0, "ook-ism", 0.95))
    (em,) = tracker.close_all()
    assert emitter_summary(tracker, em, "x")["label"] == "ook-ism"


def test_bounded_emitter_keeps_totals_over_every_burst():
    bounded, full = EmitterTracker(CLASSES, max_bursts=10), EmitterTracker(CLASSES)
    for k in range(500):
        b = burst(0.005 * k, "elrs-900", 0.75 + 0.2 * (k % 2), 904e6 + 600e3 * (k % 7))
        bounded.add(b)
        full.add(b)
    (eb,), (ef,) = bounded.close_all(), full.close_all()
    assert len(eb.bursts) <= 20 and len(ef.bursts) == 500  # memory bounded
    rb, rf = emitter_summary(bounded, eb, "x"), emitter_summary(full, ef, "x")
    for key in ("bursts", "channels", "t_start_s", "t_end_s", "confidence", "label"):
        assert rb[key] == rf[key], key
    assert rb["bursts"] == 500 and rb["channels"] == 7


def test_blips_shorter_than_the_links_packets_are_no_drone():
    # Twelve confident 0.2 ms "elrs-900" blips (an OOK remote's start-up clicks, as in a real
    # rtl_433 recording): ExpressLRS 900 never sends a packet under 4.4 ms, so no drone; the same
    # bursts as whole packets are one.
    assert shortest_packet_s("elrs-900") == 0.004384  # 200 Hz mode, SF6 (ExpressLRS common.cpp)
    assert shortest_packet_s("ook-ism") == 0.0
    for dur, drone in ((0.0002, False), (WHOLE_PACKET_FRACTION * 0.004384 + 1e-4, True)):
        tracker = EmitterTracker(CLASSES)
        for k in range(12):
            tracker.add(burst(0.005 * k, "elrs-900", 0.9, dur=dur))
        (em,) = tracker.close_all()
        rec = emitter_summary(tracker, em, "x")
        assert rec["drone"] is drone and rec["label"] == ("elrs-900" if drone else "unknown")


def refused(t: float, leaning: str, p: float, reason: str = "low_confidence", freq: float = 915e6) -> BurstDecision:
    """A burst the open-set rule refused (``unknown``) whose best class is ``leaning`` at ``p``."""
    b = burst(t, leaning, p, freq)
    b.label, b.reason = "unknown", reason
    return b


def test_a_low_confidence_refusal_joins_the_emitter_of_the_class_it_leans_to() -> None:
    # Two packets of an OOK link, one accepted at 0.9 and one refused at 0.45: one emitter, in either order.
    for order in ((0, 1), (1, 0)):
        tracker = EmitterTracker(CLASSES)
        pair = (burst(0.0, "ook-ism", 0.9), refused(0.01, "ook-ism", 0.45))
        for i in order:
            tracker.add(pair[i])
        (em,) = tracker.close_all()
        rec = emitter_summary(tracker, em, "x")
        assert rec["label"] == "ook-ism" and rec["bursts"] == 2 and em.n_accepted == 1


def test_refusals_alone_stay_unknown_and_far_ones_are_never_grouped() -> None:
    tracker = EmitterTracker(CLASSES)
    for k in range(5):
        tracker.add(refused(0.01 * k, "ook-ism", 0.45))
    tracker.add(refused(0.2, "ook-ism", 0.45, reason="out_of_distribution", freq=916e6))
    tracker.add(refused(0.3, "noise", 0.45, freq=917e6))  # leaning to noise: no class to join
    recs = [emitter_summary(tracker, em, "x") for em in tracker.close_all()]
    assert [r["label"] for r in recs] == ["unknown"] * 3
    assert recs[0]["candidate"] == "ook-ism" and recs[0]["bursts"] == 5


def test_grouped_refusals_neither_make_nor_break_a_drone_claim() -> None:
    confirmed = EmitterTracker(CLASSES)
    for k in range(DRONE_MIN_PACKETS):
        confirmed.add(burst(0.01 * k, "elrs-900", 0.95, dur=0.005))
    for k in range(20):  # many weak ones leaning to the same link
        confirmed.add(refused(0.1 + 0.01 * k, "elrs-900", 0.4))
    (em,) = confirmed.close_all()
    assert em.n_total == DRONE_MIN_PACKETS + 20
    assert emitter_summary(confirmed, em, "x")["label"] == "elrs-900"
    short = EmitterTracker(CLASSES)
    for k in range(DRONE_MIN_PACKETS - 1):
        short.add(burst(0.01 * k, "elrs-900", 0.95, dur=0.005))
    for k in range(20):
        short.add(refused(0.1 + 0.01 * k, "elrs-900", 0.45))
    (em,) = short.close_all()
    rec = emitter_summary(short, em, "x")
    assert rec["label"] == "unknown" and rec["candidate"] == "elrs-900"


VIDEO_CLASSES = ["analog-video", "noise", "wifi"]


def video(t: float, dur: float, p: float = 0.92, center: float = 5800e6) -> BurstDecision:
    proba = np.array([p, (1 - p) / 2, (1 - p) / 2])
    return BurstDecision(t, t + dur, 5790e6, 5810e6, 10.0, "analog-video", p, proba, center_freq_hz=center,
                         candidate="analog-video")


def test_a_continuous_link_is_claimed_on_signal_time_not_segment_count() -> None:
    # One or two long confident emissions of a video link: claimed once DRONE_MIN_SIGNAL_S is on air.
    for durations, claimed in (((0.25, 0.24), True), ((0.35,), True), ((0.1, 0.1), False)):
        tracker = EmitterTracker(VIDEO_CLASSES)
        t = 0.0
        for d in durations:
            tracker.add(video(t, d))
            t += d + 0.001
        (em,) = tracker.close_all()
        rec = emitter_summary(tracker, em, "x")
        assert rec["drone"] is claimed, durations
        assert claimed is (sum(durations) >= DRONE_MIN_SIGNAL_S)
        if not claimed:
            assert rec["label"] == "unknown" and rec["reason"] == "too_little_evidence"
            assert rec["reason_detail"].endswith("(a claim needs 3 whole packets or 300 ms of signal and log-odds 4.6)")


def test_signal_time_is_no_evidence_for_a_bursty_control_link() -> None:
    # A 0.4 s emission called elrs-900 is one (odd) packet, not 0.4 s of a control link.
    tracker = EmitterTracker(CLASSES)
    tracker.add(burst(0.0, "elrs-900", 0.95, dur=0.4))
    (em,) = tracker.close_all()
    rec = emitter_summary(tracker, em, "x")
    assert rec["label"] == "unknown" and rec["reason"] == "too_little_evidence"
    assert rec["reason_detail"] == ("1 burst, 400 ms of signal, 1 whole packet, log-odds 2.9 "
                                    "(a claim needs 3 whole packets and log-odds 4.6)")


def test_at_an_unknown_tuning_a_claim_needs_more_evidence() -> None:
    for center, needed in ((5800e6, DRONE_MIN_SIGNAL_S), (0.0, FREQ_UNKNOWN_EVIDENCE_FACTOR * DRONE_MIN_SIGNAL_S)):
        for total, claimed in ((needed - 0.02, False), (needed + 0.02, True)):
            tracker = EmitterTracker(VIDEO_CLASSES)
            tracker.add(video(0.0, total, center=center))
            (em,) = tracker.close_all()
            rec = emitter_summary(tracker, em, "x")
            assert rec["drone"] is claimed, (center, total)
            assert rec["freq_known"] is (center > 0)


def test_out_of_band_mass_makes_an_emitter_unknown_not_the_least_unlikely_class() -> None:
    # Probabilities of out-of-band classes were set to 0 by the decision: what is left (noise at
    # 0.03) is not renormalised into certainty; the emitter is unknown with confidence ~0.97.
    tracker = EmitterTracker(VIDEO_CLASSES)
    for k in range(5):
        proba = np.array([0.0, 0.03, 0.0])
        b = BurstDecision(0.01 * k, 0.01 * k + 0.005, 1810e6, 1820e6, 20.0, "unknown", 0.03, proba,
                          reason="out_of_band", center_freq_hz=1815e6, candidate="noise")
        tracker.add(b)
    (em,) = tracker.close_all()
    rec = emitter_summary(tracker, em, "x")
    assert rec["label"] == "unknown" and rec["reason"] == "out_of_band"
    assert rec["candidate"] == "noise" and rec["candidate_confidence"] < 0.01 and rec["confidence"] > 0.99


def test_numpy_times_from_an_evaluation_give_plain_counts_and_a_reason() -> None:
    # Evaluation feeds numpy scalars (feature-table columns): counts stay ints and the detail renders.
    tracker = EmitterTracker(CLASSES)
    t0 = np.float64(0.0)
    tracker.add(burst(t0, "elrs-900", 0.95, dur=np.float64(0.005)))
    (em,) = tracker.close_all()
    assert type(em.n_packets) is int and type(em.signal_s) is float
    assert emitter_summary(tracker, em, "x")["reason_detail"].startswith("1 burst, 5 ms of signal, 1 whole packet, ")


def test_a_single_confident_burst_is_never_a_drone() -> None:
    # However confident, one burst adds at most LOG_ODDS_CLIP: below the claim's need.
    assert LOG_ODDS_CLIP < DRONE_MIN_LOG_ODDS
    for b in (burst(0.0, "elrs-900", 0.9999, dur=0.005), video(0.0, 0.09, p=0.9999)):
        tracker = EmitterTracker(VIDEO_CLASSES if b.label == "analog-video" else CLASSES)
        tracker.add(b)
        (em,) = tracker.close_all()
        rec = emitter_summary(tracker, em, "x")
        assert rec["label"] == "unknown" and rec["reason"] == "too_little_evidence"


def test_weaker_bursts_need_more_of_them() -> None:
    # Whole packets at 0.6 against 0.2 (log-odds 1.1 each): three are not enough, five are.
    for n, claimed in ((3, False), (4, False), (5, True)):
        tracker = EmitterTracker(CLASSES)
        for k in range(n):
            b = burst(0.01 * k, "elrs-900", 0.6, dur=0.005)
            b.confidence = 0.75  # the mean-confidence need is not what is tested here
            tracker.add(b)
        (em,) = tracker.close_all()
        assert abs(em.log_odds - n * np.log(3.0)) < 1e-6
        assert emitter_summary(tracker, em, "x")["drone"] is claimed, n


def test_a_link_whose_channel_is_mostly_called_something_else_is_no_drone() -> None:
    # A sensor whose packets are called elrs-900 once in three (the others ook-ism) on the same
    # channel: confident packets, but the track disagrees with itself.
    tracker = EmitterTracker(CLASSES)
    for k in range(12):
        tracker.add(burst(0.01 * k, "elrs-900" if k % 3 == 0 else "ook-ism", 0.95, dur=0.005))
    drone = next(em for em in tracker.close_all() if em.label == "elrs-900")
    assert drone.n_packets == 4 and drone.log_odds > DRONE_MIN_LOG_ODDS
    rec = emitter_summary(tracker, drone, "x")
    assert rec["label"] == "unknown" and rec["reason"] == "inconsistent" and rec["candidate"] == "elrs-900"
    assert rec["reason_detail"] == "4 of 12 bursts on its channels (a claim needs 50%)"


def test_at_an_unknown_tuning_a_claim_needs_more_log_odds() -> None:
    # Six whole packets at 0.95 are log-odds 17.7 and enough anywhere; three (8.8) only where the
    # tuning is known (the need doubles to 9.2).
    for n, center, claimed in ((3, 915e6, True), (3, 0.0, False), (6, 0.0, True)):
        tracker = EmitterTracker(CLASSES)
        for k in range(n):
            b = burst(0.01 * k, "elrs-900", 0.95, dur=0.005)
            b.center_freq_hz = center
            tracker.add(b)
        (em,) = tracker.close_all()
        assert emitter_summary(tracker, em, "x")["drone"] is claimed, (n, center)
