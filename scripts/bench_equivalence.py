"""Do two versions of the code detect and featurize alike? Detections and feature matrices of synthesized recordings.

Run once on the old code with ``--save``, once on the new with ``--compare``:

    python scripts/bench_equivalence.py --data /tmp/eq-seed5 --save /tmp/eq-old.npz      # old checkout
    python scripts/bench_equivalence.py --data /tmp/eq-seed5 --compare /tmp/eq-old.npz   # new checkout

The recordings (``--seed``, default 5: never a training seed) are synthesized
into ``--data`` the first time. For every recording, every detection
(``BurstDetector`` over blocks of the source, as ``classify`` runs it) and
every feature row (:class:`rfclassify.features.BurstFeatures` with each burst's
causal context) are kept. ``--compare`` reports detections that appear,
disappear or move (their time and frequency edges and SNR), and for the
detections found by both, the largest feature difference in float32 ulps of
the larger value, per feature. Exit status 1 if anything differs beyond
float32 rounding (4 ulps).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import sys
from pathlib import Path

import numpy as np

#: Detection columns saved per burst.
DET_FIELDS = ("sample_start", "sample_count", "f_lo_hz", "f_hi_hz", "snr_db", "peak_db")
#: Feature differences up to this many float32 ulps (of the larger magnitude) count as rounding.
ULPS_OK = 4


def recordings(data: Path, seed: int, per_class: int) -> list[Path]:
    """The ``*.sigmf-meta`` recordings of ``data``, synthesized there first if it is empty."""
    metas = sorted(data.glob("*.sigmf-meta"))
    if not metas:
        from rfclassify.synth.dataset import synthesize_dataset

        synthesize_dataset(data, per_class=per_class, seed=seed, receivers="both", duration_s=0.5, jobs=1,
                           mixed=per_class, progress=False)
        metas = sorted(data.glob("*.sigmf-meta"))
    return metas


def measure(meta: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(detections, features)`` of one recording: ``(n, len(DET_FIELDS))`` float64 and ``(n, features)`` float32."""
    from rfclassify.detect.burst_detector import BurstDetector
    from rfclassify.features import BurstFeatures
    from rfclassify.features.context import CausalContext
    from rfclassify.sources import open_source

    ctx = CausalContext()
    with open_source(str(meta)) as src:
        bursts = [ctx.annotate(b) for b in BurstDetector().run(src.blocks())]
    dets = np.array([[float(getattr(b.detection, f)) for f in DET_FIELDS] for b in bursts], dtype=np.float64)
    feats = BurstFeatures().fit([]).transform(bursts)
    return dets.reshape(len(bursts), len(DET_FIELDS)), feats


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a − b|`` in float32 ulps of the larger magnitude (0 where equal)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    scale = np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(np.float32)).astype(np.float64)
    return np.where(a64 == b64, 0.0, np.abs(a64 - b64) / scale)


def compare(old: dict[str, np.ndarray], new: dict[str, np.ndarray], names: tuple[str, ...]) -> int:
    """Print the differences; return the number of recordings that differ beyond rounding."""
    bad = 0
    worst = np.zeros(len(names))
    n_dets = n_moved = n_gone = n_new = 0
    for key in sorted(old):
        if not key.endswith("/det"):
            continue
        rec = key[:-4]
        d0, d1 = old[key], new[key]
        f0, f1 = old[rec + "/feat"], new[rec + "/feat"]
        n_dets += len(d0)
        k0 = {tuple(r[:2]): i for i, r in enumerate(d0)}
        k1 = {tuple(r[:2]): i for i, r in enumerate(d1)}
        gone, added = set(k0) - set(k1), set(k1) - set(k0)
        n_gone, n_new = n_gone + len(gone), n_new + len(added)
        both = sorted(set(k0) & set(k1))
        i0 = np.array([k0[k] for k in both], dtype=np.intp)
        i1 = np.array([k1[k] for k in both], dtype=np.intp)
        moved = ~np.all(ulps(d0[i0], d1[i1]) <= ULPS_OK, axis=1) if len(both) else np.zeros(0, bool)
        n_moved += int(moved.sum())
        u = ulps(f0[i0], f1[i1]) if len(both) else np.zeros((0, len(names)))
        if len(u):
            worst = np.maximum(worst, u.max(axis=0))
        if gone or added or moved.any() or (len(u) and u.max() > ULPS_OK):
            bad += 1
            print(f"{rec}: {len(gone)} detections gone, {len(added)} new, {int(moved.sum())} moved, "
                  f"largest feature difference {u.max() if len(u) else 0:.0f} ulps")
    print(f"{n_dets} detections in {sum(k.endswith('/det') for k in old)} recordings: {n_gone} gone, {n_new} new, "
          f"{n_moved} with other edges or SNR")
    for name, w in zip(names, worst):
        if w > 0:
            print(f"  {name}: up to {w:.1f} float32 ulps")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder of the synthesized recordings")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--per-class", type=int, default=2)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write this code's detections and features here (.npz)")
    mode.add_argument("--compare", type=Path, help="compare this code's with those saved here")
    args = ap.parse_args()
    from rfclassify.features import FEATURE_NAMES

    args.data.mkdir(parents=True, exist_ok=True)
    out: dict[str, np.ndarray] = {}
    for meta in recordings(args.data, args.seed, args.per_class):
        dets, feats = measure(meta)
        out[meta.stem + "/det"], out[meta.stem + "/feat"] = dets, feats
    if args.save:
        np.savez_compressed(args.save, **out)
        print(f"{len(out) // 2} recordings, {sum(len(v) for k, v in out.items() if k.endswith('/det'))} "
              f"detections saved to {args.save}")
        return 0
    if not args.compare.exists():
        print(f"{args.compare}: no such file", file=sys.stderr)
        return 2
    old = dict(np.load(args.compare))
    return 1 if compare(old, out, FEATURE_NAMES) else 0


if __name__ == "__main__":
    sys.exit(main())
