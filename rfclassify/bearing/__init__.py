"""Operator bearing: direction finding from coherent arrays and from a rotating antenna.

Pure array math that raises on bad shapes: :mod:`~rfclassify.bearing.geometry`
(where the elements are), :mod:`~rfclassify.bearing.steering` (the sign
convention), :mod:`~rfclassify.bearing.doa` (MUSIC, Bartlett, Capon, source
count, Cramér–Rao bound), :mod:`~rfclassify.bearing.channelize` (one
emitter's samples and band), :mod:`~rfclassify.bearing.calibration` (per-channel
gain, phase and delay), :mod:`~rfclassify.bearing.rotating` (power versus
antenna azimuth) and :mod:`~rfclassify.bearing.emitters` (one emitter's band
and bearing). Reading recordings, detecting emitters and naming them are
joined to these in :mod:`rfclassify.classify.bearings`.
"""

from rfclassify.bearing.doa import METHODS, DoaResult, estimate_doa
from rfclassify.bearing.geometry import ArrayGeometry, parse_positions
from rfclassify.bearing.steering import steering_vectors

__all__ = ["METHODS", "ArrayGeometry", "DoaResult", "estimate_doa", "parse_positions", "steering_vectors"]
