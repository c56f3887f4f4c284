"""``rfclassify bearing`` and ``rfclassify calibrate`` on real SigMF files, including bad geometry input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.bearing.doa import angle_error_deg
from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.bearing.rotating import AZIMUTH_KEY
from rfclassify.cli.main import main
from rfclassify.signatures import REGISTRY, UNKNOWN
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.synth.array import (
    ChannelErrors,
    common_noise_recording,
    elrs_like_emitters,
    rotating_recording,
)
from rfclassify.testing.array_scene import CENTER_HZ, RATE_HZ, UCA, array_scene, write_array_scene

TRUTH = {-300e3: 40.0, 400e3: 250.0}
ERRORS = ChannelErrors.random(5, np.random.default_rng(99), max_delay_samples=3)


def _write_array(path, geometry=UCA, metadata=True, errors=None, seed=0):
    x = array_scene(TRUTH.items(), int(0.03 * RATE_HZ), 10.0, np.random.default_rng(seed), geometry=geometry,
                    errors=errors)
    return str(write_array_scene(path, x, geometry if metadata else None))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bearing")
    noise = common_noise_recording(5, 1 << 15, np.random.default_rng(3), errors=ERRORS) * 0.02
    return {
        "array": _write_array(d / "uca"),
        "bare": _write_array(d / "bare", metadata=False),
        "uncal": _write_array(d / "uncal", errors=ERRORS, seed=1),
        "noise": str(write_sigmf(d / "noise", noise, datatype="ci16_le", sample_rate_hz=RATE_HZ,
                                 center_freq_hz=CENTER_HZ)),
        "dir": d,
    }


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _check_bearings(stdout, calibrated=False):
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == 2
    for rec in lines:
        assert rec["bearing_calibrated"] is calibrated
        off = min(TRUTH, key=lambda o: abs(CENTER_HZ + o - rec["freq_hz"]))
        assert angle_error_deg(rec["bearing_deg"], TRUTH[off]) < 1.0, rec
        assert 0 < rec["bearing_std_deg"] < 1.0
        for key in ("source", "label", "drone", "link", "confidence", "t_start_s", "t_end_s", "freq_hz",
                    "bandwidth_hz", "snr_db", "bursts", "models", "bearing_deg", "bearing_std_deg"):
            assert key in rec
        assert rec["label"] in REGISTRY or rec["label"] == UNKNOWN  # named by the classifier, or not
    return lines


def test_bearing_from_metadata_geometry_and_plot(files):
    plot = files["dir"] / "doa.png"
    code, out, err = _run("bearing", files["array"], "--plot", plot, "--assume-calibrated")
    assert code == 0, err
    _check_bearings(out)
    assert plot.stat().st_size > 1000


def test_bearing_with_cli_geometry_and_every_method(files):
    for method in ("music", "bartlett", "capon"):
        code, out, err = _run("bearing", files["bare"], "--array", "uca", "--elements", 5, "--radius", 0.11,
                              "--method", method, "--assume-calibrated")
        assert code == 0, err
        _check_bearings(out)


def test_calibrate_then_bearing(files):
    cal = files["dir"] / "cal.json"
    code, out, err = _run("calibrate", files["noise"], "-o", cal)
    assert code == 0, err
    assert json.loads(out)["delay_samples"] == [d - ERRORS.delay_samples[0] for d in ERRORS.delay_samples]
    code, out, err = _run("bearing", files["uncal"], "--calibration", cal)
    assert code == 0, err
    _check_bearings(out, calibrated=True)
    code, _, err = _run("calibrate", files["noise"], "-o", cal)  # never silently replaced
    assert code == 2 and "exists" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--array", "uca", "--elements", "4", "--radius", "0.11"], "5 channel"),
        ([], "without array geometry"),
        (["--positions", "0,0;0.1"], "--positions"),
        (["--positions", "0,0;0.1,zero;0.2,0"], "--positions"),
        (["--array", "uca", "--elements", "5"], "--radius"),
        (["--array", "ula", "--elements", "5", "--radius", "0.1"], "--spacing"),
    ],
)
def test_bad_geometry_is_one_line_and_exit_2(files, args, needle):
    code, out, err = _run("bearing", files["bare"], *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_spacing_above_half_wavelength_is_a_warning_not_an_error(tmp_path):
    ula = ArrayGeometry.ula(5, 0.3)  # λ/2 at 915 MHz is 0.164 m
    path = _write_array(tmp_path / "wide", geometry=ula)
    code, out, err = _run("bearing", path, "--assume-calibrated")
    assert code == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "half a wavelength" in warnings[0]
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(TRUTH)
    assert all(r["bearing_ambiguity"] == "mirror" for r in records)


def test_rotating_antenna_recording_through_the_cli(tmp_path):
    rng = np.random.default_rng(17)
    dwell = int(0.005 * RATE_HZ)
    azimuths = np.arange(0.0, 360.0, 10.0)
    n = dwell * len(azimuths)
    emitter = elrs_like_emitters([(-200e3, 205.0)], n, RATE_HZ, CENTER_HZ, 12.0, rng)
    x, caps = rotating_recording(emitter, azimuths, dwell, 60.0, rng)
    captures = [{"core:sample_start": s, AZIMUTH_KEY: a} for s, a in caps]
    path = write_sigmf(tmp_path / "sweep", x * 0.05, datatype="ci16_le", sample_rate_hz=RATE_HZ,
                       center_freq_hz=CENTER_HZ, captures=captures)
    code, _, err = _run("bearing", path)
    assert code == 2 and "--beamwidth" in err
    code, out, err = _run("bearing", path, "--beamwidth", 60)
    assert code == 0, err
    recs = [json.loads(line) for line in out.splitlines()]
    assert len(recs) == 1
    assert angle_error_deg(recs[0]["bearing_deg"], 205.0) <= 5.0
    assert recs[0]["bearing_method"] == "rotating-gaussian"


def test_synth_bearing_examples_run_the_readme_commands(tmp_path):
    """`synth --bearing-examples` writes what the README's calibrate/bearing examples need; bearings are true."""
    code, out, err = _run("synth", "-o", tmp_path, "--bearing-examples")
    assert code == 0, err
    assert {line.split(":")[0] for line in out.splitlines()} == {"kraken", "noise", "sweep"}
    cal = tmp_path / "cal.json"
    code, _, err = _run("calibrate", tmp_path / "noise_915M_2400k.sigmf-meta", "-o", cal,
                        "--array", "uca", "--elements", 5, "--radius", 0.11)
    assert code == 0, err
    code, out, err = _run("bearing", tmp_path / "kraken_915M_2400k.sigmf-meta", "--calibration", cal)
    assert code == 0, err
    recs = [json.loads(line) for line in out.splitlines()]
    assert len(recs) == 2
    for rec in recs:
        truth = 40.0 if rec["freq_hz"] < CENTER_HZ else 250.0
        assert angle_error_deg(rec["bearing_deg"], truth) < 2.0, rec
        assert rec["bearing_calibrated"] is True
    code, out, err = _run("bearing", tmp_path / "sweep_915M_2400k.sigmf-meta", "--beamwidth", 60)
    assert code == 0, err
    assert angle_error_deg(json.loads(out.splitlines()[0])["bearing_deg"], 205.0) <= 5.0
    code, _, err = _run("synth", "-o", tmp_path, "--bearing-examples")
    assert code == 2 and "--force" in err  # recordings are never overwritten


def test_an_uncalibrated_array_is_refused_unless_assumed_calibrated(tmp_path):
    """The receivers of `kraken_915M_2400k` have random phases: without --calibration its bearings would be
    wrong (104° and 242° for 250° and 40°) with a tiny std, so every command refuses it in one line."""
    code, _, err = _run("synth", "-o", tmp_path, "--bearing-examples")
    assert code == 0, err
    kraken = tmp_path / "kraken_915M_2400k.sigmf-meta"
    for command in ("bearing", "classify"):
        code, out, err = _run(command, kraken)
        assert code == 2 and out == "", (command, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert "without --calibration" in lines[0] and "rfclassify calibrate" in lines[0]
        assert "--assume-calibrated" in lines[0]
    code, out, err = _run("bearing", kraken, "--assume-calibrated", "--model", "none")
    assert code == 0, err
    recs = [json.loads(line) for line in out.splitlines()]
    assert len(recs) == 2 and all(rec["bearing_calibrated"] is False for rec in recs)
