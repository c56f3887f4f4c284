"""``rfclassify bearing SOURCE``: each emitter's bearing from a coherent array or a rotating antenna.

Prints one JSON object per emitter with the keys of ``classify``
(``bearing_deg`` and ``bearing_std_deg`` filled) plus ``bearing_method``,
``bearing_confidence``, ``bearing_ambiguity``, ``bearing_mirror_deg`` and
``bearing_sources``; see :mod:`rfclassify.classify.bearings`. A multi-channel recording needs
``--calibration`` (or ``--assume-calibrated``): its records say ``bearing_calibrated``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click

from rfclassify.bearing.doa import METHODS
from rfclassify.bearing.emitters import BearingWarning
from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.rotating import PATTERNS
from rfclassify.classify.bearings import DEFAULT_MAX_DURATION_S, bearings_for_source
from rfclassify.cli.array_options import array_options
from rfclassify.cli.options import DURATION, declared_options, source_options
from rfclassify.errors import InputError
from rfclassify.options.array import ASSUME_CALIBRATED
from rfclassify.sources import is_live_spec, open_source

_IMAGE_SUFFIXES = {".png", ".svg", ".pdf", ".jpg", ".jpeg"}


def _label_fn(model_path: str | None):
    """The classifier's label function, or None (emitters stay 'unknown') with --model none."""
    if model_path is not None and model_path.lower() == "none":
        return None
    from rfclassify.classify.bearings import make_label_fn
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.errors import ModelError

    try:
        return make_label_fn(Classifier.load(model_path))
    except ModelError as exc:
        if model_path is not None:
            raise  # a model the user named must load
        click.echo(f"rfclassify: warning: emitters stay 'unknown': {exc}", err=True)
        return None


def check_plot_path(path: str) -> None:
    """Refuse a plot path that is not an image file name (never overwrite a recording)."""
    if Path(path).suffix.lower() not in _IMAGE_SUFFIXES:
        raise InputError(path, f"--plot needs an image file name ({', '.join(sorted(_IMAGE_SUFFIXES))})")


@click.command("bearing")
@click.argument("source")
@source_options
@array_options
@click.option("--method", type=click.Choice(METHODS), default="music", show_default=True, help="DOA estimator.")
@click.option("--calibration", type=click.Path(dir_okay=False), default=None,
              help="Calibration file from 'rfclassify calibrate' (needed for a multi-channel recording).")
@declared_options(ASSUME_CALIBRATED)
@click.option("--beamwidth", type=float, default=None, metavar="DEG",
              help="Rotating antenna: half-power beamwidth in degrees (one-channel recordings).")
@click.option("--pattern", type=click.Choice(PATTERNS), default="gaussian", show_default=True,
              help="Rotating antenna: main-lobe model.")
@click.option("--azimuths", type=click.Path(dir_okay=False), default=None, metavar="CSV",
              help="Rotating antenna: time_s,azimuth_deg file (else captures' rfclassify:azimuth_deg).")
@click.option("--max-duration", type=DURATION, default=DEFAULT_MAX_DURATION_S, show_default=True,
              help="Use at most this much of the recording.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Write a polar DOA plot (PNG).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="Classifier naming each emitter (default: the shipped model; 'none' to skip).")
def command(
    source: str,
    fmt: str | None,
    rate: float | None,
    freq: float | None,
    geometry: ArrayGeometry | None,
    method: str,
    calibration: str | None,
    assume_calibrated: bool,
    beamwidth: float | None,
    pattern: str,
    azimuths: str | None,
    max_duration: float,
    plot: str | None,
    model_path: str | None = None,
) -> None:
    """Bearing of every emitter in SOURCE, one JSON line each.

    \b
    Coherent array (multi-channel SigMF, e.g. a KrakenSDR recording):
      rfclassify calibrate noise.sigmf-meta -o cal.json
      rfclassify bearing kraken.sigmf-meta --array uca --elements 5 --radius 0.11 --calibration cal.json
      rfclassify bearing rec.sigmf-meta --array ula --elements 4 --spacing 0.16 --method capon --assume-calibrated
      rfclassify bearing rec.sigmf-meta --positions "0,0;0.15,0;0.07,0.13" --calibration cal.json
    Rotating antenna (one channel, captures carry rfclassify:azimuth_deg):
      rfclassify bearing sweep.sigmf-meta --beamwidth 60

    Bearings are degrees counter-clockwise from the array's x-axis (element 0
    of a UCA sits on it), 0-360 for planar arrays, 0-180 for a ULA (which
    cannot tell a bearing from its mirror; the line says so). Without a
    calibration every receiver's own phase moves the bearings while their
    bearing_std_deg stays small: a multi-channel recording is refused unless
    --calibration is given, or --assume-calibrated states that the channels
    are phase-aligned already (bearing_calibrated says which, in every line).
    """
    from rfclassify.bearing.calibration import Calibration

    if is_live_spec(source):
        raise InputError(source, "bearing needs a recording; capture one first ('rfclassify capture')")
    if plot is not None:
        check_plot_path(plot)
    if beamwidth is not None and not 0 < beamwidth < 360:
        raise InputError("--beamwidth", f"must be between 0 and 360 degrees, got {beamwidth:g}")
    cal = Calibration.load(calibration) if calibration is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BearingWarning)
        with open_source(source, format=fmt, sample_rate_hz=rate, center_freq_hz=freq) as src:
            results = bearings_for_source(
                src, geometry, method, cal, assume_calibrated=assume_calibrated, beamwidth_deg=beamwidth, azimuth_csv=azimuths, pattern=pattern,
                max_duration_s=max_duration, label_fn=_label_fn(model_path),
            )
    for w in caught:
        if issubclass(w.category, BearingWarning):
            click.echo(f"rfclassify: warning: {w.message}", err=True)
    for res in results:
        click.echo(json.dumps(res.to_dict()))
    if plot is not None:
        from rfclassify.bearing.plot import plot_bearings

        plot_bearings(results, plot, title=Path(source).name)
