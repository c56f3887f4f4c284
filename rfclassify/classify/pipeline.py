"""The loaded model (:class:`Classifier`): open-set decisions for bursts that carry their context.

The model is a scikit-learn ``Pipeline`` of
:class:`rfclassify.features.BurstFeatures`, a column selection and
:class:`rfclassify.classify.openset.OpenSetClassifier`; it sees each burst
with its causal context (:class:`rfclassify.features.context.CausalContext`: interval to the previous
similar burst, hop spacing, channel count over the last ``window_s`` — only
the past, so a stream needs no look-ahead and training sees exactly what a
live node sees). The stream engine that runs detection, context, the model
and the tracker over blocks of IQ is :mod:`rfclassify.classify.stream`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from rfclassify.classify.persistence import default_model_path, load_model
from rfclassify.classify.tracking import BurstDecision
from rfclassify.detect.types import DetectedBurst
from rfclassify.errors import ModelError
from rfclassify.features.schema import FEATURE_NAMES, FEATURE_SCHEMA_VERSION


@lru_cache(maxsize=1)
def _openmp_controller() -> ThreadpoolController:
    """One scan of the loaded thread pools (made at the first decision, after the model's libraries load).

    ``threadpool_limits(...)`` rescans every loaded library on each call: 3 ms,
    6 % of a live node's CPU when it ran for every small batch.
    """
    return ThreadpoolController()


def rf_centres(detections: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """RF centre (NaN where the receiver's tuning is unknown: ``center_freq_hz`` 0) and width of
    each detection, in Hz: the frequency evidence of the open-set decision."""
    rf_hz = np.array([d.freq_hz if d.center_freq_hz > 0 else np.nan for d in detections], dtype=np.float64)
    width_hz = np.array([d.f_hi_hz - d.f_lo_hz for d in detections], dtype=np.float64)
    return rf_hz, width_hz


@dataclass
class Classifier:
    """A loaded model: the rebuilt scikit-learn pipeline, its metadata and how it came to be trusted."""

    model: Any
    meta: dict[str, Any]
    path: Path | None = None
    trust: Any = None  # rfclassify.classify.signing.Verdict

    @classmethod
    def load(cls, path: str | Path | None = None, *, allow_unsigned: bool | None = None) -> Classifier:
        """Load the model at ``path`` (default: the shipped one) after its trust check.

        A model other than the shipped one needs a valid signature by a trusted
        key, or ``allow_unsigned`` (``None``: the ``RFCLASSIFY_ALLOW_UNSIGNED_MODEL``
        environment variable); see :mod:`rfclassify.classify.signing`.
        """
        path = Path(path) if path is not None else default_model_path()
        if not path.exists() and path == default_model_path():
            raise ModelError(f"{path}: the default model is missing; build it with 'make model'")
        loaded = load_model(path, allow_unsigned=allow_unsigned)
        schema = loaded.meta.get("feature_schema_version")
        if schema is not None and schema != FEATURE_SCHEMA_VERSION:
            raise ModelError(
                f"{path}: trained on feature schema {schema}, this rfclassify computes {FEATURE_SCHEMA_VERSION}; "
                "retrain it ('rfclassify train' or 'make model')"
            )
        names = loaded.meta.get("feature_names")
        if names is not None:
            # A schema appends columns without changing the others: a model reads the ones it was trained on.
            if tuple(names) != FEATURE_NAMES[: len(names)]:
                raise ModelError(f"{path}: its feature columns are not this rfclassify's; retrain it")
            loaded.pipeline.set_params(select__n_features=len(names))
        return cls(loaded.pipeline, loaded.meta, path, loaded.trust)

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
