"""Leave-one-class-out (scripts/bench_loco.py): held-out classes from the registry, rows dropped, shares read right."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_loco

from rfclassify.signatures import REGISTRY


def test_held_out_classes_are_the_registrys_non_drone_labels() -> None:
    held = bench_loco.held_out_classes()
    assert held == [lab for lab, sig in REGISTRY.items() if not sig.drone]
    assert bench_loco.held_out_classes(["wifi"]) == ["wifi"]
    drone = next(lab for lab, sig in REGISTRY.items() if sig.drone)
    with pytest.raises(ValueError, match=drone):
        bench_loco.held_out_classes([drone])


def test_without_drops_every_row_of_the_class_and_only_those() -> None:
    X = np.arange(12.0).reshape(6, 2)
    y = np.array(["wifi", "noise", "wifi", "elrs-900", "ook-ism", "wifi"])
    Xk, yk = bench_loco.without(X, y, "wifi")
    assert list(yk) == ["noise", "elrs-900", "ook-ism"]
    assert Xk.tolist() == [[2.0, 3.0], [6.0, 7.0], [8.0, 9.0]]


def test_fall_to_reads_the_held_out_row_of_the_confusion_matrix() -> None:
    metrics = {"confusion": {"labels": ["elrs-900", "ook-ism", "unknown", "wifi"],
                             "matrix": [[5, 0, 0, 0], [1, 0, 3, 0], [0, 0, 0, 0], [0, 0, 0, 2]]}}
    assert bench_loco.fall_to(metrics, "ook-ism") == {"unknown": 0.75, "elrs-900": 0.25}
    assert list(bench_loco.fall_to(metrics, "ook-ism")) == ["unknown", "elrs-900"]  # largest share first
    assert bench_loco.fall_to(metrics, "lora-iot") == {}


def test_a_row_shows_drone_shares_and_confirmed_drones() -> None:
    metrics = {"confusion": {"labels": ["elrs-900", "ook-ism", "unknown"], "matrix": [[0, 0, 0], [1, 0, 3], [0, 0, 0]]},
               "per_class": {"ook-ism": {"support": 4}}, "recordings": 2, "false_drone_emitters": 1,
               "false_drone_examples": [{"label": "elrs-900", "bursts": 6, "recording": "ook-ism_rtlsdr_0001"}]}
    row = bench_loco.row_text("ook-ism held out", "ook-ism", metrics)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:6] == ["ook-ism held out", "2", "4", "0.750", "elrs-900 0.250", "0.250"]
    assert cells[6].startswith("**1**") and "elrs-900 (6 bursts" in cells[6]


def test_class_recordings_are_found_by_name(tmp_path: Path) -> None:
    for name in ("wifi_rtlsdr_0000", "wifi_wideband_0003", "mixed_rtlsdr_0000", "wifi-like_rtlsdr_0000"):
        (tmp_path / f"{name}.sigmf-meta").write_text("{}")
    found = bench_loco.class_recordings("wifi", [tmp_path])
    assert [p.name for p, folder in found] == ["wifi_rtlsdr_0000.sigmf-meta", "wifi_wideband_0003.sigmf-meta"]
    assert all(folder is None for _, folder in found)
