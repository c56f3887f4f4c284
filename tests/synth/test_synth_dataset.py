"""Datasets on disk: valid SigMF, deterministic bytes whatever the parallelism, the synth CLI."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from sigmf.validate import validate

from rfclassify.cli.main import main
from rfclassify.signatures import labels
from rfclassify.sources import open_source
from rfclassify.synth.dataset import (
    RTLSDR_RATES_HZ,
    WIDEBAND_RATES_HZ,
    RecordingJob,
    plan_jobs,
    rtlsdr_rates_for,
    synthesize_dataset,
    tune_for,
)

CLASSES = ("elrs-900", "noise")
SMALL = {"per_class": 1, "snr_db_range": (5.0, 20.0), "duration_s": 0.03, "clutter_probability": 1.0,
         "progress": False}


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_dataset_is_valid_sigmf_with_ground_truth(tmp_path):
    paths = synthesize_dataset(tmp_path, CLASSES, receivers="both", seed=3, jobs=1, **SMALL)
    names = [p.name for p in paths]
    assert names == [
        "elrs-900_rtlsdr_0000.sigmf-meta",
        "elrs-900_wideband_0000.sigmf-meta",
        "noise_rtlsdr_0000.sigmf-meta",
        "noise_wideband_0000.sigmf-meta",
        "mixed_rtlsdr_0000.sigmf-meta",
        "mixed_wideband_0000.sigmf-meta",
    ]
    files = _files(tmp_path)
    assert len(files) == 2 * len(names)  # each recording's pair, nothing else
    assert all(n.endswith((".sigmf-meta", ".sigmf-data")) for n in files)
    for path in paths:
        meta = json.loads(path.read_text())
        validate(meta)  # raises on a schema violation
        glob = meta["global"]
        rtl = "_rtlsdr_" in path.name
        assert glob["core:datatype"] == ("cu8" if rtl else "ci8")
        assert glob["core:sample_rate"] in (RTLSDR_RATES_HZ if rtl else WIDEBAND_RATES_HZ)
        assert glob["rfclassify:seed"] == 3
        assert glob["rfclassify:generator"].startswith("rfclassify.synth")
        assert meta["captures"][0]["core:datetime"].startswith("2024-")
        with open_source(str(path)) as src:
            samples = src.read_all()
            assert len(samples) == round(0.03 * glob["core:sample_rate"])
            anns = src.annotations
        for a in anns:
            assert a["core:label"] in labels()
            assert {"rfclassify:snr_db", "rfclassify:link", "rfclassify:emitter_id"} <= set(a)
            assert 5.0 <= a["rfclassify:snr_db"] <= 20.0
            assert a["core:sample_start"] + a["core:sample_count"] <= len(samples)
        if path.name.startswith("elrs-900"):
            assert any(a["core:label"] == "elrs-900" for a in anns)
        if path.name.startswith("noise"):
            assert anns == []


def test_same_seed_same_bytes_whatever_jobs(tmp_path):
    one, two, other = tmp_path / "one", tmp_path / "two", tmp_path / "other"
    synthesize_dataset(one, CLASSES, receivers="rtlsdr", seed=7, jobs=1, **SMALL)
    synthesize_dataset(two, CLASSES, receivers="rtlsdr", seed=7, jobs=2, **SMALL)
    synthesize_dataset(other, CLASSES, receivers="rtlsdr", seed=8, jobs=1, **SMALL)
    assert _files(one) == _files(two) == _files(other)
    for name in _files(one):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    data = "elrs-900_rtlsdr_0000.sigmf-data"
    assert (one / data).read_bytes() != (other / data).read_bytes()


def test_a_recording_depends_on_its_own_name_only(tmp_path):
    # Generating more classes alongside does not change an existing recording's bytes.
    alone, together = tmp_path / "alone", tmp_path / "together"
    synthesize_dataset(alone, ("elrs-900",), receivers="rtlsdr", seed=5, jobs=1, **SMALL)
    synthesize_dataset(together, ("elrs-900", "lora-iot"), receivers="rtlsdr", seed=5, jobs=1, **SMALL)
    name = "elrs-900_rtlsdr_0000.sigmf-data"
    assert (alone / name).read_bytes() == (together / name).read_bytes()
    assert RecordingJob("elrs-900", "rtlsdr", 0).seed_sequence(5).spawn_key != (
        RecordingJob("elrs-900", "rtlsdr", 1).seed_sequence(5).spawn_key
    )


def test_refuses_to_overwrite(tmp_path):
    synthesize_dataset(tmp_path, ("noise",), receivers="rtlsdr", seed=1, **SMALL)
    before = {n: (tmp_path / n).read_bytes() for n in _files(tmp_path)}
    from rfclassify.errors import InputError

    with pytest.raises(InputError, match="refusing to overwrite"):
        synthesize_dataset(tmp_path, ("noise",), receivers="rtlsdr", seed=2, **SMALL)
    assert {n: (tmp_path / n).read_bytes() for n in _files(tmp_path)} == before


def test_plan_is_derived_from_the_registry():
    jobs = plan_jobs(labels(), 2, "both")
    kinds = {j.kind for j in jobs}
    assert kinds == {*labels(), "mixed"}
    assert len(jobs) == len(labels()) * 2 * 2 + 2 * 2
    assert len({j.name for j in jobs}) == len(jobs)
    with pytest.raises(KeyError, match="unknown class"):
        plan_jobs(("not-a-link",), 1, "rtlsdr")
    with pytest.raises(ValueError):
        plan_jobs(("noise",), 1, "hackrf")
    assert [j.kind for j in plan_jobs(("noise",), 1, "rtlsdr")] == ["noise"]  # no mixed without drones


def test_synth_cli_end_to_end(tmp_path):
    out = tmp_path / "ds"
    runner = CliRunner()
    args = ["synth", "-o", str(out), "--classes", "lora-iot,noise", "--per-class", "2",
            "--receiver", "rtlsdr", "--duration", "50ms", "--seed", "4", "--snr-db", "10:20"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "wrote 4 recordings" in result.output
    assert _files(out) == sorted(
        f"{c}_rtlsdr_{i:04d}.sigmf-{e}" for c in ("lora-iot", "noise") for i in range(2) for e in ("data", "meta")
    )
    info = runner.invoke(main, ["info", "-F", "json", str(out / "lora-iot_rtlsdr_0001.sigmf-meta")])
    assert info.exit_code == 0, info.output
    assert json.loads(info.output)["sample_rate_hz"] == 2.4e6
    again = runner.invoke(main, args)
    assert again.exit_code == 2 and "exists; use --force" in again.output


@pytest.mark.parametrize(
    "bad,message",
    [
        (["--classes", "elrs-900,bogus"], "unknown class bogus"),
        (["--snr-db", "20:10"], "LO must not exceed HI"),
        (["--snr-db", "loud"], "not LO:HI"),
        (["--receiver", "hackrf"], "Invalid value"),
        (["--duration", "0"], "must be positive"),
    ],
)
def test_synth_cli_rejects_bad_input(tmp_path, bad, message):
    result = CliRunner().invoke(main, ["synth", "-o", str(tmp_path / "x"), *bad])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_help_lists_every_class_from_the_registry():
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split()).replace("- ", "-")  # help wraps at hyphens
    for label in labels():
        assert label in text
    assert "Examples" in result.output


def test_samples_on_disk_equal_the_rendered_scene(tmp_path):
    from rfclassify.synth.dataset import observed_scene

    job = RecordingJob("lora-iot", "rtlsdr", 0)
    synthesize_dataset(tmp_path, ("lora-iot",), receivers="rtlsdr", seed=9, **{**SMALL, "clutter_probability": 0.0})
    rng = np.random.default_rng(job.seed_sequence(9))
    rng.integers(0, 365 * 86400)  # the datetime draw comes first
    _, rendered = observed_scene("lora-iot", "rtlsdr", 0.03, (5.0, 20.0), rng, 0.0)
    with open_source(str(tmp_path / "lora-iot_rtlsdr_0000.sigmf-meta")) as src:
        np.testing.assert_array_equal(src.read_all(), rendered.samples)


def test_rtlsdr_rates_fit_the_signal():
    """Narrow ISM signals are also seen at rtl_433's 250 kS/s; a link never at a rate too narrow to hold it."""
    ook, _ = rtlsdr_rates_for(80e3)
    assert 0.25e6 in ook and set(ook) == set(RTLSDR_RATES_HZ)
    elrs, w = rtlsdr_rates_for(500e3)
    assert min(elrs) == 1.024e6 and abs(w.sum() - 1) < 1e-12
    wide, _ = rtlsdr_rates_for(16e6)  # Wi-Fi: an in-band slice at the two widest rates, as before
    assert set(wide) == {2.4e6, 2.048e6}
    rng = np.random.default_rng(5)
    drawn = {tune_for("ook-ism", "rtlsdr", rng).sample_rate_hz for _ in range(200)}
    assert 0.25e6 in drawn and 2.4e6 in drawn
    drawn = {tune_for("dsmx", "rtlsdr", rng).sample_rate_hz for _ in range(200)}
    assert drawn == {2.4e6, 2.048e6}
