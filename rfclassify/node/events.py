"""Emitter events for a live node: ``start`` when an emitter is confirmed, rate-limited ``update``, ``end``.

Per-burst decisions go into an :class:`rfclassify.classify.tracking.EmitterTracker`;
an emitter is *confirmed* once its accumulated confidence reaches
``min_confidence`` and it has at least ``min_bursts`` bursts (a drone link
is judged by :func:`rfclassify.classify.tracking.drone_claim` instead, with
``min_bursts`` whole packets or, for a continuous link, its signal time, and
accumulated log-odds over its best alternative of at least those of
``min_confidence`` and of ``classify``'s rule, whichever is more; or one
CRC-valid DroneID frame, which confirms it at once). Then:

- ``start``: the first time it is confirmed;
- ``update``: at most every ``update_interval_s`` of stream time while bursts keep coming,
  and on every burst that brings a new CRC-valid DroneID frame (its content changed);
- ``end``: once it has been quiet for ``quiet_s`` (the tracker's gap), or when the stream ends,
  with its ``reason`` (:data:`END_REASONS`): ``quiet`` (not heard for ``quiet_s``), ``source lost``
  (the receiver stopped delivering and the emitter's ``quiet_s`` ran out meanwhile: the node can
  no longer tell whether it is still there), ``stopped`` (the node was stopped) or
  ``end of stream`` (the recording ended).

``noise`` decisions never reach the tracker (they are the receiver's own
noise); ``unknown`` emitters are reported like any other, with
``drone: false``. Every event is the record of ``rfclassify classify``
(:func:`~rfclassify.classify.tracking.emitter_summary`) plus ``event``,
``time`` (UTC ISO 8601 of the stream time the event refers to),
``sensor_id``, ``center_freq_hz`` (the receiver's centre when the emitter
was last heard: with ``--scan`` it names the dwell the detection came
from) and ``report_id`` (unique per node run; use it to drop the duplicates
MQTT QoS 1 may deliver).

A link that lasts hours would otherwise keep every burst in memory (and make
each tracker update slower): only the last ``keep_bursts`` bursts of an
emitter are kept, its accumulated evidence is recomputed from them, and the
reported ``bursts`` and ``t_start_s`` still count from the first burst.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from rfclassify.classify.labels import NOISE_LABEL
from rfclassify.classify.positions import PositionPolicy
from rfclassify.classify.tracking import (
    DRONE_MIN_LOG_ODDS,
    BurstDecision,
    Emitter,
    EmitterTracker,
    drone_claim,
    emitter_summary,
)
from rfclassify.node.options import EventPolicy
from rfclassify.signatures import REGISTRY

EVENT_KINDS = ("start", "update", "end")
#: Why an ``end`` event was sent (its ``reason`` key); see the module docstring.
END_REASONS = ("quiet", "source lost", "stopped", "end of stream")


@dataclass
class _State:
    confirmed: bool = False
    last_event_s: float = -np.inf
    center_freq_hz: float = 0.0


def iso_utc(when: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z``: ``2024-05-01T12:00:00.123Z``."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _drone_log_odds(min_confidence: float) -> float:
    """Log-odds a node's drone claim needs: those of ``min_confidence`` against the rest, or classify's."""
    p = min(max(min_confidence, 1e-6), 1 - 1e-6)
    return max(DRONE_MIN_LOG_ODDS, float(np.log(p / (1 - p))))


def trim_emitter(emitter: Emitter, keep: int) -> None:
    """Keep only the last ``keep`` bursts of ``emitter`` and recompute its log-evidence from them."""
    if len(emitter.bursts) <= keep:
        return
    emitter.bursts = emitter.bursts[-keep:]
    emitter.reset_evidence(emitter.bursts)


class EventEngine:
    """Turns a stream of :class:`BurstDecision` into event dicts.

    ``classes`` are the model's labels; ``utc_of(t_s)`` maps stream seconds to
    a UTC datetime (the service anchors it on the blocks' ``time_utc``);
    ``extra`` keys (sensor position …) are added to every event; ``positions``
    says how DroneID positions leave the node (:mod:`rfclassify.classify.positions`).
    """

    def __init__(
        self,
        classes: list[str],
        policy: EventPolicy | None = None,
        *,
        sensor_id: str = "rfclassify",
        source_name: str = "",
        utc_of: Callable[[float], datetime] | None = None,
        extra: dict[str, Any] | None = None,
        positions: PositionPolicy | None = None,
    ) -> None:
        self.policy = policy or EventPolicy()
        self.tracker = EmitterTracker(classes, gap_s=self.policy.quiet_s)
        self.sensor_id = sensor_id
        self.source_name = source_name
        self.utc_of = utc_of or (lambda _t: datetime.now(timezone.utc))
        self.extra = dict(extra or {})
        self.positions = positions or PositionPolicy()
        self.events_emitted = 0
        self._states: dict[int, _State] = {}
        self._run_tag = f"{sensor_id}:{int(datetime.now(timezone.utc).timestamp() * 1000)}"

    @property
    def active_emitters(self) -> int:
        """Emitters currently tracked (confirmed or not)."""
        return len(self.tracker.active)

    def add(self, decision: BurstDecision) -> list[dict[str, Any]]:
        """Add one classified burst; return the events it causes (``start`` or ``update``, or none)."""
        if decision.label == NOISE_LABEL:
            return []
        out = self._ended(self.tracker.expire(decision.t_start_s), decision.t_start_s, "quiet")
        emitter, is_new = self.tracker.add(decision)
        if is_new and emitter.emitter_id not in self._states:
            self._states[emitter.emitter_id] = _State()
        state = self._states[emitter.emitter_id]
        state.center_freq_hz = decision.center_freq_hz
        trim_emitter(emitter, self.policy.keep_bursts)
        self.tracker.finished.clear()  # a node runs for weeks: forget closed emitters
        now_s = decision.t_end_s
        p = self.policy
        if not state.confirmed:
            sig = REGISTRY.get(emitter.label)
            if sig is not None and sig.drone:  # a drone claim: the classify rule too, at the node's thresholds
                ok = drone_claim(emitter, _drone_log_odds(p.min_confidence), p.min_bursts).ok
            else:
                ok = (emitter.n_total >= p.min_bursts and emitter.n_accepted > 0
                      and self.tracker.confidence(emitter) >= p.min_confidence)
            if ok:
                state.confirmed = True
                state.last_event_s = now_s
                out.append(self._event("start", emitter, state, now_s))
        elif now_s - state.last_event_s >= p.update_interval_s or any(f.crc_ok for f in decision.droneid):
            state.last_event_s = now_s
            out.append(self._event("update", emitter, state, now_s))
        return out

    def expire(self, now_s: float, reason: str = "quiet") -> list[dict[str, Any]]:
        """``end`` events of confirmed emitters quiet for longer than ``quiet_s`` at stream time ``now_s``.

        ``reason`` (one of :data:`END_REASONS`) says why they were not heard.
        """
        return self._ended(self.tracker.expire(now_s), now_s, reason)

    def close(self, now_s: float | None = None, reason: str = "end of stream") -> list[dict[str, Any]]:
        """End of stream: ``end`` events (with ``reason``) for every confirmed emitter still open."""
        emitters = list(self.tracker.active.values())
        self.tracker.active = {}
        self.tracker.finished.clear()
        return self._ended(emitters, now_s, reason)

    def _ended(self, emitters: list[Emitter], now_s: float | None, reason: str) -> list[dict[str, Any]]:
        if reason not in END_REASONS:
            raise ValueError(f"not an end reason: {reason!r}")
        self.tracker.finished.clear()
        out = []
        for emitter in sorted(emitters, key=lambda e: e.t_end_s):
            state = self._states.pop(emitter.emitter_id, None)
            if state is not None and state.confirmed:
                t = emitter.t_end_s if now_s is None else max(emitter.t_end_s, now_s)
                out.append(self._event("end", emitter, state, t, reason))
        return out

    def _event(
        self, kind: str, emitter: Emitter, state: _State, now_s: float, reason: str | None = None
    ) -> dict[str, Any]:
        # Events are only emitted for emitters this engine confirmed (its own, stricter rule).
        record = emitter_summary(self.tracker, emitter, self.source_name, confirmed=True)
        self.events_emitted += 1
        return self.positions.apply({
            "event": kind,
            "time": iso_utc(self.utc_of(now_s)),
            "sensor_id": self.sensor_id,
            "center_freq_hz": state.center_freq_hz,
            **record,
            # an end says why it ended; the record's own reason is "ok" for every confirmed emitter
            **({"reason": reason} if reason is not None else {}),
            **self.extra,
            "report_id": f"{self._run_tag}:{self.events_emitted}",
        })


def find_emitter(engine: EventEngine, emitter_id: int) -> Emitter | None:
    """The active emitter with ``emitter_id`` (``None`` once it has ended)."""
    for emitter in engine.tracker.active.values():
        if emitter.emitter_id == emitter_id:
            return emitter
    return None
