"""Evaluation of a model on labelled recordings it was not trained on.

Reports, written to a folder: ``metrics.json`` (burst-level accuracy and
macro-F1, per-class precision/recall/F1, the confusion matrix, accuracy per
SNR bin, emitter-level accuracy per SNR bin, and false drone detections per
hour of recordings whose ground truth holds no drone), ``confusion.png`` and
``snr.png``.

Emitter level: the bursts matched to one ground-truth emitter (its
``rfclassify:emitter_id``) are aggregated as the tracker would (mean
log-probability, evidence-capped) and the emitter counts as correct when
the aggregate names its label, at least one burst was called it, and fewer
than half its bursts were refused as ``unknown`` with no class to be grouped
under (a burst refused for low confidence counts for the class it leans to,
as the tracker groups it). Detections of an emission the receiver's window shows only a
sliver of (``RecordingFeatures.observable``; see
:func:`rfclassify.classify.labels.is_sliver`) are not scored, neither per
burst nor per emitter; ``emitter_accuracy_with_slivers_snr_ge_10db`` gives
the figure with them, for comparison. False drone detections are counted by running the full
tracker over each drone-free recording and counting emitters reported as
drones. The drone detection probability is the share of ground-truth drone
emitters with enough signal for a claim (at least ``DRONE_MIN_PACKETS``
detections, or for a continuous link ``DRONE_MIN_SIGNAL_S`` of detected
signal) that the tracker confirms under their own label (the other side of
the false-alarm trade-off); an emitter confirmed as a drone whose bursts
belong to no true emitter of that label counts as a wrong drone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.tracking import log_evidence
from rfclassify.classify.training import RecordingFeatures
from rfclassify.signatures import REGISTRY, UNKNOWN

SNR_BINS_DB: tuple[float, ...] = (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 40.0)


def _snr_bin(snr_db: float) -> str | None:
    """Name of the SNR bin holding ``snr_db`` (``"+5..+10"``), or ``None`` outside every bin."""
    if not np.isfinite(snr_db):
        return None
    for lo, hi in pairwise(SNR_BINS_DB):
        if lo <= snr_db < hi:
            return f"{lo:+.0f}..{hi:+.0f}"
    return None


def snr_bin_edges(name: str) -> tuple[float, float]:
    """Lower and upper edge in dB of an SNR bin named by :func:`_snr_bin`."""
    lo, _, hi = name.partition("..")
    return float(lo), float(hi)


def _by_snr(bins: dict[str, list[bool]]) -> dict[str, float]:
    """Mean of each bin, bins in increasing SNR (not in the text order of their names)."""
    return {b: round(float(np.mean(bins[b])), 4) for b in sorted(bins, key=snr_bin_edges)}


#: Most false or wrong drone emitters listed by name in the metrics.
MAX_EXAMPLES = 20


def _drone_example(rec: RecordingFeatures, emitter: Any, truths: list[str]) -> dict[str, Any]:
    """A confirmed drone emitter for the report: recording, label, bursts, start and the commonest true label."""
    return {"recording": Path(rec.path).name, "label": emitter.label, "bursts": len(emitter.bursts),
            "t_start_s": round(float(emitter.t_start_s), 4), "truth": max(set(truths), key=truths.count)}


@dataclass
class _EmitterScore:
    """One ground-truth emitter's detections, aggregated as the tracker would (see the module docstring)."""

    truth: str = ""
    snr_db: float = float("nan")
    n: int = 0
    unknown: int = 0  # refused and grouped under no class (far from every class, or leaning to noise)
    accepted: int = 0  # called the true label
    log_proba: Any = 0.0
    signal_s: float = 0.0  # summed duration of the detections (s)

    def add(self, truth: str, snr_db: float, proba: np.ndarray, predicted: str, grouped: str,
            duration_s: float = 0.0) -> None:
        self.truth, self.snr_db = truth, snr_db
        self.n += 1
        self.signal_s += duration_s
        self.unknown += int(grouped == UNKNOWN)
        self.accepted += int(predicted == truth)
        self.log_proba = self.log_proba + log_evidence(proba)

    def called(self, classes: Sequence[str]) -> str:
        """The label the aggregated evidence names."""
        return classes[int(np.argmax(self.log_proba))]

    def correct(self, classes: Sequence[str]) -> bool:
        """The aggregate names the true label, at least one detection was called it, and fewer than half
        were refused without a class to group them under (as the tracker reports, see
        :func:`rfclassify.classify.tracking.grouping_label`)."""
        return (self.called(classes) == self.truth and self.accepted > 0
                and self.unknown * 2 < self.n)


def evaluate_features(recs: Sequence[RecordingFeatures], classifier: Any) -> dict[str, Any]:
    """All metrics for precomputed recording features and a loaded :class:`Classifier`."""
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    from rfclassify.classify.tracking import (
        DRONE_MIN_PACKETS,
        DRONE_MIN_SIGNAL_S,
        BurstDecision,
        EmitterTracker,
        grouping_label,
        verdict,
    )

    clf = classifier.model.named_steps["clf"]
    select = classifier.model.named_steps["select"]
    classes = [str(c) for c in clf.classes_]
    all_true: list[str] = []
    all_pred: list[str] = []
    all_snr: list[float] = []
    scored_emitters: dict[tuple[str, str], _EmitterScore] = defaultdict(_EmitterScore)
    all_emitters: dict[tuple[str, str], _EmitterScore] = defaultdict(_EmitterScore)  # slivers included
    unobservable = 0
    drone_free_hours = 0.0
    false_drone_emitters = 0
    false_drone_examples: list[dict[str, Any]] = []
    confirmed_drones: set[tuple[str, str]] = set()
    wrong_drone_emitters = 0
    wrong_drone_examples: list[dict[str, Any]] = []
    for rec in recs:
        n = len(rec.y)
        if n:
            rf_hz = np.where(np.asarray(rec.center_freq_hz) > 0, 0.5 * (rec.f_lo_hz + rec.f_hi_hz), np.nan)
            decision = clf.predict_open(select.transform(rec.X), rf_hz, rec.f_hi_hz - rec.f_lo_hz)
            pred = decision.labels.astype(str)
            scored = np.ones(n, dtype=bool) if rec.observable is None else np.asarray(rec.observable, dtype=bool)
            unobservable += int(n - scored.sum())
            all_true += list(rec.y[scored].astype(str))
            all_pred += list(pred[scored])
            all_snr += list(rec.truth_snr_db[scored])
            for k in range(n):
                if rec.y[k] == NOISE_LABEL or not rec.emitter[k]:
                    continue
                key = (rec.path, str(rec.emitter[k]))
                grouped = grouping_label(pred[k], str(decision.reasons[k]), decision.proba[k], classes)
                row = (str(rec.y[k]), float(rec.truth_snr_db[k]), decision.proba[k], pred[k], grouped,
                       float(rec.t_end_s[k] - rec.t_start_s[k]))
                all_emitters[key].add(*row)
                if scored[k]:
                    scored_emitters[key].add(*row)
        else:
            decision = None
        if not rec.has_drone:
            drone_free_hours += rec.duration_s / 3600.0
        if decision is None:
            continue
        # The full tracker and drone-confirmation rule, as `classify` reports: false drones on
        # drone-free recordings, and which true drone emitters get confirmed under their own label.
        tracker = EmitterTracker(classes)
        row_of: dict[int, int] = {}
        for k in np.argsort(rec.t_start_s):
            if decision.labels[k] == NOISE_LABEL:
                continue
            burst = BurstDecision(rec.t_start_s[k], rec.t_end_s[k], rec.f_lo_hz[k], rec.f_hi_hz[k],
                                  rec.snr_db[k], str(decision.labels[k]), float(decision.confidence[k]),
                                  decision.proba[k], str(decision.reasons[k]), rec.center_freq_hz[k],
                                  str(decision.closed_labels[k]))
            row_of[id(burst)] = int(k)
            tracker.add(burst)
        for em in tracker.close_all():
            label = verdict(tracker, em).label
            sig = REGISTRY.get(label)
            if sig is None or not sig.drone:
                continue
            rows = [row_of[id(b)] for b in em.bursts]
            truths = [str(rec.y[k]) for k in rows]
            if not rec.has_drone:
                false_drone_emitters += 1
                if len(false_drone_examples) < MAX_EXAMPLES:
                    false_drone_examples.append(_drone_example(rec, em, truths))
                continue
            hits = {(rec.path, str(rec.emitter[k])) for k in rows if str(rec.y[k]) == label and rec.emitter[k]}
            confirmed_drones |= hits
            if not hits:
                wrong_drone_emitters += 1
                if len(wrong_drone_examples) < MAX_EXAMPLES:
                    wrong_drone_examples.append(_drone_example(rec, em, truths))
    y_true = np.array(all_true)
    y_pred = np.array(all_pred)
    labels_present = sorted(set(all_true) | set(all_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels_present, zero_division=0)
    per_class = {
        lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
              "support": int(s[i])}
        for i, lab in enumerate(labels_present)
    }
    by_bin: dict[str, list[bool]] = defaultdict(list)
    for t, pr, snr in zip(all_true, all_pred, all_snr):
        b = _snr_bin(snr)
        if b is not None:
            by_bin[b].append(t == pr)
    emitter_correct: dict[str, list[bool]] = defaultdict(list)
    emitter_all: list[bool] = []
    emitter_high: list[bool] = []
    high_misses: list[dict[str, Any]] = []
    for (path, emitter_id), score in scored_emitters.items():
        ok = score.correct(classes)
        emitter_all.append(ok)
        if score.snr_db >= 10:
            emitter_high.append(ok)
            if not ok and len(high_misses) < MAX_EXAMPLES:
                high_misses.append({"recording": Path(path).name, "emitter": emitter_id, "truth": score.truth,
                                    "called": score.called(classes), "bursts": score.n,
                                    "unknown": score.unknown, "snr_db": round(score.snr_db, 1)})
        b = _snr_bin(score.snr_db)
        if b is not None:
            emitter_correct[b].append(ok)
    high_with_slivers = [e.correct(classes) for e in all_emitters.values() if e.snr_db >= 10]
    # Drone emitters the rule can confirm at all: DRONE_MIN_PACKETS detections, or DRONE_MIN_SIGNAL_S
    # of a continuous link (a 0.5 s recording holds no DroneID burst or one; that is the
    # recording's length, not the classifier).
    def claimable(e: _EmitterScore) -> bool:
        sig = REGISTRY.get(e.truth)
        return bool(sig and sig.drone and (e.n >= DRONE_MIN_PACKETS
                                           or (sig.continuous and e.signal_s >= DRONE_MIN_SIGNAL_S)))

    drone_keys = [key for key, e in all_emitters.items() if claimable(e)]
    pd_bins: dict[str, list[bool]] = defaultdict(list)
    for key in drone_keys:
        b = _snr_bin(all_emitters[key].snr_db)
        if b is not None:
            pd_bins[b].append(key in confirmed_drones)
    true_labels = sorted(set(all_true))
    return {
        "bursts": len(y_true),
        "recordings": len(recs),
        "burst_accuracy": round(float(accuracy_score(y_true, y_pred)), 4) if len(y_true) else None,
        "burst_macro_f1": round(float(f1_score(y_true, y_pred, labels=true_labels, average="macro", zero_division=0)), 4)
        if len(y_true) else None,
        "burst_macro_f1_snr_ge_10db": _macro_f1_where(y_true, y_pred, np.array(all_snr), 10.0, true_labels),
        "per_class": per_class,
        "confusion": {"labels": labels_present,
                      "matrix": confusion_matrix(y_true, y_pred, labels=labels_present).tolist()},
        "burst_accuracy_by_snr_db": _by_snr(by_bin),
        "emitters": len(emitter_all),
        "emitter_accuracy": round(float(np.mean(emitter_all)), 4) if emitter_all else None,
        "emitter_accuracy_snr_ge_10db": round(float(np.mean(emitter_high)), 4) if emitter_high else None,
        "emitter_accuracy_by_snr_db": _by_snr(emitter_correct),
        "emitter_misses_snr_ge_10db": high_misses,
        "unobservable_bursts": unobservable,
        "emitters_with_slivers_snr_ge_10db": len(high_with_slivers),
        "emitter_accuracy_with_slivers_snr_ge_10db": round(float(np.mean(high_with_slivers)), 4)
        if high_with_slivers else None,
        "drone_free_hours": round(drone_free_hours, 6),
        "false_drone_emitters": false_drone_emitters,
        "false_drone_detections_per_hour": round(false_drone_emitters / drone_free_hours, 2)
        if drone_free_hours > 0 else None,
        "false_drone_examples": false_drone_examples,
        "drone_emitters": len(drone_keys),
        "drone_detection_probability": round(len(confirmed_drones & set(drone_keys)) / len(drone_keys), 4)
        if drone_keys else None,
        "drone_detection_probability_by_snr_db": _by_snr(pd_bins),
        "wrong_drone_emitters": wrong_drone_emitters,
        "wrong_drone_examples": wrong_drone_examples,
    }


def _macro_f1_where(y_true: np.ndarray, y_pred: np.ndarray, snr: np.ndarray, min_snr: float, labels: list[str]) -> float | None:
    from sklearn.metrics import f1_score

    mask = np.isfinite(snr) & (snr >= min_snr)
    if not mask.any():
        return None
    present = sorted(set(y_true[mask]))
    return round(float(f1_score(y_true[mask], y_pred[mask], labels=present, average="macro", zero_division=0)), 4)


#: The files :func:`write_report` writes into its folder.
METRICS_FILE, CONFUSION_FILE, SNR_FILE = REPORT_FILES = ("metrics.json", "confusion.png", "snr.png")


def write_report(metrics: dict[str, Any], report_dir: str | Path) -> Path:
    """Write :data:`REPORT_FILES` (``metrics.json``, ``confusion.png``, ``snr.png``) into ``report_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    labels = metrics["confusion"]["labels"]
    cm = np.array(metrics["confusion"]["matrix"], dtype=float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * len(labels), 0.8 + 0.55 * len(labels)))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (ground-truth annotation)")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(f"burst confusion (accuracy {metrics['burst_accuracy']}, macro-F1 {metrics['burst_macro_f1']})")
    fig.colorbar(im, ax=ax, label="fraction of true class")
    fig.tight_layout()
    fig.savefig(out / CONFUSION_FILE, dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, name in (("burst_accuracy_by_snr_db", "bursts"), ("emitter_accuracy_by_snr_db", "emitters")):
        bins = metrics[key]
        if bins:
            xs = [sum(snr_bin_edges(b)) / 2 for b in bins]
            ax.plot(xs, list(bins.values()), marker="o", label=name)
    ax.set_xlabel("SNR in the signal's bandwidth (dB, bin centre)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("accuracy vs SNR")
    fig.tight_layout()
    fig.savefig(out / SNR_FILE, dpi=110)
    plt.close(fig)
    return out / METRICS_FILE
