"""Emission detection on a power spectrogram: CFAR-style regions above the noise floor.

Pure, deterministic processing of ``(frames, bins)`` power and floor arrays
(:mod:`rfclassify.dsp.spectrogram`, :mod:`rfclassify.dsp.noise`):

1. **Mask.** The power ratio ``P / floor`` is averaged over boxes at a few
   time–frequency scales (a fine box finds strong short or narrow bursts, a
   wide one finds weak wideband signals such as LoRa at 0 dB in-band SNR) and
   compared with a per-scale threshold. Each threshold is set from the false
   alarm probability of a box mean of exponential cells (a Gamma law with
   the box's effective number of independent cells; cell-averaging CFAR,
   Richards, *Fundamentals of Radar Signal Processing*, ch. 6) plus a margin
   for the error of the floor estimate.
2. **Closing.** The mask is dilated by a small gap in time and frequency so
   pulses of one packet, and the two halves of a signal split by the DC bins,
   join; statistics use only the undilated cells.
3. **Connected components** (8-connectivity) over the dilated mask are the
   emissions. Frames are processed in fixed chunks of ``chunk_frames``
   counted from the first frame of the stream, and components are joined
   across chunk boundaries by the last row, so the result does not depend on
   how the stream was cut into blocks. An emission longer than
   ``max_duration_s`` is emitted in segments at chunk boundaries.
4. **Refinement.** Each component's box is refined from its own cells: the
   frequency edges from the time-averaged excess power profile, the time
   edges from the in-band excess power per frame, and the SNR as in-band
   signal power over in-band noise power (the synthesizer's definition).

:func:`detect` runs all of it on a whole spectrogram; the streaming wrapper
(:class:`rfclassify.detection.BurstDetector`) feeds the same
:class:`DetectionEngine` frame by frame and gets identical detections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.stats import gamma

_EIGHT = np.ones((3, 3), dtype=bool)


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
class _Grid:
    """Frame/bin geometry in physical units."""

    nfft: int
    hop: int
    sample_rate_hz: float
    center_freq_hz: float
    sample_origin: int = 0

    @property
    def bin_hz(self) -> float:
        return self.sample_rate_hz / self.nfft

    @property
    def frame_s(self) -> float:
        return self.hop / self.sample_rate_hz

    def bin_edge_hz(self, b: float) -> float:
        """RF frequency of the lower edge of (shifted) bin ``b``."""
        return self.center_freq_hz + (b - self.nfft // 2 - 0.5) * self.bin_hz


@dataclass
class _Comp:
    """Running statistics of one open component (undilated cells only)."""

    t0: int
    t1: int
    b0: int
    b1: int
    cells: int
    seg_start: int
    split_before: bool = False
    emission_id: int = 0

    def merge(self, other: _Comp) -> None:
        if other.cells:
            if self.cells:
                self.t0, self.t1 = min(self.t0, other.t0), max(self.t1, other.t1)
                self.b0, self.b1 = min(self.b0, other.b0), max(self.b1, other.b1)
            else:
                self.t0, self.t1, self.b0, self.b1 = other.t0, other.t1, other.b0, other.b1
        self.cells += other.cells
        self.seg_start = min(self.seg_start, other.seg_start)
        self.split_before = self.split_before or other.split_before
        self.emission_id = min(self.emission_id, other.emission_id)


def coarse_factor(nfft: int, sample_rate_hz: float, coarse_bin_hz: float = 40e3) -> int:
    """Bins summed into one column of the coarse grid the wide scales run on (a power of two ≤ nfft/16)."""
    bin_hz = sample_rate_hz / nfft
    dec = 1
    while dec * 2 * bin_hz <= coarse_bin_hz and dec * 2 <= nfft // 16:
        dec *= 2
    return dec


@dataclass(frozen=True)
class Box:
    """One averaging box on a grid: ``bins`` columns of ``dec`` FFT bins each, ``frames`` rows.

    ``thr`` holds the threshold ratio per column (edge columns average fewer
    cells and so get a higher threshold); ``sum_thr`` is the same threshold
    on the sum of one row's cells (columns inside × ``dec``).
    """

    bins: int
    frames: int
    dec: int
    thr: np.ndarray
    sum_thr: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.sum_thr is None:
            # Threshold on the *sum* over one row of the box: mean threshold × cells summed per row.
            inside = np.round(_inside_fraction(len(self.thr), self.bins) * self.bins)
            object.__setattr__(self, "sum_thr", (self.thr * inside * self.dec).astype(np.float32))


def _gamma_threshold(n_eff: np.ndarray, pfa: float) -> np.ndarray:
    n_eff = np.maximum(np.asarray(n_eff, dtype=np.float64), 1.0)
    return gamma.isf(pfa, a=n_eff, scale=1.0 / n_eff)


def _inside_fraction(n: int, size: int) -> np.ndarray:
    """Fraction of a centred box of ``size`` that falls inside ``[0, n)``, per position."""
    return ndimage.uniform_filter1d(np.ones(n, dtype=np.float32), size, mode="constant")


def scale_boxes(params: DetectParams, nfft: int, hop: int, sample_rate_hz: float) -> list[Box]:
    """Each scale as a :class:`Box` for this grid.

    The threshold is the ``1 - pfa`` quantile of the mean of ``n_eff``
    exponential cells (a Gamma law), where ``n_eff`` counts adjacent
    Hann-windowed bins as 2/3 independent, raised by ``margin_db``. The
    finest scale runs on the FFT grid, wider ones on a grid of
    :func:`coarse_factor` bins per column.
    """
    bin_hz = sample_rate_hz / nfft
    frame_s = hop / sample_rate_hz
    dec_c = coarse_factor(nfft, sample_rate_hz)
    out: list[Box] = []
    seen: set[tuple[int, int, int]] = set()
    for i, sc in enumerate(params.scales):
        dec = 1 if sc.bw_hz <= 0 else dec_c
        ncols = nfft // dec
        nb = max(sc.min_bins if dec == 1 else 1, round(sc.bw_hz / (bin_hz * dec)) | 1)
        nb = min(nb, max(1, (ncols // 2) | 1))
        nf = max(sc.min_frames, round(sc.dur_s / frame_s) | 1)
        if (nb, nf, dec) in seen:
            continue
        seen.add((nb, nf, dec))
        cells = nf * _inside_fraction(ncols, nb) * nb * dec
        n_eff = cells * (2.0 / 3.0 if nb * dec > 1 else 1.0)
        thr = _gamma_threshold(n_eff, params.pfa) * 10 ** (params.margin_db / 10)
        out.append(Box(nb, nf, dec, thr.astype(np.float32)))
    return out


def _take(x: np.ndarray, start: int, length: int, axis: int) -> np.ndarray:
    return x[start : start + length] if axis == 0 else x[:, start : start + length]


def window_sum(x: np.ndarray, k: int, axis: int, op: np.ufunc = np.add) -> np.ndarray:
    """Sums of ``k`` consecutive elements along ``axis`` (0 or 1), "valid" mode: length ``n - k + 1``.

    Built from sums over power-of-two lengths (``k = 17`` costs 6 array
    additions, not 16). A cumulative sum would be O(1) per cell too, but
    ``np.cumsum`` along rows is an order of magnitude slower than these
    contiguous slice additions, and it loses float32 precision next to
    strong bursts. ``op=np.logical_or`` gives a running "any" (dilation).
    """
    if k <= 1:
        return x
    out_len = x.shape[axis] - k + 1
    result: np.ndarray | None = None
    p, width, off, bits = x, 1, 0, k
    while True:
        if bits & 1:
            part = _take(p, off, out_len, axis)
            result = part if result is None else op(result, part)
            off += width
        bits >>= 1
        if not bits:
            break
        m = p.shape[axis] - width
        p = op(_take(p, 0, m, axis), _take(p, width, m, axis))
        width *= 2
    assert result is not None
    return result


def centred_sum_cols(x: np.ndarray, k: int, op: np.ufunc = np.add) -> np.ndarray:
    """Sum (or ``op``) over a centred window of ``k`` (odd) columns, zero beyond the edges; same shape as ``x``.

    Runs on the flattened, zero-padded array so every operation is one
    contiguous 1-D pass (column slices of a 2-D array are several times slower).
    """
    return centred_sum_cols_wide(x, k, op)[:, : x.shape[1]]


def centred_sum_cols_wide(x: np.ndarray, k: int, op: np.ufunc = np.add) -> np.ndarray:
    """:func:`centred_sum_cols` as a C-contiguous ``(rows, cols + 2·(k // 2))`` array: its first ``cols`` columns.

    The other columns are sums across a row's end (not used). Row operations
    on the contiguous result are faster than on the column slice.
    """
    if k <= 1:
        return x
    h = k // 2
    rows, n = x.shape
    w = n + 2 * h
    buf = np.zeros(rows * w + 2 * h, dtype=x.dtype)
    buf[: rows * w].reshape(rows, w)[:, h : h + n] = x
    return window_sum(buf, 2 * h + 1, 0, op)[: rows * w].reshape(rows, w)


def _coarse(x: np.ndarray, dec: int) -> np.ndarray:
    """Sum of each run of ``dec`` adjacent columns (strided slices: far faster than a reshaped ``sum``)."""
    if dec == 1:
        return x
    out = x[:, 0::dec] + x[:, 1::dec]
    for j in range(2, dec):
        out += x[:, j::dec]
    return out


def row_window_sums(x: np.ndarray, windows: list[tuple[int, int]], out_len: int) -> list[np.ndarray]:
    """For each ``(k, start)``: sums of ``k`` consecutive rows of ``x`` for the ``out_len`` rows from ``start``.

    Bit-identical to ``window_sum(x[start : start + out_len + k - 1], k, 0)``
    for each window, but the power-of-two partial sums (the same at every
    absolute row, whatever the window) are built once over all of ``x`` and
    shared by every window: the mask's boxes of one column width differ only
    in length. Each window's parts are added in the same order as in
    :func:`window_sum` (lowest power of two first).
    """
    results: list[np.ndarray | None] = [None] * len(windows)
    offs = [start for _, start in windows]
    p, width = x, 1
    top = max(k for k, _ in windows)
    while True:
        for i, (k, _) in enumerate(windows):
            if k & width:
                part = p[offs[i] : offs[i] + out_len]
                r = results[i]
                results[i] = part if r is None else r + part
                offs[i] += width
        if width * 2 > top:
            break
        m = p.shape[0] - width
        p = p[:m] + p[width : width + m]
        width *= 2
    return [r if r is not None else x[s : s + out_len] for r, (_, s) in zip(results, windows)]


def mask_rows(win: np.ndarray, boxes: list[Box], pad: int, data_lo: int, data_hi: int) -> np.ndarray:
    """The detection mask of the rows ``[pad, len(win) - pad)`` of a padded window of power ratios.

    ``win``: ``(rows, bins)`` ratio ``P / floor``, with at least every box's
    half length of rows above and below the output rows; only rows
    ``[data_lo, data_hi)`` hold data (the others must be zero), and a box that
    reaches beyond them is the mean of the cells inside (its threshold is
    scaled by the count). Returns bool ``(rows - 2·pad, bins)``. Each output
    row depends only on the ratio rows within its boxes, so any number of
    rows can be computed at once (boxes of one column width share their
    row sums, :func:`row_window_sums`).
    """
    rows, nb = win.shape
    n_out = rows - 2 * pad
    mask = np.zeros((n_out, nb), dtype=bool)
    coarse_hits: dict[int, np.ndarray] = {}
    grids: dict[int, np.ndarray] = {}
    groups: dict[tuple[int, int], list[Box]] = {}
    for box in boxes:
        groups.setdefault((box.dec, box.bins), []).append(box)
    r = np.arange(pad, pad + n_out)
    for (dec, bins), group in groups.items():
        grid = grids.get(dec)
        if grid is None:
            grid = grids[dec] = _coarse(win, dec)
        fs = centred_sum_cols_wide(grid, bins | 1)  # row sums over whole contiguous rows, then the columns kept
        sums = row_window_sums(fs, [(box.frames, pad - box.frames // 2) for box in group], n_out)
        for box, s in zip(group, sums):
            s = s[:, : grid.shape[1]]
            h = box.frames // 2
            if data_lo > pad - h or data_hi < pad + n_out + h:
                cnt = (np.minimum(r + h, data_hi - 1) - np.maximum(r - h, data_lo) + 1).clip(min=1)
                hit = s > cnt.astype(np.float32)[:, None] * box.sum_thr[None, :]
            else:
                hit = s > np.float32(box.frames) * box.sum_thr
            if dec == 1:
                mask |= hit
            elif dec in coarse_hits:
                coarse_hits[dec] |= hit
            else:
                coarse_hits[dec] = hit
    for dec, hit in coarse_hits.items():
        mask |= np.repeat(hit, dec, axis=1)
    return mask


def detection_mask(ratio: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """Cells where the box-mean of ``ratio`` (power over floor) exceeds the threshold at any scale.

    ``ratio``: ``(frames, bins)``. Boxes are truncated at the array's ends
    (mean of the cells inside). Returns a bool array of the same shape.
    """
    ratio = np.asarray(ratio, dtype=np.float32)
    pad = max(b.frames for b in boxes) // 2
    win = np.zeros((ratio.shape[0] + 2 * pad, ratio.shape[1]), dtype=np.float32)
    win[pad : pad + ratio.shape[0]] = ratio
    return mask_rows(win, boxes, pad, pad, pad + ratio.shape[0])


def close_inner_rows(mask: np.ndarray, gap_frames: int, gap_bins: int) -> np.ndarray:
    """Dilate ``mask`` by ``gap_frames`` rows and ``gap_bins`` columns each side (bridges gaps up to twice that).

    The rows of ``mask`` beyond the ``gap_frames`` at each end are only context:
    each output row is the OR over the ``2·gap_frames + 1`` rows around it, all
    inside ``mask``, of the column dilation. Returns bool ``(rows - 2·gap_frames, cols)``.
    """
    out = centred_sum_cols(mask, 2 * gap_bins + 1, np.logical_or) if gap_bins > 0 else mask
    if gap_frames > 0:
        out = window_sum(out, 2 * gap_frames + 1, 0, np.logical_or)
    return np.ascontiguousarray(out) if out is not mask else mask.copy()


def refine(
    power: np.ndarray,
    floor: np.ndarray,
    edge_rel_db: float = -25.0,
    edge_fraction: float = 0.5,
) -> tuple[slice, slice, float, float] | None:
    """Refined (rows, bins, snr_db, peak_db) of one emission in a box of power and floor cells (no time split).

    See :func:`refine_runs`, of which this is the single-run case.
    """
    runs = refine_runs(power, floor, edge_rel_db, edge_fraction, split_frames=0)
    return runs[0] if runs else None


def band_edges(excess: np.ndarray, edge_rel_db: float = -25.0, edge_fraction: float = 0.5) -> slice | None:
    """The bins of the emission in a box of excess ratios (``power / floor − 1``, frames × bins), from its time average.

    The outermost bins whose 3-bin-smoothed, time-averaged excess ratio
    exceeds both the noise of that average (3σ) and ``edge_rel_db`` below
    its peak (gaps of up to 4 bins bridged: the DC notch), narrowed to where
    the excess is at least ``edge_fraction`` of the in-band level (the 90th
    percentile of the run): the Hann window spreads a sharp spectral edge
    symmetrically about that point. ``None`` if nothing stands out.
    """
    nt, nb = excess.shape
    prof = excess.mean(axis=0)
    if nb >= 3:
        prof_s = ndimage.uniform_filter1d(prof, 3, mode="nearest")
    else:
        prof_s = prof
    sigma_f = 1.0 / np.sqrt(nt * min(3, nb) * 2.0 / 3.0)
    peak = float(prof_s.max())
    if peak <= 3 * sigma_f:
        return None
    on_f = (prof_s > 3 * sigma_f) & (prof_s > peak * 10 ** (edge_rel_db / 10))
    cols = np.flatnonzero(on_f)
    ipk = int(np.argmax(prof_s))
    breaks = np.flatnonzero(np.diff(cols) > 5)
    starts = np.concatenate(([0], breaks + 1))
    stops = np.concatenate((breaks, [len(cols) - 1]))
    run = min(int(np.searchsorted(cols[stops], ipk)), len(starts) - 1)
    r0, r1 = int(cols[starts[run]]), int(cols[stops[run]])
    seg = prof_s[r0 : r1 + 1]
    level = float(np.percentile(seg, 90))
    ok = np.flatnonzero(seg >= edge_fraction * level)
    if len(ok) == 0:
        return None
    return slice(r0 + int(ok[0]), r0 + int(ok[-1]) + 1)


def refine_runs(
    power: np.ndarray,
    floor: np.ndarray,
    edge_rel_db: float = -25.0,
    edge_fraction: float = 0.5,
    split_frames: int = 0,
) -> list[tuple[slice, slice, float, float]] | None:
    """Refined (rows, bins, snr_db, peak_db) of the emissions inside a box of power and floor cells.

    ``power``/``floor``: ``(frames, bins)`` of the component's bounding box
    (with some margin). The frequency edges are those of :func:`band_edges`
    over the whole box; the time edges are the first and last frames whose
    in-band excess exceeds 3σ of its noise and a tenth of the strongest
    frame. Runs of such frames separated by more than ``split_frames`` quiet
    frames are separate emissions (one per run, in time order; the box-mean
    scales smear a strong burst in time by half their length, so without
    this, bursts a few ms apart would merge), and each run gets its own
    frequency edges from its own frames: a hopper's consecutive packets on
    two channels share one box, not one band. Returns ``None`` if nothing
    stands out.
    """
    nt = power.shape[0]
    ratio = power / floor
    excess = ratio - np.float32(1.0)
    band = band_edges(excess, edge_rel_db, edge_fraction)
    if band is None:
        return None
    e = excess[:, band].mean(axis=1)
    nband = band.stop - band.start
    sigma_t = 1.0 / np.sqrt(max(1.0, nband * 2.0 / 3.0))
    e_s = ndimage.uniform_filter1d(e, 3, mode="nearest") if nt >= 3 else e
    emax = float(e_s.max())
    on_t = (e_s > max(3 * sigma_t / np.sqrt(3.0), 0.1 * emax)) | (e > max(3 * sigma_t, 0.1 * emax))
    quiet = None
    if split_frames > 0 and on_t.any():
        quiet = quiet_frames(e, on_t, max(1.0, nband * 2.0 / 3.0), split_frames, float(np.median(e_s[on_t])))
    runs = _on_runs(on_t, split_frames, quiet)
    if not runs:
        return None
    out = []
    for t0, t1 in runs:
        rows = slice(t0, t1 + 1)
        own = band_edges(excess[rows], edge_rel_db, edge_fraction) if len(runs) > 1 else None
        bins = own if own is not None else band
        p = power[rows, bins]
        f = floor[rows, bins]
        sig = float(np.sum(p - f, dtype=np.float64))
        noise = float(np.sum(f, dtype=np.float64))
        snr_db = 10 * np.log10(max(sig, 1e-12 * noise) / noise)
        peak_db = 10 * np.log10(float(np.max(ratio[rows, bins])))
        out.append((rows, bins, float(snr_db), float(peak_db)))
    return out


#: Share of noise-only windows that pass the quiet test (one-sided normal quantile z).
_QUIET_NOISE_Z = 1.0  # 84 %
#: A continuing emission may pass the quiet test with at most this probability (z of 1e-4).
_QUIET_SIGNAL_Z = 3.719


def quiet_frames(
    excess: np.ndarray, on: np.ndarray, n_eff: float, split_frames: int, on_level: float | None = None
) -> np.ndarray:
    """Frames inside a window of frames whose *mean* in-band excess is that of noise, not of the emission.

    ``excess``: per-frame in-band excess ratio (``P / floor - 1`` averaged over
    the band, ``n_eff`` independent cells per frame); ``on``: the active
    frames. Windows of ``split_frames + 1`` frames (the gap and one frame of
    the window's spectral leakage) and each doubling of that are tested: a
    window is quiet if its mean is under the 84th percentile of a noise-only mean and under a tenth of ``on_level`` (the typical level of
    the active frames: strong emissions whose power leaves the band for a
    moment, a chirp partly outside the receiver window, are not cut), and a
    window length is used only if a continuation of
    the emission (noise-like, at the mean excess ``level`` of the span between
    the first and last active frames: ``(1 + level)`` times a Gamma mean)
    would pass that test with probability under 1e-4. A strong emission is
    thus split at gaps of a few frames, a weak one only at gaps long enough to
    be quiet *on average*, so noise dips inside a weak continuous signal (a 0 dB
    LoRa packet) do not cut it. Gamma quantiles use the Wilson–Hilferty cube
    approximation (no special functions per call). Returns bool like ``excess``.
    """
    nt = len(excess)
    quiet = np.zeros(nt, dtype=bool)
    idx = np.flatnonzero(on)
    if len(idx) < 2:
        return quiet
    first, last = int(idx[0]), int(idx[-1])
    level = max(float(np.mean(excess[first : last + 1], dtype=np.float64)), 0.0)
    csum = np.concatenate(([0.0], np.cumsum(excess[first : last + 1], dtype=np.float64)))
    cover = np.zeros(last - first + 2, dtype=np.int32)
    width = max(1, split_frames + 1)
    cap = np.inf if on_level is None else 0.1 * on_level
    while width <= last - first - 1:
        n = n_eff * width
        v = 1.0 / (9.0 * n)
        tau = min((1.0 - v + _QUIET_NOISE_Z * np.sqrt(v)) ** 3 - 1.0, cap)
        if ((1.0 + tau) / (1.0 + level)) ** (1.0 / 3.0) <= 1.0 - v - _QUIET_SIGNAL_Z * np.sqrt(v):
            means = (csum[width:] - csum[:-width]) / width
            hits = np.flatnonzero(means < tau)
            if len(hits):
                np.add.at(cover, hits, 1)
                np.add.at(cover, hits + width, -1)
        width *= 2
    quiet[first : last + 1] = np.cumsum(cover)[:-1] > 0
    return quiet


def _on_runs(on: np.ndarray, split_frames: int, quiet: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(first, last) of the active frames ``on``, split where more than ``split_frames`` frames in a row are ``quiet``.

    Splitting on a separate, stricter ``quiet`` test (not merely "not on")
    keeps a weak continuous signal that dips under the per-frame test in one
    piece. ``split_frames <= 0`` or no ``quiet`` keeps one run from the first
    to the last active frame.
    """
    idx = np.flatnonzero(on)
    if len(idx) == 0:
        return []
    first, last = int(idx[0]), int(idx[-1])
    if split_frames <= 0 or quiet is None:
        return [(first, last)]
    q = np.zeros(len(on) + 2, dtype=np.int8)
    q[first + 1 : last + 2] = quiet[first : last + 1]
    edges = np.flatnonzero(np.diff(q))
    out: list[tuple[int, int]] = []
    start = first
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a > split_frames:
            piece = idx[(idx >= start) & (idx < a)]
            if len(piece):
                out.append((int(piece[0]), int(piece[-1])))
            start = int(b)
    piece = idx[idx >= start]
    if len(piece):
        out.append((int(piece[0]), int(piece[-1])))
    return out


def label_chunk(
    closed: np.ndarray, orig: np.ndarray
) -> tuple[np.ndarray, int, list[tuple[slice, slice] | None], np.ndarray]:
    """8-connected components of ``closed`` and, per component, the box and count of its ``orig`` cells.

    Returns ``(labels, n, boxes, counts)``: ``labels`` as :func:`scipy.ndimage.label`
    gives them but only for the rows kept (see below; the first and the last
    row are always kept, as ``labels[0]`` and ``labels[-1]``), ``boxes[i - 1]``
    the ``(rows, cols)`` slices of component ``i``'s ``orig`` cells (``None`` if
    it has none) and ``counts[i]`` their number (``counts[0]`` is 0). The same
    as labelling all of ``closed`` then ``find_objects``/``bincount`` over
    ``where(orig, labels, 0)``, but a row of ``closed`` that repeats the row
    above is dropped before labelling: it connects nothing the row above does
    not, and holds no component's first cell, so labels and their raster order
    are unchanged (the closing in time makes most rows such repeats). The
    boxes and counts are taken over the rows where ``closed`` or ``orig``
    changes, each weighted by how often it repeats.
    """
    rows = closed.shape[0]
    new_closed = np.ones(rows, dtype=bool)
    new_closed[1:] = (closed[1:] != closed[:-1]).any(axis=1)
    labels, n = ndimage.label(closed[np.flatnonzero(new_closed)], structure=_EIGHT)
    if n == 0:
        return labels, 0, [], np.zeros(1, dtype=np.int64)
    new_any = new_closed.copy()
    new_any[1:] |= (orig[1:] != orig[:-1]).any(axis=1)
    keep = np.flatnonzero(new_any)
    run = np.diff(np.append(keep, rows))
    lab_orig = np.where(orig[keep], labels[np.cumsum(new_closed)[keep] - 1], 0)
    cells = np.flatnonzero(lab_orig)
    counts = np.bincount(lab_orig.ravel()[cells], weights=run[cells // lab_orig.shape[1]], minlength=n + 1)
    boxes: list[tuple[slice, slice] | None] = []
    for sl in ndimage.find_objects(lab_orig, max_label=n):
        if sl is None:
            boxes.append(None)
        else:
            last = sl[0].stop - 1
            boxes.append((slice(int(keep[sl[0].start]), int(keep[last] + run[last])), sl[1]))
    return labels, n, boxes, counts.astype(np.int64)


def _touching_pairs(first: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Distinct ``(label in first, label in prev)`` pairs of 8-connected neighbours across two rows.

    ``first`` and ``prev`` are label rows (0 = background); a cell touches the
    previous row's cell in the same column and the two diagonal ones.
    Returns an ``(k, 2)`` int64 array sorted by first label, then previous.
    """
    if not prev.any():  # nothing open across the boundary: the common case after noise
        return np.zeros((0, 2), dtype=np.int64)
    n = len(first)
    a_parts, b_parts = [], []
    for a, b in ((first, prev), (first[:-1], prev[1:]), (first[1:], prev[: n - 1])):
        both = (a > 0) & (b > 0)
        if both.any():
            a_parts.append(a[both])
            b_parts.append(b[both])
    if not a_parts:
        return np.zeros((0, 2), dtype=np.int64)
    a = np.concatenate(a_parts).astype(np.int64)
    b = np.concatenate(b_parts).astype(np.int64)
    span = int(b.max()) + 1
    keys = np.unique(a * span + b)
    return np.stack((keys // span, keys % span), axis=1)


class _RowRing:
    """The most recent rows of a ``(frames, bins)`` array, addressed by absolute row index."""

    def __init__(self, capacity: int, nbins: int, dtype: type = np.float32) -> None:
        self.capacity = capacity
        self.buf = np.zeros((capacity, nbins), dtype=dtype)
        self.end = 0  # absolute index one past the last row held

    def append(self, rows: np.ndarray) -> None:
        n = rows.shape[0]
        if n >= self.capacity:
            rows = rows[-self.capacity :]
            self.end += n - self.capacity
            n = self.capacity
        pos = self.end % self.capacity
        first = min(n, self.capacity - pos)
        self.buf[pos : pos + first] = rows[:first]
        if first < n:
            self.buf[: n - first] = rows[first:]
        self.end += n

    @property
    def start(self) -> int:
        return max(0, self.end - self.capacity)

    def get(self, a: int, b: int, cols: slice | None = None) -> np.ndarray:
        """Rows ``[a, b)`` (clipped to what is held), columns ``cols`` (default all).

        A read-only view, or where the ring wraps a copy of only the columns asked for
        (an emission's box is a few columns of rows that may span most of the ring).
        """
        a = max(a, self.start)
        b = min(b, self.end)
        cols = slice(None) if cols is None else cols
        if b <= a:
            return self.buf[:0, cols]
        pa, pb = a % self.capacity, (b - 1) % self.capacity
        if pb >= pa:
            view = self.buf[pa : pb + 1, cols].view()
            view.flags.writeable = False
            return view
        return np.concatenate((self.buf[pa:, cols], self.buf[: pb + 1, cols]))


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
        self.grid = _Grid(nfft, hop, float(sample_rate_hz), float(center_freq_hz), int(sample_origin))
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
        self.power = _RowRing(cap, nfft)
        self.floor = _RowRing(cap, nfft)
        self.next_chunk_row = 0  # first row of the next chunk to label
        self.prev_labels = np.zeros(nfft, dtype=np.int64)  # component ids of the last labelled row
        self.open: dict[int, _Comp] = {}
        self.next_id = 1
        self.mask = _RowRing(c + 2 * self.gap_frames + 8 + self.step_rows, nfft, dtype=bool)
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
            mask = self.mask.get(r0, r1)  # read-only
        else:
            mask = np.zeros((b - a + 2 * g, self.grid.nfft), dtype=bool)
            mask[r0 - (a - g) : r1 - (a - g)] = self.mask.get(r0, r1)
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
        closed = close_inner_rows(mask[:, c0:c1], g, self.gap_bins)
        orig = mask[g : g + b - a, c0:c1]
        lab_sub, n, boxes, counts = label_chunk(closed, orig)
        lab_first = np.zeros(self.grid.nfft, dtype=np.int64)
        lab_last = np.zeros(self.grid.nfft, dtype=np.int64)
        if n:
            lab_first[c0:c1] = lab_sub[0]
            lab_last[c0:c1] = lab_sub[-1]
        # Local label -> global id, joining through the previous row (8-connectivity).
        gid = np.zeros(n + 1, dtype=np.int64)
        if n:
            first = lab_first
            parent: dict[int, int] = {}

            def root(x: int) -> int:
                while parent.get(x, x) != x:
                    x = parent[x]
                return x

            for loc, g in _touching_pairs(first, self.prev_labels):
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
                    self.open[self.next_id] = _Comp(0, 0, 0, 0, 0, seg_start=a, emission_id=self.next_id)
                    self.next_id += 1
                else:
                    gid[loc] = root(int(gid[loc]))
            for loc, sl in enumerate(boxes, start=1):
                if sl is None:
                    continue
                part = _Comp(a + sl[0].start, a + sl[0].stop - 1, c0 + sl[1].start, c0 + sl[1].stop - 1,
                             int(counts[loc]), seg_start=a)
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
                self.open[cid] = _Comp(0, 0, 0, 0, 0, seg_start=b, split_before=True, emission_id=comp.emission_id)
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
        np.divide(self.power.get(da, db), self.floor.get(da, db), out=win[da - lo : db - lo])
        self.mask.append(mask_rows(win, self.boxes, H, da - lo, db - lo))

    def _emit(self, comp: _Comp, split_after: bool) -> list[Detection]:
        """The detections of a closed (or segmented) component: one per run of active frames."""
        if comp.cells == 0:
            return []
        g = self.grid
        nb = g.nfft
        pad_b = self.gap_bins + 2
        pad_t = 1
        ra, rb = max(comp.seg_start, comp.t0 - pad_t, self.power.start), min(self.rows, comp.t1 + 1 + pad_t)
        if split_after or comp.split_before:
            ra, rb = max(comp.t0, self.power.start), comp.t1 + 1
        ba, bb = max(0, comp.b0 - pad_b), min(nb, comp.b1 + 1 + pad_b)
        runs = refine_runs(
            self.power.get(ra, rb, slice(ba, bb)), self.floor.get(ra, rb, slice(ba, bb)), self.params.edge_rel_db,
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
