"""Classifying a recording: the records ``rfclassify classify``, :func:`classify_file` and :func:`classify_iq` return.

:func:`classify_source` drives the stream engine
(:mod:`rfclassify.classify.stream`) over a source with offline batching and
an emitter tracker; :func:`classify_records` adds what the command adds
(bearings for a coherent array, the drones-only filter) and is the one
builder the CLI and the Python API share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from rfclassify.classify.droneid import DroneIDTrack, droneid_fields
from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.positions import PositionPolicy
from rfclassify.classify.stream import OFFLINE_BATCH, StreamEngine
from rfclassify.classify.tracking import (
    BurstDecision,
    EmitterTracker,
    emitter_summary,
    label_fields,
)
from rfclassify.detect.burst_detector import BurstDetector
from rfclassify.detect.types import DetectedBurst
from rfclassify.signatures import UNKNOWN
from rfclassify.sources.base import Block, Source

#: Bursts an emitter keeps for its summary's medians in offline classify (counts, evidence, span and
#: channels are running totals over all of them): memory does not grow with a recording's length.
MAX_EMITTER_BURSTS = 1000


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
        **droneid_fields(decision.label, DroneIDTrack.of(decision.droneid)),
    }
    if unknown and decision.candidate:
        record["candidate"] = decision.candidate
        record["candidate_confidence"] = round(decision.confidence, 4)
    return record


class RecordTracker:
    """The offline tracker of the stream engine: per-burst records, or emitters summarized at the end.

    ``noise`` decisions are left out unless ``include_noise``. Emitters are
    closed by the gap between their bursts (:class:`EmitterTracker`), not by
    the stream time of block ends: a recording has no deadline to report by.
    """

    def __init__(self, classes: list[str], source_name: str, *, per_burst: bool = False,
                 include_noise: bool = False) -> None:
        self.source_name = source_name
        self.per_burst = per_burst
        self.include_noise = include_noise
        self.tracker = EmitterTracker(classes, max_bursts=MAX_EMITTER_BURSTS)

    def add(self, burst: DetectedBurst, decision: BurstDecision) -> list[dict[str, Any]]:
        """A per-burst record (``per_burst``), else nothing until :meth:`close`."""
        if decision.label == NOISE_LABEL and not self.include_noise:
            return []
        if self.per_burst:
            return [burst_record(self.source_name, decision)]
        self.tracker.add(decision)
        return []

    def expire(self, now_s: float) -> list[dict[str, Any]]:
        """Nothing: see the class docstring."""
        return []

    def close(self) -> list[dict[str, Any]]:
        """The emitter records (none with ``per_burst``), in order of first burst."""
        if self.per_burst:
            return []
        return [emitter_summary(self.tracker, e, self.source_name) for e in self.tracker.close_all()]


def classify_blocks(
    blocks: Iterable[Block],
    classifier: Classifier,
    *,
    source_name: str = "",
    per_burst: bool = False,
    include_noise: bool = False,
    detector: BurstDetector | None = None,
) -> list[dict[str, Any]]:
    """Emitter records (or burst records with ``per_burst``) of a stream of blocks; see :func:`classify_source`."""
    tracker = RecordTracker(classifier.classes, source_name, per_burst=per_burst, include_noise=include_noise)
    engine = StreamEngine(classifier, batch=OFFLINE_BATCH, tracker=tracker, detector=detector)
    records = [r for step in engine.run(blocks) for r in step.outputs]
    return records + tracker.close()


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

    def counted(blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            yield block
            if progress is not None:
                progress(len(block.samples))

    return classify_blocks(
        counted(source.blocks()), classifier, source_name=source_name or getattr(source, "path", ""),
        per_burst=per_burst, include_noise=include_noise, detector=detector,
    )


def classify_records(
    source: Source,
    classifier: Classifier,
    *,
    source_name: str | None = None,
    per_burst: bool = False,
    include_noise: bool = False,
    drones_only: bool = False,
    geometry: Any = None,
    calibration: Any = None,
    assume_calibrated: bool = False,
    progress: Callable[[int], None] | None = None,
    report_positions: PositionPolicy | None = None,
) -> list[dict[str, Any]]:
    """What ``rfclassify classify`` prints for one source: :func:`classify_source`, then bearings, then filters.

    A multi-channel (coherent array) source gets its emitters' bearing keys
    (``geometry``: an :class:`~rfclassify.bearing.geometry.ArrayGeometry` or
    ``None`` for the recording's ``rfclassify:array``; ``calibration``: a
    path or a loaded :class:`~rfclassify.bearing.calibration.Calibration`;
    without one the source is refused unless ``assume_calibrated``).
    ``drones_only`` keeps drone links only; ``report_positions`` says how
    positions decoded from DroneID are reported (:mod:`rfclassify.classify.positions`;
    default exact).
    """
    records = classify_source(source, classifier, source_name=source_name, per_burst=per_burst,
                              include_noise=include_noise, progress=progress)
    if source.info.num_channels > 1 and not per_burst:
        from rfclassify.classify.bearings import attach_bearings, load_calibration

        attach_bearings(records, source, geometry, calibration=load_calibration(calibration),
                        assume_calibrated=assume_calibrated)
    if drones_only:
        records = [r for r in records if r["drone"]]
    policy = report_positions or PositionPolicy()
    return [policy.apply(r) for r in records]


def load_classifier(model: Classifier | str | os.PathLike[str] | None) -> Classifier:
    """``model`` if it is a loaded :class:`Classifier`, else the model at that path (``None``: the shipped one)."""
    if isinstance(model, Classifier):
        return model
    return Classifier.load(model)


def _geometry(options: dict[str, Any]) -> Any:
    from rfclassify.bearing.geometry import geometry_from_options
    from rfclassify.errors import InputError

    given = options.pop("geometry", None)
    from_options = geometry_from_options(
        options.pop("array", None), options.pop("elements", None), options.pop("radius", None),
        options.pop("spacing", None), options.pop("positions", None),
    )
    if from_options is not None and given is not None:
        raise InputError("geometry", "give geometry= or the array options (array=, positions= …), not both")
    return from_options if from_options is not None else given


def _classify_opened(source: Source, name: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    from rfclassify.errors import InputError

    geometry = _geometry(options)
    model = options.pop("model", None)
    record_options = {k: options.pop(k) for k in ("per_burst", "include_noise", "drones_only", "calibration",
                                                     "assume_calibrated")
                      if k in options}
    if "report_positions" in options:
        try:
            record_options["report_positions"] = PositionPolicy.parse(options.pop("report_positions"))
        except (TypeError, ValueError) as exc:
            raise InputError(name, f"report_positions: {exc}") from None
    if options:
        raise InputError(name, f"unknown option(s): {', '.join(sorted(options))}")
    classifier = load_classifier(model)
    return classify_records(source, classifier, source_name=name, geometry=geometry, **record_options)


def classify_file(path: str | os.PathLike[str], **options: Any) -> list[dict[str, Any]]:
    """The records ``rfclassify classify PATH`` prints, as a list of dicts.

    Options (all optional): ``model`` (a path or a loaded :class:`Classifier`;
    default the shipped model), ``per_burst``, ``include_noise``,
    ``drones_only``, ``report_positions`` (``"exact"``, ``"redact"`` or
    ``"coarse:0.01"``: how positions decoded from DroneID are reported); for a raw file ``format`` (``cu8|cs8|cs16|cf32``),
    ``sample_rate_hz`` and ``center_freq_hz`` (Hz or text: ``"2400k"``,
    ``"915M"``); for a coherent array ``array``/``elements``/``radius``/
    ``spacing``/``positions`` or ``geometry``, and ``calibration`` (or
    ``assume_calibrated=True``: the channels are phase-aligned already).
    Raises :class:`rfclassify.errors.InputError` for unusable input.
    """
    from rfclassify.sources import open_source

    source_keys = ("format", "sample_rate_hz", "center_freq_hz")
    opened = {k: options.pop(k) for k in source_keys if k in options}
    spec = os.fspath(path)
    with open_source(spec, **opened) as source:
        return _classify_opened(source, spec, options)


def classify_iq(
    samples: np.ndarray, sample_rate_hz: float | str, center_freq_hz: float | str | None = None, **options: Any
) -> list[dict[str, Any]]:
    """The records of :func:`classify_file` for samples already in memory.

    ``samples`` is complex (``(n,)``, or ``(n, channels)`` for a coherent
    array); ``center_freq_hz`` is the receiver's tuning (``None``: unknown,
    the classifier then sees no RF band). Options are :func:`classify_file`'s
    (no ``format``), plus ``name`` (the records' ``source``, default
    ``"<array>"``) and ``metadata`` (SigMF-style global metadata, e.g.
    ``rfclassify:array``).
    """
    from rfclassify.sources import open_source

    opened = {k: options.pop(k) for k in ("name", "metadata") if k in options}
    with open_source(samples, sample_rate_hz=sample_rate_hz, center_freq_hz=center_freq_hz, **opened) as source:
        return _classify_opened(source, source.path, options)
