"""SigMF: writing (whole and streamed), reading pairs and archives, channels, captures, bad files."""

from __future__ import annotations

import json
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sigmf
from hypothesis import given, settings
from hypothesis import strategies as st

from rfclassify.errors import InputError
from rfclassify.sources import open_source
from rfclassify.sources.fileview import FileComponents
from rfclassify.sources.sigmf_io import (
    SigMFSource,
    SigMFWriter,
    parse_datetime,
    read_sigmf,
    validation_problems,
    write_archive,
    write_sigmf,
)

UTC = timezone.utc
# Largest read-back error of a full-scale-bounded signal: half a quantisation step.
QUANT = {"cu8": 0.5 / 127.5, "ci8": 0.5 / 128, "ci16_le": 0.5 / 32768, "cf32_le": 0.0}


def _signal(n: int, seed: int = 0, channels: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (n,) if channels == 1 else (n, channels)
    x = rng.uniform(-0.9, 0.9, shape) + 1j * rng.uniform(-0.9, 0.9, shape)
    return x.astype(np.complex64)


@pytest.mark.parametrize("dt", list(QUANT))
def test_round_trip_every_datatype(tmp_path: Path, dt: str) -> None:
    x = _signal(3001, seed=1)
    ann = {"core:sample_start": 100, "core:sample_count": 50, "core:label": "elrs-900",
           "core:freq_lower_edge": 914.75e6, "core:freq_upper_edge": 915.25e6, "rfclassify:snr_db": np.float32(7.5)}
    meta = write_sigmf(tmp_path / f"rec_{dt}", x, datatype=dt, sample_rate_hz=2.4e6, center_freq_hz=915e6,
                       annotations=[ann], datetime_utc=datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC),
                       description="test", hw="RTL-SDR v3", geolocation=(52.5, 13.4, 40.0))
    assert meta == tmp_path / f"rec_{dt}.sigmf-meta"
    with open_source(str(meta)) as src:
        y = src.read_all()
        assert y.dtype == np.complex64 and y.shape == x.shape
        assert np.max(np.abs(y.real - x.real)) <= QUANT[dt] + 1e-6
        assert np.max(np.abs(y.imag - x.imag)) <= QUANT[dt] + 1e-6
        info = src.info.to_dict()
        assert info == {"format": "sigmf", "datatype": dt, "sample_rate_hz": 2.4e6, "center_freq_hz": 915e6,
                        "num_channels": 1, "num_samples": 3001, "duration_s": pytest.approx(3001 / 2.4e6),
                        "datetime": "2024-05-06T07:08:09.25Z", "annotation_count": 1}
        assert src.annotations[0]["rfclassify:snr_db"] == 7.5
        assert src.metadata["core:hw"] == "RTL-SDR v3"
        assert src.metadata["core:geolocation"]["coordinates"] == [13.4, 52.5, 40.0]
        first = next(iter(src.blocks(1000)))
        assert first.time_utc == datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC)
        blocks = list(src.blocks(1000))
        assert blocks[1].time_utc == first.time_utc + timedelta(seconds=1000 / 2.4e6)


def test_sigmf_package_validates_what_we_write(tmp_path: Path) -> None:
    x = _signal(1000, seed=2)
    anns = [{"core:sample_start": s, "core:sample_count": 10, "core:label": "noise", "rfclassify:link": "none"}
            for s in (500, 20, 300)]  # out of order on purpose: SigMF wants them sorted
    meta = write_sigmf(tmp_path / "v", x, datatype="ci16_le", sample_rate_hz=1e6, center_freq_hz=433.92e6,
                       annotations=anns, datetime_utc=datetime(2024, 1, 1, tzinfo=UTC))
    handle = sigmf.fromfile(str(meta))  # checks core:sha512 against the data too
    handle.validate()
    doc = json.loads(meta.read_text())
    assert [a["core:sample_start"] for a in doc["annotations"]] == [20, 300, 500]
    assert {"name": "rfclassify", "version": "1.0.0", "optional": True} in doc["global"]["core:extensions"]
    assert validation_problems(doc) == []
    got = handle.read_samples()
    assert np.allclose(got, x, atol=2 / 32768)


def test_written_bytes_are_deterministic(tmp_path: Path) -> None:
    x = _signal(500, seed=3)
    kw = {"datatype": "cu8", "sample_rate_hz": 250e3, "center_freq_hz": 433.92e6,
          "annotations": [{"core:sample_start": 5, "core:sample_count": 9, "core:label": "ook-ism"}]}
    a = write_sigmf(tmp_path / "a", x, **kw)
    b = write_sigmf(tmp_path / "b.sigmf-meta", x, **kw)
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.sigmf-data").read_bytes() == (tmp_path / "b.sigmf-data").read_bytes()
    assert "datetime" not in a.read_text()


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    x = _signal(10)
    write_sigmf(tmp_path / "r", x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    before = (tmp_path / "r.sigmf-data").read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_sigmf(tmp_path / "r", 2 * x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    with pytest.raises(InputError, match="already exists"):
        SigMFWriter(tmp_path / "r.sigmf-data", datatype="cu8", sample_rate_hz=1e6, center_freq_hz=1e9)
    assert (tmp_path / "r.sigmf-data").read_bytes() == before
    write_sigmf(tmp_path / "r", 0.5 * x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9,
                overwrite=True)
    assert np.allclose(read_sigmf(tmp_path / "r")[0], 0.5 * x)


def test_streaming_writer_is_invisible_until_closed(tmp_path: Path) -> None:
    x = _signal(4000, seed=4)
    w = SigMFWriter(tmp_path / "s", datatype="ci8", sample_rate_hz=2e6, center_freq_hz=868e6)
    for i in range(0, 4000, 700):
        w.write(x[i : i + 700])
    assert not (tmp_path / "s.sigmf-meta").exists()
    assert not (tmp_path / "s.sigmf-data").exists()
    assert (tmp_path / "s.sigmf-data.partial").stat().st_size == 8000
    w.add_annotation({"core:sample_start": 10, "core:sample_count": 5, "core:label": "noise"})
    w.close()
    assert not (tmp_path / "s.sigmf-data.partial").exists()
    y, meta = read_sigmf(tmp_path / "s.sigmf-meta")
    assert np.max(np.abs(y - x)) <= 2 * QUANT["ci8"]
    assert meta["annotations"][0]["core:label"] == "noise"


def test_streaming_writer_discards_on_error_keeps_on_ctrl_c(tmp_path: Path) -> None:
    x = _signal(100)
    with pytest.raises(RuntimeError), SigMFWriter(tmp_path / "e", datatype="cu8", sample_rate_hz=1e6,
                                                  center_freq_hz=1e8) as w:
        w.write(x)
        raise RuntimeError("receiver died")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with pytest.raises(KeyboardInterrupt), SigMFWriter(tmp_path / "k", datatype="cu8", sample_rate_hz=1e6,
                                                       center_freq_hz=1e8) as w:
        w.write(x)
        raise KeyboardInterrupt
    assert read_sigmf(tmp_path / "k")[0].shape == (100,)


def test_writer_rejects_wrong_shapes_and_types(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="datatype"):
        SigMFWriter(tmp_path / "t", datatype="ri16_le", sample_rate_hz=1e6, center_freq_hz=1e8)
    with SigMFWriter(tmp_path / "t", datatype="cu8", sample_rate_hz=1e6, center_freq_hz=1e8,
                     num_channels=2) as w:
        with pytest.raises(ValueError, match="channel"):
            w.write(_signal(10))
        with pytest.raises(ValueError, match="ascending"):
            w.add_capture(5, 1e8)
            w.add_capture(2, 1e8)


def test_multichannel_interleaved(tmp_path: Path) -> None:
    x = _signal(2000, seed=5, channels=3)
    meta = write_sigmf(tmp_path / "mc", x, datatype="ci16_le", sample_rate_hz=1e6, center_freq_hz=2.4e9)
    raw = np.fromfile(tmp_path / "mc.sigmf-data", dtype="<i2")
    # SigMF interleaving: I0 Q0 I1 Q1 I2 Q2 of sample 0, then sample 1 …
    assert raw[2] == np.rint(x[0, 1].real * 32768) and raw[3] == np.rint(x[0, 1].imag * 32768)
    with open_source(str(meta)) as src:
        assert src.info.num_channels == 3
        blocks = list(src.blocks(777))
        assert len(blocks) == 3
        assert all(b.samples.shape[1] == 3 and b.num_channels == 3 for b in blocks)
        y = np.concatenate([b.samples for b in blocks])
        assert np.max(np.abs(y - x)) <= 2 * QUANT["ci16_le"]


def _multi_capture(tmp_path: Path) -> tuple[Path, np.ndarray]:
    x = _signal(10_000, seed=6)
    t0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    caps = [{"core:sample_start": 0, "core:frequency": 903.5e6, "core:datetime": "2024-03-01T12:00:00Z"},
            {"core:sample_start": 3333, "core:frequency": 904.1e6},
            {"core:sample_start": 7000, "core:frequency": 904.7e6, "core:datetime": t0 + timedelta(seconds=5)}]
    meta = write_sigmf(tmp_path / "hop", x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=903.5e6,
                       captures=caps)
    return meta, x


def test_multi_capture_blocks_never_straddle(tmp_path: Path) -> None:
    meta, x = _multi_capture(tmp_path)
    sigmf.fromfile(str(meta)).validate()
    with open_source(str(meta)) as src:
        assert [c.sample_start for c in src.captures] == [0, 3333, 7000]
        blocks = list(src.blocks(1000))
        for b in blocks:
            end = b.sample_index + len(b.samples)
            want = 903.5e6 if end <= 3333 else 904.1e6 if b.sample_index >= 3333 and end <= 7000 else 904.7e6
            assert b.sample_index >= 7000 or end <= 7000
            assert b.sample_index >= 3333 or end <= 3333
            assert b.center_freq_hz == want
        assert [b.sample_index for b in blocks][:5] == [0, 1000, 2000, 3000, 3333]
        assert np.array_equal(np.concatenate([b.samples for b in blocks]), x)
        by_start = {b.sample_index: b for b in blocks}
        assert by_start[1000].time_utc == datetime(2024, 3, 1, 12, 0, 0, 1000, tzinfo=UTC)
        assert by_start[3333].time_utc is None  # that capture gave no time
        assert by_start[7000].time_utc == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)


@settings(max_examples=40, deadline=None)
@given(block=st.integers(1, 4000), start=st.integers(0, 9999), count=st.integers(0, 12000))
def test_block_size_invariance_sigmf(tmp_path_factory: pytest.TempPathFactory, block: int, start: int,
                                     count: int) -> None:
    d = tmp_path_factory.mktemp("inv")
    meta, x = _multi_capture(d)
    with SigMFSource(meta) as src:
        got = [b.samples for b in src.blocks(block, start=start, count=count)]
        want = x[start : start + count]
        assert np.array_equal(np.concatenate(got) if got else np.zeros(0, np.complex64), want)
        sizes = [len(g) for g in got]
        assert bool(sizes) == bool(len(want))  # blocks exactly when there are samples to give
        assert max(sizes, default=0) <= block and 0 not in sizes


def test_archive_read_in_place(tmp_path: Path) -> None:
    meta, x = _multi_capture(tmp_path)
    arch = write_archive(meta, tmp_path / "hop_archive")
    assert arch.name == "hop_archive.sigmf"
    with tarfile.open(arch) as tar:
        assert sorted(tar.getnames()) == ["hop_archive/hop_archive.sigmf-data", "hop_archive/hop_archive.sigmf-meta"]
    with open_source(str(arch)) as src:
        assert src.info.format == "sigmf-archive"
        assert isinstance(src, SigMFSource) and isinstance(src._mm, FileComponents)  # read in place, not extracted
        assert np.array_equal(src.read_all(), x)
        assert [c.center_freq_hz for c in src.captures] == [903.5e6, 904.1e6, 904.7e6]
        assert np.array_equal(src.read(4000, 10), x[4000:4010])
    assert np.allclose(sigmf.fromarchive(str(arch)).read_samples(), x)
    with pytest.raises(InputError, match="already exists"):
        write_archive(meta, arch)


def test_archive_made_by_the_sigmf_package(tmp_path: Path) -> None:
    x = _signal(256, seed=7)
    meta = write_sigmf(tmp_path / "p", x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    handle = sigmf.fromfile(str(meta))
    handle.archive(str(tmp_path / "pkg.sigmf"))
    with open_source(str(tmp_path / "pkg.sigmf")) as src:
        assert np.array_equal(src.read_all(), x)


@pytest.mark.parametrize(("dt", "dtype", "offset", "scale"), [
    ("ci16_be", ">i2", 0.0, 32768.0),
    ("cf32_be", ">f4", 0.0, 1.0),
    ("cu16_le", "<u2", 32767.5, 32767.5),
    ("cf64_le", "<f8", 0.0, 1.0),
])
def test_reads_other_datatypes(tmp_path: Path, dt: str, dtype: str, offset: float, scale: float) -> None:
    x = _signal(300, seed=8)
    comp = x.view(np.float32).astype(np.float64) * scale + offset
    if np.dtype(dtype).kind in "iu":
        comp = np.rint(comp)
    comp.astype(dtype).tofile(tmp_path / "o.sigmf-data")
    (tmp_path / "o.sigmf-meta").write_text(json.dumps({
        "global": {"core:datatype": dt, "core:sample_rate": 1e6, "core:version": "1.2.0"},
        "captures": [{"core:sample_start": 0, "core:frequency": 1e8}], "annotations": []}))
    with open_source(str(tmp_path / "o.sigmf-data")) as src:
        assert src.info.datatype == dt
        assert np.max(np.abs(src.read_all() - x)) <= 1.0 / scale + 1e-6


def _meta(tmp_path: Path, glob: dict | None = None, caps: list | None = None, anns: list | None = None,
          data_bytes: int | None = 80) -> Path:
    g = {"core:datatype": "ci16_le", "core:sample_rate": 1e6, "core:version": "1.2.0", **(glob or {})}
    doc = {"global": g, "captures": caps if caps is not None else [{"core:sample_start": 0, "core:frequency": 1e8}],
           "annotations": anns or []}
    meta = tmp_path / "bad.sigmf-meta"
    meta.write_text(json.dumps(doc))
    if data_bytes is not None:
        (tmp_path / "bad.sigmf-data").write_bytes(bytes(data_bytes))
    return meta


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"data_bytes": None}, "dataset bad.sigmf-data is missing"),
    ({"glob": {"core:datatype": "ri16_le"}}, "unsupported datatype 'ri16_le'"),
    ({"glob": {"core:datatype": "cf16_le"}}, "unsupported datatype"),
    ({"caps": [{"core:sample_start": 0}]}, r"no centre frequency .*--freq"),
    ({"glob": {"core:sample_rate": None}}, r"no sample rate .*--rate"),
])
def test_bad_sigmf_files(tmp_path: Path, kwargs: dict, message: str) -> None:
    glob = kwargs.pop("glob", None)
    if glob and glob.get("core:sample_rate", 1) is None:
        glob = {}
        meta = _meta(tmp_path, **kwargs)
        doc = json.loads(meta.read_text())
        del doc["global"]["core:sample_rate"]
        meta.write_text(json.dumps(doc))
    else:
        meta = _meta(tmp_path, glob=glob, **kwargs)
    with pytest.raises(InputError, match=message) as err:
        open_source(str(meta))
    assert "bad.sigmf" in str(err.value)


def test_invalid_json_and_compressed_archive(tmp_path: Path) -> None:
    meta = tmp_path / "j.sigmf-meta"
    meta.write_text('{"global": {"core:datatype": "cu8",}')
    (tmp_path / "j.sigmf-data").write_bytes(bytes(8))
    with pytest.raises(InputError, match=r"j\.sigmf-meta: invalid JSON at line 1"):
        open_source(str(meta))
    gz = tmp_path / "z.sigmf"
    with tarfile.open(gz, "w:gz") as tar:
        tar.add(meta, arcname="z/z.sigmf-meta")
    with pytest.raises(InputError, match="not an uncompressed SigMF tar"):
        open_source(str(gz))


def test_schema_problems_are_reported_not_fatal(tmp_path: Path) -> None:
    meta = _meta(tmp_path, glob={"core:version": "one"})
    with open_source(str(meta)) as src:
        assert src.info.num_samples == 20
        assert any("core:version" in p for p in src.problems)


def test_parse_datetime_variants() -> None:
    want = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert parse_datetime("2024-01-02T03:04:05.123456789Z") == want
    assert parse_datetime("2024-01-02T04:04:05.123456+01:00") == want
    assert parse_datetime("2024-01-02T03:04:05Z") == want.replace(microsecond=0)
