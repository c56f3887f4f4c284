"""The detection mask of a power spectrogram: box means over the floor above their thresholds.

1. **Mask.** The power ratio ``P / floor`` is averaged over boxes at a few
   time–frequency scales (:mod:`rfclassify.detect.boxes`: a fine box finds
   strong short or narrow bursts, a wide one finds weak wideband signals such
   as LoRa at 0 dB in-band SNR) and compared with each box's threshold.
2. **Closing** (:func:`rfclassify.detect.components.close_and_label`, with
   the labelling). The mask is dilated by a small gap in time and frequency so
   pulses of one packet, and the two halves of a signal split by the DC bins,
   join; statistics use only the undilated cells.
"""

from __future__ import annotations

import numpy as np

from rfclassify.detect.boxes import Box
from rfclassify.detect.window_sums import (
    centred_sum_cols_wide,
    coarse_columns,
    row_window_sums,
)


def mask_rows(win: np.ndarray, boxes: list[Box], pad: int, data_lo: int, data_hi: int) -> np.ndarray:
    """The detection mask of the rows ``[pad, len(win) - pad)`` of a padded window of power ratios.

    ``win``: ``(rows, bins)`` ratio ``P / floor``, with at least every box's
    half length of rows above and below the output rows; only rows
    ``[data_lo, data_hi)`` hold data (the others must be zero), and a box that
    reaches beyond them is the mean of the cells inside (its threshold is
    scaled by the count). Returns bool ``(rows - 2·pad, bins)``. Each output
    row depends only on the ratio rows within its boxes, so any number of
    rows can be computed at once (boxes of one column width share their
    row sums, :func:`row_window_sums`).
    """
    rows, nb = win.shape
    n_out = rows - 2 * pad
    mask = np.zeros((n_out, nb), dtype=bool)
    coarse_hits: dict[int, np.ndarray] = {}
    grids: dict[int, np.ndarray] = {}
    groups: dict[tuple[int, int], list[Box]] = {}
    for box in boxes:
        groups.setdefault((box.dec, box.bins), []).append(box)
    r = np.arange(pad, pad + n_out)
    for (dec, bins), group in groups.items():
        grid = grids.get(dec)
        if grid is None:
            grid = grids[dec] = coarse_columns(win, dec)
        fs = centred_sum_cols_wide(grid, bins | 1)  # row sums over whole contiguous rows, then the columns kept
        sums = row_window_sums(fs, [(box.frames, pad - box.frames // 2) for box in group], n_out)
        for box, s in zip(group, sums):
            s = s[:, : grid.shape[1]]
            h = box.frames // 2
            if data_lo > pad - h or data_hi < pad + n_out + h:
                cnt = (np.minimum(r + h, data_hi - 1) - np.maximum(r - h, data_lo) + 1).clip(min=1)
                hit = s > cnt.astype(np.float32)[:, None] * box.sum_thr[None, :]
            else:
                hit = s > np.float32(box.frames) * box.sum_thr
            if dec == 1:
                mask |= hit
            elif dec in coarse_hits:
                coarse_hits[dec] |= hit
            else:
                coarse_hits[dec] = hit
    for dec, hit in coarse_hits.items():
        mask |= np.repeat(hit, dec, axis=1)
    return mask


def detection_mask(ratio: np.ndarray, boxes: list[Box]) -> np.ndarray:
    """Cells where the box-mean of ``ratio`` (power over floor) exceeds the threshold at any scale.

    ``ratio``: ``(frames, bins)``. Boxes are truncated at the array's ends
    (mean of the cells inside). Returns a bool array of the same shape.
    """
    ratio = np.asarray(ratio, dtype=np.float32)
    pad = max(b.frames for b in boxes) // 2
    win = np.zeros((ratio.shape[0] + 2 * pad, ratio.shape[1]), dtype=np.float32)
    win[pad : pad + ratio.shape[0]] = ratio
    return mask_rows(win, boxes, pad, pad, pad + ratio.shape[0])
