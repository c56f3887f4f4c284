"""Band scanning: one narrow receiver dwelling on successive centres to cover a wider band.

Like ``rtl_power`` (osmocom rtl-sdr, ``src/rtl_power.c``: a range
``-f lower:upper`` is cut into hops no wider than the usable part of the
sample rate, and the tuner steps through them), ``--scan 902M:928M`` at
2.4 MS/s becomes centres spaced by at most ``usable_fraction`` × rate, so
that the band edges fall inside the flat part of the RTL2832's decimation
filter and the hops overlap a little; ``--scan 903.5M,915M,926.9M`` lists
the centres explicitly. The receiver dwells ``--dwell`` seconds of samples
on each (counted from the first sample that arrives after the retune, so
the tuner's settling time is not counted as dwell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rfclassify.units import parse_frequency

USABLE_FRACTION = 0.8


def scan_centres(spec: str, sample_rate_hz: float, usable_fraction: float = USABLE_FRACTION) -> list[float]:
    """Centre frequencies (Hz) for ``LO:HI`` (a band) or ``F1,F2,…`` (explicit centres).

    Raises ``ValueError`` with a one-line message for malformed specs.
    """
    text = spec.strip()
    if not text:
        raise ValueError("empty scan spec (examples: 902M:928M, 903.5M,915M,926.9M)")
    if ":" in text:
        lo_text, _, hi_text = text.partition(":")
        lo, hi = parse_frequency(lo_text), parse_frequency(hi_text)
        if not 0 < lo < hi:
            raise ValueError(f"scan band must be LO:HI with 0 < LO < HI, not {spec!r}")
        step_max = usable_fraction * sample_rate_hz
        n = max(1, math.ceil((hi - lo) / step_max))
        step = (hi - lo) / n
        return [lo + step * (i + 0.5) for i in range(n)]
    centres = [parse_frequency(part) for part in text.split(",") if part.strip()]
    if not centres or any(c <= 0 for c in centres):
        raise ValueError(f"scan centres must be positive frequencies, not {spec!r}")
    return centres


@dataclass
class Scanner:
    """Decides when to retune: after ``dwell_s`` seconds of samples at the current centre.

    Feed it each block's centre frequency, rate and length with
    :meth:`advance`; it returns the next centre when the dwell is over.
    """

    centres: list[float]
    dwell_s: float
    index: int = 0
    _dwelled: int = field(default=0, init=False)
    visits: list[float] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if not self.centres:
            raise ValueError("a scan needs at least one centre")
        if not self.dwell_s > 0:
            raise ValueError(f"dwell must be positive, not {self.dwell_s}")

    @property
    def current_hz(self) -> float:
        """The centre the receiver should be on now."""
        return self.centres[self.index]

    def advance(self, center_freq_hz: float, sample_rate_hz: float, num_samples: int) -> float | None:
        """Count a block; return the next centre to tune to when the dwell is complete, else ``None``."""
        if len(self.centres) == 1 or center_freq_hz != self.current_hz:
            return None  # blocks still from before the last retune do not count
        if not self.visits or self._dwelled == 0:
            self.visits.append(center_freq_hz)
        self._dwelled += num_samples
        if self._dwelled < self.dwell_s * sample_rate_hz:
            return None
        self._dwelled = 0
        self.index = (self.index + 1) % len(self.centres)
        return self.current_hz
