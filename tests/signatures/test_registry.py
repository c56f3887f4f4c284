"""The signature registry agrees with SIGNATURES.md and with itself.

SIGNATURES.md (in ``shared/`` beside the checkout) is the spec of the label
taxonomy; every list of labels in the package derives from the registry, so
the registry must hold exactly the spec's labels with the spec's drone flags,
and every drone label must name its drone models.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rfclassify.signatures import (
    LINKS,
    REGISTRY,
    UNKNOWN,
    drone_labels,
    get,
    labels,
    models_for,
)
from rfclassify.testing.bursts import emit

#: The physical spec travels with the repository; ``shared/`` beside the checkout holds the upstream copy.
SPEC = Path(__file__).resolve().parents[2] / "docs" / "SIGNATURES.md"
UPSTREAM_SPEC = Path(__file__).resolve().parents[3] / "shared" / "SIGNATURES.md"
N_LABELS = 22


def _tables() -> dict[bool, dict[str, list[str]]]:
    """{drone flag: {label: row cells}} from the tables of SIGNATURES.md.

    The clutter table ("Clutter a border sensor hears") lists non-drone labels too: they join the
    ``False`` table once their signature modules exist (:func:`_clutter_labels` lists them).
    """
    tables: dict[bool, dict[str, list[str]]] = {True: {}, False: {}}
    section: bool | None = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = (
                True if "drone: true" in line
                else False if "drone: false" in line or line.startswith("## Clutter")
                else None
            )
            continue
        row = re.match(r"^\|\s*`([a-z0-9-]+)`\s*\|(.*)$", line)
        if row and section is not None:
            tables[section][row.group(1)] = [c.strip() for c in row.group(2).split("|")]
    return tables


def test_spec_copy_is_current():
    """docs/SIGNATURES.md is the upstream spec of shared/, when that is beside the checkout."""
    if not UPSTREAM_SPEC.exists():
        pytest.skip(f"{UPSTREAM_SPEC} not present (shared/ is not beside this checkout)")
    assert SPEC.read_text(encoding="utf-8") == UPSTREAM_SPEC.read_text(encoding="utf-8"), (
        f"copy {UPSTREAM_SPEC} to {SPEC}"
    )


def test_spec_parses_into_two_tables():
    tables = _tables()
    assert len(tables[True]) >= 1 and len(tables[False]) >= 1
    assert not set(tables[True]) & set(tables[False])


def test_registry_has_exactly_the_spec_labels():
    tables = _tables()
    spec = set(tables[True]) | set(tables[False])
    assert len(spec) == N_LABELS
    assert N_LABELS == len(labels())
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
    for label in labels():
        models = models_for(label)
        assert isinstance(models, list)
        if get(label).drone:
            assert models, f"drone label {label} lists no models"
            assert all(isinstance(m, str) and m for m in models), label
        else:
            assert models == [], label
    assert models_for(UNKNOWN) == []
    with pytest.raises(KeyError):
        models_for("no-such-label")


def test_signatures_state_their_physics():
    planned = 0  # bands with a channel plan (without one, a band's emitters may sit anywhere in it)
    for label, sig in REGISTRY.items():
        assert sig.bands, label
        for band in sig.bands:
            assert band.lo_hz < band.hi_hz, (label, band.name)
            # Every channel's occupied bandwidth reaches into its band, give or take 1 MHz: some
            # channel plans put a centre on or just past the regulatory edge (A7105 channel 168 =
            # 2484 MHz for AFHDS 2A; DroneID at 5721.5 MHz with a 5725 MHz band edge).
            slack_hz = sig.bandwidth_hz / 2 + 1e6
            if band.channels_hz:
                planned += 1
                assert band.lo_hz - slack_hz <= min(band.channels_hz), (label, band.name)
                assert max(band.channels_hz) <= band.hi_hz + slack_hz, (label, band.name)
        assert sig.sources, label
        if label != "noise":
            assert sig.bandwidth_hz > 0, label
    assert planned >= len(REGISTRY) - 1  # every class but noise plans its channels in at least one band


@pytest.mark.parametrize("label", sorted(REGISTRY))
def test_every_signature_emits_for_one_second(label):
    """Each band of each signature yields well-formed bursts starting in [0, 1 s) (``noise``: none)."""
    sig = get(label)
    for k, band in enumerate(sig.bands):
        bursts = emit(sig, 1.0, band, seed=100 + k)
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


# -- discovery: a protocol is one module ------------------------------------------------------------

TEMPLATE = Path(__file__).resolve().parents[2] / "rfclassify" / "signatures" / "_template.py"


def _package(tmp_path, monkeypatch, name: str, modules: dict[str, str]) -> str:
    """A temporary package ``name`` holding ``modules`` (file name → source), importable."""
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for file, text in modules.items():
        (pkg / file).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _dummy_source(label: str = "dummy-link", drone: bool = True) -> str:
    text = TEMPLATE.read_text().replace('label="template-link"', f'label="{label}"')
    if drone:
        text = text.replace(
            '    drone=False,\n    link="none",',
            '    drone=True,\n    link="control",\n    drone_models=("Dummy quad",),\n'
            '    drone_model_sources=("a test",),',
        )
    return text


def test_discovery_finds_a_module_without_any_list(tmp_path, monkeypatch):
    from rfclassify.signatures import discover

    name = _package(tmp_path, monkeypatch, "sigpkg_ok", {"dummy_link.py": _dummy_source(), "_notes.py": "X = 1\n"})
    found = discover(name)
    assert list(found) == ["dummy-link"]
    assert found["dummy-link"].drone_models == ("Dummy quad",)


def test_a_broken_signature_module_raises(tmp_path, monkeypatch):
    from rfclassify.signatures import RegistryError, discover

    name = _package(tmp_path, monkeypatch, "sigpkg_broken", {"good.py": _dummy_source(), "bad.py": "import no_such_mod\n"})
    with pytest.raises(RegistryError, match="sigpkg_broken.bad"):
        discover(name)
    name = _package(tmp_path, monkeypatch, "sigpkg_empty", {"empty.py": "X = 1\n"})
    with pytest.raises(RegistryError, match="defines no SIGNATURE"):
        discover(name)
    twice = {"a.py": _dummy_source(), "b.py": _dummy_source()}
    name = _package(tmp_path, monkeypatch, "sigpkg_twice", twice)
    with pytest.raises(RegistryError, match="two signature modules"):
        discover(name)


def test_a_drone_module_without_models_is_refused(tmp_path, monkeypatch):
    from rfclassify.signatures import RegistryError, discover

    text = _dummy_source().replace('    drone_models=("Dummy quad",),\n', "")
    name = _package(tmp_path, monkeypatch, "sigpkg_nomodels", {"dummy_link.py": text})
    with pytest.raises(RegistryError, match="drone models"):
        discover(name)


def test_a_new_protocol_appears_in_every_derived_list(tmp_path, monkeypatch):
    """One module in a temp package, added to the registry: every list derived from it shows the label."""
    import sys

    from click.testing import CliRunner

    from rfclassify.classify.tracking import label_fields
    from rfclassify.cli.main import main as cli
    from rfclassify.signatures import REGISTRY, discover

    name = _package(tmp_path, monkeypatch, "sigpkg_new", {"dummy_link.py": _dummy_source()})
    extra = discover(name)
    monkeypatch.setitem(REGISTRY, "dummy-link", extra["dummy-link"])
    assert "dummy-link" in labels() and "dummy-link" in drone_labels()
    assert models_for("dummy-link") == ["Dummy quad"]
    assert label_fields("dummy-link") == {"drone": True, "link": "control", "models": ["Dummy quad"]}
    synth = ["synth", "-o", str(tmp_path / "out"), "--per-class", "0", "--receiver", "rtlsdr", "--classes"]
    assert CliRunner().invoke(cli, [*synth, "dummy-link"]).exit_code == 0
    assert CliRunner().invoke(cli, [*synth, "dummy-linq"]).exit_code == 2
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    try:
        import readme_labels
    finally:
        sys.path.pop(0)
    assert "| `dummy-link` | yes | control | 902–928 |" in readme_labels.render()


def test_readme_label_table_is_current():
    """The README's table is derived from the registry (scripts/readme_labels.py, run by make model)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "readme_labels.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


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
