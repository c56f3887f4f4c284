"""``rfclassify capture`` from a loopback rtl_tcp server into SigMF, read back byte for byte."""

from __future__ import annotations

import json
import socket
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, decode
from rfclassify.testing import RtlTcpServer

CU8 = datatype("cu8")
RATE_HZ = 1e6
SETTLE = 50_000  # the client's default 0.05 s settle at 1 MS/s


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def data_cu8(num_samples: int, seed: int = 21) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, 2 * num_samples, dtype=np.uint8)


def test_capture_writes_exact_bytes_and_metadata(tmp_path):
    data = data_cu8(400_000)
    out = tmp_path / "elrs_915M.sigmf-meta"
    before = datetime.now(timezone.utc)
    with RtlTcpServer(data, rate_hz=RATE_HZ, loop=False) as srv:
        code, _, err = run(
            "capture", srv.url, "--freq", "915M", "--rate", "1M", "--gain", "28", "--ppm", "-2",
            "--duration", "0.25s", "-o", str(out), "--lat", "52.2", "--lon", "0.12", "--alt", "30",
        )  # fmt: skip
        cmds = dict(srv.commands)
    assert code == 0, err
    assert "wrote" in err
    n = 250_000
    raw = (tmp_path / "elrs_915M.sigmf-data").read_bytes()
    assert raw == data[2 * SETTLE : 2 * (SETTLE + n)].tobytes()
    meta = json.loads(out.read_text())
    glob, caps = meta["global"], meta["captures"]
    assert glob["core:datatype"] == "cu8" and glob["core:sample_rate"] == 1_000_000
    assert glob["core:hw"].startswith("RTL-SDR (R820T tuner) via rtl_tcp://")
    assert glob["core:recorder"].startswith("rfclassify ")
    assert glob["core:geolocation"] == {"type": "Point", "coordinates": [0.12, 52.2, 30.0]}
    assert glob["rfclassify:gain"] == 28.0 and glob["rfclassify:ppm"] == -2
    assert caps == [caps[0]] and caps[0]["core:frequency"] == 915_000_000
    when = datetime.fromisoformat(caps[0]["core:datetime"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= when <= datetime.now(timezone.utc)
    assert cmds[0x01] == 915_000_000 and cmds[0x02] == 1_000_000 and cmds[0x04] == 280
    assert cmds[0x05] == 2**32 - 2
    # and the project's own reader gives the same samples back
    with open_source(str(out)) as rec:
        assert rec.info.num_samples == n and rec.info.center_freq_hz == 915e6
        back = np.concatenate([b.samples for b in rec.blocks(65536)])
    np.testing.assert_array_equal(back, decode(data[2 * SETTLE : 2 * (SETTLE + n)], CU8))


def test_refuses_to_overwrite_and_does_not_connect(tmp_path):
    out = tmp_path / "rec.sigmf-meta"
    out.write_text("precious")
    (tmp_path / "rec.sigmf-data").write_bytes(b"\x01\x02")
    with RtlTcpServer(data_cu8(1000), loop=False) as srv:
        code, _, err = run(
            "capture", srv.url, "--freq", "915M", "--duration", "1", "-o", str(out)
        )
        assert srv.connections == 0
    assert code == 2
    assert err.count("\n") == 1 and "exists; use --force" in err and str(out) in err
    assert (
        out.read_text() == "precious" and (tmp_path / "rec.sigmf-data").read_bytes() == b"\x01\x02"
    )


def test_unreachable_rtl_tcp_is_one_line_exit_2(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = f"rtl_tcp://127.0.0.1:{port}"
    code, _, err = run(
        "capture", spec, "--freq", "915M", "--duration", "1", "-o", str(tmp_path / "x.sigmf-meta")
    )
    assert code == 2
    assert err.startswith(f"rfclassify: error: {spec}: cannot connect") and err.count("\n") == 1
    assert "Traceback" not in err and not list(tmp_path.iterdir())


def test_missing_driver_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # pyrtlsdr not installed
    code, _, err = run(
        "capture", "rtlsdr:99", "--freq", "915M", "--duration", "1", "-o", str(tmp_path / "x")
    )
    assert code == 2
    assert err.startswith("rfclassify: error: rtlsdr:99: cannot load pyrtlsdr") and err.count("\n") == 1
    assert "pip install 'rfclassify[rtlsdr]'" in err and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args,problem",
    [
        (["recording.cu8", "--freq", "915M", "--duration", "1"], "live receiver"),
        (["rtl_tcp://127.0.0.1:1", "--freq", "915M", "--duration", "0"], "--duration"),
        (
            ["rtl_tcp://127.0.0.1:1", "--freq", "915M", "--duration", "1", "--lat", "52"],
            "--lat/--lon",
        ),
        (
            [
                "rtl_tcp://127.0.0.1:1",
                "--freq",
                "915M",
                "--duration",
                "1",
                "--lat",
                "95",
                "--lon",
                "0",
            ],
            "range",
        ),
    ],
)
def test_bad_arguments(tmp_path, args, problem):
    code, _, err = run("capture", *args, "-o", str(tmp_path / "x.sigmf-meta"))
    assert code == 2 and problem in err and err.count("\n") == 1


def test_server_lost_mid_capture_keeps_what_was_recorded(tmp_path):
    data = data_cu8(SETTLE + 120_000)
    out = tmp_path / "short.sigmf-meta"
    with RtlTcpServer(data, rate_hz=RATE_HZ, loop=False) as srv:
        code, _, err = run(
            "capture", srv.url, "--freq", "915M", "--rate", "1M", "--duration", "1s", "-o", str(out)
        )
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"rfclassify: error: {srv.url}: connection lost") and "kept" in last
    raw = (tmp_path / "short.sigmf-data").read_bytes()
    assert raw == data[2 * SETTLE :].tobytes()
    assert json.loads(out.read_text())["global"]["core:datatype"] == "cu8"
