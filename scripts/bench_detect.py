"""Throughput of detection + features on 10 s of 2.4 MS/s noise with bursts, on one core.

Usage: python scripts/bench_detect.py [--seconds 10] [--rate 2.4e6] [--block 262144]
Prints one JSON line: samples/s of detection alone and of detection + features,
the real-time factor of each, and the number of bursts.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import time

import numpy as np

from rfclassify.detect.burst_detector import BurstDetector
from rfclassify.dsp.modulation import gfsk, lora_chirps
from rfclassify.features import BurstFeatures
from rfclassify.sources.base import Block


def scene(seconds: float, fs_hz: float, seed: int = 0) -> np.ndarray:
    """Unit-density noise with a DC spike, LoRa SF7 bursts every 20 ms, GFSK bursts and OOK packets."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs_hz)
    x = (np.sqrt(0.5) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)
    x += np.complex64(0.03)
    chirp = lora_chirps(rng.integers(0, 128, 18), 7, 500e3, fs_hz)
    fsk = gfsk(rng.integers(0, 2, 300), 250e3, 150e3, fs_hz)
    ook = np.repeat(rng.integers(0, 2, 60), int(0.4e-3 * fs_hz)).astype(np.complex64)
    for t in np.arange(0.005, seconds - 0.05, 0.02):
        for sig, bw, f in ((chirp, 500e3, rng.uniform(-0.8e6, 0.8e6)), (fsk, 600e3, -0.5e6), (ook, 20e3, 0.7e6)):
            if sig is not chirp and rng.random() < 0.7:
                continue
            i = int((t + rng.uniform(0, 0.01)) * fs_hz)
            amp = np.sqrt(10 ** (rng.uniform(0, 20) / 10) * bw / fs_hz)
            m = min(len(sig), n - i)
            x[i : i + m] += (amp * sig[:m] * np.exp(2j * np.pi * f * np.arange(m) / fs_hz)).astype(np.complex64)
    return x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=2.4e6)
    ap.add_argument("--block", type=int, default=1 << 18)
    args = ap.parse_args()
    x = scene(args.seconds, args.rate)
    blocks = [Block(x[i : i + args.block], args.rate, 915e6, i) for i in range(0, len(x), args.block)]
    t0 = time.process_time()
    det = BurstDetector()
    bursts = []
    for b in blocks:
        bursts += det.process(b)
    bursts += det.flush()
    t1 = time.process_time()
    feats = BurstFeatures().fit(bursts).transform(bursts)
    t2 = time.process_time()
    n = len(x)
    out = {
        "seconds": args.seconds,
        "rate_hz": args.rate,
        "bursts": len(bursts),
        "detect_msps": round(n / (t1 - t0) / 1e6, 2),
        "detect_features_msps": round(n / (t2 - t0) / 1e6, 2),
        "realtime_factor": round(n / (t2 - t0) / args.rate, 2),
        "features_ms_per_burst": round(1e3 * (t2 - t1) / max(1, len(bursts)), 3),
        "feature_shape": list(feats.shape),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
