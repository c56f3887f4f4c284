#!/usr/bin/env python3
"""`make model`: rebuild the shipped model rfclassify/models/default.rfcm reproducibly (fixed seeds, recorded in it).

1. Synthesize the training set with ``rfclassify synth`` logic (seed 1): every
   label, both receiver models (RTL-SDR cu8 at 2.4/2.048/1.024/0.25 MS/s as
   the signal fits, wideband ci8 at 20/15.36/30.72 MS/s), SNR
   from −5 to 25 dB, clutter in 30 % of class recordings, plus mixed scenes,
   plus 1.3 s recordings of DJI DroneID bursts on the watched channel,
   plus as many again of the classes with the most air modes (signatures
   with ``training_sets=2``, seed 2): ExpressLRS 2.4 GHz has eight (two FLRC, six
   LoRa), and with one draw per recording the 389 µs FLRC packets came up in
   one wideband training recording of twelve; Bluetooth has BR ACL (DH1, DH3,
   DH5), SCO, POLL, LE advertising and LE connections, and its 1.6 ms DH3
   packets were rare enough that a DH3-heavy link was called DSMX (whose
   packets last 1.55 ms); OOK sensors come in four line codes, four RTL-SDR
   rates, and as separate packets or (repeats ~2 ms apart, AcuRite style)
   one unbroken 250 ms pulse train: the seed-1 set held three detections
   over 150 ms among 1,241 OOK ones, and the real AcuRite, Oregon and
   Calibeur trains were all out of distribution.
2. Train the open-set classifier on it (detections labelled from the
   annotations) with 3-fold cross-validation grouped by recording.
3. Write rfclassify/models/default.rfcm (arrays and JSON, no pickle; unsigned: the model inside the
   package is trusted as the package's code is).

The datasets go to datasets/train-seed1-*/ and train-seed2-*/ (ignored by git; reused while the
synthesizer's code is unchanged).
Evaluation uses other seeds (scripts/bench_accuracy.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SEED = 1
SNR_DB = (-5.0, 25.0)
DRONEID_S = 1.3  # two or three DroneID bursts (600 ms period) per recording
#: Wall times of the last run (synthesis; feature extraction + training), read by scripts/bench.py.
TIMES = ROOT / "datasets" / "make-model-times.json"


def training_sets(per_class: int, duration_s: float, jobs: int, data: Path | None = None) -> tuple[Path, Path, Path]:
    """The three training sets of the shipped model (synthesized unless cached): class recordings, DroneID, more modes.

    ``data`` overrides the class recordings' folder (the others go beside it). The feature cache of
    all three is ``data / ".features"``.
    """
    from rfclassify.signatures import REGISTRY
    from rfclassify.synth.dataset import DRONEID

    sys.path.insert(0, str(ROOT / "scripts"))
    from datasets_cache import dataset_dir, ensure_dataset

    data = data or dataset_dir(f"train-seed{TRAIN_SEED}-{per_class}x{duration_s:g}s")
    ensure_dataset(data, per_class=per_class, snr_db_range=SNR_DB, receivers="both",
                   duration_s=duration_s, seed=TRAIN_SEED, jobs=jobs, clutter_probability=0.3)
    # DroneID bursts on the watched channel (see rfclassify.synth.dataset.droneid_scene): 0.5 s class
    # recordings hold almost none, and DroneID is what a DJI drone shows most plainly.
    droneid = data.with_name(dataset_dir(f"train-seed{TRAIN_SEED}-droneid-{per_class}x{DRONEID_S:g}s").name)
    ensure_dataset(droneid, classes=[DRONEID], per_class=per_class, snr_db_range=SNR_DB, receivers="both",
                   duration_s=DRONEID_S, seed=TRAIN_SEED, jobs=jobs, clutter_probability=0.3, mixed=0)
    # Classes whose builders draw among the most air modes get a second, independently seeded set.
    more_modes = [label for label, sig in REGISTRY.items() if sig.training_sets > 1]
    more = data.with_name(dataset_dir(f"train-seed{TRAIN_SEED + 1}-{'+'.join(more_modes)}-"
                                      f"{per_class}x{duration_s:g}s").name)
    ensure_dataset(more, classes=list(more_modes), per_class=per_class, snr_db_range=SNR_DB, receivers="both",
                   duration_s=duration_s, seed=TRAIN_SEED + 1, jobs=jobs, clutter_probability=0.3, mixed=0)
    return data, droneid, more


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=24, help="recordings per class and receiver")
    parser.add_argument("--duration", type=float, default=0.5, help="seconds per recording")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "rfclassify" / "models" / "default.rfcm"))
    parser.add_argument("--data", default=None, help="dataset folder (default datasets/train-seed1-N)")
    args = parser.parse_args()

    from rfclassify.classify.training import train
    from rfclassify.signatures import REGISTRY
    from rfclassify.synth.dataset import code_fingerprint

    data = Path(args.data) if args.data else None
    t0 = time.time()
    data, droneid, more = training_sets(args.per_class, args.duration, args.jobs, data)
    more_modes = [label for label, sig in REGISTRY.items() if sig.training_sets > 1]
    t_synth = time.time() - t0
    t1 = time.time()
    side = train(
        [data, droneid, more], args.out, jobs=args.jobs, cv_folds=3, random_state=0, cache_dir=data / ".features",
        sign=False,
        extra_meta={
            "recipe": {
                "command": "make model",
                "synth": {"seed": TRAIN_SEED, "per_class": args.per_class, "duration_s": args.duration,
                          "snr_db": list(SNR_DB), "receivers": "both", "clutter_probability": 0.3,
                          "droneid": {"per_class": args.per_class, "duration_s": DRONEID_S},
                          "more_modes": {"classes": list(more_modes), "seed": TRAIN_SEED + 1,
                                         "per_class": args.per_class, "duration_s": args.duration}},
                "synth_seconds": round(t_synth, 1),
                "synth_code": code_fingerprint(),
            },
        },
    )
    t_train = time.time() - t1
    size_mb = Path(args.out).stat().st_size / 1e6
    # The training time stays out of the model's metadata (a rerun on the cached datasets reproduces it byte for
    # byte); `make bench` reports it from here.
    TIMES.parent.mkdir(parents=True, exist_ok=True)
    TIMES.write_text(json.dumps({
        "model": Path(args.out).name, "sha256": side["sha256"], "jobs": args.jobs, "synth_s": round(t_synth, 1),
        "features_train_s": round(t_train, 1), "bursts": side["training_data"]["bursts"],
        "utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }, indent=1) + "\n")
    print(f"model: {args.out} ({size_mb:.2f} MB), {side['training_data']['bursts']} bursts, "
          f"synth {t_synth:.0f} s, features+train {t_train:.0f} s")
    print(f"cross-validation: {side['cross_validation']}")
    # The README's label table lists what the model knows: rewrite it from the registry it was trained on.
    import readme_labels

    readme_labels.main_rewrite()
    return 0


if __name__ == "__main__":
    sys.exit(main())
