"""The live node over loopback, with real parts: an rtl_tcp server, a Mosquitto broker, a subprocess.

A tiny model (three classes, trained once per session on a synthesized
dataset) classifies a synthesized ELRS-900 scene (200 Hz packets in the
FCC915 band, seen by a simulated RTL-SDR at 915 MHz) that the tests' own
rtl_tcp server streams in a loop.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rfclassify
from rfclassify.node.outputs import MqttOutput
from rfclassify.sources import open_source
from rfclassify.testing.mosquitto import MOSQUITTO, Broker, Subscriber
from rfclassify.testing.rtl_tcp_server import CMD_SET_FREQUENCY, RtlTcpServer


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model: synthesized noise and OOK recordings plus ELRS-900 in the FCC915 band (other seeds)."""
    from rfclassify.classify.training import train
    from rfclassify.sources.sigmf_io import write_sigmf
    from rfclassify.synth.dataset import synthesize_dataset
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    root = tmp_path_factory.mktemp("node_model")
    synthesize_dataset(root / "ds", classes=["noise", "ook-ism"], per_class=2, receivers="rtlsdr",
                       duration_s=1.0, seed=2, progress=False, mixed=0)
    rng = np.random.default_rng(11)
    for k, (rate_hz, snr_db, fc_hz) in enumerate([(200, 12, 914.7e6), (200, 20, 916.1e6), (100, 16, 915.3e6),
                                                  (200, 25, 913.9e6)]):
        scene = Scene([EmitterSpec("elrs-900", snr_db, band="FCC915", seed=100 + k, params={"rate_hz": rate_hz})],
                      rtlsdr(fc_hz, rng=rng), 1.0)
        r = render(scene, rng, keep_components=False)
        write_sigmf(root / "ds" / f"elrs-900_{k}", r.samples, datatype="cu8", sample_rate_hz=2.4e6,
                    center_freq_hz=fc_hz, annotations=r.annotations)
    out = root / "tiny.rfcm"
    train([root / "ds"], out, cv_folds=0, progress=False)
    return out


def is_elrs(e: dict[str, Any]) -> bool:
    return e["event"] in ("start", "update") and e["label"] == "elrs-900"


def test_watch_rtltcp_reports_elrs_and_recovers_after_server_restart(server: RtlTcpServer, tiny_model: Path, collector: Any) -> None:
    c = collector(server.url, freq="915M", model=tiny_model, update_interval=0.3, heartbeat="0.5s",
                  sensor_id="node-a", lat=51.5, lon=-0.1)
    (start, *_) = c.wait_for(lambda e: e["event"] == "start" and e["label"] == "elrs-900")
    assert start["drone"] is True and start["sensor_id"] == "node-a" and start["center_freq_hz"] == 915e6
    assert 903e6 < start["freq_hz"] < 927e6 and start["confidence"] >= 0.9 and start["bursts"] >= 5
    assert start["sensor_lat"] == 51.5
    server.stop()  # the rtl_tcp server process "dies" ...
    time.sleep(1.0)
    n_before = len(c.events)
    server.start()  # ... and comes back on the same port
    c.wait_for(lambda e: is_elrs(e) and any(e is x for x in c.events[n_before:]), timeout_s=25)
    assert c.service.source.reconnects >= 1
    beats = c.wait_for(lambda e: e["event"] == "heartbeat" and e["reconnects"] >= 1)
    assert beats[-1]["dropped_samples"] > 0  # the outage is on the timeline, counted as dropped
    events = c.stop()
    beat = [e for e in events if e["event"] == "heartbeat"][-1]
    for key in ("samples_processed", "dropped_samples", "noise_floor_dbfs", "cpu_percent", "queue_depth"):
        assert key in beat
    assert beat["samples_processed"] > 0 and beat["cpu_percent"] > 0 and beat["noise_floor_dbfs"] < 0
    assert "end" in [e["event"] for e in events]  # stop closes open emitters


def test_scan_mode_visits_every_centre(server: RtlTcpServer, tiny_model: Path, collector: Any) -> None:
    centres = [914.4e6, 915e6, 915.6e6]
    c = collector(server.url, scan="914.4M,915M,915.6M", dwell="0.2s", model=tiny_model, heartbeat="0.1s")
    server.wait_for_command(CMD_SET_FREQUENCY, timeout_s=20, count=5)
    c.stop()
    tuned = [p for cmd, p in server.commands if cmd == CMD_SET_FREQUENCY]
    assert tuned[:5] == [914_400_000, 915_000_000, 915_600_000, 914_400_000, 915_000_000]
    seen = {e["center_freq_hz"] for e in c.events if e["event"] == "heartbeat"}
    assert seen <= set(centres) and len(seen) >= 2
    assert all(e["center_freq_hz"] in centres for e in c.events)


def test_evidence_snippets_are_sigmf_with_the_detection_annotated(elrs_cu8_file: Path, tiny_model: Path,
                                                                  tmp_path: Path) -> None:
    record = tmp_path / "evidence"
    record.mkdir()
    (record / "notes.txt").write_text("not evidence")
    events = list(rfclassify.watch(str(elrs_cu8_file), model=tiny_model, record_dir=str(record), record_max="50M"))
    starts = [e for e in events if e["event"] == "start" and e["drone"]]
    assert starts
    metas = sorted(record.glob("evidence-*.sigmf-meta"))
    assert len(metas) == len(starts)
    assert {p.stat().st_mode & 0o777 for p in record.glob("evidence-*")} == {0o600}  # they carry the position
    with open_source(str(metas[0])) as src:
        anns = src.annotations
        assert src.info.sample_rate_hz == 2.4e6 and src.info.center_freq_hz == 915e6
        scene_samples = elrs_cu8_file.stat().st_size // 2  # cu8: two bytes a sample
        assert 2.0 * 2.4e6 <= src.info.num_samples <= scene_samples  # pre 2 s clipped at the stream start
        x = src.read_all()
    assert {a["core:label"] for a in anns} == {"elrs-900"} and len(anns) >= 5
    for a in anns:
        seg = x[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]]
        quiet = x[: 2000] if a["core:sample_start"] > 4000 else x[-2000:]
        assert np.mean(np.abs(seg) ** 2) > 1.5 * np.mean(np.abs(quiet) ** 2)  # the burst is where it says
        assert a["core:freq_lower_edge"] < a["core:freq_upper_edge"]
        assert a["rfclassify:report_id"] == starts[0]["report_id"]
    assert (record / "notes.txt").read_text() == "not evidence"
    # a tiny budget keeps only the newest snippet and never touches other files
    list(rfclassify.watch(str(elrs_cu8_file), model=tiny_model, record_dir=str(record), record_max="1k"))
    assert len(list(record.glob("evidence-*.sigmf-meta"))) == 1 and (record / "notes.txt").exists()


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[Broker]:
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (Debian/Ubuntu: apt-get install mosquitto)")
    b = Broker(tmp_path).start()
    yield b
    b.stop()


def test_mqtt_output_delivers_every_event_across_a_broker_restart(
    server: RtlTcpServer, tiny_model: Path, broker: Broker, collector: Any
) -> None:
    topic = "rfclassify/test"
    sub = Subscriber(broker.port, topic)
    out = MqttOutput(f"mqtt://127.0.0.1:{broker.port}/{topic}", client_id="test-node")
    assert out.connected.wait(5)
    c = collector(server.url, freq="915M", model=tiny_model, update_interval=0.2, outputs=[out], heartbeat="1s")
    c.wait_for(lambda e: e["event"] == "start")
    deadline = time.monotonic() + 10
    while not sub.events(topic) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sub.events(topic), "the subscriber received nothing before the restart"
    broker.stop()
    assert broker.db.exists(), "mosquitto did not save its database: the subscriber's session would be lost"
    during = len(c.events)
    time.sleep(1.5)
    assert len(c.events) > during  # events kept coming while the broker was away (buffered)
    broker.start()
    assert out.connected.wait(10)
    time.sleep(1.0)
    events = c.stop()
    out.close()  # waits for the broker's acknowledgements
    published = {e["report_id"] for e in events if e["event"] != "heartbeat"}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        received = {e["report_id"] for e in sub.events(topic)}
        if published <= received:
            break
        time.sleep(0.1)
    sub.close()
    lost = [(e["event"], e["time"]) for e in events if e.get("report_id") in published - received]
    assert published <= received, f"lost {len(published - received)} of {len(published)} events: {lost}"
    assert sub.events(f"{topic}/heartbeat")
    status = [(p, r) for t, p, r in sub.messages if t == f"{topic}/status"]
    assert (b"online", False) in status and status[-1][0] == b"offline"


def test_sigterm_flushes_outputs_and_exits_zero(server: RtlTcpServer, tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    exe = Path(sys.executable).with_name("rfclassify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rfclassify.cli.main"]
    proc = subprocess.Popen(
        [*cmd, "watch", server.url, "--freq", "915M", "--model", str(tiny_model), "--output", str(out),
         "--heartbeat", "0.5s", "--sensor-id", "sub"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30

        def written() -> str:
            return out.read_text() if out.exists() else ""

        # Both kinds of record on file first: a start can come before the first heartbeat is due (0.5 s).
        while time.monotonic() < deadline and not all(k in written() for k in ('"event":"start"', '"event":"heartbeat"')):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = [e["event"] for e in lines]
    assert "start" in kinds and kinds[-1] == "end" and "heartbeat" in kinds
    assert all(e["sensor_id"] == "sub" for e in lines)
    assert proc.stdout is not None and proc.stdout.read() == b""  # events went to the file only
