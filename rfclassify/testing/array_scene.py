"""The array scene of the bearing tests and ``scripts/bench_bearing.py``: ELRS-like links heard by a UCA.

A KrakenSDR-like receiver: 2.4 MS/s tuned to 915 MHz (the ExpressLRS 900 MHz FCC band), behind a
5-element uniform circular array of radius 0.11 m (λ/2 at 915 MHz is 0.164 m, so the elements are
0.129 m apart). Emitters are the ELRS-like LoRa links of :func:`rfclassify.synth.array.elrs_like_emitters`,
placed by ``(offset from the centre in Hz, azimuth in degrees)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.synth.array import ChannelErrors, array_recording, elrs_like_emitters

#: The receiver's sample rate (Hz).
RATE_HZ = 2.4e6
#: The receiver's centre frequency (Hz).
CENTER_HZ = 915e6
#: The array: 5 elements on a circle of radius 0.11 m.
UCA = ArrayGeometry.uca(5, 0.11)
#: Amplitude scale on writing: unit noise power per channel lands at about -26 dBFS in ``ci16_le``,
#: leaving room for the links' peaks.
WRITE_SCALE = 0.05


def array_scene(
    placements: Iterable[tuple[float, float]],
    num_samples: int,
    snr_db: float,
    rng: np.random.Generator,
    *,
    geometry: ArrayGeometry = UCA,
    errors: ChannelErrors | None = None,
    period_s: float = 5e-3,
) -> np.ndarray:
    """``(num_samples, elements)`` complex64 samples of ELRS-like links heard by ``geometry``.

    One link per ``(offset_hz, azimuth_deg)`` of ``placements``, sending a packet every ``period_s``
    at ``snr_db`` (in-band, per channel, unit noise power), through receivers with ``errors`` (None:
    ideal). ``rng`` draws the links first, then the array's noise, in that order.
    """
    emitters = elrs_like_emitters(placements, num_samples, RATE_HZ, CENTER_HZ, snr_db, rng, period_s=period_s)
    return array_recording(emitters, geometry, num_samples, rng, errors=errors)


def write_array_scene(path: str | Path, samples: np.ndarray, geometry: ArrayGeometry | None) -> Path:
    """Write ``samples`` (scaled by :data:`WRITE_SCALE`) as ``ci16_le`` SigMF at the scene's rate and centre.

    ``geometry`` goes into the recording's ``rfclassify:array`` (None: a recording without it).
    Returns the ``.sigmf-meta`` path.
    """
    extra = {"rfclassify:array": geometry.to_metadata()} if geometry is not None else None
    return write_sigmf(path, samples * WRITE_SCALE, datatype="ci16_le", sample_rate_hz=RATE_HZ,
                       center_freq_hz=CENTER_HZ, global_extra=extra)


@dataclass(frozen=True)
class LinkRecordings:
    """One ELRS-like link heard by :data:`UCA` for 0.3 s, written three ways (``.sigmf-meta`` paths)."""

    #: The array recording with its geometry in ``rfclassify:array``.
    with_geometry: Path
    #: The same samples without the geometry (it must come from options).
    bare: Path
    #: Element 0 alone: a single-channel recording.
    one_channel: Path
    #: Where the link is: offset from :data:`CENTER_HZ` (Hz) and azimuth (degrees, CCW from the array's x axis).
    offset_hz: float
    azimuth_deg: float


def write_link_recordings(root: Path, *, offset_hz: float = 300e3, azimuth_deg: float = 60.0,
                          seed: int = 5) -> LinkRecordings:
    """Write the link recordings of the node's bearing tests into the folder ``root``.

    The link sends a packet every 10 ms (the detector sees separate bursts) at 15 dB in-band SNR.
    """
    rng = np.random.default_rng(seed)
    x = array_scene([(offset_hz, azimuth_deg)], int(0.3 * RATE_HZ), 15.0, rng, period_s=10e-3)
    return LinkRecordings(
        with_geometry=write_array_scene(root / "uca", x, UCA),
        bare=write_array_scene(root / "uca_bare", x, None),
        one_channel=write_array_scene(root / "one", np.ascontiguousarray(x[:, 0]), None),
        offset_hz=offset_hz,
        azimuth_deg=azimuth_deg,
    )
