"""The rtl_tcp client against a real rtl_tcp-speaking server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfclassify.errors import InputError, SourceUnavailable
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, decode
from rfclassify.sources.rtltcp import RtlTcpSource, parse_rtltcp_spec
from rfclassify.testing import RtlTcpServer

CU8 = datatype("cu8")


def random_cu8(num_samples: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, 2 * num_samples, dtype=np.uint8)


def counter_signal(start: int, n: int, freq_hz: float, rate_hz: float) -> np.ndarray:
    """Sample k of the air timeline carries k mod 65536 (I low byte, Q high byte)."""
    k = np.arange(start, start + n, dtype=np.int64)
    return np.stack([k & 0xFF, (k >> 8) & 0xFF], axis=1).astype(np.uint8).reshape(-1)


def freq_marker_signal(start: int, n: int, freq_hz: float, rate_hz: float) -> np.ndarray:
    """Every sample's I byte says which frequency the server is tuned to (MHz mod 256)."""
    out = np.empty(2 * n, dtype=np.uint8)
    out[0::2] = round(freq_hz / 1e6) % 256
    out[1::2] = 0
    return out


def counter_of(samples: np.ndarray) -> np.ndarray:
    raw = np.rint(samples.view(np.float32) * 127.5 + 127.5).astype(np.int64)
    return raw[0::2] | (raw[1::2] << 8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_samples_header_and_commands():
    data = random_cu8(300_000)
    with RtlTcpServer(data, loop=False, tuner_type=1, gain_count=14) as srv:
        src = RtlTcpSource(
            srv.url, freq_hz=915e6, rate_hz=2.4e6, gain=28.0, ppm=-3, agc=True, settle_s=0,
            num_samples=300_000,
        )  # fmt: skip
        assert (src.tuner_type, src.gain_count, src.tuner_name) == (1, 14, "E4000")
        blocks = list(src.blocks(65536))
        srv.wait_for_command(0x0E)
        assert srv.commands == [
            (0x02, 2_400_000),
            (0x01, 915_000_000),
            (0x05, 2**32 - 3),
            (0x03, 1),
            (0x04, 280),
            (0x08, 1),
            (0x0E, 0),
        ]
        assert (srv.center_freq_hz, srv.rate_hz, srv.ppm, srv.gain_tenth_db) == (
            915e6,
            2.4e6,
            -3,
            280,
        )
    got = np.concatenate([b.samples for b in blocks])
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, decode(data, CU8))
    assert [b.sample_index for b in blocks] == list(range(0, 300_000, 65536))
    assert all(b.center_freq_hz == 915e6 and b.sample_rate_hz == 2.4e6 for b in blocks)
    assert src.dropped_samples == 0
    info = src.info.to_dict()
    assert info["format"] == "rtl_tcp" and info["datatype"] == "cu8" and info["num_samples"] is None
    assert "E4000" in src.hardware


def test_auto_gain_and_bias_tee_through_open_source():
    with RtlTcpServer(random_cu8(200_000), loop=False) as srv:
        with open_source(
            srv.url, sample_rate_hz="1M", center_freq_hz="433.92M", bias_tee=True, num_samples=1000
        ) as src:
            assert isinstance(src, RtlTcpSource)
            assert src.info.center_freq_hz == 433.92e6 and src.info.sample_rate_hz == 1e6
            first = next(iter(src.blocks(500)))
            assert len(first.samples) == 500
        srv.wait_for_command(0x0E)
        cmds = dict(srv.commands)
        assert cmds[0x03] == 0 and 0x04 not in cmds  # automatic gain: no gain value sent
        assert cmds[0x0E] == 1 and srv.bias_tee == 1
        assert cmds[0x01] == 433_920_000 and cmds[0x02] == 1_000_000


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(block_size=st.integers(min_value=1, max_value=70_000), total=st.integers(1, 120_000))
def test_block_size_invariance(block_size, total):
    data = random_cu8(120_000, seed=3)
    with RtlTcpServer(data, loop=False) as srv:
        src = RtlTcpSource(srv.url, freq_hz=915e6, settle_s=0, num_samples=total)
        blocks = list(src.blocks(block_size))
    lengths = [len(b.samples) for b in blocks]
    assert sum(lengths) == total and len(lengths) == -(-total // block_size)  # full blocks, then the rest
    assert all(n == block_size for n in lengths[:-1]) and 0 < lengths[-1] <= block_size
    assert [b.sample_index for b in blocks] == list(np.cumsum([0, *lengths[:-1]]))
    np.testing.assert_array_equal(
        np.concatenate([b.samples for b in blocks]), decode(data[: 2 * total], CU8)
    )


def test_settle_discards_first_samples_and_keeps_the_timeline():
    data = random_cu8(100_000)
    with RtlTcpServer(data, loop=False) as srv:
        src = RtlTcpSource(srv.url, freq_hz=100e6, rate_hz=1e6, settle_s=0.01, num_samples=50_000)
        blocks = list(src.blocks(20_000))
    assert blocks[0].sample_index == 10_000 and src.discarded_samples == 10_000
    got = np.concatenate([b.samples for b in blocks])
    np.testing.assert_array_equal(got, decode(data[20_000:120_000], CU8))
    dt_s = (blocks[1].time_utc - blocks[0].time_utc).total_seconds()
    assert dt_s == pytest.approx(20_000 / 1e6, abs=1e-6)


def test_retune_marks_blocks_and_discards_old_samples():
    rate_hz = 250e3
    with RtlTcpServer(freq_marker_signal, rate_hz=rate_hz, realtime=True) as srv:
        src = RtlTcpSource(srv.url, freq_hz=903e6, rate_hz=rate_hz, settle_s=0.02)
        seen = []
        for block in src.blocks(2500):
            marker = int(np.rint(block.samples.real * 127.5 + 127.5)[0])
            seen.append((block.center_freq_hz, block.sample_index, marker))
            assert np.all(np.rint(block.samples.real * 127.5 + 127.5) == marker)
            if len(seen) == 5:
                src.retune(915e6)
            if len(seen) == 12:
                break
        src.close()
        assert srv.wait_for_command(0x01, count=2) == 915_000_000
    assert len(seen) == 12
    before, after = seen[:5], seen[5:]
    assert all(f == 903e6 and m == 903 % 256 for f, _, m in before)
    assert all(f == 915e6 and m == 915 % 256 for f, _, m in after)
    indices = [i for _, i, _ in seen]
    assert indices == sorted(indices)
    assert after[0][1] >= before[-1][1] + 2500 + int(
        0.02 * rate_hz
    )  # settle skipped on the timeline
    assert src.discarded_samples >= int(0.02 * rate_hz)


def test_server_restart_with_reconnect_recovers_and_reports():
    rate_hz = 250e3
    events: list[dict] = []
    srv = RtlTcpServer(counter_signal, rate_hz=rate_hz, realtime=True).start()
    try:
        src = RtlTcpSource(
            srv.url, freq_hz=915e6, rate_hz=rate_hz, settle_s=0, reconnect=True,
            backoff_s=(0.05, 0.2), timeout_s=2.0, on_status=events.append,
        )  # fmt: skip
        outage_s = 0.4

        def restart():
            srv.stop()
            time.sleep(outage_s)
            srv.start()

        restarter = None
        blocks = []
        for block in src.blocks(5000):
            blocks.append(block)
            if len(blocks) == 10:
                restarter = threading.Thread(target=restart)
                restarter.start()
            if block.sample_index > 10 * 5000 + outage_s * rate_hz + 10 * 5000:
                break
        src.close()
        restarter.join()
    finally:
        srv.stop()
    kinds = [e["event"] for e in events]
    assert "disconnected" in kinds and "reconnecting" in kinds and "reconnected" in kinds
    assert all(e["source"] == src.spec and e["message"].startswith(src.spec) for e in events)
    assert src.reconnects == 1
    # the outage is on the timeline: dropped ≈ outage (stop/start take a little extra)
    assert outage_s * rate_hz * 0.9 <= src.dropped_samples <= (outage_s + 0.6) * rate_hz
    # every block's samples carry the server's air index; the client's index tracks it
    offsets = []
    for b in blocks:
        k = counter_of(b.samples)
        assert np.all(np.diff(k) % 65536 == 1), "a block must be contiguous"
        offsets.append((int(k[0]) - b.sample_index) % 65536)
    offsets = np.array(offsets)
    offsets = np.where(offsets > 32768, offsets - 65536, offsets)
    assert np.all(offsets[:10] == offsets[0])
    assert np.all(np.abs(offsets - offsets[0]) <= 0.06 * rate_hz)  # gap estimate within 60 ms


def test_lost_server_without_reconnect_raises_one_line():
    with RtlTcpServer(random_cu8(10_000), loop=False) as srv:
        src = RtlTcpSource(srv.url, freq_hz=915e6, settle_s=0, on_status=lambda e: None)
        with pytest.raises(SourceUnavailable) as err:
            for _ in src.blocks(4096):
                pass
    message = str(err.value)
    assert message.startswith(srv.url) and "connection lost" in message and "\n" not in message


def test_slow_consumer_drops_are_counted_and_time_stays_right():
    n = 400_000
    data = random_cu8(n, seed=11)
    events: list[dict] = []
    with RtlTcpServer(data, loop=False) as srv:
        src = RtlTcpSource(
            srv.url,
            freq_hz=915e6,
            rate_hz=2.4e6,
            settle_s=0,
            queue_blocks=2,
            on_status=events.append,
        )
        blocks = []
        with pytest.raises(SourceUnavailable):  # the finite server ends the stream
            for block in src.blocks(8192):
                blocks.append(block)
                time.sleep(0.01)
    assert src.dropped_samples > 0
    assert any(e["event"] == "dropped" for e in events)
    reported = max(e["dropped_samples"] for e in events if e["event"] == "dropped")
    assert reported == src.dropped_samples
    ref = decode(data, CU8)
    for b in blocks:  # every block sits where its samples were on the server's stream
        np.testing.assert_array_equal(
            b.samples, ref[b.sample_index : b.sample_index + len(b.samples)]
        )
    delivered = sum(len(b.samples) for b in blocks)
    assert delivered + src.dropped_samples == n


def test_unreachable_host_is_one_line():
    spec = f"rtl_tcp://127.0.0.1:{free_port()}"
    with pytest.raises(SourceUnavailable) as err:
        RtlTcpSource(spec, freq_hz=915e6, timeout_s=1.0)
    assert str(err.value).startswith(spec) and "\n" not in str(err.value)


def test_not_an_rtl_tcp_server():
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        port = lsock.getsockname()[1]

        def answer():
            conn, _ = lsock.accept()
            conn.sendall(b"HTTP/1.1 400 Bad\r\n\r\n")
            conn.close()

        t = threading.Thread(target=answer)
        t.start()
        with pytest.raises(InputError, match="not an rtl_tcp server"):
            RtlTcpSource(f"rtl_tcp://127.0.0.1:{port}", freq_hz=915e6)
        t.join()


def test_missing_frequency_and_bad_arguments():
    with pytest.raises(InputError, match="--freq"):
        RtlTcpSource("rtl_tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="gain"):
        RtlTcpSource("rtl_tcp://127.0.0.1:1", freq_hz=915e6, gain="loud")


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("rtl_tcp://127.0.0.1:1234", ("127.0.0.1", 1234)),
        ("rtl_tcp://sdr.local", ("sdr.local", 1234)),
        ("rtl_tcp://[::1]:7373", ("::1", 7373)),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_rtltcp_spec(spec) == expected


@pytest.mark.parametrize(
    "spec", ["rtl_tcp://", "rtl_tcp://host:notaport", "rtl_tcp://host:1/path", "tcp://h:1"]
)
def test_parse_spec_rejects(spec):
    with pytest.raises(InputError):
        parse_rtltcp_spec(spec)


def test_server_runs_as_a_program(tmp_path):
    data = random_cu8(50_000, seed=5)
    path = tmp_path / "scene_915M_1000k.cu8"
    data.tofile(path)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rfclassify.testing.rtl_tcp_server",
            str(path),
            "--port",
            str(port),
            "--fast",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                src = RtlTcpSource(
                    f"rtl_tcp://127.0.0.1:{port}", freq_hz=915e6, settle_s=0, num_samples=80_000
                )
                break
            except SourceUnavailable:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        got = np.concatenate([b.samples for b in src.blocks(30_000)])
        ref = decode(data, CU8)
        np.testing.assert_array_equal(got, np.concatenate([ref, ref[:30_000]]))  # it loops
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_streaming_again_after_a_pause_keeps_the_timeline():
    rate_hz = 250e3
    with RtlTcpServer(counter_signal, rate_hz=rate_hz, realtime=True) as srv:
        src = RtlTcpSource(srv.url, freq_hz=915e6, rate_hz=rate_hz, settle_s=0, num_samples=25_000)
        first = list(src.blocks(5000))
        time.sleep(0.2)
        second = list(src.blocks(5000))
        src.close()
        assert srv.connections == 2
    end_first = first[-1].sample_index + len(first[-1].samples)
    assert second[0].sample_index >= end_first + 0.15 * rate_hz
    off1 = (int(counter_of(first[0].samples)[0]) - first[0].sample_index) % 65536
    off2 = (int(counter_of(second[0].samples)[0]) - second[0].sample_index) % 65536
    assert min((off1 - off2) % 65536, (off2 - off1) % 65536) <= 0.06 * rate_hz


def test_sample_times_follow_the_wall_clock_when_the_sample_clock_drifts() -> None:
    """A receiver 200 ppm fast (or a jittery link) must not walk the samples' UTC away from the wall clock."""
    rate = 2.4e6
    with RtlTcpServer(random_cu8(1000), loop=False) as srv:
        # Connected, but never streamed: the chunks and their arrival times below are the test's own.
        src = RtlTcpSource(srv.url, rate_hz=rate, freq_hz=915e6)
        _feed_drifting_clock(src, rate)
        src.close()


def _feed_drifting_clock(src: RtlTcpSource, rate: float) -> None:
    rng = np.random.default_rng(0)
    n = 16384
    true_rate = rate * (1 + 200e-6)  # the dongle's crystal runs fast
    t_start = 1_700_000_000.0
    errors = []
    for k in range(20000):  # ~136 s of stream
        sampled_end = t_start + (k + 1) * n / true_rate
        arrival = sampled_end + 0.002 + rng.exponential(0.003)  # USB/network delay, never negative
        src._deliver(np.zeros(2 * n, dtype=np.uint8), t_recv=arrival)
        src._queue.get_nowait()
        if k % 1000 == 999:
            stamped = src._time_of(k * n).timestamp()  # UTC the source gives this chunk's first sample
            errors.append(stamped - (t_start + k * n / true_rate))
    # Without discipline the error grows to 200 ppm × 136 s = 27 ms; with it, it stays at the link delay.
    assert max(abs(e) for e in errors) < 0.006, errors
