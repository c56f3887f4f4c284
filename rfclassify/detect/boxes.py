"""The averaging boxes of the detection mask and their CFAR thresholds.

Each :class:`~rfclassify.detect.types.Scale` of the parameters becomes a
:class:`Box` on the spectrogram's grid. Its threshold is set from the false
alarm probability of a box mean of exponential cells (a Gamma law with the
box's effective number of independent cells; cell-averaging CFAR, Richards,
*Fundamentals of Radar Signal Processing*, ch. 6) plus a margin for the
error of the floor estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.stats import gamma

from rfclassify.detect.types import DetectParams


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


