#!/usr/bin/env python3
"""Leave one class out: what each non-drone class becomes when the model never saw it → BENCHMARKS.md (`loco`).

Issue 16's open-world measure: for every non-drone class of the registry,
train the model without it and run its recordings; it must never become a
confirmed drone. This estimates what a node does with clutter nobody modelled.

- Training data: the shipped model's own training sets
  (:func:`make_model.training_sets`, under ``datasets/``; synthesized only if
  missing), their feature rows read once from the feature cache
  (``rfclassify.classify.training.extract_all``); per held-out class the
  model is refitted on the rows of every other label
  (:func:`rfclassify.classify.training.fit_model`, the same steps and seed as
  ``make model``, no cross-validation). A held-out class's detections are
  dropped wherever they are, also where it is clutter in another class's recording.
- Held-out recordings: the class's recordings of the labelled test sets
  ``scripts/bench_accuracy.py`` uses (seeds 101 and 102, never trained on),
  whose ground truth holds no drone.
- Scored as ``rfclassify classify`` reports
  (:func:`rfclassify.classify.evaluation.evaluate_features`): the share of the
  held-out class's detections given each label (``unknown`` included), and the
  emitters the tracker and drone-claim rule confirm as drones in those recordings.

The first row is the model given (default: the shipped one) on the same
recordings, for comparison: there the class is known.

    python scripts/bench_loco.py [--jobs 2] [--classes wifi,ook-ism] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def held_out_classes(requested: Sequence[str] | None = None) -> list[str]:
    """The non-drone registry labels (registry order), or those of ``requested`` (each must be one)."""
    from rfclassify.signatures import REGISTRY

    non_drone = [lab for lab, sig in REGISTRY.items() if not sig.drone]
    if not requested:
        return non_drone
    bad = [lab for lab in requested if lab not in non_drone]
    if bad:
        raise ValueError(f"not a non-drone class of the registry: {', '.join(bad)} (known: {', '.join(non_drone)})")
    return list(requested)


def class_recordings(label: str, folders: Sequence[Path]) -> list[tuple[Path, None]]:
    """The recordings of ``label`` in dataset ``folders`` (named ``<label>_<receiver>_<index>``), annotated."""
    return [(meta, None) for folder in folders for meta in sorted(folder.glob(f"{label}_*.sigmf-meta"))]


def without(X: np.ndarray, y: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The training rows of every label but ``label``."""
    keep = y != label
    return X[keep], y[keep]


def fall_to(metrics: dict[str, Any], label: str) -> dict[str, float]:
    """Share of the detections of ``label`` given each predicted label (from a confusion matrix), largest first."""
    labels = metrics["confusion"]["labels"]
    if label not in labels:
        return {}
    row = np.array(metrics["confusion"]["matrix"][labels.index(label)], dtype=float)
    if row.sum() == 0:
        return {}
    shares = {labels[j]: float(row[j] / row.sum()) for j in np.flatnonzero(row)}
    return dict(sorted(shares.items(), key=lambda kv: -kv[1]))


def row_text(name: str, label: str, metrics: dict[str, Any]) -> str:
    """One table row: held-out class, detections, share unknown, what they fall to, confirmed drones."""
    from rfclassify.signatures import REGISTRY, UNKNOWN

    shares = fall_to(metrics, label)
    support = metrics["per_class"].get(label, {}).get("support", 0)
    to = ", ".join(f"{lab} {share:.3f}" for lab, share in shares.items() if lab != UNKNOWN) or "—"
    drone_share = sum(s for lab, s in shares.items() if lab in REGISTRY and REGISTRY[lab].drone)
    examples = "; ".join(f"{e['label']} ({e['bursts']} bursts, {e['recording']})"
                         for e in metrics["false_drone_examples"][:3])
    drones = f"**{metrics['false_drone_emitters']}** ({examples})" if metrics["false_drone_emitters"] else "0"
    return (f"| {name} | {metrics['recordings']} | {support} | {shares.get(UNKNOWN, 0.0):.3f} | {to} | "
            f"{drone_share:.3f} | {drones} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=lambda v: [x for x in v.split(",") if x], default=None,
                        help="held-out classes, comma-separated (default: every non-drone class)")
    parser.add_argument("--per-class", type=int, default=24, help="training recordings per class (make model's)")
    parser.add_argument("--duration", type=float, default=0.5, help="training recording length (make model's)")
    parser.add_argument("--test-per-class", type=int, default=12, help="test recordings per class (bench_accuracy's)")
    parser.add_argument("--test-duration", type=float, default=0.5)
    parser.add_argument("--train", action="append", type=Path, default=None, metavar="DIR",
                        help="a training set folder (repeatable; default: make model's sets, made if missing); "
                             "feature rows are cached in the first one's .features")
    parser.add_argument("--test", action="append", type=Path, default=None, metavar="DIR",
                        help="a test set folder (repeatable; default: bench_accuracy's seeds, made if missing)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--model", default=None, help="the comparison model (default: the shipped one)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    args = parser.parse_args()

    from bench_accuracy import TEST_SEEDS, test_set
    from benchmd import header, update_section
    from make_model import training_sets

    from rfclassify.classify.evaluation import evaluate_features
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.training import extract_all, find_recordings, fit_model, stack
    from rfclassify.errors import RFClassifyError

    try:
        held = held_out_classes(args.classes)
        full = Classifier.load(args.model)
    except (ValueError, RFClassifyError) as exc:
        print(f"bench_loco: {exc}", file=sys.stderr)
        return 2
    for folder in (args.train or []) + (args.test or []):
        if not folder.is_dir():
            print(f"bench_loco: {folder}: no such folder", file=sys.stderr)
            return 2
    t0 = time.time()
    train_dirs = args.train or list(training_sets(args.per_class, args.duration, args.jobs))
    print("reading the training features …", file=sys.stderr, flush=True)
    X, y, _ = stack(extract_all(find_recordings(train_dirs), jobs=args.jobs, cache_dir=train_dirs[0] / ".features"))
    test_dirs = args.test or [test_set(seed, args.test_per_class, args.test_duration, args.jobs) for seed in TEST_SEEDS]
    table: list[str] = []
    for label in held:
        recordings = class_recordings(label, test_dirs)
        if not recordings:
            print(f"bench_loco: no test recordings of {label}: skipped", file=sys.stderr)
            continue
        recs = [r for r in extract_all(recordings, jobs=args.jobs, cache_dir=recordings[0][0].parent / ".features")
                if not r.has_drone]
        t1 = time.time()
        Xk, yk = without(X, y, label)
        held_model = Classifier(fit_model(Xk, yk, random_state=0), {"held_out": label})
        print(f"{label}: refitted without it on {len(yk)} rows in {time.time() - t1:.0f} s; "
              f"{len(recs)} held-out recordings", file=sys.stderr, flush=True)
        table.append(row_text(f"{label} (known)", label, evaluate_features(recs, full)))
        table.append(row_text(f"**{label} held out**", label, evaluate_features(recs, held_model)))
    elapsed = time.time() - t0
    lines = [header("Leave one class out (issue 16): what unmodelled clutter becomes"), ""]
    lines.append(f"For each non-drone class: refitted without it on the training rows of "
                 f"{'the sets given' if args.train else 'make model' + chr(39) + 's sets'} ({len(y)} detections: {', '.join(f'`{d.name}`' for d in train_dirs)}), then run on its "
                 f"recordings of the test sets ({', '.join(f'`{d.name}`' for d in test_dirs)}; drone-free truth). \"known\" rows: the model given "
                 f"(`{full.path.name if full.path else '?'}`) on the same recordings. Target: no held-out class "
                 f"ever confirmed as a drone. Run time {elapsed:.0f} s.")
    lines.append("")
    lines.append("| class | recordings | its detections | share unknown | share to each label | "
                 "share to drone labels | confirmed drones |")
    lines.append("|---|---|---|---|---|---|---|")
    lines += table
    text = "\n".join(lines)
    if not args.no_write:
        update_section("loco", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
