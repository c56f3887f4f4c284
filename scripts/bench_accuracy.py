#!/usr/bin/env python3
"""Accuracy of the default model on data it was not trained on → BENCHMARKS.md (section `accuracy`).

1. Synthesized test sets, seeds 101 and 102 (training used seeds 1 and 2):
   every label, both receivers, SNR −5…25 dB; burst macro-F1, emitter
   accuracy per SNR bin, pooled over both seeds and per seed.
2. DJI DroneID bursts (seed 101, 1.3 s recordings of bursts on the watched
   channel): burst recall and confirmed emitters.
3. False drone detections on drone-free synthetic recordings (noise and
   non-drone clutter, both receivers; seeds 202 and 203), per hour.
4. Signals in no class (CW tone, FM broadcast, AM carrier): must come out
   unknown or non-drone.
5. The real public recordings in ../shared/realdata (evaluation only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmd import header, update_section
from datasets_cache import dataset_dir, ensure_dataset

ROOT = Path(__file__).resolve().parents[1]
TEST_SEED = 101
#: Seeds of the labelled test sets; the figures are pooled over them (and given per seed).
TEST_SEEDS = (101, 102)
FALSE_ALARM_SEEDS = (202, 203)


def out_of_class_signals(fs_hz: float = 2.4e6, duration_s: float = 1.0, seed: int = 7) -> dict[str, np.ndarray]:
    """Signals that fit no class: a CW tone, wideband FM broadcast audio, an AM carrier (SNR ~25 dB)."""
    rng = np.random.default_rng(seed)
    n = int(fs_hz * duration_s)
    t = np.arange(n) / fs_hz
    noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    audio = np.convolve(rng.standard_normal(n), np.ones(200) / 200, mode="same")
    audio /= np.max(np.abs(audio))
    amp = np.sqrt(10 ** 2.5 * 200e3 / fs_hz)
    return {
        "cw-tone": noise + np.sqrt(10 ** 2.5 * 1e3 / fs_hz) * np.exp(2j * np.pi * 300e3 * t),
        "fm-broadcast": noise + amp * np.exp(1j * (2 * np.pi * -200e3 * t + 2 * np.pi * 75e3 * np.cumsum(audio) / fs_hz)),
        "am-carrier": noise + np.sqrt(10 ** 2.5 * 10e3 / fs_hz) * (1 + 0.8 * audio) * np.exp(2j * np.pi * 500e3 * t),
    }


def _training_seeds(meta: dict) -> list:
    """Synthesis seeds of the model's training data, from its sidecar recipe (``?`` if not recorded)."""
    synth = meta.get("recipe", {}).get("synth", {})
    seeds = [synth.get("seed", "?")] + [v["seed"] for v in synth.values() if isinstance(v, dict) and "seed" in v]
    return list(dict.fromkeys(seeds))


def test_set(seed: int, per_class: int, duration_s: float, jobs: int) -> Path:
    """The labelled test set of ``seed`` (every label, both receivers, SNR −5…25 dB), synthesized unless cached."""
    return ensure_dataset(dataset_dir(f"test-seed{seed}-{per_class}x{duration_s:g}s"), per_class=per_class,
                          snr_db_range=(-5, 25), receivers="both", duration_s=duration_s, seed=seed, jobs=jobs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=12, help="test recordings per class and receiver")
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--false-alarm-recordings", type=int, default=12, help="per non-drone class and receiver")
    parser.add_argument("--false-alarm-duration", type=float, default=2.0)
    parser.add_argument("--false-alarm-seeds", type=lambda v: [int(x) for x in v.split(",")],
                        default=list(FALSE_ALARM_SEEDS), help="seeds of the drone-free sets, comma-separated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    from rfclassify.classify.evaluation import evaluate_features, write_report
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.realdata import classify_real, expected_rows, markdown_table
    from rfclassify.classify.recordings import classify_iq
    from rfclassify.classify.training import extract_all, find_recordings
    from rfclassify.signatures import REGISTRY
    from rfclassify.synth.dataset import DRONEID

    clf = Classifier.load(args.model)
    t0 = time.time()
    test_recs = {}
    for seed in TEST_SEEDS:
        test_dir = test_set(seed, args.per_class, args.duration, args.jobs)
        test_recs[seed] = extract_all(find_recordings([test_dir]), jobs=args.jobs, cache_dir=test_dir / ".features")
    metrics = evaluate_features([r for recs in test_recs.values() for r in recs], clf)
    per_seed = {seed: evaluate_features(recs, clf) for seed, recs in test_recs.items()}
    write_report(metrics, ROOT / "reports" / "accuracy-test")

    droneid_dir = ensure_dataset(
        dataset_dir(f"test-seed{TEST_SEED}-droneid-{args.per_class}x1.3s"), classes=[DRONEID],
        per_class=args.per_class, snr_db_range=(-5, 25), receivers="both", duration_s=1.3, seed=TEST_SEED,
        jobs=args.jobs, mixed=0)
    did = evaluate_features(
        extract_all(find_recordings([droneid_dir]), jobs=args.jobs, cache_dir=droneid_dir / ".features"), clf)
    did_recall = did["per_class"].get("dji-ocusync", {}).get("recall")

    non_drone = [lab for lab, sig in REGISTRY.items() if not sig.drone]
    fa_recs = []
    for fa_seed in args.false_alarm_seeds:
        fa_dir = ensure_dataset(
            dataset_dir(f"falsealarm-seed{fa_seed}-{args.false_alarm_recordings}x{args.false_alarm_duration:g}s"),
            classes=non_drone, per_class=args.false_alarm_recordings, snr_db_range=(-5, 30), receivers="both",
            duration_s=args.false_alarm_duration, seed=fa_seed, jobs=args.jobs, clutter_probability=0.6, mixed=0)
        fa_recs += extract_all(find_recordings([fa_dir]), jobs=args.jobs, cache_dir=fa_dir / ".features")
    fa = evaluate_features(fa_recs, clf)

    odd_rows = []
    for name, x in out_of_class_signals().items():
        recs = classify_iq(x, 2.4e6, 100e6, model=clf, name=name)
        odd_rows.append((name, sorted({r["label"] for r in recs}), any(r["drone"] for r in recs)))

    real = [classify_real(row, clf) for row in expected_rows()]
    elapsed = time.time() - t0

    lines = [header("Accuracy (default model, data never used in training)"), ""]
    lines.append(f"Model `{clf.path.name if clf.path else ''}` sha256 `{clf.meta.get('sha256', '')[:16]}…`, "
                 f"trained on seeds {', '.join(map(str, _training_seeds(clf.meta)))}; "
                 f"test sets seeds {', '.join(map(str, TEST_SEEDS))} pooled ({metrics['recordings']} recordings, "
                 f"{metrics['bursts']} scored bursts; per seed in brackets). "
                 f"Run time {elapsed:.0f} s. Full report: `reports/accuracy-test/`.")
    lines.append("")
    lines.append("| metric | value | target |")
    lines.append("|---|---|---|")
    def each(get) -> str:
        return "(" + ", ".join(f"{seed}: {get(m)}" for seed, m in per_seed.items()) + ")"

    lines.append(f"| emitter accuracy, SNR ≥ 10 dB | {metrics['emitter_accuracy_snr_ge_10db']} "
                 f"{each(lambda m: m['emitter_accuracy_snr_ge_10db'])} | ≥ 0.98 |")
    by = metrics["emitter_accuracy_by_snr_db"]
    lines.append(f"| emitter accuracy, SNR ≥ 10 dB, slivers counted too ({metrics['emitters_with_slivers_snr_ge_10db']} "
                 f"emitters) | {metrics['emitter_accuracy_with_slivers_snr_ge_10db']} "
                 f"{each(lambda m: m['emitter_accuracy_with_slivers_snr_ge_10db'])} | |")
    lines.append(f"| emitter accuracy, 0…5 dB bin | {by.get('+0..+5')} "
                 f"{each(lambda m: m['emitter_accuracy_by_snr_db'].get('+0..+5'))} | ≥ 0.90 |")
    lines.append(f"| burst macro-F1, SNR ≥ 10 dB | {metrics['burst_macro_f1_snr_ge_10db']} "
                 f"{each(lambda m: m['burst_macro_f1_snr_ge_10db'])} | ≥ 0.95 |")
    lines.append(f"| burst accuracy (all SNR) | {metrics['burst_accuracy']} | |")
    lines.append(f"| false drone emitters on drone-free synthetic recordings | {fa['false_drone_emitters']} in "
                 f"{fa['drone_free_hours'] * 60:.1f} min ({fa['false_drone_detections_per_hour']}/h) | 0 over 10 min |")
    lines.append(f"| drone detection probability (test-set drone emitters with ≥ 3 detections, confirmed under "
                 f"their own label; {metrics['drone_emitters']} emitters) | {metrics['drone_detection_probability']} | |")
    lines.append(f"| drone emitters confirmed under another drone's label (test set) | "
                 f"{metrics['wrong_drone_emitters']} | |")
    lines.append(f"| DJI DroneID bursts called dji-ocusync ({did['recordings']} recordings of 1.3 s, "
                 f"{did['per_class'].get('dji-ocusync', {}).get('support', 0)} bursts) | {did_recall} | |")
    lines.append(f"| DroneID emitters confirmed as dji-ocusync (≥ 3 detections) | "
                 f"{did['drone_detection_probability']} ({did['drone_emitters']} emitters) | |")
    lines.append("")
    lines.append(f"Scored: the detections of emissions the receiver's window shows at least half of what it could "
                 f"(`labels.is_sliver`); the {metrics['unobservable_bursts']} detections of slivers (a Wi-Fi "
                 f"channel centred outside the window seen as its 64 kHz skirt at the edge) are not scored, and "
                 f"the row \"slivers counted too\" gives the figure with them.")
    lines.append("")
    lines.append("Missed emitters at SNR ≥ 10 dB: " + "; ".join(
        f"seed {seed}: "
        + (", ".join(f"{e['recording']} {e['emitter']} ({e['truth']}, {e['snr_db']} dB) called {e['called']} "
                     f"({e['bursts']} bursts, {e['unknown']} unknown)" for e in m["emitter_misses_snr_ge_10db"]) or "none")
        for seed, m in per_seed.items()))
    lines.append("")
    lines.append("Emitter accuracy by SNR bin: " + json.dumps(by))
    lines.append("")
    lines.append("Burst accuracy by SNR bin: " + json.dumps(metrics["burst_accuracy_by_snr_db"]))
    lines.append("")
    lines.append("Drone detection probability by SNR bin: "
                 + json.dumps(metrics["drone_detection_probability_by_snr_db"]))
    lines.append("")
    lines.append("False drone emitters (drone-free set): "
                 + (", ".join(f"{e['recording']}: {e['truth']} called {e['label']} ({e['bursts']} bursts)"
                              for e in fa["false_drone_examples"]) or "none"))
    lines.append("")
    lines.append("Per-class burst F1: " + ", ".join(f"{k} {v['f1']}" for k, v in metrics["per_class"].items()))
    lines.append("")
    lines.append("### Signals in no class")
    lines.append("")
    lines.append("| signal | reported | drone |")
    lines.append("|---|---|---|")
    for name, labs, drone in odd_rows:
        lines.append(f"| {name} | {', '.join(labs) or 'nothing'} | {'YES' if drone else 'no'} |")
    lines.append("")
    lines.append("### Real public recordings (`../shared/realdata`, evaluation only)")
    lines.append("")
    lines.append(markdown_table(real) if real else "(../shared/realdata not found)")
    update_section("accuracy", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
