"""Where classification meets direction finding: every join of :mod:`rfclassify.classify` and :mod:`rfclassify.bearing`.

Three users, one module:

- ``classify`` on a coherent-array recording (:func:`attach_bearings`): channel
  0 is classified as usual; :func:`rfclassify.bearing.pipeline.bearings_for_source`
  finds the emitters on the channel-summed spectrogram and estimates each
  one's bearing from its own band and time spans. An emitter record takes the
  bearing of the DF emitter whose band holds the record's centre frequency
  and whose spans overlap the record's time span most (the control uplink's
  bearing is the operator's).
- ``bearing`` naming what it found (:func:`make_label_fn`): channel 0 is
  classified once with the stream engine; each emitter band takes the bursts
  whose centre falls inside its band and whose time falls inside its spans,
  and their decisions are aggregated as the tracker does (so the control
  uplink's bearing is reported with ``label`` ``elrs-900``, ``link``
  ``control``: the operator).
- the sensor node (:class:`NodeBearings`): for a multi-channel source it keeps
  the last ``window_s`` of every channel in an
  :class:`~rfclassify.node.evidence.IQRing` (bounded: ``window_s`` × rate ×
  channels samples, stored in the source's own integer format where it has
  one), and when an emitter's ``start`` or ``update`` event is produced it
  estimates that emitter's bearing from its own detections still in the
  ring: its bursts of the last ``span_s`` seconds (at the tuning of its
  latest burst) are grouped by band
  (:func:`~rfclassify.bearing.pipeline.group_by_frequency`: one group per
  channel of a hopping link); the group heard longest is calibrated,
  channelized to its spans and band and run through the DOA estimator by
  :func:`~rfclassify.bearing.pipeline.emitter_doa`, the function ``classify``
  and ``bearing`` use. An ``end`` event repeats the emitter's last estimate.
  Geometry, method and calibration are checked when the source is opened, by
  :func:`~rfclassify.bearing.pipeline.check_array_source` (a multi-channel
  source without geometry is the same one-line error as in ``classify``). A
  one-channel source gets no bearing (``bearing_deg`` stays ``null``).

Records and events carry :data:`BEARING_KEYS` (:func:`bearing_fields`):
``bearing_deg``, ``bearing_std_deg`` (Cramér–Rao, degrees),
``bearing_method``, and ``bearing_ambiguity``/``bearing_mirror_deg``
(``"mirror"`` and the mirror image for a linear array, whose bearings are
0–180°). Bearings are in the array's frame (degrees counter-clockwise from
its x-axis), as everywhere in :mod:`rfclassify.bearing`.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.stream import classified_bursts
from rfclassify.classify.tracking import BurstDecision, Emitter, EmitterTracker, emitter_summary
from rfclassify.node.evidence import IQRing
from rfclassify.sources.base import Block

log = logging.getLogger("rfclassify.node")

#: Keys a record of an array source gets: ``bearing_ambiguity`` is ``"mirror"`` for a linear
#: array (whose bearing, 0–180°, cannot be told from ``bearing_mirror_deg``), else ``null``.
BEARING_KEYS = ("bearing_deg", "bearing_std_deg", "bearing_method", "bearing_ambiguity", "bearing_mirror_deg")


def bearing_fields(result: Any) -> dict[str, Any]:
    """The :data:`BEARING_KEYS` of an :class:`~rfclassify.bearing.pipeline.EmitterBearing` (as ``bearing`` prints them)."""
    record = result.to_dict()
    return {key: record[key] for key in BEARING_KEYS}


def attach_bearings(records: list[dict[str, Any]], source: Any, geometry: Any = None, method: str = "music",
                    calibration: Any = None) -> list[dict[str, Any]]:
    """Fill the bearing keys of ``records`` in place from an array ``source``; returns ``records``."""
    from rfclassify.bearing.pipeline import bearings_for_source

    found = bearings_for_source(source, geometry, method, calibration)
    for rec in records:
        best, best_overlap = None, 0.0
        for res in found:
            em = res.emitter
            if not (em.f_lo_hz <= rec["freq_hz"] <= em.f_hi_hz):
                continue
            overlap = sum(max(0.0, min(e, rec["t_end_s"]) - max(s, rec["t_start_s"])) for s, e in em.spans_s)
            if overlap > best_overlap or best is None:
                best, best_overlap = res, overlap
        if best is not None and best.bearing_deg is not None:
            rec.update(bearing_fields(best))
    return records


_FIELDS = ("label", "drone", "link", "confidence", "models")


def classify_channel(x: np.ndarray, rate_hz: float, center_hz: float, classifier: Classifier) -> list[BurstDecision]:
    """Burst decisions of one channel of samples (``(n,)``), noise detections left out."""
    step = 1 << 18
    blocks = (Block(x[i : i + step], rate_hz, center_hz, i) for i in range(0, len(x), step))
    return [d for _, d in classified_bursts(blocks, classifier) if d.label != NOISE_LABEL]


def make_label_fn(classifier: Classifier) -> Callable[[np.ndarray, float, float, Any], dict[str, Any]]:
    """A ``label_fn(samples, rate_hz, center_hz, emitter_band)`` for :func:`bearings_for_source`."""
    cache: dict[tuple[int, int, float, float], list[BurstDecision]] = {}

    def label_fn(samples: np.ndarray, rate_hz: float, center_hz: float, band: Any) -> dict[str, Any]:
        channel0 = samples if samples.ndim == 1 else samples[:, 0]
        key = (id(samples), len(samples), rate_hz, center_hz)
        if key not in cache:
            cache.clear()
            cache[key] = classify_channel(np.ascontiguousarray(channel0), rate_hz, center_hz, classifier)
        decisions = [
            d for d in cache[key]
            if band.f_lo_hz <= d.freq_hz <= band.f_hi_hz
            and any(s - 1e-3 <= d.t_start_s <= e + 1e-3 for s, e in band.spans_s)
        ]
        if not decisions:
            return {}
        tracker = EmitterTracker(classifier.classes, gap_s=float("inf"))
        counts: dict[str, int] = {}
        for d in decisions:
            counts[d.label] = counts.get(d.label, 0) + 1
        majority = max(counts, key=lambda k: counts[k])
        for d in decisions:
            if d.label == majority:
                tracker.add(d)
        emitters = tracker.close_all()
        summary = emitter_summary(tracker, emitters[0], "")
        return {k: summary[k] for k in _FIELDS}

    return label_fn


#: Integer formats stored as they are (lossless); anything else is kept as cf32.
_EXACT = ("cu8", "ci8", "ci16_le")


def ring_datatype(source_datatype: str | None) -> str:
    """The ring's storage format for a source delivering ``source_datatype`` (lossless either way)."""
    from rfclassify.sources.datatypes import datatype

    try:
        name = datatype(source_datatype or "").name
    except KeyError:
        return "cf32_le"
    return name if name in _EXACT else "cf32_le"


def load_calibration(calibration: Any) -> Any:
    """A :class:`~rfclassify.bearing.calibration.Calibration` from a path (or one given), or ``None``."""
    from rfclassify.bearing.calibration import Calibration

    if calibration is None or isinstance(calibration, Calibration):
        return calibration
    if isinstance(calibration, (str, os.PathLike)):
        return Calibration.load(calibration)
    raise TypeError(f"calibration must be a path or a Calibration, not {type(calibration).__name__}")


class NodeBearings:
    """Per-emitter bearings for the events of one multi-channel source (see the module docstring)."""

    def __init__(
        self,
        geometry: Any,
        *,
        method: str = "music",
        calibration: Any = None,
        sample_rate_hz: float,
        datatype: str = "cf32_le",
        window_s: float = 0.5,
        span_s: float = 0.1,
        pad_s: float = 1e-3,
    ) -> None:
        if window_s <= 0 or span_s <= 0:
            raise ValueError("the bearing window and span must be positive")
        self.geometry = geometry
        self.method = method
        self.calibration = calibration
        self.sample_rate_hz = float(sample_rate_hz)
        self.span_s = float(span_s)
        self.pad_s = float(pad_s)
        self.ring = IQRing(max(1, round(window_s * sample_rate_hz)), datatype, channels=geometry.num_elements)
        self._last: dict[int, dict[str, Any]] = {}
        self.max_remembered = 4096

    @classmethod
    def for_source(
        cls,
        source: Any,
        geometry: Any = None,
        method: str = "music",
        calibration: Any = None,
        **kwargs: Any,
    ) -> NodeBearings | None:
        """Bearings for ``source`` if it has several channels (else ``None``).

        ``calibration`` is a path or a loaded calibration. Raises
        :class:`~rfclassify.errors.InputError` for a missing or inconsistent
        geometry, a bad method or calibration (as ``classify`` would); a
        :class:`~rfclassify.bearing.pipeline.BearingWarning` becomes a logged warning.
        """
        from rfclassify.bearing.doa import METHODS
        from rfclassify.bearing.pipeline import BearingWarning, check_array_source
        from rfclassify.errors import InputError

        info = source.info
        if int(info.num_channels) <= 1:
            return None
        if method not in METHODS:
            raise InputError("--method", f"must be one of {', '.join(METHODS)}, got {method!r}")
        cal = load_calibration(calibration)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BearingWarning)
            geo = check_array_source(source, geometry, cal)
        for w in caught:
            if issubclass(w.category, BearingWarning):
                log.warning("warning: %s", w.message)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return cls(geo, method=method, calibration=cal, sample_rate_hz=float(info.sample_rate_hz),
                   datatype=ring_datatype(getattr(info, "datatype", None)), **kwargs)

    def push(self, block: Block) -> None:
        """Keep ``block`` (all channels) in the ring."""
        self.sample_rate_hz = float(block.sample_rate_hz)
        self.ring.append(block)

    def estimate(self, emitter: Emitter) -> dict[str, Any] | None:
        """The bearing keys for ``emitter`` from its bursts still in the ring, or ``None`` if it cannot be had."""
        from rfclassify.bearing.pipeline import (
            NFFT,
            EmitterBand,
            EmitterBearing,
            emitter_doa,
            group_by_frequency,
        )

        start, end = self.ring.start, self.ring.end
        if start is None or end is None or not emitter.bursts:
            return None
        rate = self.sample_rate_hz
        t_lo, t_hi = start / rate, end / rate
        held = [b for b in emitter.bursts if b.t_end_s > t_lo and b.t_start_s < t_hi]
        if not held:
            return None
        fc = held[-1].center_freq_hz
        t_last = max(b.t_end_s for b in held if b.center_freq_hz == fc)
        recent = [b for b in held if b.center_freq_hz == fc and b.t_end_s > t_last - self.span_s]
        a = math.floor(min(b.t_start_s for b in recent) * rate) - round(self.pad_s * rate)
        z = math.ceil(t_last * rate) + round(self.pad_s * rate)
        candidates = []
        for first, _utc, x in self.ring.segments(a, z, fc):
            t0, dur = first / rate, len(x) / rate
            bands = [
                EmitterBand(((max(b.t_start_s - t0, 0.0), min(b.t_end_s - t0, dur)),), b.f_lo_hz, b.f_hi_hz, b.snr_db)
                for b in recent
                if b.t_end_s > t0 and b.t_start_s < t0 + dur
            ]
            for band in group_by_frequency(bands, tolerance_hz=rate / NFFT):
                heard = sum(e - s for s, e in band.spans_s)
                candidates.append((heard, band, x))
        for _heard, band, x in sorted(candidates, key=lambda c: -c[0]):
            doa = emitter_doa(x, rate, fc, band, self.geometry, self.method, self.calibration)
            if doa is not None:
                result = EmitterBearing(source="", emitter=band, bearing_deg=doa.bearing_deg,
                                        bearing_std_deg=doa.bearing_std_deg[0], method=self.method, doa=doa)
                return bearing_fields(result)
        return None

    def annotate(self, event: dict[str, Any], emitter: Emitter | None) -> dict[str, Any]:
        """Fill the bearing keys of ``event`` in place (``start``/``update``: a fresh estimate; ``end``: the last)."""
        kind = event.get("event")
        emitter_id = int(event.get("emitter_id", -1))
        fields = None
        if kind in ("start", "update") and emitter is not None:
            fields = self.estimate(emitter)
            if fields is not None:
                self._last.pop(emitter_id, None)
                self._last[emitter_id] = fields
                while len(self._last) > self.max_remembered:
                    self._last.pop(next(iter(self._last)))
        elif kind == "end":
            fields = self._last.pop(emitter_id, None)
        if fields is not None:
            event.update(fields)
        return event
