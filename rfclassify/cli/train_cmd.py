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
        "  rfclassify train data/train --out models/mine.rfcm --jobs 2\n"
        "  rfclassify train my_recordings/elrs-900 my_recordings/noise --out models/field.rfcm\n"
        "\b\nDATA are SigMF recordings (or folders of them) whose annotations carry core:label,\n"
        "or folders named after a label holding unannotated recordings of that label.\n"
        "Writes the model (.rfcm: arrays and JSON, no code) with its metadata (classes, feature\n"
        "schema, library versions, training-data hash, cross-validated metrics; see\n"
        "'rfclassify model info'), signed (MODEL.rfcm.sig) with --sign-key or with this machine's\n"
        "key from 'rfclassify model keygen' when there is one."
    ),
)
@click.argument("data", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Model file to write (.rfcm).")
@click.option("--jobs", default=1, show_default=True, help="Recordings processed in parallel.")
@click.option("--cv", "cv_folds", default=3, show_default=True, help="Cross-validation folds (grouped by recording); 0 to skip.")
@click.option("--seed", default=0, show_default=True, help="Random state of the classifier.")
@click.option("--sign-key", type=click.Path(dir_okay=False), default=None,
              help="Ed25519 private key (PEM) to sign the model with (default: this machine's key, if any).")
@click.option("--no-sign", is_flag=True, help="Leave the model unsigned.")
@click.option("--force", is_flag=True, help="Replace an existing model file and its signature.")
def command(data, out, jobs, cv_folds, seed, sign_key, no_sign, force) -> None:
    """Train a burst classifier on labelled recordings."""
    from rfclassify.classify.persistence import MODEL_SUFFIX
    from rfclassify.classify.signing import load_private_key, signature_path
    from rfclassify.classify.training import train
    from rfclassify.errors import InputError

    model = Path(out)
    for path in (model, signature_path(model)):
        if path.exists() and not force:
            raise InputError(path, "exists; use --force to replace it")
    if model.suffix != MODEL_SUFFIX:
        raise InputError(out, f"a model file ends in {MODEL_SUFFIX}")
    if sign_key is not None:
        load_private_key(sign_key)  # a bad key fails now, not after the training
    side = train(data, out, jobs=jobs, cv_folds=cv_folds, random_state=seed, sign=not no_sign, sign_key=sign_key)
    summary = {k: side[k] for k in ("classes", "training_data", "cross_validation", "sha256", "signed_by")}
    click.echo(json.dumps(summary, indent=2))
