"""``rfclassify train`` and ``rfclassify evaluate`` end to end, through the real console script.

Tiny datasets are synthesized once per module (three classes, RTL-SDR, 0.3 s
recordings, fixed seeds; the evaluation set has its own seed) and one model is
trained on them; each test then checks what the commands wrote. The subprocesses
run with ``OMP_NUM_THREADS=1``: on a machine whose cores are busy, OpenMP's
spinning threads make fitting the boosted trees of a 200-row model take ~15 s
instead of ~0.5 s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rfclassify.classify.persistence import library_versions, load_model
from rfclassify.classify.pipeline import Classifier
from rfclassify.features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION
from rfclassify.signatures import UNKNOWN
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.synth.dataset import synthesize_dataset

CLASSES = ("elrs-900", "ook-ism", "noise")
DURATION_S = 0.3
TRAIN_PER_CLASS, TEST_PER_CLASS = 3, 2
TRAIN_SEED, TEST_SEED = 11, 12
#: The keys `rfclassify classify --help` documents for each jsonl record.
CLASSIFY_KEYS = ("source", "label", "drone", "link", "confidence", "t_start_s", "t_end_s", "freq_hz",
                 "bandwidth_hz", "snr_db", "bursts", "channels", "models", "bearing_deg", "bearing_std_deg")
SUMMARY_KEYS = ("classes", "training_data", "cross_validation", "sha256", "signed_by")
EVALUATE_KEYS = ("burst_accuracy", "burst_macro_f1", "emitter_accuracy", "emitter_accuracy_snr_ge_10db",
                 "false_drone_detections_per_hour", "report")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEX64 = re.compile(r"[0-9a-f]{64}")


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("rfclassify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rfclassify.cli.main"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, timeout=300, check=False,
                          env=env)


def _json_out(stdout: str) -> dict:
    """The JSON document a command printed (stdout holds nothing else)."""
    return json.loads(stdout)


def _one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("rfclassify: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("train_evaluate")


@pytest.fixture(scope="module")
def datasets(work: Path) -> dict[str, Path]:
    """Annotated SigMF training and evaluation sets (no clutter or mixed scenes: exactly CLASSES)."""
    common = {"classes": CLASSES, "receivers": "rtlsdr", "duration_s": DURATION_S, "mixed": 0,
              "clutter_probability": 0.0, "progress": False}
    synthesize_dataset(work / "train", per_class=TRAIN_PER_CLASS, seed=TRAIN_SEED, **common)
    synthesize_dataset(work / "test", per_class=TEST_PER_CLASS, seed=TEST_SEED, **common)
    return {"train": work / "train", "test": work / "test"}


@pytest.fixture(scope="module")
def trained(work: Path, datasets: dict[str, Path]) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`rfclassify train` on the SigMF training set: (model path, the finished process)."""
    model = work / "models" / "m.rfcm"
    proc = _cli("train", datasets["train"], "-o", model)
    assert proc.returncode == 0, proc.stderr
    return model, proc


@pytest.fixture(scope="module")
def raw_layout(work: Path, datasets: dict[str, Path]) -> Path:
    """The training recordings again, as unannotated cu8 files in folders named after their label.

    Rate and centre frequency are in the file names (``…_915265000Hz_2400000sps.cu8``), as
    SDR# or SDR++ write them; raw files carry nothing else.
    """
    root = work / "raw"
    for meta in sorted(datasets["train"].glob("*.sigmf-meta")):
        label = json.loads(meta.read_text())["global"]["rfclassify:class"]
        with open_source(str(meta)) as src:
            x = np.concatenate([block.samples for block in src.blocks()])
            rate, fc = src.info.sample_rate_hz, src.info.center_freq_hz
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        stem = meta.name.removesuffix(".sigmf-meta")
        encode(x, datatype("cu8")).tofile(folder / f"{stem}_{fc:.0f}Hz_{rate:.0f}sps.cu8")
    return root


@pytest.fixture(scope="module")
def evaluated(work: Path, trained: tuple[Path, subprocess.CompletedProcess[str]],
              datasets: dict[str, Path]) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`rfclassify evaluate` of the model on the evaluation set: (report folder, the finished process)."""
    report = work / "report"
    proc = _cli("evaluate", datasets["test"], "--model", trained[0], "--report", report)
    assert proc.returncode == 0, proc.stderr
    return report, proc


# ---------------------------------------------------------------------------
# train on annotated SigMF


def _meta(model: Path) -> dict:
    """What the model file says about itself (it loads: signed with the tests' local key, see conftest)."""
    return load_model(model).meta


def test_train_writes_a_signed_model_with_its_metadata(trained: tuple[Path, subprocess.CompletedProcess[str]],
                                                        config_home: Path) -> None:
    model, proc = trained
    side = _meta(model)
    assert side["kind"] == "rfclassify burst classifier"
    assert side["sha256"] == _sha256(model)
    assert model.with_name(model.name + ".sig").exists()
    assert load_model(model).trust.describe().startswith(f"signed by key {_json_out(proc.stdout)['signed_by']}")
    data = side["training_data"]
    assert side["classes"] == sorted(data["per_class"]) == sorted(CLASSES)
    assert data["recordings"] == len(CLASSES) * TRAIN_PER_CLASS
    assert len(data["per_class"]) == len(CLASSES)
    assert all(n > 0 for n in data["per_class"].values())
    assert data["bursts"] == sum(data["per_class"].values())
    assert HEX64.fullmatch(data["sha256"])
    assert side["feature_schema_version"] == FEATURE_SCHEMA_VERSION
    assert side["feature_names"] == list(FEATURE_NAMES)
    assert side["versions"] == library_versions()
    assert set(side["versions"]) >= {"python", "rfclassify", "numpy", "scipy", "scikit-learn"}
    cv = side["cross_validation"]
    assert (cv["folds"], cv["grouped_by"]) == (3, "recording")
    for key in ("burst_accuracy", "burst_macro_f1", "unknown_rate"):
        assert 0.0 <= cv[key] <= 1.0, (key, cv)
    summary = _json_out(proc.stdout)
    assert {k: summary[k] for k in SUMMARY_KEYS[:-1]} == {k: side[k] for k in SUMMARY_KEYS[:-1]}
    assert HEX64.fullmatch(summary["sha256"]) and re.fullmatch(r"[0-9a-f]{16}", summary["signed_by"])


def test_train_and_evaluate_stdout_is_only_json(trained: tuple[Path, subprocess.CompletedProcess[str]],
                                                 evaluated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    for _, proc in (trained, evaluated):
        json.loads(proc.stdout)


def test_trained_model_loads_and_classifies(trained: tuple[Path, subprocess.CompletedProcess[str]],
                                            datasets: dict[str, Path]) -> None:
    model, _ = trained
    side = _meta(model)
    classifier = Classifier.load(model)
    assert classifier.classes == side["classes"]
    assert classifier.meta["sha256"] == side["sha256"] and classifier.path == model

    # A model from three recordings per class may call every burst of one test recording noise
    # (noise is not reported): both ook-ism test recordings, and at least one must report emitters.
    recs = sorted(datasets["test"].glob("ook-ism_*.sigmf-meta"))
    assert len(recs) == TEST_PER_CLASS
    proc = _cli("classify", *recs, "--model", model, "-F", "jsonl")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert records, "no emitter reported in either ook-ism recording"
    for r in records:
        assert set(CLASSIFY_KEYS) <= set(r), sorted(set(CLASSIFY_KEYS) - set(r))
        assert r["source"] in {str(rec) for rec in recs}
        assert r["label"] in [*side["classes"], UNKNOWN]
        assert 0.0 <= r["confidence"] <= 1.0
        assert 0.0 <= r["t_start_s"] <= r["t_end_s"] <= DURATION_S + 1e-6
        # channels ≥ 1, not == 1: a strong OOK carrier clipped by the 8-bit AGC also shows its
        # third-order product at −3× its offset (seed 12: 315.012 and 314.380 MHz, tuned 314.852).
        assert r["bursts"] >= 1 and 1 <= r["channels"] <= r["bursts"] and r["bearing_deg"] is None


# ---------------------------------------------------------------------------
# train on folders named after a label, holding unannotated raw files


def test_train_on_label_folders_of_raw_files(work: Path, raw_layout: Path,
                                             trained: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    model = work / "models" / "raw.rfcm"
    proc = _cli("train", raw_layout, "-o", model)
    assert proc.returncode == 0, proc.stderr
    side = _meta(model)
    assert side["sha256"] == _sha256(model)
    data = side["training_data"]
    assert data["recordings"] == len(list(raw_layout.rglob("*.cu8"))) == len(CLASSES) * TRAIN_PER_CLASS
    # Every detection takes its folder's label: the receiver-noise recordings show nothing, so
    # the detections the annotated set calls "noise" (around the real emitters) are elrs/ook here.
    assert side["classes"] == sorted(data["per_class"])
    assert {"elrs-900", "ook-ism"} <= set(side["classes"]) <= set(CLASSES)
    # Same samples, same detector: as many detections as from the SigMF recordings.
    sigmf = _meta(trained[0])["training_data"]
    assert data["bursts"] == sum(data["per_class"].values()) == sigmf["bursts"]
    assert data["per_class"]["ook-ism"] >= sigmf["per_class"]["ook-ism"]
    assert data["sha256"] != sigmf["sha256"]
    assert Classifier.load(model).classes == side["classes"]


# ---------------------------------------------------------------------------
# evaluate


def test_evaluate_writes_metrics_and_plots(evaluated: tuple[Path, subprocess.CompletedProcess[str]],
                                           trained: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    report, proc = evaluated
    metrics = json.loads((report / "metrics.json").read_text())
    summary = _json_out(proc.stdout)
    assert list(summary) == list(EVALUATE_KEYS)
    assert Path(summary["report"]) == report / "metrics.json"
    assert {k: summary[k] for k in EVALUATE_KEYS[:-1]} == {k: metrics[k] for k in EVALUATE_KEYS[:-1]}
    for name in ("confusion.png", "snr.png"):
        assert (report / name).read_bytes()[:8] == PNG_MAGIC, name
        assert (report / name).stat().st_size > 5000, name

    classes = _meta(trained[0])["classes"]
    assert metrics["recordings"] == len(CLASSES) * TEST_PER_CLASS
    # A tiny model on another seed: any accuracy, but a consistent one.
    acc = metrics["burst_accuracy"]
    assert isinstance(acc, float) and 0.0 <= acc <= 1.0
    assert 0.0 <= metrics["burst_macro_f1"] <= 1.0
    confusion = metrics["confusion"]
    cm = np.array(confusion["matrix"])
    labels = confusion["labels"]
    assert cm.shape == (len(labels), len(labels))
    assert set(classes) <= set(labels) <= {*classes, UNKNOWN}
    assert cm.sum() == metrics["bursts"] > 0
    assert acc == pytest.approx(np.trace(cm) / cm.sum(), abs=1e-4)

    per_class = metrics["per_class"]
    assert sorted(per_class) == labels
    for i, lab in enumerate(labels):
        row = per_class[lab]
        assert row["support"] == cm[i].sum()
        for key in ("precision", "recall", "f1"):
            assert 0.0 <= row[key] <= 1.0, (lab, row)
        if cm[i].sum():
            assert row["recall"] == pytest.approx(cm[i, i] / cm[i].sum(), abs=1e-4)
        if cm[:, i].sum():
            assert row["precision"] == pytest.approx(cm[i, i] / cm[:, i].sum(), abs=1e-4)

    by_snr = metrics["burst_accuracy_by_snr_db"]
    assert by_snr, "no SNR bins: the annotations' rfclassify:snr_db were not used"
    for key, value in by_snr.items():
        assert re.fullmatch(r"[+-]\d+\.\.[+-]\d+", key), key
        assert 0.0 <= value <= 1.0
    # Drone-free recordings: the ook-ism and noise ones.
    drone_free = [c for c in CLASSES if c != "elrs-900"]
    assert metrics["drone_free_hours"] == pytest.approx(len(drone_free) * TEST_PER_CLASS * DURATION_S / 3600,
                                                        abs=1e-6)
    fdph = metrics["false_drone_detections_per_hour"]
    assert fdph == pytest.approx(metrics["false_drone_emitters"] / metrics["drone_free_hours"], abs=0.01)
    assert fdph >= 0


# ---------------------------------------------------------------------------
# bad input: exit status 2, one line on stderr naming the file and the problem


@pytest.mark.parametrize(("make", "problem"), [
    (lambda d: d.mkdir() or d, "no recordings found"),
    (lambda d: d / "missing", "no such file or folder"),
], ids=["empty-folder", "missing-path"])
def test_train_without_recordings(tmp_path: Path, make, problem: str) -> None:
    data = make(tmp_path / "data")
    out = tmp_path / "m.rfcm"
    _one_error_line(_cli("train", data, "-o", out), str(data), problem)
    assert not out.exists() and not out.with_name("m.rfcm.sig").exists()


def test_train_raw_file_without_rate_in_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "ook-ism"
    folder.mkdir()
    encode(np.zeros(24_000, np.complex64), datatype("cu8")).tofile(folder / "x.cu8")
    proc = _cli("train", tmp_path, "-o", tmp_path / "m.rfcm")
    _one_error_line(proc, "x.cu8", "sample rate")


def test_evaluate_refuses_a_tampered_model(tmp_path: Path, trained: tuple[Path, subprocess.CompletedProcess[str]],
                                           datasets: dict[str, Path]) -> None:
    model = tmp_path / "m.rfcm"
    data = bytearray(trained[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    model.with_name("m.rfcm.sig").write_bytes(trained[0].with_name(trained[0].name + ".sig").read_bytes())
    report = tmp_path / "report"
    proc = _cli("evaluate", datasets["test"], "--model", model, "--report", report)
    _one_error_line(proc, str(model), "does not match", "refusing to load")
    assert not report.exists()


def test_evaluate_without_detections(tmp_path: Path, trained: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder = tmp_path / "noise"
    folder.mkdir()
    encode(np.zeros(240_000, np.complex64), datatype("cu8")).tofile(folder / "quiet_915M_2400k.cu8")
    report = tmp_path / "report"
    proc = _cli("evaluate", folder, "--model", trained[0], "--report", report)
    _one_error_line(proc, str(folder), "no detections")
    assert not report.exists()


def test_train_does_not_overwrite_user_files(tmp_path: Path, datasets: dict[str, Path]) -> None:
    # The model path itself, a file that is not a model.
    notes = tmp_path / "notes.txt"
    notes.write_text("field notes\n")
    _one_error_line(_cli("train", datasets["train"], "-o", notes), str(notes), "exists", "--force")
    assert notes.read_text() == "field notes\n"
    # The signature train would write beside a new model.
    sig = tmp_path / "mine.rfcm.sig"
    sig.write_text("mine\n")
    model = tmp_path / "mine.rfcm"
    _one_error_line(_cli("train", datasets["train"], "-o", model), str(sig), "exists", "--force")
    assert sig.read_text() == "mine\n" and not model.exists()
    # A model file is an .rfcm: a .joblib name would say pickle.
    pickle_name = tmp_path / "model.joblib"
    _one_error_line(_cli("train", datasets["train"], "-o", pickle_name), str(pickle_name), ".rfcm")
    assert not pickle_name.exists()


def test_evaluate_replaces_a_report_only_with_force(tmp_path: Path, datasets: dict[str, Path],
                                                     trained: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "metrics.json").write_text("my notes\n")
    args = ("evaluate", datasets["test"], "--model", trained[0], "--report", report)
    _one_error_line(_cli(*args), str(report / "metrics.json"), "exists", "--force")
    assert (report / "metrics.json").read_text() == "my notes\n" and not (report / "snr.png").exists()
    proc = _cli(*args, "--force")
    assert proc.returncode == 0, proc.stderr
    assert "burst_accuracy" in json.loads((report / "metrics.json").read_text())
    assert (report / "snr.png").read_bytes().startswith(PNG_MAGIC)
