"""Signature bursts for tests: emit them, lay them on one baseband timeline, find where they are on.

The signature tests measure a builder's physics (timing, bandwidth, modulation) on its bursts
directly, without a receiver: :func:`emit` asks a signature for bursts as a scene would,
:func:`timeline` places bursts of one sample rate at their start times on a zero baseband,
:func:`on_runs` finds where a noise-free timeline is on and :func:`occupied_bandwidth` measures
the bandwidth the bursts occupy together.
"""

from __future__ import annotations

import numpy as np

from rfclassify.dsp.measure import occupied_bandwidth_hz
from rfclassify.signatures import Band, Burst, EmitRequest, Signature, get


def emit(
    signature: Signature | str,
    duration_s: float,
    band: Band | str | None = None,
    *,
    seed: int = 0,
    window_hz: tuple[float, float] | None = None,
    **params: object,
) -> list[Burst]:
    """The bursts ``signature`` (or the signature of that label) emits over ``duration_s`` seconds.

    ``band`` is a :class:`Band`, the name of one of the signature's bands, or ``None`` for its first
    band; ``seed`` seeds the request's generator; ``window_hz`` is the receiver's RF range in Hz
    (``None``: all of it); ``params`` select the builder's modes.
    """
    sig = get(signature) if isinstance(signature, str) else signature
    chosen = band if isinstance(band, Band) else sig.band(band)
    return sig.emit(EmitRequest(np.random.default_rng(seed), duration_s, chosen, window_hz, params))


def timeline(
    bursts: list[Burst], duration_s: float, *, whole_bursts: bool = False
) -> tuple[np.ndarray, float]:
    """``bursts`` added at their start times to a zero baseband: (samples, rate in Hz).

    ``bursts`` must be non-empty and all at one sample rate. The timeline holds
    ``round(duration_s * rate) + 1`` complex64 samples from 0 s, and RF is ignored. A burst
    running past the end is cut there or, with ``whole_bursts``, the timeline is made long enough
    to hold it.
    """
    assert bursts, "no bursts to place"
    rate_hz = bursts[0].sample_rate_hz
    assert all(b.sample_rate_hz == rate_hz for b in bursts), "bursts at different sample rates"
    last = round(duration_s * rate_hz)
    if whole_bursts:
        last = max(last, *(round(b.t_start_s * rate_hz) + len(b.samples) for b in bursts))
    x = np.zeros(last + 1, dtype=np.complex64)
    for b in bursts:
        i = round(b.t_start_s * rate_hz)
        n = min(len(b.samples), len(x) - i)
        x[i : i + n] += b.samples[:n]
    return x, rate_hz


def on_runs(
    x: np.ndarray, rate_hz: float, threshold: float = 0.0, bridge_s: float = 0.0
) -> np.ndarray:
    """The runs where ``|x| > threshold``: an array of rows ``(start_s, end_s)``, in time order.

    Times are in seconds from ``x[0]`` at ``rate_hz`` (``rate_hz=1`` gives sample indices);
    ``end_s`` is the time of the first sample after the run, so ``end_s - start_s`` is its length.
    Runs less than ``bridge_s`` seconds apart are joined into one (a noise-free OFDM frame can hold
    a few zero samples).
    """
    on = np.concatenate(([0], (np.abs(x) > threshold).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(on))
    starts, ends = edges[::2], edges[1::2]
    kept = (starts[1:] - ends[:-1]) >= bridge_s * rate_hz  # the gaps that are not bridged
    starts = np.concatenate((starts[:1], starts[1:][kept]))
    ends = np.concatenate((ends[:-1][kept], ends[-1:]))
    return np.column_stack((starts / rate_hz, ends / rate_hz))


def occupied_bandwidth(bursts: list[Burst], nfft: int = 2048) -> tuple[float, float, float]:
    """(bandwidth, lower edge, upper edge) in Hz holding 99 % of the power of ``bursts`` together.

    ``bursts`` must be non-empty and all at one sample rate; the edges are relative to baseband 0 Hz
    and come from an ``nfft``-point PSD of the bursts' samples end to end.
    """
    assert bursts, "no bursts to measure"
    rate_hz = bursts[0].sample_rate_hz
    assert all(b.sample_rate_hz == rate_hz for b in bursts), "bursts at different sample rates"
    return occupied_bandwidth_hz(np.concatenate([b.samples for b in bursts]), rate_hz, nfft=nfft)
