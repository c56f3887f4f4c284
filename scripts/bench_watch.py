#!/usr/bin/env python3
"""Benchmark of the live node (issue 5 targets): latency, steady-state memory, CPU at 2.4 MS/s real time.

Set-up: a synthesized ELRS-900 scene (200 Hz packets, FCC915 band, RTL-SDR at
915 MHz, 20 dB SNR) looped by the project's rtl_tcp server in a *separate
process*, paced at 2.4 MS/s; ``rfclassify.watch`` in this process consumes it
with ``update_interval=0`` so that every burst of the confirmed emitter gives
an event.

- Latency: an event's ``time`` is the UTC of the end of the burst that caused
  it (stream time, anchored on the wall clock when the samples arrived), so
  ``wall clock when the event reached the output − time`` is the latency from
  the burst's end in the stream to its event. Median and p95 over all events.
- Memory: RSS from the heartbeats (every 10 s); flat means the last third's
  mean is within a few MB of the first third's (after a 20 s warm-up).
- CPU: process CPU time over wall time (percent of one core) from the
  heartbeats: the capture thread plus processing; the server is elsewhere.

Usage: ``python scripts/bench_watch.py [--minutes 3] [--model PATH]`` (the
issue's memory target is over 30 minutes: ``--minutes 30``). Without a
model (and no shipped model) a small one is trained first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np


def build_scene(path: Path, seconds: float = 10.0) -> None:
    from rfclassify.sources.datatypes import datatype, encode
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    scene = Scene([EmitterSpec("elrs-900", 20.0, band="FCC915", seed=3, params={"rate_hz": 200})],
                  rtlsdr(915e6), seconds)
    rendered = render(scene, np.random.default_rng(7), keep_components=False)
    encode(rendered.samples, datatype("cu8")).tofile(path)


def build_model(root: Path) -> Path:
    """A small model (noise, OOK, ELRS-900 on other seeds) when no trained model is given."""
    from rfclassify.classify.training import train
    from rfclassify.sources.sigmf_io import write_sigmf
    from rfclassify.synth.dataset import synthesize_dataset
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    ds = root / "ds"
    synthesize_dataset(ds, classes=["noise", "ook-ism"], per_class=3, receivers="rtlsdr", duration_s=1.0,
                       seed=1, progress=False, mixed=0)
    rng = np.random.default_rng(11)
    for k, (rate_hz, snr_db, fc_hz) in enumerate([(200, 12, 914.7e6), (200, 20, 916.1e6), (100, 16, 915.3e6),
                                                  (200, 25, 913.9e6), (50, 18, 915.9e6)]):
        scene = Scene([EmitterSpec("elrs-900", snr_db, band="FCC915", seed=100 + k, params={"rate_hz": rate_hz})],
                      rtlsdr(fc_hz, rng=rng), 1.0)
        r = render(scene, rng, keep_components=False)
        write_sigmf(ds / f"elrs-900_{k}", r.samples, datatype="cu8", sample_rate_hz=2.4e6, center_freq_hz=fc_hz,
                    annotations=r.annotations)
    out = root / "bench.rfcm"
    train([ds], out, cv_folds=0, progress=False)
    return out


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the run (default 3)")
    parser.add_argument("--model", default=None, help="model file (default: the shipped model or a small one)")
    parser.add_argument("--port", type=int, default=0, help="rtl_tcp port (default: a free one)")
    parser.add_argument("--prepare", metavar="DIR", help=argparse.SUPPRESS)  # internal: scene + model in DIR
    args = parser.parse_args()
    if args.prepare:
        build_scene(Path(args.prepare) / "elrs_915M_2400k.cu8")
        if args.model is None:
            build_model(Path(args.prepare))
        return 0

    import rfclassify
    from rfclassify.classify.persistence import default_model_path

    tmp = Path(tempfile.mkdtemp(prefix="bench_watch_"))
    scene = tmp / "elrs_915M_2400k.cu8"
    model = Path(args.model) if args.model else default_model_path()
    if not args.model and model.exists():
        from rfclassify.classify.pipeline import Classifier
        from rfclassify.errors import ModelError

        try:
            Classifier.load(model)
        except ModelError as exc:
            print(f"{exc}: using a small model instead", file=sys.stderr)
            model = tmp / "bench.rfcm"
    if not model.exists():
        print("no usable model given: training a small one …", file=sys.stderr)
    # synthesis and training in another process, so their memory is not in the node's RSS
    prep = [sys.executable, __file__, "--prepare", str(tmp)] + ([] if not model.exists() else ["--model", str(model)])
    subprocess.run(prep, check=True)
    if not model.exists():
        model = tmp / "bench.rfcm"
    if model.parent == tmp:
        os.environ["RFCLASSIFY_ALLOW_UNSIGNED_MODEL"] = "1"  # the small model is this script's own, maybe unsigned
    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "rfclassify.testing.rtl_tcp_server", str(scene),
                               "--port", str(port)], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    latencies: list[float] = []
    beats: list[dict] = []
    service = None

    def hook(svc: object) -> None:
        nonlocal service
        service = svc

    t_end = time.monotonic() + 60 * args.minutes
    try:
        for event in rfclassify.watch(f"rtl_tcp://127.0.0.1:{port}", freq="915M", model=str(model),
                                      update_interval=0, heartbeat="10s", on_service=hook):
            now = datetime.now(timezone.utc)
            if event["event"] == "heartbeat":
                beats.append(event)
                print(f"{event['uptime_s']:7.0f} s  rss {event['rss_mb']:6.1f} MB  cpu {event['cpu_percent']:5.1f} %"
                      f"  queue {event['queue_depth']}/{event['queue_capacity']}  dropped {event['dropped_samples']}",
                      file=sys.stderr)
            elif event["event"] in ("start", "update"):
                latencies.append((now - parse_time(event["time"])).total_seconds())
            if time.monotonic() > t_end and service is not None:
                service.stop()
    finally:
        server.terminate()
        server.wait()
    warm = [b for b in beats if b["uptime_s"] >= 20] or beats
    rss = [b["rss_mb"] for b in warm]
    third = max(1, len(rss) // 3)
    growth = statistics.mean(rss[-third:]) - statistics.mean(rss[:third]) if rss else float("nan")
    cpu = statistics.mean(b["cpu_percent"] for b in warm) if warm else float("nan")
    lat = np.array(latencies) * 1e3
    med, p95 = (float(np.median(lat)), float(np.percentile(lat, 95))) if len(lat) else (float("nan"),) * 2
    dropped = beats[-1]["dropped_samples"] if beats else 0
    rows = [
        ("latency, burst end → event, median", "≤ 250 ms", f"{med:.0f} ms (n={len(lat)})", med <= 250),
        ("latency, p95", "—", f"{p95:.0f} ms", True),
        ("RSS, steady state (max)", "≤ 200 MB", f"{max(rss):.0f} MB" if rss else "n/a", bool(rss) and max(rss) <= 200),
        ("RSS growth, last third − first third", "flat", f"{growth:+.1f} MB over {args.minutes:g} min",
         abs(growth) < 5),
        ("CPU at 2.4 MS/s real time (one core)", "≤ 25 %", f"{cpu:.0f} %", cpu <= 25),
        ("dropped samples", "0", str(dropped), dropped == 0),
    ]
    print(f"\nrfclassify watch, {args.minutes:g} min of a looped ELRS-900 scene at 2.4 MS/s "
          f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}), model {model.name}\n")
    print("| metric | target | measured | met |\n|---|---|---|---|")
    for name, target, value, ok in rows:
        print(f"| {name} | {target} | {value} | {'yes' if ok else 'no'} |")
    print("\nRSS every 10 s (MB): " + " ".join(f"{b['rss_mb']:.0f}" for b in beats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
