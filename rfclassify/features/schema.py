"""The columns of a burst's feature vector: names, units, meanings, and what the model sees of them.

:data:`FEATURE_SCHEMA` lists every feature with its unit and meaning, in
column order; :data:`FEATURE_NAMES` is its names. Missing values are never
NaN: a feature that cannot be measured is :data:`MISSING` (0.0) and a mask
column (``has_iq``, ``has_prev``) says whether its group was measured.
Bump :data:`FEATURE_SCHEMA_VERSION` whenever a column's meaning changes, so
models trained on an older schema are refused or warned about. Version 2:
the de-chirp columns are 0 when the IF slope is no LoRa chirp's, and
detection splits bursts at quiet gaps, resolves 20 MS/s at 25.6 µs frames
and keeps band-filling signals out of the noise floor. Version 3: the IQ
features are measured on the detection's own span (:func:`rfclassify.features.burst.analysis_iq`),
not from the start of the IQ snippet, whose first ``margin_s`` is the noise
before the burst (for a 9 MHz burst at 20 MS/s the first 8192 samples were
*all* margin), and the de-chirp search looks only at the SFs next to the
slope's estimate. Version 4: ``airtime_s``, the packet's on-air time to the
sample (:mod:`rfclassify.features.airtime`), where the detection's frames only
resolve 25–100 µs. Columns appended at the end change no other column's
meaning and keep the version: a model reads the leading columns named in its
``feature_names`` (:class:`rfclassify.features.columns.ModelColumns`), so
``interval_cv``, ``lte_pss_*`` and ``frame_period_*`` (after
``burst_rate_hz``) are seen by models trained since they were added.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FEATURE_SCHEMA_VERSION = 4
#: The value of a feature that could not be measured (never NaN).
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
    # Appended columns (see the module docstring): models trained before them read the columns above.
    ("interval_cv", "1", "std / mean of the start-to-start intervals of consecutive similar bursts (0 if < 3 bursts)"),
    ("lte_pss_corr", "1", "best normalised correlation with an LTE PSS (ZC 25/29/34) at the burst's centre, 0–1"),
    ("lte_pss_db", "dB", "that best correlation over the span's median correlation (0 if too short or narrow)"),
    ("frame_period_s", "s", "dominant period of the power envelope, 0.5–25 ms (0 if none)"),
    ("frame_period_corr", "1", "its normalised envelope autocorrelation, 0–1"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _, _ in FEATURE_SCHEMA)
FEATURE_UNITS: dict[str, str] = {name: unit for name, unit, _ in FEATURE_SCHEMA}

#: Feature columns left out of the model: where the receiver happened to be
#: tuned says nothing about the emitter.
EXCLUDED_FEATURES: tuple[str, ...] = ("offset_hz",)
#: Edges (MHz) of the coarse RF bands the model sees instead of the exact
#: frequency: 433, 868/915, 1.2/1.3 G, 2.4 G, 5.x G fall in separate bins, and a
#: recording whose centre frequency is nominal or a few MHz off (a
#: downconverter, an unrecorded channel) still lands in the right one.
BAND_EDGES_MHZ: tuple[float, ...] = (1.0, 200.0, 600.0, 700.0, 1000.0, 1500.0, 2000.0, 3000.0, 4500.0, 7000.0)


def band_code(rf_mhz: np.ndarray, edges_mhz: Sequence[float] = BAND_EDGES_MHZ) -> np.ndarray:
    """Index of the coarse band of each RF centre in MHz (0: tuning unknown), as float64."""
    return np.digitize(np.asarray(rf_mhz, dtype=np.float64), np.asarray(edges_mhz, dtype=np.float64)).astype(
        np.float64
    )
