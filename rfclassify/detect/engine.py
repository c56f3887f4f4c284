"""The incremental detector over spectrogram frames: ``(power, floor)`` rows in, :class:`Detection` s out.

:class:`DetectionEngine` runs the pure pieces of :mod:`rfclassify.detect`
over a stream of rows: the mask (:mod:`~rfclassify.detect.mask`), connected
components per chunk of ``chunk_frames`` rows (:mod:`~rfclassify.detect.components`)
and the refinement of each closed component (:mod:`~rfclassify.detect.refine`).
It keeps a bounded history of rows in :class:`~rfclassify.detect.ring.Ring` s.
An emission longer than ``max_duration_s`` is emitted in segments at chunk
boundaries. :func:`detect` runs it on a whole spectrogram; the streaming
:class:`rfclassify.detect.burst_detector.BurstDetector` feeds it block by
block and gets identical detections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.detect.boxes import scale_boxes
from rfclassify.detect.components import Component, close_and_label, touching_pairs
from rfclassify.detect.mask import mask_rows
from rfclassify.detect.refine import refine_runs
from rfclassify.detect.ring import Ring
from rfclassify.detect.types import Detection, DetectParams


@dataclass
class Grid:
    """Frame/bin geometry in physical units: frame ``r`` starts at sample ``sample_origin + r·hop``."""

    nfft: int
    hop: int
    sample_rate_hz: float
    center_freq_hz: float
    sample_origin: int = 0

    @property
    def bin_hz(self) -> float:
        """Width of one FFT bin, Hz."""
        return self.sample_rate_hz / self.nfft

    @property
    def frame_s(self) -> float:
        """Time from one frame to the next (the hop), seconds."""
        return self.hop / self.sample_rate_hz

    def bin_edge_hz(self, b: float) -> float:
        """RF frequency of the lower edge of (shifted) bin ``b``."""
        return self.center_freq_hz + (b - self.nfft // 2 - 0.5) * self.bin_hz



class DetectionEngine:
    """Incremental detector over frames: push ``(power, floor)`` rows, get completed :class:`Detection` s.

    The result depends only on the rows pushed, never on how they were split
    between calls. ``sample_origin`` is the source's index of the first
    sample of frame 0; frame ``r`` covers samples ``origin + r·hop`` to
    ``+ nfft``.
    """

    def __init__(
        self,
        nfft: int,
        hop: int,
        sample_rate_hz: float,
        center_freq_hz: float = 0.0,
        sample_origin: int = 0,
        params: DetectParams | None = None,
    ) -> None:
        self.params = params or DetectParams()
        self.grid = Grid(nfft, hop, float(sample_rate_hz), float(center_freq_hz), int(sample_origin))
        self.boxes = scale_boxes(self.params, nfft, hop, sample_rate_hz)
        self.gap_frames = max(1, round(self.params.gap_s / self.grid.frame_s))
        self.gap_bins = max(1, round(self.params.gap_hz / self.grid.bin_hz))
        self.half_box = max(b.frames for b in self.boxes) // 2
        self.lookahead = self.half_box + self.gap_frames
        self.max_frames = max(1, round(self.params.max_duration_s / self.grid.frame_s))
        self.split_frames = max(2, round(self.params.split_gap_s / self.grid.frame_s))
        c = self.params.chunk_frames
        #: Rows an emission and the chunks around it span (what :meth:`_emit` reads, with slack).
        self.span_rows = self.max_frames + 3 * c + 2 * self.lookahead + 8
        #: Most rows appended at once: :meth:`push` takes longer inputs in pieces of this many.
        self.step_rows = 8 * c
        #: Mask rows computed per :func:`mask_rows` call.
        self.mask_step_rows = 2 * c
        cap = self.span_rows + self.step_rows
        self.power = Ring(cap, (nfft,), np.float32)
        self.floor = Ring(cap, (nfft,), np.float32)
        self.next_chunk_row = 0  # first row of the next chunk to label
        self.prev_labels = np.zeros(nfft, dtype=np.int64)  # component ids of the last labelled row
        self.open: dict[int, Component] = {}
        self.next_id = 1
        self.mask = Ring(c + 2 * self.gap_frames + 8 + self.step_rows, (nfft,), bool)
        self._win = np.zeros((0, nfft), dtype=np.float32)
        self.finished = False

    @property
    def rows(self) -> int:
        """Rows pushed so far."""
        return self.power.end

    def push(self, power: np.ndarray, floor: np.ndarray) -> list[Detection]:
        """Add rows (``(n, nfft)`` power and floor); return detections completed by them.

        Rows are taken ``step_rows`` at a time: the mask of every row whose boxes
        are complete is computed in one pass, then each complete chunk is labelled.
        """
        if power.shape != floor.shape or power.ndim != 2 or power.shape[1] != self.grid.nfft:
            raise ValueError(f"power and floor must both be (n, {self.grid.nfft}); got {power.shape}, {floor.shape}")
        power = np.asarray(power, dtype=np.float32)
        floor = np.asarray(floor, dtype=np.float32)
        out: list[Detection] = []
        c = self.params.chunk_frames
        for i in range(0, power.shape[0], self.step_rows):
            self.power.append(power[i : i + self.step_rows])
            self.floor.append(floor[i : i + self.step_rows])
            self._mask_upto(self.rows - self.half_box)
            while self.next_chunk_row + c + self.lookahead <= self.rows:
                out += self._chunk(self.next_chunk_row, self.next_chunk_row + c, final=False)
        return out

    def finish(self) -> list[Detection]:
        """Label what is left and close every open emission (end of stream)."""
        out: list[Detection] = []
        c = self.params.chunk_frames
        while self.next_chunk_row < self.rows:
            stop = min(self.rows, self.next_chunk_row + c)
            out += self._chunk(self.next_chunk_row, stop, final=stop >= self.rows)
        for cid in sorted(self.open):
            out += self._emit(self.open[cid], split_after=False)
        self.open.clear()
        self.finished = True
        return out

    # -- internals -------------------------------------------------------

    def _chunk(self, a: int, b: int, final: bool) -> list[Detection]:
        g = self.gap_frames
        # The dilation of the chunk's rows needs mask rows [a - g, b + g); each mask row is computed
        # once (rows outside the stream are empty).
        r0, r1 = max(0, a - g), min(self.rows, b + g)
        self._mask_upto(r1)
        if r0 == a - g and r1 == b + g:
            mask = self.mask.view(r0, r1)  # read-only
        else:
            mask = np.zeros((b - a + 2 * g, self.grid.nfft), dtype=bool)
            mask[r0 - (a - g) : r1 - (a - g)] = self.mask.view(r0, r1)
        self.next_chunk_row = b
        if not self.open and not mask.any():
            return []  # nothing open, nothing new: the common case in noise
        # Close and label only the columns near a hit (signals rarely fill the window): same result.
        hit_cols = np.flatnonzero(mask.any(axis=0))
        if len(hit_cols):
            c0 = max(0, int(hit_cols[0]) - self.gap_bins)
            c1 = min(self.grid.nfft, int(hit_cols[-1]) + self.gap_bins + 1)
        else:
            c0 = c1 = 0
        sub_first, sub_last, n, boxes, counts = close_and_label(mask[:, c0:c1], g, self.gap_bins)
        lab_first = np.zeros(self.grid.nfft, dtype=np.int64)
        lab_last = np.zeros(self.grid.nfft, dtype=np.int64)
        if n:
            lab_first[c0:c1] = sub_first
            lab_last[c0:c1] = sub_last
        # Local label -> global id, joining through the previous row (8-connectivity).
        gid = np.zeros(n + 1, dtype=np.int64)
        if n:
            first = lab_first
            parent: dict[int, int] = {}

            def root(x: int) -> int:
                while parent.get(x, x) != x:
                    x = parent[x]
                return x

            for loc, g in touching_pairs(first, self.prev_labels):
                g = root(int(g))
                cur = gid[loc]
                if cur == 0:
                    gid[loc] = g
                else:
                    r = root(int(cur))
                    if r != g:
                        keep, drop = min(r, g), max(r, g)
                        parent[drop] = keep
                        if drop in self.open and keep in self.open:
                            self.open[keep].merge(self.open.pop(drop))
            for loc in range(1, n + 1):
                if gid[loc] == 0:
                    gid[loc] = self.next_id
                    self.open[self.next_id] = Component(0, 0, 0, 0, 0, seg_start=a, emission_id=self.next_id)
                    self.next_id += 1
                else:
                    gid[loc] = root(int(gid[loc]))
            for loc, (r0, r1, b0, b1) in enumerate(boxes.tolist(), start=1):
                if r0 < 0:  # no undilated cell
                    continue
                part = Component(a + r0, a + r1, c0 + b0, c0 + b1, int(counts[loc]), seg_start=a)
                part.emission_id = int(gid[loc])
                self.open[int(gid[loc])].merge(part)
            last = gid[lab_last]
        else:
            last = np.zeros(self.grid.nfft, dtype=np.int64)
        self.prev_labels = last
        alive = set(np.unique(last[last > 0]).tolist()) if not final else set()
        out: list[Detection] = []
        for cid in sorted(self.open):
            comp = self.open[cid]
            if cid not in alive:
                out += self._emit(comp, split_after=False)
                del self.open[cid]
            elif b - comp.seg_start >= self.max_frames:
                out += self._emit(comp, split_after=True)
                self.open[cid] = Component(0, 0, 0, 0, 0, seg_start=b, split_before=True, emission_id=comp.emission_id)
        return out

    def _mask_upto(self, stop: int) -> None:
        """Compute the mask rows from the last one computed up to ``stop`` (exclusive) into the mask ring.

        Needs ratio rows ``half_box`` beyond ``stop``; boxes that reach past the rows pushed so far
        are truncated means, so ``push`` only asks for rows whose boxes are complete. Rows are
        computed ``mask_step_rows`` at a time (the box sums' arrays then stay in the core's cache).
        """
        while self.mask.end < stop:
            self._mask_span(self.mask.end, min(stop, self.mask.end + self.mask_step_rows))

    def _mask_span(self, start: int, stop: int) -> None:
        """Append the mask rows ``[start, stop)`` to the mask ring (``start`` is the ring's end)."""
        H = self.half_box
        lo, hi = start - H, stop + H
        da, db = max(0, lo), min(self.rows, hi)
        win = self._win
        if win.shape[0] != hi - lo:
            win = self._win = np.empty((hi - lo, self.grid.nfft), dtype=np.float32)
        win[: da - lo] = 0.0
        win[db - lo :] = 0.0
        np.divide(self.power.view(da, db), self.floor.view(da, db), out=win[da - lo : db - lo])
        self.mask.append(mask_rows(win, self.boxes, H, da - lo, db - lo))

    def _emit(self, comp: Component, split_after: bool) -> list[Detection]:
        """The detections of a closed (or segmented) component: one per run of active frames."""
        if comp.cells == 0:
            return []
        g = self.grid
        nb = g.nfft
        pad_b = self.gap_bins + 2
        pad_t = 1
        ra, rb = max(comp.seg_start, comp.t0 - pad_t, self.power.first), min(self.rows, comp.t1 + 1 + pad_t)
        if split_after or comp.split_before:
            ra, rb = max(comp.t0, self.power.first), comp.t1 + 1
        ba, bb = max(0, comp.b0 - pad_b), min(nb, comp.b1 + 1 + pad_b)
        runs = refine_runs(
            self.power.view(ra, rb, slice(ba, bb)), self.floor.view(ra, rb, slice(ba, bb)), self.params.edge_rel_db,
            # Segments of an emission longer than max_duration_s are continuous signals: never cut inside.
            split_frames=0 if (split_after or comp.split_before) else self.split_frames,
        )
        out: list[Detection] = []
        for k, (rows, band, snr_db, peak_db) in enumerate(runs or ()):
            if snr_db < self.params.min_snr_db:
                continue
            first, last = k == 0, k == len(runs) - 1
            # A segment's continuation keeps the emission id; bursts split off it get their own.
            if (first and not split_after) or (last and split_after) or len(runs) == 1:
                eid = comp.emission_id
            else:
                eid = self.next_id
                self.next_id += 1
            r0, r1 = ra + rows.start, ra + rows.stop - 1
            b0, b1 = ba + band.start, ba + band.stop - 1
            s0 = g.sample_origin + r0 * g.hop
            count = (r1 - r0) * g.hop + g.nfft
            out.append(Detection(
                t_start_s=s0 / g.sample_rate_hz,
                t_end_s=(s0 + count) / g.sample_rate_hz,
                f_lo_hz=g.bin_edge_hz(b0),
                f_hi_hz=g.bin_edge_hz(b1 + 1),
                snr_db=snr_db,
                peak_db=peak_db,
                sample_start=int(s0),
                sample_count=int(count),
                center_freq_hz=g.center_freq_hz,
                sample_rate_hz=g.sample_rate_hz,
                edge_low=b0 <= 1,
                edge_high=b1 >= nb - 2,
                at_stream_start=r0 == 0,
                at_stream_end=self.finished or (r1 >= self.rows - 1 and self.next_chunk_row >= self.rows),
                split_before=comp.split_before and first,
                split_after=split_after and last,
                emission_id=eid,
            ))
        return out


def detect(
    power_frames: np.ndarray,
    floor: np.ndarray,
    *,
    nfft: int | None = None,
    hop: int | None = None,
    sample_rate_hz: float = 1.0,
    center_freq_hz: float = 0.0,
    sample_origin: int = 0,
    params: DetectParams | None = None,
) -> list[Detection]:
    """Detections in a whole power spectrogram.

    ``power_frames``: ``(frames, nfft)`` linear power (FFT-shifted);
    ``floor``: the same shape, or ``(nfft,)`` for one floor for all frames
    (see :func:`rfclassify.dsp.noise.estimate_floor`). ``hop`` defaults to
    ``nfft``. Returns detections sorted by start time, then frequency.
    """
    power_frames = np.asarray(power_frames, dtype=np.float32)
    nfft = power_frames.shape[1] if nfft is None else nfft
    hop = nfft if hop is None else hop
    floor = np.broadcast_to(np.asarray(floor, dtype=np.float32), power_frames.shape)
    engine = DetectionEngine(nfft, hop, sample_rate_hz, center_freq_hz, sample_origin, params)
    # The engine's ring holds a bounded number of rows: feed it a chunk at a time.
    step = engine.params.chunk_frames
    out: list[Detection] = []
    for a in range(0, power_frames.shape[0], step):
        out += engine.push(power_frames[a : a + step], floor[a : a + step])
    out += engine.finish()
    return sorted(out, key=lambda d: (d.t_start_s, d.f_lo_hz))
