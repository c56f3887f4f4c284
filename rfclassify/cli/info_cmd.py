"""``rfclassify info SOURCE [-F json]``: what a recording (or receiver) is, in one glance."""

from __future__ import annotations

import json
from typing import Any

import click

from rfclassify.classify.droneid import ANNOTATION_KEY
from rfclassify.cli.options import output_format_option, source_options
from rfclassify.sources import open_source
from rfclassify.sources.base import FileSource, Source

_MAX_LISTED = 20


def _fmt_hz(hz: float) -> str:
    return f"{hz / 1e6:.6f} MHz" if abs(hz) >= 1e6 else f"{hz / 1e3:.3f} kHz"


def _fmt_rate(hz: float) -> str:
    return f"{hz / 1e6:.6g} MS/s" if hz >= 1e6 else f"{hz / 1e3:.6g} kS/s"


def _annotation_line(i: int, ann: dict[str, Any], rate_hz: float) -> str:
    start = int(ann.get("core:sample_start", 0))
    parts = [f"  #{i:<3d} t={start / rate_hz:.6f} s"]
    if "core:sample_count" in ann:
        parts.append(f"for {int(ann['core:sample_count']) / rate_hz * 1e3:.3f} ms")
    lo, hi = ann.get("core:freq_lower_edge"), ann.get("core:freq_upper_edge")
    if lo is not None and hi is not None:
        parts.append(f"{float(lo) / 1e6:.3f}–{float(hi) / 1e6:.3f} MHz")
    label = ann.get("core:label") or ann.get("core:description")
    if label:
        parts.append(str(label))
    frame = ann.get(ANNOTATION_KEY)
    if isinstance(frame, dict):
        device = f" ({frame['device_type']})" if frame.get("device_type") else ""
        parts.append(f"DroneID {frame.get('serial') or '?'} seq {frame.get('sequence')}{device}")
    return "  ".join(parts)


def droneid_frames(anns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The decoded DroneID frames the annotations carry (``rfclassify:droneid``), each with its ``sample_start``."""
    return [
        {"sample_start": int(a.get("core:sample_start", 0)), **a[ANNOTATION_KEY]}
        for a in anns
        if isinstance(a.get(ANNOTATION_KEY), dict)
    ]


def describe(src: Source) -> str:
    """The human-readable table ``info`` prints."""
    info = src.info
    rows = [
        ("source", src.path),
        ("format", info.format),
        ("datatype", info.datatype),
        ("sample rate", _fmt_rate(info.sample_rate_hz)),
        ("centre frequency", _fmt_hz(info.center_freq_hz)),
        ("channels", str(info.num_channels)),
        ("samples", "streaming" if info.num_samples is None else f"{info.num_samples:,}"),
        ("duration", "—" if info.duration_s is None else f"{info.duration_s:.6g} s"),
        ("start (UTC)", info.datetime or "unknown"),
        ("annotations", str(info.annotation_count)),
    ]
    n_droneid = len(droneid_frames(src.annotations))
    if n_droneid:
        rows.append(("DroneID frames", str(n_droneid)))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    desc = src.metadata.get("core:description")
    if desc:
        lines.append(f"{'description':<{width}}  {desc}")
    if isinstance(src, FileSource) and len(src.captures) > 1:
        lines.append(f"captures ({len(src.captures)}):")
        for cap in src.captures[:_MAX_LISTED]:
            when = f"  {cap.datetime.isoformat()}" if cap.datetime else ""
            lines.append(f"  sample {cap.sample_start:>12,}  {_fmt_hz(cap.center_freq_hz)}{when}")
        if len(src.captures) > _MAX_LISTED:
            lines.append(f"  … {len(src.captures) - _MAX_LISTED} more")
    anns = src.annotations
    if anns:
        lines.append("annotations:")
        lines.extend(_annotation_line(i, a, info.sample_rate_hz) for i, a in enumerate(anns[:_MAX_LISTED]))
        if len(anns) > _MAX_LISTED:
            lines.append(f"  … {len(anns) - _MAX_LISTED} more")
    for problem in getattr(src, "problems", [])[:5]:
        lines.append(f"SigMF check: {problem}")
    return "\n".join(lines)


@click.command("info")
@click.argument("source")
@source_options
@output_format_option(
    ("text", "json"), "text", "What to print: text (for people) or json (one object with the documented keys)."
)
def command(source: str, fmt: str | None, rate: float | None, freq: float | None, output_format: str) -> None:
    """Show format, datatype, rate, centre frequency, length and annotations of SOURCE.

    JSON keys (-F json): format, datatype, sample_rate_hz, center_freq_hz,
    num_channels, num_samples, duration_s, datetime, annotation_count,
    droneid_frames (the decoded DroneID frames the annotations carry, as
    `watch --evidence` stores them, each with its sample_start).

    \b
    Examples:
      rfclassify info rec.sigmf-meta
      rfclassify info g001_915M_2400k.cu8 -F json
      rfclassify info capture.bin --format cs8 --rate 20M --freq 2.44G
    """
    with open_source(source, format=fmt, sample_rate_hz=rate, center_freq_hz=freq) as src:
        if output_format == "json":
            click.echo(json.dumps({**src.info.to_dict(), "droneid_frames": droneid_frames(src.annotations)}))
        else:
            click.echo(describe(src))
