"""``rfclassify train``: fit a classifier on annotated recordings."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command(
    "train",
    epilog=(
        "\b\nExamples:\n"
        "  rfclassify synth --out data/train --per-class 20 --seed 1\n"
        "  rfclassify train data/train --out models/mine.joblib --jobs 2\n"
        "  rfclassify train my_recordings/elrs-900 my_recordings/noise --out models/field.joblib\n"
        "\b\nDATA are SigMF recordings (or folders of them) whose annotations carry core:label,\n"
        "or folders named after a label holding unannotated recordings of that label.\n"
        "Writes the model and a JSON sidecar (classes, feature schema, library versions,\n"
        "training-data hash, cross-validated metrics, SHA-256 of the model file)."
    ),
)
@click.argument("data", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Model file to write (.joblib).")
@click.option("--jobs", default=1, show_default=True, help="Recordings processed in parallel.")
@click.option("--cv", "cv_folds", default=3, show_default=True, help="Cross-validation folds (grouped by recording); 0 to skip.")
@click.option("--seed", default=0, show_default=True, help="Random state of the classifier.")
@click.option("--force", is_flag=True, help="Replace an existing model file and its sidecar.")
def command(data, out, jobs, cv_folds, seed, force) -> None:
    """Train a burst classifier on labelled recordings."""
    from rfclassify.classify.persistence import sidecar_path
    from rfclassify.classify.training import train
    from rfclassify.errors import InputError

    model, meta = Path(out), sidecar_path(out)
    if meta == model:  # the sidecar would be written over the model just saved
        raise InputError(out, f"a model file cannot end in {meta.suffix} (that is its sidecar's name); use .joblib")
    for path, note in ((model, ""), (meta, f" (it would become the sidecar of {model.name})")):
        if path.exists() and not force:
            raise InputError(path, f"exists{note}; use --force to replace it")
    side = train(data, out, jobs=jobs, cv_folds=cv_folds, random_state=seed)
    summary = {k: side[k] for k in ("classes", "training_data", "cross_validation", "sha256")}
    click.echo(json.dumps(summary, indent=2))
