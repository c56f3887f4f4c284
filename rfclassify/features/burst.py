"""The feature vector of a detected burst, and the scikit-learn transformer that builds it.

:data:`FEATURE_SCHEMA` lists every feature with its unit and meaning, in
column order; :data:`FEATURE_NAMES` is its names. Missing values are never
NaN: a feature that cannot be measured is :data:`MISSING` (0.0) and a mask
column (``has_iq``, ``has_prev``) says whether its group was measured.
Bump :data:`FEATURE_SCHEMA_VERSION` whenever a column's meaning changes, so
models trained on an older schema are refused or warned about. Version 2:
the de-chirp columns are 0 when the IF slope is no LoRa chirp's, and
detection splits bursts at quiet gaps, resolves 20 MS/s at 25.6 µs frames
and keeps band-filling signals out of the noise floor. Version 3: the IQ
features are measured on the detection's own span (:func:`analysis_iq`),
not from the start of the IQ snippet, whose first ``margin_s`` is the noise
before the burst (for a 9 MHz burst at 20 MS/s the first 8192 samples were
*all* margin), and the de-chirp search looks only at the SFs next to the
slope's estimate. Version 4: ``airtime_s``, the packet's on-air time to the
sample (:mod:`rfclassify.dsp.airtime`), where the detection's frames only
resolve 25–100 µs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from rfclassify.detection import MIN_SPAN_SAMPLES
from rfclassify.dsp import features as F
from rfclassify.dsp import features_rows as R
from rfclassify.dsp.airtime import airtime_s

FEATURE_SCHEMA_VERSION = 4
#: Fewest samples the IQ features are measured on: a shorter detection is widened about its centre
#: (the detector keeps at least this many over a detection's span when the input rate allows).
MIN_ANALYSIS_SAMPLES = MIN_SPAN_SAMPLES
MISSING = 0.0

#: (name, unit, meaning) per column, in order.
FEATURE_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("duration_s", "s", "detection length"),
    ("bandwidth_hz", "Hz", "detection's frequency extent (99 % occupied edges)"),
    ("snr_db", "dB", "in-band signal over in-band noise power"),
    ("peak_db", "dB", "strongest cell over the noise floor"),
    ("offset_hz", "Hz", "centre offset from the receiver's tuning"),
    ("rf_mhz", "MHz", "absolute RF centre (0 when the receiver's tuning is unknown)"),
    ("clipped", "0/1", "touches the window edge in frequency or is a segment of a longer emission"),
    ("has_iq", "0/1", "IQ features below were measured"),
    ("bw_10db_hz", "Hz", "width of the spectrum above peak − 10 dB"),
    ("bw_occ99_hz", "Hz", "99 % occupied bandwidth of the baseband spectrum"),
    ("spectral_flatness", "1", "geometric / arithmetic mean of the in-band PSD"),
    ("spectral_kurtosis", "1", "mean in-band spectral kurtosis (−1 constant envelope, 0 Gaussian)"),
    ("spectral_crest_db", "dB", "in-band PSD peak over its mean"),
    ("papr_db", "dB", "peak to average power ratio"),
    ("envelope_cv", "1", "std / mean of the envelope"),
    ("if_std_hz", "Hz", "std of the instantaneous frequency while on"),
    ("fsk_deviation_hz", "Hz", "half distance of the two IF cluster centres"),
    ("fsk_separation", "1", "IF cluster distance over within-cluster std"),
    ("chirp_slope_hz_per_s", "Hz/s", "|median slope| of the IF"),
    ("chirp_sf_est", "1", "log2(BW²/slope) for the nearest LoRa BW"),
    ("dechirp_sf", "1", "LoRa SF (within ±1 of chirp_sf_est) whose de-chirp concentrates best (0 if none fits or no chirp)"),
    ("dechirp_gain_db", "dB", "de-chirped peak bin over mean bin power (0 if the IF slope is no chirp's)"),
    ("cp_best_lag_s", "s", "OFDM useful-symbol length with the best CP correlation"),
    ("cp_best_corr", "1", "its normalised CP correlation"),
    ("cp_corr_3u2", "1", "CP correlation at 3.2 µs (Wi-Fi)"),
    ("cp_corr_66u7", "1", "CP correlation at 66.7 µs (LTE-like / OcuSync)"),
    ("env_peak_hz", "Hz", "strongest line of the envelope/IF spectrum, 2–60 kHz"),
    ("env_peak_db", "dB", "its power over the band's median"),
    ("line_rate_db", "dB", "PAL/NTSC line-rate line over the band's median"),
    ("airtime_s", "s", "on-air time from the baseband envelope, to the sample (0 if it does not stand out)"),
    ("has_prev", "0/1", "a similar burst precedes within the context window"),
    ("prev_interval_s", "s", "start-to-start interval to the previous similar burst"),
    ("n_similar", "count", "similar bursts within ±0.5 s (including this one)"),
    ("n_channels", "count", "distinct centre frequencies of those bursts"),
    ("hop_spacing_hz", "Hz", "median spacing of adjacent distinct channels"),
    ("burst_rate_hz", "Hz", "similar bursts per second in the window"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _, _ in FEATURE_SCHEMA)
FEATURE_UNITS: dict[str, str] = {name: unit for name, unit, _ in FEATURE_SCHEMA}


def iq_features(iq: np.ndarray, fs_hz: float, bandwidth_hz: float, max_samples: int = 1 << 13) -> dict[str, float]:
    """All IQ-derived features of one burst (at most ``max_samples`` analysed; periodicity gets up to 4×).

    :func:`rfclassify.dsp.features_rows.iq_features` on a batch of one; many
    bursts go through :func:`iq_feature_columns`.
    """
    x = np.asarray(iq, dtype=np.complex64)[None, : 4 * max_samples]
    rows = R.iq_features(x, fs_hz, np.array([bandwidth_hz], dtype=np.float64), max_samples)
    return {name: float(v[0]) for name, v in rows.items()}


#: Samples per batch of equal-length bursts: the 2-D temporaries stay a few MB (at 2^17 and more, glibc
#: trims them from the heap after each batch and the next faults them back in, ~150 faults per burst).
BATCH_SAMPLES = 1 << 16


def iq_feature_columns(bursts: Sequence[Any], max_samples: int = 1 << 13) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(rows, columns)``: the indices of the bursts with IQ features, and those features (one array per name, in ``rows`` order).

    Bursts whose analysis spans (:func:`analysis_iq`, cut at ``4 · max_samples``)
    have the same length and rate are measured together, as the rows of one
    2-D array (:mod:`rfclassify.dsp.features_rows`): one numpy pass per group
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


def burst_features(burst: Any, context: dict[str, float] | None = None, max_samples: int = 1 << 13) -> np.ndarray:
    """The feature row (float32, ``len(FEATURE_NAMES)``) of one :class:`~rfclassify.detection.DetectedBurst`."""
    return _feature_rows([burst], [context], max_samples)[0]


def _feature_rows(bursts: Sequence[Any], contexts: Sequence[dict[str, float] | None], max_samples: int) -> np.ndarray:
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
            row[col["airtime_s"]] = airtime_s(iq, burst.iq_rate_hz, span_indices(burst))
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

    Input ``X`` is a sequence of :class:`~rfclassify.detection.DetectedBurst`
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
        contexts = F.context_table(bursts, self.context_window_s) if needed else [None] * len(bursts)
        ctxs = [b.context if b.context is not None else contexts[k] for k, b in enumerate(bursts)]
        if bursts:
            out[:] = _feature_rows(bursts, ctxs, self.max_samples)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names, as :data:`FEATURE_NAMES`."""
        return np.array(FEATURE_NAMES, dtype=object)
