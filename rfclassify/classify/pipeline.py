"""The loaded model (:class:`Classifier`) and the causal sequence context of bursts.

The model is a scikit-learn ``Pipeline`` of
:class:`rfclassify.features.BurstFeatures`, a column selection and
:class:`rfclassify.classify.openset.OpenSetClassifier`; it sees each burst
with its causal context (:class:`CausalContext`: interval to the previous
similar burst, hop spacing, channel count over the last ``window_s`` — only
the past, so a stream needs no look-ahead and training sees exactly what a
live node sees). The stream engine that runs detection, context, the model
and the tracker over blocks of IQ is :mod:`rfclassify.classify.stream`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from rfclassify.classify.persistence import default_model_path, load_model
from rfclassify.classify.tracking import BurstDecision
from rfclassify.detection import DetectedBurst
from rfclassify.dsp.features import ContextRow, context_of_rows, context_row
from rfclassify.errors import ModelError
from rfclassify.features import FEATURE_SCHEMA_VERSION

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
        with _openmp_controller().limit(limits=1, user_api="openmp"):
            decision = self.model[-1].predict_open(self.features(bursts))
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
                )
            )
        return out
