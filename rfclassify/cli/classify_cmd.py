"""``rfclassify classify``: name the drone links (and everything else) in recordings."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from rfclassify.bearing.cli_options import array_options
from rfclassify.cli.options import FREQ, SOURCE_FORMATS
from rfclassify.errors import InputError


def _table(records: list[dict]) -> str:
    head = f"{'label':<14}{'drone':<7}{'link':<10}{'conf':>6}{'t_start':>9}{'t_end':>9}{'freq MHz':>12}{'bw kHz':>9}{'SNR':>6}{'bursts':>7}  models"
    lines = [head, "-" * len(head)]
    for r in records:
        models = ", ".join(r["models"][:3]) + (" …" if len(r["models"]) > 3 else "")
        lines.append(
            f"{r['label']:<14}{'yes' if r['drone'] else 'no':<7}{r['link']:<10}{r['confidence']:>6.2f}"
            f"{r['t_start_s']:>9.3f}{r['t_end_s']:>9.3f}{r['freq_hz'] / 1e6:>12.4f}{r['bandwidth_hz'] / 1e3:>9.1f}"
            f"{r['snr_db']:>6.1f}{r['bursts']:>7}  {models}"
        )
    return "\n".join(lines)


@click.command(
    "classify",
    epilog=(
        "\b\nExamples:\n"
        "  rfclassify classify scene.sigmf-meta\n"
        "  rfclassify classify g001_915M_2400k.cu8 --format table\n"
        "  rfclassify classify capture.bin --format cu8 --rate 2.4M --freq 915M --drones-only\n"
        "  rfclassify classify rec.sigmf-meta --per-burst | jq .label\n"
        "\b\nOutput (jsonl): one object per emitter with keys source, label, drone, link,\n"
        "confidence (0-1, accumulated over the emitter's bursts), t_start_s, t_end_s, freq_hz,\n"
        "freq_known, bandwidth_hz, snr_db, bursts, channels, models, bearing_deg, bearing_std_deg, reason.\n"
        "'unknown' means the signal fits no known class well enough: it is never forced into one;\n"
        "its reason says why, candidate/candidate_confidence what it leans to.\n"
        "\b\nA multi-channel (coherent array) recording also gets bearing_deg/bearing_std_deg per\n"
        "emitter; give the geometry (--array/--elements/--radius/--spacing/--positions) unless the\n"
        "recording's metadata has it (see 'rfclassify bearing --help')."
    ),
)
@click.argument("sources", nargs=-1, required=True)
@click.option("--rate", type=FREQ, default=None, help="Sample rate (e.g. 2400k); overrides the file's.")
@click.option("--freq", type=FREQ, default=None, help="Centre frequency (e.g. 915M); overrides the file's.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="Model file (default: the shipped models/default.joblib). Verified by SHA-256 before loading.")
@click.option("--format", "formats", type=click.Choice(["jsonl", "table", *SOURCE_FORMATS]), multiple=True,
              help="Output format: jsonl (default, for machines) or table (for people); or the sample format "
              "of a raw input whose extension does not say it (cu8|cs8|cs16|cf32). Give it twice for both.")
@click.option("--per-burst", is_flag=True, help="One record per burst instead of per emitter.")
@click.option("--drones-only", is_flag=True, help="Only report drone links.")
@click.option("--include-noise", is_flag=True, help="Also report detections classified as receiver noise.")
@array_options
@click.option("--calibration", type=click.Path(dir_okay=False), default=None,
              help="Array calibration file from 'rfclassify calibrate' (multi-channel sources).")
def command(sources, rate, freq, model_path, formats, per_burst, drones_only, include_noise, geometry,
            calibration) -> None:
    """Classify the emitters in one or more recordings."""
    from rfclassify.classify.pipeline import Classifier, classify_source
    from rfclassify.sources import open_source

    out_formats = [f for f in formats if f in ("jsonl", "table")]
    sample_formats = [f for f in formats if f in SOURCE_FORMATS]
    if len(out_formats) > 1 or len(sample_formats) > 1:
        raise InputError("--format", "give at most one output format and one sample format")
    out_format = out_formats[0] if out_formats else "jsonl"
    fmt = sample_formats[0] if sample_formats else None
    classifier = Classifier.load(model_path)
    for spec in sources:
        with open_source(spec, format=fmt, rate=rate, freq=freq) as source:
            total = source.info.num_samples or 0
            show = total > 20 * source.info.sample_rate_hz
            # The bar goes to stderr: stdout carries only the JSON lines (or the table).
            bar_context = click.progressbar(length=total, label=Path(spec).name, file=sys.stderr) if show else nullcontext()
            with bar_context as bar:
                records = classify_source(
                    source, classifier, source_name=spec, per_burst=per_burst,
                    include_noise=include_noise, progress=bar.update if bar is not None else None,
                )
            if source.info.num_channels > 1 and not per_burst:
                from rfclassify.bearing.calibration import Calibration
                from rfclassify.classify.bearings import attach_bearings

                cal = Calibration.load(calibration) if calibration else None
                attach_bearings(records, source, geometry, calibration=cal)
        if drones_only:
            records = [r for r in records if r["drone"]]
        if out_format == "table":
            click.echo(f"# {spec}: {len(records)} {'burst' if per_burst else 'emitter'}(s)")
            click.echo(_table(records))
        else:
            for record in records:
                click.echo(json.dumps(record))
