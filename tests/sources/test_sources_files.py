"""Raw IQ and I/Q WAV files: round trips, name tokens, overrides, block invariance, bounded memory."""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from rfclassify.errors import InputError
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.sources.raw import RawSource
from rfclassify.sources.wav import WavSource, auxi_center_freq_hz

STEP = {"cu8": 1 / 127.5, "ci8": 1 / 128, "ci16_le": 1 / 32768, "cf32_le": 0.0}


def _signal(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.uniform(-0.9, 0.9, n) + 1j * rng.uniform(-0.9, 0.9, n)).astype(np.complex64)


@pytest.mark.parametrize(("ext", "dt"), [
    ("cu8", "cu8"), ("cs8", "ci8"), ("cs16", "ci16_le"), ("cf32", "cf32_le"), ("cfile", "cf32_le"),
    ("fc32", "cf32_le"), ("complex16u", "cu8"), ("complex16s", "ci8"), ("complex32s", "ci16_le"),
])
def test_raw_round_trip_by_extension(tmp_path: Path, ext: str, dt: str) -> None:
    x = _signal(5003, seed=1)
    path = tmp_path / f"g001_433.92M_250k.{ext}"
    encode(x, datatype(dt)).tofile(path)
    with open_source(str(path)) as src:
        assert src.info.to_dict() == {
            "format": "raw", "datatype": dt, "sample_rate_hz": 250e3, "center_freq_hz": 433.92e6,
            "num_channels": 1, "num_samples": 5003, "duration_s": pytest.approx(5003 / 250e3),
            "datetime": None, "annotation_count": 0}
        y = src.read_all()
        assert y.dtype == np.complex64
        assert np.max(np.abs(y - x)) <= STEP[dt] * 0.71 + 1e-6  # half a step on I and on Q
        assert src.annotations == [] and src.captures[0].center_freq_hz == 433.92e6


@pytest.mark.parametrize("fmt", ["cu8", "cs8", "cs16", "cf32"])
def test_any_extension_with_explicit_format(tmp_path: Path, fmt: str) -> None:
    x = _signal(1000, seed=2)
    path = tmp_path / "capture.dat"
    encode(x, datatype(fmt)).tofile(path)
    with open_source(str(path), format=fmt, sample_rate_hz="2400k", center_freq_hz="915M") as src:
        assert (src.info.sample_rate_hz, src.info.center_freq_hz) == (2.4e6, 915e6)
        assert np.allclose(src.read_all(), x, atol=0.01)


def test_overrides_beat_name_tokens_and_format_beats_extension(tmp_path: Path) -> None:
    x = _signal(64)
    path = tmp_path / "g001_915M_2400k.cu8"
    encode(x, datatype("cs16")).tofile(path)  # mislabelled on purpose
    with open_source(str(path), format="cs16", sample_rate_hz=1e6, center_freq_hz="433.92M") as src:
        assert (src.info.sample_rate_hz, src.info.center_freq_hz, src.info.datatype) == (1e6, 433.92e6, "ci16_le")
        assert np.allclose(src.read_all(), x, atol=1e-4)


def test_name_time_reaches_the_blocks(tmp_path: Path) -> None:
    path = tmp_path / "SDRSharp_20230101_120000Z_915000000Hz_2.4Msps.cu8"
    encode(_signal(2000), datatype("cu8")).tofile(path)
    with open_source(str(path)) as src:
        assert src.info.datetime == "2023-01-01T12:00:00Z"
        blocks = list(src.blocks(1200))
        assert (blocks[1].time_utc - blocks[0].time_utc).total_seconds() == pytest.approx(1200 / 2.4e6)


@settings(max_examples=40, deadline=None)
@given(block=st.integers(1, 3000), start=st.integers(0, 6000), count=st.one_of(st.none(), st.integers(0, 7000)))
def test_block_size_invariance_raw(tmp_path_factory: pytest.TempPathFactory, block: int, start: int,
                                   count: int | None) -> None:
    d = tmp_path_factory.mktemp("raw")
    x = _signal(5000, seed=3)
    path = d / "g_915M_2400k.cs16"
    encode(x, datatype("cs16")).tofile(path)
    with RawSource(path) as src:
        whole = src.read_all()
        got = [b.samples for b in src.blocks(block, start=start, count=count)]
        stop = 5000 if count is None else start + count
        want = whole[start:stop]
        assert np.array_equal(np.concatenate(got) if got else np.zeros(0, np.complex64), want)
        whole_blocks, rest = divmod(len(want), block)
        assert [len(g) for g in got] == [block] * whole_blocks + ([rest] if rest else [])
        assert [b.sample_index for b in src.blocks(block, start=start, count=count)] == list(
            range(start, min(stop, 5000), block))


def _wav(path: Path, x: np.ndarray, rate: int, subtype: str) -> None:
    sf.write(path, np.stack([x.real, x.imag], axis=1), rate, subtype=subtype)


@pytest.mark.parametrize(("subtype", "dt", "tol"), [("PCM_16", "ci16_le", 2 / 32768), ("FLOAT", "cf32_le", 0.0)])
def test_wav_round_trip(tmp_path: Path, subtype: str, dt: str, tol: float) -> None:
    x = _signal(4001, seed=4)
    path = tmp_path / "SDRSharp_20230101_120000Z_915000000Hz_IQ.wav"
    _wav(path, x, 2_400_000, subtype)
    with open_source(str(path)) as src:
        assert isinstance(src, WavSource)
        assert src.info.to_dict() == {
            "format": "wav", "datatype": dt, "sample_rate_hz": 2.4e6, "center_freq_hz": 915e6,
            "num_channels": 1, "num_samples": 4001, "duration_s": pytest.approx(4001 / 2.4e6),
            "datetime": "2023-01-01T12:00:00Z", "annotation_count": 0}
        assert np.max(np.abs(src.read_all() - x)) <= tol * 1.5
        got = np.concatenate([b.samples for b in src.blocks(333, start=17, count=3000)])
        assert np.array_equal(got, src.read(17, 3000))


def test_wav_centre_from_auxi_chunk_and_freq_override(tmp_path: Path) -> None:
    x = _signal(100, seed=5)
    comps = np.rint(x.view(np.float32) * 32767).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 2, 1_000_000, 4_000_000, 4, 16)
    systime = struct.pack("<8H", 2024, 6, 1, 1, 12, 0, 0, 0)
    auxi = systime + systime + struct.pack("<5I", 433_920_000, 0, 0, 0, 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"auxi" + struct.pack("<I", len(auxi)) + auxi
    body += b"data" + struct.pack("<I", len(comps)) + comps
    path = tmp_path / "HDSDR_recording.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert auxi_center_freq_hz(path) == 433.92e6
    with open_source(str(path)) as src:
        assert (src.info.center_freq_hz, src.info.sample_rate_hz) == (433.92e6, 1e6)
        assert np.allclose(src.read_all(), x, atol=1e-4)
    with open_source(str(path), center_freq_hz="868M") as src:
        assert src.info.center_freq_hz == 868e6


def test_wav_errors(tmp_path: Path) -> None:
    mono = tmp_path / "mono_915MHz.wav"
    sf.write(mono, np.zeros(100, np.float32), 48000)
    with pytest.raises(InputError, match="1 channel"):
        open_source(str(mono))
    nofreq = tmp_path / "plain.wav"
    _wav(nofreq, _signal(10), 48000, "PCM_16")
    with pytest.raises(InputError, match=r"plain\.wav: unknown centre frequency"):
        open_source(str(nofreq))
    junk = tmp_path / "junk_915MHz.wav"
    junk.write_bytes(b"not a wav at all")
    with pytest.raises(InputError, match="not a readable WAV"):
        open_source(str(junk))


def test_base_name_opens_sigmf(tmp_path: Path) -> None:
    from rfclassify.sources.sigmf_io import write_sigmf

    write_sigmf(tmp_path / "rec", _signal(10), datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    with open_source(str(tmp_path / "rec")) as src:
        assert src.info.format == "sigmf" and src.info.num_samples == 10


@pytest.mark.parametrize(("name", "content", "kwargs", "message"), [
    ("x.xyz", b"\0" * 8, {}, r"unknown file type '\.xyz'.*--format"),
    ("capture.cu8", b"\0" * 8, {}, r"unknown sample rate .*and centre frequency"),
    ("capture.bin", b"\0" * 8, {"format": "cs16", "sample_rate_hz": "1M"}, "unknown centre frequency"),
    (None, None, {}, "file not found"),
])
def test_bad_files(tmp_path: Path, name: str | None, content: bytes | None, kwargs: dict, message: str) -> None:
    path = tmp_path / (name or "missing_915M_2400k.cu8")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        open_source(str(path), **kwargs)
    assert str(err.value).startswith(str(path))


def test_large_sparse_file_is_not_read_whole(tmp_path: Path) -> None:
    """A 2 GiB .cu8 opens and streams its head and tail without reading or allocating the whole file."""
    path = tmp_path / "big_915M_2400k.cu8"
    size = 2 << 30
    with open(path, "wb") as fh:
        fh.truncate(size)  # sparse: no disk blocks, reads return zeros
        fh.seek(size - 2)
        fh.write(bytes([255, 0]))
    tracemalloc.start()
    t0 = time.perf_counter()
    with open_source(str(path)) as src:
        n = src.info.num_samples
        assert n == size // 2
        head = [b for _, b in zip(range(3), src.blocks(1 << 16))]
        tail = list(src.blocks(1 << 16, start=n - 1000))
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [b.sample_index for b in head] == [0, 1 << 16, 2 << 16]
    assert np.allclose(head[0].samples, (0 - 127.5) / 127.5 * (1 + 1j))
    assert len(tail) == 1 and len(tail[0].samples) == 1000
    assert tail[0].samples[-1] == np.complex64(1 - 1j)
    assert peak < 32 << 20, f"peak Python allocation {peak / 2**20:.1f} MiB"
    assert elapsed < 5.0
