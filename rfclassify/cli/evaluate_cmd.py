"""``rfclassify evaluate``: measure a model on labelled recordings it was not trained on."""

from __future__ import annotations

import json

import click

from rfclassify.cli.options import model_options


@click.command(
    "evaluate",
    epilog=(
        "\b\nExamples:\n"
        "  rfclassify synth --out data/test --per-class 10 --seed 99   # a seed never used in training\n"
        "  rfclassify evaluate data/test --report reports/test\n"
        "\b\nWrites REPORT/metrics.json (accuracy, per-class precision/recall/F1, confusion matrix,\n"
        "accuracy per SNR bin, emitter accuracy, false drone detections per hour of drone-free\n"
        "recordings), REPORT/confusion.png and REPORT/snr.png.\n"
        "\b\nDetections of an emission the window shows under half of what it could (a Wi-Fi\n"
        "channel centred outside the window, seen as its skirt at the edge) are not scored;\n"
        "metrics.json gives the emitter accuracy with them too, and lists missed emitters."
    ),
)
@click.argument("data", nargs=-1, required=True)
@model_options
@click.option("--report", "report_dir", required=True, type=click.Path(file_okay=False), help="Folder for the report.")
@click.option("--jobs", default=1, show_default=True, help="Recordings processed in parallel.")
def command(data, model_path, allow_unsigned_model, report_dir, jobs) -> None:
    """Evaluate a model on annotated recordings."""
    from rfclassify.classify.evaluation import evaluate_features, write_report
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.training import extract_all, find_recordings
    from rfclassify.errors import InputError

    classifier = Classifier.load(model_path, allow_unsigned=allow_unsigned_model or None)
    recs = extract_all(find_recordings(data), jobs=jobs)
    if not any(len(rec.y) for rec in recs):
        raise InputError(", ".join(data), "no detections in any recording; nothing to evaluate")
    metrics = evaluate_features(recs, classifier)
    path = write_report(metrics, report_dir)
    keys = ("burst_accuracy", "burst_macro_f1", "emitter_accuracy", "emitter_accuracy_snr_ge_10db",
            "false_drone_detections_per_hour")
    click.echo(json.dumps({k: metrics[k] for k in keys} | {"report": str(path)}, indent=2))
