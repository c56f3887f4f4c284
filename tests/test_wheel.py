"""The wheel is the tool: built from the sources, installed into a fresh venv, it classifies with its model.

The package is built as ``pip wheel`` builds it (from a copy of the files a
source distribution holds, so nothing else in the checkout can help), then
installed with its dependencies (from the package index or pip's cache) into a
new venv in a temporary folder. That venv's ``rfclassify`` must find the
shipped model (``rfclassify/models/default.rfcm``, declared as package data),
classify a synthesized recording as the checkout does, describe it with
``info`` and print the package's version with ``--version``. Runs by default
(about a minute with a warm pip cache; ``-m 'not slow'`` leaves it out).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import rfclassify
from rfclassify.classify.persistence import default_model_path
from rfclassify.classify.recordings import classify_file
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.synth.receiver import rtlsdr
from rfclassify.synth.scene import EmitterSpec, Scene, render

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: What a source distribution of the project holds (everything the build reads).
SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE")


def _run(cmd: list[str | Path], cwd: Path, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel`` builds from a clean copy of the sources."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCE_FILES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "rfclassify", src / "rfclassify", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, src], cwd=src)
    (built,) = out.glob("rfclassify-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and its dependencies installed; returns its ``bin`` folder."""
    root = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", "--without-pip", root], cwd=root.parent)
    python = root / "bin" / "python"
    # This pip installs into that venv (--python): a venv without its own pip is made in a second.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile", wheel], cwd=root.parent)
    return root / "bin"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """0.5 s of an RTL-SDR at 915 MHz hearing an ExpressLRS 900 MHz control link (fixed seed)."""
    receiver = rtlsdr(915.0e6, 2.4e6)
    scene = Scene([EmitterSpec("elrs-900", snr_db=15.0, band="FCC915", emitter_id="drone-1",
                               params={"rate_hz": 200})], receiver, duration_s=0.5)
    rendered = render(scene, np.random.default_rng(7), keep_components=False)
    return write_sigmf(tmp_path_factory.mktemp("rec") / "elrs_915M_2400k", rendered.samples, datatype="cu8",
                       sample_rate_hz=receiver.sample_rate_hz, center_freq_hz=receiver.center_freq_hz,
                       annotations=rendered.annotations)


def test_the_wheel_carries_the_default_model(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        shipped = whl.read("rfclassify/models/default.rfcm")
    assert shipped == default_model_path().read_bytes()


def test_installed_tool_classifies_with_its_shipped_model(venv: Path, recording: Path) -> None:
    where = _run([venv / "python", "-c", "import rfclassify.classify.persistence as p; print(p.default_model_path())"],
                 cwd=recording.parent)
    installed_model = Path(where.stdout.strip())
    assert installed_model.is_file() and installed_model.is_relative_to(venv.parent)
    proc = _run([venv / "rfclassify", "classify", recording], cwd=recording.parent)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    expected = classify_file(recording)
    assert [r["label"] for r in records] == [r["label"] for r in expected]
    assert "elrs-900" in {r["label"] for r in records}


def test_installed_tool_describes_a_recording(venv: Path, recording: Path) -> None:
    proc = _run([venv / "rfclassify", "info", recording, "-F", "json"], cwd=recording.parent)
    info = json.loads(proc.stdout)
    assert info["sample_rate_hz"] == 2.4e6 and info["center_freq_hz"] == 915e6 and info["duration_s"] == 0.5


def test_installed_tool_prints_the_package_version(venv: Path, recording: Path) -> None:
    proc = _run([venv / "rfclassify", "--version"], cwd=recording.parent)
    assert proc.stdout.strip() == f"rfclassify, version {rfclassify.__version__}"
    meta = _run([venv / "python", "-c", "import importlib.metadata as m; print(m.version('rfclassify'))"],
                cwd=recording.parent)
    assert meta.stdout.strip() == rfclassify.__version__
