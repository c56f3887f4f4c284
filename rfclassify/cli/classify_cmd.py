"""``rfclassify classify``: name the drone links (and everything else) in recordings."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from rfclassify.cli.array_options import array_options
from rfclassify.cli.interrupt import UntilStopped, stop_on_first_interrupt
from rfclassify.cli.options import (
    DURATION,
    declared_options,
    model_options,
    output_format_option,
    source_options,
)
from rfclassify.errors import InputError
from rfclassify.node.options import NodeOptions
from rfclassify.options.array import ASSUME_CALIBRATED
from rfclassify.options.declare import named

#: An unknown emitter of at most this many bursts whose band reaches the outer part of the window is a
#: packet cut by the receiver's band edge: the table folds such rows into one line (jsonl keeps them).
EDGE_FRAGMENT_BURSTS = 2
#: The outer share of the window (each side) counted as its edge.
EDGE_FRACTION = 0.05


def _at_window_edge(record: dict, center_hz: float | None, rate_hz: float) -> bool:
    """True for an unknown emitter of few bursts whose band touches the edge of the receiver's window."""
    if record["label"] != "unknown" or record.get("bursts", 1) > EDGE_FRAGMENT_BURSTS:
        return False
    offset_hz = abs(record["freq_hz"] - (center_hz or 0.0)) + record["bandwidth_hz"] / 2
    return offset_hz >= (0.5 - EDGE_FRACTION) * rate_hz


def _table(records: list[dict], center_hz: float | None = None, rate_hz: float | None = None) -> str:
    """The records as a table for people; edge fragments folded into a footnote when the window is known."""
    edge = [r for r in records if rate_hz and _at_window_edge(r, center_hz, rate_hz)]
    # Every column after the first starts with a space, so a value wider than its column still stands apart.
    head = (f"{'label':<13} {'drone':<6} {'link':<9} {'conf':>5} {'t_start':>8} {'t_end':>8} {'freq MHz':>11}"
            f" {'bw kHz':>8} {'SNR':>5} {'bursts':>6}  models")
    lines = [head, "-" * len(head)]
    for r in records:
        if any(r is e for e in edge):
            continue
        models = ", ".join(r["models"][:3]) + (" …" if len(r["models"]) > 3 else "")
        if r["label"] == "unknown" and r.get("reason"):
            models = f"(why unknown: {r['reason']})"
        lines.append(
            f"{r['label']:<13} {'yes' if r['drone'] else 'no':<6} {r['link']:<9} {r['confidence']:>5.2f}"
            f" {r['t_start_s']:>8.3f} {r['t_end_s']:>8.3f} {r['freq_hz'] / 1e6:>11.4f} {r['bandwidth_hz'] / 1e3:>8.1f}"
            f" {r['snr_db']:>5.1f} {r['bursts']:>6}  {models}"
        )
        if r.get("droneid") is not None:
            lines.append(f"  {_droneid_line(r)}")
    if edge:
        where = ", ".join(sorted({f"{r['freq_hz'] / 1e6:.3f}" for r in edge}))
        lines.append(f"+ {len(edge)} unknown fragment(s) at the window's edge ({where} MHz): packets cut by the "
                     "receiver's band edge cannot be named; -F jsonl lists them")
    return "\n".join(lines)


def _position(lat: float | None, lon: float | None) -> str:
    return "?" if lat is None or lon is None else f"{lat:.6f}, {lon:.6f}"


def _droneid_line(r: dict) -> str:
    """One line for people about a record's DroneID frame."""
    d = r["droneid"]
    parts = [f"DroneID {d['serial']} ({d['device_type'] or 'type ?'})"]
    if r.get("report_positions") == "redact":
        parts.append("positions redacted")
    else:
        if d.get("drone_lat") is not None:
            parts.append(f"drone {_position(d['drone_lat'], d['drone_lon'])}, {d['height_m']} m above take-off")
        if "operator_lat" in r:
            parts.append(f"pilot {_position(r['operator_lat'], r['operator_lon'])}")
    parts.append(f"{r['droneid_frames']} frame(s), {r['droneid_crc_failures']} bad CRC")
    return "; ".join(parts)


@click.command(
    "classify",
    epilog=(
        "\b\nOutput (jsonl): one object per emitter with keys source, label, drone, link,\n"
        "confidence (0-1, accumulated over the emitter's bursts), t_start_s, t_end_s, freq_hz,\n"
        "freq_known, bandwidth_hz, snr_db, bursts, channels, models, bearing_deg, bearing_std_deg, reason.\n"
        "A dji-ocusync record also has droneid (the latest CRC-valid DroneID frame: serial,\n"
        "device_type, positions, altitude, velocity, sequence, GPS time), droneid_frames,\n"
        "droneid_crc_failures and, when the frame gives it, operator_lat/operator_lon (the pilot).\n"
        "'unknown' means the signal fits no known class well enough: it is never forced into one;\n"
        "its reason says why, candidate/candidate_confidence what it leans to.\n"
        "\b\nA multi-channel (coherent array) recording also gets bearing_deg/bearing_std_deg per\n"
        "emitter; give the geometry (--array/--elements/--radius/--spacing/--positions) unless the\n"
        "recording's metadata has it, and --calibration (or --assume-calibrated): every record says\n"
        "bearing_calibrated (see 'rfclassify bearing --help')."
    ),
)
@click.argument("sources", nargs=-1, required=True)
@source_options
@model_options
@output_format_option(("jsonl", "table"), "jsonl", "What to print: jsonl (one JSON object per line, for "
                      "machines) or table (for people).")
@click.option("--duration", type=DURATION, default=None,
              help="Classify only the first DURATION of each source (e.g. 30s, 5min) (default: all of a "
              "recording; a live source runs until Ctrl-C). Ctrl-C once reports what was found so far.")
@click.option("--per-burst", is_flag=True, help="One record per burst instead of per emitter.")
@click.option("--drones-only", is_flag=True, help="Only report drone links.")
@click.option("--include-noise", is_flag=True, help="Also report detections classified as receiver noise.")
@declared_options(*named(NodeOptions, "report_positions"))
@array_options
@click.option("--calibration", type=click.Path(dir_okay=False), default=None,
              help="Array calibration file from 'rfclassify calibrate' (multi-channel sources; default: none).")
@declared_options(ASSUME_CALIBRATED)
def command(sources, fmt, rate, freq, model_path, allow_unsigned_model, output_format, duration, per_burst,
            drones_only, include_noise, report_positions, geometry, calibration, assume_calibrated) -> None:
    """Classify the emitters in one or more recordings.

    \b
    Examples:
      rfclassify classify scene.sigmf-meta
      rfclassify classify g001_915M_2400k.cu8 -F table
      rfclassify classify capture.bin --format cu8 --rate 2.4M --freq 915M --drones-only
      rfclassify classify rec.sigmf-meta --per-burst | jq .label
      rfclassify classify rtl_tcp://127.0.0.1:1234 --freq 915M --duration 1min -F table
    """
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.recordings import classify_records
    from rfclassify.sources import is_live_spec, open_source

    if duration is not None and not duration > 0:
        raise InputError("--duration", "must be positive")
    classifier: Classifier | None = None
    for spec in sources:
        if classifier is None and is_live_spec(spec):  # before connecting: samples would pile up meanwhile
            classifier = Classifier.load(model_path, allow_unsigned=allow_unsigned_model or None)
        with open_source(spec, format=fmt, sample_rate_hz=rate, center_freq_hz=freq) as source:
            if classifier is None:  # a recording: loaded once it opens, so a bad input is reported at once
                classifier = Classifier.load(model_path, allow_unsigned=allow_unsigned_model or None)
            view = UntilStopped(source, duration)
            total = view.num_samples or 0
            show = total > 20 * source.info.sample_rate_hz
            # The bar goes to stderr: stdout carries only the JSON lines (or the table).
            bar_context = click.progressbar(length=total, label=Path(spec).name, file=sys.stderr) if show else nullcontext()
            with bar_context as bar, stop_on_first_interrupt(view):
                records = classify_records(
                    view, classifier, source_name=spec, per_burst=per_burst, include_noise=include_noise,
                    drones_only=drones_only, geometry=geometry, calibration=calibration,
                    assume_calibrated=assume_calibrated, report_positions=report_positions,
                    progress=bar.update if bar is not None else None,
                )
        if output_format == "table":
            click.echo(f"# {spec}: {len(records)} {'burst' if per_burst else 'emitter'}(s)")
            info = source.info
            click.echo(_table(records, info.center_freq_hz, None if per_burst else info.sample_rate_hz))
        else:
            for record in records:
                click.echo(json.dumps(record))
        if view.stopped:
            sys.exit(130)  # interrupted: what was found is out, the remaining sources are not read
