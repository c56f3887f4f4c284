"""``lte``: LTE (E-UTRA) downlink — FDD, TDD and LAA — and uplink SC-FDMA bursts, as a border sensor hears them.

Physical link, with the public source of every number (3GPP Release 15 texts):

* **Numerology** — TS 36.211 §6.2.3 and Table 6.12-1 (normal cyclic prefix):
  15 kHz subcarrier spacing, useful symbol 1/15 kHz = 66.67 µs, 7 symbols per
  0.5 ms slot, cyclic prefix 160 samples (5.21 µs) on the first and 144
  samples (4.69 µs) on the other six symbols at 30.72 MS/s (T_s = 1/30.72 MHz);
  20 slots per 10 ms radio frame (§4). The downlink DC subcarrier is unused
  (§6.12); resource element (k, l) sits at k − N_RB·6 (+1 above DC).
* **Channel bandwidths** — TS 36.101 Table 5.6-1: 1.4/3/5/10/15/20 MHz carry
  N_RB = 6/15/25/50/75/100 resource blocks of 12 subcarriers, a transmission
  bandwidth of N_RB·180 kHz = 1.08/2.7/4.5/9/13.5/18 MHz; synthesized at the
  smallest usual FFT (128…2048 points, 1.92…30.72 MS/s).
* **PSS** — TS 36.211 §6.11.1: length-63 Zadoff-Chu of root 25, 29 or 34
  (N_ID2 = 0, 1, 2) without its middle element, on the 62 subcarriers around
  DC (5 reserved either side); FDD and LAA (frame structure types 1, 3): last
  symbol of slots 0 and 10; TDD (type 2): third symbol of subframes 1 and 6.
  Either way a PSS every 5 ms. **SSS** — §6.11.2: interleaved m-sequences
  from N_ID1 ∈ 0…167, halves swapped between subframes 0 and 5; FDD: the
  symbol before the PSS; TDD: last symbol of slots 1 and 11.
* **CRS** — §6.10.1 (antenna port 0): symbols 0 and 4 of every slot, every
  6th subcarrier shifted by N_cell_ID mod 6 (and by 3 on symbol 4), QPSK from
  the Gold sequence of §7.2 with c_init = 2¹⁰·(7(n_s+1)+l+1)·(2N_ID+1) +
  2N_ID + 1. Transmitted in every downlink subframe whatever the load.
* **PBCH** — §6.6.4: symbols 0–3 of slot 1, 72 subcarriers around DC (QPSK).
* **Control region** — §6.7 (PCFICH): the first 1–3 symbols of each subframe
  (2–4 at 1.4 MHz) carry PDCCH/PHICH/PCFICH (QPSK).
* **PDSCH load** — resource allocation type 0 (TS 36.213 §7.1.6.1, Table
  7.1.6.1-1): resource-block groups of 1/2/3/4 RBs scheduled per 1 ms
  subframe; QPSK/16-QAM/64-QAM (TS 36.211 §6.3.2). How busy a cell is (the
  share of RBGs scheduled, ``load``) is an **assumption** drawn uniformly in
  0.05–0.95; unscheduled resource elements are not sent, so resource blocks
  are partly empty.
* **TDD** — TS 36.211 Table 4.2-2 uplink-downlink configurations 0–6 (D/S/U
  per subframe) and Table 4.2-1 special subframe configurations (DwPTS of
  3/9/10/11/12/3/9/10/11/6 symbols for configurations 0–9, normal CP): the
  eNodeB transmits in D subframes and DwPTS only, so a TDD downlink is a
  train of ms-scale bursts. Configuration 2 with special subframe 7 is the
  common deployment (**assumption**: drawn with weight 1/2, the others evenly).
* **LAA** — TS 36.211 §4.3 (frame structure type 3), TS 36.213 §15.1.1 Table
  15.1.1-1 (channel access priority classes: maximum channel occupancy 2, 3,
  8 or 10 ms), listen-before-talk before each burst: bursts of whole 0.5 ms
  slots, 1–8 ms long, on 20 MHz channels of band 46. The idle time between
  bursts (LBT deferral, back-off and the traffic's own gaps) is an
  **assumption**: exponential with a mean of 1–20 ms, at least one slot.
* **Uplink** — TS 36.211 §5.3.3 (transform precoding: an M-point DFT of the
  data, M = 12·n_RB with n_RB a product of powers of 2, 3 and 5), §5.6
  (SC-FDMA with a half-subcarrier offset, same CP as the downlink), §5.5.2.1
  (PUSCH demodulation reference signal on symbol 3 of each slot, a
  Zadoff-Chu-based sequence). A UE transmits in whole 1 ms subframes (TTI
  bundling: up to 4 in a row, TS 36.213 §8.0); in a TDD band only in U
  subframes. **Assumptions**: 1–3 UEs in view, each with grants of 1–4
  subframes separated by exponential gaps (mean 5–50 ms), each grant on a
  contiguous block of 1–25 RBs away from the carrier's PUCCH edge RBs,
  QPSK or 16-QAM. Each UE also sends periodic CQI reports on PUCCH format 2
  (§5.4.2-5.4.3: one RB on the carrier's outermost RBs, hopping to the
  mirrored edge at the slot boundary, so each report is two 0.5 ms bursts;
  period 5/10/20/40 ms from TS 36.213 Table 7.2.2-1A, drawn). SRS is not
  modelled.
* **Bands** — :mod:`rfclassify.signatures._cellular_bands` (TS 36.101 Table
  5.5-1 and 5.6.1-1; Region 2 first, then B1, B3, B7, B8, B20, B38, B40 of
  Regions 1/3, and B46 LAA). The signature's bands are the FDD downlink
  halves (``"B3 DL"``), uplink halves (``"B3 UL"``) and the unpaired TDD/LAA
  bands (``"B41"``, ``"B46"``). Carriers sit on the 100 kHz EARFCN raster
  (LAA on the 5 GHz 20 MHz channels), where a receiver window sees them
  (dense bands: see the band module).

Builder parameters (``EmitRequest.params``), drawn when missing:
``direction`` — ``"downlink"`` or ``"uplink"`` (default: an FDD band's half
decides; an unpaired TDD band draws downlink with probability 3/4; LAA is
downlink only); ``bandwidth_hz`` — one of the band's channel bandwidths;
``tdd_config`` — 0…6; ``special_subframe`` — 0…9; ``cell_id`` — 0…503;
``load`` — share of PDSCH resource-block groups scheduled (0…1); ``carrier_hz`` — the
carrier centre (the downlink carrier, or the uplink carrier in an uplink band).

The downlink is built one 10 ms frame at a time as a resource grid (every
symbol inverse-FFT'd at once); under a receiver window only the visible
subcarriers are synthesized (``Burst.power_fraction`` is the share kept).
An FDD downlink is one Burst over the whole request; a TDD or LAA downlink one
Burst per contiguous transmission; an uplink one Burst per UE grant (PUSCH) and
per PUCCH slot (``meta["channel"]``).
"""

from __future__ import annotations

import functools

import numpy as np

from rfclassify.dsp.modulation import (
    gold_sequence,
    lte_pss,
    lte_sss,
    normal_cp_lengths,
    qam_byte_table,
    sc_fdma_frequency_rows,
    sc_fdma_modulate,
)
from rfclassify.signatures._cellular_bands import (
    LTE_BANDS,
    UL,
    OperatingBand,
    operating_band,
    place_carrier,
    signature_bands,
)
from rfclassify.signatures._cellular_carrier import NFFT_STEP, Carrier, render_downlink
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

SPACING_HZ = 15e3
RB_SUBCARRIERS = 12
RB_HZ = RB_SUBCARRIERS * SPACING_HZ
#: Channel bandwidth → (N_RB, FFT size at the natural rate nfft·15 kHz); TS 36.101 Table 5.6-1.
BANDWIDTHS: dict[float, tuple[int, int]] = {
    1.4e6: (6, 128),
    3e6: (15, 256),
    5e6: (25, 512),
    10e6: (50, 1024),
    15e6: (75, 1536),
    20e6: (100, 2048),
}
FRAME_S = 10e-3
SUBFRAME_S = 1e-3
SLOT_S = 0.5e-3
SYMBOLS_PER_SLOT = 7
SYMBOLS_PER_SUBFRAME = 14
SYMBOLS_PER_FRAME = 140
N_RB_MAX = 110
#: TS 36.211 Table 4.2-2: uplink-downlink configuration → subframes 0…9.
TDD_CONFIGS: dict[int, str] = {
    0: "DSUUUDSUUU",
    1: "DSUUDDSUUD",
    2: "DSUDDDSUDD",
    3: "DSUUUDDDDD",
    4: "DSUUDDDDDD",
    5: "DSUDDDDDDD",
    6: "DSUUUDSUUD",
}
#: TS 36.211 Table 4.2-1 (normal CP): special subframe configuration → DwPTS length in symbols.
DWPTS_SYMBOLS: dict[int, int] = {0: 3, 1: 9, 2: 10, 3: 11, 4: 12, 5: 3, 6: 9, 7: 10, 8: 11, 9: 6}
#: Symbols (of the frame's 140) carrying the PSS and the SSS, per frame structure.
PSS_SYMBOLS = {"FDD": (6, 76), "TDD": (16, 86), "LAA": (6, 76)}
SSS_SYMBOLS = {"FDD": (5, 75), "TDD": (13, 83), "LAA": (5, 75)}
PSS_PERIOD_S = 5e-3
#: LAA maximum channel occupancy (TS 36.213 Table 15.1.1-1, priority class 3 without Wi-Fi exclusion: 8 ms).
LAA_MAX_BURST_S = 8e-3
LAA_GAP_MEAN_S = (1e-3, 20e-3)  # assumption
UL_RB_CHOICES = (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 25)  # 2^a·3^b·5^c (TS 36.211 §5.3.3)
UL_GRANT_SUBFRAMES = (1, 4)
UL_GAP_MEAN_S = (5e-3, 50e-3)  # assumption
UL_DMRS_SYMBOLS = (3, 10)  # symbol 3 of each slot of a subframe
#: PUCCH format 2 reference symbols in a slot (TS 36.211 Table 5.5.2.2.1-2, normal CP).
PUCCH_DMRS_SYMBOLS = (1, 5)
#: CQI reporting periods in ms (TS 36.213 Table 7.2.2-1A, FDD N_pd); the ones drawn here.
PUCCH_PERIODS_MS = (5, 10, 20, 40)
LOAD_RANGE = (0.05, 0.95)  # assumption

BANDS: tuple[Band, ...] = signature_bands(LTE_BANDS)
DIRECTIONS = ("downlink", "uplink")


def rbg_size(n_rb: int) -> int:
    """Resource-block group size P of allocation type 0 (TS 36.213 Table 7.1.6.1-1)."""
    return 1 if n_rb <= 10 else 2 if n_rb <= 26 else 3 if n_rb <= 63 else 4


def subcarrier_offsets(n_rb: int) -> np.ndarray:
    """Offset from the carrier (in subcarriers) of downlink grid index k = 0…12·N_RB−1: DC skipped (§6.2)."""
    k = np.arange(RB_SUBCARRIERS * n_rb)
    half = RB_SUBCARRIERS * n_rb // 2
    return k - half + (k >= half)


def _draw(req: EmitRequest, key: str, choices: tuple) -> object:
    value = req.params.get(key)
    if value is None:
        return choices[int(req.rng.integers(len(choices)))]
    return value


@functools.lru_cache(maxsize=64)
def fixed_grid(n_rb: int, cell_id: int, structure: str) -> tuple[np.ndarray, np.ndarray]:
    """One frame's cell-specific signals: ``(values, mask)`` of shape (140, 12·N_RB).

    PSS and SSS (with their reserved subcarriers as zeros) and port-0 CRS; the
    mask marks the resource elements they own. ``structure`` is ``"FDD"``,
    ``"TDD"`` or ``"LAA"``.
    """
    n_sc = RB_SUBCARRIERS * n_rb
    values = np.zeros((SYMBOLS_PER_FRAME, n_sc), dtype=np.complex128)
    mask = np.zeros_like(values, dtype=bool)
    n_id1, n_id2 = divmod(cell_id, 3)
    # CRS port 0: symbols 0 and 4 of every slot; Gold-sequence QPSK, the central 2·N_RB of 2·110 values.
    slots = np.repeat(np.arange(20), 2)
    ls = np.tile([0, 4], 20)
    c_init = 2**10 * (7 * (slots + 1) + ls + 1) * (2 * cell_id + 1) + 2 * cell_id + 1
    c = gold_sequence(c_init, 4 * N_RB_MAX).astype(np.float64)
    r = ((1 - 2 * c[:, 0::2]) + 1j * (1 - 2 * c[:, 1::2])) / np.sqrt(2)
    m = np.arange(2 * n_rb)
    for row, (ns, l_sym) in enumerate(zip(slots, ls)):
        v = 0 if l_sym == 0 else 3
        k = 6 * m + (v + cell_id % 6) % 6
        sym = SYMBOLS_PER_SLOT * ns + l_sym
        values[sym, k] = r[row, m + N_RB_MAX - n_rb]
        mask[sym, k] = True
    # PSS/SSS on the 62 subcarriers around DC, 5 reserved (zero) either side.
    n = np.arange(-5, 67)
    cols = n - 31 + n_sc // 2
    sync = np.zeros(72, dtype=np.complex128)
    for sym in PSS_SYMBOLS[structure]:
        sync[5:67] = lte_pss(n_id2)
        values[sym, cols], mask[sym, cols] = sync, True
    for sym, subframe in zip(SSS_SYMBOLS[structure], (0, 5)):
        sync[5:67] = lte_sss(n_id1, n_id2, subframe)
        values[sym, cols], mask[sym, cols] = sync, True
    return values, mask


def tdd_symbol_mask(config: int, special: int) -> np.ndarray:
    """Which of a frame's 140 symbols the eNodeB transmits in a TDD cell: D subframes and DwPTS."""
    on = np.zeros(SYMBOLS_PER_FRAME, dtype=bool)
    for sf, kind in enumerate(TDD_CONFIGS[config]):
        rows = slice(SYMBOLS_PER_SUBFRAME * sf, SYMBOLS_PER_SUBFRAME * (sf + 1))
        if kind == "D":
            on[rows] = True
        elif kind == "S":
            on[SYMBOLS_PER_SUBFRAME * sf : SYMBOLS_PER_SUBFRAME * sf + DWPTS_SYMBOLS[special]] = True
    return on


def _laa_symbol_mask(rng: np.random.Generator, n_symbols: int) -> np.ndarray:
    """LBT-gated transmissions: bursts of 2–16 slots (≤ 8 ms) separated by at least a slot (assumption)."""
    on = np.zeros(n_symbols, dtype=bool)
    gap_mean_slots = rng.uniform(*LAA_GAP_MEAN_S) / SLOT_S
    max_slots = round(LAA_MAX_BURST_S / SLOT_S)
    slot = int(rng.integers(0, 4))
    n_slots = n_symbols // SYMBOLS_PER_SLOT
    while slot < n_slots:
        length = int(rng.integers(2, max_slots + 1))
        on[slot * SYMBOLS_PER_SLOT : (slot + length) * SYMBOLS_PER_SLOT] = True
        slot += length + 1 + int(rng.exponential(gap_mean_slots))
    return on


#: Bits per symbol of the downlink modulations (TS 36.211 §7.1): QPSK, 16-QAM, 64-QAM.
QAM_ORDERS = (2, 4, 6)


def _frame_grid(
    rng: np.random.Generator, n_rb: int, cols: np.ndarray, fixed: tuple[np.ndarray, np.ndarray], load: float, cfi: int
) -> np.ndarray:
    """One frame's resource grid on grid columns ``cols``: CRS/PSS/SSS, control region, PBCH and scheduled PDSCH."""
    values, mask = fixed[0][:, cols], fixed[1][:, cols]
    n_sc = RB_SUBCARRIERS * n_rb
    rb = cols // RB_SUBCARRIERS
    p = rbg_size(n_rb)
    n_rbg = -(-n_rb // p)
    # PDSCH: allocation type 0 per subframe, one modulation per scheduled group.
    sched = rng.random((10, n_rbg)) < load
    order = rng.integers(0, 3, (10, n_rbg), dtype=np.int8)  # index into QAM_ORDERS
    on = np.repeat(sched, SYMBOLS_PER_SUBFRAME, axis=0)[:, rb // p]
    kind = np.repeat(order, SYMBOLS_PER_SUBFRAME, axis=0)[:, rb // p]
    # Control region: PDCCH REGs in use with a probability that grows with the load (QPSK).
    ctrl_rows = (np.arange(SYMBOLS_PER_FRAME) % SYMBOLS_PER_SUBFRAME) < cfi
    ctrl = rng.random((cfi * 10, n_rb)) < 0.3 + 0.7 * load
    on[ctrl_rows] = ctrl[:, rb]
    kind[ctrl_rows] = 0
    # PBCH: slot 1 symbols 0-3, the 72 subcarriers around DC (QPSK).
    pbch_cols = np.abs(cols - n_sc // 2 + 0.5) < 36
    on[7:11, pbch_cols] = True
    kind[7:11, pbch_cols] = 0
    data = qam_byte_table(QAM_ORDERS)[kind, rng.integers(0, 256, on.shape, dtype=np.uint8)]
    return np.where(mask, values, np.where(on, data, 0.0))


def _downlink(req: EmitRequest, op: OperatingBand, bw_hz: float) -> list[Burst]:
    n_rb, nfft_full = BANDWIDTHS[bw_hz]
    structure = op.duplex
    occupied_hz = n_rb * RB_HZ
    fc = place_carrier(req.rng, op.dl_hz, bw_hz, occupied_hz, op.raster_hz, req.window_hz, op.channels_hz,
                       req.params.get("carrier_hz"))
    carrier = Carrier(fc, fc - occupied_hz / 2, fc + occupied_hz / 2, subcarrier_offsets(n_rb), 0, nfft_full)
    cell_id = int(req.params.get("cell_id", req.rng.integers(0, 504)))
    load = float(req.params.get("load", req.rng.uniform(*LOAD_RANGE)))
    cfi = int(req.rng.integers(2, 5) if n_rb <= 10 else req.rng.integers(1, 4))
    meta: dict = {"direction": "downlink", "duplex": structure, "bandwidth_hz": bw_hz, "n_rb": n_rb,
                  "cell_id": cell_id, "load": load, "carrier_hz": fc}
    if structure == "TDD":
        config = int(_draw(req, "tdd_config", (2, 2, 2, 2, 2, 2, 0, 1, 3, 4, 5, 6)))
        special = int(_draw(req, "special_subframe", (7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 1, 2, 3, 4, 5, 6, 8, 9)))
        if config not in TDD_CONFIGS or special not in DWPTS_SYMBOLS:
            raise ValueError(f"lte: tdd_config {config} / special_subframe {special} not in TS 36.211 Tables 4.2-1/4.2-2")
        meta.update(tdd_config=config, special_subframe=special, pattern=TDD_CONFIGS[config])

        def symbols_on(n_frames: int) -> np.ndarray:
            return np.tile(tdd_symbol_mask(config, special), n_frames)
    elif structure == "LAA":

        def symbols_on(n_frames: int) -> np.ndarray:
            return _laa_symbol_mask(req.rng, n_frames * SYMBOLS_PER_FRAME)
    else:

        def symbols_on(n_frames: int) -> np.ndarray:
            return np.ones(n_frames * SYMBOLS_PER_FRAME, dtype=bool)

    fixed = fixed_grid(n_rb, cell_id, structure)
    return render_downlink(
        req, carrier, lambda _frame, cols: _frame_grid(req.rng, n_rb, cols, fixed, load, cfi), symbols_on, meta
    )


def _uplink(req: EmitRequest, op: OperatingBand, bw_hz: float) -> list[Burst]:
    n_rb, _ = BANDWIDTHS[bw_hz]
    edges_hz = op.ul_hz if op.ul_hz is not None else op.dl_hz
    fc = place_carrier(req.rng, edges_hz, bw_hz, n_rb * RB_HZ, op.raster_hz, req.window_hz, op.channels_hz,
                       req.params.get("carrier_hz"))
    allowed = np.ones(10, dtype=bool)
    meta_base: dict = {"direction": "uplink", "duplex": op.duplex, "bandwidth_hz": bw_hz, "n_rb": n_rb, "carrier_hz": fc}
    if op.duplex == "TDD":
        config = int(_draw(req, "tdd_config", (2, 2, 2, 2, 2, 2, 0, 1, 3, 4, 5, 6)))
        allowed = np.array([c == "U" for c in TDD_CONFIGS[config]])
        meta_base["tdd_config"] = config
    n_sub = int(np.ceil(req.duration_s / SUBFRAME_S)) + 1
    first_sf = int(req.rng.integers(0, 10))  # subframe number at the request's start (frame phase)
    offset_s = req.rng.uniform(0, SUBFRAME_S)
    sf_allowed = allowed[(first_sf + np.arange(n_sub)) % 10]
    n_ue = int(req.rng.integers(1, 4))
    bursts: list[Burst] = []
    rb_choices = [r for r in UL_RB_CHOICES if r <= max(1, n_rb - 2)]
    for ue in range(n_ue):
        gap_mean = req.rng.uniform(*UL_GAP_MEAN_S) / SUBFRAME_S
        qam_bits = int(req.rng.choice([2, 4]))
        sf = int(req.rng.exponential(gap_mean))
        while sf < n_sub:
            if not sf_allowed[sf]:
                sf += 1
                continue
            want = int(req.rng.integers(UL_GRANT_SUBFRAMES[0], UL_GRANT_SUBFRAMES[1] + 1))
            length = 1
            while length < want and sf + length < n_sub and sf_allowed[sf + length]:
                length += 1
            n_alloc = int(req.rng.choice(rb_choices))
            lo_rb = 1 if n_rb > 2 else 0
            start_rb = int(req.rng.integers(lo_rb, max(lo_rb, n_rb - lo_rb - n_alloc) + 1))
            m = RB_SUBCARRIERS * n_alloc
            # Subcarrier k (−6·N_RB … 6·N_RB−1) sits at (k + ½)·Δf: the allocation's centre is k_first + M/2.
            rf = fc + (start_rb * RB_SUBCARRIERS - RB_SUBCARRIERS * n_rb // 2 + m / 2) * SPACING_HZ
            t0 = offset_s + (sf - 1) * SUBFRAME_S
            f_lo, f_hi = rf - m * SPACING_HZ / 2, rf + m * SPACING_HZ / 2
            if t0 + length * SUBFRAME_S > 0 and t0 < req.duration_s and req.visible(f_lo, f_hi):
                nfft = NFFT_STEP * int(np.ceil(1.25 * m / NFFT_STEP))
                n_sym = SYMBOLS_PER_SUBFRAME * length
                ref = np.isin(np.arange(n_sym) % SYMBOLS_PER_SUBFRAME, UL_DMRS_SYMBOLS)
                rows = sc_fdma_frequency_rows(req.rng, n_sym, m, qam_bits, ref)
                x = unit_power(sc_fdma_modulate(rows, nfft, normal_cp_lengths(nfft, 0, n_sym)))
                fs = nfft * SPACING_HZ
                if t0 < 0:  # a grant already under way when the request starts
                    x, t0 = x[round(-t0 * fs) :], 0.0
                meta = dict(meta_base, channel="pusch", ue=ue, subframes=length, n_rb_alloc=n_alloc, qam_bits=qam_bits)
                bursts.append(Burst(float(t0), rf, x, fs, f_lo, f_hi, "none", 1.0, meta))
            sf += length + 1 + int(req.rng.exponential(gap_mean))
        bursts += _pucch(req, fc, n_rb, sf_allowed, offset_s, dict(meta_base, channel="pucch", ue=ue))
    return bursts


def _pucch(
    req: EmitRequest, fc: float, n_rb: int, sf_allowed: np.ndarray, offset_s: float, meta: dict
) -> list[Burst]:
    """One UE's periodic PUCCH format 2 reports (CQI): 1 RB, hopping to the mirrored edge RB each slot.

    TS 36.211 §5.4.3: resource m sits on RB ⌊m/2⌋ in slots where (m + n_s) is even and on
    N_RB − 1 − ⌊m/2⌋ otherwise; §5.4.2: each symbol is a cyclically shifted length-12 sequence times
    a QPSK value, reference symbols 1 and 5 of each slot. Period from TS 36.213 Table 7.2.2-1A.
    """
    period = int(req.rng.choice(PUCCH_PERIODS_MS))
    m_res = int(req.rng.integers(0, 4))
    bursts = []
    n_sub = len(sf_allowed)
    nfft = NFFT_STEP  # 1.92 MS/s carries 12 subcarriers
    fs = nfft * SPACING_HZ
    cp = normal_cp_lengths(nfft, 0, SYMBOLS_PER_SLOT)
    for sf in range(int(req.rng.integers(0, period)), n_sub, period):
        if not sf_allowed[sf]:
            continue
        for slot in (0, 1):
            rb = m_res // 2 if (m_res + slot) % 2 == 0 else n_rb - 1 - m_res // 2
            rf = fc + (rb * RB_SUBCARRIERS - RB_SUBCARRIERS * n_rb // 2 + RB_SUBCARRIERS / 2) * SPACING_HZ
            t0 = offset_s + (sf - 1) * SUBFRAME_S + slot * SLOT_S
            f_lo, f_hi = rf - RB_HZ / 2, rf + RB_HZ / 2
            if t0 < 0 or t0 >= req.duration_s or not req.visible(f_lo, f_hi):
                continue
            rows = sc_fdma_frequency_rows(req.rng, SYMBOLS_PER_SLOT, RB_SUBCARRIERS, 2, np.ones(SYMBOLS_PER_SLOT, bool))
            shift = req.rng.integers(0, RB_SUBCARRIERS, SYMBOLS_PER_SLOT)  # cyclic shift per symbol
            rows *= np.exp(2j * np.pi * np.outer(shift, np.arange(RB_SUBCARRIERS)) / RB_SUBCARRIERS)
            data = ~np.isin(np.arange(SYMBOLS_PER_SLOT), PUCCH_DMRS_SYMBOLS)
            rows[data] *= np.exp(1j * np.pi / 4 * (2 * req.rng.integers(0, 4, int(data.sum())) + 1))[:, None]
            x = unit_power(sc_fdma_modulate(rows, nfft, cp))
            bursts.append(Burst(float(t0), rf, x, fs, f_lo, f_hi, "none", 1.0, dict(meta, rb=rb, period_ms=period)))
    return bursts


def _build(req: EmitRequest) -> list[Burst]:
    op, half = operating_band(LTE_BANDS, req.band)
    if "direction" in req.params:
        direction = str(req.params["direction"])
    elif half is not None:
        direction = "uplink" if half == UL else "downlink"
    elif op.duplex == "TDD":
        direction = "uplink" if req.rng.random() < 0.25 else "downlink"
    else:
        direction = "downlink"
    if direction not in DIRECTIONS:
        raise ValueError(f"lte: direction {direction!r} not in {DIRECTIONS}")
    if direction == "uplink" and op.duplex == "LAA":
        raise ValueError("lte: band 46 (LAA) is modelled as a downlink-only band")
    bw_hz = float(_draw(req, "bandwidth_hz", op.bandwidths_hz))
    if bw_hz not in BANDWIDTHS:
        raise ValueError(f"lte: bandwidth_hz {bw_hz} not in {tuple(BANDWIDTHS)}")
    if direction == "uplink":
        return _uplink(req, op, bw_hz)
    return _downlink(req, op, bw_hz)


SIGNATURE = Signature(
    label="lte",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="OFDM downlink (15 kHz, normal CP, QPSK/16/64-QAM, PSS/SSS/CRS); SC-FDMA uplink",
    bandwidth_hz=9.0e6,
    timing={
        "continuous": True,
        "subcarrier_spacing_hz": SPACING_HZ,
        "symbol_s": 1 / SPACING_HZ,
        "cp_long_s": 160 / 30.72e6,
        "cp_short_s": 144 / 30.72e6,
        "slot_s": SLOT_S,
        "subframe_s": SUBFRAME_S,
        "frame_s": FRAME_S,
        "pss_period_s": PSS_PERIOD_S,
        "pss_roots": (25, 29, 34),
        "channel_raster_hz": 100e3,
        "occupied_bandwidths_hz": tuple(n * RB_HZ for n, _ in BANDWIDTHS.values()),
        "laa_max_burst_s": LAA_MAX_BURST_S,
    },
    builder=_build,
    description=(
        "LTE downlink (FDD continuous, TDD per uplink-downlink configuration, LAA at 5 GHz; 1.4-20 MHz, "
        "PSS every 5 ms) and uplink SC-FDMA bursts of 1 ms subframes."
    ),
    sources=(
        ("3GPP TS 36.211 §4 (frame structures, Tables 4.2-1/4.2-2), §5.3.3/§5.5.2/§5.6 (SC-FDMA uplink), "
        "§6.2/§6.6.4/§6.7 (grid, PBCH, control), §6.10.1 (CRS), §6.11 (PSS/SSS), §6.12 (OFDM), §7.2 (Gold sequence)"),
        "3GPP TS 36.101 Table 5.5-1 (operating bands), Table 5.6-1 and 5.6.1-1 (channel bandwidths), §5.7 (raster)",
        "3GPP TS 36.213 Table 7.1.6.1-1 (RBG size), §8.0 (TTI bundling), §15.1.1 (LAA channel access)",
        "FCC 47 CFR Parts 22, 24, 27 and IFT (Mexico) band plans (see rfclassify/signatures/_cellular_bands.py)",
    ),
    order=13,
)
