"""Evaluation reports SNR bins in numeric order, with their true centres."""

from __future__ import annotations

from itertools import pairwise

from rfclassify.classify import evaluation
from rfclassify.classify.evaluation import SNR_BINS_DB, snr_bin_edges


def test_bins_are_ordered_by_snr_not_by_text():
    names = [evaluation._snr_bin(lo + 0.1) for lo in SNR_BINS_DB[:-1]]
    shuffled = {name: [True, False] for name in sorted(names)}  # text order: "+0..+5" < "+10..+15" < "+5..+10"
    assert list(shuffled) != names
    ordered = evaluation._by_snr(shuffled)
    assert list(ordered) == names
    assert [snr_bin_edges(b)[0] for b in ordered] == list(SNR_BINS_DB[:-1])


def test_bin_edges_round_trip_and_centres():
    for lo, hi in pairwise(SNR_BINS_DB):
        name = evaluation._snr_bin((lo + hi) / 2)
        assert snr_bin_edges(name) == (lo, hi)
    assert sum(snr_bin_edges("+25..+40")) / 2 == 32.5
