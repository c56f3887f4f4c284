"""Where the CPU time of ``classify`` goes, per pipeline stage (used by ``scripts/bench.py``).

The stage functions below are wrapped, for the length of a :class:`StageTimer`
context, by timers that charge each call's CPU time to its stage *less* the
time of the wrapped calls it makes (so the stages add up to the total without
double counting). Every module of ``rfclassify`` that holds a wrapped function
under its own name (``from … import f``) gets the wrapper too. A few thousand
wrapped calls cost a few milliseconds: unlike cProfile, the figures are those
of a normal run.

    with StageTimer() as st:
        classify_source(...)
    st.table()  # [(stage, cpu_s, calls), ...], largest first
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from typing import Any

#: (stage, module, attribute path) of each timed function, in pipeline order. A method is
#: ``Class.method``; a stage may have several functions.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("read (disk)", "rfclassify.sources.fileview", "FileComponents.__getitem__"),
    ("convert to complex64", "rfclassify.sources.datatypes", "decode"),
    ("spectrogram (STFT, |X|²)", "rfclassify.dsp.spectrogram", "power_spectrogram"),
    ("noise floor", "rfclassify.detect.burst_detector", "_Stream._frames"),
    ("noise floor", "rfclassify.detect.burst_detector", "_Stream.finish"),
    ("detection mask", "rfclassify.detect.engine", "DetectionEngine._mask_span"),
    ("components: joining chunks, open emissions", "rfclassify.detect.engine", "DetectionEngine._chunk"),
    ("components: compiled closing + labels", "rfclassify.detect.components", "close_and_label"),
    ("refinement (edges, SNR)", "rfclassify.detect.engine", "DetectionEngine._emit"),
    ("baseband IQ of each burst", "rfclassify.detect.burst_detector", "_Stream._bursts"),
    ("detector: samples in (ring, framing)", "rfclassify.detect.burst_detector", "BurstDetector.process"),
    ("causal context", "rfclassify.features.context", "CausalContext.annotate"),
    ("features: IQ", "rfclassify.features.iq", "iq_features"),
    ("features: air time", "rfclassify.features.airtime", "airtime_s"),
    ("features: rows, grouping", "rfclassify.features.burst", "BurstFeatures.transform"),
    ("classifier (trees, open set)", "rfclassify.classify.openset", "OpenSetClassifier.predict_open"),
    ("tracking", "rfclassify.classify.tracking", "EmitterTracker.add"),
)


class StageTimer:
    """Context manager: CPU seconds and calls per stage of :data:`STAGES` while it is active."""

    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.total_s = 0.0
        self._stack: list[float] = []  # child time accumulated by each open call
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, stage: str, fn: Any) -> Any:
        clock = time.process_time

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = clock() - t0
                child = self._stack.pop()
                self.cpu_s[stage] = self.cpu_s.get(stage, 0.0) + dt - child
                self.calls[stage] = self.calls.get(stage, 0) + 1
                if self._stack:
                    self._stack[-1] += dt

        return timed

    def __enter__(self) -> StageTimer:  # noqa: PYI034 - typing.Self needs Python 3.11
        for stage, module, attr in STAGES:
            mod = importlib.import_module(module)
            owner: Any = mod
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            fn = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            wrapped = self._wrap(stage, fn)
            self._undo.append((owner, name, fn))
            setattr(owner, name, wrapped)
            if not path:  # a function: also where other modules imported it by name
                for other in list(sys.modules.values()):
                    ours = getattr(other, "__name__", "").startswith("rfclassify") and other is not mod
                    if ours and getattr(other, name, None) is fn:
                        self._undo.append((other, name, fn))
                        setattr(other, name, wrapped)
        self._t0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.total_s = time.process_time() - self._t0
        for owner, name, fn in reversed(self._undo):
            setattr(owner, name, fn)
        self._undo.clear()

    def table(self) -> list[tuple[str, float, int]]:
        """``(stage, cpu_s, calls)`` of every stage that ran, largest first, then ``other`` (the rest of the total)."""
        rows = sorted(((s, t, self.calls[s]) for s, t in self.cpu_s.items()), key=lambda r: -r[1])
        rows.append(("other (Python glue, batching, records)", self.total_s - sum(self.cpu_s.values()), 0))
        return rows
