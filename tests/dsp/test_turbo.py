"""The LTE turbo codec: structure of the encoder and rate matcher, and decoding in noise."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.dsp.turbo import (
    QPP_PARAMETERS,
    qpp_interleaver,
    rate_dematch,
    rate_match,
    rate_match_indices,
    turbo_decode,
    turbo_encode,
)


@pytest.mark.parametrize("k", sorted(QPP_PARAMETERS))
def test_qpp_is_a_permutation(k: int) -> None:
    assert np.array_equal(np.sort(qpp_interleaver(k)), np.arange(k))


def test_unknown_block_size_is_refused() -> None:
    with pytest.raises(ValueError, match="block size 41"):
        qpp_interleaver(41)


def test_encoder_is_systematic_and_terminates() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, 40).astype(np.uint8)
    d = turbo_encode(bits)
    assert d.shape == (3, 44)
    assert np.array_equal(d[0, :40], bits)
    # The all-zero input gives the all-zero codeword (linear code, terminated in state 0).
    assert not turbo_encode(np.zeros(40, dtype=np.uint8)).any()
    # Linearity: the code of a XOR b is the XOR of the codes.
    other = rng.integers(0, 2, 40).astype(np.uint8)
    assert np.array_equal(turbo_encode(bits ^ other), d ^ turbo_encode(other))


def test_parity_satisfies_the_generator_polynomials() -> None:
    # Over GF(2), the parity P(D) of input U(D) obeys P(D) g0(D) = U(D) g1(D) with
    # g0 = 1 + D^2 + D^3 (octal 13) and g1 = 1 + D + D^3 (octal 15).
    rng = np.random.default_rng(5)
    bits = rng.integers(0, 2, 64).astype(np.uint8)
    parity = turbo_encode(bits)[1, :64].astype(int)
    g0 = np.array([1, 0, 1, 1])
    g1 = np.array([1, 1, 0, 1])
    lhs = np.convolve(parity, g0)[:64] % 2
    rhs = np.convolve(bits.astype(int), g1)[:64] % 2
    assert np.array_equal(lhs, rhs)


def test_rate_matching_for_droneid_puts_the_whole_systematic_stream_at_4148() -> None:
    # 1412-bit streams (K = 1408) into 7200 bits with rv = 0: the buffer starts at
    # k0 = 2R = 90, so the systematic sub-block comes round after 4148 bits.
    idx = rate_match_indices(1412, 7200)
    assert idx.size == 7200
    assert np.array_equal(np.sort(idx[4148 : 4148 + 1412]), np.arange(1412))
    assert set(np.unique(idx)) == set(range(3 * 1412))


def test_rate_dematch_combines_repeats() -> None:
    d = turbo_encode(np.ones(40, dtype=np.uint8))
    e = rate_match(d, 300)
    soft = rate_dematch(1.0 - 2.0 * e, 44)
    counts = np.bincount(rate_match_indices(44, 300), minlength=132).reshape(3, 44)
    assert np.array_equal(soft, (1.0 - 2.0 * d) * counts)


def _noisy_frame(rng: np.random.Generator, k: int, e_len: int, es_n0_db: float):
    bits = rng.integers(0, 2, k).astype(np.uint8)
    e = rate_match(turbo_encode(bits), e_len)
    n0 = 10 ** (-es_n0_db / 10)
    received = (1.0 - 2.0 * e) + rng.normal(0.0, np.sqrt(n0 / 2), e.size)
    return bits, rate_dematch(4.0 * received / n0, k + 4)


@pytest.mark.parametrize("n_windows", [1, 32])
def test_turbo_decodes_where_the_systematic_bits_alone_fail(n_windows: int) -> None:
    rng = np.random.default_rng(7)
    k = 1408
    decoded = systematic = 0
    for _ in range(6):
        bits, soft = _noisy_frame(rng, k, 7200, es_n0_db=-4.0)
        result = turbo_decode(soft, k, n_windows=n_windows)
        decoded += np.array_equal(result.bits, bits)
        systematic += np.array_equal((soft[0, :k] < 0).astype(np.uint8), bits)
    assert decoded == 6
    assert systematic == 0


def test_early_stop_ends_after_the_first_iteration_in_clean_conditions() -> None:
    rng = np.random.default_rng(3)
    bits, soft = _noisy_frame(rng, 40, 132, es_n0_db=10.0)
    result = turbo_decode(soft, 40, stop=lambda b: np.array_equal(b, bits))
    assert result.iterations == 1
    assert np.array_equal(result.bits, bits)


def test_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        turbo_decode(np.zeros((3, 40)), 40)
