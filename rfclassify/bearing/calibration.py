"""Per-channel calibration of a coherent array: complex gain (gain, phase) and integer sample delay.

Several RTL-SDRs on one clock (KrakenSDR and its DIY cousins) still differ per
channel: each tuner's PLL locks at its own phase, gains differ by a dB or so,
and USB buffering starts the channels a whole number of samples apart. The
KrakenSDR approach (krakenrf/krakensdr_docs wiki, "Coherent calibration";
idea only, no code taken) is to switch one noise source into every input
through a splitter and measure the channels against channel 0. We do the
same on a recording:

1. integer delays: the lag of the cross-correlation peak of each channel
   against the reference channel (a wideband noise source gives a peak one
   sample wide);
2. complex gains: after aligning the delays, the principal eigenvector
   ``v`` of the spatial covariance is proportional to ``g ⊙ a`` (``a`` = all
   ones for a common splitter-fed source, or the steering vector of a source
   at a known azimuth), so ``g = v / a`` normalised to ``g_ref = 1``.

Applying a calibration (:meth:`Calibration.apply`) advances each channel by
its delay and divides it by its gain. The phase of ``g`` is a property of the
tuners at the frequency they were calibrated at: recalibrate after retuning
or restarting the receivers.

File format (JSON, written by :meth:`Calibration.save`)::

    {"format": "rfclassify-calibration", "version": 1, "num_channels": 5,
     "reference_channel": 0, "gain_db": [...], "phase_deg": [...],
     "delay_samples": [...], "coherence": [...], "method": "common-noise" | "known-azimuth",
     "known_azimuth_deg": null, "sample_rate_hz": ..., "center_freq_hz": ...,
     "geometry": {... rfclassify:array ...} | null, "recording": "..."}

``coherence`` is ``|ρ|`` between each aligned channel and the reference: near
1 for a good calibration recording, low when a channel did not see the source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.steering import steering_vectors
from rfclassify.errors import InputError

CALIBRATION_FORMAT = "rfclassify-calibration"
CALIBRATION_VERSION = 1


def estimate_delays(samples: np.ndarray, max_lag: int = 256, reference: int = 0, max_samples: int = 1 << 17) -> np.ndarray:
    """Integer lag of each channel behind ``reference``: ``x_m[n + d_m] ≈ x_ref[n]``.

    Cross-correlation by FFT over the first ``max_samples`` samples, peak
    searched within ``±max_lag``.
    """
    x = np.asarray(samples)[:max_samples]
    n, m = x.shape
    if n < 4 * max_lag:
        max_lag = max(1, n // 4)
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    ref = np.fft.fft(x[:, reference], nfft)
    delays = np.zeros(m, dtype=int)
    lags = np.concatenate((np.arange(0, max_lag + 1), np.arange(-max_lag, 0)))
    for ch in range(m):
        if ch == reference:
            continue
        xc = np.fft.ifft(np.fft.fft(x[:, ch], nfft) * np.conj(ref))
        window = np.abs(np.concatenate((xc[: max_lag + 1], xc[-max_lag:])))
        delays[ch] = int(lags[int(np.argmax(window))])
    return delays


def align(samples: np.ndarray, delay_samples: np.ndarray | list[int]) -> np.ndarray:
    """Advance each channel by its delay so the channels line up; drops ``max − min`` samples."""
    x = np.asarray(samples)
    d = np.asarray(delay_samples, dtype=int)
    if x.ndim != 2 or x.shape[1] != len(d):
        raise ValueError(f"samples of shape {x.shape} for {len(d)} delays")
    shift = d - d.min()
    keep = x.shape[0] - int(shift.max())
    if keep <= 0:
        return x[:0]
    if not shift.any():
        return x
    return np.stack([x[s : s + keep, ch] for ch, s in enumerate(shift)], axis=1)


@dataclass(frozen=True)
class Calibration:
    """Per-channel complex ``gain`` (relative to ``reference_channel``) and integer ``delay_samples``."""

    gain: np.ndarray
    delay_samples: tuple[int, ...]
    reference_channel: int = 0
    coherence: tuple[float, ...] = ()
    method: str = "common-noise"
    known_azimuth_deg: float | None = None
    sample_rate_hz: float | None = None
    center_freq_hz: float | None = None
    geometry: dict[str, Any] | None = None
    recording: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_channels(self) -> int:
        """Number of channels the calibration is for."""
        return len(self.delay_samples)

    @property
    def gain_db(self) -> np.ndarray:
        """``20·log10|g|`` per channel."""
        return 20 * np.log10(np.abs(self.gain))

    @property
    def phase_deg(self) -> np.ndarray:
        """Phase of ``g`` per channel, degrees in ``(−180, 180]``."""
        return np.degrees(np.angle(self.gain))

    def apply(self, samples: np.ndarray) -> np.ndarray:
        """Aligned and gain-corrected copy of ``(n, M)`` samples (``ValueError`` on a channel mismatch)."""
        x = np.asarray(samples)
        if x.ndim != 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"calibration is for {self.num_channels} channels, samples have shape {x.shape}")
        return (align(x, self.delay_samples) / self.gain[None, :]).astype(np.complex64)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object described in the module docstring."""
        return {
            "format": CALIBRATION_FORMAT,
            "version": CALIBRATION_VERSION,
            "num_channels": self.num_channels,
            "reference_channel": self.reference_channel,
            "gain_db": [round(float(v), 6) for v in self.gain_db],
            "phase_deg": [round(float(v), 6) for v in self.phase_deg],
            "delay_samples": [int(d) for d in self.delay_samples],
            "coherence": [round(float(c), 6) for c in self.coherence],
            "method": self.method,
            "known_azimuth_deg": self.known_azimuth_deg,
            "sample_rate_hz": self.sample_rate_hz,
            "center_freq_hz": self.center_freq_hz,
            "geometry": self.geometry,
            "recording": self.recording,
            **self.extra,
        }

    def save(self, path: str | Path) -> None:
        """Write the JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, obj: dict[str, Any], where: str = "") -> Calibration:
        """Read the JSON object back; :class:`InputError` naming ``where`` if it is not one."""
        if not isinstance(obj, dict) or obj.get("format") != CALIBRATION_FORMAT:
            raise InputError(where, f"not an rfclassify calibration file (no \"format\": \"{CALIBRATION_FORMAT}\")")
        if obj.get("version") != CALIBRATION_VERSION:
            raise InputError(where, f"calibration version {obj.get('version')!r} not supported")
        try:
            gain_db = np.asarray(obj["gain_db"], dtype=np.float64)
            phase_deg = np.asarray(obj["phase_deg"], dtype=np.float64)
            delays = tuple(int(d) for d in obj["delay_samples"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(where, f"malformed calibration: {exc}") from None
        if not (len(gain_db) == len(phase_deg) == len(delays)) or len(delays) < 2:
            raise InputError(where, "gain_db, phase_deg and delay_samples must list the same channels")
        known = {
            "format", "version", "num_channels", "reference_channel", "gain_db", "phase_deg",
            "delay_samples", "coherence", "method", "known_azimuth_deg", "sample_rate_hz",
            "center_freq_hz", "geometry", "recording",
        }
        return cls(
            gain=10 ** (gain_db / 20) * np.exp(1j * np.radians(phase_deg)),
            delay_samples=delays,
            reference_channel=int(obj.get("reference_channel", 0)),
            coherence=tuple(float(c) for c in obj.get("coherence", ())),
            method=str(obj.get("method", "common-noise")),
            known_azimuth_deg=obj.get("known_azimuth_deg"),
            sample_rate_hz=obj.get("sample_rate_hz"),
            center_freq_hz=obj.get("center_freq_hz"),
            geometry=obj.get("geometry"),
            recording=obj.get("recording"),
            extra={k: v for k, v in obj.items() if k not in known},
        )

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read a calibration file; :class:`InputError` for a missing or malformed file."""
        p = Path(path)
        try:
            obj = json.loads(p.read_text())
        except OSError as exc:
            raise InputError(p, f"cannot read calibration: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise InputError(p, f"calibration is not JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_dict(obj, str(p))

    @classmethod
    def identity(cls, num_channels: int) -> Calibration:
        """No correction: unit gains, zero delays."""
        return cls(np.ones(num_channels, dtype=np.complex128), (0,) * num_channels, coherence=(1.0,) * num_channels)


def estimate_calibration(
    samples: np.ndarray,
    *,
    geometry: ArrayGeometry | None = None,
    known_azimuth_deg: float | None = None,
    rf_hz: float | None = None,
    reference: int = 0,
    max_lag: int = 256,
    delay_samples: np.ndarray | list[int] | None = None,
    sample_rate_hz: float | None = None,
    center_freq_hz: float | None = None,
) -> Calibration:
    """Calibration from ``(n, M)`` samples of one common source (see module docstring).

    Without ``known_azimuth_deg`` the source is taken to reach every channel
    in phase (a splitter-fed noise source). With it, ``geometry`` and
    ``rf_hz`` give the steering vector the source should have had. For a
    narrowband known-direction source, pass samples already channelized to
    its band and the ``delay_samples`` estimated on the full-band recording
    (:func:`estimate_delays`); ``samples`` must then be aligned already.
    """
    x = np.asarray(samples)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"calibration needs (n, M >= 2) samples, got shape {x.shape}")
    m = x.shape[1]
    if delay_samples is None:
        delays = estimate_delays(x, max_lag=max_lag, reference=reference)
        aligned = align(x, delays).astype(np.complex128)
    else:
        delays = np.asarray(delay_samples, dtype=int)
        aligned = x.astype(np.complex128)
    cov = aligned.T @ aligned.conj() / len(aligned)
    _, vecs = np.linalg.eigh(cov)
    v = vecs[:, -1]
    method = "common-noise"
    expected = np.ones(m, dtype=np.complex128)
    if known_azimuth_deg is not None:
        if geometry is None or rf_hz is None:
            raise ValueError("a known-azimuth calibration needs the array geometry and the RF frequency")
        if geometry.num_elements != m:
            raise ValueError(f"{m} channels for an array of {geometry.num_elements} elements")
        expected = steering_vectors(geometry, float(known_azimuth_deg), rf_hz)
        method = "known-azimuth"
    g = v / expected
    g = g / g[reference]
    # eigenvectors have unit norm: rescale so |g| follows the channels' relative amplitudes
    power = np.real(np.diag(cov))
    g = g / np.abs(g) * np.sqrt(power / power[reference]) if np.all(np.abs(g) > 0) else g
    coherence = np.abs(cov[:, reference]) / np.sqrt(power * power[reference])
    return Calibration(
        gain=g,
        delay_samples=tuple(int(d) for d in delays),
        reference_channel=reference,
        coherence=tuple(float(c) for c in coherence),
        method=method,
        known_azimuth_deg=None if known_azimuth_deg is None else float(known_azimuth_deg),
        sample_rate_hz=sample_rate_hz,
        center_freq_hz=center_freq_hz,
        geometry=None if geometry is None else geometry.to_metadata(),
    )
