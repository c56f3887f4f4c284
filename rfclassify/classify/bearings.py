"""Where recordings, detection and classification meet direction finding: every join with :mod:`rfclassify.bearing`.

:mod:`rfclassify.bearing` is array maths; this module feeds it:

- **emitters** (:func:`find_emitters`): the project detector
  (:func:`rfclassify.detect.engine.detect`, its masks, CFAR thresholds and
  refinement, at the resolution :class:`~rfclassify.detect.burst_detector.BurstDetector`
  uses for the rate) runs on the *channel-summed* power spectrogram
  (:func:`~rfclassify.bearing.emitters.summed_power`), so an emitter heard
  on every element is found with all of their power, not channel 0's alone.
  Its floor is :func:`window_floor` (the detector's per-bin median and cap,
  read on the whole window, referenced to the quietest quarter of the band);
  a detection holding two emitters on adjacent channels at once is split
  (:func:`~rfclassify.bearing.emitters.split_band`); detections overlapping
  in frequency are one emitter
  (:func:`~rfclassify.bearing.emitters.group_by_frequency`);
- **recordings** (:func:`bearings_for_source`, :func:`calibrate_source`):
  the first ``max_duration_s`` of a file; a coherent array
  (``core:num_channels`` > 1) gets each emitter's DOA
  (:func:`~rfclassify.bearing.emitters.emitter_doa`), a one-channel
  recording behind a rotating antenna a pattern fit per emitter
  (:mod:`rfclassify.bearing.rotating`). :func:`check_array_source` checks
  geometry and calibration once for ``bearing``, ``classify`` and ``watch``;
- ``classify`` on a coherent-array recording (:func:`attach_bearings`): channel
  0 is classified as usual, and an emitter record takes the bearing of the
  DF emitter whose band holds the record's centre frequency and whose spans
  overlap the record's time span most (the control uplink's bearing is the
  operator's);
- ``bearing`` naming what it found (:func:`make_label_fn`): channel 0 is
  classified once with the stream engine; each emitter band takes the bursts
  whose centre falls inside its band and whose time falls inside its spans,
  and their decisions are aggregated as the tracker does (so the control
  uplink's bearing is reported with ``label`` ``elrs-900``, ``link``
  ``control``: the operator);
- the sensor node (:class:`NodeBearings`): for a multi-channel source it keeps
  the last ``window_s`` of every channel in an
  :class:`~rfclassify.sources.iq_ring.IQRing` (bounded: ``window_s`` × rate ×
  channels samples, stored in the source's own integer format where it has
  one), and when an emitter's ``start`` or ``update`` event is produced it
  estimates that emitter's bearing from its own detections still in the
  ring: its bursts of the last ``span_s`` seconds (at the tuning of its
  latest burst) are grouped by band (one group per channel of a hopping
  link); the group heard longest is calibrated, channelized to its spans and
  band and run through the DOA estimator by
  :func:`~rfclassify.bearing.emitters.emitter_doa`, the function ``classify``
  and ``bearing`` use. An ``end`` event repeats the emitter's last estimate.
  A one-channel source gets no bearing (``bearing_deg`` stays ``null``).

**Calibration is not optional.** Every receiver of a coherent array adds
its own unknown phase (a KrakenSDR's tuners start with random phases), and
uncorrected phases move a bearing anywhere while its Cramér–Rao
``bearing_std_deg`` stays tiny: on the 5-element UCA recording of ``rfclassify
synth --bearing-examples`` (random channel phases), emitters at 250° and 40°
come out at 104° and 242° with ``bearing_std_deg`` 0.03. No spread computed
from the recording can show that error, so a multi-channel source without a
calibration is refused
(:class:`~rfclassify.errors.InputError`, one line naming ``rfclassify
calibrate`` and ``--assume-calibrated``) unless the user states that its
channels are phase-aligned already (``assume_calibrated``). Every record
and event of an array says which it was: ``bearing_calibrated`` ``true``
(a measured calibration was applied) or ``false`` (assumed).

Records and events carry :data:`BEARING_KEYS` (:func:`bearing_fields`):
``bearing_deg``, ``bearing_std_deg`` (Cramér–Rao, degrees),
``bearing_method``, ``bearing_calibrated``, and
``bearing_ambiguity``/``bearing_mirror_deg`` (``"mirror"`` and the mirror
image for a linear array, whose bearings are 0–180°). Bearings are in the
array's frame (degrees counter-clockwise from its x-axis), as everywhere in
:mod:`rfclassify.bearing`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import gamma

from rfclassify.bearing.calibration import Calibration, align, estimate_calibration, estimate_delays
from rfclassify.bearing.channelize import channelize
from rfclassify.bearing.doa import METHODS
from rfclassify.bearing.emitters import (
    BearingWarning,
    EmitterBand,
    EmitterBearing,
    emitter_doa,
    group_by_frequency,
    split_band,
    summed_power,
)
from rfclassify.bearing.geometry import METADATA_KEY, ArrayGeometry
from rfclassify.bearing.rotating import (
    AZIMUTH_KEY,
    AzimuthSegment,
    band_power_per_segment,
    fit_pattern,
    read_azimuth_csv,
    segments_from_captures,
)
from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.stream import classified_bursts
from rfclassify.classify.tracking import BurstDecision, Emitter, EmitterTracker, emitter_summary
from rfclassify.detect.burst_detector import BurstDetector
from rfclassify.detect.engine import detect
from rfclassify.detect.types import DetectParams
from rfclassify.dsp.noise import bin_medians, cap_floor, dc_bins
from rfclassify.errors import InputError
from rfclassify.sources.base import Block
from rfclassify.sources.iq_ring import IQRing

log = logging.getLogger("rfclassify.node")

#: Most of a recording ``bearing`` and ``classify`` read for bearings (s).
DEFAULT_MAX_DURATION_S = 4.0

#: Keys a record of an array source gets: ``bearing_ambiguity`` is ``"mirror"`` for a linear
#: array (whose bearing, 0–180°, cannot be told from ``bearing_mirror_deg``), else ``null``.
BEARING_KEYS = (
    "bearing_deg", "bearing_std_deg", "bearing_method", "bearing_calibrated", "bearing_ambiguity", "bearing_mirror_deg",
)


def bearing_fields(result: Any) -> dict[str, Any]:
    """The :data:`BEARING_KEYS` of an :class:`~rfclassify.bearing.emitters.EmitterBearing` (as ``bearing`` prints them)."""
    record = result.to_dict()
    return {key: record[key] for key in BEARING_KEYS}


# ---- emitters: the project detector on the channel-summed spectrogram -------------------------------------


def window_floor(power: np.ndarray, sample_rate_hz: float, channels: int = 1,
                 params: DetectParams | None = None, quiet_quantile: float = 0.25) -> np.ndarray:
    """Noise floor per bin (``(bins,)``) of a whole window of (channel-summed) power, for :func:`find_emitters`.

    The detector's floor (:func:`rfclassify.dsp.noise.bin_medians` capped by
    :func:`~rfclassify.dsp.noise.cap_floor`, DC bins uncapped), with two
    differences that a short array recording needs. The reference the floor
    is capped at is the ``quiet_quantile`` of the bins' medians: the streaming
    detector takes the median of the central bins, which is signal once
    emitters fill half of them (two 500 kHz links transmitting 90 % of the
    time in a 2.4 MHz window do), so only a quarter of the window must be
    free here. And the medians are those of a Gamma law with ``channels``
    degrees of freedom (:func:`~rfclassify.bearing.emitters.summed_power`),
    not of an exponential one: ``bin_medians`` divides by ln 2, 1.3 dB too
    much for five channels.
    """
    params = params or DetectParams()
    nfft = power.shape[1]
    per_bin = bin_medians(power) * np.float32(np.log(2.0) / gamma.median(channels, scale=1.0 / channels))
    quiet = np.array([np.quantile(per_bin, quiet_quantile)])
    return cap_floor(per_bin, dc_bins(nfft, sample_rate_hz, params.dc_halfwidth_hz), params.floor_cap_db,
                     quiet_history=quiet)


def find_emitters(samples: np.ndarray, sample_rate_hz: float, center_freq_hz: float,
                  params: DetectParams | None = None, max_passes: int = 3) -> list[EmitterBand]:
    """Emitters in ``(n,)`` or ``(n, M)`` samples (see the module docstring): detect, split, group.

    The spectrogram has the resolution the project detector uses at this rate
    (:meth:`~rfclassify.detect.burst_detector.BurstDetector.nfft_for`). The
    detector reports one band per burst of a connected region, so of two
    links on adjacent channels whose packets overlap in time it reports the
    stronger in each packet; the cells of every detection (widened by the
    detector's ``gap_hz`` and a frame) are then set to the floor and the
    detector runs again, up to ``max_passes`` times, until it finds nothing new.
    """
    x = np.asarray(samples)
    channels = 1 if x.ndim == 1 else int(x.shape[1])
    params = params or DetectParams()
    nfft = BurstDetector(params).nfft_for(sample_rate_hz)
    power = summed_power(x, nfft)
    if len(power) == 0:
        return []
    floor = window_floor(power, sample_rate_hz, channels, params)
    bin_hz = sample_rate_hz / nfft
    pad_bins = max(1, round(params.gap_hz / bin_hz))
    split_gap_bins = max(1, round(params.gap_hz / bin_hz))

    def cells(det: Any) -> tuple[slice, int, int]:
        r0 = det.sample_start // nfft
        rows = slice(r0, r0 + max(1, round((det.sample_count - nfft) / nfft) + 1))
        b0 = round((det.f_lo_hz - center_freq_hz) / bin_hz + nfft / 2 + 0.5)
        b1 = round((det.f_hi_hz - center_freq_hz) / bin_hz + nfft / 2 + 0.5)
        return rows, b0, b1

    bands = []
    work = power
    for _ in range(max_passes):
        dets = detect(work, floor, nfft=nfft, sample_rate_hz=sample_rate_hz, center_freq_hz=center_freq_hz,
                      params=params)
        if not dets:
            break
        work = work.copy() if work is power else work
        for det in dets:
            rows, b0, b1 = cells(det)
            parts = split_band(power[rows, b0:b1] / floor[None, b0:b1] - 1.0, min_gap_bins=split_gap_bins)
            if len(parts) <= 1:
                bands.append(EmitterBand(((det.t_start_s, det.t_end_s),), det.f_lo_hz, det.f_hi_hz, det.snr_db))
            for part in parts if len(parts) > 1 else ():
                cols = slice(b0 + part.start, b0 + part.stop)
                excess = float(np.sum(power[rows, cols] - floor[None, cols], dtype=np.float64))
                noise = float(np.sum(floor[cols], dtype=np.float64)) * (rows.stop - rows.start)
                if excess > 0:
                    bands.append(EmitterBand(
                        ((det.t_start_s, det.t_end_s),), det.f_lo_hz + part.start * bin_hz,
                        det.f_lo_hz + part.stop * bin_hz, float(10 * np.log10(excess / noise)),
                    ))
            lo, hi = max(0, b0 - pad_bins), min(nfft, b1 + pad_bins)
            work[max(0, rows.start - 1) : rows.stop + 1, lo:hi] = floor[lo:hi]
    return group_by_frequency(bands, tolerance_hz=bin_hz)


# ---- recordings ----------------------------------------------------------------------------------------


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
    source: Any, geometry: ArrayGeometry | None = None, calibration: Calibration | None = None,
    *, assume_calibrated: bool = False,
) -> ArrayGeometry:
    """Everything to check before direction finding on a multi-channel ``source``; returns its geometry.

    The geometry is :func:`geometry_for_source`'s. Without ``calibration`` the
    source is refused unless ``assume_calibrated`` (see the module
    docstring); a calibration for another channel count raises
    :class:`InputError`. A calibration made at another frequency and element
    spacing above λ/2 are issued as :class:`BearingWarning`.
    """
    where = getattr(source, "path", "") or ""
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    channels = int(source.info.num_channels)
    geometry = geometry_for_source(source, geometry)
    if calibration is None and not assume_calibrated:
        raise InputError(
            where,
            f"{channels}-channel array without --calibration: each receiver's unknown phase would put every "
            "bearing anywhere while it looks precise; measure them with 'rfclassify calibrate NOISE -o cal.json' "
            "and give --calibration cal.json, or --assume-calibrated if the channels are phase-aligned already",
        )
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


def read_window(source: Any, max_duration_s: float) -> np.ndarray:
    """The first ``max_duration_s`` of a recording (``(n,)`` or ``(n, M)``); a :class:`BearingWarning` if cut."""
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


#: ``label_fn(samples, sample_rate_hz, center_freq_hz, emitter_band)``: the classify fields of an emitter.
LabelFn = Callable[[np.ndarray, float, float, EmitterBand], dict[str, Any]]


def bearings_for_source(
    source: Any,
    geometry: ArrayGeometry | None = None,
    method: str = "music",
    calibration: Calibration | None = None,
    *,
    assume_calibrated: bool = False,
    beamwidth_deg: float | None = None,
    azimuth_csv: str | Path | None = None,
    pattern: str = "gaussian",
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    label_fn: LabelFn | None = None,
) -> list[EmitterBearing]:
    """Every emitter of a recording with its bearing (see the module docstring).

    ``source`` is an open :class:`rfclassify.sources.FileSource`. A
    one-channel recording is treated as a rotating antenna (needs
    ``beamwidth_deg`` and azimuths from captures or ``azimuth_csv``); more
    channels as a coherent array (``geometry`` or the recording's
    ``rfclassify:array``; ``calibration``, or ``assume_calibrated``).
    ``label_fn`` names each emitter (:func:`make_label_fn`; ``None``: ``unknown``).
    Raises :class:`InputError` for unusable input.
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
    geometry = check_array_source(source, geometry, calibration, assume_calibrated=assume_calibrated)
    x = read_window(source, max_duration_s)
    out = []
    for em in find_emitters(x, rate, centre):
        doa = emitter_doa(x, rate, centre, em, geometry, method, calibration)
        extra = label_fn(x, rate, centre, em) if label_fn is not None else {}
        out.append(
            EmitterBearing(
                source=name, emitter=em, method=method, doa=doa, classification=extra,
                bearing_deg=None if doa is None else doa.bearing_deg,
                bearing_std_deg=None if doa is None else doa.bearing_std_deg[0],
                calibrated=calibration is not None,
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
    label_fn: LabelFn | None,
) -> list[EmitterBearing]:
    where = getattr(source, "path", "") or ""
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    x = read_window(source, max_duration_s)
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
    where = getattr(source, "path", "") or ""
    channels = int(source.info.num_channels)
    if channels < 2:
        raise InputError(where, "calibration needs a multi-channel (array) recording")
    rate = float(source.info.sample_rate_hz)
    centre = float(source.info.center_freq_hz)
    x = read_window(source, max_duration_s)
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


# ---- classify x bearing --------------------------------------------------------------------------------


def attach_bearings(records: list[dict[str, Any]], source: Any, geometry: Any = None, method: str = "music",
                    calibration: Any = None, *, assume_calibrated: bool = False) -> list[dict[str, Any]]:
    """Fill the bearing keys of ``records`` in place from an array ``source``; returns ``records``.

    Every record gets ``bearing_calibrated``, with a bearing or without.
    """
    found = bearings_for_source(source, geometry, method, calibration, assume_calibrated=assume_calibrated)
    for rec in records:
        rec["bearing_calibrated"] = calibration is not None
        best, best_overlap = None, 0.0
        for res in found:
            em = res.emitter
            if not (em.f_lo_hz <= rec["freq_hz"] <= em.f_hi_hz):
                continue
            overlap = sum(max(0.0, min(e, rec["t_end_s"]) - max(s, rec["t_start_s"])) for s, e in em.spans_s)
            if overlap > best_overlap or best is None:
                best, best_overlap = res, overlap
        if best is not None and best.bearing_deg is not None:
            rec.update(bearing_fields(best))
    return records


_FIELDS = ("label", "drone", "link", "confidence", "models")


def classify_channel(x: np.ndarray, rate_hz: float, center_hz: float, classifier: Classifier) -> list[BurstDecision]:
    """Burst decisions of one channel of samples (``(n,)``), noise detections left out."""
    step = 1 << 18
    blocks = (Block(x[i : i + step], rate_hz, center_hz, i) for i in range(0, len(x), step))
    return [d for _, d in classified_bursts(blocks, classifier) if d.label != NOISE_LABEL]


def make_label_fn(classifier: Classifier) -> LabelFn:
    """A ``label_fn(samples, rate_hz, center_hz, emitter_band)`` for :func:`bearings_for_source`."""
    cache: dict[tuple[int, int, float, float], list[BurstDecision]] = {}

    def label_fn(samples: np.ndarray, rate_hz: float, center_hz: float, band: Any) -> dict[str, Any]:
        channel0 = samples if samples.ndim == 1 else samples[:, 0]
        key = (id(samples), len(samples), rate_hz, center_hz)
        if key not in cache:
            cache.clear()
            cache[key] = classify_channel(np.ascontiguousarray(channel0), rate_hz, center_hz, classifier)
        decisions = [
            d for d in cache[key]
            if band.f_lo_hz <= d.freq_hz <= band.f_hi_hz
            and any(s - 1e-3 <= d.t_start_s <= e + 1e-3 for s, e in band.spans_s)
        ]
        if not decisions:
            return {}
        tracker = EmitterTracker(classifier.classes, gap_s=float("inf"))
        counts: dict[str, int] = {}
        for d in decisions:
            counts[d.label] = counts.get(d.label, 0) + 1
        majority = max(counts, key=lambda k: counts[k])
        for d in decisions:
            if d.label == majority:
                tracker.add(d)
        emitters = tracker.close_all()
        summary = emitter_summary(tracker, emitters[0], "")
        return {k: summary[k] for k in _FIELDS}

    return label_fn


#: Integer formats stored as they are (lossless); anything else is kept as cf32.
_EXACT = ("cu8", "ci8", "ci16_le")


def ring_datatype(source_datatype: str | None) -> str:
    """The ring's storage format for a source delivering ``source_datatype`` (lossless either way)."""
    from rfclassify.sources.datatypes import datatype

    try:
        name = datatype(source_datatype or "").name
    except KeyError:
        return "cf32_le"
    return name if name in _EXACT else "cf32_le"


def load_calibration(calibration: Any) -> Any:
    """A :class:`~rfclassify.bearing.calibration.Calibration` from a path (or one given), or ``None``."""
    if calibration is None or isinstance(calibration, Calibration):
        return calibration
    if isinstance(calibration, (str, os.PathLike)):
        return Calibration.load(calibration)
    raise TypeError(f"calibration must be a path or a Calibration, not {type(calibration).__name__}")


class NodeBearings:
    """Per-emitter bearings for the events of one multi-channel source (see the module docstring)."""

    def __init__(
        self,
        geometry: Any,
        *,
        method: str = "music",
        calibration: Any = None,
        sample_rate_hz: float,
        datatype: str = "cf32_le",
        window_s: float = 0.5,
        span_s: float = 0.1,
        pad_s: float = 1e-3,
    ) -> None:
        if window_s <= 0 or span_s <= 0:
            raise ValueError("the bearing window and span must be positive")
        self.geometry = geometry
        self.method = method
        self.calibration = calibration
        self.sample_rate_hz = float(sample_rate_hz)
        self.span_s = float(span_s)
        self.pad_s = float(pad_s)
        self.ring = IQRing(max(1, round(window_s * sample_rate_hz)), datatype, channels=geometry.num_elements)
        self._last: dict[int, dict[str, Any]] = {}
        self.max_remembered = 4096

    @classmethod
    def for_source(
        cls,
        source: Any,
        geometry: Any = None,
        method: str = "music",
        calibration: Any = None,
        *,
        assume_calibrated: bool = False,
        **kwargs: Any,
    ) -> NodeBearings | None:
        """Bearings for ``source`` if it has several channels (else ``None``).

        ``calibration`` is a path or a loaded calibration. Raises
        :class:`~rfclassify.errors.InputError` for a missing or inconsistent
        geometry, a bad method or calibration, and for no calibration unless
        ``assume_calibrated`` (as ``classify`` would); a
        :class:`~rfclassify.bearing.emitters.BearingWarning` becomes a logged warning.
        """
        info = source.info
        if int(info.num_channels) <= 1:
            return None
        if method not in METHODS:
            raise InputError("--method", f"must be one of {', '.join(METHODS)}, got {method!r}")
        cal = load_calibration(calibration)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BearingWarning)
            geo = check_array_source(source, geometry, cal, assume_calibrated=assume_calibrated)
        for w in caught:
            if issubclass(w.category, BearingWarning):
                log.warning("warning: %s", w.message)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return cls(geo, method=method, calibration=cal, sample_rate_hz=float(info.sample_rate_hz),
                   datatype=ring_datatype(getattr(info, "datatype", None)), **kwargs)

    def push(self, block: Block) -> None:
        """Keep ``block`` (all channels) in the ring."""
        self.sample_rate_hz = float(block.sample_rate_hz)
        self.ring.append(block)

    def estimate(self, emitter: Emitter) -> dict[str, Any] | None:
        """The bearing keys for ``emitter`` from its bursts still in the ring, or ``None`` if it cannot be had."""
        start, end = self.ring.start, self.ring.end
        if start is None or end is None or not emitter.bursts:
            return None
        rate = self.sample_rate_hz
        t_lo, t_hi = start / rate, end / rate
        held = [b for b in emitter.bursts if b.t_end_s > t_lo and b.t_start_s < t_hi]
        if not held:
            return None
        fc = held[-1].center_freq_hz
        t_last = max(b.t_end_s for b in held if b.center_freq_hz == fc)
        recent = [b for b in held if b.center_freq_hz == fc and b.t_end_s > t_last - self.span_s]
        a = math.floor(min(b.t_start_s for b in recent) * rate) - round(self.pad_s * rate)
        z = math.ceil(t_last * rate) + round(self.pad_s * rate)
        candidates = []
        for first, _utc, x in self.ring.segments(a, z, fc):
            t0, dur = first / rate, len(x) / rate
            bands = [
                EmitterBand(((max(b.t_start_s - t0, 0.0), min(b.t_end_s - t0, dur)),), b.f_lo_hz, b.f_hi_hz, b.snr_db)
                for b in recent
                if b.t_end_s > t0 and b.t_start_s < t0 + dur
            ]
            for band in group_by_frequency(bands, tolerance_hz=rate / BurstDetector().nfft_for(rate)):
                heard = sum(e - s for s, e in band.spans_s)
                candidates.append((heard, band, x))
        for _heard, band, x in sorted(candidates, key=lambda c: -c[0]):
            doa = emitter_doa(x, rate, fc, band, self.geometry, self.method, self.calibration)
            if doa is not None:
                result = EmitterBearing(source="", emitter=band, bearing_deg=doa.bearing_deg,
                                        bearing_std_deg=doa.bearing_std_deg[0], method=self.method, doa=doa,
                                        calibrated=self.calibration is not None)
                return bearing_fields(result)
        return None

    def annotate(self, event: dict[str, Any], emitter: Emitter | None) -> dict[str, Any]:
        """Fill the bearing keys of ``event`` in place (``start``/``update``: a fresh estimate; ``end``: the last).

        Every event gets ``bearing_calibrated``, with a bearing or without.
        """
        event["bearing_calibrated"] = self.calibration is not None
        kind = event.get("event")
        emitter_id = int(event.get("emitter_id", -1))
        fields = None
        if kind in ("start", "update") and emitter is not None:
            fields = self.estimate(emitter)
            if fields is not None:
                self._last.pop(emitter_id, None)
                self._last[emitter_id] = fields
                while len(self._last) > self.max_remembered:
                    self._last.pop(next(iter(self._last)))
        elif kind == "end":
            fields = self._last.pop(emitter_id, None)
        if fields is not None:
            event.update(fields)
        return event
