"""Two-channel I/Q WAV recordings (SDR#, SDR++, HDSDR, SDRuno, GQRX, sox): left = I, right = Q.

Read through ``soundfile`` (libsndfile) with ``seek`` + ``read`` so a block
costs only its own frames, whatever the file size (RF64 included). The
sample rate is the WAV header's; the centre frequency comes from ``freq_hz``,
else from an ``auxi`` chunk, else from the file name
(:mod:`rfclassify.sources.names`: ``…_915000000Hz_…``, ``…_915MHz…``).

The ``auxi`` chunk (SpectraVue User Guide v3.18, Moetronix, "auxi chunk";
written by SDR#, HDSDR and SDRuno) starts with two Windows ``SYSTEMTIME``
structures (start and stop, 16 bytes each) followed by ``CenterFreq`` as a
little-endian 32-bit unsigned integer in Hz, so the centre sits at byte 32.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from rfclassify.errors import InputError
from rfclassify.sources.base import Capture, FileSource
from rfclassify.sources.names import resolve_rate_freq
from rfclassify.sources.sigmf_io import recording_info

# libsndfile subtype → the SigMF name of the equivalent complex datatype.
_SUBTYPES = {
    "PCM_U8": "cu8",
    "PCM_S8": "ci8",
    "PCM_16": "ci16_le",
    "PCM_24": "ci24_le",
    "PCM_32": "ci32_le",
    "FLOAT": "cf32_le",
    "DOUBLE": "cf64_le",
}


def auxi_center_freq_hz(path: str | os.PathLike[str]) -> float | None:
    """Centre frequency from a WAV's ``auxi`` chunk, or ``None`` if it has none.

    Walks the RIFF chunks before ``data`` only, so it reads a few hundred bytes.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
                return None
            for _ in range(64):
                chunk = fh.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    return None
                if cid == b"auxi":
                    body = fh.read(min(size, 64))
                    if len(body) < 36:
                        return None
                    freq = struct.unpack("<I", body[32:36])[0]
                    return float(freq) if freq > 0 else None
                fh.seek(size + (size & 1), os.SEEK_CUR)
    except OSError:
        return None
    return None


class WavSource(FileSource):
    """A two-channel I/Q WAV file, read in chunks through ``soundfile``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
    ) -> None:
        import soundfile as sf

        p = Path(path)
        self.path = str(p)
        if not p.is_file():
            raise InputError(p, "file not found")
        try:
            self._sf = sf.SoundFile(str(p), mode="r")
        except (RuntimeError, sf.LibsndfileError) as exc:  # type: ignore[attr-defined]
            raise InputError(p, f"not a readable WAV file ({exc})") from None
        if self._sf.channels != 2:
            ch = self._sf.channels
            self._sf.close()
            raise InputError(p, f"has {ch} channel(s); an I/Q WAV has 2 (I left, Q right)")
        rate, freq, hints = resolve_rate_freq(
            p,
            rate_hz=rate_hz,
            freq_hz=freq_hz,
            header_rate_hz=float(self._sf.samplerate),
            header_freq_hz=auxi_center_freq_hz(p),
        )
        n = int(self._sf.frames)
        self.captures = [Capture(0, freq, hints.datetime_utc)]
        datatype = _SUBTYPES.get(self._sf.subtype, self._sf.subtype.lower())
        self.info = recording_info("wav", datatype, rate, self.captures[0], n)

    def read(self, start: int, count: int) -> np.ndarray:
        """``count`` complex64 samples from ``start`` (I + jQ, full scale ±1)."""
        n = self.num_samples
        start = max(0, min(int(start), n))
        stop = max(start, min(start + int(count), n))
        if stop == start:
            return np.zeros(0, np.complex64)
        self._sf.seek(start)
        frames = self._sf.read(stop - start, dtype="float32", always_2d=True)
        return np.ascontiguousarray(frames[:, :2]).view(np.complex64)[:, 0]

    def close(self) -> None:
        self._sf.close()
