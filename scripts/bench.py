"""`make bench`: end-to-end throughput against the physical limit, memory, training and synth cost (issue 7).

One run, one core (``OMP_NUM_THREADS=1`` … set before numpy loads), writes
the ``bench`` section of BENCHMARKS.md (between ``<!-- bench:begin -->`` and
``<!-- bench:end -->``; the other sections are left alone):

- **classify, 2.4 MS/s ``cu8``**: ``classify_source(open_source(path),
  Classifier.load())`` over a 60 s mixed scene (read, spectrogram, detect,
  features, classify, aggregate), CPU seconds → MS/s and real-time factor.
- **classify, 20 MS/s ``ci8``** (HackRF ``cs8``): the same over 10 s of a
  wideband mixed scene (2 s synthesized, written 5 times: the synthesizer
  renders wideband scenes at only ~0.1× real time).
- **reference limit**: the raw read + convert rate of each file, and a bare
  scipy STFT (Hann, FFT, |X|²) over the same samples, block by block, at
  the FFT size the detector uses. The pipeline's throughput is reported as a
  fraction of it.
- **peak RSS** of ``classify`` over a 10-minute 2.4 MS/s recording (the 60 s
  file written 10 times, 2.9 GB, deleted afterwards) in a subprocess
  (``VmHWM``), next to the peak RSS over the 60 s file: memory must not
  grow with the file's length.
- **training** time (of the last ``make model``, from
  ``datasets/make-model-times.json``) and model size from ``models/default.json`` (if the
  default model is missing, a small RTL-SDR-only model is trained on the fly
  and the section says so); **synth** rate of the scenes above.
- the **tight reference** of issue 18 (:func:`tight_reference`) in the same run, and the throughput as a
  fraction of it;
- **where the time goes**: CPU seconds per pipeline stage of each scene (:mod:`bench_stages`), and the
  cProfile (own time) of the 2.4 MS/s run.

Recordings are cached in ``--cache`` (default ``/tmp/rfclassify-bench``),
outside the repository.

    python scripts/bench.py [--cache DIR] [--no-rss] [--no-write]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy loads

import argparse
import cProfile
import io
import json
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

SCENE_SEED = 7
#: The drone link each scene is built around (with one to three other emitters in view): bursty
#: control links at 915 MHz for the RTL-SDR, OcuSync at 2.4 GHz for the wideband receiver.
SCENE_DRONES = {"rtlsdr": ("elrs-900",), "wideband": ("dji-ocusync",)}
RTL_SECONDS = 60.0
RTL_SEGMENT_S = 10.0
WB_SECONDS = 10.0
WB_SEGMENT_S = 2.0
RSS_REPEATS = 10


def _cpu() -> float:
    return time.process_time()


#: The sample rate the issue's benchmark asks for, per receiver kind.
SCENE_RATE_HZ = {"rtlsdr": 2.4e6, "wideband": 20e6}


def observed_mixed_scene(receiver_kind: str, segment_s: float, attempts: int = 50) -> Any:
    """The first mixed scene (seeds ``SCENE_SEED``, ``SCENE_SEED + 1`` …) at the benchmark's sample rate
    (:data:`SCENE_RATE_HZ`) whose every emitter is in the window.

    A scene whose emitters transmit outside the receiver's window (a hopper
    tuned away, a downlink on another channel) would benchmark a noise-only
    recording.
    """
    from rfclassify.synth import render
    from rfclassify.synth.dataset import mixed_scene

    for k in range(attempts):
        rng = np.random.default_rng(SCENE_SEED + k)
        scene = mixed_scene(receiver_kind, segment_s, (0.0, 25.0), rng, drones=SCENE_DRONES[receiver_kind])
        if scene.receiver.sample_rate_hz != SCENE_RATE_HZ[receiver_kind]:
            continue
        seen = {a["rfclassify:emitter_id"] for a in render(scene, np.random.default_rng([SCENE_SEED, 0]),
                                                           keep_components=False).annotations}
        if all(e.emitter_id in seen for e in scene.emitters):
            return scene
    raise RuntimeError(f"no {receiver_kind} mixed scene with every emitter in view in {attempts} draws")


def synthesize(path: Path, receiver_kind: str, seconds: float, segment_s: float, repeat_segment: bool) -> dict[str, Any]:
    """Write a mixed-scene SigMF recording of ``seconds`` at ``path`` (cached); returns synth timing."""
    meta = path.with_suffix(".sigmf-meta")
    info_path = path.with_suffix(".json")
    if meta.exists() and info_path.exists():
        return json.loads(info_path.read_text())
    from rfclassify.sources.sigmf_io import SigMFWriter
    from rfclassify.synth import render

    scene = observed_mixed_scene(receiver_kind, segment_s)
    rx = scene.receiver
    n_seg = round(seconds / segment_s)
    render_s, rendered_samples = 0.0, 0
    for stale in (meta, path.with_suffix(".sigmf-data")):
        stale.unlink(missing_ok=True)
    with SigMFWriter(
        path, datatype=rx.datatype, sample_rate_hz=rx.sample_rate_hz, center_freq_hz=rx.center_freq_hz,
        description=f"bench: mixed scene ({', '.join(e.label for e in scene.emitters)})", validate=False,
    ) as writer:
        samples = None
        for k in range(n_seg):
            if samples is None or not repeat_segment:
                t0 = time.perf_counter()
                samples = render(scene, np.random.default_rng([SCENE_SEED, k]), keep_components=False).samples
                render_s += time.perf_counter() - t0
                rendered_samples += len(samples)
            writer.write(samples)
    info = {
        "labels": [e.label for e in scene.emitters],
        "sample_rate_hz": rx.sample_rate_hz,
        "datatype": rx.datatype,
        "seconds": seconds,
        "synth_msps": rendered_samples / render_s / 1e6,
        "synth_realtime": rendered_samples / render_s / rx.sample_rate_hz,
    }
    info_path.write_text(json.dumps(info))
    return info


def reference(meta: Path, passes: int = 3) -> dict[str, float]:
    """Raw read+convert rate, and a bare scipy STFT + power over the same blocks at the detector's FFT size.

    The best of ``passes`` passes for each (the first may read a cold page cache; CPU time counts the
    kernel's copies, so the read rate varied 1.5× between single passes).
    """
    import scipy.fft as sfft

    from rfclassify.detect.burst_detector import BurstDetector
    from rfclassify.sources import open_source

    best_read = best_stft = float("inf")
    for _ in range(passes):
        with open_source(str(meta)) as src:
            fs = src.info.sample_rate_hz
            nfft = BurstDetector().nfft_for(fs)
            win = np.hanning(nfft).astype(np.float32)
            n, t_read, t_stft = 0, 0.0, 0.0
            it = iter(src.blocks())
            while True:
                t0 = _cpu()
                block = next(it, None)
                t1 = _cpu()
                if block is None:
                    break
                t_read += t1 - t0
                x = block.samples
                m = len(x) // nfft * nfft
                spec = sfft.fft(x[:m].reshape(-1, nfft) * win, axis=1, overwrite_x=True)
                power = spec.real**2 + spec.imag**2
                t_stft += _cpu() - t1
                n += len(x)
                del power
        best_read, best_stft = min(best_read, t_read), min(best_stft, t_stft)
    return {"samples": n, "rate_hz": fs, "nfft": nfft, "read_msps": n / best_read / 1e6,
            "stft_msps": n / best_stft / 1e6}


#: The tight reference's FFT length and read size (issue 18): what any receiver chain that looks at the
#: spectrum at all must do, written as directly as numpy allows.
TIGHT_NFFT = 1024
TIGHT_PIECE = 1 << 20


def tight_reference(meta: Path, passes: int = 3) -> dict[str, float]:
    """The tight reference of issue 18 over a ``cu8`` or ``ci8`` recording: the best of ``passes`` passes.

    Read the file in pieces of :data:`TIGHT_PIECE` samples (``readinto`` one reused buffer), convert
    each byte pair (I, Q) to complex64 with one 65,536-entry table, then a 1024-point Hann STFT
    (``scipy.fft.fft`` in single precision, no overlap) and ``|X|²``. Returns MS/s (CPU time).
    """
    import scipy.fft as sfft

    doc = json.loads(meta.read_text())
    datatype = doc["global"]["core:datatype"]
    data = meta.with_suffix(".sigmf-data")
    byte = np.arange(256, dtype=np.uint16)
    if datatype.startswith("cu8"):
        comp = (byte.astype(np.float32) - np.float32(127.5)) / np.float32(127.5)
    elif datatype.startswith("ci8"):
        comp = byte.astype(np.uint8).view(np.int8).astype(np.float32) / np.float32(128.0)
    else:
        raise ValueError(f"{meta}: the tight reference reads 8-bit recordings, not {datatype}")
    # Little-endian uint16 of a byte pair = I + 256·Q.
    pair = np.arange(65536, dtype=np.uint32)
    table = (comp[pair & 0xFF] + 1j * comp[pair >> 8]).astype(np.complex64)
    win = np.hanning(TIGHT_NFFT).astype(np.float32)
    buf = np.empty(TIGHT_PIECE, dtype=np.uint16)
    best = float("inf")
    n = 0
    for _ in range(passes):
        n = 0
        t0 = _cpu()
        with open(data, "rb", buffering=0) as f:
            while True:
                got = f.readinto(buf) // 2
                if got <= 0:
                    break
                x = table[buf[:got]]
                m = got // TIGHT_NFFT * TIGHT_NFFT
                spec = sfft.fft(x[:m].reshape(-1, TIGHT_NFFT) * win, axis=1, overwrite_x=True)
                power = spec.real * spec.real
                power += spec.imag * spec.imag
                n += got
        best = min(best, _cpu() - t0)
    return {"samples": n, "nfft": TIGHT_NFFT, "msps": n / best / 1e6}


def stage_profile(meta: Path) -> dict[str, Any]:
    """CPU seconds per pipeline stage of one ``classify`` run over ``meta`` (:mod:`bench_stages`)."""
    from bench_stages import StageTimer

    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.recordings import classify_source
    from rfclassify.sources import open_source

    clf = Classifier.load(os.environ.get("RFCLASSIFY_BENCH_MODEL") or None)
    with StageTimer() as st, open_source(str(meta)) as src:
        classify_source(src, clf)
    return {"total_s": st.total_s, "stages": st.table()}


def detect_run(meta: Path) -> dict[str, Any]:
    """CPU time of the detection stage alone (read, spectrogram, floor, detect; no baseband IQ, no features)."""
    from rfclassify.detect.burst_detector import BurstDetector
    from rfclassify.sources import open_source

    t0 = _cpu()
    with open_source(str(meta)) as src:
        n = sum(1 for _ in BurstDetector(keep_iq=False).run(src.blocks()))
    return {"cpu_s": _cpu() - t0, "detections": n}


def classify_run(meta: Path, profile: bool = False) -> dict[str, Any]:
    """CPU time of the full classify path over one file (optionally under cProfile)."""
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.recordings import classify_source
    from rfclassify.sources import open_source

    clf = Classifier.load(os.environ.get("RFCLASSIFY_BENCH_MODEL") or None)
    prof = cProfile.Profile() if profile else None
    t0, w0 = _cpu(), time.perf_counter()
    if prof:
        prof.enable()
    with open_source(str(meta)) as src:
        fs = src.info.sample_rate_hz
        n = src.info.num_samples
        records = classify_source(src, clf)
    if prof:
        prof.disable()
    cpu, wall = _cpu() - t0, time.perf_counter() - w0
    out: dict[str, Any] = {
        "samples": n, "rate_hz": fs, "cpu_s": cpu, "wall_s": wall, "msps": n / cpu / 1e6,
        "realtime": n / cpu / fs, "emitters": len(records),
        "labels": sorted({r["label"] for r in records}),
    }
    if prof:
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        rows = []
        for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((tt, ct, nc, f"{Path(file).name}:{line}({func})"))
        rows.sort(reverse=True)
        out["profile"] = [(round(tt, 3), round(ct, 3), nc, name) for tt, ct, nc, name in rows[:12]]
        out["profile_total_s"] = round(sum(r[0] for r in rows), 3)
    return out


_CHILD = """
import json, sys, threading, time
sys.path.insert(0, {scripts!r})
import bench
peak = [0]
def poll():
    # RssAnon: the process's own memory; file pages of the memory-mapped recording are not in it.
    while True:
        for line in open('/proc/self/status'):
            if line.startswith('RssAnon:'):
                peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.05)
threading.Thread(target=poll, daemon=True).start()
r = bench.classify_run(__import__('pathlib').Path({meta!r}))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of the (big) benchmark
# process would report the parent's peak.
hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
print(json.dumps({{'rss': hwm / 1024, 'anon': peak[0] / 1024, 'cpu': r['cpu_s']}}))
"""


def peak_rss_mb(meta: Path) -> dict[str, float]:
    """Peak RSS (``VmHWM``), peak anonymous RSS (MB) and CPU seconds of ``classify`` over ``meta``, in a subprocess."""
    code = _CHILD.format(scripts=str(ROOT / "scripts"), meta=str(meta))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    return json.loads(res.stdout.strip().splitlines()[-1])


def long_copy(meta: Path, out_base: Path, repeats: int) -> Path:
    """A recording of ``repeats`` back-to-back copies of ``meta``'s samples (annotations dropped)."""
    data = meta.with_suffix(".sigmf-data")
    doc = json.loads(meta.read_text())
    doc["annotations"] = []
    doc.get("global", {}).pop("core:sha512", None)
    out_meta = out_base.with_suffix(".sigmf-meta")
    out_data = out_base.with_suffix(".sigmf-data")
    with open(data, "rb") as src, open(out_data, "wb") as dst:
        for _ in range(repeats):
            src.seek(0)
            shutil.copyfileobj(src, dst, 16 << 20)
    out_meta.write_text(json.dumps(doc, indent=2))
    return out_meta


def ensure_model(cache: Path) -> dict[str, Any]:
    """Training time and size of the default model, training a small stand-in if it is missing."""
    from rfclassify.classify.persistence import default_model_path, load_model
    from rfclassify.errors import ModelError
    from rfclassify.features import FEATURE_SCHEMA_VERSION

    path = default_model_path()
    default: dict[str, Any] | None = None
    try:
        meta: dict[str, Any] | None = load_model(path).meta if path.exists() else None
    except ModelError:
        meta = None
    if meta is not None:
        recipe = meta.get("recipe", {})
        default = {
            "model": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
            "size_mb": path.stat().st_size / 1e6,
            "train_s": recipe.get("train_seconds", meta.get("train_seconds")),
            "synth_s": recipe.get("synth_seconds"),
            "stand_in": False,
        }
        from make_model import TIMES  # written by each `make model`

        times = json.loads(TIMES.read_text()) if TIMES.exists() else {}
        if times.get("sha256") == meta.get("sha256"):
            default.update(train_s=times["features_train_s"], synth_s=times["synth_s"],
                           train_note=f"`make model` with {times['jobs']} jobs at {times['utc']}: features of "
                                      f"{times['bursts']} bursts (taken from the cache if the code is unchanged) + training with 3-fold CV")
        if meta.get("feature_schema_version") == FEATURE_SCHEMA_VERSION:
            return default
        default["model"] += f" (feature schema {meta.get('feature_schema_version')}, not {FEATURE_SCHEMA_VERSION})"
    from rfclassify.classify.training import train
    from rfclassify.synth.dataset import synthesize_dataset

    model = cache / "standin.rfcm"
    if not model.exists():
        data = cache / "standin-data"
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.perf_counter()
        synthesize_dataset(data, per_class=3, snr_db_range=(0.0, 25.0), receivers="rtlsdr", duration_s=0.3,
                           seed=1, jobs=1, clutter_probability=0.3, progress=False)
        t1 = time.perf_counter()
        train([data], model, jobs=1, cv_folds=0, random_state=0, progress=False,
              extra_meta={"train_seconds": None})
        t2 = time.perf_counter()
        (cache / "standin-times.json").write_text(json.dumps({"synth_s": t1 - t0, "train_s": t2 - t1}))
    times = json.loads((cache / "standin-times.json").read_text())
    os.environ["RFCLASSIFY_BENCH_MODEL"] = str(model)
    os.environ["RFCLASSIFY_ALLOW_UNSIGNED_MODEL"] = "1"  # the stand-in is this script's own, maybe unsigned
    why = "missing" if default is None else "trained on another feature schema: retrain it with `make model`"
    out = {"model": f"stand-in (the default model {why}): RTL-SDR only, 3 × 0.3 s per class",
           "size_mb": model.stat().st_size / 1e6, "train_s": times["train_s"], "synth_s": times["synth_s"],
           "stand_in": True}
    if default is not None:
        out["default"] = default
    return out


def _f(x: Any, nd: int = 1) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def report(res: dict[str, Any]) -> str:
    """Markdown for the bench section."""
    from benchmd import header

    rtl, wb, ref_r, ref_w = res["rtl"], res["wb"], res["ref_rtl"], res["ref_wb"]
    lines = [
        header("Throughput, memory and cost (issue 7)"),
        ("One core (`OMP_NUM_THREADS=1`), CPU seconds. `classify` = `classify_source(open_source(path), "
        "Classifier.load())`: read, spectrogram, detect, features, classify, aggregate. Bare STFT = Hann × "
        "`scipy.fft.fft` + |X|² over the same blocks at the detector's FFT size."),
        "",
        ("Tight reference (issue 18) = read the file in 1 M-sample pieces, one 65,536-entry byte-pair → complex64 "
         f"table, {TIGHT_NFFT}-point Hann STFT + |X|², measured in the same run."),
        "",
        ("| recording | samples | classify MS/s | × real time | tight reference MS/s | classify / tight "
         "| bare STFT MS/s | classify / STFT | read+convert MS/s | emitters |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    tight_r, tight_w = res["tight_rtl"], res["tight_wb"]
    for name, r, ref, tight in (
        (f"{RTL_SECONDS:g} s 2.4 MS/s cu8 mixed ({', '.join(res['synth_rtl']['labels'])})", rtl, ref_r, tight_r),
        (f"{WB_SECONDS:g} s 20 MS/s ci8 (cs8) mixed ({', '.join(res['synth_wb']['labels'])})", wb, ref_w, tight_w),
    ):
        lines.append(
            f"| {name} | {r['samples'] / 1e6:.0f} M | {r['msps']:.1f} | {r['realtime']:.1f} | {tight['msps']:.0f} "
            f"| {r['msps'] / tight['msps']:.2f} | {ref['stft_msps']:.0f} (nfft {ref['nfft']}) "
            f"| {r['msps'] / ref['stft_msps']:.0%} | {ref['read_msps']:.0f} | {r['emitters']} |"
        )
    rss = res.get("rss")
    lines += ["", ("Targets (issue 18): ≥ 20× real time at 2.4 MS/s and ≥ 0.4 of the tight reference; ≥ 3× real time "
              "at 20 MS/s; peak RSS ≤ 300 MB for any length."), ""]
    ok = lambda c: "met" if c else "**not met**"
    lines.append(f"- 2.4 MS/s: {rtl['realtime']:.1f}× real time ({ok(rtl['realtime'] >= 20)}), "
                 f"{rtl['msps'] / tight_r['msps']:.2f} of the tight reference ({ok(rtl['msps'] >= 0.4 * tight_r['msps'])}).")
    lines.append(f"- 20 MS/s: {wb['realtime']:.1f}× real time ({ok(wb['realtime'] >= 3)}).")
    # The ceiling any pipeline that reads the samples and takes their STFT has, measured in the same run.
    floor_msps = 1.0 / (1.0 / ref_r["read_msps"] + 1.0 / ref_r["stft_msps"])
    target_s = rtl["samples"] / (0.4 * ref_r["stft_msps"] * 1e6)
    left_s = target_s - rtl["samples"] / (floor_msps * 1e6)
    dets = res.get("det_rtl", {}).get("detections")
    bound = (f"- The 40 % bound, 2.4 MS/s: reading + converting and the bare STFT alone run at {floor_msps:.0f} MS/s "
             f"({floor_msps / ref_r['stft_msps']:.0%} of the bare STFT). 40 % allows {target_s:.2f} s for the "
             f"{RTL_SECONDS:g} s recording, ")
    if left_s > 0:
        bound += ("which leaves " + f"{left_s:.2f} s for the noise floor, the detection mask and its labelling, "
                  "the baseband IQ, features and classification"
                  + (f" of {dets} detections ({left_s / dets * 1e3:.3f} ms each)" if dets else "") + ".")
    else:
        bound += "less than reading and the STFT alone take: no pipeline that reads the samples and takes their STFT can meet it."
    lines.append(bound)
    if "det_rtl" in res:
        parts = []
        for name, r, d in (("2.4 MS/s", rtl, res["det_rtl"]), ("20 MS/s", wb, res["det_wb"])):
            rest = r["cpu_s"] - d["cpu_s"]
            parts.append(
                f"{name}: {r['cpu_s']:.1f} s, of which detection alone (read, spectrogram, floor, detect) "
                f"{d['cpu_s']:.1f} s and the rest (baseband IQ, features, classifier, tracking) {rest:.1f} s for "
                f"{d['detections']} detections ({rest / max(d['detections'], 1) * 1e3:.2f} ms each)"
            )
        lines.append("- Where the time goes (CPU s per recording): " + "; ".join(parts) + ".")
    if rss:
        lines.append(
            f"- Peak RSS over a {rss['long_minutes']:g}-minute recording ({rss['long_gb']:.1f} GB, "
            f"{rss['long_msps']:.1f} MS/s): {rss['long_mb']:.0f} MB (`VmHWM`), of which the process's own "
            f"(anonymous) memory peaks at {rss['long_anon_mb']:.0f} MB; over the {RTL_SECONDS:g} s one: "
            f"{rss['short_mb']:.0f} MB / {rss['short_anon_mb']:.0f} MB "
            f"({ok(rss['long_mb'] <= 300)}). Recordings are read with positioned reads (no memory map), so "
            "the samples' memory does not grow with the file's length, and each emitter keeps a bounded number "
            "of bursts (compare the two figures)."
        )
    m = res["model"]
    for mm in (m, m.get("default")):
        if mm:
            lines.append(
                f"- Model: {mm['model']}, {mm['size_mb']:.2f} MB; training {_f(mm['train_s'])} s"
                + (f" ({mm['train_note']})" if mm.get("train_note") else "")
                + (f" (synthesis of its data {_f(mm['synth_s'])} s; 0 when the datasets were cached)"
                   if mm.get("synth_s") is not None else "") + "."
            )
    lines.append(
        f"- Synth: {res['synth_rtl']['synth_realtime']:.2f}× real time at 2.4 MS/s "
        f"({res['synth_rtl']['synth_msps']:.2f} MS/s), {res['synth_wb']['synth_realtime']:.2f}× at 20 MS/s "
        f"({res['synth_wb']['synth_msps']:.2f} MS/s) (mixed scenes; cached after the first run)."
    )
    for name, key in (("2.4 MS/s", "stages_rtl"), ("20 MS/s", "stages_wb")):
        st = res.get(key)
        if not st:
            continue
        total = st["total_s"]
        lines += ["", (f"Where the time goes, {name} (`scripts/bench_stages.py`: CPU s per stage of one `classify` run, "
                       f"each stage without the stages it calls; total {total:.2f} s):"), "",
                  "| stage | CPU s | share | calls |", "|---|---|---|---|"]
        lines += [f"| {stage} | {t:.2f} | {t / total:.0%} | {calls or ''} |" for stage, t, calls in st["stages"]]
    prof = rtl.get("profile")
    if prof:
        lines += ["", (f"Profile of the 2.4 MS/s run (cProfile, own time; total {rtl['profile_total_s']:.1f} s "
                  "under the profiler):"), "", "| own s | cumulative s | calls | function |", "|---|---|---|---|"]
        lines += [f"| {tt:.3f} | {ct:.3f} | {nc} | `{name}` |" for tt, ct, nc, name in prof]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default="/tmp/rfclassify-bench", help="where the synthesized recordings are kept")
    ap.add_argument("--no-rss", action="store_true", help="skip the 10-minute peak-RSS run")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of updating BENCHMARKS.md")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    res: dict[str, Any] = {}

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", file=sys.stderr, flush=True)

    rtl_base, wb_base = cache / "mixed_elrs_rtlsdr_60s_v3", cache / "mixed_ocusync_wideband_10s_v3"
    res["synth_rtl"] = synthesize(rtl_base, "rtlsdr", RTL_SECONDS, RTL_SEGMENT_S, repeat_segment=False)
    say("2.4 MS/s scene ready")
    res["synth_wb"] = synthesize(wb_base, "wideband", WB_SECONDS, WB_SEGMENT_S, repeat_segment=True)
    say("20 MS/s scene ready")
    res["model"] = ensure_model(cache)
    say(f"model: {res['model']['model']}")
    rtl_meta, wb_meta = rtl_base.with_suffix(".sigmf-meta"), wb_base.with_suffix(".sigmf-meta")
    res["ref_rtl"] = reference(rtl_meta)
    res["ref_wb"] = reference(wb_meta)
    say(f"reference: {res['ref_rtl']} {res['ref_wb']}")
    res["tight_rtl"], res["tight_wb"] = tight_reference(rtl_meta), tight_reference(wb_meta)
    say(f"tight reference: {res['tight_rtl']} {res['tight_wb']}")
    res["rtl"] = classify_run(rtl_meta)
    say(f"classify 2.4 MS/s: {res['rtl']['msps']:.1f} MS/s, {res['rtl']['realtime']:.1f}x")
    res["wb"] = classify_run(wb_meta)
    say(f"classify 20 MS/s: {res['wb']['msps']:.1f} MS/s, {res['wb']['realtime']:.1f}x")
    res["det_rtl"], res["det_wb"] = detect_run(rtl_meta), detect_run(wb_meta)
    say(f"detection alone: {res['det_rtl']} {res['det_wb']}")
    res["stages_rtl"], res["stages_wb"] = stage_profile(rtl_meta), stage_profile(wb_meta)
    say("stage profile done")
    prof = classify_run(rtl_meta, profile=True)
    res["rtl"]["profile"], res["rtl"]["profile_total_s"] = prof["profile"], prof["profile_total_s"]
    say("profile done")
    if not args.no_rss:
        short = peak_rss_mb(rtl_meta)
        long_meta = long_copy(rtl_meta, cache / "long_rtlsdr", RSS_REPEATS)
        try:
            long = peak_rss_mb(long_meta)
            size_gb = long_meta.with_suffix(".sigmf-data").stat().st_size / 1e9
        finally:
            long_meta.unlink(missing_ok=True)
            long_meta.with_suffix(".sigmf-data").unlink(missing_ok=True)
        n_long = res["rtl"]["samples"] * RSS_REPEATS
        res["rss"] = {"short_mb": short["rss"], "long_mb": long["rss"], "short_anon_mb": short["anon"],
                      "long_anon_mb": long["anon"], "long_gb": size_gb,
                      "long_minutes": RTL_SECONDS * RSS_REPEATS / 60, "long_msps": n_long / long["cpu"] / 1e6}
        say(f"rss: {res['rss']}")
    text = report(res)
    if args.no_write:
        print(text)
    else:
        from benchmd import update_section

        update_section("bench", text)
        say("BENCHMARKS.md updated")
    (cache / "last.json").write_text(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
