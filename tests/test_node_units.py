"""Node building blocks without a receiver: events, scan plans, config, JSONL output, evidence bounds."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from rfclassify.classify.tracking import BurstDecision
from rfclassify.errors import InputError
from rfclassify.node.config import load_config
from rfclassify.node.events import EventEngine
from rfclassify.node.evidence import enforce_limit
from rfclassify.node.heartbeat import noise_floor_dbfs
from rfclassify.node.options import EventPolicy
from rfclassify.node.outputs import JsonlOutput, open_output
from rfclassify.node.scan import Scanner, scan_centres
from rfclassify.sources.base import Block
from rfclassify.sources.iq_ring import IQRing

CLASSES = ["elrs-900", "noise", "ook-ism"]
EPOCH = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def decision(t_s: float, label: str = "elrs-900", p: float = 0.95, freq_hz: float = 915e6) -> BurstDecision:
    proba = np.full(len(CLASSES), (1 - p) / (len(CLASSES) - 1))
    if label in CLASSES:
        proba[CLASSES.index(label)] = p
    else:
        proba[:] = 1 / len(CLASSES)
    return BurstDecision(t_s, t_s + 0.004, freq_hz - 250e3, freq_hz + 250e3, 15.0, label, p, proba,
                         center_freq_hz=915e6)


def engine(**policy) -> EventEngine:
    return EventEngine(CLASSES, EventPolicy(**policy), sensor_id="n1", source_name="test",
                       utc_of=lambda t: EPOCH + timedelta(seconds=t), extra={"sensor_lat": 1.0})


def test_start_after_confirmation_then_rate_limited_updates_then_end() -> None:
    eng = engine(min_bursts=5, update_interval_s=1.0, quiet_s=2.0)
    events = []
    for k in range(100):  # 20 Hz for 5 s
        events += eng.add(decision(0.05 * k))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and "end" not in kinds
    assert events[0]["bursts"] == 5
    updates = [e for e in events if e["event"] == "update"]
    assert 3 <= len(updates) <= 5  # one a second after the start
    times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in events]
    assert all(b - a >= timedelta(seconds=0.99) for a, b in itertools.pairwise(times))
    assert eng.expire(5.0 + 1.0) == []  # not quiet long enough yet
    end = eng.expire(5.0 + 2.5)
    assert [e["event"] for e in end] == ["end"] and end[0]["bursts"] == 100
    first = events[0]
    for key in ("label", "drone", "confidence", "freq_hz", "t_start_s", "t_end_s", "models", "emitter_id",
                "sensor_id", "time", "center_freq_hz", "report_id", "sensor_lat"):
        assert key in first
    assert first["label"] == "elrs-900" and first["drone"] is True and first["sensor_id"] == "n1"
    assert first["time"].endswith("Z") and first["time"].startswith("2024-05-01T12:00:00.")
    assert len({e["report_id"] for e in events + end}) == len(events) + 1


def test_noise_never_reported_unknown_reported_not_drone_and_weak_emitters_not_confirmed() -> None:
    eng = engine(min_bursts=3, min_confidence=0.5)
    events = []
    for k in range(20):
        events += eng.add(decision(0.1 * k, "noise", 0.99, 914e6))
        events += eng.add(decision(0.1 * k, "unknown", 0.3, 917e6))
    events += eng.close()
    assert {e["label"] for e in events} == {"unknown"}
    assert all(e["drone"] is False for e in events)
    strict = engine(min_bursts=3, min_confidence=0.999)
    weak = []
    for k in range(20):
        weak += strict.add(decision(0.1 * k, "ook-ism", 0.5, 433.9e6))
    assert weak == [] and strict.close() == []


def test_long_emitter_memory_is_bounded_and_counts_stay_right() -> None:
    eng = engine(keep_bursts=32, update_interval_s=1e9)
    for k in range(2000):
        eng.add(decision(0.005 * k))
    (emitter,) = eng.tracker.active.values()
    assert len(emitter.bursts) == 32
    (end,) = eng.close()
    assert end["bursts"] == 2000 and end["t_start_s"] == 0.0 and end["confidence"] > 0.99


def test_scan_centres_cover_band_within_usable_width() -> None:
    centres = scan_centres("902M:928M", 2.4e6)
    step = np.diff(centres)
    assert len(centres) == 14 and np.all(step <= 0.8 * 2.4e6 + 1)
    assert centres[0] - 0.4 * 2.4e6 <= 902e6 and centres[-1] + 0.4 * 2.4e6 >= 928e6
    assert scan_centres("903.5M, 915M,926.9M", 2.4e6) == [903.5e6, 915e6, 926.9e6]
    for bad in ("928M:902M", "", "abc"):
        with pytest.raises(ValueError):
            scan_centres(bad, 2.4e6)


def test_scanner_dwells_then_cycles_and_ignores_stale_blocks() -> None:
    sc = Scanner([1e8, 2e8], dwell_s=0.5)
    assert sc.advance(1e8, 1e6, 400_000) is None
    assert sc.advance(1e8, 1e6, 100_000) == 2e8
    assert sc.advance(1e8, 1e6, 10**6) is None  # still queued from before the retune
    assert sc.advance(2e8, 1e6, 500_000) == 1e8
    assert sc.visits == [1e8, 2e8]


def test_config_file_values_and_errors(tmp_path) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text('[watch]\nsource = "rtl_tcp://127.0.0.1:1234"\nfreq = "915M"\ndwell = "250ms"\n'
                   'record-max = "1G"\noutput = ["-", "ev.jsonl"]\nrealtime = true\nlat = 51.5\n')
    conf = load_config(cfg)
    assert conf == {"source": "rtl_tcp://127.0.0.1:1234", "freq": 915e6, "dwell": 0.25,
                    "record_max": 2**30, "output": ["-", "ev.jsonl"], "realtime": True, "lat": 51.5}
    for text, problem in (("fraq = 1", "unknown option"), ("freq = 'x'", "not a frequency"),
                          ("realtime = 1", "true or false"), ("[[x", "not valid TOML")):
        cfg.write_text(text)
        with pytest.raises(InputError, match=problem):
            load_config(cfg)
    with pytest.raises(InputError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_jsonl_output_appends_and_flushes_per_line(tmp_path) -> None:
    path = tmp_path / "ev.jsonl"
    path.write_text('{"old": 1}\n')
    out = JsonlOutput(path)
    out.write({"event": "start", "x": np.float64(1.5), "n": np.int64(3)})
    assert path.read_text().splitlines()[1] == '{"event":"start","x":1.5,"n":3}'  # before close
    out.close()
    out = open_output(str(path))
    out.write({"event": "end"})
    out.close()
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"old": 1}, {"event": "start", "x": 1.5, "n": 3}, {"event": "end"}]
    with pytest.raises(InputError):
        open_output(str(tmp_path))


def test_iq_ring_keeps_recent_samples_and_splits_at_gaps_and_retunes() -> None:
    ring = IQRing(3000, "ci16_le")
    rng = np.random.default_rng(0)
    blocks = []
    for k, (idx, fc) in enumerate([(0, 1e8), (1000, 1e8), (2000, 1e8), (3500, 1e8), (4500, 2e8)]):
        x = (0.3 * (rng.standard_normal(1000) + 1j * rng.standard_normal(1000))).astype(np.complex64)
        blocks.append(x)
        ring.append(Block(x, 1e6, fc, idx, EPOCH + timedelta(seconds=idx / 1e6)))
    assert ring.start == 2000 and ring.end == 5500  # the last 3000 samples
    segs = ring.segments(1500, 5000, 1e8)
    assert [(s, len(x)) for s, _, x in segs] == [(2000, 1000), (3500, 1000)]
    assert segs[1][1] == EPOCH + timedelta(seconds=3500e-6)
    np.testing.assert_allclose(segs[0][2], blocks[2], atol=1e-4)
    assert ring.segments(0, 1000, 1e8) == [] and len(ring.segments(0, 10**6, 2e8)) == 1
    ring.append(Block(np.zeros(0, dtype=np.complex64), 1e6, 2e8, 5500))  # an empty read changes nothing
    assert (ring.start, ring.end) == (2000, 5500) and len(ring.segments(0, 10**6, 2e8)) == 1


def test_evidence_limit_deletes_oldest_evidence_only(tmp_path) -> None:
    import os

    names = [f"evidence-20240101T00000{k}Z-elrs-900-915M-{k}" for k in range(4)]
    for k, name in enumerate(names):
        for ext, size in ((".sigmf-data", 1000), (".sigmf-meta", 100)):
            p = tmp_path / f"{name}{ext}"
            p.write_bytes(b"x" * size)
            os.utime(p, (1000 + k, 1000 + k))
    precious = tmp_path / "my-recording.sigmf-data"
    precious.write_bytes(b"y" * 10_000)
    deleted = enforce_limit(tmp_path, 2300, keep=(tmp_path / f"{names[0]}.sigmf-data",))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert precious.exists()
    assert {p.name.split(".")[0] for p in deleted} == {names[1], names[2]}
    assert left == sorted([precious.name] + [f"{n}{e}" for n in (names[0], names[3]) for e in (".sigmf-data", ".sigmf-meta")])


def test_noise_floor_estimate_of_known_noise() -> None:
    rng = np.random.default_rng(1)
    power = 0.01  # -20 dBFS
    x = np.sqrt(power / 2) * (rng.standard_normal(200_000) + 1j * rng.standard_normal(200_000))
    assert abs(noise_floor_dbfs(x.astype(np.complex64)) - (-20.0)) < 0.15
    x[:10_000] *= 30  # a strong burst over 5 % of the block moves the median estimate little
    assert abs(noise_floor_dbfs(x.astype(np.complex64)) - (-20.0)) < 0.5


def test_bursts_after_a_gap_or_retune_keep_their_iq() -> None:
    """A live source's reconnection (a gap in sample indices) or a retune starts a new detector stream
    at a non-zero sample index: its bursts must still carry their baseband IQ, as if the stream began at 0."""
    from rfclassify.detect.burst_detector import BurstDetector

    fs, n = 2.4e6, 1 << 16
    rng = np.random.default_rng(3)
    x = (0.01 * (rng.standard_normal(12 * n) + 1j * rng.standard_normal(12 * n))).astype(np.complex64)
    t = np.arange(4800) / fs
    for start in range(int(0.02 * fs), len(x) - 4800, int(0.03 * fs)):  # 2 ms bursts at +300 kHz
        x[start : start + 4800] += (0.3 * np.exp(2j * np.pi * 300e3 * t)).astype(np.complex64)

    def run(index0: int, fc: float, det: BurstDetector | None = None) -> list:
        det = det or BurstDetector()
        out = []
        for k in range(12):
            out += det.process(Block(x[k * n : (k + 1) * n], fs, fc, index0 + k * n))
        return out + det.flush()

    ref = run(0, 915e6)
    assert len(ref) >= 10 and all(len(b.iq) > 0 for b in ref)
    det = BurstDetector()
    run(0, 915e6, det)  # a first stream, then ...
    for index0, fc in [(12 * n + 3_600_000, 915e6), (30 * n, 916e6)]:  # ... a gap, a retune
        later = run(index0, fc, det)
        assert len(later) == len(ref)
        for a, b in zip(ref, later):
            assert len(b.iq) == len(a.iq) > 0
            np.testing.assert_allclose(b.iq, a.iq, atol=1e-5)
            assert b.iq_t0_s == pytest.approx(a.iq_t0_s + index0 / fs)
