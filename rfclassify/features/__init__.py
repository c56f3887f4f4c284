"""scikit-learn transformers from detected bursts to feature vectors in physical units.

The pure measurements live in :mod:`rfclassify.dsp.features`; this package
fixes their order and units (:data:`FEATURE_SCHEMA`) and wraps them as
estimators that a classifier :class:`sklearn.pipeline.Pipeline` can start with.
"""

from rfclassify.features.burst import (
    FEATURE_NAMES,
    FEATURE_SCHEMA,
    FEATURE_SCHEMA_VERSION,
    FEATURE_UNITS,
    MISSING,
    BurstFeatures,
    burst_features,
    iq_features,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SCHEMA",
    "FEATURE_SCHEMA_VERSION",
    "FEATURE_UNITS",
    "MISSING",
    "BurstFeatures",
    "burst_features",
    "iq_features",
]
