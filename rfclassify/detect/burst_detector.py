"""Streaming detection: blocks of IQ in, completed bursts (detection + baseband IQ) out.

:class:`BurstDetector` is the thin stateful wrapper around the pure pieces in
:mod:`rfclassify.dsp` (``spectrogram`` → ``noise`` → ``baseband``) and the
:class:`~rfclassify.detect.engine.DetectionEngine`. It keeps

- the samples that do not yet fill a frame,
- a ring of recent samples (enough for the longest emitted segment plus the
  detector's look-ahead, never the whole stream),
- the per-chunk noise medians of the floor history,

and the engine. Frames, floor chunks and labelling chunks are all counted
from the first sample of the stream, so the detections are the same for any
block size (tested).

Each :class:`DetectedBurst` carries its IQ at baseband: the detection's time
span with ``margin_s`` on each side (at most ``max_iq_s`` from its start),
shifted so the detection's centre is at 0 Hz, low-pass filtered and
decimated by an integer factor to about ``iq_oversample`` × its bandwidth.
The raw wideband snippet is not kept: every feature in
:mod:`rfclassify.features` works on the baseband IQ, and keeping it would
multiply memory by the decimation factor. The exception is a detection for
which the caller's ``keep_raw`` predicate holds (a burst a decoder must see
whole at the full rate: DroneID, :mod:`rfclassify.classify.droneid`): it
also carries the input samples of its span with ``raw_margin_s`` on each
side (``DetectedBurst.raw_iq``).

A change of centre frequency or sample rate, or a gap in sample indices
(dropped samples on a live source), closes the current stream (as
:meth:`flush` would) and starts a new one at that block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rfclassify.detect.engine import DetectionEngine
from rfclassify.detect.ring import Ring
from rfclassify.detect.types import DetectedBurst, Detection, DetectParams
from rfclassify.dsp.baseband import baseband
from rfclassify.dsp.noise import (
    bin_medians,
    cap_floor,
    central_bins,
    chunk_bin_medians,
    chunk_quiet,
    dc_bins,
    frame_means,
    history_median,
    window_powers,
)
from rfclassify.dsp.spectrogram import nfft_for_rate, power_spectrogram
from rfclassify.sources.base import Block

#: Fewest baseband samples a detection's own span keeps (when the input rate allows), the fewest
#: the IQ features are measured on (rfclassify.features.burst.MIN_ANALYSIS_SAMPLES).
MIN_SPAN_SAMPLES = 64

#: Most FFT bins the automatic resolution uses. A frame lasts 1/bin_hz whatever the rate, so at
#: wideband rates the bins are widened to keep Wi-Fi's CSMA gaps (DIFS 34 µs + 9 µs slots,
#: IEEE 802.11-2016 §10.3.7) and 0.1 ms packets resolvable in time.
MAX_AUTO_BINS = 512


def auto_bin_hz(sample_rate_hz: float) -> float:
    """Spectrogram bin width for a sample rate: 10 kHz, or ``rate / 512`` when that is wider.

    At RTL-SDR rates (≤ 5 MS/s) that is 10 kHz bins and ~100 µs frames (narrow
    OOK and LoRa links resolved in frequency); at 20 MS/s it is 39 kHz bins and
    25.6 µs frames, so Wi-Fi packets and their gaps are resolved in time, and
    the links seen there (≥ 125 kHz wide) still span several bins.
    """
    return max(10e3, float(sample_rate_hz) / MAX_AUTO_BINS)


class BurstDetector:
    """Turn a stream of :class:`~rfclassify.sources.Block` into :class:`DetectedBurst` objects.

    ``bin_hz`` sets the spectrogram's resolution (FFT length is the power of
    two nearest ``sample_rate / bin_hz``); ``None`` picks it per sample rate
    (:func:`auto_bin_hz`); ``params`` tunes detection;
    ``margin_s`` is the IQ kept around each detection, ``max_iq_s`` the
    most IQ kept per burst (from its start), ``iq_oversample`` the baseband
    rate relative to the detection's bandwidth; ``keep_raw`` (optional) picks
    the detections that also keep their raw input samples, ``raw_margin_s``
    on each side (at most ``margin_s``: the ring holds no more). Detections
    that are too short to matter are still returned; filtering is the caller's
    choice.
    """

    def __init__(
        self,
        params: DetectParams | None = None,
        bin_hz: float | None = None,
        margin_s: float = 0.5e-3,
        max_iq_s: float = 0.05,
        iq_oversample: float = 1.5,
        keep_iq: bool = True,
        keep_raw: Callable[[Detection], bool] | None = None,
        raw_margin_s: float = 0.2e-3,
    ) -> None:
        if raw_margin_s > margin_s:
            raise ValueError("raw_margin_s must not exceed margin_s (the ring keeps margin_s around a detection)")
        self.params = params or DetectParams()
        self.bin_hz = bin_hz
        self.margin_s = margin_s
        self.max_iq_s = max_iq_s
        self.iq_oversample = iq_oversample
        self.keep_iq = keep_iq
        self.keep_raw = keep_raw
        self.raw_margin_s = raw_margin_s
        self._stream: _Stream | None = None

    def nfft_for(self, sample_rate_hz: float) -> int:
        """FFT length (= frame hop) the detector uses at ``sample_rate_hz``."""
        bin_hz = auto_bin_hz(sample_rate_hz) if self.bin_hz is None else self.bin_hz
        return nfft_for_rate(sample_rate_hz, bin_hz)

    def process(self, block: Block) -> list[DetectedBurst]:
        """Add one block; return the bursts it completed (oldest first)."""
        samples = block.samples if block.samples.ndim == 1 else block.samples[:, 0]
        out: list[DetectedBurst] = []
        st = self._stream
        if st is not None and not st.continues(block):
            out += self.flush()
            st = None
        if st is None:
            st = self._stream = _Stream(self, block)
        out += st.feed(np.asarray(samples, dtype=np.complex64))
        return out

    def flush(self) -> list[DetectedBurst]:
        """End of stream: return every burst still open."""
        if self._stream is None:
            return []
        out = self._stream.finish()
        self._stream = None
        return out

    def run(self, blocks: Any) -> list[DetectedBurst]:
        """All bursts of an iterable of blocks (convenience for files and tests)."""
        out: list[DetectedBurst] = []
        for block in blocks:
            out += self.process(block)
        return out + self.flush()


class _Stream:
    """State of one continuous stream (one tuning, no gaps)."""

    def __init__(self, owner: BurstDetector, block: Block) -> None:
        self.owner = owner
        self.fs = float(block.sample_rate_hz)
        self.fc = float(block.center_freq_hz)
        self.origin = int(block.sample_index)
        self.expected = self.origin
        self.nfft = owner.nfft_for(self.fs)
        p = owner.params
        self.engine = DetectionEngine(self.nfft, self.nfft, self.fs, self.fc, self.origin, p)
        self.dc = dc_bins(self.nfft, self.fs, p.dc_halfwidth_hz)
        self.pending = np.zeros(0, dtype=np.complex64)
        self.frames_done = 0
        self.chunk_rows = np.zeros((0, self.nfft), dtype=np.float32)  # power rows of the unfinished floor chunk
        self.chunk_windows = window_powers(np.zeros(0, dtype=np.complex64), self.nfft)  # and their short windows
        self.quiet: list[float] = []
        self.central = central_bins(self.nfft, self.dc)
        self.n_central = int(np.count_nonzero(self.central))
        chunk_s = p.chunk_frames * self.nfft / self.fs
        self.history = max(p.history_chunks, round(p.floor_history_s / chunk_s))
        # Chunk medians of the floor history as columns (oldest overwritten first): no stacking per chunk.
        self.medians = np.zeros((self.nfft, self.history), dtype=np.float32)
        self.n_medians = 0
        self.floor: np.ndarray | None = None
        # A detection is emitted while the piece of samples that ends it is processed; its first
        # sample may be as old as the engine's span before that piece, plus the rows waiting for a
        # complete floor chunk and the samples waiting for a complete frame. Pieces are at most the
        # engine's own step: at 250 kS/s a 2^18-sample block lasts a second, four times the span.
        self.piece = self.engine.step_rows * self.nfft
        keep = (self.engine.span_rows + p.chunk_frames + 5) * self.nfft + self.piece + int(2 * owner.margin_s * self.fs)
        self.ring = Ring(keep, (), np.complex64, origin=self.origin)

    def continues(self, block: Block) -> bool:
        return (
            block.sample_index == self.expected
            and float(block.sample_rate_hz) == self.fs
            and float(block.center_freq_hz) == self.fc
        )

    def feed(self, x: np.ndarray) -> list[DetectedBurst]:
        if len(x) > self.piece:
            return [b for i in range(0, len(x), self.piece) for b in self.feed(x[i : i + self.piece])]
        self.expected += len(x)
        self.ring.append(x)
        if len(self.pending):
            x = np.concatenate((self.pending, x))
        n_frames = len(x) // self.nfft
        self.pending = x[n_frames * self.nfft :].copy()
        if n_frames == 0:
            return []
        power = power_spectrogram(x[: n_frames * self.nfft], self.nfft)
        return self._frames(power, window_powers(x, self.nfft))

    def _frames(self, power: np.ndarray, windows: np.ndarray) -> list[DetectedBurst]:
        """Give each complete floor chunk its floor and feed all of them to the engine in one push.

        ``windows``: the frames' short-window powers (:func:`~rfclassify.dsp.noise.window_powers`).
        """
        c = self.owner.params.chunk_frames
        if len(self.chunk_rows):
            power = np.concatenate((self.chunk_rows, power))
            windows = np.concatenate((self.chunk_windows, windows))
        n = len(power) // c * c
        self.chunk_rows = power[n:].copy()
        self.chunk_windows = windows[n:].copy()
        if n == 0:
            return []
        floor = np.empty((n, self.nfft), dtype=np.float32)
        meds = chunk_bin_medians(power[:n], c)
        means = frame_means(power[:n], self.central)
        for j, i in enumerate(range(0, n, c)):
            q = chunk_quiet(means[i : i + c], self.n_central, windows[i : i + c], self.nfft)
            floor[i : i + c] = self._chunk_floor(meds[j], q)
        return self._bursts(self.engine.push(power[:n], floor))

    def _chunk_floor(self, med: np.ndarray, q: float) -> np.ndarray:
        """The floor of a chunk with medians ``med`` and quiet level ``q``: that of the chunks before it
        (chunk 0's own); then add the chunk to the history."""
        p = self.owner.params
        if self.floor is None:  # chunk 0 is its own reference
            self.floor = cap_floor(med.copy(), self.dc, p.floor_cap_db, quiet_history=np.array([q]))
        floor = self.floor
        self.medians[:, self.n_medians % self.history] = med
        self.n_medians += 1
        self.quiet = (self.quiet + [q])[-self.history :]
        per_bin = history_median(self.medians[:, : min(self.n_medians, self.history)])
        self.floor = cap_floor(per_bin, self.dc, p.floor_cap_db, quiet_history=np.array(self.quiet))
        return floor

    def finish(self) -> list[DetectedBurst]:
        out: list[Detection] = []
        if len(self.chunk_rows):
            rows, self.chunk_rows = self.chunk_rows, self.chunk_rows[:0]
            windows, self.chunk_windows = self.chunk_windows, self.chunk_windows[:0]
            q = chunk_quiet(frame_means(rows, self.central), self.n_central, windows, self.nfft)
            floor = self._chunk_floor(bin_medians(rows), q)
            out += self.engine.push(rows, np.broadcast_to(floor, rows.shape))
        out += self.engine.finish()
        return self._bursts(out)

    def _bursts(self, dets: list[Detection]) -> list[DetectedBurst]:
        own = self.owner
        bursts = []
        for det in sorted(dets, key=lambda d: (d.sample_start, d.f_lo_hz)):
            margin = int(own.margin_s * self.fs)
            a = det.sample_start - margin
            b = min(det.sample_start + det.sample_count + margin, a + int(own.max_iq_s * self.fs))
            a = max(a, self.ring.first)
            if own.keep_iq:
                raw = self.ring.copy(a, b)
                # A short narrow burst (a 0.4 ms OOK pulse: ~15 samples at 1.5 × its 25 kHz) keeps
                # MIN_SPAN_SAMPLES over its own span, enough to measure its envelope and frequency.
                iq, rate = baseband(raw, self.fs, det.freq_hz - self.fc, det.bandwidth_hz, own.iq_oversample,
                                    max_decimation=det.sample_count // MIN_SPAN_SAMPLES)
            else:
                iq, rate = np.zeros(0, dtype=np.complex64), self.fs
            burst = DetectedBurst(det, iq, rate, det.freq_hz, a / self.fs)
            if own.keep_iq and own.keep_raw is not None and own.keep_raw(det):
                extra = int(own.raw_margin_s * self.fs)
                ra = max(det.sample_start - extra, a)
                burst.raw_iq = raw[ra - a : det.sample_start + det.sample_count + extra - a]
                burst.raw_t0_s = ra / self.fs
            bursts.append(burst)
        return bursts


def detect_samples(
    x: np.ndarray,
    sample_rate_hz: float,
    center_freq_hz: float = 0.0,
    block_size: int = 1 << 18,
    **kwargs: Any,
) -> list[DetectedBurst]:
    """All bursts in an in-memory recording (fed in blocks of ``block_size``); kwargs go to :class:`BurstDetector`."""
    det = BurstDetector(**kwargs)
    blocks = (
        Block(x[i : i + block_size], sample_rate_hz, center_freq_hz, i) for i in range(0, len(x), block_size)
    )
    return det.run(blocks)
