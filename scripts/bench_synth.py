"""Benchmark: seconds to render a 1 s scene per label, on one core, as a markdown table.

Each scene is a class scene as datasets draw it (one emitter of the label at
SNR 15 dB, in view: :func:`rfclassify.synth.dataset.observed_scene`, no
clutter) observed by the RTL-SDR preset at 2.4 MS/s (``cu8``: noise, DC
spike, IQ imbalance, AGC, quantization);
``--wideband`` adds a column for the 20 MS/s ``ci8`` receiver. The figure is
the median of ``--repeat`` renders after one warm-up (filter design and
imports are cached per process, as in a dataset run).

    python scripts/bench_synth.py [--repeat 3] [--duration 1] [--wideband]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, before numpy loads

import argparse
import statistics
import time

import numpy as np

from rfclassify.signatures import labels
from rfclassify.synth import render
from rfclassify.synth.dataset import observed_scene


def time_render(label: str, receiver_kind: str, duration_s: float, repeat: int, seed: int = 0) -> tuple[float, int]:
    """Median seconds to render ``duration_s`` of ``label`` at ``receiver_kind``, and the annotation count."""
    scene, _ = observed_scene(label, receiver_kind, duration_s, (15.0, 15.0), np.random.default_rng(seed))
    render(scene, np.random.default_rng(seed), keep_components=False)  # warm-up
    times, count = [], 0
    for i in range(repeat):
        t0 = time.perf_counter()
        rendered = render(scene, np.random.default_rng(seed + 1 + i), keep_components=False)
        times.append(time.perf_counter() - t0)
        count = len(rendered.annotations)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--wideband", action="store_true", help="also time the 20 MS/s ci8 receiver")
    args = parser.parse_args()
    header = f"| label | {args.duration:g} s at 2.4 MS/s cu8 (s) | bursts seen |"
    rule = "|---|---:|---:|"
    if args.wideband:
        header += f" {args.duration:g} s at 20 MS/s ci8 (s) | bursts seen |"
        rule += "---:|---:|"
    print(header)
    print(rule)
    for label in labels():
        seconds, count = time_render(label, "rtlsdr", args.duration, args.repeat)
        row = f"| `{label}` | {seconds:.3f} | {count} |"
        if args.wideband:
            wb_seconds, wb_count = time_render(label, "wideband", args.duration, args.repeat)
            row += f" {wb_seconds:.3f} | {wb_count} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
