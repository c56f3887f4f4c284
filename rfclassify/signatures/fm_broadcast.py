"""``fm-broadcast``: one VHF FM broadcast station — stereo multiplex with pilot and RDS, on the air without pause.

Physical link, with the public source of every number:

* **Band and raster, ITU Region 2 (US and Mexico)**: 87.8–108 MHz, channels
  200–300 at 87.9 + 0.2·(n − 200) MHz, i.e. 200 kHz apart on odd tenths
  (47 CFR 73.201; channel 200, 87.9 MHz, is for low-power and class D use); Mexico uses the same band and 200 kHz raster (IFT,
  "Disposición Técnica IFT-002-2016", FM broadcasting). Europe (ITU Region 1,
  GE84 plan) uses 87.5–108 MHz on a 100 kHz raster: a second band, so a
  European recording is not refused. Carrier tolerance ±2000 Hz (47 CFR
  73.1545(b)); a station draws an offset within ±300 Hz (*assumption*).
* **Modulation** (47 CFR 73.310 definitions, 73.322 stereophonic standards;
  ITU-R BS.450-3): frequency modulation, 100 % = ±75 kHz peak deviation.
  The baseband multiplex is the main channel (L+R)/2 (30 Hz–15 kHz), the
  19 kHz ±2 Hz pilot at 8–10 % of full deviation (9 % here), and the
  stereo difference (L−R)/2 as DSB with suppressed carrier at 38 kHz, the
  pilot's second harmonic, in phase with it. Pre-emphasis 75 µs in the
  Americas, 50 µs in Europe (ITU-R BS.450-3 §2).
* **RDS / RBDS** (IEC 62106-1 §4; NRSC-4-B): 1187.5 b/s (57 kHz / 48),
  differentially encoded, biphase symbols shaped by a cosine filter, DSB-SC
  on 57 kHz locked to the pilot's third harmonic, ±2.4 kHz wide. Injection
  2–5 % of full deviation (1.5–3.75 kHz; NRSC-4-B recommends ~2–4 kHz).
* **Occupied bandwidth**: Carson's rule with the 53 kHz top of the stereo
  multiplex gives 2·(75 + 53) = 256 kHz (ITU-R SM.1138: necessary bandwidth 256K0F8EHF); the
  47 CFR 73.317 emission limits (≥ 25 dB down 120–240 kHz from the carrier,
  ≥ 35 dB at 240–600 kHz) bound what lies beyond. At the loudness modelled
  here the 99 % power bandwidth measures 110–160 kHz: the instantaneous
  frequency stays within ±75 kHz, and the stereo subcarrier's sidebands
  spread it by tens of kHz more.
* **Continuous**: a station transmits 24 hours a day (timing ``continuous``).

The programme is synthetic (*assumption*, seeded): left and right are
Gaussian noise with a long-term spectrum falling above a corner of
0.3–1.5 kHz (first order), correlated so that (L−R) carries 10–60 % of the
amplitude of (L+R), with slow "syllabic" level variations (log-normal, 0–4
Hz), pre-emphasized, then processed as a broadcast chain does: clipped per
channel at a loudness where the RMS is 25–35 % of full scale, band-limited
to 15 kHz again, and normalized to 88 % of deviation at its peak (plus the 9 %
pilot and the RDS), so the composite peaks near 100 %. The drive into the
clipper (RMS 30–100 % of full scale) sets the loudness: the multiplex power
then lies between about +3 and +9 dBr (ITU-R BS.412-9: 0 dBr is the power of
a tone deviating ±19 kHz; Region 1 caps it at 0 dBr, US stations are not
capped and are processed louder), an RMS deviation of 20–37 kHz. Stereo (90 % of
stations) and RDS (70 %) are drawn per station. RDS bits are random (the
waveform, not the group contents, is modelled).

The station is one :class:`Burst` over the whole request, complex64 at
456 kS/s (8 × 57 kHz: pilot, subcarriers and RDS bits fall on whole samples;
what lies beyond ±228 kHz is more than 35 dB down, 47 CFR 73.317), built in 2 s pieces (each a whole number of RDS bits) with the
carrier phase, pilot phase and RDS bit stream continuous across pieces.

Builder parameters (``EmitRequest.params``): ``channel_hz`` (a channel of
the band), ``stereo`` (bool), ``rds`` (bool).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import resample_poly

from rfclassify.dsp.modulation import differential_encode, fm_modulate, lowpass_fft, rds_baseband
from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature

FS_HZ = 456e3
PEAK_DEVIATION_HZ = 75e3
PILOT_HZ = 19e3
PILOT_LEVEL = 0.09
AUDIO_LEVEL = 0.88
AUDIO_LOW_HZ = 30.0
AUDIO_TOP_HZ = 15e3
RDS_BIT_RATE_HZ = PILOT_HZ * 3 / 48
RDS_LEVEL = (0.02, 0.05)
#: Stereo multiplex top (38 + 15 kHz) and Carson's rule width.
MPX_TOP_HZ = 2 * PILOT_HZ + AUDIO_TOP_HZ
CARSON_BW_HZ = 2 * (PEAK_DEVIATION_HZ + MPX_TOP_HZ)
CHUNK_S = 2.0
#: Rate of the programme and RDS data before interpolation to ``FS_HZ`` (2 × 57 kHz).
AUDIO_FS_HZ = FS_HZ / 4
#: RMS of the programme's L and R before the clipper, as a share of full scale (assumption).
PROGRAMME_RMS = (0.3, 1.0)
CLIP_PASSES = 3
MAX_OFFSET_HZ = 300.0
PRE_EMPHASIS_S = {"FM": 75e-6, "FM-EU": 50e-6}


def _programme(rng: np.random.Generator, n: int, stereo: bool, tau_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic processed programme, ``n`` samples at :data:`AUDIO_FS_HZ`: ((L+R)/2, (L−R)/2), peaks ≈ 1."""
    f = np.fft.rfftfreq(n, 1.0 / AUDIO_FS_HZ)
    corner_hz = float(rng.uniform(300.0, 1500.0))
    shape = (1.0 / np.sqrt(1.0 + (f / corner_hz) ** 2)) * (1.0 + 2j * np.pi * f * tau_s)
    shape[(f < AUDIO_LOW_HZ) | (f > AUDIO_TOP_HZ)] = 0.0
    # What dynamics survive a broadcast compressor: slow log-normal level changes (assumption).
    slow = _unit_rms(lowpass_fft(rng.standard_normal(n), AUDIO_FS_HZ, 4.0))
    envelope = np.exp(float(rng.uniform(0.1, 0.3)) * slow)

    def channel() -> np.ndarray:
        return _unit_rms(np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * shape, n)) * envelope

    common = channel()
    diff = channel() * float(rng.uniform(0.1, 0.6)) if stereo else np.zeros(n)
    scale = float(rng.uniform(*PROGRAMME_RMS)) / float(np.sqrt(np.mean(common**2 + diff**2)))
    left, right = (common + diff) * scale, (common - diff) * scale
    # Clip and band-limit again, as a processor's clipper and 15 kHz filter do, until the
    # overshoot of the filter is small.
    for _ in range(CLIP_PASSES):
        left = lowpass_fft(np.clip(left, -1.0, 1.0), AUDIO_FS_HZ, AUDIO_TOP_HZ, AUDIO_LOW_HZ)
        right = lowpass_fft(np.clip(right, -1.0, 1.0), AUDIO_FS_HZ, AUDIO_TOP_HZ, AUDIO_LOW_HZ)
    return 0.5 * (left + right), 0.5 * (left - right)


def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x**2)))
    return x / rms if rms > 0 else x


def multiplex(
    rng: np.random.Generator,
    n: int,
    n0: int,
    stereo: bool,
    rds_bits: np.ndarray | None,
    rds_level: float,
    tau_s: float,
    pilot_phase: float,
) -> np.ndarray:
    """The baseband multiplex (peak ≈ 1 = 75 kHz) for samples ``n0 … n0 + n`` (at :data:`FS_HZ`) of the station.

    Programme and RDS data are made at :data:`AUDIO_FS_HZ` and interpolated; the
    pilot and subcarriers are computed at :data:`FS_HZ` from the station's
    sample index, so they stay phase-continuous across pieces.
    """
    up = round(FS_HZ / AUDIO_FS_HZ)
    n_audio = -(-n // up)
    total, difference = _programme(rng, n_audio, stereo, tau_s)
    rds = (
        rds_baseband(rds_bits, AUDIO_FS_HZ, n_audio, RDS_BIT_RATE_HZ)
        if rds_bits is not None
        else np.zeros(n_audio)
    )
    total, difference, rds = resample_poly(np.stack((total, difference, rds)), up, 1, axis=1)[:, :n]
    theta = 2 * np.pi * PILOT_HZ * (n0 + np.arange(n)) / FS_HZ + pilot_phase
    audio = total + difference * np.sin(2 * theta) if stereo else total
    mpx = audio * (AUDIO_LEVEL / float(np.max(np.abs(audio))))
    if stereo:
        mpx += PILOT_LEVEL * np.sin(theta)
    if rds_bits is not None:
        mpx += rds_level * rds * np.sin(3 * theta)
    return mpx


def _build(req: EmitRequest) -> list[Burst]:
    rng, p = req.rng, req.params
    channels = req.band.channels_hz
    channel_hz = float(p.get("channel_hz", channels[int(rng.integers(len(channels)))]))
    rf_hz = channel_hz + float(rng.uniform(-MAX_OFFSET_HZ, MAX_OFFSET_HZ))
    half = CARSON_BW_HZ / 2
    if not req.visible(rf_hz - half, rf_hz + half):
        return []
    stereo = bool(p.get("stereo", rng.random() < 0.9))
    rds = bool(p.get("rds", rng.random() < 0.7))
    rds_level = float(rng.uniform(*RDS_LEVEL))
    tau_s = PRE_EMPHASIS_S.get(req.band.name, 75e-6)
    pilot_phase = float(rng.uniform(0, 2 * np.pi))
    n_total = round(req.duration_s * FS_HZ)
    chunk = round(CHUNK_S * FS_HZ)
    bit_sps = round(FS_HZ / RDS_BIT_RATE_HZ)
    encoded = differential_encode(rng.integers(0, 2, n_total // bit_sps + 2)) if rds else None
    out = np.empty(n_total, dtype=np.complex64)
    phase = float(rng.uniform(0, 2 * np.pi))
    for n0 in range(0, n_total, chunk):
        n = min(chunk, n_total - n0)
        bits = encoded[n0 // bit_sps : (n0 + n) // bit_sps + 1] if encoded is not None else None
        mpx = multiplex(rng, n, n0, stereo, bits, rds_level, tau_s, pilot_phase)
        piece = fm_modulate(mpx, PEAK_DEVIATION_HZ, FS_HZ, phase)
        phase += 2 * np.pi * PEAK_DEVIATION_HZ / FS_HZ * float(np.sum(mpx))
        out[n0 : n0 + n] = piece
    meta = {"channel_hz": channel_hz, "stereo": stereo, "rds": rds, "pre_emphasis_s": tau_s}
    return [Burst(0.0, rf_hz, out, FS_HZ, rf_hz - half, rf_hz + half, "none", meta=meta)]


SIGNATURE = Signature(
    label="fm-broadcast",
    drone=False,
    link="none",
    bands=(
        Band("FM", 87.8e6, 108e6, tuple(87.9e6 + 0.2e6 * n for n in range(101))),
        Band("FM-EU", 87.5e6, 108e6, tuple(87.6e6 + 0.1e6 * n for n in range(204))),
    ),
    modulation="wideband FM ±75 kHz: stereo multiplex (L+R, 19 kHz pilot, L−R DSB-SC 38 kHz), RDS BPSK 1187.5 b/s at 57 kHz",
    bandwidth_hz=CARSON_BW_HZ,
    timing={
        "continuous": True,
        "peak_deviation_hz": PEAK_DEVIATION_HZ,
        "pilot_hz": PILOT_HZ,
        "stereo_subcarrier_hz": 2 * PILOT_HZ,
        "rds_subcarrier_hz": 3 * PILOT_HZ,
        "rds_bit_rate_hz": RDS_BIT_RATE_HZ,
        "channel_spacing_hz": 200e3,
    },
    builder=_build,
    description="FM broadcast station: ±75 kHz wideband FM stereo with 19 kHz pilot and RDS, 200 kHz raster, continuous",
    sources=(
        "47 CFR 73.201 (channels 87.9–107.9 MHz), 73.310, 73.322 (stereo pilot and subcarrier), 73.317 (emission limits)",
        "47 CFR 73.1545(b) (carrier tolerance); ITU-R BS.450-3 (deviation, pilot, pre-emphasis)",
        "IEC 62106-1 and NRSC-4-B (RDS/RBDS: 57 kHz, 1187.5 b/s, biphase, data shaping)",
        "IFT-002-2016 (Mexico FM band plan)",
    ),
    order=19,
)
