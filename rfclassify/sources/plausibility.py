"""Do a recording's first samples look like its declared sample format?

A raw file read with the wrong ``--format`` decodes without error into
nonsense: ``cu8`` bytes read as ``cf32`` are floats of 1e37 or NaN, and the
analysis then overflows and finds nothing. :func:`judge_first_block` looks at
the first block's components (as stored, before scaling) and says either
that they cannot be samples of that format (an error: the caller refuses the
file) or that they are merely unusual (a warning).

Signs it checks, by component type:

- float (``cf32``, ``cf64``): NaN or infinite values; magnitudes above
  :data:`ABSURD_MAGNITUDE` (no receiver's float output is that large; an
  integer file read as float gives 1e37 and 1e-39);
- 8- and 16-bit integers: the bytes read as little-endian float32 give
  ordinary magnitudes (1e-9 to 1e6) nearly everywhere, which integer IQ
  noise never does (a ``cf32`` file read as ``cu8``/``cs16``); more than half
  of the components at full scale (an overloaded receiver, or ``cu8`` read
  as ``cs8`` or the reverse: a warning only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest plausible magnitude of a float sample (full scale is 1.0; some tools store raw ADC counts).
ABSURD_MAGNITUDE = 1e6
#: Components examined: enough for firm fractions, cheap at open time.
FIRST_BLOCK_COMPONENTS = 1 << 16
_FLOATLIKE_FRACTION = 0.95
_FULL_SCALE_FRACTION = 0.5


@dataclass(frozen=True)
class Verdict:
    """``error``: the data cannot be this format; ``warning``: it can, but looks wrong."""

    error: str | None = None
    warning: str | None = None


def _looks_like_float32(components: np.ndarray) -> bool:
    raw = np.ascontiguousarray(components).view(np.uint8)
    raw = raw[: raw.size - raw.size % 4]
    if raw.size < 64:
        return False
    with np.errstate(all="ignore"):
        words = np.abs(raw.view("<f4").astype(np.float64))
        ordinary = np.isfinite(words) & (words > 1e-9) & (words < ABSURD_MAGNITUDE)
    return bool(ordinary.mean() >= _FLOATLIKE_FRACTION)


def judge_first_block(components: np.ndarray, format_name: str) -> Verdict:
    """Judge the first block's stored components (any length; only the first 64 Ki are read)."""
    x = np.asarray(components)[:FIRST_BLOCK_COMPONENTS]
    if x.size == 0:
        return Verdict()
    kind = x.dtype.kind
    if kind == "f":
        with np.errstate(all="ignore"):
            values = x.astype(np.float64)
            finite = np.isfinite(values)
            bad = int((~finite).sum())
            if bad:
                return Verdict(error=f"{bad} of the first {x.size} values are NaN or infinite: "
                                     f"these are not {format_name} samples")
            peak = float(np.max(np.abs(values)))
        if peak > ABSURD_MAGNITUDE:
            return Verdict(error=f"values reach {peak:.3g} (full scale is 1): these are not "
                                 f"{format_name} samples")
        return Verdict()
    if kind in "iu" and x.dtype.itemsize <= 2:
        if _looks_like_float32(x):
            return Verdict(error=f"the bytes look like float32 samples (cf32), not {format_name}")
        info = np.iinfo(x.dtype)
        mid = (int(info.max) + int(info.min) + 1) / 2.0
        half = (int(info.max) - int(info.min) + 1) / 2.0
        at_full_scale = np.abs(x.astype(np.float64) - mid) >= 0.9 * half
        if at_full_scale.mean() > _FULL_SCALE_FRACTION:
            other = {"cu8": "cs8", "ci8": "cu8"}.get(format_name)
            hint = f", or a {other} file read as {format_name}" if other else ""
            return Verdict(warning=f"{100 * at_full_scale.mean():.0f} % of the first samples are at "
                                   f"full scale: an overloaded receiver{hint}?")
    return Verdict()


def zero_unusable(samples: np.ndarray) -> int:
    """Set decoded samples that are NaN, infinite or absurdly large to 0 in place; return how many.

    Float recordings only: such values would make every later sum NaN or overflow.
    """
    with np.errstate(all="ignore"):
        bad = ~np.isfinite(samples) | (np.abs(samples) > ABSURD_MAGNITUDE)
    count = int(bad.sum())
    if count:
        samples[bad] = 0
    return count
