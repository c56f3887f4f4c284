"""Bearings for a recording: find the emitters, channelize each, run DOA (or the pattern fit).

Two kinds of recording:

- a coherent array (``core:num_channels`` = M > 1): per emitter,
  :func:`emitter_doa` applies the calibration, keeps only that emitter's
  detection spans and band (:mod:`rfclassify.bearing.channelize`) and runs
  :func:`rfclassify.bearing.doa.estimate_doa`;
- one channel behind a rotating/switched antenna (captures carrying
  ``rfclassify:azimuth_deg`` or a ``time_s,azimuth_deg`` CSV): per emitter,
  band power per antenna azimuth is fitted to the pattern
  (:mod:`rfclassify.bearing.rotating`).

Emitters are found on the channel-summed power spectrogram by
:func:`find_emitters`: the project detector (:func:`rfclassify.detect.engine.detect`)
when it is installed, else the small energy detector :func:`energy_detections`
here (the project detector on request). Detections that overlap in frequency are one emitter (one channel of a
hopping link is one emitter here; the classify pipeline's tracker groups
hops). Labels are ``unknown`` until the classifier is wired in: the
``label_fn`` hook takes ``(samples, sample_rate_hz, center_freq_hz,
emitter)`` and returns the classify fields it knows.

Non-fatal problems (element spacing above λ/2, a calibration made at
another frequency) are issued as :class:`BearingWarning` through Python's
``warnings``; the CLI prints each as one line on stderr.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from rfclassify.bearing.calibration import Calibration
from rfclassify.bearing.channelize import channelize
from rfclassify.bearing.doa import METHODS, DoaResult, estimate_doa
from rfclassify.bearing.geometry import METADATA_KEY, ArrayGeometry
from rfclassify.bearing.rotating import (
    AZIMUTH_KEY,
    AzimuthSegment,
    PatternFit,
    band_power_per_segment,
    fit_pattern,
    read_azimuth_csv,
    segments_from_captures,
)
from rfclassify.dsp.spectrogram import frequency_axis_hz, power_spectrogram
from rfclassify.errors import InputError

DEFAULT_MAX_DURATION_S = 4.0
NFFT = 1024


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON line: same keys as ``classify`` (``bearing_deg``, ``bearing_std_deg`` filled) and
        ``bearing_method``, ``bearing_confidence``, ``bearing_ambiguity`` (``"mirror"`` for linear
        arrays, else ``null``), ``bearing_mirror_deg``, ``bearing_sources`` (all bearings found in the band).
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


def summed_power(samples: np.ndarray, nfft: int = NFFT) -> np.ndarray:
    """Power spectrogram summed over channels (``(frames, nfft)``), hop = nfft."""
    x = np.asarray(samples)
    if x.ndim == 1:
        return power_spectrogram(x, nfft)
    return np.sum([power_spectrogram(np.ascontiguousarray(x[:, ch]), nfft) for ch in range(x.shape[1])], axis=0)


def energy_detections(
    power: np.ndarray,
    sample_rate_hz: float,
    center_freq_hz: float,
    *,
    threshold_db: float = 6.0,
    wide_threshold_db: float = 1.5,
    wide_box_hz: float = 150e3,
    wide_box_frames: int = 9,
    min_cells: int = 6,
    floor_quantile: float = 0.25,
) -> list[EmitterBand]:
    """A small energy detector: connected regions where smoothed power exceeds the per-bin floor.

    The floor of a bin is its median over frames divided by ln 2 (the median
    of an exponential law is ln 2 times its mean), which holds while an
    emitter occupies the bin less than half the time; an emitter that stays
    on one channel most of the time (an ELRS link between hops, a fixed
    LoRa link) would become its own floor, so each bin's floor is capped at
    the ``floor_quantile`` of all bins' floors (receiver noise is flat across
    the window, and at least that share of the window is taken to be free).
    Bins rolled off by the anti-alias filter keep their lower floor.

    Two box sizes find signals: 3 frames × 5 bins above ``threshold_db``
    (strong, short or narrow), and ``wide_box_frames`` × ``wide_box_hz``
    above ``wide_threshold_db`` (weak wideband signals such as LoRa at 0 dB
    in-band SNR: the mean of ~600 exponential cells has a relative spread of
    4 %, so 1.5 dB is ten of them). A region's band is then refined to where
    its time-averaged excess power stays above half its peak, so the wide
    box does not widen it; separate runs above half the peak (two emitters
    joined by the wide box) become separate bands.
    """
    nfft = power.shape[1]
    per_bin = np.median(power, axis=0) / np.log(2.0)
    floor = np.maximum(np.minimum(per_bin, np.quantile(per_bin, floor_quantile)), 1e-30)
    ratio = power / floor[None, :]
    bin_hz = sample_rate_hz / nfft
    wide_bins = max(5, round(wide_box_hz / bin_hz) | 1)
    # beyond the spectrogram's edges the boxes see the noise mean (1), not repeated edge cells
    mask = ndimage.uniform_filter(ratio, size=(3, 5), mode="constant", cval=1.0) > 10 ** (threshold_db / 10)
    wide = ndimage.uniform_filter(ratio, size=(wide_box_frames, wide_bins), mode="constant", cval=1.0)
    mask |= wide > 10 ** (wide_threshold_db / 10)
    labels, _count = ndimage.label(mask, structure=np.ones((3, 3)))
    freqs = frequency_axis_hz(nfft, sample_rate_hz, center_freq_hz)
    frame_s = nfft / sample_rate_hz
    out = []
    for region in ndimage.find_objects(labels):
        if region is None:
            continue
        rows, cols = region
        cells = labels[region] > 0
        if int(cells.sum()) < min_cells:
            continue
        profile = ndimage.uniform_filter1d(np.mean(ratio[rows, cols], axis=0) - 1.0, 9, mode="nearest")
        keep = profile >= 0.5 * float(np.max(profile))
        edges = np.flatnonzero(np.diff(np.concatenate(([0], keep.astype(np.int8), [0]))))
        for lo, hi in zip(edges[::2], edges[1::2]):
            if hi - lo < 3:
                continue
            band = slice(cols.start + int(lo), cols.start + int(hi))
            excess = float(np.mean(np.sum(power[rows, band] - floor[None, band], axis=1)))
            noise = float(np.sum(floor[band]))
            if excess <= 0:
                continue
            out.append(
                EmitterBand(
                    spans_s=((rows.start * frame_s, rows.stop * frame_s),),
                    f_lo_hz=float(freqs[band.start] - bin_hz / 2),
                    f_hi_hz=float(freqs[band.stop - 1] + bin_hz / 2),
                    snr_db=float(10 * np.log10(max(excess, 1e-30) / noise)),
                )
            )
    return out


def _project_detections(power: np.ndarray, sample_rate_hz: float, center_freq_hz: float) -> list[EmitterBand] | None:
    try:
        from rfclassify.detect.engine import detect
        from rfclassify.dsp.noise import estimate_floor
    except ImportError:
        return None
    floor = estimate_floor(power)
    dets = detect(power, floor, nfft=power.shape[1], hop=power.shape[1], sample_rate_hz=sample_rate_hz,
                  center_freq_hz=center_freq_hz)
    return [EmitterBand(((d.t_start_s, d.t_end_s),), d.f_lo_hz, d.f_hi_hz, d.snr_db) for d in dets]


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


def find_emitters(
    samples: np.ndarray, sample_rate_hz: float, center_freq_hz: float, *, use_project_detector: bool = False
) -> list[EmitterBand]:
    """Emitters in ``(n,)`` or ``(n, M)`` samples: detections on the channel-summed spectrogram, grouped.

    ``use_project_detector`` switches from :func:`energy_detections` to
    :func:`rfclassify.detect.engine.detect` (when installed).
    """
    power = summed_power(samples)
    if len(power) == 0:
        return []
    bands = _project_detections(power, sample_rate_hz, center_freq_hz) if use_project_detector else None
    if bands is None:
        bands = energy_detections(power, sample_rate_hz, center_freq_hz)
    return group_by_frequency(bands, tolerance_hz=sample_rate_hz / power.shape[1])


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
    """
    x = calibration.apply(samples) if calibration is not None else np.asarray(samples)
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


def geometry_for_source(source: Any, geometry: ArrayGeometry | None) -> ArrayGeometry:
    """The geometry to use: the one given, else the recording's ``rfclassify:array``; :class:`InputError` if none.

    Also checks the channel count against the geometry.
    """
    where = getattr(source, "path", "") or ""
    channels = int(source.info.num_channels)
    if geometry is None:
        meta = source.metadata or {}
        if METADATA_KEY not in meta:
            raise InputError(
                where,
                f"{channels}-channel recording without array geometry: give --array uca|ula (with "
                f"--elements and --radius/--spacing) or --positions, or store {METADATA_KEY} in the metadata",
            )
        geometry = ArrayGeometry.from_metadata(meta[METADATA_KEY], where)
    if geometry.num_elements != channels:
        raise InputError(
            where, f"recording has {channels} channel(s) but the array geometry has {geometry.num_elements} elements"
        )
    return geometry


def check_array_source(
    source: Any, geometry: ArrayGeometry | None = None, calibration: Calibration | None = None
) -> ArrayGeometry:
    """Everything to check before direction finding on a multi-channel ``source``; returns its geometry.

    The geometry is :func:`geometry_for_source`'s; a calibration for another
    channel count raises :class:`InputError`. A calibration made at another
    frequency and element spacing above λ/2 are issued as :class:`BearingWarning`.
    """
    where = getattr(source, "path", "") or ""
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    channels = int(source.info.num_channels)
    geometry = geometry_for_source(source, geometry)
    if calibration is not None:
        if calibration.num_channels != channels:
            raise InputError(where, f"calibration is for {calibration.num_channels} channels, recording has {channels}")
        if calibration.center_freq_hz and abs(calibration.center_freq_hz - centre) > rate / 2:
            warnings.warn(
                f"calibration was made at {calibration.center_freq_hz / 1e6:.6g} MHz, recording is at "
                f"{centre / 1e6:.6g} MHz: tuner phases may differ", BearingWarning, stacklevel=3,
            )
    note = geometry.spacing_warning(centre + rate / 2)
    if note:
        warnings.warn(note, BearingWarning, stacklevel=3)
    return geometry


def _read(source: Any, max_duration_s: float) -> np.ndarray:
    where = getattr(source, "path", "") or ""
    if not hasattr(source, "read"):
        raise InputError(where, "bearing needs a recording (a file), not a live receiver")
    rate = float(source.info.sample_rate_hz)
    count = min(int(source.num_samples), round(max_duration_s * rate))
    if int(source.num_samples) > count:
        warnings.warn(
            f"{where}: using the first {max_duration_s:g} s of {source.num_samples / rate:.3g} s",
            BearingWarning, stacklevel=3,
        )
    return np.asarray(source.read(0, count))


def bearings_for_source(
    source: Any,
    geometry: ArrayGeometry | None = None,
    method: str = "music",
    calibration: Calibration | None = None,
    *,
    beamwidth_deg: float | None = None,
    azimuth_csv: str | Path | None = None,
    pattern: str = "gaussian",
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    label_fn: Callable[[np.ndarray, float, float, EmitterBand], dict[str, Any]] | None = None,
) -> list[EmitterBearing]:
    """Every emitter of a recording with its bearing (see module docstring).

    ``source`` is an open :class:`rfclassify.sources.FileSource`. A
    one-channel recording is treated as a rotating antenna (needs
    ``beamwidth_deg`` and azimuths from captures or ``azimuth_csv``); more
    channels as a coherent array (``geometry`` or the recording's
    ``rfclassify:array``). Raises :class:`InputError` for unusable input.
    """
    if method not in METHODS:
        raise InputError("--method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    where = getattr(source, "path", "") or ""
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    channels = int(source.info.num_channels)
    name = Path(where).name if where else ""
    if channels == 1:
        return _rotating(source, name, beamwidth_deg, azimuth_csv, pattern, max_duration_s, label_fn)
    geometry = check_array_source(source, geometry, calibration)
    x = _read(source, max_duration_s)
    out = []
    for em in find_emitters(x, rate, centre):
        doa = emitter_doa(x, rate, centre, em, geometry, method, calibration)
        extra = label_fn(x, rate, centre, em) if label_fn is not None else {}
        out.append(
            EmitterBearing(
                source=name, emitter=em, method=method, doa=doa, classification=extra,
                bearing_deg=None if doa is None else doa.bearing_deg,
                bearing_std_deg=None if doa is None else doa.bearing_std_deg[0],
            )
        )
    return out


def _rotating(
    source: Any,
    name: str,
    beamwidth_deg: float | None,
    azimuth_csv: str | Path | None,
    pattern: str,
    max_duration_s: float,
    label_fn: Callable[..., dict[str, Any]] | None,
) -> list[EmitterBearing]:
    where = getattr(source, "path", "") or ""
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    x = _read(source, max_duration_s)
    segments: list[AzimuthSegment]
    if azimuth_csv is not None:
        segments = read_azimuth_csv(azimuth_csv, rate, len(x))
    else:
        captures = getattr(source, "captures", [])
        if not any(AZIMUTH_KEY in (c.extra or {}) for c in captures):
            raise InputError(
                where,
                f"one-channel recording: for a rotating antenna its captures need {AZIMUTH_KEY} "
                "(or give --azimuths FILE.csv); for an array give a multi-channel recording",
            )
        segments = segments_from_captures(captures, len(x), where)
    if beamwidth_deg is None:
        raise InputError("--beamwidth", "a rotating-antenna recording needs the antenna's beamwidth in degrees")
    out = []
    for em in find_emitters(x, rate, centre):
        az, pw = band_power_per_segment(x, rate, segments, em.freq_hz - centre, max(em.bandwidth_hz, 1.0) * 1.1)
        fit = None
        if len(np.unique(np.round(az, 6))) >= 4:
            fit = fit_pattern(az, pw, beamwidth_deg, pattern)
        extra = label_fn(x, rate, centre, em) if label_fn is not None else {}
        out.append(
            EmitterBearing(
                source=name, emitter=em, method=f"rotating-{pattern}", fit=fit, classification=extra,
                bearing_deg=None if fit is None else fit.bearing_deg,
                bearing_std_deg=None if fit is None else fit.bearing_std_deg,
            )
        )
    return out


def calibrate_source(
    source: Any,
    geometry: ArrayGeometry | None = None,
    known_azimuth_deg: float | None = None,
    *,
    max_lag: int = 256,
    max_duration_s: float = 2.0,
) -> Calibration:
    """Calibration from a recording (see :mod:`rfclassify.bearing.calibration`).

    Without ``known_azimuth_deg`` the whole window is taken as one common
    (splitter-fed) source. With it, delays come from the whole window and
    gains from the band of the strongest emitter found, steered to that
    azimuth with ``geometry`` (given, or the recording's ``rfclassify:array``).
    """
    from rfclassify.bearing.calibration import align, estimate_calibration, estimate_delays

    where = getattr(source, "path", "") or ""
    channels = int(source.info.num_channels)
    if channels < 2:
        raise InputError(where, "calibration needs a multi-channel (array) recording")
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    x = _read(source, max_duration_s)
    if known_azimuth_deg is None:
        if geometry is not None and geometry.num_elements != channels:
            raise InputError(where, f"recording has {channels} channels but the array has {geometry.num_elements}")
        cal = estimate_calibration(x, geometry=geometry, max_lag=max_lag, sample_rate_hz=rate, center_freq_hz=centre)
    else:
        geometry = geometry_for_source(source, geometry)
        delays = estimate_delays(x, max_lag=max_lag)
        aligned = align(x, delays)
        emitters = find_emitters(aligned, rate, centre)
        if not emitters:
            raise InputError(where, "no emitter found to calibrate on with --known-azimuth")
        em = max(emitters, key=lambda e: e.snr_db + 10 * np.log10(max(e.t_end_s - e.t_start_s, 1e-9)))
        band = channelize(aligned, rate, em.freq_hz - centre, em.bandwidth_hz * 1.1, em.spans_s)
        cal = estimate_calibration(
            band.samples, geometry=geometry, known_azimuth_deg=known_azimuth_deg, rf_hz=em.freq_hz,
            delay_samples=delays, sample_rate_hz=rate, center_freq_hz=centre,
        )
    return dataclasses.replace(cal, recording=Path(where).name if where else None)
