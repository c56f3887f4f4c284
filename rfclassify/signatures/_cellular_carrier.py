"""Downlink carrier synthesis shared by :mod:`~rfclassify.signatures.lte` and :mod:`~rfclassify.signatures.nr`.

Not a signature module (its name starts with ``_``). A carrier is built one
10 ms radio frame at a time from a resource grid (symbols × subcarriers) that
the caller fills, every symbol inverse-FFT'd at once with the normal cyclic
prefix of TS 38.211 §5.3.1 (TS 36.211 Table 6.12-1 for LTE, µ = 0). Under a
receiver window only the visible subcarriers are synthesized
(:func:`~rfclassify.dsp.modulation.ofdm_slice_plan`); the runs of symbols the
base station transmits become one :class:`~rfclassify.signatures.base.Burst`
each (one for an FDD carrier, one per downlink period for TDD).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rfclassify.dsp.modulation import normal_cp_lengths, ofdm_modulate, ofdm_slice_plan
from rfclassify.signatures.base import Burst, EmitRequest

FRAME_S = 10e-3
#: FFT sizes of sliced carriers are multiples of this, so every cyclic prefix is whole samples.
NFFT_STEP = 128


@dataclass(frozen=True)
class Carrier:
    """A downlink carrier: RF centre and occupied edges (Hz), subcarrier offsets from the centre, numerology.

    ``offsets`` are the grid's columns as integer subcarrier offsets from ``center_hz`` (LTE skips DC;
    NR's grid is contiguous); ``mu`` sets the spacing 15·2^µ kHz; ``nfft_full`` is the FFT size that
    carries the whole carrier (its natural rate is ``nfft_full``·spacing).
    """

    center_hz: float
    f_lo_hz: float
    f_hi_hz: float
    offsets: np.ndarray
    mu: int
    nfft_full: int

    @property
    def spacing_hz(self) -> float:
        """Subcarrier spacing in Hz."""
        return 15e3 * 2**self.mu

    @property
    def symbols_per_frame(self) -> int:
        """OFDM symbols per 10 ms frame (normal CP): 140·2^µ."""
        return 140 * 2**self.mu


#: Fills one frame's grid: (frame index from the first frame built, kept grid columns) → (symbols, columns).
FrameGrid = Callable[[int, np.ndarray], np.ndarray]
#: Which symbols of ``n_frames`` frames the base station transmits: n_frames → bool array (symbols).
SymbolsOn = Callable[[int], np.ndarray]


def render_downlink(
    req: EmitRequest, carrier: Carrier, frame_grid: FrameGrid, symbols_on: SymbolsOn, meta: dict[str, Any]
) -> list[Burst]:
    """The carrier over ``req.duration_s`` from a random point of its frame, as Bursts of unit power on air.

    ``power_fraction`` is the share of the carrier's subcarriers a window slice keeps; ``meta`` is
    copied into every Burst.
    """
    if not req.visible(carrier.f_lo_hz, carrier.f_hi_hz):
        return []
    plan = ofdm_slice_plan(
        carrier.offsets, carrier.spacing_hz, carrier.center_hz, req.window_hz, carrier.nfft_full, NFFT_STEP
    )
    if plan is None:
        return []
    k, k0, nfft, frac = plan
    cols = np.flatnonzero(np.isin(carrier.offsets, k))
    fs = nfft * carrier.spacing_hz
    n_sym = carrier.symbols_per_frame
    cp = normal_cp_lengths(nfft, carrier.mu, n_sym)
    frame_len = int(cp.sum()) + n_sym * nfft
    offset = int(req.rng.integers(0, frame_len))  # where in its frame the request starts
    n_out = round(req.duration_s * fs)
    n_frames = -(-(offset + n_out) // frame_len)
    on = symbols_on(n_frames)
    x = np.empty(n_frames * frame_len, dtype=np.complex64)
    for f in range(n_frames):
        grid = frame_grid(f, cols)
        grid[~on[f * n_sym : (f + 1) * n_sym]] = 0.0
        # A frame holds whole periods of every subcarrier offset, so per-frame slices join in phase.
        x[f * frame_len : (f + 1) * frame_len] = ofdm_modulate(grid, k, nfft, cp, k0=k0)
    # Transmissions: runs of on-air symbols, in samples from the request's start.
    sym_start = np.concatenate(([0], np.cumsum(np.tile(cp + nfft, n_frames)))) - offset
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    rf_hz = carrier.center_hz + k0 * carrier.spacing_hz
    bursts = []
    for s_sym, e_sym in zip(edges[::2], edges[1::2]):
        s, e = max(int(sym_start[s_sym]), 0), min(int(sym_start[e_sym]), n_out)
        if e <= s:
            continue
        samples = x[offset + s : offset + e]
        power = float(np.vdot(samples, samples).real) / len(samples)
        if power <= 0:
            continue
        samples *= np.float32(1.0 / np.sqrt(power))  # unit power while on air
        bursts.append(Burst(s / fs, rf_hz, samples, fs, carrier.f_lo_hz, carrier.f_hi_hz, "none", frac, dict(meta)))
    return bursts
