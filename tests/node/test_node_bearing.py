"""``rfclassify watch`` on a coherent-array recording fills bearing_deg per event (issue 6).

Real parts only: a synthesized 5-element UCA recording (an ELRS-like link at
a known azimuth, 100 packets a second so the detector sees separate bursts),
the shipped model, the ``rfclassify`` console script (as the other watch CLI
test runs it), the CLI in-process for its error and config paths (CliRunner:
no interpreter start-up), and :func:`rfclassify.watch`.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import rfclassify
from rfclassify.bearing.doa import angle_error_deg
from rfclassify.bearing.geometry import ArrayGeometry
from rfclassify.cli.main import main
from rfclassify.errors import InputError
from rfclassify.node.config import load_config
from rfclassify.node.service import compass_bearing
from rfclassify.testing.array_scene import (
    CENTER_HZ,
    RATE_HZ,
    LinkRecordings,
    array_scene,
    write_array_scene,
)

UCA_ARGS = ["--array", "uca", "--elements", "5", "--radius", "0.11", "--assume-calibrated"]


WATCH_ARGS = ["--heartbeat", "0", "--update-interval", "0.1"]


def _console_script(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("rfclassify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rfclassify.cli.main"]
    return subprocess.run([*cmd, "watch", *args, *WATCH_ARGS], capture_output=True, text=True, timeout=120,
                          check=False)


def _in_process(*args: str) -> Any:
    return CliRunner().invoke(main, ["watch", *args, *WATCH_ARGS])


def _check_bearings(events: list[dict[str, Any]], link: LinkRecordings) -> None:
    kinds = [e["event"] for e in events]
    assert "start" in kinds and "update" in kinds and kinds[-1] == "end", kinds
    for e in events:
        assert angle_error_deg(e["bearing_deg"], link.azimuth_deg) < 2.0, e
        assert math.isfinite(e["bearing_std_deg"]) and 0 < e["bearing_std_deg"] < 2.0, e
        assert e["bearing_method"] == "music" and e["bearing_ambiguity"] is None
        assert e["bearing_calibrated"] is False
        assert abs(e["freq_hz"] - (CENTER_HZ + link.offset_hz)) < 50e3


def test_watch_cli_gives_array_events_their_bearing(recordings: LinkRecordings) -> None:
    result = _console_script(str(recordings.bare), *UCA_ARGS)
    assert result.returncode == 0, result.stderr
    _check_bearings([json.loads(line) for line in result.stdout.splitlines()], recordings)


def test_watch_cli_without_geometry_is_one_line_and_exit_2(recordings: LinkRecordings) -> None:
    result = _in_process(str(recordings.bare))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfclassify: error: ") and "without array geometry" in lines[0]


def test_watch_refuses_an_uncalibrated_array_in_one_line(recordings: LinkRecordings, classifier: Any) -> None:
    result = _in_process(str(recordings.bare), *UCA_ARGS[:-1])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "without --calibration" in lines[0] and "--assume-calibrated" in lines[0]
    with pytest.raises(InputError, match="rfclassify calibrate"):
        list(rfclassify.watch(str(recordings.with_geometry), model=classifier))


def test_watch_config_file_takes_the_array_options(recordings: LinkRecordings, tmp_path: Path) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text(f'[watch]\nsource = "{recordings.bare}"\narray = "uca"\nelements = 5\nradius = 0.11\n'
                   'method = "capon"\nassume-calibrated = true\n')
    assert load_config(cfg) == {"source": str(recordings.bare), "array": "uca", "elements": 5, "radius": 0.11,
                                "method": "capon", "assume_calibrated": True}
    result = _in_process("--config", str(cfg))
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events and all(e["bearing_method"] == "capon" for e in events)
    assert all(angle_error_deg(e["bearing_deg"], recordings.azimuth_deg) < 2.0 for e in events)
    cfg.write_text('method = "esprit"\n')
    with pytest.raises(InputError, match="method: expected one of music, bartlett, capon"):
        load_config(cfg)


def test_watch_api_bearings_from_metadata_or_arguments(recordings: LinkRecordings, classifier: Any) -> None:
    _check_bearings(list(rfclassify.watch(str(recordings.with_geometry), model=classifier, update_interval=0.1,
                                          assume_calibrated=True)), recordings)
    _check_bearings(list(rfclassify.watch(str(recordings.bare), model=classifier, update_interval=0.1,
                                          array="uca", elements=5, radius=0.11, assume_calibrated=True)), recordings)
    with pytest.raises(InputError, match="without array geometry"):
        list(rfclassify.watch(str(recordings.bare), model=classifier))


def test_watch_api_ula_states_the_mirror(tmp_path: Path, classifier: Any) -> None:
    rng = np.random.default_rng(8)
    ula = ArrayGeometry.ula(4, 0.15)
    x = array_scene([(-200e3, 300.0)], int(0.2 * RATE_HZ), 15.0, rng, geometry=ula, period_s=10e-3)
    meta = write_array_scene(tmp_path / "ula", x, None)
    events = list(rfclassify.watch(str(meta), model=classifier, geometry=ula, method="capon", assume_calibrated=True))
    assert events
    for e in events:
        assert 0.0 <= e["bearing_deg"] <= 180.0 and e["bearing_ambiguity"] == "mirror"
        assert angle_error_deg(e["bearing_mirror_deg"], 300.0) < 2.0 and e["bearing_method"] == "capon"


def test_watch_single_channel_has_no_bearing(recordings: LinkRecordings, classifier: Any) -> None:
    events = list(rfclassify.watch(str(recordings.one_channel), model=classifier, update_interval=0.1,
                                   array="uca", elements=5, radius=0.11))
    assert events and events[0]["event"] == "start"
    for e in events:
        assert e["bearing_deg"] is None and e["bearing_std_deg"] is None and "bearing_method" not in e


def test_multichannel_ring_keeps_every_channel_and_stays_bounded() -> None:
    from rfclassify.sources.base import Block
    from rfclassify.sources.iq_ring import IQRing

    ring = IQRing(3000, "ci16_le", channels=3)
    rng = np.random.default_rng(0)
    blocks = []
    for idx in range(0, 20_000, 1000):
        x = (0.1 * (rng.standard_normal((1000, 3)) + 1j * rng.standard_normal((1000, 3)))).astype(np.complex64)
        blocks.append(x)
        ring.append(Block(x, 1e6, CENTER_HZ, idx))
        assert ring.nbytes <= 4000 * 3 * 4  # capacity plus one block, 2 × int16 per sample and channel
    assert (ring.start, ring.end) == (17_000, 20_000)
    ((first, _utc, held),) = ring.segments(18_500, 19_500, CENTER_HZ)
    assert first == 18_500 and held.shape == (1000, 3)
    np.testing.assert_allclose(held, np.concatenate(blocks[18:20])[500:1500], atol=1e-4)
    with pytest.raises(ValueError, match="3 channels"):
        ring.append(Block(blocks[0][:, :2], 1e6, CENTER_HZ, 20_000))


def test_watch_with_a_heading_gives_the_compass_bearing(recordings: LinkRecordings, classifier: Any) -> None:
    # The array's x-axis points east (heading 90°): an emitter 60° counter-clockwise from it is at 30° true.
    events = list(rfclassify.watch(str(recordings.bare), model=classifier, update_interval=0.1,
                                   array="uca", elements=5, radius=0.11, heading=90.0, assume_calibrated=True))
    assert events
    for e in events:
        assert angle_error_deg(e["bearing_true_deg"], (90.0 - recordings.azimuth_deg) % 360) < 2.0, e
        assert e["sensor_heading_deg"] == 90.0
    assert compass_bearing(350.0, 10.0) == 20.0 and compass_bearing(10.0, 350.0) == 340.0
