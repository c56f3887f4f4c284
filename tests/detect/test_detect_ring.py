"""The one ring buffer: the last ``capacity`` items of a stream by absolute index, whatever the append sizes."""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.detect.ring import Ring


def test_ring_holds_the_last_items_for_any_append_sizes() -> None:
    rng = np.random.default_rng(0)
    stream = (rng.standard_normal(5000) + 1j * rng.standard_normal(5000)).astype(np.complex64)
    ring = Ring(300, (), np.complex64, origin=1000)
    pos = 0
    for n in rng.integers(0, 700, 40):  # shorter than, as long as and longer than the capacity
        n = min(int(n), len(stream) - pos)
        ring.append(stream[pos : pos + n])
        pos += n
        assert ring.end == 1000 + pos
        assert ring.first == 1000 + max(0, pos - 300)
        a, b = ring.first, ring.end
        np.testing.assert_array_equal(ring.copy(a, b), stream[a - 1000 : b - 1000])
        # A window inside what is held, and one reaching beyond it on both sides (clipped).
        lo = a + (b - a) // 3
        np.testing.assert_array_equal(ring.view(lo, b - 1), stream[lo - 1000 : b - 1 - 1000])
        np.testing.assert_array_equal(ring.copy(a - 50, b + 50), stream[a - 1000 : b - 1000])
    assert pos > 3 * 300


def test_ring_rows_and_columns() -> None:
    rows = np.arange(40 * 6, dtype=np.float32).reshape(40, 6)
    ring = Ring(16, (6,), np.float32)
    for i in range(0, 40, 7):
        ring.append(rows[i : i + 7])
    assert (ring.first, ring.end) == (24, 40)
    np.testing.assert_array_equal(ring.view(20, 40, slice(2, 4)), rows[24:40, 2:4])
    np.testing.assert_array_equal(ring.view(30, 35), rows[30:35])
    assert ring.view(0, 10).shape == (0, 6) and ring.view(0, 10, slice(1, 3)).shape == (0, 2)


def test_view_is_read_only_and_copy_is_independent() -> None:
    ring = Ring(8, (), np.int64)
    ring.append(np.arange(6))
    view = ring.view(1, 5)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0] = 99
    kept = ring.copy(1, 5)
    ring.append(np.arange(100, 108))  # overwrites every slot
    np.testing.assert_array_equal(kept, [1, 2, 3, 4])
    np.testing.assert_array_equal(ring.copy(0, 200), np.arange(100, 108))
    assert ring.copy(0, 3).shape == (0,)


def test_ring_refuses_no_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Ring(0)
