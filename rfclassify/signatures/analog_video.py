"""``analog-video``: FPV analog video transmitters — FM composite PAL/NTSC.

Physical link, with the public source of every number:

* **Composite video** — ITU-R BT.470-6 (625/50 "B,G/PAL" and 525/60 "M/NTSC")
  and ITU-R BT.1700: PAL 625 lines, line rate 15 625 Hz (64 µs), line sync
  4.7 µs, front porch 1.65 µs, active line 52 µs starting 10.5 µs after the
  sync edge, equalizing pulses 2.35 µs and broad (field-sync) pulses 27.3 µs
  at half-line spacing, 5 + 5 + 5 of them per field, 288 active lines per
  field, colour subcarrier 4.433 618 75 MHz with a 10-cycle burst 5.6 µs
  after the sync edge and V-axis switching line by line. NTSC 525 lines,
  15 734.264 Hz (63.556 µs), sync 4.7 µs, front porch 1.5 µs, active 52.6 µs
  from 9.4 µs, equalizing 2.3 µs, broad 27.1 µs, 6 + 6 + 6 per field, 242.5
  active lines per field, subcarrier 3.579 545 MHz with 9 cycles at 5.3 µs,
  7.5 IRE set-up. Levels: sync tip −0.3 V, blanking 0 V, white 0.7 V (NTSC
  −40/0/100 IRE, 140 IRE = 1 V).
* **Picture** — a 75 % colour-bar test pattern or a smooth random "scene"
  (sums of 2-D cosines; assumption: any camera image has this line/field
  structure, the content only shapes the active part).
* **FM** — positive modulation (white = higher frequency, as in ITU-R
  BT.1114-style FM-TV practice): the instantaneous frequency spans
  ±``dev_hz`` between sync tip and peak white; FPV transmitters use a peak
  deviation of 2.5–4 MHz (``SIGNATURES.md``; assumption, no datasheet states
  it). Audio is an FM subcarrier at 6.0 or 6.5 MHz (``SIGNATURES.md``) that
  deviates the main carrier by ±0.5 MHz (assumption) and carries a tone with
  ±50 kHz deviation (assumption). No pre-emphasis (CCIR 405 is not applied
  by cheap FPV transmitters: assumption). Measured 99 % occupied bandwidth:
  8–12 MHz for 2.5–4 MHz deviation (colour bars are wider than a natural
  scene); Carson's rule 2·(Δf + f_audio) gives 18–21 MHz, the channel width
  FPV receivers filter for. ``SIGNATURES.md``'s "~10–18 MHz" spans the two.
* **Channels** — 5.8 GHz bands A, B, E, F (Fatshark/Airwave) and R
  (Raceband) as tabulated by FPV firmware (Betaflight
  ``src/main/drivers/vtx_rtc6705.c`` frequency table, ArduPilot
  ``libraries/AP_VideoTX/AP_VideoTX.cpp`` ``VIDEO_CHANNELS``): 5645–5945 MHz;
  1.2/1.3 GHz band "1G3_A" 1080–1360 MHz in 40 MHz steps (ArduPilot table).

Efficient exact synthesis: a still picture makes the composite signal
periodic in the frame (40 ms PAL, 33.4 ms NTSC). Every periodic component
(colour subcarrier, audio subcarrier and tone, carrier phase advance) is
rounded to a whole number of cycles per frame — a change of at most half a
cycle per frame, i.e. ≤ 15 Hz, below any crystal tolerance — so one frame
of FM at 1536 samples per line (24 MS/s) is exactly periodic. Its FFT is
then the exact line spectrum of the endless emission; the receiver window's
bins are cut out and inverse-transformed at a low rate (a whole number of
samples per line), and the frame is tiled over the requested duration from a
random starting point. One frame costs about 0.1 s whatever the duration.
``power_fraction`` is the exact share of the spectrum's power in the slice,
and ``f_lo_hz``/``f_hi_hz`` the measured 99 % occupied bandwidth.

Builder parameters (``EmitRequest.params``): ``standard`` (``"PAL"`` or
``"NTSC"``), ``dev_hz`` (peak deviation, 2.5e6–4e6), ``audio_hz`` (6.0e6 or
6.5e6, 0 for none), ``pattern`` (``"bars"`` or ``"scene"``). Missing ones
are drawn from the generator. The emission is continuous: one burst from
t = 0 to the end of the request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature


@dataclass(frozen=True)
class VideoStandard:
    """Line and field timing of one composite video standard (seconds, volts)."""

    name: str
    lines: int
    line_rate_hz: float
    hsync_s: float
    front_porch_s: float
    active_start_s: float
    eq_pulse_s: float
    broad_pulse_s: float
    vsync_half_lines: int  # pre-equalizing = broad = post-equalizing pulses per field
    active_lines: int  # full active lines per field
    trailing_half_line: bool  # the field ends on half an active line (NTSC)
    subcarrier_hz: float
    burst_start_s: float
    burst_cycles: int
    burst_amplitude_v: float
    sync_v: float
    black_v: float
    white_v: float

    @property
    def line_s(self) -> float:
        """Line period in seconds."""
        return 1.0 / self.line_rate_hz

    @property
    def frame_s(self) -> float:
        """Frame (two fields) period in seconds."""
        return self.lines / self.line_rate_hz


PAL = VideoStandard(
    name="PAL",
    lines=625,
    line_rate_hz=15625.0,
    hsync_s=4.7e-6,
    front_porch_s=1.65e-6,
    active_start_s=10.5e-6,
    eq_pulse_s=2.35e-6,
    broad_pulse_s=27.3e-6,
    vsync_half_lines=5,
    active_lines=288,
    trailing_half_line=False,
    subcarrier_hz=4433618.75,
    burst_start_s=5.6e-6,
    burst_cycles=10,
    burst_amplitude_v=0.15,
    sync_v=-0.3,
    black_v=0.0,
    white_v=0.7,
)
NTSC = VideoStandard(
    name="NTSC",
    lines=525,
    line_rate_hz=4.5e6 / 286,  # 15 734.266 Hz (BT.470: f_H = 4.5 MHz / 286)
    hsync_s=4.7e-6,
    front_porch_s=1.5e-6,
    active_start_s=9.4e-6,
    eq_pulse_s=2.3e-6,
    broad_pulse_s=27.1e-6,
    vsync_half_lines=6,
    active_lines=242,
    trailing_half_line=True,
    subcarrier_hz=4.5e6 / 286 * 455 / 2,  # 3.579 545 MHz
    burst_start_s=5.3e-6,
    burst_cycles=9,
    burst_amplitude_v=20 / 140,
    sync_v=-40 / 140,
    black_v=7.5 / 140,
    white_v=100 / 140,
)
STANDARDS = {"PAL": PAL, "NTSC": NTSC}

SAMPLES_PER_LINE = 1536  # 24 MS/s for PAL: sidebands beyond ±12 MHz are below −50 dB
AUDIO_MAIN_DEV_HZ = 0.5e6  # assumption
AUDIO_TONE_HZ = 1e3
AUDIO_TONE_DEV_HZ = 50e3  # assumption
DEV_RANGE_HZ = (2.5e6, 4e6)
AUDIO_CHOICES_HZ = (6.0e6, 6.5e6)
OVERSAMPLE = 1.25
SLICE_MARGIN_HZ = 50e3

CH_58_MHZ = (
    (5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725),  # A
    (5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866),  # B
    (5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945),  # E
    (5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880),  # F
    (5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917),  # R (Raceband)
)
CH_13_MHZ = (1080, 1120, 1160, 1200, 1240, 1280, 1320, 1360)

BAND_58 = Band("5.8G", 5645e6, 5945e6, tuple(sorted({f * 1e6 for band in CH_58_MHZ for f in band})))
BAND_13 = Band("1.2G", 1080e6, 1360e6, tuple(f * 1e6 for f in CH_13_MHZ))

# 75 % colour bars (white, yellow, cyan, green, magenta, red, blue, black): R, G, B
_BARS_RGB = 0.75 * np.array(
    [[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]],
    dtype=float,
)


def _periodic(f_hz: float, period_s: float) -> float:
    """``f_hz`` rounded to a whole number of cycles per ``period_s``."""
    return round(f_hz * period_s) / period_s


def _picture_rgb(rng: np.random.Generator, pattern: str, n_lines: int, n_px: int) -> np.ndarray:
    """RGB picture in [0, 1], shape ``(3, n_lines, n_px)``."""
    if pattern == "bars":
        x = np.arange(n_px) / n_px
        rgb = _BARS_RGB[np.minimum((x * 8).astype(int), 7)].T  # (3, n_px)
        return np.broadcast_to(rgb[:, None, :], (3, n_lines, n_px))
    # A smooth scene needs no more than ~400 picture elements per line (≈ 4 MHz
    # of luma bandwidth); compute it there and interpolate linearly.
    n_coarse = min(n_px, 416)
    x = np.arange(n_coarse) / n_coarse
    y = np.arange(n_lines) / n_lines
    img = np.empty((3, n_lines, n_coarse))
    base = 0.55 - 0.25 * y[:, None] + np.zeros((1, n_coarse))  # a sky-to-ground gradient
    for c in range(3):
        acc = base.copy()
        for _ in range(4):
            fx, fy = rng.uniform(0.5, 6, 2)
            px, py = rng.uniform(0, 2 * np.pi, 2)
            amp = rng.uniform(0.05, 0.2)
            # cos(a + b) = cos a cos b − sin a sin b: separable, two outer products
            ax, ay = 2 * np.pi * fx * x + px, 2 * np.pi * fy * y + py
            acc += amp * (np.outer(np.cos(ay), np.cos(ax)) - np.outer(np.sin(ay), np.sin(ax)))
        img[c] = acc
    img = np.clip(img, 0.0, 1.0)
    if n_coarse == n_px:
        return img
    pos = np.arange(n_px) * (n_coarse - 1) / (n_px - 1)
    i0 = np.minimum(pos.astype(np.int64), n_coarse - 2)
    w = pos - i0
    return img[:, :, i0] * (1 - w) + img[:, :, i0 + 1] * w


def composite_frame(
    rng: np.random.Generator,
    std: VideoStandard,
    pattern: str,
    samples_per_line: int = SAMPLES_PER_LINE,
) -> tuple[np.ndarray, float]:
    """One frame of composite video in volts at ``samples_per_line·line_rate``: ``(v, fs_hz)``.

    Half-line grid: each field is ``vsync_half_lines`` equalizing, broad and
    equalizing half-lines, then blanked lines, then active lines; fields are
    an odd number of half-lines long, which interlaces them.
    """
    n = samples_per_line
    half = n // 2
    fs = n * std.line_rate_hz
    n_half = 2 * std.lines
    field_half = std.lines  # half-lines per field
    k = std.vsync_half_lines
    tail = 1 if std.trailing_half_line else 0
    blank_lines = (field_half - 3 * k - tail) // 2 - std.active_lines
    # Per half-line: sync pulse width (samples) and whether it is the first/second half of a picture line.
    sync_w = np.zeros(n_half, dtype=np.int64)
    first = np.zeros(n_half, dtype=bool)  # first half of a line (line sync, colour burst)
    active_first = np.zeros(n_half, dtype=bool)
    active_second = np.zeros(n_half, dtype=bool)
    for f0 in (0, field_half):
        h = np.arange(field_half) + f0
        pos = np.arange(field_half)
        eq = (pos < k) | ((pos >= 2 * k) & (pos < 3 * k))
        broad = (pos >= k) & (pos < 2 * k)
        sync_w[h[eq]] = round(std.eq_pulse_s * fs)
        sync_w[h[broad]] = round(std.broad_pulse_s * fs)
        rest = pos >= 3 * k
        line_first = rest & ((pos - 3 * k) % 2 == 0)
        sync_w[h[line_first]] = round(std.hsync_s * fs)
        first[h[line_first]] = True
        act0 = 3 * k + 2 * blank_lines
        is_act = pos >= act0
        active_first[h[is_act & line_first]] = True
        active_second[h[is_act & ~line_first]] = True
    v = np.zeros((n_half, half))
    col = np.arange(half)
    v[col[None, :] < sync_w[:, None]] = std.sync_v
    # Picture: lines are (first half, second half) pairs of active half-lines.
    a0 = round(std.active_start_s * fs)
    a1 = n - round(std.front_porch_s * fs)
    rows_first = np.flatnonzero(active_first)
    rows_first = rows_first[rows_first + 1 < n_half]
    rows_first = rows_first[active_second[rows_first + 1]]
    n_px = a1 - a0
    rgb = _picture_rgb(rng, pattern, len(rows_first), n_px)
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    u, w = 0.493 * (rgb[2] - luma), 0.877 * (rgb[0] - luma)
    gain = std.white_v - std.black_v
    t_line = np.arange(n) / fs
    f_sc = _periodic(std.subcarrier_hz, std.frame_s)
    t0 = (rows_first * half / fs)[:, None]  # line start times in the frame
    ph = 2 * np.pi * f_sc * (t0 + t_line[None, a0:a1])
    v_switch = (
        np.where((rows_first // 2) % 2 == 0, 1.0, -1.0)[:, None] if std.name == "PAL" else 1.0
    )
    picture = std.black_v + gain * (luma + u * np.sin(ph) + v_switch * w * np.cos(ph))
    lines = np.concatenate([v[rows_first], v[rows_first + 1]], axis=1)  # (n, line samples)
    lines[:, a0:a1] = picture
    v[rows_first], v[rows_first + 1] = lines[:, :half], lines[:, half:]
    # Colour burst on the back porch of every line-sync half-line.
    b0 = round(std.burst_start_s * fs)
    b1 = b0 + round(std.burst_cycles / std.subcarrier_hz * fs)
    rows_b = np.flatnonzero(first)
    tb = (rows_b * half / fs)[:, None] + t_line[None, b0:b1]
    burst_phase = np.pi * (
        1.0 + (np.where((rows_b // 2) % 2 == 0, 0.25, -0.25) if std.name == "PAL" else 0.0)
    )
    v[rows_b, b0:b1] += std.burst_amplitude_v * np.sin(
        2 * np.pi * f_sc * tb + np.atleast_1d(burst_phase)[:, None]
    )
    return v.reshape(-1), fs


def fm_frame(
    rng: np.random.Generator, std: VideoStandard, dev_hz: float, audio_hz: float, pattern: str
) -> tuple[np.ndarray, float]:
    """One frame of the FM transmitter's complex baseband, exactly periodic: ``(x, fs_hz)``."""
    v, fs = composite_frame(rng, std, pattern)
    frame_s = std.frame_s
    n = len(v)
    t = np.arange(n) / fs
    v_mid = 0.5 * (std.sync_v + std.white_v)
    f_hz = (v - v_mid) * (2 * dev_hz / (std.white_v - std.sync_v))
    if audio_hz > 0:
        fa = _periodic(audio_hz, frame_s)
        ft = _periodic(AUDIO_TONE_HZ, frame_s)
        beta = AUDIO_TONE_DEV_HZ / ft
        f_hz += AUDIO_MAIN_DEV_HZ * np.cos(2 * np.pi * fa * t + beta * np.sin(2 * np.pi * ft * t))
    # Round the carrier's phase advance per frame to whole cycles (a shift ≤ 1/(2·frame) Hz).
    cycles = f_hz.sum() / fs
    f_hz -= (cycles - round(cycles)) / frame_s
    phase = (2 * np.pi / fs) * np.cumsum(f_hz)
    phase += rng.uniform(0, 2 * np.pi)
    return np.exp(1j * phase), fs


def _occupied_edges_hz(
    power: np.ndarray, fs_hz: float, fraction: float = 0.99
) -> tuple[float, float]:
    """Edges (Hz from the carrier) holding ``fraction`` of the power of an unshifted FFT power spectrum."""
    freqs = np.fft.fftshift(np.fft.fftfreq(len(power), 1 / fs_hz))
    c = np.cumsum(np.fft.fftshift(power))
    c /= c[-1]
    tail = 0.5 * (1 - fraction)
    return float(freqs[np.searchsorted(c, tail)]), float(freqs[np.searchsorted(c, 1 - tail)])


def _param(req: EmitRequest, key: str, draw: object) -> object:
    value = req.params.get(key)
    return draw() if value is None else value  # type: ignore[operator]


def _build(req: EmitRequest) -> list[Burst]:
    rng = req.rng
    std = STANDARDS[str(_param(req, "standard", lambda: ("PAL", "NTSC")[int(rng.integers(2))]))]
    dev_hz = float(_param(req, "dev_hz", lambda: rng.uniform(*DEV_RANGE_HZ)))
    audio_hz = float(_param(req, "audio_hz", lambda: AUDIO_CHOICES_HZ[int(rng.integers(2))]))
    pattern = str(_param(req, "pattern", lambda: ("bars", "scene")[int(rng.integers(2))]))
    channels = req.band.channels_hz or (req.band.center_hz,)
    ch = int(rng.integers(len(channels)))
    fc = float(channels[ch])
    reach_hz = dev_hz + max(audio_hz, std.subcarrier_hz) + AUDIO_MAIN_DEV_HZ
    if not req.visible(fc - reach_hz, fc + reach_hz):
        return []

    x, fs = fm_frame(rng, std, dev_hz, audio_hz, pattern)
    n = len(x)
    spec = np.fft.fft(x)
    power = spec.real**2 + spec.imag**2
    total = float(power.sum())
    f_lo, f_hi = _occupied_edges_hz(power, fs)

    lines = std.lines
    if req.window_hz is None:
        y, fs_out, center_hz, fraction = x, fs, 0.0, 1.0
    else:
        lo = max(req.window_hz[0] - fc - SLICE_MARGIN_HZ, -fs / 2)
        hi = min(req.window_hz[1] - fc + SLICE_MARGIN_HZ, fs / 2)
        if hi <= lo:
            return []
        frame_s = std.frame_s
        per_line = min(
            len(x) // lines, int(np.ceil(OVERSAMPLE * (hi - lo) / std.line_rate_hz / 8)) * 8
        )
        m = per_line * lines
        fs_out = m / frame_s
        c = round(0.5 * (lo + hi) * frame_s)  # slice centre bin (bins are 1/frame apart)
        center_hz = c / frame_s
        bins = c + np.arange(-(m // 2), m - m // 2)
        keep = (bins / frame_s >= lo) & (bins / frame_s <= hi)
        sel = np.zeros(m, dtype=np.complex128)
        sel[keep] = spec[bins[keep] % n]
        fraction = float(np.sum(np.abs(sel) ** 2)) / total
        if fraction < 1e-9:
            return []
        y = np.fft.ifft(np.roll(sel, -(m // 2)))  # sel[i] is offset i − m//2 from the centre bin
    # Unit power over whole frames (a partial last frame changes it by < 1 %).
    y = (y / np.sqrt(np.mean(y.real**2 + y.imag**2))).astype(np.complex64)
    n_out = round(req.duration_s * fs_out)
    start = int(rng.integers(len(y)))
    reps = -(-(start + n_out) // len(y))
    samples = np.tile(y, reps)[start : start + n_out]
    return [
        Burst(
            t_start_s=0.0,
            rf_hz=fc + center_hz,
            samples=samples,
            sample_rate_hz=fs_out,
            f_lo_hz=fc + f_lo,
            f_hi_hz=fc + f_hi,
            link="video",
            power_fraction=fraction,
            meta={
                "channel_hz": fc,
                "standard": std.name,
                "dev_hz": dev_hz,
                "audio_hz": audio_hz,
                "pattern": pattern,
            },
        )
    ]


SIGNATURE = Signature(
    label="analog-video",
    drone=True,
    link="video",
    bands=(BAND_58, BAND_13),
    modulation="FM composite video (PAL/NTSC) with FM audio subcarrier",
    bandwidth_hz=10e6,
    timing={
        "line_rate_pal_hz": PAL.line_rate_hz,
        "line_rate_ntsc_hz": NTSC.line_rate_hz,
        "line_pal_s": PAL.line_s,
        "hsync_s": PAL.hsync_s,
        "frame_pal_s": PAL.frame_s,
        "frame_ntsc_s": NTSC.frame_s,
        "dev_range_hz": DEV_RANGE_HZ,
        "audio_subcarrier_hz": AUDIO_CHOICES_HZ,
        "continuous": True,
    },
    builder=_build,
    description="Analog FPV video: FM-modulated PAL/NTSC composite, 10–18 MHz wide, line-rate periodic.",
    sources=(
        "ITU-R BT.470-6 / BT.1700 (PAL, NTSC line and field timing)",
        "Betaflight src/main/drivers/vtx_rtc6705.c and ArduPilot libraries/AP_VideoTX (5.8 GHz and 1.3 GHz channels)",
    ),
    order=7,
    drone_models=(
        "Analog 5.8 GHz FPV quadcopters (racing, freestyle)",
        "Analog tiny whoops (BetaFPV, HappyModel)",
        "1.2/1.3 GHz long-range analog FPV (quadcopters, fixed-wing)",
    ),
    drone_model_sources=(
        "manufacturer product pages of analog 5.8 GHz video transmitters (TBS Unify Pro, RushFPV Tank) and analog BNF whoops (BetaFPV, HappyModel)",
        "1.2/1.3 GHz analog long-range FPV equipment listings",
    ),
)
