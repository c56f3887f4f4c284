"""rfclassify: an RF-spectrum drone-signature classifier.

It reads IQ samples from an RTL-SDR, an ``rtl_tcp`` server or recorded files,
finds bursts and emissions, classifies drone control and video links against
the signature registry (:mod:`rfclassify.signatures`) and estimates the
operator's bearing.
"""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``rfclassify.watch`` is imported on first use, so ``import rfclassify`` stays light.
    if name == "watch":
        from rfclassify.node.api import watch

        return watch
    raise AttributeError(f"module 'rfclassify' has no attribute {name!r}")
