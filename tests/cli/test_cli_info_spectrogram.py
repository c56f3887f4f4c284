"""``rfclassify info`` and ``rfclassify spectrogram`` end to end, the waterfall maths, and bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.dsp.spectrogram import power_spectrogram
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.viz import compute_waterfall, plot_spectrogram

KEYS = ["format", "datatype", "sample_rate_hz", "center_freq_hz", "num_channels", "num_samples", "duration_s",
        "datetime", "annotation_count", "droneid_frames"]
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _tone(n: int, rate_hz: float, offset_hz: float, amp: float = 0.5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate_hz
    noise = 0.01 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return (amp * np.exp(2j * np.pi * offset_hz * t) + noise).astype(np.complex64)


@pytest.mark.parametrize(("name", "dt", "extra"), [
    ("g001_915M_2400k.cu8", "cu8", []),
    ("g001_915M_2400k.cs8", "ci8", []),
    ("g001_915M_2400k.cs16", "ci16_le", []),
    ("g001_915M_2400k.cf32", "cf32_le", []),
    ("dump.bin", "ci16_le", ["--format", "cs16", "--rate", "2400k", "--freq", "0.915G"]),
])
def test_info_json_raw(tmp_path: Path, name: str, dt: str, extra: list[str]) -> None:
    path = tmp_path / name
    encode(_tone(4800, 2.4e6, 1e5), datatype(dt)).tofile(path)
    code, out, err = _run("info", str(path), "-F", "json", *extra)
    assert code == 0, err
    info = json.loads(out)
    assert list(info) == KEYS
    assert info == {"format": "raw", "datatype": dt, "sample_rate_hz": 2.4e6, "center_freq_hz": 915e6,
                    "num_channels": 1, "num_samples": 4800, "duration_s": pytest.approx(0.002),
                    "datetime": None, "annotation_count": 0, "droneid_frames": []}


@pytest.mark.parametrize("dt", ["cu8", "ci8", "ci16_le", "cf32_le"])
def test_info_json_sigmf_and_table(tmp_path: Path, dt: str) -> None:
    x = np.stack([_tone(1000, 1e6, 1e4), _tone(1000, 1e6, -1e4, seed=1)], axis=1)
    anns = [{"core:sample_start": 100, "core:sample_count": 200, "core:label": "elrs-900",
             "core:freq_lower_edge": 914.75e6, "core:freq_upper_edge": 915.25e6}]
    meta = write_sigmf(tmp_path / "r", x, datatype=dt, sample_rate_hz=1e6, center_freq_hz=915e6, annotations=anns,
                       captures=[{"core:sample_start": 0, "core:frequency": 915e6,
                                  "core:datetime": "2024-01-01T00:00:00Z"},
                                 {"core:sample_start": 600, "core:frequency": 916e6}])
    code, out, _ = _run("info", str(meta), "-F", "json")
    assert code == 0
    assert json.loads(out) == {"format": "sigmf", "datatype": dt, "sample_rate_hz": 1e6, "center_freq_hz": 915e6,
                               "num_channels": 2, "num_samples": 1000, "duration_s": 0.001,
                               "datetime": "2024-01-01T00:00:00Z", "annotation_count": 1, "droneid_frames": []}
    code, out, _ = _run("info", str(tmp_path / "r.sigmf-data"))
    assert code == 0
    assert "captures (2):" in out and "916.000000 MHz" in out
    assert "914.750–915.250 MHz  elrs-900" in out
    assert "channels          2" in out


def test_info_rate_and_freq_accept_units(tmp_path: Path) -> None:
    path = tmp_path / "x.iq"
    encode(_tone(100, 1e6, 0), datatype("cf32")).tofile(path)
    for rate, freq in (("2.4M", "2.4G"), ("2400k", "2400M"), ("2.4e6", "2400000000")):
        code, out, _ = _run("info", str(path), "--format", "cf32", "--rate", rate, "--freq", freq, "-F", "json")
        assert code == 0
        assert (json.loads(out)["sample_rate_hz"], json.loads(out)["center_freq_hz"]) == (2.4e6, 2.4e9)


def test_spectrogram_writes_a_labelled_png(tmp_path: Path) -> None:
    rate = 2.4e6
    x = _tone(240_000, rate, 300e3)
    meta = write_sigmf(tmp_path / "t", x, datatype="cu8", sample_rate_hz=rate, center_freq_hz=915e6,
                       annotations=[{"core:sample_start": 0, "core:sample_count": 240_000, "core:label": "tone",
                                     "core:freq_lower_edge": 915.29e6, "core:freq_upper_edge": 915.31e6}])
    out = tmp_path / "t.png"
    code, stdout, err = _run("spectrogram", str(meta), "-o", str(out), "--nfft", "512", "--start", "10ms",
                             "--duration", "50ms")
    assert code == 0, err
    assert f"wrote {out}" in stdout
    import matplotlib.image

    img = matplotlib.image.imread(out)
    assert img.ndim == 3 and img.shape[0] > 400 and img.shape[1] > 600
    assert img[..., :3].std() > 0.05  # a picture, not a blank canvas


def test_spectrogram_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    path = tmp_path / "capture.png"  # an IQ recording that happens to end in .png
    encode(_tone(20_000, 1e6, 1e5), datatype("cu8")).tofile(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    code, _, err = _run("spectrogram", str(path), "--format", "cu8", "--rate", "1M", "--freq", "100M",
                        "-o", str(path))
    assert code == 2
    assert "refusing to overwrite" in err and str(path) in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_waterfall_puts_tone_and_burst_where_they_are() -> None:
    rate, nfft = 1e6, 256
    n = 200_000
    x = _tone(n, rate, 250e3, amp=0.0)
    k = np.arange(50_000, 51_000)
    x[k] += 0.5 * np.exp(2j * np.pi * -125e3 * k / rate)  # 1 ms burst at 50 ms, -125 kHz
    from rfclassify.sources.base import Capture, FileSource, SourceInfo

    class MemSource(FileSource):  # an in-memory recording: the waterfall needs only read()
        def __init__(self, data: np.ndarray) -> None:
            self.data, self.path = data, "mem"
            self.captures = [Capture(0, 915e6)]
            self.info = SourceInfo("raw", "cf32_le", rate, 915e6, 1, len(data), len(data) / rate, None, 0)

        def read(self, start: int, count: int) -> np.ndarray:
            return self.data[start : start + count]

    src = MemSource(x)
    wf_max = compute_waterfall(src, nfft=nfft, max_rows=100, mode="max")
    wf_mean = compute_waterfall(src, nfft=nfft, max_rows=100, mode="mean")
    frames = n // nfft
    per_row = -(-frames // 100)
    assert wf_max.power.shape == (-(-frames // per_row), nfft) and wf_max.frames_per_row == per_row
    row = int(0.0505 / wf_max.row_s)
    col = int(np.argmax(wf_max.power[row]))
    assert wf_max.freqs_hz[col] == pytest.approx(915e6 - 125e3, abs=rate / nfft)
    # max-hold keeps the burst's peak; averaging dilutes it by about the frames per row it misses
    ratio = wf_max.power[row, col] / wf_mean.power[row, col]
    assert 2.0 < ratio < 2.0 * per_row
    # folding equals a direct spectrogram of the same span
    direct = power_spectrogram(x[: frames * nfft], nfft)
    assert np.allclose(wf_max.power[0], direct[:per_row].max(axis=0), rtol=1e-5)
    assert np.allclose(wf_mean.power[1], direct[per_row : 2 * per_row].mean(axis=0), rtol=1e-4, atol=1e-12)


def test_waterfall_is_independent_of_capture_splits(tmp_path: Path) -> None:
    """Blocks split at capture boundaries that are not multiples of nfft must not change the picture."""
    x = _tone(50_000, 1e6, 1e5)
    caps = [{"core:sample_start": 0, "core:frequency": 1e9}, {"core:sample_start": 12_345, "core:frequency": 1e9}]
    a = write_sigmf(tmp_path / "a", x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9, captures=caps)
    b = write_sigmf(tmp_path / "b", x, datatype="cf32_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    with open_source(str(a)) as sa, open_source(str(b)) as sb:
        wa = compute_waterfall(sa, nfft=128, max_rows=50, mode="mean")
        wb = compute_waterfall(sb, nfft=128, max_rows=50, mode="mean")
    assert np.allclose(wa.power, wb.power, rtol=1e-5)
    assert wa.center_freq_hz == 1e9


def test_plot_into_given_axes_with_annotations(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    x = _tone(100_000, 1e6, 1e5)
    anns = [{"core:sample_start": 10_000, "core:sample_count": 5_000, "core:label": "dsmx",
             "core:freq_lower_edge": 1e9 + 0.9e5, "core:freq_upper_edge": 1e9 + 1.1e5},
            {"core:sample_start": 90_000, "core:sample_count": 1_000, "core:label": "wifi"}]
    meta = write_sigmf(tmp_path / "g", x, datatype="ci16_le", sample_rate_hz=1e6, center_freq_hz=1e9,
                       annotations=anns)
    fig = Figure()
    axes = fig.subplots(1, 2)
    with open_source(str(meta)) as src:
        assert plot_spectrogram(src, ax=axes[0]) is fig
        plot_spectrogram(src, ax=axes[1], start_s=0.0, duration_s=0.05)
    assert len(axes[0].patches) == 2
    legend = {t.get_text() for t in axes[0].get_legend().get_texts()}
    assert legend == {"truth: dsmx", "truth: wifi"}  # labels in the legend, not on the bursts
    assert len(axes[1].patches) == 1  # the second annotation starts after 50 ms
    rect = axes[0].patches[0]
    # The outline encloses the annotated box (90-110 kHz, 10-15 ms) with a margin, not on its edge.
    x0, y0 = rect.get_x(), rect.get_y()
    x1, y1 = x0 + rect.get_width(), y0 + rect.get_height()
    assert x0 < 1000.09 and x1 > 1000.11 and y0 < 0.01 and y1 > 0.015
    assert x1 - x0 < 0.1 and y1 - y0 < 0.05
    assert axes[0].get_xlabel() == "frequency (MHz)" and axes[0].get_ylabel() == "time (s)"


def test_plot_draws_found_bursts_and_tags_emitters(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    x = _tone(100_000, 1e6, 1e5)
    meta = write_sigmf(tmp_path / "g", x, datatype="ci16_le", sample_rate_hz=1e6, center_freq_hz=1e9)
    bursts = [{"t_start_s": 0.01 * k, "t_end_s": 0.01 * k + 0.002, "freq_hz": 1e9 + 1e5, "bandwidth_hz": 2e4,
               "label": "elrs-900" if k < 3 else "unknown"} for k in range(5)]
    emitters = [{"t_start_s": 0.0, "t_end_s": 0.03, "freq_hz": 1e9 + 1e5, "bandwidth_hz": 2e4, "label": "elrs-900"},
                {"t_start_s": 0.03, "t_end_s": 0.05, "freq_hz": 1e9 + 1e5, "bandwidth_hz": 2e4, "label": "unknown"}]
    fig = Figure()
    ax = fig.subplots()
    with open_source(str(meta)) as src:
        plot_spectrogram(src, ax=ax, annotations=[], bursts=bursts, emitters=emitters)
    assert len(ax.patches) == 5
    assert [t.get_text() for t in ax.texts] == ["#1 elrs-900", "#2 unknown"]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"found: elrs-900", "found: unknown"}
    colours = {p.get_label(): p.get_edgecolor() for p in ax.patches}
    assert colours["found: elrs-900"] != colours["found: unknown"]


def test_spectrogram_classify_draws_what_was_found(tmp_path: Path) -> None:
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    receiver = rtlsdr(915.0e6, 2.4e6)
    scene = Scene([EmitterSpec("elrs-900", snr_db=15.0, band="FCC915", params={"rate_hz": 200})], receiver,
                  duration_s=0.3)
    rendered = render(scene, np.random.default_rng(3), keep_components=False)
    meta = write_sigmf(tmp_path / "s", rendered.samples, datatype="cu8", sample_rate_hz=2.4e6,
                       center_freq_hz=915e6, annotations=rendered.annotations)
    out = tmp_path / "found.png"
    code, _, stderr = _run("spectrogram", str(meta), "-o", str(out), "--classify")
    assert code == 0, stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = tmp_path / "plain.png"
    assert _run("spectrogram", str(meta), "-o", str(plain))[0] == 0
    assert plain.read_bytes() != out.read_bytes()  # the found bursts were drawn


def _bad_cases(tmp_path: Path) -> list[tuple[list[str], str]]:
    def put(name: str, data: bytes) -> str:
        p = tmp_path / name
        p.write_bytes(data)
        return str(p)

    meta_ok = {"global": {"core:datatype": "cu8", "core:sample_rate": 1e6, "core:version": "1.2.0"},
               "captures": [{"core:sample_start": 0, "core:frequency": 1e8}], "annotations": []}
    nodata = put("nodata.sigmf-meta", json.dumps(meta_ok).encode())
    badjson = put("badjson.sigmf-meta", b"{ not json")
    put("badjson.sigmf-data", bytes(20))
    unsup = put("unsup.sigmf-meta", json.dumps({**meta_ok, "global": {
        **meta_ok["global"], "core:datatype": "ri8"}}).encode())
    put("unsup.sigmf-data", bytes(20))
    return [
        (["info", put("x.xyz", bytes(8))], "unknown file type"),
        (["info", nodata], "is missing"),
        (["info", badjson], "invalid JSON"),
        (["info", unsup], "unsupported datatype"),
        (["info", put("norate.cu8", bytes(8))], "unknown sample rate"),
        (["info", put("nofreq_2400k.cu8", bytes(8))], "unknown centre frequency"),
        (["info", str(tmp_path / "absent_915M_2400k.cu8")], "file not found"),
        (["spectrogram", put("g_915M_1M.cu8", bytes(4096)), "-o", str(tmp_path / "o.txt")], "image"),
        (["spectrogram", str(tmp_path / "g_915M_1M.cu8"), "-o", str(tmp_path / "o.png"), "--start", "1"],
         "past the end"),
        (["spectrogram", str(tmp_path / "g_915M_1M.cu8"), "-o", str(tmp_path / "nodir" / "o.png")],
         "directory does not exist"),
    ]


def test_bad_input_gives_one_line_and_status_2(tmp_path: Path) -> None:
    for args, message in _bad_cases(tmp_path):
        code, out, err = _run(*args)
        assert code == 2, (args, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert message in lines[0] and "Traceback" not in err
        named = args[1] if message not in ("image", "directory does not exist") else args[-1]
        assert Path(named).name in lines[0], (lines[0], named)
    assert not (tmp_path / "o.png").exists()


def test_bad_input_through_the_real_console_script(tmp_path: Path) -> None:
    path = tmp_path / "broken.sigmf-meta"
    path.write_text("{")
    proc = subprocess.run([sys.executable, "-m", "rfclassify.cli.main", "info", str(path)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "broken.sigmf-meta" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.realdata
def test_realdata_reads() -> None:
    mavic = REALDATA / "RUB-SysSec_DroneSecurity" / "mavic_air_2.sigmf-meta"
    cu8 = REALDATA / "rtl_433_tests" / "tests" / "chuango" / "01" / "gfile001.data"
    if not mavic.exists() or not cu8.exists():
        pytest.skip("shared/realdata is not beside this checkout")
    code, out, _ = _run("info", str(mavic), "-F", "json")
    assert code == 0
    info = json.loads(out)
    assert (info["datatype"], info["sample_rate_hz"], info["center_freq_hz"]) == ("cf32_le", 50e6, 2457.5e6)
    assert info["num_samples"] == mavic.with_suffix(".sigmf-data").stat().st_size // 8
    assert info["annotation_count"] == 4
    with open_source(str(mavic)) as src:
        burst = src.annotations[0]
        s0, n = burst["core:sample_start"], burst["core:sample_count"]
        inside = np.mean(np.abs(src.read(s0, n)) ** 2)
        before = np.mean(np.abs(src.read(0, 20_000)) ** 2)
        assert inside > 10 * before  # the annotated DroneID burst stands out of the noise
    code, out, _ = _run("info", str(cu8), "--format", "cu8", "--rate", "250k", "--freq", "433.92M", "-F", "json")
    assert code == 0
    info = json.loads(out)
    assert info["num_samples"] == cu8.stat().st_size // 2 and info["duration_s"] == pytest.approx(
        cu8.stat().st_size / 2 / 250e3)


def test_classify_table_folds_edge_fragments_and_says_why():
    from rfclassify.cli.classify_cmd import _table

    base = {"drone": False, "link": "none", "confidence": 0.5, "t_start_s": 0.0, "t_end_s": 0.001,
            "bandwidth_hz": 40e3, "snr_db": 4.0, "models": []}
    records = [
        {**base, "label": "elrs-900", "drone": True, "freq_hz": 915.0e6, "bursts": 60, "models": ["quad"]},
        {**base, "label": "unknown", "freq_hz": 916.18e6, "bursts": 1},  # cut by the window's upper edge
        {**base, "label": "unknown", "freq_hz": 915.3e6, "bursts": 1, "reason": "out_of_distribution"},
        {**base, "label": "unknown", "freq_hz": 913.81e6, "bursts": 9},  # at the edge but many bursts: kept
    ]
    text = _table(records, 915e6, 2.4e6)
    rows = text.splitlines()[2:]
    assert len(rows) == 4 and rows[-1].startswith("+ 1 unknown fragment(s) at the window's edge (916.180 MHz)")
    assert "(why unknown: out_of_distribution)" in rows[1]
    assert "913.8100" in rows[2]
    assert len(_table(records).splitlines()) == 6  # no window known: nothing folded
