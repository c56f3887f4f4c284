"""A fitted model as JSON and named numeric arrays, and back: how a model is saved without pickle.

The model is a :class:`~sklearn.pipeline.Pipeline` of our own steps
(:class:`~rfclassify.features.BurstFeatures`,
:class:`~rfclassify.features.columns.ModelColumns`,
:class:`~rfclassify.classify.openset.OpenSetClassifier`) whose fitted state
holds scikit-learn scalers and a calibrated ensemble of boosted trees.
:func:`encode_pipeline` writes each estimator as its class name, its
parameters and its fitted attributes (names ending in ``_``); numbers and
strings go to JSON, arrays to a dict of named arrays; the boosted trees go as
:class:`~rfclassify.classify.fastforest.CompiledEnsemble` arrays.

:func:`decode_pipeline` rebuilds it. Nothing in the file names code: a class
name is looked up in :data:`ALLOWED_ESTIMATORS` (six classes), parameters
must be ones the class takes, fitted attribute names must look like
``name_``, and values are JSON numbers, strings, lists or numeric arrays.
The prediction code is the estimators' own (``predict_open`` of the
rebuilt :class:`OpenSetClassifier`), so a loaded model decides exactly as the
fitted one did; only the trees are walked by the compiled walker, as the
fitted model already did for small batches.

Tags in the JSON (a dict with one ``$`` key): ``{"$array": name}``,
``{"$tuple": [...]}``, ``{"$strings": [...]}`` (an object array of strings),
``{"$estimator": class, "params": {...}, "fitted": {...}}`` and
``{"$compiled": {...}, "prefix": name}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from rfclassify.classify.fastforest import CompiledEnsemble
from rfclassify.errors import ModelError

#: The pipeline's steps, by name and class, in order.
STEPS: tuple[tuple[str, str], ...] = (("features", "BurstFeatures"), ("select", "ModelColumns"),
                                      ("clf", "OpenSetClassifier"))
#: dtype kinds an array may have (bool, integers, floats, unicode strings): never object.
ARRAY_KINDS = "biufU"
_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*[a-z0-9]_")
_ARRAY_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,200}")


def allowed_estimators() -> dict[str, type]:
    """Every class a saved model may name (the only constructors loading calls)."""
    from sklearn.preprocessing import QuantileTransformer, RobustScaler

    from rfclassify.classify.openset import OpenSetClassifier, TailQuantileScaler
    from rfclassify.features import BurstFeatures
    from rfclassify.features.columns import ModelColumns

    return {c.__name__: c for c in (BurstFeatures, ModelColumns, OpenSetClassifier, TailQuantileScaler,
                                    RobustScaler, QuantileTransformer)}


def _fitted_names(est: Any) -> list[str]:
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))


class _Encoder:
    """Walks a fitted estimator, filling :attr:`arrays` and returning the JSON description."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.allowed = allowed_estimators()

    def _array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        if value.dtype.kind not in ARRAY_KINDS:
            raise ModelError(f"cannot save {where}: an array of {value.dtype} (only numbers and strings)")
        self.arrays[where] = np.ascontiguousarray(value)
        return {"$array": where}

    def value(self, value: Any, where: str) -> Any:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value)
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            if value.dtype == object and all(isinstance(v, str) for v in value.ravel()) and value.ndim == 1:
                return {"$strings": [str(v) for v in value]}
            return self._array(value, where)
        if isinstance(value, tuple):
            return {"$tuple": [self.value(v, f"{where}.{k}") for k, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.value(v, f"{where}.{k}") for k, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) and not k.startswith("$") for k in value):
                raise ModelError(f"cannot save {where}: dict keys must be strings not starting with '$'")
            return {k: self.value(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, (CalibratedClassifierCV, HistGradientBoostingClassifier)):
            try:
                value = CompiledEnsemble.from_estimator(value)
            except (TypeError, ValueError) as exc:
                raise ModelError(f"cannot save {where}: {exc}") from None
        if isinstance(value, CompiledEnsemble):
            numbers, arrays = value.state()
            for name, arr in arrays.items():
                self._array(arr, f"{where}.{name}")
            return {"$compiled": numbers, "prefix": where}
        name = type(value).__name__
        if self.allowed.get(name) is type(value):
            return {
                "$estimator": name,
                "params": {k: self.value(v, f"{where}.{k}") for k, v in value.get_params(deep=False).items()},
                "fitted": {k: self.value(getattr(value, k), f"{where}.{k}") for k in _fitted_names(value)},
            }
        raise ModelError(f"cannot save {where}: a {type(value).__module__}.{name} is not a known model part")


def encode_pipeline(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(description, arrays)`` of a fitted rfclassify pipeline (see the module docstring)."""
    names = tuple((name, type(step).__name__) for name, step in model.steps)
    if names != STEPS:
        raise ModelError(f"cannot save a pipeline of {names}; expected {STEPS}")
    enc = _Encoder()
    steps = [{"name": name, "estimator": enc.value(step, name)} for name, step in model.steps]
    return {"steps": steps}, enc.arrays


class _Decoder:
    """Rebuilds values from their JSON description; arrays come from ``array(name)``."""

    def __init__(self, array: Callable[[str], np.ndarray]) -> None:
        self.array = array
        self.allowed = allowed_estimators()

    def value(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.value(v, f"{where}.{k}") for k, v in enumerate(value)]
        if not isinstance(value, dict):
            raise ModelError(f"{where}: unexpected {type(value).__name__}")
        tags = [k for k in value if k.startswith("$")]
        if not tags:
            return {k: self.value(v, f"{where}.{k}") for k, v in value.items()}
        if len(tags) != 1:
            raise ModelError(f"{where}: more than one tag ({', '.join(tags)})")
        tag, body = tags[0], value[tags[0]]
        if tag == "$array":
            return self._array(body, where)
        if tag == "$tuple" and isinstance(body, list):
            return tuple(self.value(v, f"{where}.{k}") for k, v in enumerate(body))
        if tag == "$strings" and isinstance(body, list) and all(isinstance(v, str) for v in body):
            return np.array(body, dtype=object)
        if tag == "$compiled" and isinstance(body, dict):
            return self._compiled(body, value.get("prefix"), where)
        if tag == "$estimator" and isinstance(body, str):
            return self._estimator(body, value.get("params"), value.get("fitted"), where)
        raise ModelError(f"{where}: unknown or malformed tag {tag}")

    def _array(self, name: Any, where: str) -> np.ndarray:
        if not isinstance(name, str) or not _ARRAY_NAME.fullmatch(name):
            raise ModelError(f"{where}: bad array name {name!r}")
        arr = self.array(name)
        if arr.dtype.kind not in ARRAY_KINDS:
            raise ModelError(f"{where}: array {name} holds {arr.dtype}")
        return arr

    def _compiled(self, numbers: dict[str, Any], prefix: Any, where: str) -> CompiledEnsemble:
        if not isinstance(prefix, str):
            raise ModelError(f"{where}: compiled trees without an array prefix")
        folds = numbers.get("folds")
        names = [f"fold{k}.{n}" for k in range(len(folds) if isinstance(folds, list) else 0)
                 for n in ("feature", "threshold", "missing_left", "left", "right", "value", "is_leaf", "roots",
                           "baseline", "columns", "a", "b")]
        arrays = {n: self._array(f"{prefix}.{n}", where) for n in names}
        try:
            return CompiledEnsemble.from_state(numbers, arrays)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"{where}: {exc}") from None

    def _estimator(self, name: str, params: Any, fitted: Any, where: str) -> Any:
        cls = self.allowed.get(name)
        if cls is None:
            raise ModelError(f"{where}: {name!r} is not a model part rfclassify knows")
        if not isinstance(params, dict) or not isinstance(fitted, dict):
            raise ModelError(f"{where}: {name} without params and fitted state")
        unknown = set(params) - set(cls().get_params(deep=False))
        if unknown:
            raise ModelError(f"{where}: {name} takes no parameter {', '.join(sorted(unknown))}")
        est = cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})
        for attr, v in fitted.items():
            if not _FITTED_NAME.fullmatch(attr) or hasattr(cls, attr):
                raise ModelError(f"{where}: {attr!r} is not a fitted-attribute name")
            setattr(est, attr, self.value(v, f"{where}.{attr}"))
        return est


def decode_pipeline(description: Any, array: Callable[[str], np.ndarray]) -> Any:
    """The :class:`~sklearn.pipeline.Pipeline` that :func:`encode_pipeline` described.

    ``array(name)`` returns a stored array (numeric or string dtype). Raises
    :class:`ModelError` for anything that is not such a description.
    """
    from sklearn.pipeline import Pipeline

    steps = description.get("steps") if isinstance(description, dict) else None
    if not isinstance(steps, list) or len(steps) != len(STEPS):
        raise ModelError(f"the model has no {len(STEPS)} pipeline steps")
    dec = _Decoder(array)
    built = []
    for (name, cls_name), step in zip(STEPS, steps):
        est_desc = step.get("estimator") if isinstance(step, dict) else None
        if (not isinstance(step, dict) or step.get("name") != name or not isinstance(est_desc, dict)
                or est_desc.get("$estimator") != cls_name):
            raise ModelError(f"step {name}: expected a {cls_name}")
        built.append((name, dec.value(est_desc, name)))
    return Pipeline(built)
