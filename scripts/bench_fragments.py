"""Fragmentation of detections against ground truth: how many detections does one annotated burst become?

Usage: python scripts/bench_fragments.py [RECORDINGS ...] [--jobs 2] [--by-snr] [--json OUT]

Over SigMF recordings with synthesizer annotations (default: every
``datasets/test-seed101-3x0.5s/*.sigmf-meta``), runs the streaming detector
and reports per annotated label and receiver:

- ``bursts``: annotated bursts;
- ``dets``: detections matched to them (each detection takes the annotation
  :func:`rfclassify.classify.labels.match_annotation` gives it);
- ``per_burst_med`` / ``per_burst_p90``: matched detections per annotated
  burst (1 is ideal; a long emission cut in ≤ 0.25 s segments gives a few);
- ``recall``: share of annotated bursts overlapped in time and frequency by
  at least one detection;
- ``merged``: share of annotated bursts overlapped by a detection but
  matched by none (a detection of a neighbouring burst covers them: Wi-Fi
  packets a SIFS apart, or bursts merged that should not be);
- ``noise_per_s``: detections that match no annotation, per second of the
  recordings of that file class and receiver (``noise_*`` files are the
  false-alarm rate proper).

``--by-snr`` splits the rows by the annotation's SNR (−5…5, 5…15, 15…25 dB).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import glob
import json
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.classify.labels import EDGE_PAD_FRACTION, match_annotation
from rfclassify.detect.burst_detector import BurstDetector
from rfclassify.sources import open_source

DEFAULT_GLOB = "datasets/test-seed101-3x0.5s/*.sigmf-meta"
SNR_BINS_DB = ((-99.0, 5.0, "<5dB"), (5.0, 15.0, "5-15dB"), (15.0, 99.0, ">15dB"))


def _snr_bin(snr_db: float | None) -> str:
    if snr_db is None:
        return "?"
    for lo, hi, name in SNR_BINS_DB:
        if lo <= snr_db < hi:
            return name
    return "?"


def one_file(meta_path: str) -> dict[str, Any]:
    """Detections of one recording, scored against its annotations (plain data, picklable)."""
    meta = json.loads(Path(meta_path).read_text())
    glob_ = meta["global"]
    fs = float(glob_["core:sample_rate"])
    receiver = str(glob_.get("rfclassify:receiver", {}).get("name", "?"))
    file_class = str(glob_.get("rfclassify:class", Path(meta_path).name.split("_")[0]))
    anns = [a for a in meta.get("annotations", []) if a.get("core:label")]
    t0 = time.process_time()
    bursts = BurstDetector(keep_iq=False).run(
        open_source(meta_path.replace(".sigmf-meta", ".sigmf-data"))
    )
    cpu_s = time.process_time() - t0
    dets = [b.detection for b in bursts]
    n_samples = Path(meta_path.replace(".sigmf-meta", ".sigmf-data")).stat().st_size
    n_samples //= {"ci8": 2, "cu8": 2, "ci16_le": 4, "cf32_le": 8}.get(glob_["core:datatype"], 2)
    matched = np.zeros(len(anns), dtype=int)
    hit = np.zeros(len(anns), dtype=bool)
    noise = 0
    ids = {id(a): k for k, a in enumerate(anns)}
    for d in dets:
        ann = match_annotation(d.t_start_s, d.t_end_s, d.f_lo_hz, d.f_hi_hz, anns, fs)
        if ann is None:
            noise += 1
        else:
            matched[ids[id(ann)]] += 1
    for k, a in enumerate(anns):
        a0 = a["core:sample_start"] / fs
        a1 = a0 + a["core:sample_count"] / fs
        lo, hi = a.get("core:freq_lower_edge"), a.get("core:freq_upper_edge")
        pad = 0.0 if lo is None else EDGE_PAD_FRACTION * (hi - lo)
        hit[k] = any(
            d.t_start_s < a1
            and d.t_end_s > a0
            and (lo is None or (d.f_lo_hz < hi + pad and d.f_hi_hz > lo - pad))
            for d in dets
        )
    return {
        "path": meta_path,
        "receiver": receiver,
        "file_class": file_class,
        "seconds": n_samples / fs,
        "cpu_s": cpu_s,
        "anns": [
            {
                "label": a["core:label"],
                "snr_db": a.get("rfclassify:snr_db"),
                "matched": int(matched[k]),
                "hit": bool(hit[k]),
            }
            for k, a in enumerate(anns)
        ],
        "noise": noise,
        "dets": len(dets),
    }


def table(results: list[dict[str, Any]], by_snr: bool) -> list[dict[str, Any]]:
    """Rows per (label, receiver[, SNR bin]) and a total row."""
    per: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    noise: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in results:
        for a in r["anns"]:
            key = (a["label"], r["receiver"]) + ((_snr_bin(a["snr_db"]),) if by_snr else ())
            per[key].append(a)
            per[("ALL", "all") + (("all",) if by_snr else ())].append(a)
        for k in ((r["file_class"], r["receiver"]), ("ALL", "all")):
            noise[k][0] += r["noise"]
            noise[k][1] += r["seconds"]
    for k in noise:  # noise-only files have no annotation: give them a row
        per.setdefault(k + (("all",) if by_snr else ()), [])
    rows = []
    for key in sorted(per, key=lambda k: (k[0] == "ALL", k)):
        anns = per[key]
        m = np.array([a["matched"] for a in anns]) if anns else np.zeros(0)
        n_s = noise.get((key[0], key[1]))
        rows.append(
            {
                "label": key[0],
                "receiver": key[1],
                **({"snr": key[2]} if by_snr else {}),
                "bursts": len(anns),
                "dets": int(m.sum()),
                "per_burst_med": float(np.median(m)) if len(m) else float("nan"),
                "per_burst_p90": float(np.percentile(m, 90)) if len(m) else float("nan"),
                "recall": float(np.mean([a["hit"] for a in anns])) if anns else float("nan"),
            "merged": float(np.mean([a["hit"] and not a["matched"] for a in anns])) if anns else float("nan"),
                "noise_per_s": (n_s[0] / n_s[1]) if n_s and n_s[1] else float("nan"),
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    fmt = {
        "per_burst_med": "{:.1f}",
        "per_burst_p90": "{:.1f}",
        "recall": "{:.2f}",
        "merged": "{:.2f}",
        "noise_per_s": "{:.1f}",
    }
    cells = [[fmt.get(c, "{}").format(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for x in cells:
        print("  ".join(v.rjust(w) for v, w in zip(x, widths)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "paths", nargs="*", help="SigMF .sigmf-meta files or folders (default: the test set)"
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--by-snr", action="store_true")
    ap.add_argument("--json", help="write the rows and per-file results here")
    args = ap.parse_args()
    paths: list[str] = []
    for p in args.paths or [DEFAULT_GLOB]:
        if os.path.isdir(p):
            paths += sorted(glob.glob(os.path.join(p, "*.sigmf-meta")))
        elif any(ch in p for ch in "*?["):
            paths += sorted(glob.glob(p))
        else:
            paths.append(p)
    t0 = time.time()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(one_file, paths))
    else:
        results = [one_file(p) for p in paths]
    rows = table(results, args.by_snr)
    print_table(rows)
    cpu = sum(r["cpu_s"] for r in results)
    sec = sum(r["seconds"] for r in results)
    print(
        f"# {len(paths)} recordings, {sec:.1f} s of signal, detection CPU {cpu:.1f} s, wall {time.time() - t0:.1f} s"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "files": results}, indent=1))


if __name__ == "__main__":
    main()
