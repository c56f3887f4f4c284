"""Emitter tracking: per-burst decisions aggregated into emitters with accumulated confidence.

A drone control link sends hundreds of bursts a second; a user wants one
line per link, not one per burst. Bursts are grouped by their open-set label
(a burst refused only for low confidence by the class it leans to, see
:func:`grouping_label`)
and by the signature band they fall in (for an unclassified burst, by its
frequency), and split into separate emitters when the link is quiet for
longer than ``gap_s``. Confidence accumulates: the emitter's class
posterior is the softmax of the per-class mean log-probability of its
bursts times an evidence weight ``min(n_bursts, max_evidence)``, so ten
consistent bursts at 0.8 give near-certainty while one burst keeps its own
calibrated probability; the cap stops correlated bursts from claiming more
certainty than independent evidence would justify.

Known limit: two emitters of the same class in the same band at the same
time (two ELRS drones) are reported as one emitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from rfclassify.classify.droneid import DroneIDTrack, droneid_fields
from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.openset import REASON_LOW_CONFIDENCE
from rfclassify.dsp.droneid import DroneIDFrame
from rfclassify.signatures import REGISTRY, UNKNOWN


@dataclass
class BurstDecision:
    """One classified burst: where it was, what it was called and the class probabilities.

    ``droneid`` holds the DroneID frames decoded from it (:mod:`rfclassify.classify.droneid`).
    """

    t_start_s: float
    t_end_s: float
    f_lo_hz: float
    f_hi_hz: float
    snr_db: float
    label: str
    confidence: float
    proba: np.ndarray
    reason: str = "ok"
    center_freq_hz: float = 0.0
    droneid: tuple[DroneIDFrame, ...] = ()

    @property
    def freq_hz(self) -> float:
        """Centre RF frequency of the burst."""
        return 0.5 * (self.f_lo_hz + self.f_hi_hz)


@dataclass
class Emitter:
    """An aggregated emitter: its bursts and the accumulated class log-evidence."""

    key: tuple[str, str]
    label: str
    bursts: list[BurstDecision] = field(default_factory=list)
    log_proba_sum: np.ndarray | None = None
    emitter_id: int = 0
    t_first_s: float = float("inf")  # start of the first burst added
    t_last_s: float = float("-inf")  # latest burst end seen (kept as bursts are added: O(1), not O(bursts))
    n_total: int = 0  # bursts ever added (``bursts`` may hold only the latest, see EmitterTracker.max_bursts)
    evidence_n: int = 0  # bursts summed in ``log_proba_sum`` and ``confidence_sum``
    confidence_sum: float = 0.0
    channels: list[float] = field(default_factory=list)  # distinct centres (see CHANNEL_RESOLUTION_HZ)
    n_accepted: int = 0  # bursts whose own decision was ``label`` (the rest were refused for low confidence)
    n_packets: int = 0  # accepted bursts long enough to be whole packets of ``label`` (see shortest_packet_s)
    # The same evidence from the accepted bursts alone: a drone claim is judged on them (drone_evidence).
    accepted_log_proba_sum: np.ndarray | None = None
    accepted_evidence_n: int = 0
    accepted_confidence_sum: float = 0.0
    droneid: DroneIDTrack = field(default_factory=DroneIDTrack)  # its bursts' DroneID frames (running totals)

    @property
    def t_start_s(self) -> float:
        return self.t_first_s

    @property
    def t_end_s(self) -> float:
        return self.t_last_s

    def add(self, burst: BurstDecision) -> None:
        """Append a burst and its log-probabilities."""
        self.bursts.append(burst)
        if not self.n_total:
            self.t_first_s = burst.t_start_s
        self.t_last_s = max(self.t_last_s, burst.t_end_s)
        self.n_total += 1
        f = burst.freq_hz
        if all(abs(f - c) >= CHANNEL_RESOLUTION_HZ for c in self.channels):
            self.channels.append(f)
        if burst.label == self.label:
            self.n_accepted += 1
            self.n_packets += burst.t_end_s - burst.t_start_s >= WHOLE_PACKET_FRACTION * shortest_packet_s(self.label)
        self.droneid.add(burst.droneid)
        self._add_evidence(burst)

    def _add_evidence(self, burst: BurstDecision) -> None:
        """Add a burst to the evidence sums (all bursts, and the accepted ones)."""
        logp = log_evidence(burst.proba)
        self.evidence_n += 1
        self.confidence_sum += burst.confidence
        self.log_proba_sum = logp if self.log_proba_sum is None else self.log_proba_sum + logp
        if burst.label == self.label:
            self.accepted_evidence_n += 1
            self.accepted_confidence_sum += burst.confidence
            self.accepted_log_proba_sum = (logp if self.accepted_log_proba_sum is None
                                           else self.accepted_log_proba_sum + logp)

    def reset_evidence(self, bursts: list[BurstDecision]) -> None:
        """Recompute the evidence sums from ``bursts`` only (a node keeps the latest bursts of a long emitter)."""
        self.log_proba_sum = self.accepted_log_proba_sum = None
        self.evidence_n = self.accepted_evidence_n = 0
        self.confidence_sum = self.accepted_confidence_sum = 0.0
        for burst in bursts:
            self._add_evidence(burst)


def log_evidence(proba: np.ndarray) -> np.ndarray:
    """The per-class log-probabilities a burst adds to its emitter's evidence (clipped at 1e-4, so one
    burst cannot veto a class)."""
    return np.log(np.clip(proba, 1e-4, 1.0))


#: An emitter's burst centred closer than this to one of its known channels is on that channel;
#: farther from all of them, it is a new one (hop channels). The narrowest spacing in the registry
#: is 200 kHz (LoRaWAN US915); a fixed raster instead split a carrier that sits on a raster
#: boundary (an OOK sensor at 433.875 MHz, its pulses' centres measured ±5 kHz) into two channels.
CHANNEL_RESOLUTION_HZ = 50e3


def _band_key(label: str, freq_hz: float, bandwidth_hz: float) -> str:
    sig = REGISTRY.get(label)
    if sig is not None and label != "noise":
        for band in sig.bands:
            if band.lo_hz - bandwidth_hz <= freq_hz <= band.hi_hz + bandwidth_hz:
                return band.name
    step = max(bandwidth_hz, 100e3)
    return f"{round(freq_hz / step) * step / 1e6:.3f}MHz"


def grouping_label(label: str, reason: str, proba: np.ndarray, classes: list[str]) -> str:
    """The label a burst is grouped under: its own, or for a low-confidence refusal its best class.

    A burst refused only for low confidence (not for being far from every
    class) is still evidence of the class it leans to: it joins that
    class's emitter in its band and adds its probabilities there, so two
    packets of a clipped Bluetooth channel at 0.87 and 0.48 make one
    emitter, not a Bluetooth and an ``unknown``. An emitter none of whose
    own bursts was accepted is reported ``unknown`` (:func:`reported_label`).
    A best class of ``noise`` stays ``unknown``.
    """
    if label != UNKNOWN or reason != REASON_LOW_CONFIDENCE:
        return label
    best = classes[int(np.argmax(proba))]
    return best if best in REGISTRY and best != NOISE_LABEL else label


class EmitterTracker:
    """Groups :class:`BurstDecision` objects into :class:`Emitter` objects as they arrive.

    ``classes`` are the model's class labels (column order of ``proba``);
    ``gap_s`` is how long an emitter may be silent before a new burst starts
    a new emitter; ``max_evidence`` caps the number of bursts counted as
    independent evidence.
    """

    def __init__(
        self, classes: list[str] | np.ndarray, gap_s: float = 3.0, max_evidence: int = 8, max_bursts: int | None = None
    ) -> None:
        self.classes = [str(c) for c in classes]
        self.gap_s = gap_s
        self.max_evidence = max_evidence
        self.max_bursts = max_bursts
        self.active: dict[tuple[str, str], Emitter] = {}
        self.finished: list[Emitter] = []
        self._next_id = 1

    def add(self, burst: BurstDecision) -> tuple[Emitter, bool]:
        """Add a burst; returns its emitter and whether that emitter is new."""
        label = grouping_label(burst.label, burst.reason, burst.proba, self.classes)
        key = (label, _band_key(label, burst.freq_hz, burst.f_hi_hz - burst.f_lo_hz))
        emitter = self.active.get(key)
        if emitter is not None and burst.t_start_s - emitter.t_end_s > self.gap_s:
            self.finished.append(self.active.pop(key))
            emitter = None
        is_new = emitter is None
        if emitter is None:
            emitter = Emitter(key=key, label=label, emitter_id=self._next_id)
            self._next_id += 1
            self.active[key] = emitter
        emitter.add(burst)
        if self.max_bursts is not None and len(emitter.bursts) > 2 * self.max_bursts:
            # Bounded memory for long recordings: counts, evidence, span and channels stay running
            # totals over every burst; only the medians of the summary come from the latest bursts.
            del emitter.bursts[: len(emitter.bursts) - self.max_bursts]
        return emitter, is_new

    def expire(self, now_s: float) -> list[Emitter]:
        """Close and return emitters silent since before ``now_s − gap_s``."""
        done = [k for k, e in self.active.items() if now_s - e.t_end_s > self.gap_s]
        out = [self.active.pop(k) for k in done]
        self.finished.extend(out)
        return out

    def close_all(self) -> list[Emitter]:
        """Close every emitter; returns all emitters ever seen, in order of first burst."""
        self.finished.extend(self.active.values())
        self.active = {}
        return sorted(self.finished, key=lambda e: e.t_start_s)

    def posterior(self, emitter: Emitter, accepted_only: bool = False) -> np.ndarray:
        """Accumulated class posterior of an emitter (see the module docstring); optionally of its accepted bursts."""
        n = emitter.accepted_evidence_n if accepted_only else emitter.evidence_n
        total = emitter.accepted_log_proba_sum if accepted_only else emitter.log_proba_sum
        if total is None or n == 0:
            return np.full(len(self.classes), 1.0 / max(len(self.classes), 1))
        weight = min(n, self.max_evidence)
        z = total / n * weight
        z = z - z.max()
        p = np.exp(z)
        return p / p.sum()

    def confidence(self, emitter: Emitter, accepted_only: bool = False) -> float:
        """Accumulated confidence that the emitter is of its label (0–1).

        For ``unknown`` emitters it is the confidence that it is *none* of the
        classes' best guess, i.e. one minus the accumulated top probability.
        """
        post = self.posterior(emitter, accepted_only)
        if emitter.label in self.classes:
            return float(post[self.classes.index(emitter.label)])
        return float(1.0 - post.max())


#: A drone claim needs evidence: an emitter named as a drone link is only
#: reported as such once its accumulated confidence reaches this value and it
#: has at least :data:`DRONE_MIN_BURSTS` bursts, whose mean confidence is at least
#: :data:`DRONE_MIN_MEAN_CONFIDENCE`, as many of them whole packets of that link
#: (:data:`WHOLE_PACKET_FRACTION`); otherwise it is ``unknown``
#: with the unconfirmed guess in ``candidate``. A false alarm costs a guard a
#: response; every drone link of the registry sends several bursts a second
#: (DroneID and analog video, segmented, at least two in a second).
DRONE_MIN_CONFIDENCE = 0.8
DRONE_MIN_BURSTS = 3
#: ... and its bursts must, on average, have been called that drone link with at least this
#: calibrated confidence. Accumulating evidence assumes the bursts' errors are independent; the
#: specks of one weak Wi-Fi packet or the noise of one receiver are not, and 700 bursts each at
#: 0.6 added up to "certain". Chosen on the seed-101 test and seed-202 drone-free sets
#: (BENCHMARKS.md, accuracy): 0.7 took false drones from 15 to 1 in 5 minutes at a drone detection
#: probability of 0.85 instead of 0.93 (0.65: 3 false, 0.92; 0.75: none, 0.80).
DRONE_MIN_MEAN_CONFIDENCE = 0.7
#: ... and at least :data:`DRONE_MIN_BURSTS` of its bursts must last this share of the link's
#: shortest packet (:func:`shortest_packet_s`): an ExpressLRS 900 MHz packet is never under 4.4 ms
#: on air, so twelve 0.1–0.3 ms blips in a row (an OOK remote's start-up clicks at 250 kS/s, real
#: recording rtl_433_tests brennstuhl_rcs_2044) are not one, whatever their shape resembles.
#: The detection's frame edges make its duration up to a frame long or short: hence a half.
WHOLE_PACKET_FRACTION = 0.5


@cache
def shortest_packet_s(label: str) -> float:
    """Shortest on-air packet of a label from its registry timing (``airtime_s``: seconds, or seconds per mode); 0 if not given."""
    sig = REGISTRY.get(label)
    airtime = sig.timing.get("airtime_s") if sig is not None else None
    if isinstance(airtime, dict):
        return float(min(airtime.values())) if airtime else 0.0
    return float(airtime or 0.0)


def mean_burst_confidence(emitter: Emitter) -> float:
    """Mean of the per-burst calibrated confidences of an emitter's accepted bursts (0 without any)."""
    return emitter.accepted_confidence_sum / emitter.accepted_evidence_n if emitter.accepted_evidence_n else 0.0


def drone_evidence(tracker: EmitterTracker, emitter: Emitter, min_confidence: float = DRONE_MIN_CONFIDENCE,
                   min_bursts: int = DRONE_MIN_BURSTS) -> bool:
    """True if an emitter's bursts justify naming it a drone link (see :data:`DRONE_MIN_MEAN_CONFIDENCE`).

    Judged on the bursts the classifier accepted under the label: the low-confidence ones grouped with
    them (:func:`grouping_label`) neither make nor break a drone claim. One CRC-valid DroneID frame
    is evidence enough (:mod:`rfclassify.classify.droneid`): the CRC, not the classifier, vouches for it.
    """
    if emitter.droneid.frames:
        return True
    return (emitter.n_accepted >= min_bursts and tracker.confidence(emitter, accepted_only=True) >= min_confidence
            and mean_burst_confidence(emitter) >= DRONE_MIN_MEAN_CONFIDENCE
            and emitter.n_packets >= min_bursts)


def reported_label(tracker: EmitterTracker, emitter: Emitter) -> tuple[str, str | None]:
    """(label to report, unconfirmed candidate or None) after the drone-confirmation rule.

    An emitter made only of low-confidence refusals (see :func:`grouping_label`) is
    ``unknown`` with its label as the candidate, whatever it is.
    """
    if emitter.label != UNKNOWN and not emitter.n_accepted:
        return UNKNOWN, emitter.label
    sig = REGISTRY.get(emitter.label)
    if sig is None or not sig.drone:
        return emitter.label, None
    if drone_evidence(tracker, emitter):
        return emitter.label, None
    return UNKNOWN, emitter.label


def label_fields(label: str) -> dict[str, Any]:
    """``drone``, ``link`` and ``models`` of a label from the registry (``unknown``: no drone, no link)."""
    sig = REGISTRY.get(label)
    if sig is None:
        return {"drone": False, "link": "none", "models": []}
    return {"drone": bool(sig.drone), "link": sig.link, "models": list(sig.drone_models)}


def emitter_summary(
    tracker: EmitterTracker, emitter: Emitter, source: str, confirmed: bool = False
) -> dict[str, Any]:
    """The per-emitter record ``classify`` prints (keys documented in the README).

    ``confirmed=True`` skips the drone-confirmation rule: a caller that
    confirmed the emitter by its own, stricter rule (the sensor node's event
    engine) keeps its label while the evidence of later bursts varies.
    """
    label, candidate = (emitter.label, None) if confirmed else reported_label(tracker, emitter)
    fields = label_fields(label)
    freqs = np.array([b.freq_hz for b in emitter.bursts])
    bws = np.array([b.f_hi_hz - b.f_lo_hz for b in emitter.bursts])
    snrs = np.array([b.snr_db for b in emitter.bursts])
    record = {
        "source": source,
        "label": label,
        "drone": fields["drone"],
        "link": fields["link"],
        "confidence": round(tracker.confidence(emitter), 4),
        "t_start_s": round(emitter.t_start_s, 6),
        "t_end_s": round(emitter.t_end_s, 6),
        "freq_hz": float(np.median(freqs)),
        "bandwidth_hz": float(np.median(bws)),
        "snr_db": round(float(np.median(snrs)), 2),
        "bursts": emitter.n_total,
        "channels": len(emitter.channels),
        "models": fields["models"],
        "bearing_deg": None,
        "bearing_std_deg": None,
        "emitter_id": emitter.emitter_id,
        **droneid_fields(emitter.label, emitter.droneid),
    }
    if candidate is not None:
        record["candidate"] = candidate
        record["reason"] = "unconfirmed"
    return record
