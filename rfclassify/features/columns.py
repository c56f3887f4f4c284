"""Which feature columns the classifier sees: the RF centre as a coarse band, the tuning offset left out.

:class:`ModelColumns` is the model's second step (after
:class:`rfclassify.features.BurstFeatures`). It is stateless and holds its
choices as parameters (column indices, band edges), so a saved model carries
them as plain numbers and a later change of the defaults here cannot change
what an existing model sees. Later schemas only append columns:
``n_features`` keeps a model to the leading columns it was trained on
(:meth:`rfclassify.classify.pipeline.Classifier.load` sets it from the
model's ``feature_names``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from rfclassify.features.schema import BAND_EDGES_MHZ, EXCLUDED_FEATURES, FEATURE_NAMES, band_code

RF_COLUMN = FEATURE_NAMES.index("rf_mhz")
DROP_COLUMNS: tuple[int, ...] = tuple(FEATURE_NAMES.index(n) for n in EXCLUDED_FEATURES)


class ModelColumns(TransformerMixin, BaseEstimator):
    """Feature rows → model columns: the band code of column ``rf_column``, then every column but it and ``drop``.

    ``rf_column`` and ``drop`` are indices into the feature rows,
    ``edges_mhz`` the band edges in MHz, ``n_features`` how many leading
    columns of the rows the model reads (``None``: all). Output is float64.
    """

    def __init__(
        self,
        rf_column: int = RF_COLUMN,
        drop: Sequence[int] = DROP_COLUMNS,
        edges_mhz: Sequence[float] = BAND_EDGES_MHZ,
        n_features: int | None = None,
    ) -> None:
        self.rf_column = rf_column
        self.drop = drop
        self.edges_mhz = edges_mhz
        self.n_features = n_features

    def fit(self, X: Any = None, y: Any = None) -> ModelColumns:
        """Nothing to learn; returns ``self``."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Always fitted: there is nothing to learn (lets a :class:`~sklearn.pipeline.Pipeline` ending here transform)."""
        return True

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``(n, 1 + n_kept)`` float64: band code, then the kept columns in their order."""
        X = np.asarray(X)
        width = X.shape[1] if self.n_features is None else self.n_features
        keep = [k for k in range(width) if k != self.rf_column and k not in self.drop]
        return np.hstack([band_code(X[:, self.rf_column], self.edges_mhz)[:, None], X[:, keep].astype(np.float64)])
