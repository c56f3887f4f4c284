"""DroneID in the stream: which bursts are decoded, and what decisions, emitters and records carry.

Every DJI drone with OcuSync 2/3 broadcasts DroneID frames in the clear (serial
number, positions of the drone, its home point and the pilot's phone), decoded by
:func:`rfclassify.dsp.droneid.decode_bursts`. The stream engine
(:class:`rfclassify.classify.stream.StreamEngine`) does it once for every driver
(``classify``, ``watch``, the Python API):

- its detector keeps the raw input samples of every detection shaped like a
  DroneID burst (:func:`droneid_shaped`), because the decoder needs the whole
  9 MHz band at the full rate, not the features' baseband IQ;
- a burst the classifier calls ``dji-ocusync`` (:data:`DRONEID_LABEL`) is decoded
  (:func:`decode_burst`) and its frames ride on its decision
  (``BurstDecision.droneid``);
- an emitter keeps a :class:`DroneIDTrack` of them, and its record (and a
  ``--per-burst`` record) the fields of :func:`droneid_fields`.

A frame whose CRC-24 fails carries no fields (the decoder's rule) and is only
counted (``droneid_crc_failures``): a corrupted frame never yields positions. A
CRC-valid frame is evidence enough for the drone claim
(:func:`rfclassify.classify.tracking.drone_claim`): 24 bits of CRC over a frame
of the right structure are not matched by chance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from rfclassify.detect.types import DetectedBurst, Detection
from rfclassify.dsp.droneid import CP_SCHEDULES, N_FFT, SAMPLE_RATE_HZ, DroneIDFrame, decode_bursts

#: The class whose bursts are decoded as DroneID (its signature carries the DroneID bursts).
DRONEID_LABEL = "dji-ocusync"
#: Reason of a burst the classifier left ``unknown`` (its best class ``dji-ocusync``) that carries a
#: CRC-valid DroneID frame: the frame is the evidence (a random frame passes CRC-24 once in 1.7e7).
REASON_DRONEID_FRAME = "droneid_frame"
#: SigMF annotation key of a burst's decoded frame record (``watch --evidence`` writes it, ``info`` lists it).
ANNOTATION_KEY = "rfclassify:droneid"
#: Message type of a flight-information frame (the one with positions, :mod:`rfclassify.dsp.droneid`).
FLIGHT_INFO = 0x10
#: Least sample rate at which a DroneID burst (9.015 MHz occupied) fits in the receiver window.
MIN_RATE_HZ = 10e6
#: Detected widths (Hz) of a DroneID burst: 9.015 MHz occupied; the detector's edges measured
#: 8.89 MHz on the NDSS Mavic Air 2 recording, and narrow towards the noise at low SNR.
MIN_WIDTH_HZ, MAX_WIDTH_HZ = 6e6, 12e6
#: Detected durations (s): a burst lasts 643 us (572 us on 8-symbol legacy firmware); the
#: detector bridges gaps shorter than ``DetectParams.gap_s`` at one frequency, and the NDSS
#: recording holds two bursts 69 us apart, detected as one 1.37 ms detection: up to two bursts.
MIN_DURATION_S, MAX_DURATION_S = 0.4e-3, 2.0e-3
#: Raw input kept each side of a detection for the decoder (s): its synchroniser looks ~120 us
#: around the burst, and noise on both sides sets its floor. Under 0.4 ms (the shortest burst the
#: decoder takes), so a neighbouring burst's edge inside the margin is never decoded twice.
RAW_MARGIN_S = 0.2e-3


def droneid_shaped(det: Detection) -> bool:
    """True if a detection may hold a whole DroneID burst the decoder can read (shape only).

    Seen at a rate of at least :data:`MIN_RATE_HZ`, not clipped by the receiver
    window in frequency, :data:`MIN_WIDTH_HZ`–:data:`MAX_WIDTH_HZ` wide and
    :data:`MIN_DURATION_S`–:data:`MAX_DURATION_S` long.
    """
    return (
        det.sample_rate_hz >= MIN_RATE_HZ
        and not (det.edge_low or det.edge_high)
        and MIN_WIDTH_HZ <= det.bandwidth_hz <= MAX_WIDTH_HZ
        and MIN_DURATION_S <= det.duration_s <= MAX_DURATION_S
    )


def decode_burst(burst: DetectedBurst) -> tuple[DroneIDFrame, ...]:
    """The DroneID frames in a burst's raw IQ (none if it kept none), with ``start_s`` in stream seconds."""
    if burst.raw_iq is None:
        return ()
    det = burst.detection
    frames = decode_bursts(burst.raw_iq, det.sample_rate_hz, det.center_freq_hz)
    return tuple(replace(f, start_s=round(burst.raw_t0_s + f.start_s, 9)) for f in frames)


@dataclass
class DroneIDTrack:
    """What the DroneID frames of an emitter (or a burst) said.

    ``latest`` is the latest CRC-valid frame, a flight-information frame
    (positions) being kept over a later frame of another type (which carries
    only the serial number); ``frames`` counts CRC-valid frames,
    ``crc_failures`` those whose CRC-24 failed.
    """

    latest: DroneIDFrame | None = None
    frames: int = 0
    crc_failures: int = 0

    @classmethod
    def of(cls, frames: Iterable[DroneIDFrame]) -> DroneIDTrack:
        """The track of ``frames`` alone (one burst's)."""
        track = cls()
        track.add(frames)
        return track

    def add(self, frames: Iterable[DroneIDFrame]) -> bool:
        """Take a burst's frames; True if one of them was CRC-valid."""
        valid = False
        for frame in frames:
            if not frame.crc_ok:
                self.crc_failures += 1
                continue
            valid = True
            self.frames += 1
            keep_old = (self.latest is not None and self.latest.message_type == FLIGHT_INFO
                        and frame.message_type != FLIGHT_INFO)
            if not keep_old:
                self.latest = frame
        return valid


def frame_duration_s(frame: DroneIDFrame) -> float:
    """Seconds on air of a frame: its OFDM symbols and cyclic prefixes at 15.36 MS/s."""
    return (frame.n_symbols * N_FFT + sum(CP_SCHEDULES[frame.n_symbols])) / SAMPLE_RATE_HZ


def frame_record(frame: DroneIDFrame) -> dict[str, Any]:
    """A CRC-valid frame as reported: :meth:`DroneIDFrame.to_record`, its start ``t_s`` and centre ``freq_hz``."""
    return {**frame.to_record(), "t_s": round(frame.start_s, 6), "freq_hz": frame.center_freq_hz}


def valid_position(lat: float | None, lon: float | None) -> bool:
    """True for a position a frame actually gives (both known, not the 0, 0 of "no fix")."""
    return lat is not None and lon is not None and (lat, lon) != (0.0, 0.0)


def droneid_fields(label: str, track: DroneIDTrack) -> dict[str, Any]:
    """The DroneID keys of a record of ``label``: none unless it is :data:`DRONEID_LABEL` or has frames.

    ``droneid`` (the latest CRC-valid frame's record or ``None``), ``droneid_frames``,
    ``droneid_crc_failures``, and ``operator_lat``/``operator_lon`` (degrees, WGS84:
    the pilot's phone) when that frame gives the pilot's position.
    """
    if label != DRONEID_LABEL and not (track.frames or track.crc_failures):
        return {}
    frame = track.latest
    out: dict[str, Any] = {
        "droneid": None if frame is None else frame_record(frame),
        "droneid_frames": track.frames,
        "droneid_crc_failures": track.crc_failures,
    }
    if frame is not None and valid_position(frame.pilot_lat, frame.pilot_lon):
        out["operator_lat"], out["operator_lon"] = frame.pilot_lat, frame.pilot_lon
    return out
