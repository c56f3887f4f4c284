"""``rfclassify.watch``: the live node as a Python iterator, for embedding.

Example::

    import rfclassify

    for event in rfclassify.watch("rtl_tcp://127.0.0.1:1234", freq="915M", sensor_id="mast-3"):
        if event["event"] == "start" and event["drone"]:
            print(event["time"], event["label"], event["freq_hz"], event["confidence"])

Events are the dicts ``rfclassify watch`` prints (see
:mod:`rfclassify.node.events`); with ``heartbeat="10s"`` heartbeat dicts
(``event: heartbeat``) are interleaved. The iterator ends when a recording
ends; for a live receiver it runs until the loop is broken out of (the
generator's ``close()`` releases the receiver) or :meth:`WatchService.stop`
is called on the service passed to ``on_service``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from rfclassify.node.events import EventPolicy
from rfclassify.node.service import NodeOptions, WatchService
from rfclassify.sources.base import Source
from rfclassify.units import parse_duration, parse_frequency, parse_size


def _opt(value: Any, parse: Callable[[Any], Any]) -> Any:
    return None if value is None else parse(value)


def watch(
    source: str | Source,
    *,
    freq: float | str | None = None,
    rate: float | str | None = None,
    format: str | None = None,
    gain: float | str | None = None,
    ppm: int = 0,
    model: Any = None,
    sensor_id: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    heading: float | None = None,
    scan: str | None = None,
    dwell: float | str = 0.5,
    heartbeat: float | str = 0.0,
    record_dir: str | None = None,
    record_max: int | str = "2G",
    realtime: bool = False,
    min_confidence: float = 0.9,
    min_bursts: int = 5,
    update_interval: float | str = 5.0,
    quiet: float | str = 3.0,
    array: str | None = None,
    elements: int | None = None,
    radius: float | None = None,
    spacing: float | None = None,
    positions: str | None = None,
    geometry: Any = None,
    method: str = "music",
    calibration: Any = None,
    on_service: Callable[[WatchService], None] | None = None,
    **source_overrides: Any,
) -> Iterator[dict[str, Any]]:
    """Watch ``source`` and yield event dicts (``start`` / ``update`` / ``end``, and heartbeats).

    Arguments mirror ``rfclassify watch`` (quantities as numbers in Hz,
    seconds and bytes, or as text: ``"915M"``, ``"0.5s"``, ``"2G"``).
    ``model`` is a model path or an already loaded
    :class:`rfclassify.classify.pipeline.Classifier` (default: the shipped
    model). ``on_service(service)`` receives the :class:`WatchService`
    before it starts (to call ``stop()`` from elsewhere). Extra keywords go
    to the live source (``agc``, ``bias_tee`` …).

    A multi-channel (coherent array) source gets ``bearing_deg`` /
    ``bearing_std_deg`` on its events (:mod:`rfclassify.classify.bearings`). The
    array is ``array="uca", elements=5, radius=0.11`` (or ``"ula"`` with
    ``spacing``, or ``positions="x,y;x,y;..."``) as on the command line, or
    an :class:`~rfclassify.bearing.geometry.ArrayGeometry` as ``geometry``,
    else the recording's ``rfclassify:array``; ``method`` is the DOA
    estimator (``music``, ``bartlett``, ``capon``) and ``calibration`` a
    file from ``rfclassify calibrate`` (or a loaded calibration).
    Raises :class:`rfclassify.errors.InputError` for unusable arguments.
    """
    from rfclassify.bearing.geometry import geometry_from_options
    from rfclassify.errors import InputError

    from_options = geometry_from_options(array, elements, radius, spacing, positions)
    if from_options is not None:
        if geometry is not None:
            raise InputError("geometry", "give geometry= or the array options (array=, positions= …), not both")
        geometry = from_options
    try:
        options = NodeOptions(
            freq_hz=_opt(freq, parse_frequency),
            rate_hz=_opt(rate, parse_frequency),
            format=format,
            gain=gain,
            ppm=int(ppm),
            model=str(model) if isinstance(model, (str, os.PathLike)) else None,
            sensor_id=sensor_id,
            lat=lat,
            lon=lon,
            heading_deg=heading,
            scan=scan,
            dwell_s=parse_duration(dwell),
            heartbeat_s=parse_duration(heartbeat),
            record_dir=None if record_dir is None else str(record_dir),
            record_max_bytes=parse_size(record_max),
            realtime=realtime,
            policy=EventPolicy(
                min_confidence=min_confidence,
                min_bursts=min_bursts,
                update_interval_s=parse_duration(update_interval),
                quiet_s=parse_duration(quiet),
            ),
            source_overrides=source_overrides,
            geometry=geometry,
            bearing_method=method,
            calibration=calibration,
        )
    except ValueError as exc:
        raise InputError(source if isinstance(source, str) else "watch", str(exc)) from None
    classifier = model if model is not None and hasattr(model, "decide") else None
    service = WatchService(source, options, classifier)
    if on_service is not None:
        on_service(service)
    return service.events()
