"""Cellular operating bands (E-UTRA and NR) and carrier placement: the one place the cellular band plan lives.

Not a signature module (its name starts with ``_``): :mod:`~rfclassify.signatures.lte` and
:mod:`~rfclassify.signatures.nr` build their :class:`~rfclassify.signatures.base.Band` lists from it.

Sources of every number:

* **E-UTRA operating bands** — 3GPP TS 36.101 Table 5.5-1 (uplink and downlink
  edges, duplex mode); channel bandwidths per band — TS 36.101 Table 5.6.1-1;
  channel raster 100 kHz (EARFCN, TS 36.101 §5.7.2: F_DL = F_DL_low +
  0.1·(N_DL − N_Offs-DL) MHz).
* **NR operating bands** — 3GPP TS 38.101-1 Table 5.2-1; channel bandwidths per
  band and SCS — TS 38.101-1 Table 5.3.5-1; channel raster — TS 38.101-1
  Table 5.4.2.3-1 (100 kHz for the FDD bands listed, 15/30 kHz for n41, n77,
  n78).
* **Which bands a border sensor hears** (ITU Region 2, US and Mexico): FCC 47
  CFR Part 27 (700 MHz B12/13/14/17, AWS B4/66, WCS B30, BRS/EBS B41, 600 MHz
  B71), Part 22 (cellular 850, B5/B26), Part 24 (PCS 1900, B2/B25), Part 96
  (CBRS, inside n77/n78), Part 15 subpart E (U-NII at 5 GHz, LAA B46);
  Mexico: IFT's 700 MHz APT plan (B28, Red Compartida) and AWS/PCS/850 as in
  the US; n77/n78 C-band (FCC Part 27 subpart O, 3.7–3.98 GHz). Region 1/3
  bands (B1, B3, B7, B8, B20, B38, B40) are included because recordings come
  from everywhere (the measured false alarms were B3, B40 and B20 downlinks).
* **LAA channels** — TS 36.101 §5.7.4 (B46 channels on the 5 GHz 20 MHz
  grid); in the US the U-NII-1 and U-NII-3 20 MHz channels 36–48 (5180–5240
  MHz) and 149–165 (5745–5825 MHz), IEEE 802.11-2020 Annex E channel centres
  5000 + 5·n MHz.

Assumption: cellular downlink bands are densely occupied (several operators'
carriers side by side), so a carrier is placed where a receiver looking at the
band sees it (:func:`place_carrier`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.signatures.base import Band

MHZ = 1e6
#: Suffixes of the signature bands made from an operating band (see :func:`signature_bands`).
DL, UL = "DL", "UL"


@dataclass(frozen=True)
class OperatingBand:
    """One 3GPP operating band: ``duplex`` is ``"FDD"``, ``"TDD"`` or ``"LAA"`` (licence-assisted, DL only).

    Edges in Hz; ``ul_hz`` is ``None`` for unpaired bands (TDD: ``dl_hz`` is the band).
    ``bandwidths_hz`` are the channel bandwidths the band allows; ``raster_hz`` is its channel raster.
    """

    name: str
    duplex: str
    dl_hz: tuple[float, float]
    ul_hz: tuple[float, float] | None
    bandwidths_hz: tuple[float, ...]
    raster_hz: float = 100e3
    region: str = "2"
    channels_hz: tuple[float, ...] = ()


def _fdd(name: str, ul: tuple[float, float], dl: tuple[float, float], bws: tuple[float, ...], region: str = "2") -> OperatingBand:
    return OperatingBand(name, "FDD", (dl[0] * MHZ, dl[1] * MHZ), (ul[0] * MHZ, ul[1] * MHZ), tuple(b * MHZ for b in bws), region=region)


def _tdd(name: str, edges: tuple[float, float], bws: tuple[float, ...], raster_hz: float = 100e3, region: str = "2") -> OperatingBand:
    return OperatingBand(name, "TDD", (edges[0] * MHZ, edges[1] * MHZ), None, tuple(b * MHZ for b in bws), raster_hz, region)


_LTE_ALL = (1.4, 3, 5, 10, 15, 20)
_LTE_5UP = (5, 10, 15, 20)
#: U-NII-1 (36–48) and U-NII-3 (149–165) 20 MHz channel centres, Hz.
LAA_CHANNELS_HZ: tuple[float, ...] = tuple((5000 + 5 * n) * MHZ for n in (36, 40, 44, 48, 149, 153, 157, 161, 165))

#: E-UTRA operating bands, TS 36.101 Table 5.5-1 and Table 5.6.1-1; Region 2 bands first.
LTE_BANDS: tuple[OperatingBand, ...] = (
    _fdd("B2", (1850, 1910), (1930, 1990), _LTE_ALL),
    _fdd("B4", (1710, 1755), (2110, 2155), _LTE_ALL),
    _fdd("B5", (824, 849), (869, 894), (1.4, 3, 5, 10)),
    _fdd("B12", (699, 716), (729, 746), (1.4, 3, 5, 10)),
    _fdd("B13", (777, 787), (746, 756), (5, 10)),
    _fdd("B14", (788, 798), (758, 768), (5, 10)),
    _fdd("B17", (704, 716), (734, 746), (5, 10)),
    _fdd("B25", (1850, 1915), (1930, 1995), _LTE_ALL),
    _fdd("B26", (814, 849), (859, 894), (1.4, 3, 5, 10, 15)),
    _fdd("B28", (703, 748), (758, 803), (3, 5, 10, 15, 20)),
    _tdd("B41", (2496, 2690), _LTE_5UP),
    _fdd("B66", (1710, 1780), (2110, 2200), _LTE_ALL),
    _fdd("B71", (663, 698), (617, 652), _LTE_5UP),
    _fdd("B7", (2500, 2570), (2620, 2690), _LTE_5UP),
    _fdd("B30", (2305, 2315), (2350, 2360), (5, 10)),
    _fdd("B1", (1920, 1980), (2110, 2170), _LTE_5UP, region="1/3"),
    _fdd("B3", (1710, 1785), (1805, 1880), _LTE_ALL, region="1/3"),
    _fdd("B8", (880, 915), (925, 960), (1.4, 3, 5, 10), region="1/3"),
    _fdd("B20", (832, 862), (791, 821), _LTE_5UP, region="1/3"),
    _tdd("B38", (2570, 2620), _LTE_5UP, region="1/3"),
    _tdd("B40", (2300, 2400), _LTE_5UP, region="1/3"),
    OperatingBand("B46", "LAA", (5150 * MHZ, 5925 * MHZ), None, (20 * MHZ,), channels_hz=LAA_CHANNELS_HZ),
)

_NR15_FDD = (5, 10, 15, 20)
#: NR FR1 operating bands, TS 38.101-1 Table 5.2-1 and Table 5.3.5-1 (bandwidths at the band's SCS).
NR_BANDS: tuple[OperatingBand, ...] = (
    _fdd("n71", (663, 698), (617, 652), _NR15_FDD),
    _fdd("n25", (1850, 1915), (1930, 1995), (5, 10, 15, 20, 25, 30, 40)),
    _fdd("n66", (1710, 1780), (2110, 2200), (5, 10, 15, 20, 25, 30, 40)),
    _fdd("n5", (824, 849), (869, 894), _NR15_FDD),
    _fdd("n2", (1850, 1910), (1930, 1990), _NR15_FDD),
    _fdd("n28", (703, 748), (758, 803), (5, 10, 15, 20, 30)),
    _tdd("n41", (2496, 2690), (10, 15, 20, 40, 50, 60, 80, 90, 100), raster_hz=30e3),
    _tdd("n77", (3300, 4200), (10, 15, 20, 40, 50, 60, 80, 90, 100), raster_hz=30e3),
    _tdd("n78", (3300, 3800), (10, 15, 20, 40, 50, 60, 80, 90, 100), raster_hz=30e3),
    _fdd("n1", (1920, 1980), (2110, 2170), (5, 10, 15, 20), region="1/3"),
    _fdd("n3", (1710, 1785), (1805, 1880), (5, 10, 15, 20, 25, 30), region="1/3"),
)


def signature_bands(bands: tuple[OperatingBand, ...], uplink: bool = True) -> tuple[Band, ...]:
    """Signature bands of operating bands: ``"<name> DL"`` and ``"<name> UL"`` halves of FDD bands, TDD/LAA whole.

    ``uplink=False`` leaves out the FDD uplink halves (a class modelled as downlink only).
    """
    out: list[Band] = []
    for op in bands:
        if op.duplex == "FDD":
            out.append(Band(f"{op.name} {DL}", op.dl_hz[0], op.dl_hz[1], op.channels_hz))
            if uplink and op.ul_hz is not None:
                out.append(Band(f"{op.name} {UL}", op.ul_hz[0], op.ul_hz[1], op.channels_hz))
        else:
            out.append(Band(op.name, op.dl_hz[0], op.dl_hz[1], op.channels_hz))
    return tuple(out)


def operating_band(bands: tuple[OperatingBand, ...], band: Band) -> tuple[OperatingBand, str | None]:
    """The operating band a signature band belongs to, and its half (:data:`DL`, :data:`UL`, or ``None`` if unpaired)."""
    name, _, half = band.name.partition(" ")
    for op in bands:
        if op.name == name:
            return op, (half or None) if op.duplex == "FDD" else None
    raise KeyError(f"no operating band {name!r}; known: {[op.name for op in bands]}")


def place_carrier(
    rng: np.random.Generator,
    edges_hz: tuple[float, float],
    channel_bw_hz: float,
    occupied_hz: float,
    raster_hz: float,
    window_hz: tuple[float, float] | None,
    channels_hz: tuple[float, ...] = (),
    requested_hz: float | None = None,
) -> float:
    """Centre (Hz) of a carrier ``channel_bw_hz`` wide inside ``edges_hz``, on the channel raster.

    ``requested_hz`` (a builder's ``carrier_hz`` parameter) is returned as given if the channel fits
    in the band (``ValueError`` otherwise).

    With ``channels_hz`` the centre is one of those channels. Under a receiver window the centre is
    drawn among the carriers whose occupied bandwidth holds the window's centre (dense downlink
    bands: see the module docstring), else among those that overlap the window (a receiver tuned
    beside the band sees the edge of its nearest carrier), else among all (out of view).
    """
    if requested_hz is not None:
        if not edges_hz[0] <= requested_hz - channel_bw_hz / 2 and requested_hz + channel_bw_hz / 2 <= edges_hz[1]:
            raise ValueError(f"a {channel_bw_hz / 1e6:g} MHz carrier at {requested_hz / 1e6:g} MHz is not inside "
                             f"{edges_hz[0] / 1e6:g}-{edges_hz[1] / 1e6:g} MHz")
        return float(requested_hz)
    if channels_hz:
        centres = np.asarray(channels_hz, dtype=np.float64)
    else:
        lo = np.ceil((edges_hz[0] + channel_bw_hz / 2) / raster_hz - 1e-9)
        hi = np.floor((edges_hz[1] - channel_bw_hz / 2) / raster_hz + 1e-9)
        if hi < lo:  # a channel wider than the band: centre it
            return float(np.round(0.5 * (edges_hz[0] + edges_hz[1]) / raster_hz) * raster_hz)
        centres = np.arange(int(lo), int(hi) + 1, dtype=np.float64) * raster_hz
    if window_hz is not None:
        half = 0.5 * occupied_hz
        middle = 0.5 * (window_hz[0] + window_hz[1])
        for seen in (np.abs(centres - middle) < half,
                     (centres + 0.9 * half > window_hz[0]) & (centres - 0.9 * half < window_hz[1])):
            if seen.any():
                centres = centres[seen]
                break
    return float(centres[int(rng.integers(len(centres)))])
