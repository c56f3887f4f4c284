"""The signature registry: one module per label, one line here registers it.

Every list of labels in rfclassify (CLI choices, model classes, tests, docs)
comes from :data:`REGISTRY`; nothing else spells the labels out.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import numpy as np

from rfclassify.signatures.base import LINKS, UNKNOWN, Band, Burst, EmitRequest, Signature

# One line per signature module, in the order labels are listed everywhere.
_MODULES: tuple[str, ...] = (
    "elrs_900",
    "elrs_2g4",
    "crossfire",
    "frsky_d16",
    "afhds_2a",
    "dsmx",
    "dji_ocusync",
    "analog_video",
    "wifi",
    "bluetooth",
    "lora_iot",
    "ook_ism",
    "noise",
)


def _load() -> dict[str, Signature]:
    registry: dict[str, Signature] = {}
    for name in _MODULES:
        try:
            module = importlib.import_module(f"rfclassify.signatures.{name}")
        except ModuleNotFoundError as exc:  # a module still being written
            if exc.name == f"rfclassify.signatures.{name}":
                continue
            raise
        sig: Signature = module.SIGNATURE
        if sig.label in registry:
            raise ValueError(f"label {sig.label!r} registered twice")
        registry[sig.label] = sig
    return registry


REGISTRY: dict[str, Signature] = _load()


def labels() -> tuple[str, ...]:
    """All labels in registry order."""
    return tuple(REGISTRY)


def drone_labels() -> tuple[str, ...]:
    """Labels of drone links (``drone`` flag set)."""
    return tuple(label for label, sig in REGISTRY.items() if sig.drone)


def get(label: str) -> Signature:
    """The signature called ``label``; ``KeyError`` naming the known labels otherwise."""
    try:
        return REGISTRY[label]
    except KeyError:
        raise KeyError(f"unknown label {label!r}; known: {', '.join(REGISTRY)}") from None


def in_band_mask(labels: Sequence[str], freq_hz: np.ndarray, width_hz: np.ndarray) -> np.ndarray:
    """``(n_emissions, n_labels)`` booleans: which of ``labels`` each emission may be by its RF centre.

    ``freq_hz`` and ``width_hz`` (Hz, shape ``(n,)``) are each emission's measured RF centre and
    width; a centre that is not finite (the receiver's tuning unknown) allows every label, as does a
    label the registry does not hold. See :meth:`Signature.in_band` for the margins.
    """
    freq = np.asarray(freq_hz, dtype=np.float64)
    width = np.asarray(width_hz, dtype=np.float64)
    known = np.isfinite(freq)
    safe = np.where(known, freq, 0.0)
    out = np.ones((len(freq), len(labels)), dtype=bool)
    for k, label in enumerate(labels):
        sig = REGISTRY.get(str(label))
        if sig is not None:
            out[:, k] = ~known | sig.in_band(safe, width)
    return out


__all__ = [
    "LINKS",
    "REGISTRY",
    "UNKNOWN",
    "Band",
    "Burst",
    "EmitRequest",
    "Signature",
    "drone_labels",
    "get",
    "in_band_mask",
    "labels",
]
