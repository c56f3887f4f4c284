"""Ground truth for training and evaluation: matching detections to SigMF annotations.

The classifier learns from what the detector finds, not from the annotation
boxes, so that training sees the same inputs as deployment. Each detection
takes the label of the annotation it overlaps most (time overlap × frequency
overlap, both as fractions of the detection); a detection that overlaps no
annotation is a detection of receiver noise and is labelled ``noise``. A
detection that covers under :data:`FRAGMENT_FRACTION` of the bandwidth its
emission shows in the receiver's window is a *fragment* (a noise peak riding
on a weak wide signal: a 0.1 MHz × 0.1 ms speck of a 9 MHz OcuSync or 17 MHz
Wi-Fi packet); its shape says nothing about the emitter, so it is labelled
``noise`` too — otherwise the model learns to guess between the wide links
from specks that are the same for all of them.

An emission whose band lies mostly outside the receiver's window is a
*sliver* (:func:`is_sliver`): the 64 kHz edge of a Wi-Fi channel centred
9 MHz away, a Bluetooth channel of which the anti-alias edge lets 0.2 of
1.2 MHz through. What the window shows of it is its spectral skirt, whose
width, modulation and timing cannot say which link it is. Its detections
keep their label for training (a clipped packet is still evidence of its
link: measured, a model trained without them called 37 of 168 ELRS-900
test packets noise and confirmed almost no drone) but are marked
unobservable and left out of the accuracy figures; the tracker still sees
them (a false drone made of slivers still counts). In a
folder-per-label dataset (``DATA/elrs-900/*.cu8``) every detection of a file
takes the folder's label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NOISE_LABEL = "noise"
#: Annotations give the 99 % occupied bandwidth; an emission's weaker parts
#: (analog video's audio subcarrier 6–6.5 MHz from the carrier, OFDM and GFSK
#: spectral skirts) lie just outside it and are still that emission. A
#: detection's frequency overlap is taken against the edges widened by this
#: fraction of the annotated bandwidth on each side.
EDGE_PAD_FRACTION = 0.4
#: A detection narrower than this share of its emission's visible bandwidth is a fragment (see
#: above). Measured on the seed-1 training set: 80 % of wideband OcuSync, 67 % of wideband analog
#: video and 52 % of wideband Wi-Fi detections were such specks; no narrowband link had any.
FRAGMENT_FRACTION = 0.1


#: An emission is a sliver when the receiver's window shows under this share of what it could show:
#: its annotated band, or the whole window if the band is wider (a 17 MHz Wi-Fi channel centred in a
#: 2.4 MS/s window shows all it can). Under half, the measured bandwidth is off by more than 2× and the
#: modulation features read a skirt. Measured on the seed-1 training set: 8 % of the detections, mostly
#: wide links (Wi-Fi, analog video) and hopping channels at the window's edges.
VISIBLE_FRACTION = 0.5


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def match_annotation(
    t_start_s: float,
    t_end_s: float,
    f_lo_hz: float,
    f_hi_hz: float,
    annotations: Sequence[dict[str, Any]],
    sample_rate_hz: float,
    min_overlap: float = 0.15,
) -> dict[str, Any] | None:
    """The annotation whose label best covers a detection, or ``None``.

    For each label, the score is the share of the detection's duration
    covered by that label's annotations (summed, capped at 1 — a detection
    that spans several packets of one Wi-Fi link is that link) times the
    frequency overlap (fraction of the detection's bandwidth, against edges
    widened by :data:`EDGE_PAD_FRACTION` of the annotated bandwidth). The best label below ``min_overlap`` is ignored; the
    returned annotation is that label's annotation with the largest overlap.
    """
    dur = max(t_end_s - t_start_s, 1.0 / sample_rate_hz)
    bw = max(f_hi_hz - f_lo_hz, 1.0)
    cover: dict[str, float] = {}
    best_ann: dict[str, tuple[float, dict[str, Any]]] = {}
    for ann in annotations:
        label = ann.get("core:label")
        if not label:
            continue
        a0 = ann.get("core:sample_start", 0) / sample_rate_hz
        a1 = a0 + ann.get("core:sample_count", 0) / sample_rate_hz
        t_over = _overlap(t_start_s, t_end_s, a0, a1)
        if t_over <= 0:
            continue
        lo = ann.get("core:freq_lower_edge")
        hi = ann.get("core:freq_upper_edge")
        if lo is None or hi is None:
            f_frac = 1.0
        else:
            pad = EDGE_PAD_FRACTION * (hi - lo)
            f_frac = _overlap(f_lo_hz, f_hi_hz, lo - pad, hi + pad) / bw
        score = t_over / dur * f_frac
        if score <= 0:
            continue
        cover[label] = cover.get(label, 0.0) + score
        if score > best_ann.get(label, (0.0, {}))[0]:
            best_ann[label] = (score, ann)
    if not cover:
        return None
    label = max(cover, key=lambda k: cover[k])
    if min(cover[label], 1.0) < min_overlap:
        return None
    return best_ann[label][1]


def is_fragment(
    f_lo_hz: float, f_hi_hz: float, annotation: dict[str, Any], center_freq_hz: float, sample_rate_hz: float
) -> bool:
    """True if a detection covers under :data:`FRAGMENT_FRACTION` of its annotation's bandwidth inside the window."""
    lo, hi = annotation.get("core:freq_lower_edge"), annotation.get("core:freq_upper_edge")
    if lo is None or hi is None:
        return False
    visible = min(hi, center_freq_hz + sample_rate_hz / 2) - max(lo, center_freq_hz - sample_rate_hz / 2)
    return visible > 0 and (f_hi_hz - f_lo_hz) < FRAGMENT_FRACTION * visible


def visible_fraction(annotation: dict[str, Any], center_freq_hz: float, sample_rate_hz: float) -> float:
    """Share of what the window ``center ± rate/2`` could show of an annotated emission that it shows (0–1).

    The visible part of the annotated band over the smaller of the band and the window; 1 for an
    annotation without frequency edges.
    """
    lo, hi = annotation.get("core:freq_lower_edge"), annotation.get("core:freq_upper_edge")
    if lo is None or hi is None or hi <= lo:
        return 1.0
    half = sample_rate_hz / 2
    visible = _overlap(lo, hi, center_freq_hz - half, center_freq_hz + half)
    return min(1.0, visible / min(hi - lo, sample_rate_hz))


def is_sliver(annotation: dict[str, Any], center_freq_hz: float, sample_rate_hz: float) -> bool:
    """True if the window shows under :data:`VISIBLE_FRACTION` of what it could of the emission (see above)."""
    return visible_fraction(annotation, center_freq_hz, sample_rate_hz) < VISIBLE_FRACTION


def label_for(
    t_start_s: float,
    t_end_s: float,
    f_lo_hz: float,
    f_hi_hz: float,
    annotations: Sequence[dict[str, Any]],
    sample_rate_hz: float,
) -> str:
    """Label of the best-overlapping annotation, or ``noise``."""
    ann = match_annotation(t_start_s, t_end_s, f_lo_hz, f_hi_hz, annotations, sample_rate_hz)
    return NOISE_LABEL if ann is None else str(ann["core:label"])
