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

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from rfclassify.node.options import NodeOptions
from rfclassify.node.service import WatchService
from rfclassify.options.declare import build, declared, keyword_parameters
from rfclassify.sources.base import Source


def watch(
    source: str | Source,
    *,
    geometry: Any = None,
    on_service: Callable[[WatchService], None] | None = None,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """Watch ``source`` and yield event dicts (``start`` / ``update`` / ``end``, and heartbeats).

    The keyword options are those of ``rfclassify watch`` and ``node.toml``
    (listed below, declared in :class:`rfclassify.node.options.NodeOptions`),
    parsed the same way: quantities as numbers in Hz, seconds and bytes, or
    as text (``"915M"``, ``"0.5s"``, ``"2G"``). ``model`` may also be an
    already loaded :class:`rfclassify.classify.pipeline.Classifier` and
    ``calibration`` a loaded calibration. ``on_service(service)`` receives
    the :class:`WatchService` before it starts (to call ``stop()`` from
    elsewhere).

    A multi-channel (coherent array) source gets ``bearing_deg`` /
    ``bearing_std_deg`` on its events (:mod:`rfclassify.classify.bearings`). The
    array is ``array="uca", elements=5, radius=0.11`` (or ``"ula"`` with
    ``spacing``, or ``positions="x,y;x,y;..."``) as on the command line, or
    an :class:`~rfclassify.bearing.geometry.ArrayGeometry` as ``geometry``,
    else the recording's ``rfclassify:array``; ``method`` is the DOA
    estimator and ``calibration`` a file from ``rfclassify calibrate``.
    Raises :class:`rfclassify.errors.InputError` (one line) for an unknown
    keyword or an unusable value.

    Options:
    """
    classifier = None
    if hasattr(options.get("model"), "decide"):
        classifier = options.pop("model")
    direct = {} if geometry is None else {"geometry": geometry}
    node_options = build(NodeOptions, options, "watch()", **direct)
    service = WatchService(source, node_options, classifier)
    if on_service is not None:
        on_service(service)
    return service.events()


watch.__doc__ = (watch.__doc__ or "") + "".join(
    f"\n    - {line}" for line in (o.describe() for o in declared(NodeOptions))
)
watch.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("source", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="str | Source"),
        *keyword_parameters(declared(NodeOptions)),
        inspect.Parameter("geometry", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("on_service", inspect.Parameter.KEYWORD_ONLY, default=None),
    ],
    return_annotation="Iterator[dict[str, Any]]",
)
