"""The LTE turbo code (3GPP TS 36.212 §5.1.3.2) and its rate matching (§5.1.4.1), as pure numpy.

Encoder: a parallel concatenation of two identical 8-state recursive systematic
convolutional (RSC) encoders with transfer function ``G(D) = [1, g1(D)/g0(D)]``,
``g0 = 1 + D^2 + D^3`` (octal 13, feedback) and ``g1 = 1 + D + D^3`` (octal 15,
feed-forward), the second fed through the quadratic permutation polynomial (QPP)
interleaver ``pi(i) = (f1*i + f2*i^2) mod K`` (table 5.1.3-3). Each encoder is
terminated by three tail steps whose input equals the feedback bit, which drives it
back to state 0; the twelve tail bits are multiplexed onto the three output streams
``d0, d1, d2`` (each ``D = K + 4`` bits) exactly as §5.1.3.2.2 lists.

Rate matching (§5.1.4.1.1-2): each stream goes through the 32-column sub-block
interleaver (``<NULL>`` dummies prepended, inter-column permutation
``P = [0, 16, 8, 24, ...]``, the third stream with the one-position offset
``pi(k) = (P[k // R] + 32 * (k mod R) + 1) mod Kpi``), the three are collected into
the circular buffer ``w = [v0, v1_0, v2_0, v1_1, v2_1, ...]`` and ``E`` bits are read
from ``k0 = R * (2 * ceil(Ncb / (8 R)) * rv + 2)`` skipping the dummies (full buffer:
``Ncb = 3 Kpi``). The map is computed once as an index array, so rate matching is a
gather and de-rate-matching an accumulation of soft values (repeated bits combine).

Decoder: iterative max-log-MAP (BCJR) with an extrinsic scaling of 0.7 (the usual
correction of the max-log approximation). For speed in numpy the trellis is cut into
``n_windows`` equal windows that run side by side (vectorised over windows x 8
states); each window starts its recursions from the boundary state metrics its
neighbours reached in the previous iteration ("next-iteration initialisation"), and
the first iteration from equiprobable states. With ``n_windows=1`` it is the exact
full-length decoder. A 1408-bit block (DJI DroneID) decodes in a few milliseconds.

LLR convention throughout: ``L = log P(bit = 0) / P(bit = 1)`` (positive means 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

__all__ = [
    "QPP_PARAMETERS",
    "TurboDecodeResult",
    "qpp_interleaver",
    "rate_dematch",
    "rate_match",
    "rate_match_indices",
    "turbo_decode",
    "turbo_encode",
]

#: (f1, f2) of the QPP interleaver for the block sizes K used here (TS 36.212 table 5.1.3-3).
QPP_PARAMETERS: dict[int, tuple[int, int]] = {
    40: (3, 10),
    48: (7, 12),
    56: (19, 42),
    64: (7, 16),
    104: (7, 26),
    1408: (43, 88),
}

#: Inter-column permutation of the sub-block interleaver (TS 36.212 table 5.1.4-1):
#: [0, 16, 8, 24, 4, ...], the 5-bit bit reversal of the column number.
_COLUMN_PERMUTATION = np.array([int(f"{j:05b}"[::-1], 2) for j in range(32)])
_N_COLUMNS = 32
_N_STATES = 8
_EXTRINSIC_SCALE = 0.7
_NEG = -1.0e9


def _build_trellis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Next state, parity bit and feedback bit of the RSC for every (state, input).

    A state packs the shift register as ``s = 4*r1 + 2*r2 + r3`` (``r1`` the newest).
    """
    next_state = np.zeros((_N_STATES, 2), dtype=np.int64)
    parity = np.zeros((_N_STATES, 2), dtype=np.int64)
    feedback = np.zeros(_N_STATES, dtype=np.int64)
    for s in range(_N_STATES):
        r1, r2, r3 = (s >> 2) & 1, (s >> 1) & 1, s & 1
        feedback[s] = r2 ^ r3
        for u in (0, 1):
            a = u ^ r2 ^ r3
            parity[s, u] = a ^ r1 ^ r3
            next_state[s, u] = (a << 2) | (r1 << 1) | r2
    return next_state, parity, feedback


_NEXT, _PARITY, _FEEDBACK = _build_trellis()
# Butterfly structure of this trellis (used to avoid fancy indexing in the recursions):
# the predecessors of state d are 2*(d mod 4) + r3 (r3 = 0, 1), and the successors of
# state s are 4*a + (s >> 1), where a = u ^ r2 ^ r3 is the bit shifted in.
_STATES = np.arange(_N_STATES)
_PRED_STATE = 2 * (_STATES[:, None] % 4) + np.arange(2)[None, :]  # (dest, r3)
_PRED_INPUT = np.array(
    [[np.flatnonzero(_NEXT[p] == d)[0] for p in _PRED_STATE[d]] for d in _STATES]
)
# Branch class = 2*u + parity: index into the four branch metrics of a step.
_PRED_CLASS = 2 * _PRED_INPUT + _PARITY[_PRED_STATE, _PRED_INPUT]  # (dest, r3)
_SUCC_INPUT = (np.arange(2)[None, :] ^ ((_STATES[:, None] >> 1) & 1) ^ (_STATES[:, None] & 1))
_SUCC_CLASS = 2 * _SUCC_INPUT + _PARITY[_STATES[:, None], _SUCC_INPUT]  # (origin, a)
_SUCC_STATE = 4 * np.arange(2)[None, :] + (_STATES[:, None] >> 1)  # (origin, a)


def qpp_interleaver(k: int) -> np.ndarray:
    """The QPP permutation ``pi`` for block size ``k``: interleaved bit ``i`` is input bit ``pi[i]``."""
    if k not in QPP_PARAMETERS:
        raise ValueError(f"no QPP parameters for block size {k} (known: {sorted(QPP_PARAMETERS)})")
    f1, f2 = QPP_PARAMETERS[k]
    i = np.arange(k, dtype=np.int64)
    return (f1 * i + f2 * i * i) % k


def _rsc_encode(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parity of one RSC encoder plus its three tail steps (systematic tail, parity tail)."""
    state = 0
    parity = np.empty(bits.size, dtype=np.uint8)
    for i, u in enumerate(bits):
        parity[i] = _PARITY[state, u]
        state = _NEXT[state, u]
    tail_x = np.empty(3, dtype=np.uint8)
    tail_z = np.empty(3, dtype=np.uint8)
    for i in range(3):
        u = _FEEDBACK[state]
        tail_x[i] = u
        tail_z[i] = _PARITY[state, u]
        state = _NEXT[state, u]
    return parity, tail_x, tail_z


def turbo_encode(bits: np.ndarray) -> np.ndarray:
    """Encode ``K`` bits into the three streams ``d0, d1, d2`` (shape ``(3, K + 4)``, uint8)."""
    c = np.asarray(bits, dtype=np.uint8)
    k = c.size
    pi = qpp_interleaver(k)
    z1, x1t, z1t = _rsc_encode(c)
    z2, x2t, z2t = _rsc_encode(c[pi])
    d = np.empty((3, k + 4), dtype=np.uint8)
    d[0, :k], d[1, :k], d[2, :k] = c, z1, z2
    # Tail multiplexing of TS 36.212 §5.1.3.2.2.
    d[0, k:] = [x1t[0], z1t[1], x2t[0], z2t[1]]
    d[1, k:] = [z1t[0], x1t[2], z2t[0], x2t[2]]
    d[2, k:] = [x1t[1], z1t[2], x2t[1], z2t[2]]
    return d


@lru_cache(maxsize=16)
def rate_match_indices(d_len: int, e_len: int, rv: int = 0) -> np.ndarray:
    """Flat indices into ``d.ravel()`` (shape ``(3, d_len)``) of the ``e_len`` rate-matched bits."""
    rows = -(-d_len // _N_COLUMNS)
    kpi = rows * _N_COLUMNS
    n_dummy = kpi - d_len
    # y[k] = index into the stream, -1 for <NULL>.
    y = np.full(kpi, -1, dtype=np.int64)
    y[n_dummy:] = np.arange(d_len)
    matrix = y.reshape(rows, _N_COLUMNS)
    v01 = matrix[:, _COLUMN_PERMUTATION].T.ravel()  # read out column by column
    k = np.arange(kpi)
    v2 = y[(_COLUMN_PERMUTATION[k // rows] + _N_COLUMNS * (k % rows) + 1) % kpi]
    w = np.empty(3 * kpi, dtype=np.int64)
    w[:kpi] = np.where(v01 >= 0, v01, -1)
    w[kpi::2] = np.where(v01 >= 0, v01 + d_len, -1)
    w[kpi + 1 :: 2] = np.where(v2 >= 0, v2 + 2 * d_len, -1)
    ncb = w.size
    k0 = rows * (2 * -(-ncb // (8 * rows)) * rv + 2)
    circular = np.roll(w, -k0)
    valid = circular[circular >= 0]
    reps = -(-e_len // valid.size)
    return np.tile(valid, reps)[:e_len]


def rate_match(d: np.ndarray, e_len: int, rv: int = 0) -> np.ndarray:
    """Select ``e_len`` bits from the turbo streams ``d`` (shape ``(3, D)``)."""
    d = np.asarray(d)
    return d.ravel()[rate_match_indices(d.shape[1], e_len, rv)]


def rate_dematch(llr: np.ndarray, d_len: int, rv: int = 0) -> np.ndarray:
    """Accumulate the ``E`` received soft values back onto the streams: shape ``(3, d_len)``.

    Repeated bits add (soft combining); bits never transmitted get LLR 0.
    """
    llr = np.asarray(llr, dtype=np.float64)
    idx = rate_match_indices(d_len, llr.size, rv)
    return np.bincount(idx, weights=llr, minlength=3 * d_len).reshape(3, d_len)


@dataclass(frozen=True)
class TurboDecodeResult:
    """Output of :func:`turbo_decode`: hard bits, a-posteriori LLRs and iterations used."""

    bits: np.ndarray
    llr: np.ndarray
    iterations: int


class _Windows(NamedTuple):
    """Layout of a windowed max-log-MAP pass over ``n_steps`` trellis steps, and the window boundaries.

    ``alpha0``/``beta_end`` are each window's first forward and last backward metrics: the
    first window starts in state 0, the last ends in state 0 (the padding after the tail
    holds strong "0" observations), and the inner boundaries come from the previous
    iteration (:func:`_constituent_pass` returns the next ones).
    """

    n_steps: int
    n_windows: int
    length: int
    alpha0: np.ndarray
    beta_end: np.ndarray


def _first_windows(n_steps: int, n_windows: int) -> _Windows:
    """The windows of the first iteration (inner boundaries unknown: all states equal)."""
    w = max(1, min(n_windows, n_steps))
    alpha0 = np.zeros((w, _N_STATES))
    beta_end = np.zeros((w, _N_STATES))
    alpha0[0] = _NEG
    alpha0[0, 0] = 0.0
    beta_end[-1] = _NEG
    beta_end[-1, 0] = 0.0
    return _Windows(n_steps, w, -(-n_steps // w), alpha0, beta_end)


def _constituent_pass(win: _Windows, lu: np.ndarray, lp: np.ndarray) -> tuple[np.ndarray, _Windows]:
    """A-posteriori LLRs of one RSC's inputs given input LLRs ``lu`` and parity LLRs ``lp``.

    Returns them with the window boundaries for the next iteration.
    """
    n_w, n_l = win.n_windows, win.length
    pad = n_w * n_l - win.n_steps
    big = 50.0
    # Time-major layout (step, window) so that each step is one contiguous slice.
    lu = np.concatenate([lu, np.full(pad, big)]).reshape(n_w, n_l).T
    lp = np.concatenate([lp, np.full(pad, big)]).reshape(n_w, n_l).T
    # Branch metric of class c = 2u + p: 0.5 * (+-lu +- lp), sign + for bit 0.
    g = np.empty((n_l, n_w, 4))
    g[..., 0] = 0.5 * (lu + lp)
    g[..., 1] = 0.5 * (lu - lp)
    g[..., 2] = -g[..., 1]
    g[..., 3] = -g[..., 0]
    g_in = g[..., _PRED_CLASS].reshape(n_l, n_w, 2, 4, 2)  # dest = 4h + m, by r3
    g_out = g[..., _SUCC_CLASS].reshape(n_l, n_w, 4, 2, 2)  # origin = 2m + r3, by a
    alpha = np.empty((n_l + 1, n_w, _N_STATES))
    beta = np.empty_like(alpha)
    a = win.alpha0
    alpha[0] = a
    for t in range(n_l):
        c = a.reshape(n_w, 1, 4, 2) + g_in[t]
        a = np.maximum(c[..., 0], c[..., 1]).reshape(n_w, _N_STATES)
        a -= a[:, :1]
        alpha[t + 1] = a
    b = win.beta_end
    beta[n_l] = b
    for t in range(n_l - 1, -1, -1):
        c = b.reshape(n_w, 2, 4).transpose(0, 2, 1)[:, :, None, :] + g_out[t]
        b = np.maximum(c[..., 0], c[..., 1]).reshape(n_w, _N_STATES)
        b -= b[:, :1]
        beta[t] = b
    following = win._replace(
        alpha0=np.concatenate([win.alpha0[:1], alpha[-1, :-1]]),
        beta_end=np.concatenate([beta[0, 1:], win.beta_end[-1:]]),
    )
    # Branch totals alpha_t(s) + gamma_t(s, a) + beta_{t+1}(4a + s >> 1).
    total = (
        alpha[:-1, :, :, None]
        + g_out.reshape(n_l, n_w, _N_STATES, 2)
        + beta[1:][..., _SUCC_STATE]
    )
    llr = np.where(_SUCC_INPUT == 0, total, -np.inf).max(axis=(2, 3)) - np.where(
        _SUCC_INPUT == 1, total, -np.inf
    ).max(axis=(2, 3))
    return llr.T.ravel()[: win.n_steps], following


def turbo_decode(
    d_llr: np.ndarray,
    k: int,
    *,
    max_iterations: int = 8,
    n_windows: int = 32,
    stop: Callable[[np.ndarray], bool] | None = None,
) -> TurboDecodeResult:
    """Decode soft streams ``d_llr`` (shape ``(3, k + 4)``, as from :func:`rate_dematch`).

    ``stop(bits)`` is called after each full iteration with the current hard decisions;
    returning True ends decoding early (e.g. a CRC that checks).
    """
    d_llr = np.asarray(d_llr, dtype=np.float64)
    if d_llr.shape != (3, k + 4):
        raise ValueError(f"expected soft streams of shape (3, {k + 4}), got {d_llr.shape}")
    pi = qpp_interleaver(k)
    sys_llr = d_llr[0, :k]
    # Undo the tail multiplexing: systematic and parity observations of each tail step.
    t0, t1, t2 = d_llr[0, k:], d_llr[1, k:], d_llr[2, k:]
    tail1_x, tail1_z = np.array([t0[0], t2[0], t1[1]]), np.array([t1[0], t0[1], t2[1]])
    tail2_x, tail2_z = np.array([t0[2], t2[2], t1[3]]), np.array([t1[2], t0[3], t2[3]])
    lp1 = np.concatenate([d_llr[1, :k], tail1_z])
    lp2 = np.concatenate([d_llr[2, :k], tail2_z])
    win1 = _first_windows(k + 3, n_windows)
    win2 = _first_windows(k + 3, n_windows)
    extrinsic2 = np.zeros(k)  # from decoder 2, in natural order
    post = sys_llr.copy()
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        lu1 = np.concatenate([sys_llr + extrinsic2, tail1_x])
        post1, win1 = _constituent_pass(win1, lu1, lp1)
        post1 = post1[:k]
        extrinsic1 = _EXTRINSIC_SCALE * (post1 - sys_llr - extrinsic2)
        lu2 = np.concatenate([sys_llr[pi] + extrinsic1[pi], tail2_x])
        post2, win2 = _constituent_pass(win2, lu2, lp2)
        post2 = post2[:k]
        ext2_interleaved = _EXTRINSIC_SCALE * (post2 - sys_llr[pi] - extrinsic1[pi])
        extrinsic2 = np.empty(k)
        extrinsic2[pi] = ext2_interleaved
        post = np.empty(k)
        post[pi] = post2
        if stop is not None and stop((post < 0).astype(np.uint8)):
            break
    return TurboDecodeResult(bits=(post < 0).astype(np.uint8), llr=post, iterations=iterations)
