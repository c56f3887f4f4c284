"""Pure, stateless DSP functions (numpy in, numpy out, units in the names).

Spectrogram (:mod:`~rfclassify.dsp.spectrogram`), noise floor
(:mod:`~rfclassify.dsp.noise`), frequency shift and decimation
(:mod:`~rfclassify.dsp.baseband`), measurements on a signal
(:mod:`~rfclassify.dsp.measure`) and modulators (:mod:`~rfclassify.dsp.modulation`).
No module here keeps state between calls (``tests/test_architecture.py``):
streams are :mod:`rfclassify.detect`'s.
"""
