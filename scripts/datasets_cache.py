"""Synthesized datasets kept under ``datasets/``: made once, reused while the synthesizer is unchanged.

The folder name carries :func:`rfclassify.synth.dataset.code_fingerprint`, so
a change of the synthesizer's code writes a new folder instead of mixing old
and new recordings; ``.complete`` marks a folder whose synthesis finished (a
run cut short is redone, never half-used). Shared by ``make_model.py`` and
``bench_accuracy.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"


def dataset_dir(stem: str) -> Path:
    """``datasets/<stem>-<synth code fingerprint>``."""
    from rfclassify.synth.dataset import code_fingerprint

    return DATASETS / f"{stem}-{code_fingerprint()}"


def ensure_dataset(folder: Path, **kwargs: Any) -> Path:
    """Synthesize ``folder`` with ``synthesize_dataset(folder, **kwargs)`` unless it is already complete."""
    from rfclassify.synth.dataset import synthesize_dataset

    if not (folder / ".complete").exists():
        synthesize_dataset(folder, **kwargs)
        (folder / ".complete").write_text("ok\n")
    return folder
