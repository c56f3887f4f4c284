"""Positions of people in outputs: reported exactly, coarsened or redacted (``--report-positions``).

A decoded DroneID frame (:mod:`rfclassify.classify.droneid`) says where the
drone is, where it took off (often where someone lives) and where the pilot's
phone is: positions of people, personal data under the GDPR and similar laws.
:class:`PositionPolicy` decides how they leave rfclassify: ``exact``,
``redact`` (every such latitude and longitude becomes ``None``) or
``coarse:STEP`` (rounded to a multiple of STEP degrees; 0.01° is about 1.1 km
of latitude). Each output builder applies it once: ``classify`` records
(:func:`rfclassify.classify.recordings.classify_records`), node events and
thereby every event output, MQTT included (:class:`rfclassify.node.events.EventEngine`),
and the DroneID annotations of evidence files (:mod:`rfclassify.node.evidence`).
A record whose positions were changed says how in ``report_positions``.

The node's own ``sensor_lat``/``sensor_lon`` are its operator's configuration,
not a person's position, and are left as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rfclassify.options.kinds import Kind

#: The (latitude, longitude) keys that hold a position of a person or a drone, at the top of a
#: record or inside its ``droneid`` record.
POSITION_KEYS: tuple[tuple[str, str], ...] = (
    ("operator_lat", "operator_lon"),
    ("drone_lat", "drone_lon"),
    ("pilot_lat", "pilot_lon"),
    ("home_lat", "home_lon"),
)
MODES = ("exact", "redact", "coarse")


@dataclass(frozen=True)
class PositionPolicy:
    """How positions are reported: ``mode`` ``exact``, ``redact`` or ``coarse`` (to ``step_deg`` degrees)."""

    mode: str = "exact"
    step_deg: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"expected one of exact, redact, coarse:DEGREES, not {self.mode!r}")
        if (self.mode == "coarse") != (self.step_deg > 0) or not self.step_deg <= 90:
            raise ValueError("coarse takes a step of more than 0 and at most 90 degrees (coarse:0.01)")

    @classmethod
    def parse(cls, value: Any) -> PositionPolicy:
        """A policy from text (``exact``, ``redact``, ``coarse:0.01``) or a policy; ``ValueError`` if unusable."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise TypeError(f"expected exact, redact or coarse:DEGREES, not {value!r}")
        mode, _, step = value.strip().partition(":")
        if mode != "coarse":
            if step:
                raise ValueError(f"{mode} takes no step: {value!r}")
            return cls(mode)
        try:
            return cls(mode, float(step))
        except ValueError:
            raise ValueError(f"coarse takes a step in degrees of more than 0 and at most 90 (coarse:0.01), not {value!r}") from None

    def __str__(self) -> str:
        return f"coarse:{self.step_deg:g}" if self.mode == "coarse" else self.mode

    def _value(self, degrees: float | None) -> float | None:
        if degrees is None or self.mode == "redact":
            return None
        return round(round(degrees / self.step_deg) * self.step_deg, 9)

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with its positions (and those of its ``droneid`` record) as the policy says.

        ``exact`` returns ``record`` itself; otherwise a copy, marked with
        ``report_positions`` (the policy as text) where it held any position key.
        """
        if self.mode == "exact":
            return record
        out = dict(record)
        changed = False
        for keys in POSITION_KEYS:
            for key in keys:
                if key in out:
                    out[key] = self._value(out[key])
                    changed = True
        if isinstance(out.get("droneid"), dict):
            out["droneid"] = self.apply(out["droneid"])
            changed = True
        if changed:
            out["report_positions"] = str(self)
        return out


#: ``--report-positions``: ``exact`` (default), ``redact`` or ``coarse:DEGREES``.
POSITIONS = Kind("positions", PositionPolicy.parse, show=str, metavar="exact|redact|coarse:DEG")
