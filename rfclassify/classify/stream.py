"""The one stream engine: blocks of IQ in, classified bursts (and tracker events) out.

Every path that turns IQ into decisions drives this module: ``classify``
(:func:`rfclassify.classify.recordings.classify_source`), training and
evaluation (:func:`rfclassify.classify.training.extract_recording`), the
bearing labeler (:mod:`rfclassify.classify.bearings`) and the live node
(:class:`rfclassify.node.service.WatchService`). They differ only in their
batching policy and their tracker, so training sees exactly what a node sees.

Stages, per block: detection (:class:`rfclassify.detect.burst_detector.BurstDetector`) →
causal sequence context (:class:`rfclassify.classify.pipeline.CausalContext`)
→ batching (:class:`BatchPolicy`) → open-set decisions
(:meth:`rfclassify.classify.pipeline.Classifier.decide`) → the tracker
(:class:`Tracker`: an emitter tracker offline, the event engine on a node).
A burst decided ``dji-ocusync`` is decoded as DroneID here, once, between the
decision and the tracker (:mod:`rfclassify.classify.droneid`): its detector
keeps the raw IQ of DroneID-shaped detections, and the frames go on the
decision (``BurstDecision.droneid``) every driver sees.

Discontinuities are handled here, once, in one order. A block that does not
continue the stream (another centre frequency or sample rate: a retune; a
sample index other than the next one: dropped samples or a reconnect) first
flushes the detector, and the bursts it completes take their context from the
stream they belong to; only then is the context reset, and only when the
tuning changed or time went backwards: across a forward gap at the same
tuning the bursts before it are still the recent past of the bursts after it
(the context window drops them as time moves on).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from rfclassify.classify.droneid import (
    DRONEID_LABEL,
    RAW_MARGIN_S,
    REASON_DRONEID_FRAME,
    decode_burst,
    droneid_shaped,
)
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.tracking import BurstDecision
from rfclassify.detect.burst_detector import BurstDetector
from rfclassify.detect.types import DetectedBurst
from rfclassify.features.context import CONTEXT_WINDOW_S, CausalContext
from rfclassify.sources.base import Block

#: Most baseband IQ held by one batch of bursts waiting for the model (bytes): a batch of wideband
#: bursts must not hold gigabytes.
MAX_BATCH_IQ_BYTES = 32 << 20

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)


@dataclass(frozen=True)
class BatchPolicy:
    """When bursts waiting for the model are decided (latency against the model's per-call cost).

    A batch is decided as soon as it holds ``max_batch`` bursts or
    ``max_iq_bytes`` of baseband IQ; with ``max_delay_s`` also at the end of
    any block after which its oldest burst has waited that long in stream
    time (seconds from the burst's end to the block's end). The boosted trees
    cost a fixed time per call whatever the batch, so offline work wants large
    batches (:data:`OFFLINE_BATCH`) and a live node a bounded delay.
    Decisions do not depend on how bursts are batched.
    """

    max_batch: int = 256
    max_delay_s: float | None = None
    max_iq_bytes: int = MAX_BATCH_IQ_BYTES

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_iq_bytes < 1:
            raise ValueError("max_batch and max_iq_bytes must be at least 1")
        if self.max_delay_s is not None and self.max_delay_s < 0:
            raise ValueError("max_delay_s must not be negative")


#: Recordings: large batches, no delay bound.
OFFLINE_BATCH = BatchPolicy()


class Tracker(Protocol[E_co]):
    """What the engine feeds its decisions to; each call returns the outputs it causes (events, records)."""

    def add(self, burst: DetectedBurst, decision: BurstDecision) -> list[E_co]:
        """Take one classified burst (in stream order)."""
        ...

    def expire(self, now_s: float) -> list[E_co]:
        """Stream time ``now_s`` (seconds) was reached: close what has been quiet too long."""
        ...


class BurstStream:
    """Detection and causal context of a stream of blocks, with retunes and gaps handled (see the module docstring).

    :meth:`push` returns the bursts a block completed, each with its
    ``context`` set, in completion order; :meth:`flush` those still open at the
    end of the stream.
    """

    def __init__(self, detector: BurstDetector | None = None, window_s: float = CONTEXT_WINDOW_S) -> None:
        self.detector = detector or BurstDetector()
        self.context = CausalContext(window_s)
        self._tuning: tuple[float, float] | None = None  # (centre Hz, rate Hz) of the current stream
        self._next_index: int | None = None  # sample index the current stream continues with

    def push(self, block: Block) -> list[DetectedBurst]:
        """Add one block; return the bursts it completed (and those a discontinuity before it closed)."""
        out: list[DetectedBurst] = []
        tuning = (float(block.center_freq_hz), float(block.sample_rate_hz))
        if self._tuning is not None and (tuning != self._tuning or block.sample_index != self._next_index):
            out += self._annotate(self.detector.flush())
            assert self._next_index is not None
            if tuning != self._tuning or block.sample_index < self._next_index:
                self.context.reset()
        self._tuning = tuning
        self._next_index = int(block.sample_index) + len(block.samples)
        out += self._annotate(self.detector.process(block))
        return out

    def flush(self) -> list[DetectedBurst]:
        """End of stream: the bursts still open. The context is kept for a stream that continues."""
        return self._annotate(self.detector.flush())

    def _annotate(self, bursts: list[DetectedBurst]) -> list[DetectedBurst]:
        return [self.context.annotate(b) for b in bursts]

    def run(self, blocks: Iterable[Block]) -> Iterator[DetectedBurst]:
        """Every burst of ``blocks`` with its context, then those the end of the stream completes."""
        for block in blocks:
            yield from self.push(block)
        yield from self.flush()


@dataclass
class StreamStep(Generic[E]):
    """What one :meth:`StreamEngine.push` or :meth:`StreamEngine.flush` produced, in stream order.

    ``classified`` pairs every decided burst with its decision; ``outputs`` are
    the tracker's (its ``add`` outputs in decision order, then its ``expire`` outputs).
    """

    classified: list[tuple[DetectedBurst, BurstDecision]] = field(default_factory=list)
    outputs: list[E] = field(default_factory=list)


class StreamEngine(Generic[E]):
    """Detect → causal context → batch → decide → track, one block at a time.

    ``classifier`` decides; ``batch`` says when (:class:`BatchPolicy`);
    ``tracker`` (optional) receives every decision and, after each block, the
    stream time it reached. The tracker outlives a stream: :meth:`flush` ends
    the stream (decides what is pending) but leaves closing the tracker to its
    owner. The default detector keeps the raw IQ of DroneID-shaped detections
    (:func:`rfclassify.classify.droneid.droneid_shaped`); one given without
    ``keep_raw`` gets no DroneID decoding.
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        batch: BatchPolicy = OFFLINE_BATCH,
        tracker: Tracker[E] | None = None,
        detector: BurstDetector | None = None,
        window_s: float = CONTEXT_WINDOW_S,
    ) -> None:
        self.classifier = classifier
        self.batch = batch
        self.tracker = tracker
        self.bursts = BurstStream(detector or BurstDetector(keep_raw=droneid_shaped, raw_margin_s=RAW_MARGIN_S),
                                  window_s)
        self._pending: list[DetectedBurst] = []
        self._pending_bytes = 0
        self.end_s: float | None = None  # stream time (s) of the end of the last block pushed

    @property
    def waiting(self) -> list[DetectedBurst]:
        """Bursts detected but not decided yet, oldest first."""
        return list(self._pending)

    def push(self, block: Block) -> StreamStep[E]:
        """Add one block; return what it caused (see :class:`StreamStep`)."""
        step: StreamStep[E] = StreamStep()
        for burst in self.bursts.push(block):
            self._queue(burst, step)
        self.end_s = block.t_start_s + len(block.samples) / block.sample_rate_hz
        delay = self.batch.max_delay_s
        if self._pending and delay is not None and self.end_s - self._pending[0].detection.t_end_s >= delay:
            self._decide(step)
        if self.tracker is not None:
            step.outputs += self.tracker.expire(self.end_s)
        return step

    def flush(self) -> StreamStep[E]:
        """End of stream: decide every burst still open or pending."""
        step: StreamStep[E] = StreamStep()
        for burst in self.bursts.flush():
            self._queue(burst, step)
        self._decide(step)
        return step

    def run(self, blocks: Iterable[Block]) -> Iterator[StreamStep[E]]:
        """A step per block, then the flush's."""
        for block in blocks:
            yield self.push(block)
        yield self.flush()

    def _queue(self, burst: DetectedBurst, step: StreamStep[E]) -> None:
        self._pending.append(burst)
        self._pending_bytes += burst.iq.nbytes + (0 if burst.raw_iq is None else burst.raw_iq.nbytes)
        if len(self._pending) >= self.batch.max_batch or self._pending_bytes >= self.batch.max_iq_bytes:
            self._decide(step)

    def _decide(self, step: StreamStep[E]) -> None:
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        for burst, decision in zip(batch, self.classifier.decide(batch)):
            if DRONEID_LABEL in (decision.label, decision.candidate):
                # Tried also where the classifier was unsure: the CRC, not the model, judges a frame.
                decision.droneid = decode_burst(burst)
                if decision.label != DRONEID_LABEL and any(f.crc_ok for f in decision.droneid):
                    decision.label, decision.reason = DRONEID_LABEL, REASON_DRONEID_FRAME
            step.classified.append((burst, decision))
            if self.tracker is not None:
                step.outputs += self.tracker.add(burst, decision)


def classified_bursts(
    blocks: Iterable[Block],
    classifier: Classifier,
    *,
    batch: BatchPolicy = OFFLINE_BATCH,
    detector: BurstDetector | None = None,
) -> Iterator[tuple[DetectedBurst, BurstDecision]]:
    """Every burst of a stream of blocks with its decision, in stream order (no tracker)."""
    engine: StreamEngine[None] = StreamEngine(classifier, batch=batch, detector=detector)
    for step in engine.run(blocks):
        yield from step.classified
