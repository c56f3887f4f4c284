"""The signature registry: one module per label, one line here registers it.

Every list of labels in rfclassify (CLI choices, model classes, tests, docs)
comes from :data:`REGISTRY`; nothing else spells the labels out.
"""

from __future__ import annotations

import importlib

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
    "labels",
]
