"""DroneID decode rate vs SNR: hard systematic bits vs the turbo decoder (issue 19).

Each trial synthesizes one flight-information burst with random field values
(:mod:`rfclassify.dsp.droneid_encode`) at 20 MS/s, a random carrier offset within
+-50 kHz of a channel 3 MHz off the capture centre, a random 3-tap multipath
channel (taps 0.2 us apart) and white noise at the given in-band SNR (signal power
over noise power inside the 9 MHz band), and runs the whole receiver on it
(:func:`rfclassify.dsp.droneid.decode_bursts`) twice: with the turbo decoder and
with hard decisions on the (soft-combined) systematic bits only, the NDSS
receiver's method. A frame counts as decoded when its CRC-24 checks and every
field equals what was sent. Also reported: the receiver's CPU time per frame
(synchronisation, demodulation and decoding) on one core.

Writes a Markdown table to stdout (the lead copies it into BENCHMARKS.md).

    python scripts/bench_droneid.py [--frames 100] [--snr=-4:30:2] [--seed 1]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy loads

import argparse
import sys
import time

import numpy as np

from rfclassify.dsp.droneid import DroneIDFrame, decode_bursts
from rfclassify.dsp.droneid_encode import FlightInfo, droneid_capture, flight_info_payload

RATE_HZ = 20e6


def random_info(rng: np.random.Generator) -> FlightInfo:
    """Flight information with every field drawn at random."""
    serial = "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"), 14))
    return FlightInfo(
        serial=serial,
        sequence=int(rng.integers(0, 65536)),
        drone_lat=float(rng.uniform(-80, 80)),
        drone_lon=float(rng.uniform(-179, 179)),
        altitude_m=float(rng.uniform(-50, 3000)),
        height_m=float(rng.uniform(0, 500)),
        v_north_mps=float(rng.uniform(-20, 20)),
        v_east_mps=float(rng.uniform(-20, 20)),
        v_up_mps=float(rng.uniform(-5, 5)),
        yaw_deg=float(rng.uniform(-180, 180)),
        gps_time_ms=int(rng.integers(1.6e12, 1.8e12)),
        pilot_lat=float(rng.uniform(-80, 80)),
        pilot_lon=float(rng.uniform(-179, 179)),
        home_lat=float(rng.uniform(-80, 80)),
        home_lon=float(rng.uniform(-179, 179)),
        device_type_code=int(rng.choice([58, 63, 66, 68])),
    )


def correct(frames: list[DroneIDFrame], payload: bytes) -> bool:
    """True if exactly the sent message came out with a valid CRC."""
    return any(f.crc_ok and f.raw == payload for f in frames)


def parse_range(text: str) -> np.ndarray:
    lo, hi, step = (float(v) for v in text.split(":"))
    return np.arange(lo, hi + step / 2, step)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=100, help="trials per SNR")
    parser.add_argument("--snr", default="-4:30:2", help="in-band SNR range lo:hi:step, dB")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        snrs = parse_range(args.snr)
    except ValueError:
        print(f"--snr {args.snr!r}: expected lo:hi:step in dB", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    rows = []
    cpu_turbo: list[float] = []
    for snr in snrs:
        ok_turbo = ok_sys = 0
        for _ in range(args.frames):
            payload = flight_info_payload(random_info(rng))
            taps = (1.0, *(rng.normal(size=2) + 1j * rng.normal(size=2)) * 0.25)
            capture = droneid_capture(
                payload, sample_rate_hz=RATE_HZ, offset_hz=3e6 + rng.uniform(-50e3, 50e3),
                snr_db=float(snr), taps=taps, tap_spacing_s=0.2e-6, rng=rng,
            )  # fmt: skip
            t0 = time.process_time()
            ok_turbo += correct(decode_bursts(capture, RATE_HZ), payload)
            cpu_turbo.append(time.process_time() - t0)
            ok_sys += correct(decode_bursts(capture, RATE_HZ, systematic_only=True), payload)
        rows.append((snr, ok_sys / args.frames, ok_turbo / args.frames))
    print(f"DroneID decode rate vs in-band SNR ({args.frames} frames per SNR, 20 MS/s, "
          "CFO +-50 kHz, 3-tap multipath)\n")  # fmt: skip
    print("| SNR (dB) | systematic bits only | turbo decoder |")
    print("|---:|---:|---:|")
    for snr, sys_rate, turbo_rate in rows:
        print(f"| {snr:.1f} | {100 * sys_rate:.0f} % | {100 * turbo_rate:.0f} % |")

    def threshold(col: int) -> float | None:
        good = [r[0] for r in rows if r[col] >= 0.99]
        # lowest SNR from which every higher SNR also reaches 99 %
        for snr in sorted(good):
            if all(r[col] >= 0.99 for r in rows if r[0] >= snr):
                return snr
        return None

    sys99, turbo99 = threshold(1), threshold(2)
    print(f"\n99 % reached at: systematic {sys99} dB, turbo {turbo99} dB", end="")
    if sys99 is not None and turbo99 is not None:
        print(f" (gain {sys99 - turbo99:.1f} dB)")
    else:
        print()
    cpu = np.array(cpu_turbo) * 1e3
    print(f"receiver CPU per capture (detect + sync + demod + turbo), one core: "
          f"median {np.median(cpu):.1f} ms, 95th percentile {np.percentile(cpu, 95):.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
