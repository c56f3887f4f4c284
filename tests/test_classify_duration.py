"""``classify`` on a live rtl_tcp server ends after ``--duration``, and Ctrl-C reports what was found."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.testing.rtl_tcp_server import RtlTcpServer

SCENE_S = 0.6


@pytest.fixture(scope="module")
def elrs_cu8() -> np.ndarray:
    """0.6 s of an ExpressLRS 900 MHz link at 20 dB SNR as an RTL-SDR at 915 MHz hears it (cu8 bytes)."""
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    scene = Scene([EmitterSpec("elrs-900", 20.0, band="FCC915", seed=3, params={"rate_hz": 200})],
                  rtlsdr(915e6), SCENE_S)
    rendered = render(scene, np.random.default_rng(7), keep_components=False)
    return encode(rendered.samples, datatype("cu8"))


def test_duration_ends_a_live_classification(elrs_cu8: np.ndarray) -> None:
    with RtlTcpServer(elrs_cu8, realtime=False, loop=True) as srv:
        result = CliRunner().invoke(main, ["classify", srv.url, "--freq", "915M", "--duration", "1.2s"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert "elrs-900" in {r["label"] for r in records}
    assert max(r["t_end_s"] for r in records) <= 1.2


def test_duration_limits_a_recording(tmp_path: Path, elrs_cu8: np.ndarray) -> None:
    path = tmp_path / "elrs_915M_2400k.cu8"
    elrs_cu8.tofile(path)
    result = CliRunner().invoke(main, ["classify", str(path), "--duration", "0.4s"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert records and max(r["t_end_s"] for r in records) <= 0.4
    result = CliRunner().invoke(main, ["classify", str(path), "--duration", "0"])
    assert result.exit_code == 2 and "--duration: must be positive" in result.output


def test_ctrl_c_reports_what_was_found(elrs_cu8: np.ndarray) -> None:
    with RtlTcpServer(elrs_cu8, realtime=True, loop=True) as srv:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rfclassify.cli.main", "classify", srv.url, "--freq", "915M", "--format", "table"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while srv.samples_sent < len(elrs_cu8) and time.monotonic() < deadline:  # two passes of the scene
                time.sleep(0.1)
            time.sleep(1.0)  # the consumer works through what is queued
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted; reporting what was found" in err and "Traceback" not in err
    assert out.startswith(f"# {srv.url}: ") and "\nelrs-900 " in out, out
