"""The node's loop: source → detection → classification → events, heartbeats and evidence.

Capture and processing are decoupled by the live sources themselves
(:class:`rfclassify.sources.live.LiveSource`): a reader thread drains the
socket or dongle into a bounded queue, so a slow processing step makes the
queue overflow (counted in ``dropped_samples``/``overflow_samples``,
reported in every heartbeat and warned about, :mod:`rfclassify.node.load`)
instead of stalling the receiver. Processing runs in the caller's thread in
blocks of ``block_samples`` (27 ms at 2.4 MS/s); completed bursts are
classified in small batches at least every ``max_batch_delay_s`` of stream
time (one classifier call per burst would cost the fixed per-call overhead
of the gradient-boosted model hundreds of times a second), which bounds the
latency from a burst's end to its event.

The classifier runs single-threaded: scikit-learn's histogram gradient
boosting uses OpenMP for ``predict``, and on small batches with other busy
threads its workers spin and wait, measured here as 25× slower than one
thread. The limit is scoped to the loop (``threadpoolctl``).

Outages: a live source is opened with ``reconnect=True`` (the reader
retries a lost ``rtl_tcp`` server or an unplugged dongle with exponential
backoff and reports each attempt); failing to open it at all is retried here
with backoff (``backoff_s``), never a crash loop, except for a missing
driver module (:class:`~rfclassify.errors.MissingDependency`), which ends the
node (exit status 2 from the CLI). The loop never blocks on a silent
receiver: the source hands back an empty block every :data:`IDLE_TICK_S`
without samples, and the loop waits out a reopen's backoff in ticks too, so
heartbeats keep their period whatever the source does. A receiver silent for
``stall_s`` is ``stalled``: its samples may still come (a network hiccup
delays them, the stream goes on where it stopped), so nothing ends. Once the
receiver is lost (it said so, e.g. ``rtl_tcp`` after 5 s without data, or
cannot be opened), the bursts waiting for the model are decided and stream
time runs on with the wall clock: every emitter whose ``quiet_s`` runs out
during the outage ends then, with ``"reason": "source lost"`` (the node can
no longer tell whether it is there). When samples come back, the stream goes
on where the receiver's timeline is — the source puts the outage on it, so
stream time never goes back (the gap is counted as dropped).

:meth:`WatchService.stop` (the CLI calls it on SIGINT/SIGTERM) ends the loop
at the next block — or at once when the receiver is silent, by closing the
source — after which the open emitters get their ``end`` events (``reason``
``stopped``, or ``end of stream`` when a recording ends) and pending
evidence is written. Closing the :meth:`~WatchService.events` generator
(``break`` out of :func:`rfclassify.watch`) releases the receiver and
writes pending evidence without yielding anything more.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rfclassify.errors import InputError, SourceUnavailable
from rfclassify.node.events import EventEngine, find_emitter, iso_utc
from rfclassify.node.heartbeat import HeartbeatMeter, noise_floor_dbfs
from rfclassify.node.load import BehindWarning, LoadTotals
from rfclassify.node.options import NodeOptions
from rfclassify.sources.base import Block, Source
from rfclassify.sources.live import LiveSource

if TYPE_CHECKING:
    from rfclassify.classify.stream import StreamEngine, StreamStep
    from rfclassify.classify.tracking import BurstDecision
    from rfclassify.detect.types import DetectedBurst

log = logging.getLogger("rfclassify.node")

#: Seconds between the loop's wake-ups while it has no samples (heartbeats, outage ends).
IDLE_TICK_S = 0.1


def compass_bearing(bearing_deg: float, heading_deg: float) -> float:
    """Bearing clockwise from true north of an array-frame bearing (counter-clockwise from the array's x-axis).

    ``heading_deg`` is the node's ``--heading``: the compass direction its
    array's x-axis points to. SAPIENT's ``range_bearing.azimuth`` is this value.
    """
    return round((heading_deg - bearing_deg) % 360.0, 3)


class WatchService:
    """Runs the node loop over ``source`` (a spec or an open :class:`Source`); iterate :meth:`events`.

    Detection, context, batching, decisions and tracking are the stream
    engine's (:mod:`rfclassify.classify.stream`, the same as ``classify``'s);
    the service adds the node's own concerns around it: reopening the source,
    outages, scanning, pacing, heartbeats, evidence and bearings.
    ``on_burst(burst, decision)``, if given, sees every classified burst in
    stream order.
    """

    def __init__(
        self,
        source: str | Source,
        options: NodeOptions | None = None,
        classifier: Any = None,
        on_burst: Callable[[DetectedBurst, BurstDecision], None] | None = None,
    ) -> None:
        self.spec = source if isinstance(source, str) else getattr(source, "path", "source")
        self._given_source = None if isinstance(source, str) else source
        self.options = options or NodeOptions()
        self.classifier = classifier
        self.source: Source | None = None
        self.meter = HeartbeatMeter(self.options.heartbeat_s)
        self.behind = BehindWarning()
        self.recorder: Any = None
        self.bearings: Any = None  # NodeBearings for a multi-channel source
        self.engine: EventEngine | None = None
        self.stream: StreamEngine[dict[str, Any]] | None = None
        self.on_burst = on_burst
        self.scanner: Any = None
        self._stop = threading.Event()
        self._status: collections.deque[dict[str, Any]] = collections.deque(maxlen=100)
        self._utc0: datetime | None = None
        self._last_end_s = 0.0
        self._rate_hz = self.options.rate_hz or 2.4e6
        self._reconnects_before = 0
        self._dropped_before = 0
        self._overflow_before = 0
        self._state_since = time.monotonic()  # when source_state last changed
        self._stream_stopped = False  # the stream engine was flushed for an outage

    # -- control ----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to finish (safe from a signal handler or another thread)."""
        self._stop.set()
        src = self.source
        if src is not None and _is_live(src):
            # a silent receiver would keep blocks() waiting: closing it ends the iteration
            threading.Thread(target=src.close, name="stop source", daemon=True).start()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    # -- helpers -------------------------------------------------------------------
    def _on_status(self, status: dict[str, Any]) -> None:
        self._status.append(status)  # reader thread: hand over, handle in the loop

    def _set_state(self, state: str) -> None:
        if state != self.meter.source_state:
            self.meter.source_state = state
            self._state_since = time.monotonic()

    def _drain_status(self) -> None:
        while self._status:
            st = self._status.popleft()
            kind = st.get("event", "")
            if kind in ("disconnected", "reconnecting"):
                self._set_state("reconnecting")
                log.warning("%s", st.get("message"))
            elif kind in ("reconnected", "connected"):
                self._set_state("streaming")
                log.warning("%s", st.get("message"))
            elif kind == "dropped":
                # counted in heartbeats; drops for want of time are warned about by self.behind
                log.info("%s", st.get("message"))

    def utc_of(self, t_s: float) -> datetime:
        """UTC time of stream second ``t_s``."""
        if self._utc0 is None:
            return datetime.now(timezone.utc)
        return self._utc0 + timedelta(seconds=t_s)

    def _now_s(self) -> float:
        """Stream time now: the end of the last block, running on with the wall clock while the stream is stopped.

        The loop only gets here with an empty queue, so this never runs ahead of the receiver's timeline.
        """
        if self._stream_stopped:
            return self._last_end_s + (time.monotonic() - self.meter.last_block_wall)
        return self._last_end_s

    def _open(self) -> Source:
        from rfclassify.sources import device_settings, is_live_spec, open_source

        o = self.options
        if self._given_source is not None:
            return self._given_source
        freq = o.freq_hz
        if self.scanner is not None:
            freq = self.scanner.current_hz
        if is_live_spec(self.spec):
            return open_source(
                self.spec,
                sample_rate_hz=o.rate_hz,
                center_freq_hz=freq,
                gain=o.gain,
                ppm=o.ppm,
                reconnect=True,
                on_status=self._on_status,
                backoff_s=(0.5, o.backoff_s[1]),
                **device_settings(self.spec, agc=o.agc, bias_tee=o.bias_tee, bandwidth_hz=o.bandwidth_hz),
            )
        if o.scan:
            raise InputError(self.spec, "--scan needs a live receiver (rtlsdr:, rtl_tcp:// or soapy:), not a recording")
        return open_source(self.spec, format=o.format, sample_rate_hz=o.rate_hz, center_freq_hz=o.freq_hz)

    def _queue_fill(self) -> tuple[int, int]:
        """(chunks waiting, capacity) of the live source's queue; (0, 0) for a recording."""
        src = self.source
        if src is None or not hasattr(src, "queue_depth"):
            return 0, 0
        return int(src.queue_depth()), int(getattr(src, "queue_blocks", 0) or 0)

    def _totals(self) -> LoadTotals:
        src = self.source
        dropped = self._dropped_before + int(getattr(src, "dropped_samples", 0) or 0)
        overflow = self._overflow_before + int(getattr(src, "overflow_samples", 0) or 0)
        return self.meter.totals(dropped, overflow)

    def _heartbeat(self) -> dict[str, Any]:
        totals = self._totals()
        depth, cap = self._queue_fill()
        return self.meter.record(
            time_iso=iso_utc(datetime.now(timezone.utc)),
            sensor_id=self.options.sensor_name,
            dropped_samples=totals.dropped,
            overflow_samples=totals.overflow,
            queue_depth=depth,
            queue_capacity=cap,
            reconnects=self._reconnects_before + int(getattr(self.source, "reconnects", 0) or 0),
            active_emitters=self.engine.active_emitters if self.engine else 0,
            events_emitted=self.engine.events_emitted if self.engine else 0,
        )

    def _housekeeping(self) -> Iterator[dict[str, Any]]:
        """After every block and every idle tick: warn when falling behind, and the heartbeat when due."""
        self.behind.check(self._totals(), *self._queue_fill())
        if self.meter.due():
            yield self._heartbeat()

    def _sleep(self, seconds: float) -> bool:
        """Wait (interruptibly); True if stopped meanwhile."""
        return self._stop.wait(seconds)

    def _wait(self, seconds: float) -> Generator[dict[str, Any], None, bool]:
        """Wait ``seconds`` in idle ticks (heartbeats and outage ends go on); returns True if stopped meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._sleep(min(left, IDLE_TICK_S)):
                return True
            yield from self._idle()
        return False

    # -- the loop -------------------------------------------------------------------
    def events(self) -> Iterator[dict[str, Any]]:
        """Yield event dicts (and heartbeats when ``heartbeat_s`` > 0) until the source ends or :meth:`stop`."""
        from threadpoolctl import threadpool_limits

        from rfclassify.classify.pipeline import Classifier
        from rfclassify.classify.stream import BatchPolicy, StreamEngine
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
            positions=o.report_positions,
        )
        # One engine for the service's life: a reopened source starts a new stream, which the engine
        # sees as a discontinuity (flush, then a fresh context).
        self.stream = StreamEngine(
            self.classifier,
            batch=BatchPolicy(max_batch=o.max_batch, max_delay_s=o.max_batch_delay_s),
            tracker=_NodeTracker(self),
        )
        with threadpool_limits(limits=1):
            try:
                yield from self._sources()
            except GeneratorExit:
                # the consumer closed the generator (break out of rfclassify.watch): nothing may be
                # yielded any more; the source was closed on the way out of _sources
                self._release()
                raise
            except Exception:
                yield from self._finish("stopped")
                raise
            yield from self._finish("stopped" if self._stop.is_set() else "end of stream")

    def _sources(self) -> Iterator[dict[str, Any]]:
        """Open the source (retrying with backoff) and run the stream over it until it ends or :meth:`stop`."""
        o = self.options
        attempt = 0
        while not self._stop.is_set():
            try:
                self.source = self._open()
            except SourceUnavailable as exc:
                wait_s = min(o.backoff_s[1], o.backoff_s[0] * 2.0**attempt)
                attempt += 1
                self._set_state("unavailable")
                log.warning("%s; retry %d in %.1f s", exc, attempt, wait_s)
                if (yield from self._wait(wait_s)):
                    break
                continue
            attempt = 0
            self._set_state("streaming")
            live = _is_live(self.source)
            if self.scanner is not None and not live:
                raise InputError(self.spec, "--scan needs a live receiver (rtlsdr:, rtl_tcp:// or soapy:)")
            try:
                yield from self._run(self.source)
            except SourceUnavailable as exc:
                log.warning("%s; reopening", exc)
                self._set_state("reconnecting")
                yield from self._wait(o.backoff_s[0])
            finally:
                if self.source is not None and self._given_source is None:
                    self._dropped_before += int(getattr(self.source, "dropped_samples", 0) or 0)
                    self._overflow_before += int(getattr(self.source, "overflow_samples", 0) or 0)
                    self._reconnects_before += int(getattr(self.source, "reconnects", 0) or 0)
                    self.source.close()
            if not live or self._given_source is not None:
                break  # a recording ends; a live source only by stop()

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

    def _finish(self, reason: str) -> Iterator[dict[str, Any]]:
        """End every open emitter (with ``reason``), write pending evidence, then yield the ``end`` events."""
        assert self.engine is not None
        ends = self._with_bearings(self.engine.close(self._now_s(), reason))
        self._release()
        yield from ends

    def _release(self) -> None:
        """Write pending evidence and log the last status reports (yields nothing: safe while closing)."""
        if self.recorder is not None:
            for path in self.recorder.flush():
                log.info("evidence written: %s", path)
        self._drain_status()

    def _classified(self, step: StreamStep[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.on_burst is not None:
            for burst, decision in step.classified:
                self.on_burst(burst, decision)
        return step.outputs

    def _idle(self) -> Iterator[dict[str, Any]]:
        """No samples to process (a silent receiver, or a wait to reopen it): outage bookkeeping and heartbeats.

        A connected receiver silent for ``stall_s`` is ``stalled`` (reported, nothing ends).
        While the source is lost, the bursts waiting for the model are decided once, and
        emitters whose quiet time runs out (stream time running on with the wall clock) end
        with ``source lost``.
        """
        assert self.engine is not None and self.stream is not None
        self._drain_status()
        now = time.monotonic()
        if (self.meter.source_state == "streaming"
                and now - max(self.meter.last_block_wall, self._state_since) >= self.options.stall_s):
            self._set_state("stalled")
            log.warning("%s: no samples for %.1f s", self.spec, now - self.meter.last_block_wall)
        if self.meter.source_state in ("reconnecting", "unavailable"):
            if not self._stream_stopped:
                self._stream_stopped = True
                yield from self._classified(self.stream.flush())
            yield from self._with_bearings(self.engine.expire(self._now_s(), "source lost"))
        yield from self._housekeeping()

    def _run(self, source: Source) -> Iterator[dict[str, Any]]:
        from rfclassify.classify.bearings import NodeBearings

        o = self.options
        assert self.stream is not None
        self.bearings = NodeBearings.for_source(
            source, o.geometry, o.bearing_method, o.calibration, assume_calibrated=o.assume_calibrated,
            window_s=o.bearing_window_s, span_s=o.bearing_span_s,
        )
        info_dtype = getattr(getattr(source, "info", None), "datatype", "cu8")
        live = _is_live(source)
        # idle ticks from our own live sources; a wrapper of one (or a recording) never gets them
        ticking = isinstance(source, LiveSource)
        blocks = source.blocks(o.block_samples, idle_s=IDLE_TICK_S) if ticking else source.blocks(o.block_samples)
        wall0: float | None = None
        t_first: float | None = None
        asked = time.monotonic()
        for block in blocks:
            self.meter.waited_s += time.monotonic() - asked
            if self._stop.is_set():
                break
            self._drain_status()
            if len(block.samples) == 0:
                yield from self._idle()
                asked = time.monotonic()
                continue
            if o.realtime and not live:
                # pace a recording at its sample rate
                if wall0 is None or t_first is None:
                    wall0, t_first = time.monotonic(), block.t_start_s
                n_s = len(block.samples) / block.sample_rate_hz
                ahead = (block.t_start_s + n_s - t_first) - (time.monotonic() - wall0)
                if ahead > 0:
                    self.meter.waited_s += ahead
                    if self._sleep(ahead):
                        break
            yield from self._process(block, source, info_dtype)
            asked = time.monotonic()
        yield from self._classified(self.stream.flush())

    def _process(self, block: Block, source: Source, info_dtype: str) -> Iterator[dict[str, Any]]:
        """One block of samples through bearings, evidence and the stream engine; then housekeeping."""
        o = self.options
        assert self.stream is not None
        n = len(block.samples)
        self.meter.last_block_wall = time.monotonic()
        self._stream_stopped = False
        if self.meter.source_state == "stalled":
            self._set_state("streaming")
        self._rate_hz = block.sample_rate_hz
        if self.bearings is not None:
            self.bearings.push(block)
        if block.time_utc is not None:
            self._utc0 = block.time_utc - timedelta(seconds=block.t_start_s)
        elif self._utc0 is None:
            self._utc0 = datetime.now(timezone.utc) - timedelta(seconds=block.t_start_s)
        self.meter.samples_processed += n
        self.meter.stream_s += n / block.sample_rate_hz
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
                positions=o.report_positions,
            )
        if self.recorder is not None:
            for path in self.recorder.push(block):
                log.info("evidence written: %s", path)
        self._last_end_s = block.t_start_s + n / block.sample_rate_hz
        yield from self._classified(self.stream.push(block))
        if self.scanner is not None:
            nxt = self.scanner.advance(block.center_freq_hz, block.sample_rate_hz, n)
            if nxt is not None:
                source.retune(nxt)  # type: ignore[attr-defined]
        yield from self._housekeeping()


def _is_live(source: Source) -> bool:
    """A live receiver (it can be retuned), rather than a recording."""
    return hasattr(source, "retune")


class _NodeTracker:
    """The node's tracker stage of the stream engine (:class:`~rfclassify.classify.stream.Tracker`).

    Decisions become events (:class:`EventEngine`); each event gets its
    bearing while its emitter is in the state that caused it, and a ``start``
    triggers the evidence recorder.
    """

    def __init__(self, service: WatchService) -> None:
        self.service = service

    def add(self, burst: DetectedBurst, decision: BurstDecision) -> list[dict[str, Any]]:
        """Events caused by one classified burst."""
        svc = self.service
        assert svc.engine is not None
        events = svc._with_bearings(svc.engine.add(decision))
        if svc.recorder is not None:
            for event in events:
                if event["event"] == "start":
                    emitter = find_emitter(svc.engine, event["emitter_id"])
                    if emitter is not None:
                        svc.recorder.trigger(event, emitter, burst.detection.sample_rate_hz)
        return events

    def expire(self, now_s: float) -> list[dict[str, Any]]:
        """``end`` events of emitters quiet at stream time ``now_s``."""
        svc = self.service
        assert svc.engine is not None
        return svc._with_bearings(svc.engine.expire(now_s))


def watch_events(
    source: str | Source, options: NodeOptions, classifier: Any = None, service_hook: Callable[[WatchService], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Convenience: build a :class:`WatchService` and yield its events (``service_hook`` sees the service first)."""
    service = WatchService(source, options, classifier)
    if service_hook is not None:
        service_hook(service)
    yield from service.events()


__all__ = ["WatchService", "watch_events"]
