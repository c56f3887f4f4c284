"""The shipped model on real public recordings (../shared/realdata; evaluation only, never training).

Runs ``classify`` over every file of ``expected.csv``. What must hold: no
drone is reported in a recording where none may be, and the DJI DroneID
recording is reported as ``dji-ocusync``. How well labels match otherwise is
measured by scripts/bench_accuracy.py and written to BENCHMARKS.md.
"""

from __future__ import annotations

import pytest

from rfclassify.classify.pipeline import Classifier
from rfclassify.classify.realdata import classify_real, default_realdata_dir, expected_rows

ROWS = expected_rows()
pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not ROWS, reason=f"no real recordings at {default_realdata_dir()}"),
]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


@pytest.mark.parametrize("row", ROWS, ids=[r["file"].split("/")[-1] for r in ROWS])
def test_no_false_drone_and_expected_drone(row, classifier):
    result = classify_real(row, classifier)
    if not result.drone_allowed:
        drones = [r["label"] for r in result.records if r["drone"]]
        assert not drones, f"{row['file']}: reported drone links {drones} in a drone-free recording"
    else:
        assert result.expected_label in result.labels, (
            f"{row['file']}: expected {result.expected_label}, reported {result.labels}"
        )
