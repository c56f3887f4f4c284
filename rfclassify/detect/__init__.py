"""Emission detection: from a stream of IQ blocks to detections and each burst's baseband IQ.

Modules, from the data up:

- :mod:`~rfclassify.detect.types`: :class:`Detection`, :class:`DetectedBurst`,
  :class:`DetectParams` (what detection produces and how it is tuned);
- :mod:`~rfclassify.detect.boxes`: the mask's averaging boxes and their CFAR thresholds;
- :mod:`~rfclassify.detect.window_sums`: running sums over rows and columns (the box means);
- :mod:`~rfclassify.detect.mask`: the detection mask and its closing;
- :mod:`~rfclassify.detect.components`: connected components chunk by chunk;
- :mod:`~rfclassify.detect.refine`: frequency and time edges, bursts and SNR of one component;
- :mod:`~rfclassify.detect.ring`: the ring buffer of recent samples or rows;
- :mod:`~rfclassify.detect.engine`: :class:`DetectionEngine`, the incremental
  detector over spectrogram rows, and :func:`detect` for a whole spectrogram;
- :mod:`~rfclassify.detect.burst_detector`: :class:`BurstDetector`, blocks of IQ
  in, :class:`DetectedBurst` s out (spectrogram, noise floor, engine, baseband IQ).

Importing this package imports none of them.
"""
