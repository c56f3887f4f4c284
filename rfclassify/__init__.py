"""rfclassify: an RF-spectrum drone-signature classifier.

It reads IQ samples from an RTL-SDR, an ``rtl_tcp`` server or recorded files,
finds bursts and emissions, classifies drone control and video links against
the signature registry (:mod:`rfclassify.signatures`) and estimates the
operator's bearing.
"""

__version__ = "0.1.0"
