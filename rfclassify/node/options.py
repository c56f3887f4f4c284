"""Everything ``rfclassify watch`` can be told, declared once: :class:`NodeOptions`.

Each offered field carries its public name, kind (frequency, duration, size
…), help, unit and default (:mod:`rfclassify.options.declare`); the event
policy (:class:`EventPolicy`) and the array geometry
(:class:`~rfclassify.options.array.ArrayOptions`) are declared groups. From
these declarations come the click options of ``rfclassify watch``
(:mod:`rfclassify.cli.watch_cmd`), the keys of ``node.toml``
(:mod:`rfclassify.node.config`) and the keywords of :func:`rfclassify.watch`
(:mod:`rfclassify.node.api`), all parsed by the same kinds. Fields without
a declaration are internal tuning.

:data:`SOURCE` and :data:`OUTPUT` are the two options of the command and
the config file that are not the node's: what to watch and where events go.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from rfclassify.bearing.doa import METHODS
from rfclassify.classify.positions import POSITIONS, PositionPolicy
from rfclassify.options.array import ASSUME_CALIBRATED, ArrayOptions
from rfclassify.options.declare import Option, check_fields, declared, group, option
from rfclassify.options.kinds import (
    DIRECTORY,
    DURATION,
    FILE,
    FLAG,
    FREQUENCY,
    GAIN,
    INTEGER,
    NUMBER,
    SIZE,
    TEXT,
    TEXT_LIST,
    choice,
    path_or,
)
from rfclassify.sources import SOURCE_FORMATS

GiB = 2**30
DEFAULT_BLOCK_SAMPLES = 1 << 16


def _is_calibration(value: Any) -> bool:
    from rfclassify.bearing.calibration import Calibration

    return isinstance(value, Calibration)


#: A calibration file from ``rfclassify calibrate``, or (from Python) a loaded one.
CALIBRATION = path_or("a Calibration", _is_calibration)


@dataclass(frozen=True)
class EventPolicy:
    """When an emitter becomes an event (see :mod:`rfclassify.node.events`). Times are stream seconds."""

    min_confidence: float = option(
        "min_confidence", NUMBER, "Accumulated confidence that confirms an emitter.", default=0.9, low=0.0,
        high=1.0, metavar="P",
    )
    min_bursts: int = option(
        "min_bursts", INTEGER, "Bursts an emitter needs before it is confirmed.", default=5, low=1, metavar="N"
    )
    update_interval_s: float = option(
        "update_interval", DURATION, "Least time between two update events of one emitter.", default=5.0, unit="s",
        low=0.0,
    )
    quiet_s: float = option(
        "quiet", DURATION, "Silence after which an emitter ends.", default=3.0, unit="s", low=0.0, low_open=True
    )
    #: Bursts kept per emitter (internal: bounds memory on links that last hours).
    keep_bursts: int = 256

    def __post_init__(self) -> None:
        check_fields(self)
        if self.keep_bursts < 1:
            raise ValueError("keep_bursts must be at least 1")


@dataclass
class NodeOptions:
    """Everything ``rfclassify watch`` can be told (see ``rfclassify watch --help``). Units in field names."""

    freq_hz: float | None = option(
        "freq", FREQUENCY, "Centre frequency in Hz (e.g. 915M) (default: a recording's own; a live receiver needs it "
        "unless --scan).", unit="Hz"
    )
    rate_hz: float | None = option(
        "rate", FREQUENCY, "Sample rate in samples/s (e.g. 2400k) (default: a recording's own, 2.4M for live "
        "receivers).", unit="Hz"
    )
    format: str | None = option(
        "format", choice(SOURCE_FORMATS), "Sample format of a raw input file (default: from its extension; needed "
        "for .dat, .bin, .raw, .iq)."
    )
    gain: str | float | None = option("gain", GAIN, "Tuner gain in dB, or 'auto' (default).", unit="dB")
    ppm: int = option("ppm", INTEGER, "Crystal correction of the dongle, parts per million.", default=0, unit="ppm",
                      metavar="PPM")
    agc: bool = option("agc", FLAG, "Enable the RTL2832's digital AGC (live receivers).", default=False)
    bias_tee: bool = option(
        "bias_tee", FLAG, "Power an active antenna (live dongles with a bias tee).", default=False
    )
    bandwidth_hz: float | None = option(
        "bandwidth", FREQUENCY, "Analog filter bandwidth of a SoapySDR device in Hz (e.g. 20M) (default: the "
        "driver's for the rate).", unit="Hz"
    )
    model: str | None = option(
        "model", FILE, "Model file (.rfcm) (default: the one shipped with rfclassify). Other models must be signed by a "
        "trusted key, or set RFCLASSIFY_ALLOW_UNSIGNED_MODEL=1."
    )
    sensor_id: str | None = option(
        "sensor_id", TEXT, "Name of this node in every event (default: the host name).", metavar="NAME"
    )
    lat: float | None = option(
        "lat", NUMBER, "Node latitude in degrees (WGS 84), added to events (default: none).", unit="degrees",
        metavar="DEG"
    )
    lon: float | None = option(
        "lon", NUMBER, "Node longitude in degrees (WGS 84), added to events (default: none).", unit="degrees",
        metavar="DEG"
    )
    heading_deg: float | None = option(
        "heading", NUMBER, "Node antenna heading in degrees from true north (default: none).", unit="degrees",
        metavar="DEG"
    )
    scan: str | None = option(
        "scan", TEXT, "Scan a band (902M:928M) or a list of centres in Hz, dwelling --dwell on each (default: "
        "stay on --freq).",
        metavar="LO:HI|F1,F2,…",
    )
    dwell_s: float = option("dwell", DURATION, "Time per scan centre (e.g. 0.5s).", default=0.5, unit="s")
    heartbeat_s: float = option(
        "heartbeat", DURATION, "Heartbeat interval (0 = none).",
        default=0.0, cli_default=10.0, unit="s",
    )
    record_dir: str | None = option(
        "record_dir", DIRECTORY, "Write a SigMF evidence snippet per confirmed drone emitter here (default: "
        "none kept)."
    )
    record_max_bytes: int = option(
        "record_max", SIZE, "Disk budget of --record-dir in bytes (e.g. 500M, 2G); the oldest evidence is "
        "deleted first.",
        default=2 * GiB, unit="bytes",
    )
    report_positions: PositionPolicy = option(
        "report_positions", POSITIONS, "Positions of people decoded from DroneID (pilot, drone, home point) in every "
        "output: exact, redact, or coarse:DEGREES (rounded, e.g. coarse:0.01 = ~1 km). They are personal data.",
        default=PositionPolicy(),
    )
    realtime: bool = option(
        "realtime", FLAG, "Pace a recording at its sample rate (default: as fast as possible).", default=False
    )
    policy: EventPolicy = group(EventPolicy, "event policy")
    #: Coherent-array sources (see :mod:`rfclassify.classify.bearings`): the array (``None``: the
    #: recording's ``rfclassify:array``), the DOA method and a calibration (path or loaded), or the
    #: statement that the channels are phase-aligned already.
    geometry: Any = group(ArrayOptions, "array geometry", convert=ArrayOptions.geometry, atomic=True)
    bearing_method: str = option(
        "method", choice(METHODS), "DOA estimator for multi-channel (array) sources.", default="music"
    )
    calibration: Any = option(
        "calibration", CALIBRATION, "Array calibration file from 'rfclassify calibrate' (multi-channel sources; "
        "default: none)."
    )
    assume_calibrated: bool = option(
        ASSUME_CALIBRATED.name, ASSUME_CALIBRATED.kind, ASSUME_CALIBRATED.help, default=ASSUME_CALIBRATED.default
    )
    # Internal tuning, not offered to people: evidence margins, processing block and batch bounds,
    # reconnect backoff, the silence after which a connected receiver counts as stalled, and how much
    # IQ of every channel is kept / used per bearing estimate.
    record_pre_s: float = 2.0
    record_post_s: float = 2.0
    block_samples: int = DEFAULT_BLOCK_SAMPLES
    max_batch_delay_s: float = 0.1
    max_batch: int = 64
    backoff_s: tuple[float, float] = (1.0, 60.0)
    stall_s: float = 1.0
    bearing_window_s: float = 0.5
    bearing_span_s: float = 0.1

    def __post_init__(self) -> None:
        check_fields(self)
        if self.bearing_window_s <= 0 or self.bearing_span_s <= 0:
            raise ValueError("bearing_window_s and bearing_span_s must be positive")

    @property
    def sensor_name(self) -> str:
        """``sensor_id`` or the host name."""
        return self.sensor_id or socket.gethostname()

    def sensor_extra(self) -> dict[str, Any]:
        """Keys describing the node's position added to every event."""
        extra: dict[str, Any] = {}
        if self.lat is not None and self.lon is not None:
            extra["sensor_lat"] = self.lat
            extra["sensor_lon"] = self.lon
        if self.heading_deg is not None:
            extra["sensor_heading_deg"] = self.heading_deg
        return extra


#: What to watch: a live receiver or a recording (the command's SOURCE argument).
SOURCE = Option("source", TEXT, "What to watch: rtlsdr:, rtl_tcp://HOST:PORT, soapy:driver=… or a recording.")
#: Where events go (command and config file only; :func:`rfclassify.watch` yields them).
OUTPUT = Option(
    "output", TEXT_LIST, "Where events go; repeatable (default: - = stdout). MQTT passwords: in the URL, "
    "?password_file=FILE or $RFCLASSIFY_MQTT_PASSWORD (never logged).", default=(),
    short="-o", metavar="- | FILE.jsonl | mqtt[s]://[USER@]HOST[:PORT]/TOPIC[?ca=…&cert=…&key=…&password_file=…]",
    repeat=True,
)
#: A dead output stops the node (command and config file only).
REQUIRE_OUTPUT = Option(
    "require_output", FLAG, "Stop (exit status 4) as soon as an output cannot deliver: a broker refusing the "
    "login, unreachable for 5 s, or a file that cannot be written.", default=False,
)


def config_options() -> tuple[Option, ...]:
    """The keys ``node.toml`` takes: :data:`SOURCE`, :data:`OUTPUT`, :data:`REQUIRE_OUTPUT` and every option of
    :class:`NodeOptions`."""
    return (SOURCE, OUTPUT, REQUIRE_OUTPUT, *declared(NodeOptions))


__all__ = ["CALIBRATION", "OUTPUT", "REQUIRE_OUTPUT", "SOURCE", "EventPolicy", "NodeOptions", "config_options"]
