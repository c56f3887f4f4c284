"""``rfclassify watch``: run as a sensor node, streaming drone detections as JSON lines and MQTT."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from rfclassify.bearing.cli_options import array_options, geometry_from_options
from rfclassify.bearing.doa import METHODS
from rfclassify.cli.options import DURATION, FREQ, SIZE

#: The options @array_options turns into ``geometry``.
GEOMETRY_OPTIONS = ("array", "elements", "radius", "spacing", "positions")

EPILOG = """\b
Examples:
  # an RTL-SDR on the 915 MHz ELRS band, events on stdout
  rfclassify watch rtlsdr: --freq 915M --gain 30
\b
  # a remote rtl_tcp server, events to a file and an MQTT broker, evidence kept
  rfclassify watch rtl_tcp://10.0.0.5:1234 --freq 915M --sensor-id mast-3 \\
      --lat 51.501 --lon -0.142 --heading 90 \\
      --output events.jsonl --output mqtt://broker.local:1883/rfclassify \\
      --record-dir /var/lib/rfclassify/evidence --record-max 2G
\b
  # sweep the whole 902-928 MHz band with one 2.4 MS/s dongle, 0.5 s per centre
  rfclassify watch rtlsdr: --scan 902M:928M --dwell 0.5s
\b
  # replay a recording at its real pace (as a live node would see it)
  rfclassify watch capture.sigmf-meta --realtime
\b
  # a 5-element KrakenSDR-style array recording: events carry bearing_deg
  rfclassify watch kraken.sigmf-meta --array uca --elements 5 --radius 0.11 --calibration cal.json
\b
  # everything from a file (see scripts/node.example.toml)
  rfclassify watch --config /etc/rfclassify/node.toml
\b
Events (one JSON object per line): the keys of 'rfclassify classify' plus
event (start|update|end), time (UTC ISO 8601), sensor_id, center_freq_hz and
report_id. An emitter is reported once it is confirmed (accumulated confidence
>= --min-confidence over >= --min-bursts bursts); 'noise' is never reported,
'unknown' is reported with drone false. Heartbeats (event: heartbeat) every
--heartbeat: samples processed, dropped samples, noise floor, CPU %, queue depth.
On MQTT: events on TOPIC, heartbeats on TOPIC/heartbeat, a retained
online/offline on TOPIC/status (offline is also the broker's last will).
SIGINT/SIGTERM flush the outputs, close the files and exit 0.
\b
A multi-channel (coherent array) source also gets bearing_deg/bearing_std_deg
(and bearing_method, bearing_ambiguity, bearing_mirror_deg) on its start,
update and end events, estimated per emitter from its own recent bursts and
band; give the geometry (--array/--elements/--radius/--spacing/--positions)
unless the recording's metadata has it, as for 'rfclassify classify'.
"""


def _explicit(ctx: click.Context, name: str) -> bool:
    src = ctx.get_parameter_source(name)
    return src is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")


def _node_options(kw: dict[str, Any], policy: Any) -> Any:
    """The :class:`NodeOptions` of the command's (merged) options; ``ValueError`` if they do not fit."""
    from rfclassify.node.service import NodeOptions

    return NodeOptions(
        freq_hz=kw["freq"],
        rate_hz=kw["rate"],
        format=kw["fmt"],
        gain=kw["gain"],
        ppm=kw["ppm"],
        model=kw["model"],
        sensor_id=kw["sensor_id"],
        lat=kw["lat"],
        lon=kw["lon"],
        heading_deg=kw["heading"],
        scan=kw["scan"],
        dwell_s=kw["dwell"],
        heartbeat_s=kw["heartbeat"],
        record_dir=kw["record_dir"],
        record_max_bytes=kw["record_max"],
        realtime=kw["realtime"],
        policy=policy,
        geometry=kw["geometry"],
        bearing_method=kw["method"],
        calibration=kw["calibration"],
    )


@click.command(
    "watch",
    epilog=EPILOG,
    short_help="Run as a sensor node: live detections to JSON lines / MQTT.",
)
@click.argument("source", required=False)
@click.option("--freq", type=FREQ, default=None, help="Centre frequency (e.g. 915M); a live receiver needs it unless --scan.")
@click.option("--rate", type=FREQ, default=None, help="Sample rate (default 2.4M for live receivers).")
@click.option("--format", "fmt", type=click.Choice(("cu8", "cs8", "cs16", "cf32")), default=None,
              help="Sample format of a raw recording whose extension does not say it.")
@click.option("--gain", default=None, help="Tuner gain in dB, or 'auto' (default).")
@click.option("--ppm", type=int, default=0, show_default=True, help="Crystal correction of the dongle.")
@click.option("--model", default=None, type=click.Path(dir_okay=False),
              help="Model file (.rfcm; default: the shipped one). Others must be signed by a trusted key, "
              "or set RFCLASSIFY_ALLOW_UNSIGNED_MODEL=1.")
@click.option("--sensor-id", default=None, help="Name of this node in every event (default: the host name).")
@click.option("--lat", type=float, default=None, help="Node latitude (degrees, WGS84), added to events.")
@click.option("--lon", type=float, default=None, help="Node longitude (degrees, WGS84), added to events.")
@click.option("--heading", type=float, default=None, help="Node antenna heading (degrees from true north).")
@click.option("--scan", default=None, metavar="LO:HI|F1,F2,…",
              help="Scan a band (902M:928M) or a list of centres, dwelling --dwell on each.")
@click.option("--dwell", type=DURATION, default=0.5, show_default=True, help="Time per scan centre (e.g. 0.5s).")
@click.option("--output", "-o", "outputs", multiple=True, metavar="- | FILE.jsonl | mqtt://HOST:PORT/TOPIC",
              help="Where events go; repeatable (default: - = stdout).")
@click.option("--heartbeat", type=DURATION, default=10.0, show_default=True,
              help="Heartbeat interval (0 = none).")
@click.option("--record-dir", default=None, type=click.Path(file_okay=False),
              help="Write a SigMF evidence snippet per confirmed drone emitter here.")
@click.option("--record-max", type=SIZE, default="2G", show_default=True,
              help="Disk budget of --record-dir; the oldest evidence is deleted first.")
@click.option("--realtime", is_flag=True, help="Pace a recording at its sample rate (default: as fast as possible).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Accumulated confidence that confirms an emitter.")
@click.option("--min-bursts", type=click.IntRange(1), default=5, show_default=True,
              help="Bursts an emitter needs before it is confirmed.")
@click.option("--update-interval", type=DURATION, default=5.0, show_default=True,
              help="Least time between two update events of one emitter.")
@click.option("--quiet", type=DURATION, default=3.0, show_default=True,
              help="Silence after which an emitter ends.")
@array_options
@click.option("--method", type=click.Choice(METHODS), default="music", show_default=True,
              help="DOA estimator for multi-channel (array) sources.")
@click.option("--calibration", type=click.Path(dir_okay=False), default=None,
              help="Array calibration file from 'rfclassify calibrate' (multi-channel sources).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Read options from a TOML file; command-line options win.")
@click.option("-v", "--verbose", is_flag=True, help="Also log informational messages (evidence files written …).")
@click.pass_context
def command(ctx: click.Context, source: str | None, **kw: Any) -> None:
    """Watch SOURCE continuously and report drone radio links as they appear, last and go.

    SOURCE is a live receiver (rtlsdr:, rtl_tcp://HOST:PORT) or a recording.
    Live receivers are reconnected with backoff when they go away; drops are
    counted and reported in heartbeats, never silent. Progress and problems
    go to stderr; events only to the outputs.
    """
    from rfclassify.errors import InputError
    from rfclassify.node.config import load_config
    from rfclassify.node.events import EventPolicy
    from rfclassify.node.outputs import open_output
    from rfclassify.node.service import WatchService

    logging.basicConfig(
        level=logging.INFO if kw["verbose"] else logging.WARNING,
        format="rfclassify: %(message)s",
        stream=sys.stderr,
    )
    if kw["config_path"]:
        conf = load_config(kw["config_path"])
        if not any(_explicit(ctx, key) for key in GEOMETRY_OPTIONS) and any(key in conf for key in GEOMETRY_OPTIONS):
            kw["geometry"] = geometry_from_options(*(conf.get(key) for key in GEOMETRY_OPTIONS))
        for key, value in conf.items():
            if key in GEOMETRY_OPTIONS:
                continue
            if key == "source":
                source = source or value
            elif key == "output":
                if not kw["outputs"]:
                    kw["outputs"] = tuple(value)
            elif key == "format":
                if not _explicit(ctx, "fmt"):
                    kw["fmt"] = value
            elif not _explicit(ctx, key):
                kw[key] = value
    if not source:
        raise click.UsageError("give a SOURCE (or 'source' in --config)")
    try:
        policy = EventPolicy(
            min_confidence=kw["min_confidence"],
            min_bursts=kw["min_bursts"],
            update_interval_s=kw["update_interval"],
            quiet_s=kw["quiet"],
        )
    except ValueError as exc:
        raise InputError("watch", str(exc)) from None
    try:
        options = _node_options(kw, policy)
    except ValueError as exc:
        raise InputError("watch", str(exc)) from None
    if options.scan:
        from rfclassify.node.scan import scan_centres

        try:
            scan_centres(options.scan, options.rate_hz or 2.4e6)
        except ValueError as exc:
            raise InputError(options.scan, str(exc)) from None
    elif options.freq_hz is None and source.startswith(("rtlsdr:", "rtl_tcp://")):
        raise InputError(source, "no centre frequency: give --freq (e.g. --freq 915M) or --scan")
    outputs = []
    try:
        for spec in kw["outputs"] or ("-",):
            outputs.append(open_output(spec, client_id=f"rfclassify-{options.sensor_name}"))
        service = WatchService(source, options)

        def on_signal(signum: int, _frame: Any) -> None:
            service.stop()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for event in service.events():
                for out in outputs:
                    out.write(event)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    finally:
        for out in outputs:
            out.close()
