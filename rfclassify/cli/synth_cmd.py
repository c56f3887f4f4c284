"""``rfclassify synth``: write an annotated SigMF dataset of synthetic drone and background scenes."""

from __future__ import annotations

from pathlib import Path

import click

from rfclassify.cli.options import DURATION, force_option, refuse_existing
from rfclassify.errors import InputError
from rfclassify.signatures import labels


def _parse_classes(text: str) -> tuple[str, ...]:
    known = labels()
    if text.strip().lower() == "all":
        return known
    chosen = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    unknown = [c for c in chosen if c not in known]
    if unknown or not chosen:
        raise InputError(
            "--classes", f"unknown class {', '.join(unknown) or repr(text)}; choose 'all' or from: {', '.join(known)}"
        )
    return chosen


def _parse_snr(text: str) -> tuple[float, float]:
    lo_text, sep, hi_text = text.partition(":")
    try:
        lo = float(lo_text)
        hi = float(hi_text) if sep else lo
    except ValueError:
        raise InputError("--snr-db", f"{text!r} is not LO:HI in dB (e.g. 0:30, -5:20, 10)") from None
    if lo > hi:
        raise InputError("--snr-db", f"LO must not exceed HI in {text!r}")
    return lo, hi


def _class_help() -> str:
    return ", ".join(labels())


@click.command(
    "synth",
    epilog=(
        "\b\nFiles are named CLASS_RECEIVER_NNNN.sigmf-meta/.sigmf-data (and mixed_RECEIVER_NNNN for\n"
        "scenes with several emitters); each burst is one annotation (core:label, frequency edges,\n"
        "rfclassify:snr_db, rfclassify:link, rfclassify:emitter_id). The same --seed gives the same\n"
        "bytes whatever --jobs is. Existing recordings are replaced only with --force.\n"
        "\b\n--bearing-examples writes the recordings of the README's bearing examples instead: a\n"
        "5-element UCA (r = 0.11 m) with uncalibrated receivers hearing two links at 40 and 250 degrees\n"
        "(kraken_915M_2400k), its calibration noise recording (noise_915M_2400k) and a rotating\n"
        "60-degree antenna hearing one link at 205 degrees (sweep_915M_2400k); true azimuths are in the\n"
        "annotations (rfclassify:azimuth_deg)."
    ),
)
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the recordings into (created if missing).")
@click.option("--classes", default="all", show_default=True, metavar="all|CLASS,CLASS,...",
              help="'all' or a comma-separated list of classes. Known: " + _class_help())
@click.option("--per-class", type=click.IntRange(min=0), default=10, show_default=True, metavar="N",
              help="Recordings per class and receiver (also the number of mixed scenes per receiver).")
@click.option("--snr-db", "snr_db", default="0:30", show_default=True, metavar="LO:HI",
              help="Per-signal SNR range LO:HI in dB (signal over noise in its occupied bandwidth).")
@click.option("--receiver", type=click.Choice(["rtlsdr", "wideband", "both"]), default="both", show_default=True,
              help="rtlsdr: 2.4 MS/s cu8 (also 2.048, 1.024; 0.25 for narrow signals); wideband: 20 MS/s HackRF-like cs8; both: one of each.")
@click.option("--duration", type=DURATION, default="0.5s", show_default=True,
              help="Length of each recording (e.g. 0.5s, 200ms).")
@click.option("--seed", type=int, default=0, show_default=True, metavar="N", help="Root seed; output is a function of it.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Parallel worker processes.")
@click.option("--clutter", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True, metavar="P",
              help="Probability that a class recording also holds Wi-Fi/Bluetooth/LoRa/OOK clutter in view.")
@click.option("--float", "as_float", is_flag=True, help="Write wideband recordings as cf32_le instead of ci8 (4x larger).")
@click.option("--bearing-examples", is_flag=True,
              help="Write array, calibration and rotating-antenna recordings for 'calibrate', 'bearing' and "
              "array 'watch' instead of a dataset (see below).")
@force_option("existing recordings of the same names")
def command(
    out_dir: Path,
    classes: str,
    per_class: int,
    snr_db: str,
    receiver: str,
    duration: float,
    seed: int,
    jobs: int,
    clutter: float,
    as_float: bool,
    bearing_examples: bool,
    force: bool,
) -> None:
    """Synthesize an annotated SigMF dataset: every class seen by RTL-SDR and/or wideband receivers.

    Each recording shows one class's emitter at an SNR drawn from --snr-db, tuned as people
    tune (RTL-SDR near a channel, 2.4/5.8 GHz through a downconverter; wideband at the band
    centre), with the receiver's DC spike, IQ imbalance, LO error, AGC and 8-bit quantization.

    \b
    Examples:
      rfclassify synth -o data/train --per-class 20 --seed 1 --jobs 2
      rfclassify synth -o data/elrs --classes elrs-900,crossfire --receiver rtlsdr --snr-db -5:15
      rfclassify synth -o data/quiet --classes noise --per-class 5 --duration 1s
      rfclassify synth -o demo/bearing --bearing-examples
    """
    from rfclassify.sources.sigmf_io import sigmf_paths

    if bearing_examples:
        from rfclassify.synth.array import BEARING_EXAMPLES, write_bearing_examples

        # Checked as a set before writing any: a refused run leaves no partial set behind.
        refuse_existing([p for stem in BEARING_EXAMPLES.values() for p in sigmf_paths(out_dir / stem)], force)
        for kind, path in write_bearing_examples(out_dir, seed, overwrite=True).items():
            click.echo(f"{kind}: {path}")
        return
    from rfclassify.synth.dataset import plan_jobs, synthesize_dataset

    chosen = _parse_classes(classes)
    lo, hi = _parse_snr(snr_db)
    if duration <= 0:
        raise InputError("--duration", "must be positive")
    targets = [p for job in plan_jobs(chosen, per_class, receiver) for p in sigmf_paths(out_dir / job.name)]
    refuse_existing(targets, force)
    for path in targets:  # with --force: replaced (synthesize_dataset never overwrites)
        path.unlink(missing_ok=True)
    paths = synthesize_dataset(
        out_dir,
        chosen,
        per_class=per_class,
        snr_db_range=(lo, hi),
        receivers=receiver,
        duration_s=duration,
        seed=seed,
        jobs=jobs,
        clutter_probability=clutter,
        wideband_datatype="cf32_le" if as_float else "ci8",
    )
    click.echo(f"wrote {len(paths)} recordings to {out_dir}")
