"""One emitter's band and bearing: the array maths between detection and the DOA estimate.

- :class:`EmitterBand`: an emitter as detection found it (time spans, RF band, SNR);
  :func:`group_by_frequency` merges detections whose bands overlap (one
  channel of a hopping link is one emitter here);
- :func:`summed_power`: the channel-summed power spectrogram detection runs on;
- :func:`split_band`: the separate emitters inside one detected band, from
  its time-averaged excess power profile;
- :func:`emitter_doa`: one emitter's bearing from ``(n, M)`` samples (apply
  the calibration, keep its spans and band with
  :mod:`rfclassify.bearing.channelize`, run
  :func:`rfclassify.bearing.doa.estimate_doa`);
- :class:`EmitterBearing`: the record ``bearing`` prints.

Pure functions of arrays: reading recordings, detecting and classifying
are joined in :mod:`rfclassify.classify.bearings`. Non-fatal problems
(element spacing above λ/2, a calibration made at another frequency) are
:class:`BearingWarning` s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from rfclassify.bearing.calibration import Calibration
from rfclassify.bearing.channelize import channelize
from rfclassify.bearing.doa import DoaResult, estimate_doa
from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.rotating import PatternFit
from rfclassify.dsp.spectrogram import power_spectrogram


class BearingWarning(UserWarning):
    """A problem worth a line on stderr that does not stop the bearing estimate."""


@dataclass(frozen=True)
class EmitterBand:
    """One emitter: its detection time spans (s from the start) and RF band edges (Hz)."""

    spans_s: tuple[tuple[float, float], ...]
    f_lo_hz: float
    f_hi_hz: float
    snr_db: float

    @property
    def freq_hz(self) -> float:
        """Centre of the band (RF Hz)."""
        return 0.5 * (self.f_lo_hz + self.f_hi_hz)

    @property
    def bandwidth_hz(self) -> float:
        """Band width (Hz)."""
        return self.f_hi_hz - self.f_lo_hz

    @property
    def t_start_s(self) -> float:
        """Start of the first span."""
        return min(s for s, _ in self.spans_s)

    @property
    def t_end_s(self) -> float:
        """End of the last span."""
        return max(e for _, e in self.spans_s)


@dataclass
class EmitterBearing:
    """An emitter with its bearing; :meth:`to_dict` gives the ``classify`` keys plus ``bearing_*`` details."""

    source: str
    emitter: EmitterBand
    bearing_deg: float | None
    bearing_std_deg: float | None
    method: str
    doa: DoaResult | None = None
    fit: PatternFit | None = None
    classification: dict[str, Any] = field(default_factory=dict)
    #: An array's bearing: ``True`` if a measured calibration was applied, ``False`` if the channels were
    #: only assumed phase-aligned; ``None`` where no channel phases enter (a rotating antenna).
    calibrated: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON line: same keys as ``classify`` (``bearing_deg``, ``bearing_std_deg`` filled) and
        ``bearing_method``, ``bearing_calibrated``, ``bearing_confidence``, ``bearing_ambiguity``
        (``"mirror"`` for linear arrays, else ``null``), ``bearing_mirror_deg``, ``bearing_sources``
        (all bearings found in the band).
        """
        em = self.emitter
        record: dict[str, Any] = {
            "source": self.source,
            "label": "unknown",
            "drone": False,
            "link": "none",
            "confidence": 0.0,
            "t_start_s": round(em.t_start_s, 6),
            "t_end_s": round(em.t_end_s, 6),
            "freq_hz": round(em.freq_hz, 1),
            "bandwidth_hz": round(em.bandwidth_hz, 1),
            "snr_db": round(em.snr_db, 2),
            "bursts": len(em.spans_s),
            "models": [],
        }
        record.update(self.classification)
        record["bearing_deg"] = None if self.bearing_deg is None else round(self.bearing_deg, 3)
        record["bearing_std_deg"] = None if self.bearing_std_deg is None else round(self.bearing_std_deg, 3)
        record["bearing_method"] = self.method
        record["bearing_calibrated"] = self.calibrated
        mirror = None
        conf = None
        sources: list[float] = []
        if self.doa is not None:
            conf = round(self.doa.confidence, 4)
            sources = [round(b, 3) for b in self.doa.bearings_deg]
            if self.doa.mirror_deg:
                mirror = round(self.doa.mirror_deg[0], 3)
        elif self.fit is not None:
            conf = round(float(1.0 - 10 ** (-max(self.fit.snr_db, 0.0) / 10)), 4)
            sources = [round(self.fit.bearing_deg, 3)]
        record["bearing_confidence"] = conf
        record["bearing_ambiguity"] = "mirror" if mirror is not None else None
        record["bearing_mirror_deg"] = mirror
        record["bearing_sources"] = sources
        return record


# ---- emitter finding ---------------------------------------------------------------------------


def summed_power(samples: np.ndarray, nfft: int) -> np.ndarray:
    """Power spectrogram of ``(n,)`` or ``(n, M)`` samples summed over channels: ``(n // nfft, nfft)``, hop = nfft.

    Each channel's receiver noise is independent, so a noise cell of the sum
    follows a Gamma law with ``M`` degrees of freedom (the sum of ``M``
    exponential cells), and a signal arriving on every element adds ``M``
    times its power whatever its phases. Raises :class:`ValueError` for other shapes.
    """
    x = np.asarray(samples)
    if x.ndim == 1:
        return power_spectrogram(np.ascontiguousarray(x), nfft)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"samples must be (n,) or (n, channels), got shape {x.shape}")
    total = power_spectrogram(np.ascontiguousarray(x[:, 0]), nfft)
    for ch in range(1, x.shape[1]):
        total = total + power_spectrogram(np.ascontiguousarray(x[:, ch]), nfft)
    return total


def split_band(excess: np.ndarray, *, keep_fraction: float = 0.5, min_gap_bins: int = 3, min_bins: int = 3,
               smooth_bins: int = 3) -> list[slice]:
    """The separate emitters inside one detected box of excess power ratios (``(frames, bins)``, ``P/floor − 1``).

    Two emitters on adjacent channels transmitting at the same time can make
    one detection. Its time-averaged excess profile (smoothed over
    ``smooth_bins``) is cut where it stays under ``keep_fraction`` of its
    in-band level (the 90th percentile) for at least ``min_gap_bins`` bins;
    the pieces at least ``min_bins`` wide that reach that fraction are the
    emitters. Returns their bin slices in frequency order: one slice for a
    single emitter (its whole box), none if nothing stands out.
    """
    excess = np.asarray(excess, dtype=np.float64)
    if excess.ndim != 2:
        raise ValueError(f"excess must be (frames, bins), got shape {excess.shape}")
    if excess.size == 0:
        return []
    nb = excess.shape[1]
    profile = ndimage.uniform_filter1d(excess.mean(axis=0), min(smooth_bins, nb), mode="nearest")
    level = float(np.percentile(profile, 90))
    if level <= 0:
        return []
    low = profile < keep_fraction * level
    # cut only at runs of low bins inside the box that are at least min_gap_bins long
    edges = np.flatnonzero(np.diff(np.concatenate(([0], low.astype(np.int8), [0]))))
    cuts = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_gap_bins and a > 0 and b < nb]
    if not cuts:
        return [slice(0, nb)]
    bounds = [0] + [v for cut in cuts for v in cut] + [nb]
    pieces = [slice(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    return [p for p in pieces if p.stop - p.start >= min_bins and float(profile[p].max()) >= keep_fraction * level]


def _weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    order = np.argsort(values)
    v = np.asarray(values, dtype=np.float64)[order]
    c = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    return float(v[min(int(np.searchsorted(c, 0.5 * c[-1])), len(v) - 1)])


def group_by_frequency(bands: Sequence[EmitterBand], tolerance_hz: float = 0.0) -> list[EmitterBand]:
    """Merge detections whose frequency ranges overlap (within ``tolerance_hz``) into one emitter each.

    The emitter's band edges and SNR are medians over its detections weighted
    by time-frequency area, so small fragments at a signal's edges do not
    narrow it.
    """
    ordered = sorted(bands, key=lambda b: b.f_lo_hz)
    groups: list[list[EmitterBand]] = []
    hi = -np.inf
    for b in ordered:
        if groups and b.f_lo_hz <= hi + tolerance_hz:
            groups[-1].append(b)
            hi = max(hi, b.f_hi_hz)
        else:
            groups.append([b])
            hi = b.f_hi_hz
    out = []
    for g in groups:
        spans = tuple(sorted(s for b in g for s in b.spans_s))
        weight = [b.bandwidth_hz * sum(e - s for s, e in b.spans_s) for b in g]
        out.append(
            EmitterBand(
                spans_s=spans,
                f_lo_hz=_weighted_median([b.f_lo_hz for b in g], weight),
                f_hi_hz=_weighted_median([b.f_hi_hz for b in g], weight),
                snr_db=_weighted_median([b.snr_db for b in g], weight),
            )
        )
    return sorted(out, key=lambda b: b.t_start_s)


# ---- per-emitter bearing -------------------------------------------------------------------------


def emitter_doa(
    samples: np.ndarray,
    sample_rate_hz: float,
    center_freq_hz: float,
    emitter: EmitterBand,
    geometry: ArrayGeometry,
    method: str = "music",
    calibration: Calibration | None = None,
    *,
    margin_s: float = 0.1e-3,
    band_factor: float = 1.1,
) -> DoaResult | None:
    """DOA of one emitter from ``(n, M)`` samples: calibrate, channelize to its spans and band, estimate.

    The band is the emitter's detected band widened by ``band_factor``; spans
    lose ``margin_s`` at each end. Returns ``None`` when too few snapshots remain.
    Raises :class:`ValueError` unless ``samples`` has one column per element.
    """
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[1] != geometry.num_elements:
        raise ValueError(f"samples must be (n, {geometry.num_elements}) for this array, got shape {samples.shape}")
    x = calibration.apply(samples) if calibration is not None else samples
    offset_hz = emitter.freq_hz - center_freq_hz
    band = channelize(
        x, sample_rate_hz, offset_hz, max(emitter.bandwidth_hz, 1.0) * band_factor, emitter.spans_s,
        margin_s=margin_s,
    )
    if len(band.samples) < 4 * geometry.num_elements:
        band = channelize(x, sample_rate_hz, offset_hz, max(emitter.bandwidth_hz, 1.0) * band_factor,
                          emitter.spans_s)
    if len(band.samples) < 4 * geometry.num_elements:
        return None
    return estimate_doa(band.samples, geometry, emitter.freq_hz, method)
