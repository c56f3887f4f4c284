"""TEMPLATE for a new signature module: copy to ``<label_with_underscores>.py`` and fill in.

This file is not loaded (its name starts with ``_``). A copy without the
underscore is found by the registry (:mod:`rfclassify.signatures`) on the
next import: there is no list to edit. Checklist, as rtl_433's
``new_template.c``:

1. **Docstring first.** Replace this text with the physical link: bands and
   channel plan, occupied bandwidth, modulation, packet/frame timing, hopping,
   and the public source of every number (standard clause, datasheet page,
   firmware file and symbol). Mark assumptions as assumptions.
2. **Label.** Lower-case with dashes (``my-link``), unique; add the label to
   ``SIGNATURES.md`` (the registry test checks the registry against it).
3. **Bands.** Every band the link may use (``Band(name, lo_hz, hi_hz,
   channels_hz)``); the classifier refuses a label outside its bands, so be
   complete and cite the band plan.
4. **Builder.** ``_build(req) -> list[Burst]``: emit what the transmitter
   sends during ``req.duration_s`` in ``req.band``, drawing every random
   choice from ``req.rng`` (reproducibility), skipping bursts outside
   ``req.window_hz`` (``req.visible``), with unit-power complex64 samples
   (``unit_power``) at the emitter's natural rate. Modes in ``req.params``.
5. **Drone flag, link and models.** ``drone=True`` links need
   ``drone_models`` (what a detection carries as ``models``) and
   ``drone_model_sources``.
6. **Order and training.** ``order`` places the label in listings (new
   classes may keep the default and follow the established ones);
   ``training_sets=2`` if the builder draws among many air modes and one
   seed's recordings would show some of them too rarely.
7. **Tests.** A test module that measures the synthesized physics against the
   standard (bandwidth, burst lengths, intervals, channel raster), in
   ``tests/signatures/``.
8. **Model.** ``make model`` retrains the default model with the new class
   (and rewrites the README's label table); then ``scripts/bench_accuracy.py``.
"""

from __future__ import annotations

import numpy as np

from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature, unit_power

#: Band plan (cite the source): name, lower and upper edge in Hz, channel centres in Hz.
BANDS: tuple[Band, ...] = (Band("ISM915", 902e6, 928e6, (915e6,)),)
#: Occupied bandwidth in Hz (cite the source).
BW_HZ = 200e3
#: Time between packets in seconds (cite the source).
PACKET_INTERVAL_S = 0.1
#: Packet length in seconds (cite the source).
PACKET_S = 0.002


def _build(req: EmitRequest) -> list[Burst]:
    """Packets every ``PACKET_INTERVAL_S`` on a channel of ``req.band`` (replace with the real waveform)."""
    rate_hz = 2.0 * BW_HZ
    channels = req.band.channels_hz or (req.band.center_hz,)
    bursts: list[Burst] = []
    t_s = float(req.rng.uniform(0.0, PACKET_INTERVAL_S))
    while t_s < req.duration_s:
        rf_hz = float(req.rng.choice(channels))
        if req.visible(rf_hz - BW_HZ / 2, rf_hz + BW_HZ / 2):
            n = int(PACKET_S * rate_hz)
            symbols = req.rng.choice([-1.0, 1.0], size=n)
            samples = unit_power(np.exp(1j * np.pi / 2 * np.cumsum(symbols) / 4))
            bursts.append(Burst(t_s, rf_hz, samples, rate_hz, rf_hz - BW_HZ / 2, rf_hz + BW_HZ / 2))
        t_s += PACKET_INTERVAL_S
    return bursts


SIGNATURE = Signature(
    label="template-link",
    drone=False,
    link="none",
    bands=BANDS,
    modulation="describe the modulation (e.g. 2-FSK 50 kb/s)",
    bandwidth_hz=BW_HZ,
    timing={"packet_interval_s": PACKET_INTERVAL_S, "packet_s": PACKET_S},
    builder=_build,
    description="One line on what this class is.",
    sources=("the public sources of the numbers above",),
)
