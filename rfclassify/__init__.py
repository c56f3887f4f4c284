"""rfclassify: an RF-spectrum drone-signature classifier.

It reads IQ samples from an RTL-SDR, an ``rtl_tcp`` server or recorded files,
finds bursts and emissions, classifies drone control and video links against
the signature registry (:mod:`rfclassify.signatures`) and estimates the
operator's bearing.

The Python API (see the README, "Python API"): :func:`classify_file` and
:func:`classify_iq` return the records ``rfclassify classify`` prints,
:func:`watch` yields a sensor node's events, :func:`open_source` opens any
source (a spec or a numpy array), :class:`Classifier` is a loaded model and
:data:`REGISTRY` the signature registry. Each is imported on first use, so
``import rfclassify`` stays light.
"""

from importlib import import_module

__version__ = "0.1.0"

#: Public name → module that defines it (imported on first access).
_EXPORTS = {
    "open_source": "rfclassify.sources",
    "Classifier": "rfclassify.classify.pipeline",
    "classify_file": "rfclassify.classify.recordings",
    "classify_iq": "rfclassify.classify.recordings",
    "watch": "rfclassify.node.api",
    "REGISTRY": "rfclassify.signatures",
}

__all__ = ["REGISTRY", "Classifier", "classify_file", "classify_iq", "open_source", "watch"]


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'rfclassify' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
