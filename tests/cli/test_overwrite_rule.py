"""One overwrite rule for every command that writes files: an existing output is refused in one line
(exit status 2, naming the file and ``--force``, the file untouched, nothing done), and replaced with
``--force``.

``train`` and ``evaluate`` are checked with their trained model in ``tests/classify/test_train_evaluate_cli.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.sources import open_source
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.testing import RtlTcpServer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _refused(code: int, err: str, path: Path) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfclassify: error: "), err
    assert str(path) in lines[0] and "--force" in lines[0], lines[0]


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A short noise-and-tone SigMF recording (cu8, 1 MS/s at 100 MHz)."""
    rng = np.random.default_rng(3)
    n = 50_000
    x = 0.3 * np.exp(2j * np.pi * 1e5 * np.arange(n) / 1e6) + 0.02 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return write_sigmf(tmp_path / "rec", x.astype(np.complex64), datatype="cu8", sample_rate_hz=1e6,
                       center_freq_hz=100e6)


def test_spectrogram(tmp_path: Path, recording: Path) -> None:
    out = tmp_path / "w.png"
    out.write_bytes(b"my picture")
    _refused(*_run("spectrogram", recording, "-o", out)[::2], out)
    assert out.read_bytes() == b"my picture"
    code, _, err = _run("spectrogram", recording, "-o", out, "--force")
    assert code == 0, err
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_capture(tmp_path: Path) -> None:
    out = tmp_path / "rec.sigmf-meta"
    out.write_text("precious")
    data = np.random.default_rng(1).integers(0, 256, 2 * 200_000, dtype=np.uint8)
    with RtlTcpServer(data, rate_hz=1e6, loop=False) as srv:
        _refused(*_run("capture", srv.url, "--freq", "915M", "--rate", "1M", "--duration", "0.05s",
                       "-o", out)[::2], out)
        assert srv.connections == 0 and out.read_text() == "precious"
        code, _, err = _run("capture", srv.url, "--freq", "915M", "--rate", "1M", "--duration", "0.05s",
                            "-o", out, "--force")
    assert code == 0, err
    with open_source(str(out)) as rec:
        assert rec.info.num_samples == 50_000


def test_synth(tmp_path: Path) -> None:
    args = ["synth", "-o", tmp_path, "--classes", "noise", "--per-class", "1", "--receiver", "rtlsdr",
            "--duration", "20ms"]
    meta = tmp_path / "noise_rtlsdr_0000.sigmf-meta"
    meta.write_text("mine")
    _refused(*_run(*args)[::2], meta)
    assert meta.read_text() == "mine" and not (tmp_path / "noise_rtlsdr_0000.sigmf-data").exists()
    code, _, err = _run(*args, "--force")
    assert code == 0, err
    with open_source(str(meta)) as rec:
        assert rec.info.num_samples == round(0.02 * rec.info.sample_rate_hz)


def test_calibrate_and_bearing_plot(tmp_path: Path) -> None:
    code, _, err = _run("synth", "-o", tmp_path, "--bearing-examples")
    assert code == 0, err
    cal = tmp_path / "cal.json"
    cal.write_text("{}")
    noise = tmp_path / "noise_915M_2400k.sigmf-meta"
    _refused(*_run("calibrate", noise, "-o", cal)[::2], cal)
    assert cal.read_text() == "{}"
    code, _, err = _run("calibrate", noise, "-o", cal, "--force")
    assert code == 0, err
    assert cal.read_text() != "{}"
    plot = tmp_path / "doa.png"
    plot.write_bytes(b"my plot")
    bearing = ("bearing", tmp_path / "sweep_915M_2400k.sigmf-meta", "--beamwidth", "60", "--model", "none",
               "--plot", plot)
    code, out, err = _run(*bearing)
    _refused(code, err, plot)
    assert out == "" and plot.read_bytes() == b"my plot"
    code, out, err = _run(*bearing, "--force")
    assert code == 0, err
    assert out and plot.read_bytes().startswith(PNG_MAGIC)


def test_bearing_examples_refuse_as_a_set_and_leave_no_partial_set(tmp_path: Path) -> None:
    """One existing example (not the first written) refuses the run before anything is written."""
    sweep = tmp_path / "sweep_915M_2400k.sigmf-meta"
    sweep.write_text("mine")
    _refused(*_run("synth", "-o", tmp_path, "--bearing-examples")[::2], sweep)
    assert sweep.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [sweep.name]
    code, _, err = _run("synth", "-o", tmp_path, "--bearing-examples", "--force")
    assert code == 0, err
    assert len(list(tmp_path.glob("*_915M_2400k.sigmf-*"))) == 6
    with open_source(str(sweep)) as rec:
        assert rec.info.num_samples > 0
