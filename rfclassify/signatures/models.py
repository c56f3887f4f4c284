"""Drone models and families per signature label: what a detection carries as ``models``.

The mapping lives in package data, ``rfclassify/data/drone_models.json``,
loaded once. Its ``"_sources"`` key cites, per label, where each entry comes
from (ExpressLRS hardware documentation, TBS/FrSky/FlySky/Spektrum/DJI product
pages, the DroneSecurity paper, NDSS 2023). A class names the radio link, so a
label maps to the drones known to use that link; non-drone labels map to ``[]``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from rfclassify.signatures.base import UNKNOWN

_RESOURCE = "data/drone_models.json"


@lru_cache(maxsize=1)
def _load() -> dict:
    text = files("rfclassify").joinpath(_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)


def models_table() -> dict[str, tuple[str, ...]]:
    """The whole mapping, label → drone models/families (a copy)."""
    return {label: tuple(models) for label, models in _load()["models"].items()}


def sources_for(label: str) -> list[str]:
    """The public sources the entry for ``label`` is based on."""
    return list(_load()["_sources"].get(label, []))


def models_for(label: str) -> list[str]:
    """Drone models and families known to use the link ``label`` (``[]`` for non-drone labels and ``unknown``).

    Raises ``KeyError`` for a label the data file does not know.
    """
    if label == UNKNOWN:
        return []
    table = _load()["models"]
    try:
        return list(table[label])
    except KeyError:
        raise KeyError(f"no drone-models entry for label {label!r}; known: {', '.join(table)}") from None
