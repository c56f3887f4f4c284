#!/usr/bin/env python3
"""The drone-claim rule on unseen synthetic seeds: drone detection probability, false and wrong drones.

Synthesizes (once, under ``datasets/``) a labelled test set (every label, both
receivers, SNR −5…25 dB) and a drone-free clutter set on seeds the shipped
model never saw (training used 1 and 2), and prints, as JSON, what the
installed rfclassify's tracker and drone-claim rule make of them: drone
detection probability (overall and per SNR bin), false drones per hour of
drone-free recordings, drones confirmed under the wrong label, and the
emitter accuracy at ≥ 10 dB. Run it against another checkout
(``PYTHONPATH=/path/to/checkout python scripts/bench_drone_rule.py``) to
compare two rules on the same recordings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets_cache import dataset_dir, ensure_dataset

KEYS = ("drone_emitters", "drone_detection_probability", "drone_detection_probability_by_snr_db",
        "wrong_drone_emitters", "emitter_accuracy_snr_ge_10db", "emitters")


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
    args = parser.parse_args()

    import rfclassify
    from rfclassify.classify.evaluation import evaluate_features
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.training import extract_all, find_recordings
    from rfclassify.signatures import REGISTRY

    clf = Classifier.load(args.model)
    test_dir = ensure_dataset(
        dataset_dir(f"rule-seed{args.seed}-{args.per_class}x{args.duration:g}s"), per_class=args.per_class,
        snr_db_range=(-5, 25), receivers="both", duration_s=args.duration, seed=args.seed, jobs=args.jobs)
    test = evaluate_features(extract_all(find_recordings([test_dir]), jobs=args.jobs,
                                         cache_dir=test_dir / ".features"), clf)
    non_drone = [lab for lab, sig in REGISTRY.items() if not sig.drone]
    fa_dir = ensure_dataset(
        dataset_dir(f"rule-falsealarm-seed{args.false_alarm_seed}-{args.false_alarm_recordings}x"
                    f"{args.false_alarm_duration:g}s"),
        classes=non_drone, per_class=args.false_alarm_recordings, snr_db_range=(-5, 30), receivers="both",
        duration_s=args.false_alarm_duration, seed=args.false_alarm_seed, jobs=args.jobs, clutter_probability=0.6,
        mixed=0)
    fa = evaluate_features(extract_all(find_recordings([fa_dir]), jobs=args.jobs, cache_dir=fa_dir / ".features"), clf)
    out = {"rfclassify": str(Path(rfclassify.__file__).parent), "test_seed": args.seed,
           **{k: test[k] for k in KEYS},
           "false_alarm_seed": args.false_alarm_seed, "drone_free_hours": fa["drone_free_hours"],
           "false_drone_emitters": fa["false_drone_emitters"],
           "false_drone_detections_per_hour": fa["false_drone_detections_per_hour"],
           "false_drone_examples": fa["false_drone_examples"],
           "false_drones_in_test_set": test["false_drone_emitters"]}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
