"""Centre frequency, sample rate and start time read from a recording's file name.

Raw IQ carries no header, so recorders put the tuning in the name. The rules,
applied to the name without its extension(s), split at ``_`` (and spaces):

1. **Tokens with a unit** (SDR#, SDR++, HDSDR, SDR-Console): ``915000000Hz``,
   ``915MHz``, ``915000kHz``, ``2.4GHz`` — the first is the centre frequency.
   ``2400000sps``, ``2.4Msps``, ``2400ksps`` — the first is the sample rate.
   Examples: SDR#'s baseband recorder writes
   ``SDRSharp_20230101_120000Z_915000000Hz_IQ.wav``, SDR++'s
   ``baseband_915000000Hz_12-00-00_01-01-2023.wav``, HDSDR's
   ``HDSDR_20230101_120000Z_915000kHz_RF.wav``.
2. **rtl_433 tokens** (``rtl_433 -S all`` / ``-w`` names such as
   ``g001_433.92M_250k.cu8``, documented in rtl_433's ``docs/IQ_FORMATS.md``
   and used throughout the rtl_433_tests corpus): a bare number with an SI
   suffix and no unit. If rule 1 gave no centre, the first token with an ``M``
   or ``G`` suffix whose value is a plausible RF frequency (1 MHz – 100 GHz)
   is the centre. If rule 1 gave no rate, the first *other* token with a
   ``k`` or ``M`` suffix and a plausible rate (1 kHz – 1 GHz) is the rate. So
   ``g001_915M_2400k`` → 915 MHz at 2.4 MS/s, and ``x_915M_2.4M`` → 915 MHz
   at 2.4 MS/s (the first ``M`` token is the centre, the second the rate).
3. **gqrx** raw recordings, ``gqrx_YYYYMMDD_HHMMSS_FREQ_RATE_fc.raw``: plain
   integers in Hz after the date and time, complex float32 (gqrx's
   ``src/applications/gqrx/mainwindow.cpp`` builds this name).
4. **Start time**: ``YYYYMMDD_HHMMSSZ`` (the ``Z`` marks UTC, as SDR# and
   HDSDR write it). Names without an explicit UTC marker give no time.

Whatever the user gives with ``--rate`` / ``--freq`` overrides the name
(:func:`resolve_rate_freq`); when neither says, the error asks for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePath

from rfclassify.errors import InputError
from rfclassify.sources.limits import check_freq, check_rate

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_NUM = r"(\d+(?:\.\d+)?)"
_HZ_RE = re.compile(rf"^{_NUM}([kKMG]?)[Hh][Zz]$")
_SPS_RE = re.compile(rf"^{_NUM}([kKMG]?)(?:sps|SPS|Sps|S/s)$")
_BARE_RE = re.compile(rf"^{_NUM}([kKMG])$")
_UTC_RE = re.compile(r"(?:^|_)(\d{8})_(\d{6})Z(?:_|$)")
_GQRX_RE = re.compile(r"^gqrx_(\d{8})_(\d{6})_(\d+)_(\d+)_fc$")

_FREQ_RANGE_HZ = (1e6, 100e9)
_RATE_RANGE_HZ = (1e3, 1e9)

# Extensions stripped before splitting (longest first, so ".sigmf-meta" goes whole).
_KNOWN_EXTS = (
    ".sigmf-meta", ".sigmf-data", ".sigmf", ".complex16s", ".complex16u", ".complex32s",
    ".cu8", ".cs8", ".cs16", ".cf32", ".cfile", ".fc32", ".wav", ".raw", ".bin", ".dat",
    ".iq", ".data", ".cu16", ".cs32", ".cf64",
)


@dataclass(frozen=True)
class NameHints:
    """What a file name says: centre frequency (Hz), sample rate (Hz), UTC start, datatype."""

    center_freq_hz: float | None = None
    sample_rate_hz: float | None = None
    datetime_utc: datetime | None = None
    format: str | None = None


def _stem(name: str) -> str:
    base = PurePath(name).name
    for ext in _KNOWN_EXTS:
        if base.lower().endswith(ext):
            return base[: -len(ext)]
    # Any other extension starts with a letter; ".92M_250k" in "433.92M_250k" does not.
    return re.sub(r"\.[A-Za-z][A-Za-z0-9-]*$", "", base)


def parse_name(name: str) -> NameHints:
    """Read centre frequency, sample rate and UTC start time from a file name (see module rules)."""
    stem = _stem(name)
    when = None
    m = _UTC_RE.search(stem)
    if m:
        try:
            when = datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            when = None

    g = _GQRX_RE.match(stem)
    if g:
        return NameHints(float(g.group(3)), float(g.group(4)), None, "cf32_le")

    tokens = [t for t in re.split(r"[_\s]+", stem) if t]
    center = rate = None
    for tok in tokens:
        hz = _HZ_RE.match(tok)
        if hz and center is None:
            center = float(hz.group(1)) * _SI[hz.group(2)]
        sps = _SPS_RE.match(tok)
        if sps and rate is None:
            rate = float(sps.group(1)) * _SI[sps.group(2)]

    center_token = None
    if center is None:
        for i, tok in enumerate(tokens):
            b = _BARE_RE.match(tok)
            if b and b.group(2) in "MG":
                value = float(b.group(1)) * _SI[b.group(2)]
                if _FREQ_RANGE_HZ[0] <= value <= _FREQ_RANGE_HZ[1]:
                    center, center_token = value, i
                    break
    if rate is None:
        for i, tok in enumerate(tokens):
            b = _BARE_RE.match(tok)
            if i == center_token or not b or b.group(2) not in "kKM":
                continue
            value = float(b.group(1)) * _SI[b.group(2)]
            if _RATE_RANGE_HZ[0] <= value <= _RATE_RANGE_HZ[1]:
                rate = value
                break
    return NameHints(center, rate, when, None)


def resolve_rate_freq(
    path: object,
    *,
    rate_hz: float | None,
    freq_hz: float | None,
    header_rate_hz: float | None = None,
    header_freq_hz: float | None = None,
    need_rate: bool = True,
) -> tuple[float, float, NameHints]:
    """Sample rate and centre frequency by precedence: override > file header > file name.

    Raises :class:`InputError` naming ``path`` and asking for ``--rate`` /
    ``--freq`` when none of them says.
    """
    hints = parse_name(str(path))
    rate = rate_hz if rate_hz is not None else header_rate_hz
    rate = rate if rate is not None else hints.sample_rate_hz
    freq = freq_hz if freq_hz is not None else header_freq_hz
    freq = freq if freq is not None else hints.center_freq_hz
    missing = []
    if rate is None and need_rate:
        missing.append("sample rate (--rate 2400k)")
    if freq is None:
        missing.append("centre frequency (--freq 915M)")
    if missing:
        raise InputError(
            path,
            "unknown " + " and ".join(missing)
            + "; give them on the command line or name the file like g001_915M_2400k.cu8",
        )
    if rate is not None:
        check_rate(path, rate)
    check_freq(path, freq)
    return float(rate or 0.0), float(freq), hints  # type: ignore[arg-type]
