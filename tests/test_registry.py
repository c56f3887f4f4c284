"""The signature registry agrees with SIGNATURES.md, the drone-models data file and itself.

SIGNATURES.md (in ``shared/`` beside the checkout) is the spec of the label
taxonomy; every list of labels in the package derives from the registry, so
the registry must hold exactly the spec's labels with the spec's drone flags,
and every label must have a drone-models entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rfclassify.signatures import LINKS, REGISTRY, UNKNOWN, EmitRequest, drone_labels, get, labels
from rfclassify.signatures.models import models_for, models_table

SPEC = Path(__file__).resolve().parents[2] / "shared" / "SIGNATURES.md"
N_LABELS = 13


def _tables() -> dict[bool, dict[str, list[str]]]:
    """{drone flag: {label: row cells}} from the two tables of SIGNATURES.md."""
    if not SPEC.exists():
        pytest.skip(f"{SPEC} not present (shared/ is not beside this checkout)")
    tables: dict[bool, dict[str, list[str]]] = {True: {}, False: {}}
    section: bool | None = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = True if "drone: true" in line else False if "drone: false" in line else None
            continue
        row = re.match(r"^\|\s*`([a-z0-9-]+)`\s*\|(.*)$", line)
        if row and section is not None:
            tables[section][row.group(1)] = [c.strip() for c in row.group(2).split("|")]
    return tables


def test_spec_parses_into_two_tables():
    tables = _tables()
    assert len(tables[True]) >= 1 and len(tables[False]) >= 1
    assert not set(tables[True]) & set(tables[False])


def test_registry_has_exactly_the_spec_labels():
    tables = _tables()
    spec = set(tables[True]) | set(tables[False])
    assert len(spec) == N_LABELS
    missing = sorted(spec - set(labels()))
    extra = sorted(set(labels()) - spec)
    assert not missing, f"signature modules missing for {missing}"
    assert not extra, f"labels not in SIGNATURES.md: {extra}"
    assert len(labels()) == len(set(labels())) == N_LABELS
    assert UNKNOWN not in labels()


def test_drone_flags_agree_with_spec():
    tables = _tables()
    for label in labels():
        assert get(label).drone == (label in tables[True]), label
    assert set(drone_labels()) == set(tables[True]) & set(labels())


def test_links_are_valid():
    tables = _tables()
    for label, sig in REGISTRY.items():
        assert sig.label == label
        assert sig.link in LINKS, label
        if label in tables[True]:
            # The drone table's link column names the link type, e.g. "control (+ telemetry downlink)".
            assert sig.link in tables[True][label][0], (label, sig.link, tables[True][label][0])
        else:
            assert sig.link == "none", label


def test_every_label_has_a_models_entry():
    tables = _tables()
    table = models_table()
    assert set(table) == set(tables[True]) | set(tables[False])
    for label in labels():
        models = models_for(label)
        assert isinstance(models, list) and all(isinstance(m, str) and m for m in models)
        if get(label).drone:
            assert models, f"drone label {label} lists no models"
        else:
            assert models == [], label
    assert models_for(UNKNOWN) == []
    with pytest.raises(KeyError):
        models_for("no-such-label")


def test_signatures_state_their_physics():
    for label, sig in REGISTRY.items():
        assert sig.bands, label
        for band in sig.bands:
            assert band.lo_hz < band.hi_hz, (label, band.name)
            # Every channel's occupied bandwidth reaches into its band, give or take 1 MHz: some
            # channel plans put a centre on or just past the regulatory edge (A7105 channel 168 =
            # 2484 MHz for AFHDS 2A; DroneID at 5721.5 MHz with a 5725 MHz band edge).
            slack_hz = sig.bandwidth_hz / 2 + 1e6
            assert all(band.lo_hz - slack_hz <= f <= band.hi_hz + slack_hz for f in band.channels_hz), (
                label,
                band.name,
            )
        assert sig.sources, label
        if label != "noise":
            assert sig.bandwidth_hz > 0, label


@pytest.mark.parametrize("label", sorted(REGISTRY))
def test_every_signature_emits_for_one_second(label):
    """Each band of each signature yields well-formed bursts starting in [0, 1 s) (``noise``: none)."""
    sig = get(label)
    for k, band in enumerate(sig.bands):
        req = EmitRequest(np.random.default_rng(100 + k), 1.0, band)
        bursts = sig.emit(req)
        if label == "noise":
            assert bursts == []
            continue
        assert bursts, (label, band.name)
        starts = [b.t_start_s for b in bursts]
        assert starts == sorted(starts)
        for b in bursts:
            assert 0.0 <= b.t_start_s < 1.0, (label, band.name)
            assert b.samples.dtype == np.complex64 and len(b.samples) > 0
            assert np.all(np.isfinite(b.samples))
            assert b.sample_rate_hz > 0
            assert b.f_lo_hz < b.f_hi_hz
            assert b.f_hi_hz > band.lo_hz - sig.bandwidth_hz and b.f_lo_hz < band.hi_hz + sig.bandwidth_hz
            assert b.link in LINKS
            assert 0.0 < b.power_fraction <= 1.0
            assert float(np.mean(np.abs(b.samples) ** 2)) == pytest.approx(1.0, rel=0.05)


def test_band_membership_allows_lo_error_and_the_signals_width():
    from rfclassify.signatures import in_band_mask

    dji, noise = get("dji-ocusync"), get("noise")
    # DroneID on 2399.5 MHz, 9 MHz wide: its centre is below the ISM band, its extent is not
    assert dji.in_band(2399.5e6, 9e6) and not dji.in_band(2399.5e6, 0.0)
    assert not dji.in_band(1815e6, 18e6) and not dji.in_band(2360e6, 7.5e6)
    assert dji.in_band(5800e6, 20e6) and not dji.in_band(5900e6, 20e6)
    # 30 ppm of LO error: 0.07 MHz at 2.4 GHz
    assert dji.in_band(2399.95e6, 0.0) and not dji.in_band(2399.9e6, 0.0)
    assert not noise.band_limited and noise.in_band(10e9) and dji.band_limited
    assert get("analog-video").continuous and get("dji-ocusync").continuous and not get("elrs-900").continuous
    mask = in_band_mask(["dji-ocusync", "noise", "not-a-label"], np.array([1815e6, np.nan]), np.array([1e6, 1e6]))
    assert mask.tolist() == [[False, True, True], [True, True, True]]
