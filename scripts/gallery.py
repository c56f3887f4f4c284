"""Draw docs/gallery.png: one annotated spectrogram per label of the signature registry.

Each panel is a synthetic recording made the way datasets make them
(:func:`rfclassify.synth.dataset.observed_scene`: the label's emitter in view,
SNR 20 dB, no clutter), written to a temporary SigMF recording and drawn by
:func:`rfclassify.viz.plot_spectrogram` with its ground-truth annotation boxes
(red). Sub-GHz control links and ISM sensors are shown as an RTL-SDR sees them
(2.4 MS/s ``cu8``); 2.4/5.8 GHz links, wide video and Wi-Fi as a 20 MS/s
wideband recorder sees them. Each label's span is chosen to show its timing
(packet interval, frame, hop). Deterministic for a given ``--seed``.

    python scripts/gallery.py [--out docs/gallery.png] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from rfclassify.signatures import get, labels
from rfclassify.sources import open_source
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.synth.dataset import observed_scene
from rfclassify.viz import plot_spectrogram, save_figure

#: Seconds shown per label: enough packets, frames or hops to see the timing; 0.1 s otherwise.
SPAN_S = {"lora-iot": 1.0, "ook-ism": 0.4, "analog-video": 0.01, "dji-ocusync": 0.05, "wifi": 0.02}
#: Sub-GHz links drawn at 20 MS/s anyway, so their hopping shows.
WIDE_VIEW = ("crossfire",)
#: FFT length per receiver: ~2.3 kHz bins at 2.4 MS/s, ~39 kHz at 20 MS/s.
NFFT = {"rtlsdr": 1024, "wideband": 512}


def receiver_for(label: str) -> str:
    """RTL-SDR for narrow links below 1.8 GHz (and noise), wideband for the rest and for hop plans."""
    sig = get(label)
    if label in WIDE_VIEW:
        return "wideband"
    if sig.bandwidth_hz <= 0:
        return "rtlsdr"
    low = all(b.hi_hz < 1.8e9 for b in sig.bands)
    return "rtlsdr" if low and sig.bandwidth_hz < 1.5e6 else "wideband"


def _first_label_only(annotations: list[dict]) -> list[dict]:
    # One text label per emitter; the other boxes stay unlabelled so the bursts remain visible.
    seen: set[str] = set()
    out = []
    for ann in annotations:
        ann = dict(ann)
        key = ann.get("rfclassify:emitter_id", "")
        if key in seen:
            ann["core:label"] = ""
        seen.add(key)
        out.append(ann)
    return out


def draw_panel(ax, label: str, seed: int, workdir: Path) -> None:
    """Render one label's recording into ``workdir`` and draw it on ``ax``."""
    kind = receiver_for(label)
    span_s = SPAN_S.get(label, 0.1)
    scene, rendered = observed_scene(label, kind, span_s, (20.0, 20.0), np.random.default_rng(seed))
    rx = scene.receiver
    path = write_sigmf(
        workdir / f"{label}_{kind}",
        rendered.samples,
        datatype=rx.datatype,
        sample_rate_hz=rx.sample_rate_hz,
        center_freq_hz=rx.center_freq_hz,
        annotations=rendered.annotations,
    )
    sig = get(label)
    title = (
        f"{label}  ({'drone ' + sig.link if sig.drone else 'not a drone'})\n"
        f"{sig.modulation[:48]}\n"
        f"{kind} {rx.sample_rate_hz / 1e6:g} MS/s at {rx.center_freq_hz / 1e6:.3f} MHz,"
        f" {len(rendered.annotations)} annotation(s)"
    )
    with open_source(str(path)) as src:
        plot_spectrogram(
            src, ax=ax, nfft=NFFT[kind], max_rows=300, annotations=_first_label_only(src.annotations),
            title=title, db_range=45.0,
        )
    ax.title.set_fontsize(8.5)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * 1e3:g}"))
    ax.set_ylabel("time (ms)")
    lo, hi = rx.window_hz
    ax.set_xlim(lo / 1e6, hi / 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/gallery.png"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dpi", type=int, default=72)
    args = parser.parse_args()
    names = labels()
    cols = 4
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(6.0 * cols, 5.0 * rows), dpi=args.dpi, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    with tempfile.TemporaryDirectory() as tmp:
        for ax, label in zip(axes, names):
            draw_panel(ax, label, args.seed, Path(tmp))
    for ax in axes[len(names):]:
        ax.set_axis_off()
    fig.suptitle(
        "rfclassify signature gallery — synthetic recordings (SNR 20 dB), red boxes are the ground-truth annotations",
        fontsize=14,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = save_figure(fig, Path(tmp) / "gallery.png", dpi=args.dpi)
        # A 256-colour palette keeps the committed PNG small; the colour maps use fewer colours anyway.
        from PIL import Image

        with Image.open(full) as img:
            img.convert("RGB").quantize(colors=256).save(args.out, optimize=True)
    print(args.out)


if __name__ == "__main__":
    main()
