"""Annotated SigMF datasets of synthetic observations: one recording per (class, index, receiver).

Where a receiver is tuned (:func:`tune_for`) decides what a recording shows,
so it follows how people actually observe these links:

- **RTL-SDR** (``cu8``, 2.4 MS/s; also 2.048, 1.024 and — for signals narrow
  enough, such as ISM sensors — rtl_433's 250 kS/s): tuned near a channel of one of the label's
  bands (the channel lands anywhere in the middle 60 % of the window, not
  always on the DC spike). 433/868/915 MHz control links and 1.2/1.3 GHz
  video are observed directly; 2.4 GHz links and 5.8 GHz video are observed
  **through a downconverter**: the recording is labelled with the RF
  frequency it represents (``core:frequency`` is the RF centre), as a
  downconverter + RTL-SDR set-up would be, and the downconverter's LO error is
  folded into the receiver's ppm. At 2.4 MS/s only the hops that land in the
  window appear, and of a 10–20 MHz signal only its in-band slice.
- **Wideband** (``ci8`` HackRF-like, or ``cf32_le``, 20 MS/s): bands narrower
  than 80 % of the sample rate are watched whole from their centre; wider ones
  (the 80 MHz 2.4 GHz ISM band, 5.8 GHz video) from the band centre half of
  the time and from one of the label's channels otherwise. The 20 MS/s
  receiver at the 900 MHz band centre sees most of the 900 MHz hop set.

A class recording holds the class's emitter (SNR uniform in the requested
range) and, with probability ``clutter_probability``, one or two non-drone
emitters whose bands are in view (Wi-Fi, Bluetooth, LoRa, OOK …) at their own
SNRs. If the class's emitter happens to show nothing in the window (a hop
plan that never visits it, a channel outside it), the scene is drawn again,
up to :data:`MAX_ATTEMPTS` times — the later half tuned to where a probe run
of its builder actually transmitted — so every class recording shows its class.
``mixed`` recordings put a drone link with one to three other emitters in
view (other drones or clutter). ``noise`` recordings hold nothing but the
receiver, tuned where other signatures' channels are.

Determinism: each recording's generator comes from
``np.random.SeedSequence(seed)`` extended by a key of (kind, the label's
position in the registry, receiver, index) — what ``SeedSequence.spawn``
does — so a recording depends on the seed and its own name only: the same
seed gives the same bytes whatever ``jobs`` is and whichever other classes
are generated alongside. ``core:datetime`` is drawn from that generator too
(a fixed instant in 2024), never the wall clock.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
import numpy as np

from rfclassify import __version__
from rfclassify.errors import InputError
from rfclassify.signatures import REGISTRY, Band, EmitRequest, Signature, drone_labels, labels
from rfclassify.synth.receiver import Receiver, rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Rendered, Scene, render

RECEIVER_KINDS: tuple[str, ...] = ("rtlsdr", "wideband")
RECEIVER_CHOICES: tuple[str, ...] = (*RECEIVER_KINDS, "both")
MIXED = "mixed"
#: Recording kind: DJI DroneID bursts on the channel the receiver watches (see :func:`droneid_scene`).
DRONEID = "droneid"
NOISE = "noise"
MAX_ATTEMPTS = 8
PROBE_S = 0.05
RTLSDR_RATE_HZ = 2.4e6
WIDEBAND_RATE_HZ = 20e6
#: Sample rates a recording may use (SIGNATURES.md: RTL-SDR also 2.048 and 1.024 MS/s; wideband
#: SDRs also 15.36 and 30.72 MS/s), so features learnt in physical units meet several rates.
#: 250 kS/s is rtl_433's default rate (its ``-s`` option), the rate most ISM-band captures are
#: made at (every rtl_433_tests recording); a rate is drawn only for a signal whose occupied
#: bandwidth fits in 80 % of it (:func:`rtlsdr_rates_for`).
RTLSDR_RATES_HZ = (2.4e6, 2.048e6, 1.024e6, 0.25e6)
RTLSDR_RATE_WEIGHTS = (0.55, 0.2, 0.1, 0.15)
#: Largest share of the sampled band a signal's occupied bandwidth may take for that rate to be drawn.
RTLSDR_FILL = 0.8
#: Rates from this one up also watch slices of signals wider than the RTL-SDR's band.
RTLSDR_SLICE_RATE_HZ = 2.048e6
WIDEBAND_RATES_HZ = (20e6, 15.36e6, 30.72e6)
WIDEBAND_RATE_WEIGHTS = (0.5, 0.25, 0.25)
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# Where to tune


def _pick(rng: np.random.Generator, items: tuple[Any, ...] | list[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _channel_or_point(band: Band, rng: np.random.Generator) -> float:
    if band.channels_hz:
        return float(_pick(rng, band.channels_hz))
    return float(rng.uniform(band.lo_hz, band.hi_hz))


def _real_bands(sig: Signature) -> tuple[Band, ...]:
    # Signatures that can be anywhere (noise) borrow the tuning of every other signature.
    if sig.bandwidth_hz > 0 and sig.bands:
        return sig.bands
    return tuple(b for other in REGISTRY.values() if other.bandwidth_hz > 0 for b in other.bands)


def rtlsdr_rates_for(bandwidth_hz: float) -> tuple[tuple[float, ...], np.ndarray]:
    """The RTL-SDR rates (and their normalized weights) at which a signal ``bandwidth_hz`` wide fits in view.

    A signal too wide for even :data:`RTLSDR_SLICE_RATE_HZ` (Wi-Fi, video,
    OcuSync: seen as an in-band slice) is drawn at the rates from that one up.
    """
    need = min(bandwidth_hz / RTLSDR_FILL, RTLSDR_SLICE_RATE_HZ)
    keep = [i for i, fs in enumerate(RTLSDR_RATES_HZ) if fs >= need]
    weights = np.array([RTLSDR_RATE_WEIGHTS[i] for i in keep])
    return tuple(RTLSDR_RATES_HZ[i] for i in keep), weights / weights.sum()


def tune_for(
    label: str,
    receiver_kind: str,
    rng: np.random.Generator,
    *,
    wideband_datatype: str = "ci8",
    imperfect: bool = True,
) -> Receiver:
    """A receiver of ``receiver_kind`` tuned where someone watching ``label`` would tune it.

    See the module docstring for the rules. ``imperfect=False`` gives the
    presets' fixed typical imperfections instead of drawing them.
    """
    sig = REGISTRY[label]
    bands = _real_bands(sig)
    band = _pick(rng, bands)
    rx_rng = rng if imperfect else None
    if receiver_kind == "rtlsdr":
        rates, weights = rtlsdr_rates_for(sig.bandwidth_hz)
        fs = float(rng.choice(rates, p=weights))
        anchor = _channel_or_point(band, rng)
        # Keep the whole occupied bandwidth of that channel in view, off the DC spike at random.
        spare = max(0.0, 0.3 * fs - 0.5 * min(sig.bandwidth_hz, fs))
        center = round((anchor + float(rng.uniform(-spare, spare))) / 1e3) * 1e3  # people tune to kHz
        return rtlsdr(center, fs, rng=rx_rng)
    if receiver_kind == "wideband":
        fs = float(rng.choice(WIDEBAND_RATES_HZ, p=WIDEBAND_RATE_WEIGHTS))
        width = band.hi_hz - band.lo_hz
        if width <= 0.8 * fs or rng.random() < 0.5:
            center = band.center_hz
        else:
            center = _channel_or_point(band, rng)
        return wideband(center, fs, wideband_datatype, rng=rx_rng)
    raise ValueError(f"receiver kind must be one of {RECEIVER_KINDS}, not {receiver_kind!r}")


def labels_in_view(receiver: Receiver, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Registered labels (except ``noise`` and ``exclude``) with a band overlapping the receiver's window."""
    lo, hi = receiver.window_hz
    out = []
    for label, sig in REGISTRY.items():
        if label in exclude or sig.bandwidth_hz <= 0:
            continue
        if any(b.hi_hz > lo and b.lo_hz < hi for b in sig.bands):
            out.append(label)
    return tuple(out)


def random_emitter(
    label: str, snr_db_range: tuple[float, float], rng: np.random.Generator, emitter_id: str
) -> EmitterSpec:
    """An emitter of ``label`` with SNR, crystal error (±10 ppm), fading and phase noise drawn from ``rng``.

    Its builder seed is drawn too, so the scene alone fixes what the emitter sends.
    """
    fading = float(rng.uniform(0.0, 12.0)) if rng.random() < 0.3 else None
    linewidth = float(rng.uniform(1.0, 100.0)) if rng.random() < 0.5 else 0.0
    return EmitterSpec(
        label=label,
        seed=int(rng.integers(0, 2**63 - 1)),
        snr_db=float(rng.uniform(*snr_db_range)),
        ppm=float(rng.uniform(-10.0, 10.0)),
        emitter_id=emitter_id,
        fading_k_db=fading,
        phase_noise_linewidth_hz=linewidth,
    )


def _probe_tuning(
    label: str, receiver_kind: str, duration_s: float, rng: np.random.Generator, wideband_datatype: str
) -> tuple[Receiver, int, str] | None:
    """Tune to where the emitter actually transmits: run its builder unwindowed briefly, pick a burst.

    Returns the receiver, the builder seed that reproduces the emission, and
    the band name; ``None`` if the builder emitted nothing.
    """
    sig = REGISTRY[label]
    band = _pick(rng, _real_bands(sig))
    seed = int(rng.integers(0, 2**63 - 1))
    request = EmitRequest(np.random.default_rng(seed), min(duration_s, PROBE_S), band, None, {})
    bursts = sig.emit(request)
    if not bursts:
        return None
    burst = bursts[int(rng.integers(len(bursts)))]
    center = 0.5 * (burst.f_lo_hz + burst.f_hi_hz)
    if receiver_kind == "rtlsdr":
        spare = max(0.0, 0.3 * RTLSDR_RATE_HZ - 0.5 * min(burst.bandwidth_hz, RTLSDR_RATE_HZ))
        center = round((center + float(rng.uniform(-spare, spare))) / 1e3) * 1e3
        return rtlsdr(center, RTLSDR_RATE_HZ, rng=rng), seed, band.name
    return wideband(center, WIDEBAND_RATE_HZ, wideband_datatype, rng=rng), seed, band.name


def class_scene(
    label: str,
    receiver_kind: str,
    duration_s: float,
    snr_db_range: tuple[float, float],
    rng: np.random.Generator,
    clutter_probability: float = 0.0,
    wideband_datatype: str = "ci8",
    probe: bool = False,
) -> Scene:
    """A scene showing ``label`` (plus clutter in view with probability ``clutter_probability``).

    ``probe=True`` tunes to a burst the emitter actually sends (see
    :func:`_probe_tuning`) instead of to a channel of its band — for links
    whose builders pick among many channels a narrow receiver rarely hits.
    """
    probed = _probe_tuning(label, receiver_kind, duration_s, rng, wideband_datatype) if probe else None
    if probed is None:
        receiver = tune_for(label, receiver_kind, rng, wideband_datatype=wideband_datatype)
        emitters = [random_emitter(label, snr_db_range, rng, f"{label}-0")]
    else:
        receiver, seed, band_name = probed
        emitter = random_emitter(label, snr_db_range, rng, f"{label}-0")
        emitter.seed, emitter.band = seed, band_name
        emitters = [emitter]
    if label != NOISE and rng.random() < clutter_probability:
        clutter = [lab for lab in labels_in_view(receiver, (label,)) if not REGISTRY[lab].drone]
        for i in range(min(len(clutter), 1 + int(rng.integers(2)))):
            choice = clutter.pop(int(rng.integers(len(clutter))))
            emitters.append(random_emitter(choice, snr_db_range, rng, f"{choice}-{i + 1}"))
    return Scene(emitters, receiver, duration_s)


def mixed_scene(
    receiver_kind: str,
    duration_s: float,
    snr_db_range: tuple[float, float],
    rng: np.random.Generator,
    drones: tuple[str, ...] | None = None,
    wideband_datatype: str = "ci8",
) -> Scene:
    """A drone link and one to three other emitters in view (other drones, clutter)."""
    drones = drones or drone_labels()
    first = _pick(rng, drones)
    receiver = tune_for(first, receiver_kind, rng, wideband_datatype=wideband_datatype)
    emitters = [random_emitter(first, snr_db_range, rng, f"{first}-0")]
    others = list(labels_in_view(receiver, (first,)))
    for i in range(min(len(others), 1 + int(rng.integers(3)))):
        choice = others.pop(int(rng.integers(len(others))))
        emitters.append(random_emitter(choice, snr_db_range, rng, f"{choice}-{i + 1}"))
    return Scene(emitters, receiver, duration_s)


def droneid_scene(
    receiver_kind: str,
    duration_s: float,
    snr_db_range: tuple[float, float],
    rng: np.random.Generator,
    wideband_datatype: str = "ci8",
) -> Scene:
    """DJI DroneID bursts only, every one on the DroneID channel nearest the receiver's tuning.

    A DJI drone sends a DroneID burst every ~600 ms on one of six channels
    (``rfclassify.signatures.dji_ocusync``): a 0.5 s class recording holds
    one burst in a few, and the seed-1 training set held five. Keeping the
    bursts on the watched channel (``droneid_channels``) makes a 1–2 s
    recording hold two or three, each burst as the builder makes it.
    """
    receiver = tune_for("dji-ocusync", receiver_kind, rng, wideband_datatype=wideband_datatype)
    sig = REGISTRY["dji-ocusync"]
    band, index, _ch = min(
        ((b, i, ch) for b in _real_bands(sig) for i, ch in enumerate(b.channels_hz or ())),
        key=lambda t: abs(t[2] - receiver.center_freq_hz),
    )
    emitter = random_emitter("dji-ocusync", snr_db_range, rng, "dji-ocusync-0")
    emitter.band = band.name
    emitter.params = {"mode": "droneid", "droneid_channels": (index,)}
    return Scene([emitter], receiver, duration_s)


# ---------------------------------------------------------------------------
# One recording


@dataclass(frozen=True)
class RecordingJob:
    """One recording to make: ``kind`` is a label or ``mixed``; its name and seed key follow."""

    kind: str
    receiver_kind: str
    index: int

    @property
    def name(self) -> str:
        """File base name, e.g. ``elrs-900_rtlsdr_0007``."""
        return f"{self.kind}_{self.receiver_kind}_{self.index:04d}"

    def seed_sequence(self, seed: int) -> np.random.SeedSequence:
        """This recording's ``SeedSequence``: the root seed's child at key (kind, receiver, index)."""
        all_kinds = (*labels(), MIXED)
        kind_key = all_kinds.index(self.kind) if self.kind in all_kinds else len(all_kinds)
        return np.random.SeedSequence(seed, spawn_key=(kind_key, RECEIVER_KINDS.index(self.receiver_kind), self.index))


def observed_scene(
    kind: str,
    receiver_kind: str,
    duration_s: float,
    snr_db_range: tuple[float, float],
    rng: np.random.Generator,
    clutter_probability: float = 0.0,
    wideband_datatype: str = "ci8",
) -> tuple[Scene, Rendered]:
    """Draw and render a scene of ``kind`` (a label or ``mixed``) in which its first emitter is seen.

    Up to :data:`MAX_ATTEMPTS` draws; the later half tune to where the emitter
    actually transmits. Returns the last draw if none shows the emitter.
    """
    scene: Scene | None = None
    rendered: Rendered | None = None
    for attempt in range(MAX_ATTEMPTS):
        if kind == MIXED:
            scene = mixed_scene(receiver_kind, duration_s, snr_db_range, rng, wideband_datatype=wideband_datatype)
        elif kind == DRONEID:
            scene = droneid_scene(receiver_kind, duration_s, snr_db_range, rng, wideband_datatype=wideband_datatype)
        else:
            scene = class_scene(
                kind, receiver_kind, duration_s, snr_db_range, rng, clutter_probability, wideband_datatype,
                probe=attempt >= MAX_ATTEMPTS // 2,
            )
        rendered = render(scene, rng, keep_components=False)
        target = scene.emitters[0].emitter_id
        if kind == NOISE or any(a["rfclassify:emitter_id"] == target for a in rendered.annotations):
            break
    assert scene is not None and rendered is not None
    return scene, rendered


def _receiver_meta(receiver: Receiver) -> dict[str, Any]:
    meta = asdict(receiver)
    meta["dc_offset"] = [receiver.dc_offset.real, receiver.dc_offset.imag]
    return meta


def make_recording(
    job: RecordingJob,
    out_dir: str | os.PathLike[str],
    seed: int,
    duration_s: float,
    snr_db_range: tuple[float, float],
    clutter_probability: float = 0.0,
    wideband_datatype: str = "ci8",
) -> Path:
    """Render ``job``'s scene and write it as ``out_dir/NAME.sigmf-meta`` + ``.sigmf-data``; returns the meta path."""
    from rfclassify.sources.sigmf_io import write_sigmf

    rng = np.random.default_rng(job.seed_sequence(seed))
    when = _EPOCH + timedelta(seconds=int(rng.integers(0, 365 * 86400)))
    scene, rendered = observed_scene(
        job.kind, job.receiver_kind, duration_s, snr_db_range, rng, clutter_probability, wideband_datatype
    )
    receiver = scene.receiver
    global_extra = {
        "rfclassify:generator": f"rfclassify.synth {__version__}",
        "rfclassify:seed": int(seed),
        "rfclassify:seed_key": [int(k) for k in job.seed_sequence(seed).spawn_key],
        "rfclassify:class": job.kind,
        "rfclassify:receiver": _receiver_meta(receiver),
        "rfclassify:snr_db_range": [float(snr_db_range[0]), float(snr_db_range[1])],
        "rfclassify:emitters": [
            {k: v for k, v in asdict(e).items() if k != "params" and v is not None} for e in scene.emitters
        ],
    }
    what = ", ".join(e.label for e in scene.emitters)
    return write_sigmf(
        Path(out_dir) / job.name,
        rendered.samples,
        datatype=receiver.datatype,
        sample_rate_hz=receiver.sample_rate_hz,
        center_freq_hz=receiver.center_freq_hz,
        annotations=rendered.annotations,
        global_extra=global_extra,
        datetime_utc=when,
        description=f"synthetic {job.kind} scene ({what}) seen by a simulated {receiver.name} receiver",
        hw=receiver.hardware,
    )


# ---------------------------------------------------------------------------
# Many recordings


def plan_jobs(
    classes: tuple[str, ...] | list[str], per_class: int, receivers: str, mixed: int | None = None
) -> list[RecordingJob]:
    """The recordings a dataset run makes, in a fixed order (classes, then mixed scenes)."""
    kinds = RECEIVER_KINDS if receivers == "both" else (receivers,)
    for k in kinds:
        if k not in RECEIVER_KINDS:
            raise ValueError(f"receivers must be one of {RECEIVER_CHOICES}, not {receivers!r}")
    unknown = [c for c in classes if c not in REGISTRY and c != DRONEID]
    if unknown:
        raise KeyError(f"unknown class(es) {', '.join(unknown)}; known: {', '.join(labels())}")
    n_mixed = per_class if mixed is None else mixed
    jobs = [RecordingJob(c, k, i) for c in classes for k in kinds for i in range(per_class)]
    if any(c in REGISTRY and REGISTRY[c].drone for c in classes) or mixed:
        jobs += [RecordingJob(MIXED, k, i) for k in kinds for i in range(n_mixed)]
    return jobs


def synthesize_dataset(
    out_dir: str | os.PathLike[str],
    classes: tuple[str, ...] | list[str] | None = None,
    per_class: int = 10,
    snr_db_range: tuple[float, float] = (0.0, 30.0),
    receivers: str = "both",
    duration_s: float = 0.5,
    seed: int = 0,
    jobs: int = 1,
    clutter_probability: float = 0.3,
    *,
    mixed: int | None = None,
    wideband_datatype: str = "ci8",
    progress: bool = True,
) -> list[Path]:
    """Write one SigMF recording per (class, index, receiver) plus mixed scenes into ``out_dir``.

    ``classes`` defaults to every registered label; ``mixed`` (default
    ``per_class``) mixed-scene recordings per receiver are added when a drone
    class is among them. Recordings are made in parallel over ``jobs``
    processes (joblib) with a progress bar; output bytes depend only on
    ``seed`` (see the module docstring). Refuses, before writing anything, if
    any target recording exists. Returns the ``.sigmf-meta`` paths in plan order.
    """
    out = Path(out_dir)
    classes = tuple(labels() if classes is None else classes)
    if per_class < 0 or (mixed is not None and mixed < 0):
        raise ValueError("per_class and mixed must be >= 0")
    lo, hi = float(snr_db_range[0]), float(snr_db_range[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"SNR range must be LO <= HI, got {lo}:{hi}")
    if duration_s <= 0:
        raise ValueError("duration must be positive")
    if not 0.0 <= clutter_probability <= 1.0:
        raise ValueError("clutter probability must be within 0..1")
    plan = plan_jobs(classes, per_class, receivers, mixed)
    out.mkdir(parents=True, exist_ok=True)
    existing = [
        out / f"{job.name}{ext}" for job in plan for ext in (".sigmf-meta", ".sigmf-data")
        if (out / f"{job.name}{ext}").exists()
    ]
    if existing:
        raise InputError(
            existing[0], f"already exists ({len(existing)} target file(s) do); refusing to overwrite recordings"
        )
    args = (out, int(seed), float(duration_s), (lo, hi), float(clutter_probability), wideband_datatype)
    paths: list[Path] = []
    with contextlib.ExitStack() as stack:
        sink = sys.stderr if progress else stack.enter_context(open(os.devnull, "w"))
        bar = stack.enter_context(click.progressbar(length=len(plan), label="synthesizing", file=sink))
        if jobs == 1 or len(plan) <= 1:
            for job in plan:
                paths.append(make_recording(job, *args))
                bar.update(1)
        else:
            from joblib import Parallel, delayed

            runner = Parallel(n_jobs=jobs, return_as="generator")
            for path in runner(delayed(make_recording)(job, *args) for job in plan):
                paths.append(path)
                bar.update(1)
    return paths


def code_fingerprint() -> str:
    """Short SHA-256 of the signature and synthesizer code: datasets made by other code live elsewhere.

    Scripts name cached dataset folders with it, so a change to any builder
    or to the scene/receiver model never reuses recordings made before it.
    """
    import hashlib

    import rfclassify

    root = Path(rfclassify.__file__).parent
    digest = hashlib.sha256()
    # synth/array.py (multi-channel array recordings) makes no dataset recording: not hashed.
    synth = [f for f in (root / "synth").glob("*.py") if f.name != "array.py"]
    for f in sorted([*(root / "signatures").glob("*.py"), *synth,
                     *(root / "dsp").glob("modulation.py"), root / "sources" / "datatypes.py"]):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]

