"""Synthesized datasets kept under ``datasets/``: made once, reused while the synthesizer's output is unchanged.

The folder name carries :func:`rfclassify.synth.dataset.code_fingerprint`, so
a change of the synthesizer's code writes a new folder instead of mixing old
and new recordings; ``.complete`` marks a folder whose synthesis finished (a
run cut short is removed and redone, never half-used) and ``.recipe.json``
holds the arguments it was made with. Shared by ``make_model.py`` and
``bench_accuracy.py``.

The fingerprint hashes source files, so an edit that leaves every recording
the same (a docstring, a new field of a signature) would still throw a cache
away that took most of an hour to make. Before synthesizing, a complete folder
of the same stem made by other code with the same recipe is *adopted* when a
sample of its recordings — the first of every class and receiver — comes out
of the current code with the same bytes (``core:sha512``); anything else is
synthesized anew.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
#: Arguments of ``synthesize_dataset`` that change no recording.
_NOT_RECIPE = ("jobs", "progress")


def dataset_dir(stem: str) -> Path:
    """``datasets/<stem>-<synth code fingerprint>``."""
    from rfclassify.synth.dataset import code_fingerprint

    return DATASETS / f"{stem}-{code_fingerprint()}"


def _recipe(kwargs: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps({k: v for k, v in sorted(kwargs.items()) if k not in _NOT_RECIPE}))


def _sha512(meta: Path) -> str | None:
    return json.loads(meta.read_text())["global"].get("core:sha512")


def adopt(folder: Path, **kwargs: Any) -> Path | None:
    """Rename a verified older synthesis of ``folder``'s recipe to ``folder``; its old path, or ``None``."""
    from rfclassify.signatures import labels
    from rfclassify.synth.dataset import make_recording, plan_jobs

    stem = folder.name.rsplit("-", 1)[0]
    recipe = _recipe(kwargs)
    plan = plan_jobs(tuple(kwargs.get("classes") or labels()), kwargs.get("per_class", 10),
                     kwargs.get("receivers", "both"), kwargs.get("mixed"))
    names = {job.name for job in plan}
    for old in sorted(folder.parent.glob(f"{stem}-*")):
        if old == folder or old.name.rsplit("-", 1)[0] != stem or not (old / ".complete").exists():
            continue
        recipe_file = old / ".recipe.json"
        if not recipe_file.exists() or json.loads(recipe_file.read_text()) != recipe:
            continue
        if {p.name.removesuffix(".sigmf-meta") for p in old.glob("*.sigmf-meta")} != names:
            continue
        firsts = {(job.kind, job.receiver_kind): job for job in reversed(plan)}.values()
        args = (int(kwargs.get("seed", 0)), float(kwargs.get("duration_s", 0.5)),
                tuple(map(float, kwargs.get("snr_db_range", (0.0, 30.0)))),
                float(kwargs.get("clutter_probability", 0.3)), kwargs.get("wideband_datatype", "ci8"))
        with tempfile.TemporaryDirectory() as tmp:
            same = all(
                _sha512(make_recording(job, tmp, *args)) == _sha512(old / f"{job.name}.sigmf-meta") for job in firsts
            )
        if same:
            print(f"datasets: adopting {old.name} as {folder.name} "
                  f"({len(firsts)} sample recordings re-synthesized byte for byte)")
            old.rename(folder)
            return old
    return None


def ensure_dataset(folder: Path, **kwargs: Any) -> Path:
    """Synthesize ``folder`` with ``synthesize_dataset(folder, **kwargs)`` unless it is already complete."""
    from rfclassify.synth.dataset import synthesize_dataset

    if (folder / ".complete").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # cut short: a cache folder is redone whole, never half-used
    if adopt(folder, **kwargs) is None:
        synthesize_dataset(folder, **kwargs)
        (folder / ".recipe.json").write_text(json.dumps(_recipe(kwargs), indent=1) + "\n")
        (folder / ".complete").write_text("ok\n")
    return folder
