"""From blocks of IQ to classified bursts and emitters: the path ``classify`` and ``watch`` share.

Stages: :class:`rfclassify.detection.BurstDetector` (spectrogram, noise
floor, CFAR detection, baseband IQ per burst) → causal sequence context
(:class:`CausalContext`: interval to the previous similar burst, hop
spacing, channel count over the last ``window_s`` — only the past, so a
stream needs no look-ahead and training sees exactly what a live node
sees) → the model (a scikit-learn ``Pipeline`` of
:class:`rfclassify.features.BurstFeatures`, a column selection and
:class:`rfclassify.classify.openset.OpenSetClassifier`) → open-set
decisions → :class:`rfclassify.classify.tracking.EmitterTracker`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.persistence import default_model_path, load_model
from rfclassify.classify.tracking import (
    BurstDecision,
    EmitterTracker,
    emitter_summary,
    label_fields,
)
from rfclassify.detection import BurstDetector, DetectedBurst
from rfclassify.dsp.features import ContextRow, context_of_rows, context_row
from rfclassify.errors import ModelError
from rfclassify.features import FEATURE_SCHEMA_VERSION
from rfclassify.signatures import UNKNOWN
from rfclassify.sources.base import Block, Source

CONTEXT_WINDOW_S = 1.0
#: Feature columns left out of the model: where the receiver happened to be
#: tuned says nothing about the emitter.
EXCLUDED_FEATURES: tuple[str, ...] = ("offset_hz",)
#: Edges (MHz) of the coarse RF bands the model sees instead of the exact
#: frequency: 433, 868/915, 1.2/1.3 G, 2.4 G, 5.x G fall in separate bins, and a
#: recording whose centre frequency is nominal or a few MHz off (a
#: downconverter, an unrecorded channel) still lands in the right one.
BAND_EDGES_MHZ: tuple[float, ...] = (1.0, 200.0, 600.0, 700.0, 1000.0, 1500.0, 2000.0, 3000.0, 4500.0, 7000.0)


@lru_cache(maxsize=1)
def _openmp_controller() -> ThreadpoolController:
    """One scan of the loaded thread pools (made at the first decision, after the model's libraries load).

    ``threadpool_limits(...)`` rescans every loaded library on each call: 3 ms,
    6 % of a live node's CPU when it ran for every small batch.
    """
    return ThreadpoolController()


def band_code(rf_mhz: np.ndarray) -> np.ndarray:
    """Index of the coarse band of each RF centre in MHz (0: tuning unknown)."""
    return np.digitize(np.asarray(rf_mhz, dtype=np.float64), BAND_EDGES_MHZ).astype(np.float64)


class CausalContext:
    """Sequence features of each burst from the bursts before it (within ``window_s``)."""

    def __init__(self, window_s: float = CONTEXT_WINDOW_S) -> None:
        self.window_s = window_s
        self._history: deque[ContextRow] = deque()  # what the context reads of each recent detection

    def annotate(self, burst: DetectedBurst) -> DetectedBurst:
        """Set ``burst.context`` from the recent history, then remember the burst's detection."""
        row = context_row(burst.detection)
        while self._history and row[0] - self._history[0][0] > self.window_s:
            self._history.popleft()
        rows = [*self._history, row]
        burst.context = context_of_rows(rows, len(rows) - 1, self.window_s)
        self._history.append(row)
        return burst

    def reset(self) -> None:
        """Forget the history (new stream, new tuning)."""
        self._history.clear()


def detect_and_contextualize(
    blocks: Iterable[Block], detector: BurstDetector | None = None, window_s: float = CONTEXT_WINDOW_S
) -> Iterator[DetectedBurst]:
    """Every burst of a stream of blocks, with causal context, in completion order."""
    detector = detector or BurstDetector()
    context = CausalContext(window_s)
    last_fc: float | None = None
    for block in blocks:
        if last_fc is not None and block.center_freq_hz != last_fc:
            context.reset()
        last_fc = block.center_freq_hz
        for burst in detector.process(block):
            yield context.annotate(burst)
    for burst in detector.flush():
        yield context.annotate(burst)


def rf_centres(detections: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """RF centre (NaN where the receiver's tuning is unknown: ``center_freq_hz`` 0) and width of
    each detection, in Hz: the frequency evidence of the open-set decision."""
    rf_hz = np.array([d.freq_hz if d.center_freq_hz > 0 else np.nan for d in detections], dtype=np.float64)
    width_hz = np.array([d.f_hi_hz - d.f_lo_hz for d in detections], dtype=np.float64)
    return rf_hz, width_hz


@dataclass
class Classifier:
    """A loaded model: the fitted scikit-learn pipeline and its sidecar."""

    model: Any
    meta: dict[str, Any]
    path: Path | None = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> Classifier:
        """Load (after hash verification) the model at ``path``, or the shipped default."""
        path = Path(path) if path is not None else default_model_path()
        if not path.exists() and path == default_model_path():
            raise ModelError(f"{path}: the default model is missing; build it with 'make model'")
        model, meta = load_model(path)
        schema = meta.get("feature_schema_version")
        if schema is not None and schema != FEATURE_SCHEMA_VERSION:
            raise ModelError(
                f"{path}: trained on feature schema {schema}, this rfclassify computes {FEATURE_SCHEMA_VERSION}; "
                "retrain it ('rfclassify train' or 'make model')"
            )
        return cls(model, meta, path)

    @property
    def classes(self) -> list[str]:
        """Class labels in the model's probability-column order."""
        return [str(c) for c in self.model[-1].classes_]

    def features(self, bursts: list[DetectedBurst]) -> np.ndarray:
        """Feature matrix (after column selection) of bursts that already carry context."""
        return self.model[:-1].transform(bursts)

    def decide(self, bursts: list[DetectedBurst]) -> list[BurstDecision]:
        """Open-set decisions for a batch of bursts."""
        if not bursts:
            return []
        # One thread: OpenMP fan-out on a tiny batch costs far more than it saves
        # (measured 25x slower on a busy 2-core node).
        dets = [b.detection for b in bursts]
        rf_hz, width_hz = rf_centres(dets)
        with _openmp_controller().limit(limits=1, user_api="openmp"):
            decision = self.model[-1].predict_open(self.features(bursts), rf_hz, width_hz)
        out = []
        for k, burst in enumerate(bursts):
            det = burst.detection
            out.append(
                BurstDecision(
                    t_start_s=det.t_start_s,
                    t_end_s=det.t_end_s,
                    f_lo_hz=det.f_lo_hz,
                    f_hi_hz=det.f_hi_hz,
                    snr_db=det.snr_db,
                    label=str(decision.labels[k]),
                    confidence=float(decision.confidence[k]),
                    proba=decision.proba[k],
                    reason=str(decision.reasons[k]),
                    center_freq_hz=det.center_freq_hz,
                    candidate=str(decision.closed_labels[k]),
                )
            )
        return out


#: Bursts an emitter keeps for its summary's medians in offline classify (counts, evidence, span and
#: channels are running totals over all of them): memory does not grow with a recording's length.
MAX_EMITTER_BURSTS = 1000
#: Most baseband IQ held by one batch of bursts waiting for the model (bytes): a batch of wideband
#: bursts must not hold gigabytes.
MAX_BATCH_IQ_BYTES = 32 << 20


def classify_bursts(
    blocks: Iterable[Block],
    classifier: Classifier,
    detector: BurstDetector | None = None,
    batch_size: int = 256,
) -> Iterator[tuple[DetectedBurst, BurstDecision]]:
    """Classify every burst of a stream, in batches of at most ``batch_size`` bursts (latency vs. speed).

    The boosted trees cost a fixed time per call whatever the batch, so
    offline work wants large batches; a batch is also closed when its bursts
    hold :data:`MAX_BATCH_IQ_BYTES` of IQ.
    """
    pending: list[DetectedBurst] = []
    held = 0
    for burst in detect_and_contextualize(blocks, detector):
        pending.append(burst)
        held += burst.iq.nbytes
        if len(pending) >= batch_size or held >= MAX_BATCH_IQ_BYTES:
            yield from zip(pending, classifier.decide(pending))
            pending, held = [], 0
    if pending:
        yield from zip(pending, classifier.decide(pending))


def burst_record(source_name: str, decision: BurstDecision) -> dict[str, Any]:
    """One ``--per-burst`` output record (same keys as an emitter record)."""
    fields = label_fields(decision.label)
    unknown = decision.label == UNKNOWN
    record = {
        "source": source_name,
        "label": decision.label,
        "drone": fields["drone"],
        "link": fields["link"],
        # an unknown burst's confidence is that it is not its candidate (see emitter_summary)
        "confidence": round(1.0 - decision.confidence if unknown else decision.confidence, 4),
        "t_start_s": round(decision.t_start_s, 6),
        "t_end_s": round(decision.t_end_s, 6),
        "freq_hz": decision.freq_hz,
        "freq_known": decision.freq_known,
        "bandwidth_hz": decision.f_hi_hz - decision.f_lo_hz,
        "snr_db": round(decision.snr_db, 2),
        "bursts": 1,
        "models": fields["models"],
        "bearing_deg": None,
        "bearing_std_deg": None,
        "reason": decision.reason,
    }
    if unknown and decision.candidate:
        record["candidate"] = decision.candidate
        record["candidate_confidence"] = round(decision.confidence, 4)
    return record


def classify_source(
    source: Source,
    classifier: Classifier,
    *,
    source_name: str | None = None,
    per_burst: bool = False,
    include_noise: bool = False,
    progress: Callable[[int], None] | None = None,
    detector: BurstDetector | None = None,
) -> list[dict[str, Any]]:
    """Classify a whole source; returns emitter records (or burst records with ``per_burst``).

    Emitters classified as ``noise`` (detections of the receiver's own
    noise) are left out unless ``include_noise``. ``progress`` is called with
    the number of samples of each block processed.
    """
    name = source_name or getattr(source, "path", "")

    def counted(blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            yield block
            if progress is not None:
                progress(len(block.samples))

    tracker = EmitterTracker(classifier.classes, max_bursts=MAX_EMITTER_BURSTS)
    records: list[dict[str, Any]] = []
    for _burst, decision in classify_bursts(counted(source.blocks()), classifier, detector):
        if decision.label == NOISE_LABEL and not include_noise:
            continue
        if per_burst:
            records.append(burst_record(name, decision))
        else:
            tracker.add(decision)
    if per_burst:
        return records
    return [emitter_summary(tracker, e, name) for e in tracker.close_all()]
