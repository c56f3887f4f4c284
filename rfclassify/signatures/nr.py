"""``nr``: 5G NR (FR1) downlink — SS/PBCH blocks and scheduled data, FDD or TDD — as a border sensor hears it.

Physical link, with the public source of every number (3GPP Release 15 texts):

* **Numerology** — TS 38.211 §4.2-4.3 and §5.3.1: subcarrier spacing
  15·2^µ kHz, 14 symbols per slot, 2^µ slots per 1 ms subframe, 10 ms frame;
  normal cyclic prefix 144·κ·2^−µ T_c plus 16·κ T_c on the first symbol of
  every 0.5 ms (κ = 64): at 2048 samples per symbol, 144 samples and 160
  (µ = 0) or 176 (µ = 1). Resource blocks of 12 subcarriers, a contiguous
  grid (no unused DC subcarrier).
* **Channel bandwidths** — TS 38.101-1 Table 5.3.2-1 (maximum transmission
  bandwidth N_RB): 15 kHz: 5/10/15/20/25/30/40/50 MHz → 25/52/79/106/133/
  160/216/270 RB; 30 kHz: 10/15/20/40/50/60/80/90/100 MHz → 24/38/51/106/
  133/162/217/245/273 RB. Per band: Table 5.3.5-1 (see ``_cellular_bands``).
* **SCS per band** — TS 38.101-1 Table 5.4.3.3-1 (SS block SCS): 15 kHz in
  the FDD bands below 3 GHz modelled here (n1, n2, n3, n5, n25, n28, n66,
  n71), 30 kHz in n41, n77, n78; data uses the same SCS (**assumption**: the
  common deployment).
* **SS/PBCH block** — TS 38.211 §7.4.3.1 (Table 7.4.3.1-1): 4 symbols × 240
  subcarriers (3.6 MHz at 15 kHz, 7.2 MHz at 30 kHz): PSS on subcarriers
  56…182 of symbol 0, PBCH on symbols 1 and 3 and on 0…47 / 192…239 of symbol
  2, SSS on 56…182 of symbol 2. PSS — §7.4.2.2: BPSK m-sequence of length 127
  (x(i+7) = x(i+4) + x(i)), shifted by 43·N_ID2; SSS — §7.4.2.3: product of two
  m-sequences from N_ID1 ∈ 0…335 and N_ID2. PBCH and its DM-RS are QPSK.
* **SSB burst set** — TS 38.213 §4.1: all SSBs in the first half-frame
  (5 ms) of a burst period; first symbols of the candidate SSBs: Case A
  (15 kHz) {2, 8} + 14·n, n = 0, 1 below 3 GHz (L_max = 4); Case C (30 kHz)
  {2, 8} + 14·n, n = 0…3 for unpaired spectrum above 2.4 GHz and for 3–6 GHz
  (L_max = 8). A UE assumes a 20 ms period for initial access (§4.1), the
  usual network setting (``ssb_period_s``; 5–160 ms allowed by TS 38.331
  ``ssb-periodicityServingCell``). How many of the L_max candidates are sent
  (beams) is an **assumption**: drawn 1…L_max, the first ones whose four
  symbols are downlink symbols of the TDD pattern.
* **SSB position** — on the RB grid (k_SSB = 0) somewhere inside the carrier
  (**assumption**: the sync raster of TS 38.101-1 §5.4.3 places it in steps
  of 1.2/1.44 MHz; here any RB offset with the block inside the carrier).
* **Data** — PDSCH on resource-block groups (TS 38.214 Table 5.1.2.2.1-1,
  configuration 1: 2/4/8/16 RBs for bandwidth parts of 1–36/37–72/73–144/
  145–275 RBs) scheduled per slot with probability ``load`` (**assumption**:
  uniform 0.05–0.95), QPSK/16/64/256-QAM (TS 38.211 §7.3.1.2) from the symbol
  after the CORESET to the slot's end; PDCCH in a CORESET on the slot's first
  1–2 symbols over the lowest 48 RBs (**assumption**), used with probability
  ``load``. No always-on reference signal (NR has no CRS): an idle NR cell
  sends only its SSBs.
* **TDD** — TS 38.213 §11.1 / TS 38.331 ``TDD-UL-DL-ConfigCommon`` patterns;
  the US n41/n77 deployments use DDDSU (2.5 ms) or DDDDDDDSUU (5 ms) at
  30 kHz, some DDSUU (**assumption**: drawn among these three); the special
  slot sends 10 downlink symbols (then 2 guard, 2 uplink: **assumption**,
  the common 10:2:2). The gNB is silent in U slots, so a TDD carrier is a
  train of bursts.
* **Bands** — :mod:`rfclassify.signatures._cellular_bands` (TS 38.101-1
  Table 5.2-1): the downlink halves of n71, n25, n66, n5, n2, n28, n1, n3 and
  the TDD bands n41, n77, n78. Channel raster 100 kHz (FDD) and 30 kHz
  (TDD, Table 5.4.2.3-1); carriers are placed where a receiver window sees
  them (dense bands: see the band module). Uplink is not modelled.

Builder parameters (``EmitRequest.params``), drawn when missing:
``bandwidth_hz`` (one of the band's channel bandwidths), ``ssb_period_s``
(default 0.02), ``n_ssb`` (SSBs per burst, 1…L_max), ``tdd_pattern``
(``"DDDSU"``, ``"DDDDDDDSUU"``, ``"DDSUU"``), ``cell_id`` (0…1007), ``load``,
``carrier_hz`` (the carrier centre).

A 40–100 MHz carrier is wider than most receivers: under a window only the
visible subcarriers are synthesized (``Burst.power_fraction`` is the share
kept).
"""

from __future__ import annotations

import functools

import numpy as np

from rfclassify.dsp.modulation import nr_pss, nr_sss, qam_byte_table
from rfclassify.signatures._cellular_bands import (
    NR_BANDS,
    operating_band,
    place_carrier,
    signature_bands,
)
from rfclassify.signatures._cellular_carrier import Carrier, render_downlink
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature

RB_SUBCARRIERS = 12
SSB_SUBCARRIERS = 240
SSB_SYMBOLS = 4
#: (SCS in Hz, channel bandwidth in Hz) → N_RB, TS 38.101-1 Table 5.3.2-1.
N_RB: dict[tuple[float, float], int] = {
    **{(15e3, bw * 1e6): n for bw, n in ((5, 25), (10, 52), (15, 79), (20, 106), (25, 133), (30, 160), (40, 216), (50, 270))},
    **{(30e3, bw * 1e6): n for bw, n in ((10, 24), (15, 38), (20, 51), (40, 106), (50, 133), (60, 162), (80, 217),
                                          (90, 245), (100, 273))},
}
#: FFT sizes a full carrier is synthesized at (natural rates nfft·SCS); the smallest one wide enough is used.
NFFT_SIZES = (256, 512, 768, 1024, 1536, 2048, 3072, 4096)
#: Bands with 30 kHz SCS (TS 38.101-1 Table 5.4.3.3-1); the others here use 15 kHz.
SCS_30K_BANDS = ("n41", "n77", "n78")
SSB_PERIOD_S = 20e-3
SSB_PERIODS_S = (5e-3, 10e-3, 20e-3, 40e-3, 80e-3, 160e-3)
TDD_PATTERNS = ("DDDSU", "DDDDDDDSUU", "DDSUU")
SPECIAL_DL_SYMBOLS = 10  # assumption: 10:2:2 special slot
CORESET_RB = 48  # assumption
LOAD_RANGE = (0.05, 0.95)  # assumption
#: Bits per symbol of the PDSCH modulations (TS 38.211 §7.3.1.2): QPSK, 16/64/256-QAM.
QAM_ORDERS = (2, 4, 6, 8)

BANDS: tuple[Band, ...] = signature_bands(NR_BANDS, uplink=False)


def ssb_first_symbols(scs_hz: float, carrier_hz: float, unpaired: bool) -> tuple[int, ...]:
    """First symbols (within the 5 ms half-frame) of the candidate SSBs, TS 38.213 §4.1 Cases A and C."""
    if scs_hz == 15e3:
        n = (0, 1) if carrier_hz <= 3e9 else (0, 1, 2, 3)
    else:
        threshold = 2.4e9 if unpaired else 3e9
        n = (0, 1) if carrier_hz <= threshold else (0, 1, 2, 3)
    return tuple(s + 14 * i for i in n for s in (2, 8))


def rbg_size(n_rb: int) -> int:
    """Nominal resource-block group size P, TS 38.214 Table 5.1.2.2.1-1 configuration 1."""
    return 2 if n_rb <= 36 else 4 if n_rb <= 72 else 8 if n_rb <= 144 else 16


@functools.lru_cache(maxsize=64)
def ssb_block(cell_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed part of one SS/PBCH block: (values, mask) of shape (4, 240) holding PSS and SSS.

    The PBCH resource elements (mask False, inside the block) get fresh QPSK per block; the two
    unused stretches of symbol 2 (subcarriers 48…55 and 183…191) and the PSS symbol's edges are
    zero and owned by the block (mask True).
    """
    n_id1, n_id2 = divmod(cell_id, 3)
    values = np.zeros((SSB_SYMBOLS, SSB_SUBCARRIERS), dtype=np.complex128)
    mask = np.zeros_like(values, dtype=bool)
    mask[0] = True
    values[0, 56:183] = nr_pss(n_id2)
    mask[2, 48:192] = True
    values[2, 56:183] = nr_sss(n_id1, n_id2)
    return values, mask


def _symbols_on(pattern: str | None, mu: int, n_frames: int) -> np.ndarray:
    """Downlink symbols of ``n_frames`` frames: all (FDD) or the D slots and the special slot's first symbols."""
    n_sym = 140 * 2**mu * n_frames
    if pattern is None:
        return np.ones(n_sym, dtype=bool)
    slot = np.zeros((len(pattern), 14), dtype=bool)
    for i, kind in enumerate(pattern):
        if kind == "D":
            slot[i] = True
        elif kind == "S":
            slot[i, :SPECIAL_DL_SYMBOLS] = True
    period = slot.reshape(-1)
    return np.tile(period, -(-n_sym // len(period)))[:n_sym]


def _build(req: EmitRequest) -> list[Burst]:
    op, _ = operating_band(NR_BANDS, req.band)
    scs = 30e3 if op.name in SCS_30K_BANDS else 15e3
    mu = 1 if scs == 30e3 else 0
    choices = tuple(bw for bw in op.bandwidths_hz if (scs, bw) in N_RB)
    bw_hz = float(req.params.get("bandwidth_hz", choices[int(req.rng.integers(len(choices)))]))
    if (scs, bw_hz) not in N_RB:
        raise ValueError(f"nr: no {bw_hz / 1e6:g} MHz channel at {scs / 1e3:g} kHz in TS 38.101-1 Table 5.3.2-1")
    n_rb = N_RB[(scs, bw_hz)]
    n_sc = RB_SUBCARRIERS * n_rb
    nfft_full = next(n for n in NFFT_SIZES if n * scs >= bw_hz)
    occupied_hz = n_sc * scs
    fc = place_carrier(req.rng, op.dl_hz, bw_hz, occupied_hz, op.raster_hz, req.window_hz, (), req.params.get("carrier_hz"))
    # The channel's RF reference is subcarrier n_sc/2 (TS 38.104 §5.4.2.2): column c sits (c − n_sc/2)·SCS away.
    f_lo = fc - (n_sc / 2 + 0.5) * scs
    carrier = Carrier(fc, f_lo, f_lo + occupied_hz, np.arange(n_sc) - n_sc // 2, mu, nfft_full)
    unpaired = op.duplex == "TDD"
    pattern = str(req.params.get("tdd_pattern", TDD_PATTERNS[int(req.rng.integers(len(TDD_PATTERNS)))])) if unpaired else None
    if pattern is not None and (not pattern or set(pattern) - set("DSU")):
        raise ValueError(f"nr: tdd_pattern {pattern!r} is not a pattern of D, S and U slots")
    period_s = float(req.params.get("ssb_period_s", SSB_PERIOD_S))
    if not any(abs(period_s - p) < 1e-9 for p in SSB_PERIODS_S):
        raise ValueError(f"nr: ssb_period_s {period_s} not one of {SSB_PERIODS_S}")
    # Candidate SSBs whose four symbols are all downlink under the TDD pattern (the gNB sends no others).
    downlink = _symbols_on(pattern, mu, 1)
    first = tuple(s for s in ssb_first_symbols(scs, fc, unpaired) if downlink[s : s + SSB_SYMBOLS].all())
    n_ssb = int(req.params.get("n_ssb", req.rng.integers(1, len(first) + 1)))
    if not 1 <= n_ssb <= len(first):
        raise ValueError(f"nr: n_ssb {n_ssb} not in 1…{len(first)} (the candidates of TS 38.213 §4.1 on downlink symbols)")
    ssb_rb = int(req.rng.integers(0, n_rb - SSB_SUBCARRIERS // RB_SUBCARRIERS + 1))
    cell_id = int(req.params.get("cell_id", req.rng.integers(0, 1008)))
    load = float(req.params.get("load", req.rng.uniform(*LOAD_RANGE)))
    coreset_symbols = int(req.rng.integers(1, 3))
    frames_per_period = max(1, round(period_s / 10e-3))
    phase = int(req.rng.integers(0, frames_per_period))  # which built frame carries the first burst
    meta = {"direction": "downlink", "duplex": op.duplex, "bandwidth_hz": bw_hz, "scs_hz": scs, "n_rb": n_rb,
            "cell_id": cell_id, "load": load, "carrier_hz": fc, "ssb_period_s": period_s, "n_ssb": n_ssb,
            # SS_REF, the block's subcarrier 120 (TS 38.101-1 §5.4.3.1)
            "ssb_hz": fc + (ssb_rb * RB_SUBCARRIERS + SSB_SUBCARRIERS // 2 - n_sc // 2) * scs}
    if pattern is not None:
        meta["tdd_pattern"] = pattern
    ssb_values, ssb_mask = ssb_block(cell_id)
    slot_symbols = 14
    n_sym = 140 * 2**mu
    p = rbg_size(n_rb)
    n_slots = n_sym // slot_symbols
    # SSB bursts every ``period_s``: in 5 ms periods, every half-frame; else in the first half of some frames.
    half_frame_syms = n_sym // 2
    ssb_starts_in_frame = list(first[:n_ssb])
    if period_s < 10e-3:
        ssb_starts_in_frame += [s + half_frame_syms for s in first[:n_ssb]]

    def frame_grid(frame: int, cols: np.ndarray) -> np.ndarray:
        rb = cols // RB_SUBCARRIERS
        sched = req.rng.random((n_slots, -(-n_rb // p))) < load
        kind = req.rng.integers(0, len(QAM_ORDERS), (n_slots, -(-n_rb // p)), dtype=np.int8)
        on = np.repeat(sched, slot_symbols, axis=0)[:, rb // p]
        order = np.repeat(kind, slot_symbols, axis=0)[:, rb // p]
        in_slot = np.arange(n_sym) % slot_symbols
        ctrl_rows = in_slot < coreset_symbols
        ctrl = req.rng.random((int(ctrl_rows.sum()), -(-min(n_rb, CORESET_RB) // 6))) < load
        on[ctrl_rows] = np.where(rb < CORESET_RB, ctrl[:, np.minimum(rb, CORESET_RB - 1) // 6], False)
        order[ctrl_rows] = 0
        if (frame - phase) % frames_per_period == 0:
            block_cols = cols - ssb_rb * RB_SUBCARRIERS
            inside = (block_cols >= 0) & (block_cols < SSB_SUBCARRIERS)
            for s in ssb_starts_in_frame:
                rows = slice(s, s + SSB_SYMBOLS)
                on[rows, inside] = True
                order[rows, inside] = 0
        data = qam_byte_table(QAM_ORDERS)[order, req.rng.integers(0, 256, on.shape, dtype=np.uint8)]
        grid = np.where(on, data, 0.0)
        if (frame - phase) % frames_per_period == 0 and inside.any():
            bc = block_cols[inside]
            for s in ssb_starts_in_frame:
                block = grid[s : s + SSB_SYMBOLS, inside]
                owned = ssb_mask[:, bc]
                block[owned] = ssb_values[:, bc][owned]
                grid[s : s + SSB_SYMBOLS, inside] = block
        return grid

    return render_downlink(req, carrier, frame_grid, lambda n: _symbols_on(pattern, mu, n), meta)


SIGNATURE = Signature(
    label="nr",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="OFDM downlink (15/30 kHz, normal CP, QPSK-256QAM) with SS/PBCH blocks (PSS/SSS m-sequences)",
    bandwidth_hz=18.0e6,
    timing={
        "continuous": True,
        "subcarrier_spacings_hz": (15e3, 30e3),
        "symbol_15khz_s": 1 / 15e3,
        "symbol_30khz_s": 1 / 30e3,
        "slot_15khz_s": 1e-3,
        "slot_30khz_s": 0.5e-3,
        "frame_s": 10e-3,
        "ssb_period_s": SSB_PERIOD_S,
        "ssb_subcarriers": SSB_SUBCARRIERS,
        "ssb_symbols": SSB_SYMBOLS,
        "ssb_bandwidths_hz": (SSB_SUBCARRIERS * 15e3, SSB_SUBCARRIERS * 30e3),
        "tdd_patterns": TDD_PATTERNS,
    },
    builder=_build,
    description=(
        "5G NR downlink: SS/PBCH blocks (240 subcarriers x 4 symbols, every 20 ms) and scheduled data on "
        "5-100 MHz carriers, FDD (n71/n25/n66/n5/n2...) or TDD (n41/n77/n78 DDDSU...)."
    ),
    sources=(
        ("3GPP TS 38.211 §4, §5.3.1 (numerology, CP), §7.3.1.2 (modulation), §7.4.2.2-7.4.2.3 (PSS/SSS), "
        "§7.4.3.1 (SS/PBCH block)"),
        "3GPP TS 38.213 §4.1 (SSB candidates and periodicity), §11.1 (slot configuration)",
        ("3GPP TS 38.101-1 Table 5.2-1 (bands), 5.3.2-1 (N_RB), 5.3.5-1 (bandwidths per band), 5.4.2.3-1 (raster), "
        "5.4.3.3-1 (SSB SCS)"),
        "3GPP TS 38.214 Table 5.1.2.2.1-1 (RBG size); TS 38.331 ssb-periodicityServingCell, TDD-UL-DL-ConfigCommon",
        "FCC 47 CFR Part 27 (600 MHz, AWS, BRS/EBS, C-band), Part 96 (CBRS) band plans",
    ),
    order=14,
)
