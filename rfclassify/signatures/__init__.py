"""The signature registry: one module per label, found by discovery.

Every module of this package whose name does not start with ``_`` (and is
not :mod:`~rfclassify.signatures.base`) is a signature module and must
define ``SIGNATURE``; a module that fails to import, or lacks it, raises at
import time instead of being skipped, so a broken protocol cannot silently
vanish from the model. Adding a protocol is one new module (start from
``_template.py``, whose docstring is the checklist), ``make model`` and tests.

Every list of labels in rfclassify (CLI choices, model classes, drone
models, training recipes, tests, docs) comes from :data:`REGISTRY`; nothing
else spells the labels out. Labels are listed by each signature's ``order``
and then by label.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType

import numpy as np

from rfclassify.signatures.base import LINKS, UNKNOWN, Band, Burst, EmitRequest, Signature

#: Modules of this package that hold shared code, not a signature.
_NOT_SIGNATURES = frozenset({"base"})


class RegistryError(ImportError):
    """A signature module is broken: it fails to import, lacks ``SIGNATURE`` or repeats a label."""


def signature_modules(package: ModuleType) -> list[str]:
    """Names of the signature modules of ``package`` (not ``_private``, not ``base``), sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and info.name not in _NOT_SIGNATURES and not info.ispkg
    )


def discover(package_name: str = __name__) -> dict[str, Signature]:
    """Import every signature module of ``package_name``; label → signature, in listing order.

    Raises :class:`RegistryError` naming the module for any broken one.
    """
    package = importlib.import_module(package_name)
    found: list[Signature] = []
    for name in signature_modules(package):
        qualified = f"{package_name}.{name}"
        try:
            module = importlib.import_module(qualified)
        except Exception as exc:
            raise RegistryError(f"signature module {qualified} failed to import: {exc}") from exc
        sig = getattr(module, "SIGNATURE", None)
        if not isinstance(sig, Signature):
            raise RegistryError(f"signature module {qualified} defines no SIGNATURE (a Signature)")
        found.append(sig)
    registry: dict[str, Signature] = {}
    for sig in sorted(found, key=lambda s: (s.order, s.label)):
        if sig.label in registry:
            raise RegistryError(f"label {sig.label!r} is defined by two signature modules")
        registry[sig.label] = sig
    return registry


REGISTRY: dict[str, Signature] = discover()


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


def models_for(label: str) -> list[str]:
    """Drone models and families known to use the link ``label`` (``[]`` for non-drone labels and ``unknown``).

    Raises ``KeyError`` for a label the registry does not know.
    """
    if label == UNKNOWN:
        return []
    return list(get(label).drone_models)


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
    "RegistryError",
    "Signature",
    "discover",
    "drone_labels",
    "get",
    "in_band_mask",
    "labels",
    "models_for",
]
