"""``rfclassify calibrate RECORDING -o cal.json``: per-channel gain, phase and delay of a coherent array."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.cli.array_options import array_options
from rfclassify.cli.options import DURATION, source_options
from rfclassify.errors import InputError
from rfclassify.sources import is_live_spec, open_source


@click.command("calibrate")
@click.argument("recording")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Calibration file to write (JSON).")
@source_options
@array_options
@click.option("--known-azimuth", type=float, default=None, metavar="DEG",
              help="The recording holds one source at this bearing (else: a common noise source on all inputs).")
@click.option("--max-lag", type=int, default=256, show_default=True, help="Largest channel delay searched, samples.")
@click.option("--max-duration", type=DURATION, default=2.0, show_default=True, help="Use at most this much.")
@click.option("--force", is_flag=True, help="Replace an existing calibration file.")
def command(
    recording: str,
    output: str,
    fmt: str | None,
    rate: float | None,
    freq: float | None,
    geometry: ArrayGeometry | None,
    known_azimuth: float | None,
    max_lag: int,
    max_duration: float,
    force: bool,
) -> None:
    """Estimate each channel's complex gain and sample delay against channel 0 and write them to OUTPUT.

    \b
    Record either a noise source split to every input (KrakenSDR's
    calibration mode), or one strong emitter at a bearing you know:
      rfclassify calibrate noise.sigmf-meta -o cal.json
      rfclassify calibrate beacon.sigmf-meta -o cal.json --known-azimuth 90 --array uca --elements 5 --radius 0.11
    then: rfclassify bearing rec.sigmf-meta --calibration cal.json
    Prints the calibration as one JSON line.
    """
    from rfclassify.classify.bearings import calibrate_source

    if is_live_spec(recording):
        raise InputError(recording, "calibrate needs a recording")
    out = Path(output)
    if out.suffix.lower() != ".json":
        raise InputError(output, "calibration file name must end in .json")
    if out.exists() and not force:
        raise InputError(output, "exists; use --force to replace it")
    with open_source(recording, format=fmt, sample_rate_hz=rate, center_freq_hz=freq) as src:
        cal = calibrate_source(src, geometry, known_azimuth, max_lag=max_lag, max_duration_s=max_duration)
    cal.save(out)
    click.echo(json.dumps(cal.to_dict()))
