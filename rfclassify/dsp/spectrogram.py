"""Short-time power spectra: the one STFT everything (plots, detection, features) uses.

Pure functions. Frames are ``nfft`` samples, ``hop`` apart, Hann-windowed,
FFT-shifted so column 0 is the lowest frequency; power is normalised so that
white noise of variance σ² gives σ²/nfft per bin on average (bin powers sum
to the signal power), in float32.

FFTs go through :mod:`scipy.fft`, which transforms complex64 in single
precision (numpy's pocketfft promotes to complex128 and is several times
slower on batches of short frames).
"""

from __future__ import annotations

import numpy as np
import scipy.fft as _sfft

_WINDOWS: dict[int, np.ndarray] = {}


def hann(nfft: int) -> np.ndarray:
    """Periodic Hann window (float32), cached per length."""
    win = _WINDOWS.get(nfft)
    if win is None:
        win = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(nfft) / nfft)).astype(np.float32)
        _WINDOWS[nfft] = win
    return win


def frame_count(num_samples: int, nfft: int, hop: int) -> int:
    """Number of whole frames of ``nfft`` samples, ``hop`` apart, in ``num_samples`` samples."""
    return 0 if num_samples < nfft else 1 + (num_samples - nfft) // hop


def power_spectrogram(x: np.ndarray, nfft: int = 1024, hop: int | None = None) -> np.ndarray:
    """Power spectrogram of complex samples ``x``: shape ``(frames, nfft)``, float32, linear power.

    Frame ``k`` covers samples ``[k·hop, k·hop + nfft)``; columns run from
    −fs/2 to +fs/2 (FFT-shifted). Power is scaled so bins sum to the mean
    power of the frame's samples (window energy normalised).
    """
    hop = nfft if hop is None else hop
    x = np.asarray(x, dtype=np.complex64)
    n_frames = frame_count(len(x), nfft, hop)
    if n_frames == 0:
        return np.zeros((0, nfft), dtype=np.float32)
    if hop == nfft and x.flags.c_contiguous:
        frames = x[: n_frames * nfft].reshape(n_frames, nfft)
    else:
        frames = np.lib.stride_tricks.as_strided(
            x, shape=(n_frames, nfft), strides=(hop * x.strides[0], x.strides[0]), writeable=False
        )
    return _frame_power(frames, nfft)


def _frame_power(frames: np.ndarray, nfft: int) -> np.ndarray:
    """Windowed, FFT-shifted, normalised power of ``frames`` (last axis ``nfft`` samples), float32."""
    # Multiplying frame samples by (-1)^n shifts the spectrum by nfft/2 bins: fftshift for free.
    spec = _sfft.fft(frames * _shifting_window(nfft), axis=-1, overwrite_x=True)
    power = spec.real**2
    power += spec.imag**2
    power *= _scale(nfft)
    if nfft % 2:
        power = np.fft.fftshift(power, axes=-1)
    return power


_SHIFTING: dict[int, np.ndarray] = {}


def _shifting_window(nfft: int) -> np.ndarray:
    """Hann window times (−1)^n for even ``nfft`` (FFT-shifts the output), plain Hann for odd (cached)."""
    win = _SHIFTING.get(nfft)
    if win is None:
        win = hann(nfft)
        if nfft % 2 == 0:
            win = (win * np.where(np.arange(nfft) % 2, -1.0, 1.0)).astype(np.float32)
        _SHIFTING[nfft] = win
    return win


def _scale(nfft: int) -> np.float32:
    """Power normalisation: bins sum to the frame's mean power (window energy divided out)."""
    return np.float32(1.0 / (nfft * float(np.sum(hann(nfft).astype(np.float64) ** 2))))


def nfft_for_rate(sample_rate_hz: float, bin_hz: float = 10e3, lo: int = 32, hi: int = 8192) -> int:
    """Power-of-two FFT length whose bin width is nearest ``bin_hz`` (frames then last ≈ 1/bin_hz).

    Keeps time and frequency resolution the same in physical units across
    receivers: about 10 kHz bins and 100 µs frames at 250 kHz, 2.4 MS/s or 20 MS/s.
    """
    n = float(sample_rate_hz) / float(bin_hz)
    return int(min(hi, max(lo, 2 ** round(np.log2(max(n, 1.0))))))


def frequency_axis_hz(nfft: int, sample_rate_hz: float, center_freq_hz: float = 0.0) -> np.ndarray:
    """Centre frequency of each FFT-shifted column, in Hz (RF if ``center_freq_hz`` is given)."""
    return center_freq_hz + (np.arange(nfft) - nfft // 2) * (sample_rate_hz / nfft)


def to_db(power: np.ndarray, floor: float = 1e-20) -> np.ndarray:
    """10·log10 of linear power, clipped at ``floor`` (float32)."""
    return (10.0 * np.log10(np.maximum(power, floor))).astype(np.float32)


def power_spectrogram_rows(x: np.ndarray, nfft: int, hop: int | None = None) -> np.ndarray:
    """:func:`power_spectrogram` of every row of 2-D ``x`` (equal-length signals): shape ``(rows, frames, nfft)``."""
    hop = nfft if hop is None else hop
    x = np.ascontiguousarray(x, dtype=np.complex64)
    rows, n = x.shape
    n_frames = frame_count(n, nfft, hop)
    if n_frames == 0:
        return np.zeros((rows, 0, nfft), dtype=np.float32)
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(rows, n_frames, nfft), strides=(x.strides[0], hop * x.strides[1], x.strides[1]), writeable=False
    )
    return _frame_power(frames, nfft)
