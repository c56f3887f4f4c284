"""The synthesizer: RF scenes of drone links and clutter, observed by receiver models, as annotated SigMF.

- :mod:`rfclassify.synth.impairments` — pure channel and front-end impairments;
- :mod:`rfclassify.synth.receiver` — :class:`Receiver` and the ``rtlsdr``/``wideband`` presets;
- :mod:`rfclassify.synth.scene` — :class:`EmitterSpec`, :class:`Scene`, :func:`render`;
- :mod:`rfclassify.synth.dataset` — tune-to choices, scenes per label, SigMF datasets.
"""

from __future__ import annotations

from rfclassify.synth.receiver import Receiver, ideal, receive, rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Rendered, Scene, place, render

__all__ = [
    "EmitterSpec",
    "Receiver",
    "Rendered",
    "Scene",
    "ideal",
    "place",
    "receive",
    "render",
    "rtlsdr",
    "wideband",
]
