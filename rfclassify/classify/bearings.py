"""Filling ``bearing_deg`` / ``bearing_std_deg`` of classified emitters from an array recording.

``classify`` classifies channel 0 of a multi-channel (coherent array)
recording; :func:`rfclassify.bearing.pipeline.bearings_for_source` finds the
emitters on the channel-summed spectrogram and estimates each one's bearing
from its own band and time spans. An emitter record takes the bearing of the
DF emitter whose band holds the record's centre frequency and whose spans
overlap the record's time span most (the control uplink's bearing is the
operator's).

:func:`bearing_fields` is the subset of a bearing result that ``classify``
records and ``watch`` events carry (the sensor node estimates its bearings
per event, see :mod:`rfclassify.node.bearing`).
"""

from __future__ import annotations

from typing import Any

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
