"""Every list of labels outside the registry agrees with it: CLI choices, the shipped model, the README."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.signatures import REGISTRY, labels

ROOT = Path(__file__).resolve().parents[2]


#: Registry labels the shipped model does not name yet, with the measured reason. ``make model`` builds a
#: 22-class model (all of them); measured on this repository's tests it lost drone recall: DJI OcuSync
#: and analog video links at their own bands were not claimed (video bursts at 0.3-0.5 calibrated
#: confidence: one-vs-rest sigmoid floors over 22 classes), so the 13-class model stays shipped until
#: the calibration is fixed (issue 16 notes). Empty this set when the shipped model is rebuilt.
NOT_YET_IN_SHIPPED_MODEL = frozenset({"lte", "nr", "gsm", "adsb", "dect", "zigbee", "fm-broadcast", "lmr",
                                      "ism-fhss"})


def test_shipped_model_classes_are_the_registry_labels():
    from rfclassify.classify.pipeline import Classifier

    classes = set(Classifier.load().classes)
    assert classes == set(labels()) - NOT_YET_IN_SHIPPED_MODEL
    assert all(not REGISTRY[label].drone for label in NOT_YET_IN_SHIPPED_MODEL)


def test_readme_label_table_is_the_registry():
    text = (ROOT / "README.md").read_text()
    section = text.split("## What it knows", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (yes|no) \| ([a-z—-]+) \|", section, flags=re.MULTILINE)
    assert [r[0] for r in rows] == list(labels())
    for label, drone, link in rows:
        sig = REGISTRY[label]
        assert (drone == "yes") == sig.drone
        assert link == (sig.link if sig.link != "none" else "—")


def test_synth_cli_accepts_exactly_the_registry_labels():
    runner = CliRunner()
    bad = runner.invoke(main, ["synth", "-o", "unused", "--classes", "not-a-label"])
    assert bad.exit_code == 2
    for label in labels():
        assert label in bad.stderr  # the error lists the known labels, from the registry
