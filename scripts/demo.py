#!/usr/bin/env python3
"""The README's `make demo`: synthesize a short mixed scene, show it, classify it — no hardware.

An RTL-SDR (2.4 MS/s, cu8) tuned to 915 MHz hears an ExpressLRS 900 MHz
control link (a drone) and a 915 MHz ISM sensor.
The demo writes the scene as SigMF, then runs the same commands a user would:
``rfclassify info``, ``rfclassify spectrogram`` and ``rfclassify classify``
with the shipped default model.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.synth.receiver import rtlsdr
from rfclassify.synth.scene import EmitterSpec, Scene, render

SEED = 2026


def make_scene(out: Path) -> Path:
    """Write the demo scene (2 s at 2.4 MS/s, fixed seed) and return its .sigmf-meta path."""
    meta = out / "demo_915M_2400k.sigmf-meta"
    if meta.exists():
        return meta
    receiver = rtlsdr(915.0e6, 2.4e6)
    scene = Scene(
        [
            EmitterSpec("elrs-900", snr_db=12.0, band="FCC915", emitter_id="drone-1", params={"rate_hz": 200}),
            EmitterSpec("ook-ism", snr_db=20.0, band="915", emitter_id="sensor-1"),
        ],
        receiver,
        duration_s=2.0,
    )
    rendered = render(scene, np.random.default_rng(SEED), keep_components=False)
    return write_sigmf(
        meta,
        rendered.samples,
        datatype="cu8",
        sample_rate_hz=receiver.sample_rate_hz,
        center_freq_hz=receiver.center_freq_hz,
        annotations=rendered.annotations,
        description="rfclassify demo: ELRS 900 control link + ISM sensor, RTL-SDR at 915 MHz",
    )


def run(*args: str) -> None:
    """Run an rfclassify command as a user would, echoing it first."""
    cmd = [sys.executable, "-m", "rfclassify.cli.main", *args]
    print(f"\n$ rfclassify {shlex.join(args)}", flush=True)
    done = subprocess.run(cmd, check=False)
    if done.returncode:
        raise SystemExit(done.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo", help="output folder (default: demo)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = make_scene(out)
    print(f"scene written: {meta}")
    run("info", str(meta))
    png = out / "demo_spectrogram.png"
    if png.exists():
        png.unlink()  # our own output from a previous demo run, not a recording
    run("spectrogram", str(meta), "-o", str(png), "--classify")
    run("classify", str(meta), "--format", "table")
    print(f"\nspectrogram: {png}   (dashed: the annotations in {meta.name}; solid: what was found, "
          "#k: the table's row k)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
