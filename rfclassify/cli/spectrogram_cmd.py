"""``rfclassify spectrogram SOURCE -o out.png``: a labelled waterfall picture of a recording."""

from __future__ import annotations

from pathlib import Path

import click

from rfclassify.cli.options import DURATION, source_options
from rfclassify.errors import InputError
from rfclassify.sources import is_live_spec, open_source
from rfclassify.sources.base import FileSource


def _input_paths(spec: str, src: FileSource) -> list[Path]:
    paths = [Path(spec), Path(src.path)]
    data = getattr(src, "data_path", None)
    if data:
        paths.append(Path(data))
    return paths


def _check_output(out: Path, inputs: list[Path]) -> None:
    from rfclassify.viz import supported_image_formats

    ext = out.suffix.lower().lstrip(".")
    # Raw pixel dumps (.raw, .rgba) are no pictures, and .raw is also an IQ extension.
    formats = {k: v for k, v in supported_image_formats().items() if k not in ("raw", "rgba")}
    if ext not in formats:
        raise InputError(out, f"cannot write a {out.suffix or 'file without extension'!r} image; use .png "
                              f"(or {', '.join('.' + f for f in sorted(formats) if f != 'png')})")
    if not out.parent.resolve().is_dir():
        raise InputError(out, "output directory does not exist")
    for p in inputs:
        if p.exists() and out.exists() and out.resolve() == p.resolve():
            raise InputError(out, "is the input recording; refusing to overwrite it")


@click.command("spectrogram")
@click.argument("source")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Picture to write: .png (or .pdf, .svg … any format matplotlib writes).")
@click.option("--start", "start_s", type=DURATION, default=0.0, show_default=True,
              help="Where to begin, from the start of the recording (e.g. 1.5, 200ms).")
@click.option("--duration", "duration_s", type=DURATION, default=None,
              help="How much to show (default: to the end).")
@click.option("--nfft", type=click.IntRange(min=8), default=None,
              help="FFT length (default: ~10 kHz bins for the sample rate).")
@click.option("--rows", "max_rows", type=click.IntRange(min=1), default=1000, show_default=True,
              help="At most this many time rows; frames are folded into rows.")
@click.option("--mode", type=click.Choice(["max", "mean"]), default="max", show_default=True,
              help="Fold frames into rows by max-hold (keeps short bursts) or by averaging.")
@click.option("--no-annotations", is_flag=True, help="Do not draw the recording's SigMF annotations.")
@click.option("--classify", "with_classify", is_flag=True,
              help="Also classify the shown span and draw what was found: each burst as an outline in its "
              "label's colour, each emitter tagged #k in the order of 'classify --format table'.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="Model file for --classify (default: the shipped model).")
@source_options
def command(
    source: str,
    output: str,
    start_s: float,
    duration_s: float | None,
    nfft: int | None,
    max_rows: int,
    mode: str,
    no_annotations: bool,
    with_classify: bool,
    model_path: str | None,
    fmt: str | None,
    rate: float | None,
    freq: float | None,
) -> None:
    """Draw a waterfall of SOURCE: frequency in MHz across, time in seconds down, power in dB.

    \b
    Examples:
      rfclassify spectrogram rec.sigmf-meta -o rec.png
      rfclassify spectrogram g001_915M_2400k.cu8 -o w.png --start 2 --duration 1
      rfclassify spectrogram x.cs8 --rate 20M --freq 2.44G -o x.png --nfft 2048
      rfclassify spectrogram rec.sigmf-meta -o found.png --classify --no-annotations

    Annotations (the recording's ground truth) are dashed outlines; with --classify, what the
    classifier found is drawn in solid outlines of the same colour per label, named in the legend.
    """
    from rfclassify.viz import plot_spectrogram, save_figure

    if is_live_spec(source):
        raise InputError(source, "spectrogram draws recordings; record one first with 'rfclassify capture'")
    out = Path(output)
    classifier = None
    if with_classify:
        from rfclassify.classify.pipeline import Classifier

        classifier = Classifier.load(model_path)
    with open_source(source, format=fmt, sample_rate_hz=rate, center_freq_hz=freq) as src:
        assert isinstance(src, FileSource)
        _check_output(out, _input_paths(source, src))
        bursts: list[dict] = []
        emitters: list[dict] = []
        if classifier is not None:
            from rfclassify.classify.recordings import classify_source

            bursts = classify_source(src, classifier, source_name=source, per_burst=True)
            emitters = classify_source(src, classifier, source_name=source)
        fig = plot_spectrogram(
            src,
            start_s=start_s,
            duration_s=duration_s,
            nfft=nfft,
            max_rows=max_rows,
            mode=mode,
            annotations=[] if no_annotations else None,
            bursts=bursts,
            emitters=emitters,
        )
        save_figure(fig, out)
    click.echo(f"wrote {out}")
