"""The node's loop: source → detection → classification → events, heartbeats and evidence.

Capture and processing are decoupled by the live sources themselves
(:class:`rfclassify.sources.rtltcp.LiveSource`): a reader thread drains the
socket or dongle into a bounded queue, so a slow processing step makes the
queue overflow (counted in ``dropped_samples`` and reported in every
heartbeat) instead of stalling the receiver. Processing runs in the caller's
thread in blocks of ``block_samples`` (27 ms at 2.4 MS/s); completed bursts
are classified in small batches at least every ``max_batch_delay_s`` of
stream time (one classifier call per burst would cost the fixed per-call
overhead of the gradient-boosted model hundreds of times a second), which
bounds the latency from a burst's end to its event.

The classifier runs single-threaded: scikit-learn's histogram gradient
boosting uses OpenMP for ``predict``, and on small batches with other busy
threads its workers spin and wait, measured here as 25× slower than one
thread. The limit is scoped to the loop (``threadpoolctl``).

Robustness: a live source is opened with ``reconnect=True`` (the reader
retries a lost ``rtl_tcp`` server or an unplugged dongle with exponential
backoff and reports each attempt); failing to open it at all is retried here
with backoff (``backoff_s``), never a crash loop. :meth:`WatchService.stop`
(the CLI calls it on SIGINT/SIGTERM) ends the loop at the next block — or at
once when the receiver is silent, by closing the source — after which the
open emitters get their ``end`` events and pending evidence is written.
"""

from __future__ import annotations

import collections
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rfclassify.errors import InputError, SourceUnavailable
from rfclassify.node.events import EventEngine, EventPolicy, find_emitter, iso_utc
from rfclassify.node.heartbeat import HeartbeatMeter, noise_floor_dbfs
from rfclassify.sources.base import Source

log = logging.getLogger("rfclassify.node")

DEFAULT_BLOCK_SAMPLES = 1 << 16
GiB = 2**30


@dataclass
class NodeOptions:
    """Everything ``rfclassify watch`` can be told (see ``rfclassify watch --help``). Units in names."""

    freq_hz: float | None = None
    rate_hz: float | None = None
    format: str | None = None
    gain: str | float | None = None
    ppm: int = 0
    model: str | None = None
    sensor_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    scan: str | None = None
    dwell_s: float = 0.5
    heartbeat_s: float = 0.0
    record_dir: str | None = None
    record_max_bytes: int = 2 * GiB
    record_pre_s: float = 2.0
    record_post_s: float = 2.0
    realtime: bool = False
    policy: EventPolicy = field(default_factory=EventPolicy)
    block_samples: int = DEFAULT_BLOCK_SAMPLES
    max_batch_delay_s: float = 0.1
    max_batch: int = 64
    backoff_s: tuple[float, float] = (1.0, 60.0)
    source_overrides: dict[str, Any] = field(default_factory=dict)
    #: Coherent-array sources (see :mod:`rfclassify.node.bearing`): the array (``None``: the
    #: recording's ``rfclassify:array``), the DOA method, a calibration (path or loaded), how much
    #: IQ of every channel is kept, and how much of an emitter's recent signal an estimate uses.
    geometry: Any = None
    bearing_method: str = "music"
    calibration: Any = None
    bearing_window_s: float = 0.5
    bearing_span_s: float = 0.1

    def __post_init__(self) -> None:
        from rfclassify.bearing.doa import METHODS

        if self.bearing_method not in METHODS:
            raise ValueError(f"bearing method must be one of {', '.join(METHODS)}, not {self.bearing_method!r}")
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


def compass_bearing(bearing_deg: float, heading_deg: float) -> float:
    """Bearing clockwise from true north of an array-frame bearing (counter-clockwise from the array's x-axis).

    ``heading_deg`` is the node's ``--heading``: the compass direction its
    array's x-axis points to. SAPIENT's ``range_bearing.azimuth`` is this value.
    """
    return round((heading_deg - bearing_deg) % 360.0, 3)


class WatchService:
    """Runs the node loop over ``source`` (a spec or an open :class:`Source`); iterate :meth:`events`."""

    def __init__(self, source: str | Source, options: NodeOptions | None = None, classifier: Any = None) -> None:
        self.spec = source if isinstance(source, str) else getattr(source, "path", "source")
        self._given_source = None if isinstance(source, str) else source
        self.options = options or NodeOptions()
        self.classifier = classifier
        self.source: Source | None = None
        self.meter = HeartbeatMeter(self.options.heartbeat_s)
        self.recorder: Any = None
        self.bearings: Any = None  # NodeBearings for a multi-channel source
        self.engine: EventEngine | None = None
        self.scanner: Any = None
        self._stop = threading.Event()
        self._status: collections.deque[dict[str, Any]] = collections.deque(maxlen=100)
        self._utc0: datetime | None = None
        self._last_end_s = 0.0
        self._rate_hz = self.options.rate_hz or 2.4e6
        self._reconnects_before = 0
        self._dropped_before = 0

    # -- control ----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler or another thread)."""
        self._stop.set()
        src = self.source
        if src is not None and hasattr(src, "retune"):
            # a silent receiver would keep blocks() waiting: closing it ends the iteration
            threading.Thread(target=src.close, name="stop source", daemon=True).start()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    # -- helpers -------------------------------------------------------------------
    def _on_status(self, status: dict[str, Any]) -> None:
        self._status.append(status)  # reader thread: hand over, handle in the loop

    def _drain_status(self) -> None:
        while self._status:
            st = self._status.popleft()
            kind = st.get("event", "")
            if kind in ("disconnected", "reconnecting"):
                self.meter.source_state = "reconnecting"
                log.warning("%s", st.get("message"))
            elif kind in ("reconnected", "connected"):
                self.meter.source_state = "streaming"
                log.warning("%s", st.get("message"))
            elif kind == "dropped":
                log.warning("%s", st.get("message"))

    def utc_of(self, t_s: float) -> datetime:
        """UTC time of stream second ``t_s``."""
        if self._utc0 is None:
            return datetime.now(timezone.utc)
        return self._utc0 + timedelta(seconds=t_s)

    def _open(self) -> Source:
        from rfclassify.sources import is_live_spec, open_source

        o = self.options
        if self._given_source is not None:
            return self._given_source
        freq = o.freq_hz
        if self.scanner is not None:
            freq = self.scanner.current_hz
        if is_live_spec(self.spec):
            return open_source(
                self.spec,
                rate=o.rate_hz,
                freq=freq,
                gain=o.gain,
                ppm=o.ppm,
                reconnect=True,
                on_status=self._on_status,
                backoff_s=(0.5, o.backoff_s[1]),
                **o.source_overrides,
            )
        if o.scan:
            raise InputError(self.spec, "--scan needs a live receiver (rtlsdr: or rtl_tcp://), not a recording")
        return open_source(self.spec, format=o.format, rate=o.rate_hz, freq=o.freq_hz)

    def _heartbeat(self) -> dict[str, Any]:
        src = self.source
        depth = src.queue_depth() if src is not None and hasattr(src, "queue_depth") else 0
        cap = int(getattr(src, "queue_blocks", 0) or 0)
        return self.meter.record(
            time_iso=iso_utc(datetime.now(timezone.utc)),
            sensor_id=self.options.sensor_name,
            dropped_samples=self._dropped_before + int(getattr(src, "dropped_samples", 0) or 0),
            queue_depth=depth,
            queue_capacity=cap,
            reconnects=self._reconnects_before + int(getattr(src, "reconnects", 0) or 0),
            active_emitters=self.engine.active_emitters if self.engine else 0,
            events_emitted=self.engine.events_emitted if self.engine else 0,
        )

    def _sleep(self, seconds: float) -> bool:
        """Wait (interruptibly); True if stopped meanwhile."""
        return self._stop.wait(seconds)

    # -- the loop -------------------------------------------------------------------
    def events(self) -> Iterator[dict[str, Any]]:
        """Yield event dicts (and heartbeats when ``heartbeat_s`` > 0) until the source ends or :meth:`stop`."""
        from threadpoolctl import threadpool_limits

        from rfclassify.classify.pipeline import Classifier
        from rfclassify.node.scan import Scanner, scan_centres

        o = self.options
        if self.classifier is None:
            self.classifier = Classifier.load(o.model)
        if o.scan:
            self.scanner = Scanner(scan_centres(o.scan, self._rate_hz), o.dwell_s)
        self.engine = EventEngine(
            self.classifier.classes,
            o.policy,
            sensor_id=o.sensor_name,
            source_name=self.spec,
            utc_of=self.utc_of,
            extra=o.sensor_extra(),
        )
        attempt = 0
        with threadpool_limits(limits=1):
            try:
                while not self._stop.is_set():
                    try:
                        self.source = self._open()
                    except SourceUnavailable as exc:
                        wait_s = min(o.backoff_s[1], o.backoff_s[0] * 2.0**attempt)
                        attempt += 1
                        self.meter.source_state = "unavailable"
                        log.warning("%s; retry %d in %.1f s", exc, attempt, wait_s)
                        if o.heartbeat_s > 0:
                            yield self._heartbeat()
                        if self._sleep(wait_s):
                            break
                        continue
                    attempt = 0
                    self.meter.source_state = "streaming"
                    live = hasattr(self.source, "retune")
                    if self.scanner is not None and not live:
                        raise InputError(self.spec, "--scan needs a live receiver (rtlsdr: or rtl_tcp://)")
                    try:
                        yield from self._run(self.source)
                    except SourceUnavailable as exc:
                        log.warning("%s; reopening", exc)
                        self.meter.source_state = "reconnecting"
                        self._sleep(o.backoff_s[0])
                    finally:
                        if self.source is not None and self._given_source is None:
                            self._dropped_before += int(getattr(self.source, "dropped_samples", 0) or 0)
                            self._reconnects_before += int(getattr(self.source, "reconnects", 0) or 0)
                            self.source.close()
                    if not live or self._given_source is not None:
                        break  # a recording ends; a live source only by stop()
            finally:
                yield from self._finish()

    def _with_bearings(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fill the bearing keys of ``events`` when the source is an array (no-op otherwise)."""
        if self.bearings is not None and self.engine is not None:
            heading = self.options.heading_deg
            for event in events:
                emitter = find_emitter(self.engine, event["emitter_id"]) if event["event"] != "end" else None
                self.bearings.annotate(event, emitter)
                if heading is not None and event.get("bearing_deg") is not None:
                    event["bearing_true_deg"] = compass_bearing(event["bearing_deg"], heading)
        return events

    def _finish(self) -> Iterator[dict[str, Any]]:
        assert self.engine is not None
        yield from self._with_bearings(self.engine.close(self._last_end_s))
        if self.recorder is not None:
            for path in self.recorder.flush():
                log.info("evidence written: %s", path)
        self._drain_status()

    def _run(self, source: Source) -> Iterator[dict[str, Any]]:
        from rfclassify.detect.burst_detector import BurstDetector
        from rfclassify.features.context import CausalContext
        from rfclassify.node.bearing import NodeBearings

        o = self.options
        assert self.engine is not None
        self.bearings = NodeBearings.for_source(
            source, o.geometry, o.bearing_method, o.calibration,
            window_s=o.bearing_window_s, span_s=o.bearing_span_s,
        )
        detector = BurstDetector()
        context = CausalContext()
        pending: list[Any] = []
        last_fc: float | None = None
        wall0: float | None = None
        t_first: float | None = None
        info_dtype = getattr(getattr(source, "info", None), "datatype", "cu8")

        def decide(bursts: list[Any]) -> Iterator[dict[str, Any]]:
            assert self.engine is not None
            if not bursts:
                return
            for burst, decision in zip(bursts, self.classifier.decide(bursts)):
                for event in self._with_bearings(self.engine.add(decision)):
                    if self.recorder is not None and event["event"] == "start":
                        emitter = find_emitter(self.engine, event["emitter_id"])
                        if emitter is not None:
                            self.recorder.trigger(event, emitter, burst.detection.sample_rate_hz)
                    yield event

        for block in source.blocks(o.block_samples):
            if self._stop.is_set():
                break
            self._drain_status()
            n = len(block.samples)
            self._rate_hz = block.sample_rate_hz
            if self.bearings is not None:
                self.bearings.push(block)
            if o.realtime and not hasattr(source, "retune"):
                # pace a recording at its sample rate
                if wall0 is None or t_first is None:
                    wall0, t_first = time.monotonic(), block.t_start_s
                ahead = (block.t_start_s + n / block.sample_rate_hz - t_first) - (time.monotonic() - wall0)
                if ahead > 0 and self._sleep(ahead):
                    break
            if block.time_utc is not None:
                self._utc0 = block.time_utc - timedelta(seconds=block.t_start_s)
            elif self._utc0 is None:
                self._utc0 = datetime.now(timezone.utc) - timedelta(seconds=block.t_start_s)
            self.meter.samples_processed += n
            self.meter.center_freq_hz = block.center_freq_hz
            self.meter.noise_floor_dbfs = noise_floor_dbfs(block.samples)
            if o.record_dir is not None and self.recorder is None:
                from rfclassify.node.evidence import EvidenceRecorder

                geo = (o.lon, o.lat) if o.lat is not None and o.lon is not None else None
                self.recorder = EvidenceRecorder(
                    o.record_dir,
                    o.record_max_bytes,
                    pre_s=o.record_pre_s,
                    post_s=o.record_post_s,
                    sample_rate_hz=block.sample_rate_hz,
                    datatype=info_dtype,
                    hw=getattr(source, "hardware", None),
                    geolocation=geo,
                    sensor_id=o.sensor_name,
                )
            if self.recorder is not None:
                for path in self.recorder.push(block):
                    log.info("evidence written: %s", path)
            if last_fc is not None and block.center_freq_hz != last_fc:
                pending += [context.annotate(b) for b in detector.flush()]
                context.reset()
            last_fc = block.center_freq_hz
            pending += [context.annotate(b) for b in detector.process(block)]
            end_s = block.t_start_s + n / block.sample_rate_hz
            self._last_end_s = end_s
            if pending and (
                end_s - pending[0].detection.t_end_s >= o.max_batch_delay_s or len(pending) >= o.max_batch
            ):
                batch, pending = pending, []
                yield from decide(batch)
            yield from self._with_bearings(self.engine.expire(end_s))
            if self.scanner is not None:
                nxt = self.scanner.advance(block.center_freq_hz, block.sample_rate_hz, n)
                if nxt is not None:
                    source.retune(nxt)  # type: ignore[attr-defined]
            if self.meter.due():
                yield self._heartbeat()
        pending += [context.annotate(b) for b in detector.flush()]
        yield from decide(pending)


def watch_events(
    source: str | Source, options: NodeOptions, classifier: Any = None, service_hook: Callable[[WatchService], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Convenience: build a :class:`WatchService` and yield its events (``service_hook`` sees the service first)."""
    service = WatchService(source, options, classifier)
    if service_hook is not None:
        service_hook(service)
    yield from service.events()


__all__ = ["NodeOptions", "WatchService", "watch_events"]
