"""The public API: ``import rfclassify`` is light, the README's "Python API" examples run, and
``classify_iq`` on a recording's samples returns what ``rfclassify classify`` prints for the file."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rfclassify
from rfclassify.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recording ``make demo`` writes (scripts/demo.py's own scene)."""
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_scene(tmp_path_factory.mktemp("demo"))


def readme_python_blocks(heading: str = "## Python API") -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return re.findall(r"```python\n(.*?)```", text[start : end if end > 0 else None], flags=re.DOTALL)


def test_import_is_light_and_exports_the_api() -> None:
    code = "import sys, rfclassify; print(sorted(m for m in ('numpy', 'sklearn', 'scipy', 'click') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    assert set(rfclassify.__all__) == {"open_source", "Classifier", "classify_file", "classify_iq", "watch", "REGISTRY"}
    for name in rfclassify.__all__:
        assert getattr(rfclassify, name) is not None
    with pytest.raises(AttributeError):
        _ = rfclassify.not_a_name


def test_readme_python_api_examples_run(demo: Path) -> None:
    blocks = readme_python_blocks()
    assert len(blocks) >= 4
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(demo.parent)
    try:
        for block in blocks:
            with contextlib.redirect_stdout(out):
                exec(compile(block, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102 - our own README
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    assert "elrs-900" in printed and "in memory" in printed and "start" in printed


def test_classify_iq_on_the_demo_samples_matches_the_cli_on_the_file(demo: Path) -> None:
    cli = subprocess.run([sys.executable, "-m", "rfclassify.cli.main", "classify", str(demo)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    from_cli = [json.loads(line) for line in cli.stdout.splitlines()]
    with rfclassify.open_source(str(demo)) as src:
        samples, rate, centre = src.read_all(), src.info.sample_rate_hz, src.info.center_freq_hz
    from_iq = rfclassify.classify_iq(samples, rate, centre)
    assert [r["label"] for r in from_iq] == [r["label"] for r in from_cli]
    assert {"elrs-900"} <= {r["label"] for r in from_cli}
    for a, b in zip(from_iq, from_cli):
        assert a["source"] == "<array>" and b["source"] == str(demo)
        assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
    assert rfclassify.classify_file(demo) == from_cli


def test_open_source_takes_an_array() -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((5000, 3)) + 1j * rng.standard_normal((5000, 3))).astype(np.complex128)
    with rfclassify.open_source(x, sample_rate_hz="1M", center_freq_hz=433.92e6, name="mem") as src:
        assert (src.info.num_channels, src.info.num_samples, src.info.sample_rate_hz) == (3, 5000, 1e6)
        blocks = list(src.blocks(2048))
    assert [b.sample_index for b in blocks] == [0, 2048, 4096]
    assert all(b.center_freq_hz == 433.92e6 and b.samples.dtype == np.complex64 for b in blocks)
    np.testing.assert_array_equal(np.concatenate([b.samples for b in blocks]), x.astype(np.complex64))
    with pytest.raises(InputError, match="sample_rate_hz"):
        rfclassify.open_source(x)
    with pytest.raises(InputError, match="shape"):
        rfclassify.open_source(np.zeros((2, 2, 2)), sample_rate_hz=1e6)
    with pytest.raises(InputError, match="unknown option"):
        rfclassify.classify_iq(x[:, 0], 1e6, per_bursts=True)
