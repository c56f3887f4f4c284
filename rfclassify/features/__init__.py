"""Features of detected bursts in physical units, and the scikit-learn transformer that builds them.

Modules: :mod:`~rfclassify.features.schema` (the columns: names, units,
meanings, what the model sees of them), :mod:`~rfclassify.features.iq`
(the IQ features of many bursts at once: the one implementation),
:mod:`~rfclassify.features.airtime` (a packet's on-air time to the sample),
:mod:`~rfclassify.features.sync` (LTE PSS correlation),
:mod:`~rfclassify.features.frame` (frame period of the power envelope),
:mod:`~rfclassify.features.context` (sequence features among neighbouring
bursts, causal for streams), :mod:`~rfclassify.features.order_stats`
(numpy's median and percentile, bit for bit, faster) and
:mod:`~rfclassify.features.burst` (the feature rows and :class:`BurstFeatures`).
"""

from rfclassify.features.burst import BurstFeatures, feature_rows
from rfclassify.features.schema import (
    FEATURE_NAMES,
    FEATURE_SCHEMA,
    FEATURE_SCHEMA_VERSION,
    FEATURE_UNITS,
    MISSING,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SCHEMA",
    "FEATURE_SCHEMA_VERSION",
    "FEATURE_UNITS",
    "MISSING",
    "BurstFeatures",
    "feature_rows",
]
