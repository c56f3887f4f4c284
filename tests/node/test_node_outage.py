"""What a node says when its receiver goes away, when it falls behind, and when it is closed: real parts only.

A real rtl_tcp server (:mod:`rfclassify.testing.rtl_tcp_server`) streams a
synthesized ELRS-900 scene in a loop at its real rate; the node runs with
the shipped model. The server is stopped and restarted for the outage, the
node's consumer is made slow for the falling-behind case.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import rfclassify
from rfclassify.cli.main import main
from rfclassify.sources import open_source
from rfclassify.testing.rtl_tcp_server import RtlTcpServer

RATE_HZ = 2.4e6


def _utc(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()


def test_outage_keeps_heartbeats_and_ends_emitters_with_source_lost(server: RtlTcpServer, collector: Any) -> None:
    c = collector(server.url, freq="915M", heartbeat="0.5s", quiet="1s", update_interval="0.5s")
    c.wait_for(lambda r: r["event"] == "start" and r["label"] == "elrs-900")
    c.wait_for(lambda r: r["event"] == "heartbeat" and r["source_state"] == "streaming"
               and r["processing_ratio"] > 0.5)
    down_at, down_utc = time.monotonic(), time.time()
    server.stop()  # the rtl_tcp server goes away for 4 s
    time.sleep(4.0)
    up_at = time.monotonic()
    server.start()
    c.wait_for(lambda r: r["event"] == "heartbeat" and r["reconnects"] >= 1 and r["source_state"] == "streaming"
               and r["processing_ratio"] > 0.5, timeout_s=20)
    c.stop()

    during = [(t, r) for t, r in c.records if down_at <= t <= up_at]
    beats = [(t, r) for t, r in during if r["event"] == "heartbeat"]
    # Heartbeats keep their 0.5 s period through the outage ...
    assert len(beats) >= 7, [t - down_at for t, _ in beats]
    arrivals = [down_at] + [t for t, _ in beats] + [up_at]
    assert max(np.diff(arrivals)) < 0.9
    # ... and say the source is being reconnected, with nothing processed and samples getting old
    assert all(r["source_state"] == "reconnecting" for _, r in beats[1:]), [
        (round(t - down_at, 2), r["source_state"]) for t, r in beats]
    assert beats[-1][1]["last_sample_age_s"] > 3.0
    # The drone's emitter ends during the outage, once its quiet time has run out, saying why
    ends = [(t, r) for t, r in during if r["event"] == "end"]
    assert ends and all(r["reason"] == "source lost" and r["label"] == "elrs-900" for _, r in ends)
    for arrived, end in ends:
        assert arrived - down_at < 1.0 + 1.0  # quiet time, plus the last bursts' age and a tick
        assert down_utc - 1.0 <= _utc(end) <= down_utc + 2.0  # its time: when the quiet time ran out
    # After the outage the link is found again: a new start, and heartbeats back to streaming
    after = [r for t, r in c.records if t > up_at]
    assert any(r["event"] == "start" and r["label"] == "elrs-900" for r in after)
    last = [r for r in after if r["event"] == "heartbeat"][-1]
    assert last["dropped_samples"] > 3.5 * RATE_HZ  # the outage is on the timeline, counted as dropped
    assert last["overflow_samples"] == 0 and not last["falling_behind"]


def test_a_stalled_receiver_is_reported_and_ends_nothing(elrs_cu8: np.ndarray, collector: Any) -> None:
    """A server that stops sending for 2.5 s and then delivers on (a network hiccup): late samples, not lost ones."""
    total = len(elrs_cu8) // 2
    flowing = threading.Event()
    flowing.set()

    def signal(start: int, n: int, _freq_hz: float, _rate_hz: float) -> np.ndarray:
        flowing.wait()
        idx = (np.arange(start, start + n) % total) * 2
        return np.stack([elrs_cu8[idx], elrs_cu8[idx + 1]], axis=1).reshape(-1)

    srv = RtlTcpServer(signal, realtime=True).start()
    try:
        c = collector(srv.url, freq="915M", heartbeat="0.5s", quiet="1s", update_interval="0.5s")
        c.wait_for(lambda r: r["event"] == "start" and r["label"] == "elrs-900")
        flowing.clear()
        paused_at = time.monotonic()
        time.sleep(2.5)
        flowing.set()
        resumed_at = time.monotonic()
        c.wait_for(lambda r: r["event"] == "heartbeat" and r["source_state"] == "streaming"
                   and r["processing_ratio"] > 0.5, timeout_s=10)
        time.sleep(1.0)
        c.stop()
    finally:
        flowing.set()
        srv.stop()
    beats = [(t, r) for t, r in c.records if paused_at <= t <= resumed_at and r["event"] == "heartbeat"]
    assert len(beats) >= 4 and max(np.diff([paused_at] + [t for t, _ in beats] + [resumed_at])) < 0.9
    stalled = [r for t, r in beats if t - paused_at > 1.3]
    assert stalled and all(r["source_state"] == "stalled" for r in stalled)
    kinds = [r["event"] for _, r in c.records if r["event"] != "heartbeat"]
    assert kinds.count("start") == 1 and kinds[-1] == "end"  # the link went on; only stop() ended it
    assert [r["reason"] for _, r in c.records if r["event"] == "end"] == ["stopped"]
    last = [r for _, r in c.records if r["event"] == "heartbeat"][-1]
    assert srv.connections == 1 and last["reconnects"] == 0
    # the backlog comes in a rush and may overflow the queue, but nothing counts as an outage
    assert last["dropped_samples"] == last["overflow_samples"]


def test_end_reasons_of_a_recording(tmp_path: Path, elrs_cu8: np.ndarray, quiet_cu8: np.ndarray) -> None:
    link = tmp_path / "link_915M_2400k.cu8"
    elrs_cu8.tofile(link)
    ends = [e for e in rfclassify.watch(str(link)) if e["event"] == "end"]
    assert ends and {e["reason"] for e in ends} == {"end of stream"}
    gone = tmp_path / "gone_915M_2400k.cu8"  # the link, then 2 s of noise only
    np.concatenate([elrs_cu8, quiet_cu8]).tofile(gone)
    ends = [e for e in rfclassify.watch(str(gone), quiet="1s") if e["event"] == "end"]
    assert ends and {e["reason"] for e in ends} == {"quiet"}


def test_closing_watch_releases_the_receiver_quietly(server: RtlTcpServer) -> None:
    it = rfclassify.watch(server.url, freq="915M", heartbeat="0.2s")
    for record in it:
        if record["event"] == "start":  # an open emitter: its end may not be yielded any more
            break
    it.close()  # raised "generator ignored GeneratorExit" before
    deadline = time.monotonic() + 5
    while any(t.name.startswith("reader rtl_tcp") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [t.name for t in threading.enumerate() if t.name.startswith("reader rtl_tcp")] == []
    # rtl_tcp serves one client at a time: a new one streams only once the node let go
    with open_source(server.url, center_freq_hz=915e6, num_samples=100_000) as src:
        assert sum(len(b.samples) for b in src.blocks(10_000)) == 100_000
    assert server.connections == 2


def test_falling_behind_is_measured_and_warned(server: RtlTcpServer, caplog: pytest.LogCaptureFixture) -> None:
    """A consumer far slower than the stream: the queue fills, samples drop, and the node says so."""
    caplog.set_level(logging.WARNING, logger="rfclassify.node")
    beats: list[dict[str, Any]] = []
    it = rfclassify.watch(server.url, freq="915M", heartbeat="0.25s")
    deadline = time.monotonic() + 25
    try:
        for record in it:
            if record["event"] == "heartbeat":
                beats.append(record)
                if record["falling_behind"] and record["recent_drop_fraction"] > 0.5:
                    break
                time.sleep(0.5)  # the consumer (an output) takes 0.5 s per heartbeat
            assert time.monotonic() < deadline, beats[-1] if beats else "no heartbeat"
    finally:
        it.close()
    last = beats[-1]
    assert last["processing_ratio"] < 0.5 and last["overflow_samples"] > 0
    assert last["source_state"] == "streaming" and last["queue_depth"] > last["queue_capacity"] // 2
    warnings = [r.getMessage() for r in caplog.records if "falling behind" in r.getMessage()]
    assert len(warnings) == 1  # rate-limited: one line, not one per drop
    assert "s of signal processed per second" in warnings[0] and "dropped" in warnings[0]


def test_missing_driver_module_ends_watch_with_status_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A permanent problem is not retried: the systemd unit does not restart on status 2."""
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # pyrtlsdr not installed
    started = time.monotonic()
    result = CliRunner().invoke(main, ["watch", "rtlsdr:", "--freq", "915M", "--heartbeat", "0"])
    assert result.exit_code == 2 and time.monotonic() - started < 20
    assert result.stderr.startswith("rfclassify: error: rtlsdr:: cannot load pyrtlsdr") and result.stderr.count("\n") == 1
    assert "pip install 'rfclassify[rtlsdr]'" in result.stderr and "Traceback" not in result.stderr

    monkeypatch.setitem(sys.modules, "SoapySDR", None)  # no bindings in this interpreter's path ...
    monkeypatch.setenv("RFCLASSIFY_SOAPY_PATH", str(tmp_path))  # ... nor where the system keeps them
    result = CliRunner().invoke(main, ["watch", "soapy:driver=hackrf", "--freq", "915M", "--heartbeat", "0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("rfclassify: error: soapy:driver=hackrf: SoapySDR Python bindings not found")
    assert "apt-get install python3-soapysdr" in result.stderr and result.stderr.count("\n") == 1

