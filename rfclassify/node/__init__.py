"""The long-running sensor node behind ``rfclassify watch`` and :func:`rfclassify.watch`.

Modules: :mod:`~rfclassify.node.events` (emitter start/update/end events),
:mod:`~rfclassify.node.outputs` (stdout, JSON lines, MQTT),
:mod:`~rfclassify.node.heartbeat`, :mod:`~rfclassify.node.evidence` (IQ
ring buffer and SigMF snippets), :mod:`~rfclassify.node.scan` (band
scanning), :mod:`~rfclassify.node.options` (every ``watch`` option, declared
once), :mod:`~rfclassify.node.config` (``node.toml``),
:mod:`~rfclassify.node.service` (the loop) and :mod:`~rfclassify.node.api`.
Importing this package imports none of them.
"""
