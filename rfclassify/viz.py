"""Pictures of recordings: labelled waterfalls with their annotations.

Plots are drawn on matplotlib ``Figure`` objects with the Agg canvas directly
(no ``pyplot`` state, no GUI backend), so this works headless and in threads.

The waterfall is computed by streaming: blocks from the source go through
:func:`rfclassify.dsp.spectrogram.power_spectrogram` (non-overlapping
``nfft`` frames) and the frames are folded into at most ``max_rows`` display
rows, so memory is ``max_rows × nfft`` floats whatever the recording's length
(10 s of 2.4 MS/s or 0.5 s of 20 MS/s are ~24 M and 10 M samples).

Folding uses **max-hold** by default: drone control links are short bursts
(an ELRS packet is ~1–4 ms, a FrSky frame ~9 ms, a DroneID burst ~0.6 ms)
while a display row of a 10 s recording spans 10 ms, so averaging would dim a
1 ms burst by 10 dB (the ratio of row to burst length) and hide hop patterns.
Max-hold keeps each burst's peak; the price is a noise floor lifted by a few dB
(the maximum of N exponentially distributed bin powers is ~ln N above their
mean) and a grainier floor. ``mode="mean"`` averages instead, which suits
continuous signals and noise-floor measurements.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rfclassify.dsp.spectrogram import frequency_axis_hz, nfft_for_rate, power_spectrogram, to_db
from rfclassify.errors import InputError
from rfclassify.sources.base import FileSource

MODES = ("max", "mean")


@dataclass
class Waterfall:
    """A folded spectrogram ready to draw.

    ``power`` is linear power per bin, shape ``(rows, nfft)``, columns from
    −fs/2 to +fs/2; row ``r`` covers ``[t_start_s + r·row_s, t_start_s + (r+1)·row_s)``
    from the start of the source. ``center_freq_hz`` is ``None`` when the
    span crosses captures tuned to different frequencies (then frequencies
    are offsets from each capture's centre).
    """

    power: np.ndarray
    sample_rate_hz: float
    center_freq_hz: float | None
    nfft: int
    t_start_s: float
    row_s: float
    frames_per_row: int
    mode: str

    @property
    def freqs_hz(self) -> np.ndarray:
        """Frequency of each column: RF in Hz, or the offset from centre when tunings differ."""
        return frequency_axis_hz(self.nfft, self.sample_rate_hz, self.center_freq_hz or 0.0)

    @property
    def t_stop_s(self) -> float:
        """End of the last row, in seconds from the start of the source."""
        return self.t_start_s + self.power.shape[0] * self.row_s


def compute_waterfall(
    source: FileSource,
    *,
    start_s: float = 0.0,
    duration_s: float | None = None,
    nfft: int | None = None,
    max_rows: int = 1000,
    mode: str = "max",
    channel: int = 0,
) -> Waterfall:
    """Stream ``source`` from ``start_s`` for ``duration_s`` and fold its spectrogram into ≤ ``max_rows`` rows.

    ``nfft`` defaults to about 10 kHz bins for the source's rate. Raises
    :class:`InputError` when the span is outside the recording or shorter
    than one frame.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if max_rows < 1:
        raise ValueError("max_rows must be >= 1")
    rate = source.info.sample_rate_hz
    nfft = int(nfft or nfft_for_rate(rate))
    if nfft < 8:
        raise InputError(source.path, f"--nfft must be at least 8, got {nfft}")
    total = source.num_samples
    start = round(max(0.0, start_s) * rate)
    if start >= total:
        raise InputError(
            source.path, f"--start {start_s:g} s is past the end of the recording ({total / rate:.6g} s)"
        )
    count = total - start if duration_s is None else min(total - start, round(duration_s * rate))
    n_frames = count // nfft
    if n_frames < 1:
        raise InputError(
            source.path, f"{count} samples from {start_s:g} s are fewer than one {nfft}-point frame"
        )
    per_row = math.ceil(n_frames / max_rows)
    rows = math.ceil(n_frames / per_row)
    acc = np.zeros((rows, nfft), dtype=np.float32)
    hits = np.zeros(rows, dtype=np.int64)
    block = max(nfft * per_row, 1 << 18) // nfft * nfft

    centers: set[float] = set()
    carry = np.zeros(0, dtype=np.complex64)
    frame_index = 0
    for blk in source.blocks(block, start=start, count=n_frames * nfft):
        centers.add(blk.center_freq_hz)
        x = blk.samples if blk.samples.ndim == 1 else blk.samples[:, channel]
        buf = np.concatenate([carry, x]) if len(carry) else x
        whole = len(buf) // nfft * nfft
        carry = buf[whole:].copy()
        if whole == 0:
            continue
        frames = power_spectrogram(buf[:whole], nfft)
        row_of = (frame_index + np.arange(len(frames))) // per_row
        cuts = np.flatnonzero(np.diff(row_of)) + 1
        starts = np.concatenate(([0], cuts))
        if mode == "max":
            folded = np.maximum.reduceat(frames, starts, axis=0)
            np.maximum(acc[row_of[starts]], folded, out=folded)
        else:
            folded = np.add.reduceat(frames, starts, axis=0) + acc[row_of[starts]]
        acc[row_of[starts]] = folded
        hits[row_of[starts]] += np.diff(np.concatenate((starts, [len(frames)])))
        frame_index += len(frames)
    if mode == "mean":
        acc /= np.maximum(hits, 1)[:, None].astype(np.float32)
    center = centers.pop() if len(centers) == 1 else None
    return Waterfall(
        power=acc,
        sample_rate_hz=rate,
        center_freq_hz=center,
        nfft=nfft,
        t_start_s=start / rate,
        row_s=per_row * nfft / rate,
        frames_per_row=per_row,
        mode=mode,
    )


def _annotation_boxes(
    annotations: Iterable[Mapping[str, Any]], source: FileSource, wf: Waterfall
) -> list[tuple[float, float, float, float, str]]:
    """``(f_lo_mhz, f_hi_mhz, t0_s, t1_s, label)`` of each annotation inside the plotted span."""
    rate = wf.sample_rate_hz
    f_axis = wf.freqs_hz
    full_lo, full_hi = float(f_axis[0]), float(f_axis[-1])
    boxes = []
    for ann in annotations:
        try:
            s0 = int(ann.get("core:sample_start", 0))
            n = int(ann.get("core:sample_count", source.num_samples - s0))
        except (TypeError, ValueError):
            continue
        t0, t1 = s0 / rate, (s0 + n) / rate
        if t1 < wf.t_start_s or t0 > wf.t_stop_s:
            continue
        lo, hi = ann.get("core:freq_lower_edge"), ann.get("core:freq_upper_edge")
        if lo is None or hi is None:
            lo, hi = full_lo, full_hi
        else:
            lo, hi = float(lo), float(hi)
            if wf.center_freq_hz is None:  # offsets from the capture's own centre
                c = source.capture_at(s0).center_freq_hz
                lo, hi = lo - c, hi - c
        label = str(ann.get("core:label") or ann.get("core:description") or "")
        boxes.append((lo / 1e6, hi / 1e6, max(t0, wf.t_start_s), min(t1, wf.t_stop_s), label))
    return boxes


class _LabelColours:
    """One outline colour per label, in order of first use (``unknown`` grey, ``noise`` white)."""

    FIXED: ClassVar[dict[str, str]] = {"unknown": "#b0b0b0", "noise": "#ffffff"}

    def __init__(self) -> None:
        from matplotlib import colormaps

        self._palette = [colormaps["tab10"](i) for i in (1, 3, 6, 2, 4, 8, 9, 0, 5, 7)]
        self._given: dict[str, Any] = {}

    def __call__(self, label: str) -> Any:
        if label in self.FIXED:
            return self.FIXED[label]
        if label not in self._given:
            self._given[label] = self._palette[len(self._given) % len(self._palette)]
        return self._given[label]


def _record_boxes(
    records: Iterable[Mapping[str, Any]], wf: Waterfall
) -> list[tuple[float, float, float, float, str]]:
    """``(f_lo_mhz, f_hi_mhz, t0_s, t1_s, label)`` of classify records inside the plotted span."""
    boxes = []
    for rec in records:
        t0, t1 = float(rec["t_start_s"]), float(rec["t_end_s"])
        if t1 < wf.t_start_s or t0 > wf.t_stop_s:
            continue
        half = float(rec.get("bandwidth_hz") or 0.0) / 2
        f = float(rec["freq_hz"])
        boxes.append(((f - half) / 1e6, (f + half) / 1e6, max(t0, wf.t_start_s), min(t1, wf.t_stop_s),
                      str(rec["label"])))
    return boxes


def droneid_tags(bursts: Iterable[Mapping[str, Any]], wf: Waterfall) -> list[tuple[float, float, str]]:
    """``(f_hi_mhz, t0_s, text)`` of each burst record inside the plotted span that decoded a DroneID frame.

    The text names the frame's serial number and sequence number (``DroneID 1WNBH3900201N1 #591``)
    and, when the burst held several frames, their count.
    """
    tags = []
    for rec in bursts:
        frame = rec.get("droneid")
        if not frame:
            continue
        for hi in [box[1] for box in _record_boxes([rec], wf)]:
            seq = "" if frame.get("sequence") is None else f" #{frame['sequence']}"
            more = f" ({rec['droneid_frames']} frames)" if rec.get("droneid_frames", 1) > 1 else ""
            tags.append((hi, max(float(rec["t_start_s"]), wf.t_start_s), f"DroneID {frame['serial']}{seq}{more}"))
    return tags


def plot_spectrogram(
    source: FileSource,
    *,
    ax: Any = None,
    start_s: float = 0.0,
    duration_s: float | None = None,
    nfft: int | None = None,
    max_rows: int = 1000,
    mode: str = "max",
    annotations: Iterable[Mapping[str, Any]] | None = None,
    title: str | None = None,
    db_range: float = 70.0,
    cmap: str = "viridis",
    channel: int = 0,
    bursts: Iterable[Mapping[str, Any]] = (),
    emitters: Iterable[Mapping[str, Any]] = (),
) -> Any:
    """Draw a labelled waterfall of ``source`` and return the matplotlib ``Figure``.

    x is RF frequency in MHz, y is time in seconds from the start of the
    recording (downwards), colour is power per bin in dB relative to full
    scale. ``annotations`` (SigMF dicts; default: the source's own, ``[]`` for
    none) are drawn as dashed outlines, one colour per label, named in the
    legend. ``bursts`` (``classify --per-burst`` records) are drawn as solid
    outlines in their label's colour, and ``emitters`` (``classify`` records,
    in table order) get a ``#k`` tag at their first burst, so that the rows of
    ``rfclassify classify -F table`` can be found in the picture. A burst
    that decoded a DroneID frame is tagged with its serial and sequence
    numbers (:func:`droneid_tags`).
    Outlines leave the signal visible; labels go to the legend, not onto
    the bursts. Pass ``ax`` to draw into an existing axes (e.g. a gallery grid).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    bursts = list(bursts)  # drawn, then tagged
    wf = compute_waterfall(
        source, start_s=start_s, duration_s=duration_s, nfft=nfft, max_rows=max_rows, mode=mode, channel=channel
    )
    if ax is None:
        fig = Figure(figsize=(10, 7), dpi=110, layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    db = to_db(wf.power)
    vmax = float(np.max(db))
    vmin = max(float(np.percentile(db, 2)), vmax - db_range)
    if vmax - vmin < 1.0:
        vmin = vmax - 1.0
    f_mhz = wf.freqs_hz / 1e6
    half_bin = (f_mhz[1] - f_mhz[0]) / 2 if wf.nfft > 1 else 0.0
    image = ax.imshow(
        db,
        aspect="auto",
        origin="upper",
        extent=(f_mhz[0] - half_bin, f_mhz[-1] + half_bin, wf.t_stop_s, wf.t_start_s),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    ax.set_xlabel("frequency (MHz)" if wf.center_freq_hz is not None else "offset from capture centre (MHz)")
    ax.set_ylabel("time (s)")
    fig.colorbar(image, ax=ax, label="power per bin (dBFS)")

    anns = source.annotations if annotations is None else annotations
    boxes = _annotation_boxes(anns, source, wf)
    colours = _LabelColours()
    # Outlines stand a few rows and bins off the signal: a 4 ms packet is one pixel row of a 2 s picture,
    # and a line drawn on its edge would hide it.
    pad_t, pad_f = 3 * wf.row_s, 2 * half_bin * 2
    for lo, hi, t0, t1, label in boxes:
        ax.add_patch(Rectangle((lo - pad_f, t0 - pad_t), hi - lo + 2 * pad_f, t1 - t0 + 2 * pad_t, fill=False,
                               edgecolor=colours(label), linewidth=0.8, linestyle="--",
                               label=f"truth: {label or 'unlabelled'}"))
    drawn = _record_boxes(bursts, wf)
    for lo, hi, t0, t1, label in drawn:
        ax.add_patch(Rectangle((lo - 2 * pad_f, t0 - 2 * pad_t), hi - lo + 4 * pad_f, t1 - t0 + 4 * pad_t,
                               fill=False, edgecolor=colours(label), linewidth=1.0, label=f"found: {label}"))
    for k, (lo, _hi, t0, _t1, label) in enumerate(_record_boxes(emitters, wf), start=1):
        ax.text(lo, t0, f"#{k} {label}", color="white", fontsize=7, va="bottom", ha="left", clip_on=True,
                bbox={"facecolor": colours(label), "alpha": 0.8, "pad": 1, "linewidth": 0})
    for hi, t0, text in droneid_tags(bursts, wf):
        ax.text(hi + 2 * pad_f, t0, text, color="white", fontsize=7, va="bottom", ha="left", clip_on=True,
                bbox={"facecolor": colours("dji-ocusync"), "alpha": 0.8, "pad": 1, "linewidth": 0})
    handles, names = ax.get_legend_handles_labels()
    if handles:
        unique = dict(zip(names, handles))  # one entry per label, not per box
        ax.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(0.0, -0.09), fontsize=7,
                  ncols=min(4, len(unique)), frameon=False)

    if title is None:
        where = (
            f"{wf.center_freq_hz / 1e6:.6g} MHz" if wf.center_freq_hz is not None else "several tunings"
        )
        title = (
            f"{Path(source.path).name} — {wf.sample_rate_hz / 1e6:.6g} MS/s at {where}\n"
            f"{wf.nfft}-point FFT, {wf.mode}-hold of {wf.frames_per_row} frame(s) per row"
            + (f", {len(boxes)} annotation(s)" if boxes else "")
            + (f", {len(drawn)} burst(s) found" if drawn else "")
        )
    ax.set_title(title, fontsize=10)
    return fig


def save_figure(fig: Any, out_path: str | os.PathLike[str], dpi: int | None = None) -> Path:
    """Save a ``Figure`` (any format matplotlib writes, chosen by extension) and return the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = Path(out_path)
    if fig.canvas is None or not hasattr(fig.canvas, "print_figure"):
        FigureCanvasAgg(fig)
    fig.savefig(out, dpi=dpi)
    return out


def supported_image_formats() -> dict[str, str]:
    """File extensions matplotlib can write (``{"png": "Portable Network Graphics", …}``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return dict(FigureCanvasAgg(Figure()).get_supported_filetypes())
