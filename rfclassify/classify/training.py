"""Training data from recordings, model fitting, and evaluation reports.

Inputs are SigMF recordings with annotations (``core:label`` per burst, as
``rfclassify synth`` writes them) or folders named after a label holding
unannotated recordings of that label. Each recording is run through the same
detector and causal context as deployment (:class:`rfclassify.classify.stream.BurstStream`,
the first stages of the stream engine);
detections take their labels from the annotations
(:mod:`rfclassify.classify.labels`). Recordings are processed in parallel
with joblib; everything is seeded.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.classify.labels import NOISE_LABEL, is_fragment, is_sliver, match_annotation
from rfclassify.errors import InputError
from rfclassify.signatures import REGISTRY, UNKNOWN, labels

RAW_SUFFIXES = (".cu8", ".cs8", ".cs16", ".cf32", ".cfile", ".fc32", ".wav")


@dataclass
class RecordingFeatures:
    """Per-detection features and ground truth of one recording."""

    path: str
    X: np.ndarray
    y: np.ndarray
    truth_snr_db: np.ndarray
    emitter: np.ndarray
    t_start_s: np.ndarray
    t_end_s: np.ndarray
    f_lo_hz: np.ndarray
    f_hi_hz: np.ndarray
    snr_db: np.ndarray
    center_freq_hz: np.ndarray
    duration_s: float
    truth_labels: set[str] = field(default_factory=set)
    #: False where the detection's emission is a sliver (:func:`rfclassify.classify.labels.is_sliver`):
    #: trained on, not scored; ``None``: every detection is observable.
    observable: np.ndarray | None = None

    @property
    def has_drone(self) -> bool:
        """True if the ground truth holds any drone link."""
        return any(REGISTRY[lab].drone for lab in self.truth_labels if lab in REGISTRY)


def find_recordings(inputs: Sequence[str | Path]) -> list[tuple[Path, str | None]]:
    """Expand files and folders into (recording, folder label or None), sorted.

    A folder's ``*.sigmf-meta`` files are taken with their annotations; raw
    files (``.cu8`` …) count only inside a folder named after a label.
    """
    known = set(labels())
    found: list[tuple[Path, str | None]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for meta in sorted(path.rglob("*.sigmf-meta")):
                folder = meta.parent.name if meta.parent.name in known else None
                found.append((meta, folder))
            for raw in sorted(p for p in path.rglob("*") if p.suffix.lower() in RAW_SUFFIXES):
                if raw.parent.name in known:
                    found.append((raw, raw.parent.name))
        elif path.exists():
            folder = path.parent.name if path.parent.name in known else None
            found.append((path, folder))
        else:
            raise InputError(path, "no such file or folder")
    if not found:
        raise InputError(", ".join(map(str, inputs)), "no recordings found (expected *.sigmf-meta or label folders)")
    return found


def extract_recording(path: str | Path, folder_label: str | None = None) -> RecordingFeatures:
    """Detect, contextualize and featurize one recording; label detections from its annotations."""
    from rfclassify.classify.stream import BurstStream
    from rfclassify.features import BurstFeatures
    from rfclassify.sources import open_source

    with open_source(str(path)) as source:
        annotations = source.annotations
        rate = source.info.sample_rate_hz
        bursts = list(BurstStream().run(source.blocks()))
        duration = float(source.info.duration_s or 0.0)
    X = BurstFeatures().fit([]).transform(bursts) if bursts else np.zeros((0, 0), np.float32)
    ys, snrs, emitters, observable = [], [], [], []
    for burst in bursts:
        det = burst.detection
        if folder_label is not None:
            ys.append(folder_label)
            snrs.append(np.nan)
            emitters.append("folder")
            observable.append(True)
            continue
        ann = match_annotation(det.t_start_s, det.t_end_s, det.f_lo_hz, det.f_hi_hz, annotations, rate)
        if ann is not None and is_fragment(det.f_lo_hz, det.f_hi_hz, ann, det.center_freq_hz, rate):
            ann = None  # a speck of a wide emission: no identity (see rfclassify.classify.labels)
        observable.append(ann is None or not is_sliver(ann, det.center_freq_hz, rate))
        ys.append(NOISE_LABEL if ann is None else str(ann["core:label"]))
        snrs.append(np.nan if ann is None else float(ann.get("rfclassify:snr_db", np.nan)))
        emitters.append("" if ann is None else str(ann.get("rfclassify:emitter_id", ann["core:label"])))
    truth = {folder_label} if folder_label else {str(a["core:label"]) for a in annotations if a.get("core:label")}

    def col(get: Callable[[Any], float]) -> np.ndarray:
        return np.array([get(b.detection) for b in bursts], dtype=np.float64)

    return RecordingFeatures(
        path=str(path),
        X=X,
        y=np.array(ys, dtype=object),
        truth_snr_db=np.array(snrs, dtype=np.float64),
        emitter=np.array(emitters, dtype=object),
        t_start_s=col(lambda d: d.t_start_s),
        t_end_s=col(lambda d: d.t_end_s),
        f_lo_hz=col(lambda d: d.f_lo_hz),
        f_hi_hz=col(lambda d: d.f_hi_hz),
        snr_db=col(lambda d: d.snr_db),
        center_freq_hz=col(lambda d: d.center_freq_hz),
        duration_s=duration,
        truth_labels=truth,
        observable=np.array(observable, dtype=bool),
    )


def code_fingerprint() -> str:
    """SHA-256 of the code that turns a recording into feature rows and labels.

    Cached features are only reused while detection, features, context and
    labelling code are byte-for-byte the same.
    """
    import rfclassify

    root = Path(rfclassify.__file__).parent
    files = sorted(
        [*(root / "dsp").glob("*.py"), *(root / "detect").glob("*.py"), *(root / "features").glob("*.py"),
         root / "classify" / "stream.py", root / "classify" / "labels.py", root / "classify" / "training.py"]
    )
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _cached_extract(path: Path, folder_label: str | None, cache_dir: Path | None, key: str) -> RecordingFeatures:
    """:func:`extract_recording`, through a pickle cache keyed by file, size, mtime and code."""
    import pickle

    if cache_dir is None:
        return extract_recording(path, folder_label)
    stat = Path(path).stat()
    name = hashlib.sha256(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{folder_label}|{key}".encode())
    cached = cache_dir / f"{name.hexdigest()[:24]}.pkl"
    if cached.exists():
        with open(cached, "rb") as fh:
            return pickle.load(fh)
    rec = extract_recording(path, folder_label)
    tmp = cached.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(rec, fh)
    tmp.replace(cached)
    return rec


def extract_all(
    recordings: Sequence[tuple[Path, str | None]],
    jobs: int = 1,
    progress: bool = True,
    cache_dir: str | Path | None = None,
) -> list[RecordingFeatures]:
    """:func:`extract_recording` over many recordings in parallel, with a progress bar on stderr.

    With ``cache_dir``, feature rows are cached per recording (our own pickles,
    keyed by :func:`code_fingerprint`), so retraining after a classifier-only
    change does not recompute them.
    """
    import click
    from joblib import Parallel, delayed

    cache = Path(cache_dir) if cache_dir is not None else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    key = code_fingerprint()
    tasks = (delayed(_cached_extract)(p, lab, cache, key) for p, lab in recordings)
    results = Parallel(n_jobs=jobs, return_as="generator")(tasks)
    if not progress or not sys.stderr.isatty():
        return list(results)  # a bar only for a person watching; logs and pipes get the result alone
    # stderr: stdout of `train`/`evaluate` is their JSON summary.
    with click.progressbar(results, length=len(recordings), label="features", file=sys.stderr) as bar:
        return list(bar)


def stack(recs: Sequence[RecordingFeatures]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of all recordings: (X, y, group index per row)."""
    nonempty = [r for r in recs if len(r.y)]
    if not nonempty:
        raise InputError("training data", "no detections in any recording")
    X = np.vstack([r.X for r in nonempty])
    y = np.concatenate([r.y for r in nonempty]).astype(str)
    groups = np.concatenate([np.full(len(r.y), k) for k, r in enumerate(nonempty)])
    return X, y, groups


def build_model(random_state: int = 0, **clf_params: Any) -> Any:
    """The unfitted model: features → model columns (RF → coarse band code, tuning offset dropped) → open-set classifier."""
    from sklearn.pipeline import Pipeline

    from rfclassify.classify.openset import OpenSetClassifier
    from rfclassify.features import BurstFeatures
    from rfclassify.features.columns import ModelColumns

    return Pipeline(
        [
            ("features", BurstFeatures()),
            ("select", ModelColumns()),
            ("clf", OpenSetClassifier(random_state=random_state, **clf_params)),
        ]
    )


def fit_model(X: np.ndarray, y: np.ndarray, random_state: int = 0, **clf_params: Any) -> Any:
    """Fit the model's steps on precomputed feature rows (features are stateless)."""
    model = build_model(random_state, **clf_params)
    model.named_steps["features"].fit([])
    Xs = model.named_steps["select"].fit_transform(X)
    model.named_steps["clf"].fit(Xs, y)
    return model


def cross_validate(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int, random_state: int = 0, **clf_params: Any
) -> dict[str, Any]:
    """Grouped (by recording) cross-validated closed- and open-set metrics."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedGroupKFold

    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=random_state)
    pred = np.empty(len(y), dtype=object)
    for train, test in cv.split(X, y, groups):
        model = fit_model(X[train], y[train], random_state, **clf_params)
        Xs = model.named_steps["select"].transform(X[test])
        pred[test] = model.named_steps["clf"].predict_open(Xs).labels
    pred = pred.astype(str)
    return {
        "folds": folds,
        "grouped_by": "recording",
        "burst_accuracy": round(float(accuracy_score(y, pred)), 4),
        "burst_macro_f1": round(float(f1_score(y, pred, average="macro", labels=np.unique(y))), 4),
        "unknown_rate": round(float(np.mean(pred == UNKNOWN)), 4),
    }


def data_hash(recs: Sequence[RecordingFeatures]) -> str:
    """SHA-256 over the training rows and labels (what the model actually saw)."""
    digest = hashlib.sha256()
    for rec in recs:
        digest.update(Path(rec.path).name.encode())
        digest.update(np.ascontiguousarray(rec.X).tobytes())
        digest.update("\n".join(map(str, rec.y)).encode())
    return digest.hexdigest()


def train(
    inputs: Sequence[str | Path],
    out: str | Path,
    jobs: int = 1,
    cv_folds: int = 3,
    random_state: int = 0,
    progress: bool = True,
    extra_meta: dict[str, Any] | None = None,
    cache_dir: str | Path | None = None,
    sign: bool = True,
    sign_key: str | Path | None = None,
) -> dict[str, Any]:
    """Train on recordings and save the model at ``out`` (``.rfcm``); returns its metadata.

    With ``sign``, the model is signed (``out.sig``) with ``sign_key``, or
    with this machine's key (:func:`rfclassify.classify.signing.local_signing_key`)
    when ``sign_key`` is None and that key exists; the metadata returned says
    which key under ``signed_by`` (None: unsigned).
    """
    from rfclassify.classify.persistence import save_model
    from rfclassify.classify.signing import local_signing_key, sign_model
    from rfclassify.features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION

    recs = extract_all(find_recordings(inputs), jobs=jobs, progress=progress, cache_dir=cache_dir)
    X, y, groups = stack(recs)
    classes, counts = np.unique(y, return_counts=True)
    metrics: dict[str, Any] = {}
    if cv_folds >= 2 and len(np.unique(groups)) >= cv_folds:
        metrics = cross_validate(X, y, groups, cv_folds, random_state)
    model = fit_model(X, y, random_state)
    meta = {
        "kind": "rfclassify burst classifier",
        "classes": [str(c) for c in model.named_steps["clf"].classes_],
        "feature_schema_version": FEATURE_SCHEMA_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "training_data": {
            "recordings": len(recs),
            "bursts": len(y),
            "per_class": {str(c): int(n) for c, n in zip(classes, counts)},
            "sha256": data_hash(recs),
        },
        "cross_validation": metrics,
        "random_state": random_state,
        **(extra_meta or {}),
    }
    saved = save_model(model, out, meta)
    key = sign_key if sign_key is not None else (local_signing_key() if local_signing_key().exists() else None)
    saved["signed_by"] = sign_model(out, key)[1] if sign and key is not None else None
    return saved


def load_rows_json(path: str | Path) -> dict[str, Any]:
    """Read a JSON report (helper for tests and scripts)."""
    return json.loads(Path(path).read_text())
