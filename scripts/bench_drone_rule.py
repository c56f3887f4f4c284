#!/usr/bin/env python3
"""The drone-claim rule on unseen synthetic seeds: detection probability, time to claim, false and wrong drones.

Synthesizes (once, under ``datasets/``) a labelled test set (every label, both
receivers, SNR −5…25 dB) and a drone-free clutter set on seeds the shipped
model never saw (training used 1 and 2), and measures what the importable
rfclassify's tracker and drone-claim rule make of them: drone detection
probability (overall and per SNR bin), the time from a drone link's first
detected burst to its claim (median per label, bursts fed in time order as a
node sees them), false drones per hour of drone-free recordings, drones
confirmed under the wrong label, and the emitter accuracy at ≥ 10 dB.

``--baseline CHECKOUT`` measures another checkout's rule on the same
recordings (this script, run with ``PYTHONPATH=CHECKOUT``) and prints both;
``--write`` puts the comparison into BENCHMARKS.md (section ``drone-rule``).
The two checkouts extract their own features: a change of detection shows in
the comparison too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets_cache import dataset_dir, ensure_dataset

KEYS = ("drone_emitters", "drone_detection_probability", "drone_detection_probability_by_snr_db",
        "wrong_drone_emitters", "emitter_accuracy_snr_ge_10db", "emitters")


def time_to_claim(recs: list[Any], clf: Any) -> dict[str, list[float]]:
    """Seconds from each claimed drone link's first detected burst to the burst that made the claim, per label.

    Bursts go through the tracker in time order; after each, the emitter's verdict is asked
    (:func:`rfclassify.classify.tracking.verdict`): the first burst after which it names the emitter's
    drone label, and that label is the truth of the burst's ground-truth emitter, is the claim.
    """
    import numpy as np

    from rfclassify.classify.labels import NOISE_LABEL
    from rfclassify.classify.tracking import BurstDecision, EmitterTracker, verdict
    from rfclassify.signatures import REGISTRY

    model, select = clf.model.named_steps["clf"], clf.model.named_steps["select"]
    classes = [str(c) for c in model.classes_]
    out: dict[str, list[float]] = defaultdict(list)
    for rec in recs:
        if not len(rec.y) or not rec.has_drone:
            continue
        rf_hz = np.where(np.asarray(rec.center_freq_hz) > 0, 0.5 * (rec.f_lo_hz + rec.f_hi_hz), np.nan)
        decision = model.predict_open(select.transform(rec.X), rf_hz, rec.f_hi_hz - rec.f_lo_hz)
        first: dict[str, float] = {}  # ground-truth emitter -> start of its first detection
        for k in range(len(rec.y)):
            if rec.emitter[k]:
                first[str(rec.emitter[k])] = min(first.get(str(rec.emitter[k]), np.inf), float(rec.t_start_s[k]))
        tracker = EmitterTracker(classes)
        claimed: set[int] = set()
        for k in np.argsort(rec.t_start_s):
            if decision.labels[k] == NOISE_LABEL:
                continue
            burst = BurstDecision(rec.t_start_s[k], rec.t_end_s[k], rec.f_lo_hz[k], rec.f_hi_hz[k], rec.snr_db[k],
                                  str(decision.labels[k]), float(decision.confidence[k]), decision.proba[k],
                                  str(decision.reasons[k]), rec.center_freq_hz[k], str(decision.closed_labels[k]))
            emitter, _ = tracker.add(burst)
            sig = REGISTRY.get(emitter.label)
            if emitter.emitter_id in claimed or sig is None or not sig.drone or not rec.emitter[k]:
                continue
            if str(rec.y[k]) == emitter.label and verdict(tracker, emitter).label == emitter.label:
                claimed.add(emitter.emitter_id)
                out[emitter.label].append(float(rec.t_end_s[k]) - first[str(rec.emitter[k])])
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """The figures of the importable rfclassify on the seeds of ``args``."""
    import numpy as np

    import rfclassify
    from rfclassify.classify.evaluation import evaluate_features
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.training import extract_all, find_recordings
    from rfclassify.signatures import REGISTRY

    clf = Classifier.load(args.model)
    test_dir = ensure_dataset(
        dataset_dir(f"rule-seed{args.seed}-{args.per_class}x{args.duration:g}s"), per_class=args.per_class,
        snr_db_range=(-5, 25), receivers="both", duration_s=args.duration, seed=args.seed, jobs=args.jobs)
    test_recs = extract_all(find_recordings([test_dir]), jobs=args.jobs, cache_dir=test_dir / ".features")
    test = evaluate_features(test_recs, clf)
    non_drone = [lab for lab, sig in REGISTRY.items() if not sig.drone]
    fa_dir = ensure_dataset(
        dataset_dir(f"rule-falsealarm-seed{args.false_alarm_seed}-{args.false_alarm_recordings}x"
                    f"{args.false_alarm_duration:g}s"),
        classes=non_drone, per_class=args.false_alarm_recordings, snr_db_range=(-5, 30), receivers="both",
        duration_s=args.false_alarm_duration, seed=args.false_alarm_seed, jobs=args.jobs, clutter_probability=0.6,
        mixed=0)
    fa = evaluate_features(extract_all(find_recordings([fa_dir]), jobs=args.jobs, cache_dir=fa_dir / ".features"), clf)
    claims = time_to_claim(test_recs, clf)
    return {"rfclassify": str(Path(rfclassify.__file__).parent), "test_seed": args.seed,
            **{k: test[k] for k in KEYS},
            "median_time_to_claim_s": {lab: round(float(np.median(v)), 4) for lab, v in sorted(claims.items())},
            "claims_timed": {lab: len(v) for lab, v in sorted(claims.items())},
            "false_alarm_seed": args.false_alarm_seed, "drone_free_hours": fa["drone_free_hours"],
            "false_drone_emitters": fa["false_drone_emitters"],
            "false_drone_detections_per_hour": fa["false_drone_detections_per_hour"],
            "false_drone_examples": fa["false_drone_examples"],
            "false_drones_in_test_set": test["false_drone_emitters"]}


def comparison(new: dict[str, Any], old: dict[str, Any]) -> str:
    """Markdown tables: the headline figures and the median time to claim per label, old rule and new."""
    rows = [("drone emitters with enough signal for a claim", "drone_emitters"),
            ("drone detection probability", "drone_detection_probability"),
            ("drones confirmed under a wrong label", "wrong_drone_emitters"),
            ("emitter accuracy at ≥ 10 dB", "emitter_accuracy_snr_ge_10db"),
            ("false drones in the drone-free set", "false_drone_emitters"),
            ("false drones per hour (drone-free set)", "false_drone_detections_per_hour"),
            ("false drones in the test set (drone-free recordings)", "false_drones_in_test_set")]
    hours = new["drone_free_hours"] * 3600
    lines = [f"Test set seed {new['test_seed']}, drone-free set seed {new['false_alarm_seed']} ({hours:.0f} s).", "",
             "| | old rule | new rule |", "|---|---|---|"]
    lines += [f"| {name} | {old.get(key)} | {new.get(key)} |" for name, key in rows]
    lines += ["", "Drone detection probability per SNR bin (dB):", "", "| SNR | old | new |", "|---|---|---|"]
    bins = dict.fromkeys([*old["drone_detection_probability_by_snr_db"], *new["drone_detection_probability_by_snr_db"]])
    lines += [f"| {b} | {old['drone_detection_probability_by_snr_db'].get(b)} | "
              f"{new['drone_detection_probability_by_snr_db'].get(b)} |" for b in bins]
    lines += ["", "Median time from a drone link's first detected burst to its claim (s; links claimed):", "",
              "| label | old | new |", "|---|---|---|"]
    labels = sorted({*old.get("median_time_to_claim_s", {}), *new["median_time_to_claim_s"]})
    for lab in labels:
        cells = []
        for res in (old, new):
            t = res.get("median_time_to_claim_s", {}).get(lab)
            cells.append("—" if t is None else f"{t:.3f} ({res['claims_timed'][lab]})")
        lines.append(f"| `{lab}` | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=303, help="seed of the labelled test set")
    parser.add_argument("--false-alarm-seed", type=int, default=404, help="seed of the drone-free set")
    parser.add_argument("--per-class", type=int, default=6, help="test recordings per class and receiver")
    parser.add_argument("--duration", type=float, default=0.5, help="test recording length (s)")
    parser.add_argument("--false-alarm-recordings", type=int, default=4, help="per non-drone class and receiver")
    parser.add_argument("--false-alarm-duration", type=float, default=2.0, help="drone-free recording length (s)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--model", default=None)
    parser.add_argument("--baseline", metavar="CHECKOUT", help="also measure this checkout's rule, and compare")
    parser.add_argument("--baseline-json", metavar="FILE",
                        help="compare with figures this script printed for another checkout instead")
    parser.add_argument("--write", action="store_true", help="write the comparison into BENCHMARKS.md")
    args = parser.parse_args()

    new = measure(args)
    if args.baseline_json:
        old = json.loads(Path(args.baseline_json).read_text())
    elif args.baseline:
        argv = [a for a in sys.argv[1:] if a != "--write"]
        i = argv.index("--baseline")
        del argv[i : i + 2]
        env = {**os.environ, "PYTHONPATH": str(Path(args.baseline).resolve())}
        done = subprocess.run([sys.executable, __file__, *argv], env=env, stdout=subprocess.PIPE, text=True,
                              check=True)
        old = json.loads(done.stdout)
    else:
        print(json.dumps(new, indent=2))
        return 0
    text = comparison(new, old)
    print(json.dumps({"old": old, "new": new}, indent=2))
    print(text)
    if args.write:
        from benchmd import header, update_section

        update_section("drone-rule", header("Drone-claim rule (issue 16: evidence, not segment counts)") + "\n"
                       + f"Old rule: `{old['rfclassify']}`; new rule: `{new['rfclassify']}`.\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
