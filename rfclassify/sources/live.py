"""The machinery every live source shares: :class:`LiveSource` (reader thread, bounded queue, timeline).

Used by :class:`rfclassify.sources.rtltcp.RtlTcpSource` (``rtl_tcp`` server),
:class:`rfclassify.sources.rtlsdr.RtlSdrSource` (dongle on USB) and
:class:`rfclassify.sources.soapy.SoapySource` (any SoapySDR device).

How a live source runs (:class:`LiveSource`): a reader thread drains the
socket (or the device) as fast as data arrives into a bounded queue of raw
chunks (``cu8`` from an RTL-SDR, 16-bit or float from SoapySDR), so the kernel and server buffers stay nearly empty; when the
consumer is too slow and the queue is full, the reader drops the chunk and
counts it in :attr:`LiveSource.dropped_samples` (and in
:attr:`LiveSource.overflow_samples`: the consumer fell behind), reported through
``on_status`` (or the ``rfclassify`` logger on stderr), never silently. Every
chunk gets its place on the sample timeline when it is received, so
:attr:`Block.sample_index` jumps over dropped samples and time stays right;
``time_utc`` is wall-clock UTC of the first received sample plus
``sample_index / rate``. With ``reconnect=True`` a lost connection is retried
with exponential backoff, the tuning is sent again, and the index jumps
forward by the wall-clock length of the outage (counted as dropped).

A consumer that must keep control while the receiver is silent (a node's
heartbeats during an outage) passes ``idle_s`` to :meth:`LiveSource.blocks`:
it then also yields an empty block whenever ``idle_s`` pass without samples.

Tuning takes effect some time after the command is sent (in-flight USB
transfers, the server's buffer list, the socket), so after connecting and
after :meth:`LiveSource.retune` the first ``settle_s`` of samples are
discarded, as are all samples received before a retune command was sent that
are still queued or buffered in the block being assembled. Blocks yielded
after ``retune()`` returns therefore all carry the new centre frequency, and
their ``sample_index`` skips the discarded samples
(:attr:`LiveSource.discarded_samples`).
"""

from __future__ import annotations

import abc
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from rfclassify.errors import InputError
from rfclassify.sources.base import DEFAULT_BLOCK_SAMPLES, Block, Source, SourceInfo
from rfclassify.sources.datatypes import datatype, decode

log = logging.getLogger("rfclassify.sources")

DEFAULT_RATE_HZ = 2.4e6
DEFAULT_QUEUE_S = 2.0  # seconds of samples the queue can hold before dropping
DEFAULT_SETTLE_S = 0.05
#: Window of the sample-clock discipline (see LiveSource._discipline), seconds, and the largest
#: sample-clock error it corrects (an RTL-SDR crystal is within ~100 ppm).
CLOCK_WINDOW_S = 10.0
CLOCK_MAX_DRIFT = 1e-3

StatusCallback = Callable[[dict[str, Any]], None]


def parse_gain(gain: str | float | None) -> float | None:
    """``None`` or ``'auto'`` → automatic gain (``None``); a number or ``'28.0'`` → dB."""
    if gain is None or (isinstance(gain, str) and gain.strip().lower() == "auto"):
        return None
    try:
        return float(gain)
    except (TypeError, ValueError):
        raise ValueError(f"not a gain: {gain!r} (use 'auto' or dB, e.g. 28.0)") from None


def chunk_samples_for(rate_hz: float) -> int:
    """Samples per queued chunk: about 10 ms, between 512 and 32768."""
    return int(min(32768, max(512, rate_hz * 0.01)))


@dataclass(frozen=True)
class _Chunk:
    start_index: int  # timeline index of the first sample
    raw: np.ndarray  # uint8, even length
    tune_gen: int  # retunes so far: a chunk of an older generation has the old frequency
    epoch: int  # connections + retunes: each new epoch starts with settle_s discarded


class LiveSource(Source):
    """A receiver streaming raw samples (``cu8`` by default) through a reader thread and a bounded queue.

    Subclasses implement :meth:`_open`, :meth:`_run_reader` (called in the
    reader thread; hand data to :meth:`_deliver`), :meth:`_close_device` and
    :meth:`_tune`. Attributes for monitoring (read them any time):
    ``dropped_samples`` (all samples lost, outages included),
    ``overflow_samples`` (the part lost because the consumer or the reader
    fell behind), ``discarded_samples``, ``reconnects``, :meth:`queue_depth`.
    """

    def __init__(
        self,
        spec: str,
        *,
        rate_hz: float | None,
        freq_hz: float | None,
        num_samples: int | None,
        reconnect: bool,
        queue_blocks: int | None,
        on_status: StatusCallback | None,
        settle_s: float,
        backoff_s: tuple[float, float],
        format_name: str,
        wire_datatype: str = "cu8",
        num_channels: int = 1,
    ) -> None:
        self.path = spec
        self.spec = spec
        if freq_hz is None:
            raise InputError(spec, "no centre frequency: give --freq (e.g. --freq 915M)")
        if not freq_hz > 0 or (rate_hz is not None and not rate_hz > 0):
            raise InputError(spec, "frequency and sample rate must be positive")
        if num_samples is not None and num_samples < 0:
            raise InputError(spec, "num_samples must not be negative")
        self.rate_hz = float(rate_hz or DEFAULT_RATE_HZ)
        #: Sample type of the raw chunks the reader queues (components, interleaved per channel):
        #: ``cu8`` from an RTL-SDR, ``ci16_le`` or ``cf32_le`` from SoapySDR.
        self.wire = datatype(wire_datatype)
        self.num_channels = int(num_channels)
        self._comps = 2 * self.num_channels  # components per sample instant
        self.freq_hz = float(freq_hz)
        self.num_samples = num_samples
        self.reconnect = reconnect
        self.on_status = on_status
        self.settle_s = settle_s
        self.backoff_s = backoff_s
        self.chunk_samples = chunk_samples_for(self.rate_hz)
        if queue_blocks is None:
            queue_blocks = max(4, math.ceil(DEFAULT_QUEUE_S * self.rate_hz / self.chunk_samples))
        self.queue_blocks = int(queue_blocks)
        self.dropped_samples = 0
        self.overflow_samples = 0
        self.discarded_samples = 0
        self.reconnects = 0
        self.info = SourceInfo(
            format=format_name,
            datatype=self.wire.name,
            sample_rate_hz=self.rate_hz,
            center_freq_hz=self.freq_hz,
            num_channels=self.num_channels,
            num_samples=None,
            duration_s=None,
            datetime=None,
            annotation_count=0,
        )
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Chunk] = queue.Queue(maxsize=self.queue_blocks)
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._reader_error: BaseException | None = None
        self._tune_gen = 0
        self._epoch = 0
        self._gen_freq_hz = {0: self.freq_hz}
        self._next_index = 0
        self._t0: float | None = None  # wall-clock time (s since epoch) of sample 0
        self._clock: deque[tuple[float, float]] = deque()  # (arrival, implied _t0) of recent chunks
        self._clock_next: float | None = None  # wall time of the next clock correction
        self._resync = False
        self._resync_overflow = False  # the coming gap is an overflow (samples lost for want of time)
        self._last_drop_report = 0.0
        self._unreported_drops = 0

    # -- for subclasses -----------------------------------------------------
    @abc.abstractmethod
    def _open(self) -> None:
        """Connect to / open the receiver and send the tuning; raise SourceUnavailable if impossible."""

    @abc.abstractmethod
    def _run_reader(self) -> None:
        """Reader-thread body: read until :attr:`_stop` is set, handing data to :meth:`_deliver`."""

    @abc.abstractmethod
    def _close_device(self) -> None:
        """Release the socket or device (may be called from any thread, more than once)."""

    @abc.abstractmethod
    def _tune(self, freq_hz: float) -> None:
        """Send a new centre frequency to the receiver."""

    @property
    def hardware(self) -> str:
        """A one-line description of the receiver for SigMF ``core:hw``."""
        return self.spec

    @property
    def metadata(self) -> dict[str, Any]:
        return {"core:hw": self.hardware}

    # -- reporting ------------------------------------------------------------
    def _report(self, event: str, message: str, *, warn: bool = True, **fields: Any) -> None:
        status = {"source": self.spec, "event": event, "message": message, **fields}
        if self.on_status is not None:
            self.on_status(status)
        elif warn:
            log.warning("%s", message)
        else:
            log.info("%s", message)

    def _count_drop(self, n: int, *, why: str, overflow: bool) -> None:
        with self._lock:
            self.dropped_samples += n
            if overflow:
                self.overflow_samples += n
            self._unreported_drops += n
            now = time.monotonic()
            if now - self._last_drop_report < 1.0:
                return
            pending, self._unreported_drops = self._unreported_drops, 0
            self._last_drop_report = now
            total = self.dropped_samples
        self._report(
            "dropped",
            f"{self.spec}: dropped {pending} samples ({why}); {total} dropped in all",
            dropped_samples=total,
            new_dropped_samples=pending,
        )

    def flush_drop_report(self) -> None:
        """Report drops counted but not yet reported (reports are limited to one a second)."""
        with self._lock:
            pending, self._unreported_drops = self._unreported_drops, 0
            total = self.dropped_samples
        if pending:
            self._report(
                "dropped",
                f"{self.spec}: dropped {pending} samples; {total} dropped in all",
                dropped_samples=total,
                new_dropped_samples=pending,
            )

    def queue_depth(self) -> int:
        """Raw chunks waiting for the consumer (capacity :attr:`queue_blocks`)."""
        return self._queue.qsize()

    # -- reader side ----------------------------------------------------------
    def _deliver(self, raw: np.ndarray, t_recv: float | None = None) -> None:
        """Place ``raw`` (components of :attr:`wire`, interleaved I/Q per channel) on the timeline and queue it.

        A full queue drops it and counts it. ``t_recv`` is the wall-clock time its last sample
        arrived (default now).
        """
        n = len(raw) // self._comps
        if n == 0:
            return
        if t_recv is None:
            t_recv = time.time()
        t_first = t_recv - n / self.rate_hz
        gap = 0
        gap_overflow = False
        with self._lock:
            if self._t0 is None:
                self._t0 = t_first
                self.info.datetime = _iso(t_first)
            elif self._resync:
                expected = round((t_first - self._t0) * self.rate_hz)
                gap = max(0, expected - self._next_index)
                self._next_index += gap
                gap_overflow = self._resync_overflow
            self._resync = self._resync_overflow = False
            self._discipline(t_recv, t_first - self._next_index / self.rate_hz)
            chunk = _Chunk(self._next_index, raw, self._tune_gen, self._epoch)
            self._next_index += n
        if gap:
            if gap_overflow:
                self._count_drop(gap, why="the receiver overflowed: read too late", overflow=True)
            else:
                self._count_drop(gap, why="while disconnected", overflow=False)
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            self._count_drop(n, why="queue full: processing slower than the receiver", overflow=True)

    def _discipline(self, t_recv: float, t0_seen: float) -> None:
        """Keep :attr:`_t0` (wall time of sample 0) on the wall clock as the sample clock drifts.

        A receiver's crystal (tens of ppm) or a server's pacing does not tick
        with the host's clock: counted from one anchor, sample times drift by
        about 0.1 s an hour per 30 ppm, and a node's event times with them.
        Each chunk bounds its samples' time from above (it cannot arrive
        before it was sampled; USB, network and scheduling only delay it),
        so the smallest ``arrival − (index + n)/rate`` over the last
        :data:`CLOCK_WINDOW_S` is the least-delayed view of sample 0's wall
        time: a sliding minimum (monotonic deque, O(1) per chunk), applied
        once per window and by at most :data:`CLOCK_MAX_DRIFT` of it.
        """
        window = self._clock
        while window and window[-1][1] >= t0_seen:
            window.pop()
        window.append((t_recv, t0_seen))
        while window[0][0] < t_recv - CLOCK_WINDOW_S:
            window.popleft()
        if self._clock_next is None:
            self._clock_next = t_recv + CLOCK_WINDOW_S
        elif t_recv >= self._clock_next and self._t0 is not None:
            # Once a window, and by at most CLOCK_MAX_DRIFT of it: within a window the timeline is
            # exactly index / rate, and a source far faster than real time (a recording served as
            # fast as possible) is not pulled onto the wall clock.
            limit = CLOCK_MAX_DRIFT * CLOCK_WINDOW_S
            self._t0 += min(max(window[0][1] - self._t0, -limit), limit)
            self._clock_next = t_recv + CLOCK_WINDOW_S

    def _mark_disconnected(self, *, overflow: bool = False) -> None:
        """Called by the reader after losing samples: the next data re-anchors the index.

        ``overflow``: the receiver dropped them because they were read too late (counted in
        :attr:`overflow_samples` too), not because it was away.
        """
        with self._lock:
            self._resync = True
            self._resync_overflow = overflow

    def _backoff(self, attempt: int) -> float:
        first, most = self.backoff_s
        return min(most, first * (2.0**attempt))

    def _reopen(
        self,
        open_fn: Callable[[], None],
        attempt: int,
        retry_on: tuple[type[Exception], ...],
        reopened: str,
    ) -> int | None:
        """One try of the reader to get the lost receiver back with ``open_fn``.

        On one of ``retry_on`` it reports ``reconnecting``, waits the backoff
        and returns the next attempt number; on success it counts and reports
        ``reconnected`` (``"{spec}: {reopened} after N attempt(s)"``) and
        returns 0. Returns ``None`` when stopped while waiting.
        """
        try:
            open_fn()
        except retry_on as exc:
            wait_s = self._backoff(attempt)
            attempt += 1
            self._report(
                "reconnecting",
                f"{exc}; retry {attempt} in {wait_s:.1f} s",
                attempt=attempt,
                wait_s=wait_s,
            )
            if self._stop.wait(wait_s):
                return None
            return attempt
        self.reconnects += 1
        self._report(
            "reconnected",
            f"{self.spec}: {reopened} after {attempt + 1} attempt(s)",
            attempt=attempt + 1,
            reconnects=self.reconnects,
        )
        return 0

    def _reader_main(self) -> None:
        try:
            self._run_reader()
        except Exception as exc:  # noqa: BLE001 - handed to the consumer thread, which raises it
            self._reader_error = exc
        finally:
            self._close_device()

    # -- consumer side --------------------------------------------------------
    def retune(self, freq_hz: float) -> None:
        """Tune to ``freq_hz``; blocks yielded from now on carry it (see the module docstring)."""
        if not freq_hz > 0:
            raise ValueError(f"frequency must be positive, not {freq_hz}")
        with self._lock:
            self._tune_gen += 1
            self._epoch += 1
            self._gen_freq_hz[self._tune_gen] = float(freq_hz)
            self.freq_hz = float(freq_hz)
        self._tune(float(freq_hz))
        self._report(
            "retuned",
            f"{self.spec}: tuned to {freq_hz / 1e6:.6g} MHz",
            warn=False,
            center_freq_hz=freq_hz,
        )

    def _start(self) -> None:
        if self._reader is not None and self._reader.is_alive():
            return
        self._stop.clear()
        self._reader_error = None
        if self._t0 is not None:
            self._mark_disconnected()  # streaming again later: the pause is on the timeline
        self._open()
        self._reader = threading.Thread(
            target=self._reader_main, name=f"reader {self.spec}", daemon=True
        )
        self._reader.start()

    def _time_of(self, index: int) -> datetime | None:
        if self._t0 is None:
            return None
        return datetime.fromtimestamp(self._t0, tz=timezone.utc) + timedelta(
            seconds=index / self.rate_hz
        )

    def blocks(self, block_size: int = DEFAULT_BLOCK_SAMPLES, idle_s: float | None = None) -> Iterator[Block]:
        """Yield blocks of ``block_size`` contiguous samples at one centre frequency.

        A block is shorter only before a discontinuity (drop, reconnection,
        retune), at the end (``num_samples`` reached) or when the receiver
        pauses with ``idle_s`` given. Raises :class:`SourceUnavailable` when
        the receiver is lost for good.

        With ``idle_s`` (seconds), whenever that long passes without a sample
        the samples assembled so far are yielded, then an empty block
        (``sample_index`` where the receiver's timeline has got to): the
        consumer gets control back while the receiver is silent.
        """
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        if idle_s is not None and not idle_s > 0:
            raise ValueError("idle_s must be positive")
        self._start()
        limit = self.num_samples
        delivered = 0
        parts: list[np.ndarray] = []
        buf_start = 0
        buf_len = 0
        buf_gen = -1
        settle_epoch = -1
        settle_left = 0

        def emit(count: int) -> Block:
            nonlocal parts, buf_start, buf_len, delivered
            raw = parts[0] if len(parts) == 1 else np.concatenate(parts)
            head, tail = raw[: self._comps * count], raw[self._comps * count :]
            block = Block(
                decode(head, self.wire, self.num_channels),
                self.rate_hz,
                self._gen_freq_hz[buf_gen],
                buf_start,
                self._time_of(buf_start),
            )
            parts = [tail] if len(tail) else []
            buf_start += count
            buf_len -= count
            delivered += count
            return block

        poll_s = 0.1 if idle_s is None else min(0.1, idle_s)
        last_sample = time.monotonic()
        try:
            while limit is None or delivered < limit:
                try:
                    chunk = self._queue.get(timeout=poll_s)
                except queue.Empty:
                    if self._reader is None or not self._reader.is_alive():
                        if self._reader_error is not None and not isinstance(
                            self._reader_error, EOFError
                        ):
                            if buf_len:
                                yield emit(buf_len)
                            raise self._reader_error
                        break
                    if idle_s is not None and time.monotonic() - last_sample >= idle_s:
                        if buf_len:
                            yield emit(buf_len)
                        yield self._empty_block()
                        last_sample = time.monotonic()
                    continue
                last_sample = time.monotonic()
                current_gen = self._tune_gen
                n = len(chunk.raw) // self._comps
                if chunk.tune_gen != current_gen:
                    self.discarded_samples += n
                    continue
                if buf_len and buf_gen != current_gen:
                    self.discarded_samples += buf_len  # assembled before a retune
                    parts, buf_len = [], 0
                raw, start = chunk.raw, chunk.start_index
                if settle_epoch != chunk.epoch:
                    settle_epoch = chunk.epoch
                    settle_left = round(self.settle_s * self.rate_hz)
                if settle_left:
                    skip = min(settle_left, n)
                    raw, start = raw[self._comps * skip :], start + skip
                    settle_left -= skip
                    self.discarded_samples += skip
                    n -= skip
                    if n == 0:
                        continue
                if buf_len and start != buf_start + buf_len:
                    yield emit(buf_len)
                if limit is not None:
                    n = min(n, limit - delivered - buf_len)
                    raw = raw[: self._comps * n]
                if not buf_len:
                    buf_start, buf_gen = start, current_gen
                parts.append(raw)
                buf_len += n
                while buf_len >= block_size:
                    yield emit(block_size)
                if limit is not None and delivered + buf_len >= limit and buf_len:
                    yield emit(buf_len)
            if buf_len:
                yield emit(buf_len)
        finally:
            self.flush_drop_report()
            self._stop_reader()

    def _empty_block(self) -> Block:
        """A block without samples at the point the receiver's timeline has reached (an idle tick)."""
        with self._lock:
            index, freq_hz = self._next_index, self.freq_hz
        shape = (0,) if self.num_channels == 1 else (0, self.num_channels)
        return Block(np.zeros(shape, np.complex64), self.rate_hz, freq_hz, index, self._time_of(index))

    def _stop_reader(self) -> None:
        self._stop.set()
        self._close_device()
        if self._reader is not None:
            self._reader.join(timeout=5.0)
            self._reader = None
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def close(self) -> None:
        """Stop the reader and release the receiver."""
        self._stop_reader()


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
