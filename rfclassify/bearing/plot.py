"""Polar plots of DOA spectra and rotating-antenna power (matplotlib, Agg backend: no display needed).

Angles follow the array convention: 0° on the +x axis (drawn to the east,
``set_theta_zero_location("E")``), increasing counter-clockwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rfclassify.bearing.rotating import pattern_gain


def plot_bearings(results: Sequence[object], path: str | Path, title: str = "") -> Path:
    """Draw each emitter's DOA spectrum (dB, normalised) or fitted pattern on one polar plot; returns ``path``.

    ``results`` are :class:`rfclassify.bearing.emitters.EmitterBearing`; a
    dashed line marks each bearing.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 6.4))
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("E")
    ax.set_theta_direction(1)
    floor_db = -30.0
    for i, res in enumerate(results):
        colour = f"C{i % 10}"
        em = res.emitter  # type: ignore[attr-defined]
        name = f"{em.freq_hz / 1e6:.3f} MHz"
        doa = res.doa  # type: ignore[attr-defined]
        fit = res.fit  # type: ignore[attr-defined]
        if doa is not None:
            grid = np.radians(doa.grid_deg)
            db = np.maximum(10 * np.log10(np.maximum(doa.spectrum, 1e-30)), floor_db) - floor_db
            ax.plot(grid, db, color=colour, label=f"{name} {doa.method}")
        elif fit is not None:
            az = np.arange(0.0, 361.0, 1.0)
            model = pattern_gain(az - fit.bearing_deg, fit.beamwidth_deg, fit.model, None)
            ax.plot(np.radians(az), np.maximum(10 * np.log10(model), floor_db) - floor_db, color=colour,
                    label=f"{name} pattern fit")
        if res.bearing_deg is not None:  # type: ignore[attr-defined]
            b = np.radians(res.bearing_deg)  # type: ignore[attr-defined]
            ax.plot([b, b], [0, -floor_db], color=colour, linestyle="--", linewidth=1)
    ax.set_rmax(-floor_db)
    ax.set_yticks([10, 20, 30], labels=["-20 dB", "-10 dB", "0 dB"])
    if title:
        ax.set_title(title)
    if results:
        ax.legend(loc="lower left", bbox_to_anchor=(-0.1, -0.12), fontsize="small")
    out = Path(path)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out
