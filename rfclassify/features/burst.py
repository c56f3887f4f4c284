"""The feature rows of detected bursts, and the scikit-learn transformer that builds them.

:func:`feature_rows` fills the columns of :mod:`rfclassify.features.schema`
from each burst's detection, its air time (:mod:`rfclassify.features.airtime`),
its LTE synchronisation signal (:mod:`rfclassify.features.sync`) and frame
period (:mod:`rfclassify.features.frame`) over its whole span, its IQ features (:mod:`rfclassify.features.iq`, measured on the detection's
own span, :func:`analysis_iq`, with bursts of one length batched together)
and its sequence context (:mod:`rfclassify.features.context`).
:class:`BurstFeatures` wraps it as the first step of the classifier's
:class:`sklearn.pipeline.Pipeline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from rfclassify.detect.burst_detector import MIN_SPAN_SAMPLES
from rfclassify.features import iq as R
from rfclassify.features.airtime import airtime_s
from rfclassify.features.context import context_table
from rfclassify.features.frame import frame_period_features
from rfclassify.features.schema import FEATURE_NAMES, FEATURE_SCHEMA_VERSION, MISSING
from rfclassify.features.sync import lte_pss_features

#: Fewest samples the IQ features are measured on: a shorter detection is widened about its centre
#: (the detector keeps at least this many over a detection's span when the input rate allows).
MIN_ANALYSIS_SAMPLES = MIN_SPAN_SAMPLES


#: Samples per batch of equal-length bursts: the 2-D temporaries stay a few MB (at 2^17 and more, glibc
#: trims them from the heap after each batch and the next faults them back in, ~150 faults per burst).
BATCH_SAMPLES = 1 << 16


def iq_feature_columns(bursts: Sequence[Any], max_samples: int = 1 << 13) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(rows, columns)``: the indices of the bursts with IQ features, and those features (one array per name, in ``rows`` order).

    Bursts whose analysis spans (:func:`analysis_iq`, cut at ``4 · max_samples``)
    have the same length and rate are measured together, as the rows of one
    2-D array (:mod:`rfclassify.features.iq`): one numpy pass per group
    instead of one Python call per burst and feature (a burst alone in its
    group is a batch of one).
    """
    groups: dict[tuple[float, int], list[int]] = {}
    spans: dict[int, np.ndarray] = {}
    for k, burst in enumerate(bursts):
        iq = getattr(burst, "iq", None)
        if iq is None or len(iq) < MIN_ANALYSIS_SAMPLES:
            continue
        x = analysis_iq(burst)[: 4 * max_samples]
        spans[k] = x
        groups.setdefault((float(burst.iq_rate_hz), len(x)), []).append(k)
    order: list[int] = []
    parts: list[dict[str, np.ndarray]] = []
    for (fs_hz, n), members in groups.items():
        step = max(1, BATCH_SAMPLES // n)
        for i in range(0, len(members), step):
            chunk = members[i : i + step]
            x = np.empty((len(chunk), n), dtype=np.complex64)
            for row, k in zip(x, chunk):
                row[:] = spans[k]
            bw = np.array([bursts[k].detection.bandwidth_hz for k in chunk], dtype=np.float64)
            parts.append(R.iq_features(x, fs_hz, bw, max_samples))
            order.extend(chunk)
    if not parts:
        return np.zeros(0, dtype=np.intp), {}
    cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return np.array(order, dtype=np.intp), cols


def span_indices(burst: Any) -> tuple[int, int]:
    """``(a, b)``: the detection's time span as sample indices into ``burst.iq`` (may reach outside it)."""
    det = burst.detection
    rate = burst.iq_rate_hz
    return round((det.t_start_s - burst.iq_t0_s) * rate), round((det.t_end_s - burst.iq_t0_s) * rate)


def analysis_iq(burst: Any, min_samples: int = MIN_ANALYSIS_SAMPLES) -> np.ndarray:
    """The part of ``burst.iq`` inside its detection's time span (widened to ``min_samples`` if shorter).

    The snippet carries margins of noise around the detection (for
    context and review); features measured on them describe the noise, not
    the emitter.
    """
    iq = burst.iq
    a, b = span_indices(burst)
    if b - a < min_samples:
        mid = (a + b) // 2
        a, b = mid - min_samples // 2, mid + (min_samples - min_samples // 2)
    # Inside the snippet: slid away from its edges (stream start or end), all of it if it is shorter.
    a = max(0, min(a, len(iq) - min_samples))
    b = min(len(iq), max(b, a + min_samples))
    return iq[a:b]


def feature_rows(
    bursts: Sequence[Any], contexts: Sequence[dict[str, float] | None], max_samples: int = 1 << 13
) -> np.ndarray:
    """Feature rows (float32) of ``bursts``, each with its context (or none)."""
    out = np.full((len(bursts), len(FEATURE_NAMES)), MISSING, dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURE_NAMES)}
    for k, burst in enumerate(bursts):
        det = burst.detection
        row = out[k]
        row[col["duration_s"]] = det.duration_s
        row[col["bandwidth_hz"]] = det.bandwidth_hz
        row[col["snr_db"]] = det.snr_db
        row[col["peak_db"]] = det.peak_db
        row[col["offset_hz"]] = det.offset_hz
        row[col["rf_mhz"]] = det.freq_hz / 1e6 if det.center_freq_hz else 0.0
        row[col["clipped"]] = float(det.edge_low or det.edge_high or det.split_before or det.split_after)
        iq = getattr(burst, "iq", None)
        if iq is not None:
            # Also for snippets too short for the other IQ features: a 0.4 ms OOK pulse decimated to
            # ~40 kS/s has ~60 samples, and its air time is still there to the sample.
            span = span_indices(burst)
            row[col["airtime_s"]] = airtime_s(iq, burst.iq_rate_hz, span)
            # Whole-span features (not the IQ batch's first samples): frame timing and sync signals
            # repeat every few ms; each returns zeros at once for spans too short or narrow to hold them.
            for name, v in lte_pss_features(iq, burst.iq_rate_hz, span, det.bandwidth_hz).items():
                row[col[name]] = v
            for name, v in frame_period_features(iq, burst.iq_rate_hz, span).items():
                row[col[name]] = v
        ctx = contexts[k]
        if ctx:
            for name, v in ctx.items():
                if name in col:
                    row[col[name]] = v
    rows, cols = iq_feature_columns(bursts, max_samples)
    if len(rows):
        out[rows, col["has_iq"]] = 1.0
        for name, v in cols.items():
            out[rows, col[name]] = v
    out[~np.isfinite(out)] = MISSING
    return out.astype(np.float32)


class BurstFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: a list of DetectedBurst → ``(n, len(FEATURE_NAMES))`` float32.

    Input ``X`` is a sequence of :class:`~rfclassify.detect.types.DetectedBurst`
    from one recording (or a time-sorted window of a stream); the sequence
    features are computed among the items of ``X`` (±``context_window_s``)
    unless a burst already carries ``context``. Stateless: ``fit`` only
    records ``n_features_in_``-style metadata. ``max_samples`` caps the IQ
    analysed per burst (speed on long continuous signals).

    Object inputs are outside what ``sklearn.utils.estimator_checks`` can
    exercise (it feeds numeric arrays), so those checks do not apply here;
    the tests check the sklearn rules that do (params, clone, fit/transform).
    """

    def __init__(self, context_window_s: float = 0.5, max_samples: int = 1 << 13) -> None:
        self.context_window_s = context_window_s
        self.max_samples = max_samples

    def fit(self, X: Sequence[Any], y: Any = None) -> BurstFeatures:
        """Nothing to learn; records the output schema."""
        self.feature_names_out_ = np.array(FEATURE_NAMES, dtype=object)
        self.schema_version_ = FEATURE_SCHEMA_VERSION
        return self

    def transform(self, X: Sequence[Any]) -> np.ndarray:
        """Feature matrix of the bursts in ``X`` (rows in input order)."""
        bursts = list(X)
        out = np.zeros((len(bursts), len(FEATURE_NAMES)), dtype=np.float32)
        # Streams bring their own (causal) context; a recording's bursts get it from each other.
        needed = any(getattr(b, "context", None) is None for b in bursts)
        contexts = context_table(bursts, self.context_window_s) if needed else [None] * len(bursts)
        ctxs = [b.context if b.context is not None else contexts[k] for k, b in enumerate(bursts)]
        if bursts:
            out[:] = feature_rows(bursts, ctxs, self.max_samples)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names, as :data:`FEATURE_NAMES`."""
        return np.array(FEATURE_NAMES, dtype=object)
