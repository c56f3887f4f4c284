"""What detection produces and how it is tuned: :class:`Detection`, :class:`DetectedBurst`, :class:`DetectParams`.

Plain data, no processing: every module of :mod:`rfclassify.detect` and
every consumer of detections (features, classification, bearing) reads these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One emission (or one segment of a long one) in RF and time.

    Times are seconds from the first sample of the source
    (``sample_start / sample_rate_hz``); frequencies are absolute RF in Hz.
    ``snr_db`` is in-band signal power over in-band noise power;
    ``peak_db`` is the highest cell's power over the floor. Edge flags say the
    emission was clipped by the receiver window (``edge_low``/``edge_high``)
    or by the start/end of the stream; ``split_before``/``split_after`` mark
    segments of an emission longer than the detector's maximum duration, and
    segments of one emission share ``emission_id``.
    """

    t_start_s: float
    t_end_s: float
    f_lo_hz: float
    f_hi_hz: float
    snr_db: float
    peak_db: float
    sample_start: int
    sample_count: int
    center_freq_hz: float
    sample_rate_hz: float
    edge_low: bool = False
    edge_high: bool = False
    at_stream_start: bool = False
    at_stream_end: bool = False
    split_before: bool = False
    split_after: bool = False
    emission_id: int = 0

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.t_end_s - self.t_start_s

    @property
    def bandwidth_hz(self) -> float:
        """Width between the frequency edges in Hz."""
        return self.f_hi_hz - self.f_lo_hz

    @property
    def freq_hz(self) -> float:
        """Centre of the frequency edges (RF Hz)."""
        return 0.5 * (self.f_lo_hz + self.f_hi_hz)

    @property
    def offset_hz(self) -> float:
        """Centre offset from the receiver's tuning in Hz."""
        return self.freq_hz - self.center_freq_hz

    @property
    def touches_edge(self) -> bool:
        """True if clipped by the window in frequency or by the stream in time."""
        return self.edge_low or self.edge_high or self.at_stream_start or self.at_stream_end


@dataclass(frozen=True)
class Scale:
    """One averaging box of the mask: ``bw_hz`` × ``dur_s`` (at least ``min_bins`` × ``min_frames``)."""

    bw_hz: float
    dur_s: float
    min_bins: int = 1
    min_frames: int = 1


@dataclass(frozen=True)
class DetectParams:
    """Detector settings in physical units.

    ``pfa`` is the false-alarm probability per cell and scale that sets the
    thresholds; ``margin_db`` is added for the floor's own estimation error.
    ``gap_s``/``gap_hz`` are the closing (largest gap bridged, each side);
    a component whose in-band power drops to the noise for more than
    ``split_gap_s`` (at least two frames) is split into separate bursts there.
    The noise floor is the median of the last ``history_chunks`` chunk medians,
    or of as many as span ``floor_history_s`` if that is more (at wideband rates
    16 chunks last only 52 ms, and a longer emission on the uncapped DC bins
    would become its own floor).
    """

    scales: tuple[Scale, ...] = field(
        default_factory=lambda: (
            Scale(0.0, 0.0, 3, 3),
            Scale(0.0, 1.0e-3, 3, 3),
            Scale(0.0, 1.8e-3, 1, 3),
            Scale(100e3, 1.0e-3, 3, 3),
            Scale(400e3, 1.0e-3, 3, 3),
        )
    )
    pfa: float = 1e-8
    margin_db: float = 0.4
    gap_s: float = 1.5e-3
    gap_hz: float = 25e3
    split_gap_s: float = 0.05e-3
    chunk_frames: int = 128
    history_chunks: int = 16
    floor_history_s: float = 0.2
    max_duration_s: float = 0.25
    min_snr_db: float = -8.0
    edge_rel_db: float = -25.0
    dc_halfwidth_hz: float = 10e3
    floor_cap_db: float = 1.5



@dataclass
class DetectedBurst:
    """A detection and its baseband IQ.

    ``iq`` is complex64 at ``iq_rate_hz``, centred on ``iq_center_hz`` (RF;
    the detection's centre), and starts at ``iq_t0_s`` seconds from the
    source's first sample. ``context`` may hold precomputed sequence features
    (see :func:`rfclassify.features.context.context_features`); ``meta`` is for
    callers (e.g. a ground-truth label when building training data).

    ``raw_iq``, kept only for detections the detector was asked to keep raw
    (:class:`~rfclassify.detect.burst_detector.BurstDetector` ``keep_raw``), is the
    input itself around the detection: complex64 at the detection's
    ``sample_rate_hz``, centred on its ``center_freq_hz`` (the receiver's tuning),
    starting ``raw_t0_s`` seconds from the source's first sample; a decoder that
    needs the whole band at the full rate (DroneID) reads it.
    """

    detection: Detection
    iq: np.ndarray
    iq_rate_hz: float
    iq_center_hz: float
    iq_t0_s: float
    context: dict[str, float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    raw_iq: np.ndarray | None = None
    raw_t0_s: float = 0.0
