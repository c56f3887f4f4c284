"""``rfclassify watch``: run as a sensor node, streaming drone detections as JSON lines and MQTT."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from rfclassify.cli.options import declared_options
from rfclassify.node.options import OUTPUT, REQUIRE_OUTPUT, NodeOptions
from rfclassify.options.declare import build, declared, groups
from rfclassify.sources import is_live_spec

EPILOG = """\b
Events (one JSON object per line): the keys of 'rfclassify classify' plus
event (start|update|end), time (UTC ISO 8601), sensor_id, center_freq_hz and
report_id; an end has a reason (quiet, source lost, stopped, end of stream).
An emitter is reported once it is confirmed (accumulated confidence
>= --min-confidence over >= --min-bursts bursts); 'noise' is never reported,
'unknown' is reported with drone false. Heartbeats (event: heartbeat) every
--heartbeat, outages included: source_state (streaming, stalled, reconnecting,
unavailable), falling_behind, processing_ratio (stream s per wall s),
recent_drop_fraction, then samples, drops, queue depth, noise floor, CPU %.
While the receiver is away, emitters whose --quiet time runs out end with
reason "source lost".
On MQTT: events on TOPIC, heartbeats on TOPIC/heartbeat, a retained
online/offline on TOPIC/status (offline is also the broker's last will).
SIGINT/SIGTERM flush the outputs, close the files and exit 0; a closed stdout
(| head) ends the node normally. Exit status: 0 all delivered, 2 bad input
or configuration, 3 records lost (an output could not deliver them),
4 an output died under --require-output.
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


def _merge_config(ctx: click.Context, values: dict[str, Any], conf: dict[str, Any]) -> None:
    """Fill ``values`` (the command's options) from a config file's: the command line wins.

    An atomic group (the array geometry) is one option: any of its options
    on the command line replaces all of them from the file.
    """
    explicit = {name for name in values if _explicit(ctx, name)}
    for info, names in groups(NodeOptions):
        if info.atomic and explicit.intersection(names):
            for name in names:
                conf.pop(name, None)
    for name, value in conf.items():
        if name not in explicit:
            values[name] = value


@click.command(
    "watch",
    epilog=EPILOG,
    short_help="Run as a sensor node: live detections to JSON lines / MQTT.",
)
@click.argument("source", required=False)
@declared_options(*declared(NodeOptions), OUTPUT, REQUIRE_OUTPUT)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Read options from a TOML file (keys: the long option names); command-line options win "
              "(default: none).")
@click.option("-v", "--verbose", is_flag=True, help="Also log informational messages (evidence files written …).")
@click.pass_context
def command(ctx: click.Context, source: str | None, config_path: str | None, verbose: bool, output: tuple[str, ...],
            require_output: bool, **values: Any) -> None:
    """Watch SOURCE continuously and report drone radio links as they appear, last and go.

    SOURCE is a live receiver (rtlsdr:, rtl_tcp://HOST:PORT, soapy:driver=...) or a recording.
    Live receivers are reconnected with backoff when they go away; drops are
    counted and reported in heartbeats, never silent. Progress and problems
    go to stderr; events only to the outputs.

    \b
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
      # a HackRF through SoapySDR, 20 MS/s at 2.44 GHz (Wi-Fi, Bluetooth, ELRS 2.4, OcuSync)
      rfclassify watch soapy:driver=hackrf --freq 2.44G --rate 20M --gain 32 --bandwidth 20M

    \b
      # replay a recording at its real pace (as a live node would see it)
      rfclassify watch capture.sigmf-meta --realtime

    \b
      # a 5-element KrakenSDR-style array recording: events carry bearing_deg
      rfclassify watch kraken.sigmf-meta --array uca --elements 5 --radius 0.11 --calibration cal.json

    \b
      # everything from a file (see scripts/node.example.toml)
      rfclassify watch --config /etc/rfclassify/node.toml
    """
    from rfclassify.errors import InputError
    from rfclassify.node.config import load_config
    from rfclassify.node.outputs import (
        EXIT_LOST,
        EXIT_OUTPUT_DEAD,
        OutputSet,
        OutputWatchdog,
        open_output,
    )
    from rfclassify.node.service import WatchService

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="rfclassify: %(message)s",
        stream=sys.stderr,
    )
    specs = list(output)
    if config_path:
        conf = load_config(config_path)
        source = source or conf.pop("source", None)
        specs = specs or conf.pop("output", [])
        conf.pop("output", None)
        require_output = require_output or bool(conf.pop("require_output", False))
        _merge_config(ctx, values, conf)
    if not source:
        raise click.UsageError("give a SOURCE (or 'source' in --config)")
    options = build(NodeOptions, values, "watch")
    if options.scan:
        from rfclassify.node.scan import scan_centres

        try:
            scan_centres(options.scan, options.rate_hz or 2.4e6)
        except ValueError as exc:
            raise InputError(options.scan, str(exc)) from None
    elif options.freq_hz is None and is_live_spec(source):
        raise InputError(source, "no centre frequency: give --freq (e.g. --freq 915M) or --scan")
    outputs = OutputSet([])
    dead: list[str] = []
    try:
        for spec in specs or ["-"]:
            outputs.outputs.append(open_output(spec, client_id=f"rfclassify-{options.sensor_name}"))
        service = WatchService(source, options)

        def on_signal(signum: int, _frame: Any) -> None:
            service.stop()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        watchdog = OutputWatchdog(outputs, service.stop) if require_output else None
        try:
            for event in service.events():
                outputs.write(event)
                if outputs.reader_gone:
                    service.stop()  # stdout's reader left (| head): a normal end
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if watchdog is not None:
                dead += watchdog.finish()
    finally:
        lost = outputs.close()
    if dead:
        click.echo(f"rfclassify: error: {dead[0]}; stopped (--require-output)", err=True)
        sys.exit(EXIT_OUTPUT_DEAD)
    if lost:
        click.echo(f"rfclassify: error: {lost} record(s) not delivered (see the warnings above)", err=True)
        sys.exit(EXIT_LOST)
