#!/usr/bin/env python3
"""Convert a joblib model you trust (an older rfclassify's models/default.joblib) to the .rfcm format.

Unpickling runs whatever code the file holds: run this only on a file you
made yourself or got from someone you trust; rfclassify itself never loads
pickles. The old pipeline's column selection (a ColumnTransformer) becomes
:class:`rfclassify.features.columns.ModelColumns` after checking it selects
the same columns; the sidecar JSON (if any) becomes the model's metadata.
The converted model's decisions are compared with the pickled model's on
``--check`` synthesized recordings (labels equal, probabilities within 1e-9).

    python scripts/convert_model.py models/default.joblib rfclassify/models/default.rfcm
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _convert_pipeline(old: object) -> object:
    """The old pipeline with its ColumnTransformer replaced by an equivalent ModelColumns."""
    from sklearn.pipeline import Pipeline

    from rfclassify.features import FEATURE_NAMES
    from rfclassify.features.columns import ModelColumns

    steps = dict(old.named_steps)  # type: ignore[attr-defined]
    select = ModelColumns()
    probe = np.random.default_rng(0).normal(0, 1000, (64, len(FEATURE_NAMES))).astype(np.float32)
    probe[:, FEATURE_NAMES.index("rf_mhz")] = np.linspace(0, 8000, 64)
    if not np.array_equal(steps["select"].transform(probe), select.transform(probe)):
        raise SystemExit("the old column selection differs from ModelColumns(); not converting")
    return Pipeline([("features", steps["features"]), ("select", select), ("clf", steps["clf"])])


def _check(old: object, new_path: Path, recordings: int) -> None:
    """Compare open-set decisions of both models on synthesized recordings."""
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.stream import BurstStream
    from rfclassify.sources import open_source
    from rfclassify.synth.dataset import synthesize_dataset

    new = Classifier.load(new_path, allow_unsigned=True)
    classes = [c for c in new.classes if c != "noise"][:recordings] or new.classes
    with tempfile.TemporaryDirectory() as tmp:
        synthesize_dataset(Path(tmp), classes=classes, per_class=1, receivers="both", duration_s=0.5, seed=4242,
                           progress=False)
        bursts = 0
        for meta in sorted(Path(tmp).glob("*.sigmf-meta")):
            with open_source(str(meta)) as src:
                found = list(BurstStream().run(src.blocks()))
            if not found:
                continue
            # Small batches (a live node's; the old model walks compiled trees too) and whole recordings
            # (scikit-learn's own tree walk in the old model).
            for batch in [found[s:s + 8] for s in range(0, len(found), 8)] + [found]:
                a = old[-1].predict_open(old[:-1].transform(batch))  # type: ignore[index]
                b = new.model[-1].predict_open(new.features(batch))
                if not (np.array_equal(a.labels, b.labels) and np.array_equal(a.reasons, b.reasons)):
                    raise SystemExit(f"{meta.name}: decisions differ")
                diff = float(np.abs(a.proba - b.proba).max())
                if diff > 1e-9:
                    raise SystemExit(f"{meta.name}: probabilities differ by {diff:.2e}")
            bursts += len(found)
        print(f"check: {bursts} bursts of {len(list(Path(tmp).glob('*.sigmf-meta')))} recordings: same decisions")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("joblib", type=Path)
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "rfclassify" / "models" / "default.rfcm")
    parser.add_argument("--check", type=int, default=6, help="classes whose synthesized recordings are compared")
    args = parser.parse_args()

    import joblib

    import rfclassify.classify.pipeline as pipeline_module
    from rfclassify.classify.persistence import save_model
    from rfclassify.features.schema import band_code

    # The old pickle names the band function where it used to live; same function, new home.
    pipeline_module.band_code = band_code  # type: ignore[attr-defined]
    old = joblib.load(args.joblib)  # trusted by the person running this script (see the docstring)
    sidecar = args.joblib.with_suffix(".json")
    meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    for key in ("sha256", "model_file", "versions"):
        meta.pop(key, None)
    meta["converted_from"] = args.joblib.name
    saved = save_model(_convert_pipeline(old), args.out, meta)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, sha256 {saved['sha256'][:16]}…)")
    if args.check:
        _check(old, args.out, args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
