"""``rfclassify train``: fit a classifier on annotated recordings."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rfclassify.cli.options import force_option, refuse_existing


@click.command(
    "train",
    epilog=(
        "\b\nDATA are SigMF recordings (or folders of them) whose annotations carry core:label,\n"
        "or folders named after a label holding unannotated recordings of that label.\n"
        "Writes the model (.rfcm: arrays and JSON, no code) with its metadata (classes, feature\n"
        "schema, library versions, training-data hash, cross-validated metrics; see\n"
        "'rfclassify model info'), signed (MODEL.rfcm.sig) with --sign-key or with this machine's\n"
        "key from 'rfclassify model keygen' when there is one."
    ),
)
@click.argument("data", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="Model file to write (.rfcm).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Recordings processed in parallel.")
@click.option("--cv", "cv_folds", type=click.IntRange(min=0), default=3, show_default=True, metavar="FOLDS",
              help="Cross-validation folds (grouped by recording); 0 to skip.")
@click.option("--seed", type=int, default=0, show_default=True, metavar="N", help="Random state of the classifier.")
@click.option("--sign-key", type=click.Path(dir_okay=False), default=None,
              help="Ed25519 private key (PEM) to sign the model with (default: this machine's key, if any).")
@click.option("--no-sign", is_flag=True, help="Leave the model unsigned.")
@force_option("an existing model file and its signature")
def command(data, out, jobs, cv_folds, seed, sign_key, no_sign, force) -> None:
    """Train a burst classifier on labelled recordings.

    \b
    Examples:
      rfclassify train data/train -o models/mine.rfcm --jobs 2
      rfclassify train my_recordings/elrs-900 my_recordings/noise -o models/field.rfcm
    """
    from rfclassify.classify.persistence import MODEL_SUFFIX
    from rfclassify.classify.signing import load_private_key, signature_path
    from rfclassify.classify.training import train
    from rfclassify.errors import InputError

    model = Path(out)
    refuse_existing([model, signature_path(model)], force)
    if model.suffix != MODEL_SUFFIX:
        raise InputError(out, f"a model file ends in {MODEL_SUFFIX}")
    if sign_key is not None:
        load_private_key(sign_key)  # a bad key fails now, not after the training
    side = train(data, out, jobs=jobs, cv_folds=cv_folds, random_state=seed, sign=not no_sign, sign_key=sign_key)
    summary = {k: side[k] for k in ("classes", "training_data", "cross_validation", "sha256", "signed_by")}
    click.echo(json.dumps(summary, indent=2))
