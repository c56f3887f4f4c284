"""Bad input gets one line and exit status 2, or a warning while what is valid is read.

SigMF metadata with null/text frequencies, bad annotations and short
datasets; nonsense ``--rate``/``--freq``/``--gain`` for files and for an
RTL-SDR (a real rtl_tcp test server); raw files read with the wrong
``--format``.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.errors import InputError
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.sources.limits import check_rtl_tuning
from rfclassify.sources.sigmf_io import write_sigmf
from rfclassify.testing.rtl_tcp_server import RtlTcpServer

RATE_HZ = 1e6


def _noise(n: int = 4000, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def _cli(*args: str) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _one_error(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("rfclassify: error:")]
    assert len(errors) == 1, output
    return errors[0]


def _sigmf(tmp_path: Path, *, caps: list, anns: list | None = None, data: bytes | None = None) -> Path:
    meta = write_sigmf(tmp_path / "rec", _noise(), datatype="ci16_le", sample_rate_hz=RATE_HZ, center_freq_hz=915e6)
    doc = json.loads(meta.read_text())
    doc["captures"] = caps
    doc["annotations"] = anns or []
    meta.write_text(json.dumps(doc))
    if data is not None:
        (tmp_path / "rec.sigmf-data").write_bytes(data)
    return meta


# -- SigMF: warn and read what is valid -----------------------------------------------------------


def test_null_frequency_is_unknown_and_asks_for_freq(tmp_path: Path) -> None:
    meta = _sigmf(tmp_path, caps=[{"core:sample_start": 0, "core:frequency": None}])
    code, out = _cli("info", str(meta))
    assert code == 2
    assert "core:frequency null is not a number" in _one_error(out) and "--freq" in out
    code, out = _cli("info", str(meta), "--freq", "868M", "--json")
    assert code == 0 and json.loads(out)["center_freq_hz"] == 868e6


def test_text_frequency_in_the_freq_syntax_is_read_with_a_warning(tmp_path: Path, caplog) -> None:
    meta = _sigmf(tmp_path, caps=[{"core:sample_start": 0, "core:frequency": "915M"},
                                  {"core:sample_start": 2000, "core:frequency": "lots"}])
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(meta)) as src:
        assert [c.center_freq_hz for c in src.captures] == [915e6, 915e6]
    text = caplog.text
    assert 'capture 0: core:frequency is text "915M", not a number; read as 915 MHz' in text
    assert 'capture 1: core:frequency "lots" is not a number; keeping the previous capture\'s 915 MHz' in text


def test_bad_annotation_is_skipped_and_the_rest_kept(tmp_path: Path, caplog) -> None:
    good = {"core:sample_start": 100, "core:sample_count": 50, "core:label": "ok"}
    bad = [{"core:sample_start": "x"}, {"core:sample_start": 10, "core:sample_count": -5}, "not an object",
           {"core:sample_start": 10, "core:freq_lower_edge": "low"}]
    meta = _sigmf(tmp_path, caps=[{"core:sample_start": 0, "core:frequency": 915e6}], anns=[bad[0], good, *bad[1:]])
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(meta)) as src:
        assert src.annotations == [good]
        assert src.info.annotation_count == 1
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and '4 annotation(s) skipped: annotation 0: core:sample_start "x"' in lines[0]
    code, out = _cli("info", str(meta))
    assert code == 0 and "ok" in out


def test_truncated_dataset_is_read_up_to_its_last_whole_sample(tmp_path: Path, caplog) -> None:
    x = _noise()
    data = encode(x, datatype("ci16_le")).tobytes()[: 4 * 1500 + 3]  # 1500 whole samples and 3 bytes
    caps = [{"core:sample_start": 0, "core:frequency": 915e6}, {"core:sample_start": 3000, "core:frequency": 916e6}]
    anns = [{"core:sample_start": 100, "core:sample_count": 10}, {"core:sample_start": 2500, "core:sample_count": 10}]
    meta = _sigmf(tmp_path, caps=caps, anns=anns, data=data)
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(meta)) as src:
        assert src.num_samples == 1500
        assert len(src.captures) == 1 and len(src.annotations) == 1
        np.testing.assert_allclose(src.read_all(), x[:1500], atol=1 / 32768)
    text = caplog.text
    assert "is not a whole number of ci16_le samples (4 bytes each); reading the first 1500 samples" in text
    assert "holds 1500 samples but 1 capture(s) start at or after sample 3000; they are dropped" in text
    assert "annotations reach sample 2510; 1 annotation(s) starting after its end are dropped" in text
    code, _ = _cli("classify", str(meta))
    assert code == 0


def test_unsorted_captures_and_bad_datetime_are_warned_not_fatal(tmp_path: Path, caplog) -> None:
    caps = [{"core:sample_start": 2000, "core:frequency": 916e6},
            {"core:sample_start": 0, "core:frequency": 915e6, "core:datetime": "yesterday"}]
    meta = _sigmf(tmp_path, caps=caps)
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(meta)) as src:
        assert [(c.sample_start, c.center_freq_hz, c.datetime) for c in src.captures] == [
            (0, 915e6, None), (2000, 916e6, None)]
    assert "not sorted" in caplog.text and 'core:datetime "yesterday" is not ISO 8601' in caplog.text


# -- nonsense parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    (["--rate", "1e30"], "sample rate 1e+21 GS/s is beyond what rfclassify analyses (valid: 1 kS/s – 1 GS/s)"),
    (["--rate", "10"], "sample rate 10 S/s is too low to analyse (valid: 1 kS/s – 1 GS/s)"),
    (["--rate", "-2.4M"], "sample rate must be a positive number"),
    (["--freq", "-915M"], "centre frequency -915 MHz is not a radio frequency (valid: 0 Hz – 3 THz)"),
    (["--freq", "nan"], "not a frequency"),
])
@pytest.mark.parametrize("command", ["info", "classify"])
def test_nonsense_file_parameters_are_refused_with_the_valid_range(
    tmp_path: Path, command: str, options: list[str], message: str
) -> None:
    path = tmp_path / "g_915M_1M.cu8"
    path.write_bytes(encode(_noise(), datatype("cu8")).tobytes())
    code, out = _cli(command, str(path), *options)
    assert code == 2 and message in out
    if "not a frequency" not in message:  # click's own usage error for unparsable text
        assert "g_915M_1M.cu8" in _one_error(out)


@pytest.mark.parametrize(("options", "message"), [
    (["--rate", "10M"], "an RTL-SDR cannot sample at 10 MS/s (valid: 225–300 kS/s or 0.9–3.2 MS/s"),
    (["--rate", "600k"], "an RTL-SDR cannot sample at 600 kS/s"),
    (["--gain", "999"], "gain 999 dB is outside an RTL-SDR's range (-9.9 to 49.6 dB, or 'auto')"),
    (["--freq", "5.8G"], "an RTL-SDR cannot tune to 5.8 GHz"),
    (["--freq", "-915M"], "frequency and sample rate must be positive"),
])
def test_rtl_parameters_are_refused_before_connecting(tmp_path: Path, options: list[str], message: str) -> None:
    args = ["capture", "rtl_tcp://127.0.0.1:1", "--freq", "915M", "--duration", "1", "-o", str(tmp_path / "x")]
    code, out = _cli(*args, *options)
    assert code == 2 and message in _one_error(out)
    assert not list(tmp_path.iterdir())


def test_tuner_limits_apply_once_the_server_names_its_tuner(tmp_path: Path, caplog) -> None:
    data = encode(_noise(20_000), datatype("cu8"))
    with RtlTcpServer(data, loop=True) as srv:  # announces an R820T
        code, out = _cli("capture", srv.url, "--freq", "1.9G", "--duration", "0.01", "-o", str(tmp_path / "a"))
        assert code == 2 and "the R820T tuner cannot tune to 1.9 GHz (valid: 24–1766 MHz)" in _one_error(out)
        with caplog.at_level(logging.WARNING, "rfclassify.sources"):
            code, out = _cli("capture", srv.url, "--freq", "10M", "--rate", "3M", "--duration", "0.01",
                             "-o", str(tmp_path / "b"))
        assert code == 0, out
    assert "10 MHz is below the R820T tuner's range (24–1766 MHz)" in caplog.text
    assert "3 MS/s is above the 2.56 MS/s most RTL-SDRs sustain" in caplog.text


def test_gain_table_of_the_named_tuner() -> None:
    check_rtl_tuning("x", 915e6, 42.0, tuner_type=1)  # E4000 tops out at 42 dB
    with pytest.raises(InputError, match=r"the E4000 tuner's range \(-1 to 42 dB"):
        check_rtl_tuning("x", 915e6, 45.0, tuner_type=1)
    with pytest.raises(InputError, match="the E4000 tuner cannot tune to 1.2 GHz"):
        check_rtl_tuning("x", 1.2e9, None, tuner_type=1)  # its gap


# -- wrong --format -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["info", "classify"])
def test_cu8_read_as_cf32_is_refused_without_numpy_warnings(tmp_path: Path, command: str) -> None:
    path = tmp_path / "g_915M_1M.bin"
    path.write_bytes(encode(_noise(), datatype("cu8")).tobytes())
    code, out = _cli(command, str(path), "--format", "cf32")
    assert code == 2
    line = _one_error(out)
    assert "g_915M_1M.bin" in line and "not cf32_le samples; is --format right" in line


def test_cf32_read_as_cu8_or_cs16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g_915M_1M.bin"
    path.write_bytes(encode(_noise(), datatype("cf32")).tobytes())
    for fmt, name in (("cu8", "cu8"), ("cs16", "ci16_le")):
        code, out = _cli("info", str(path), "--format", fmt)
        assert code == 2 and f"the bytes look like float32 samples (cf32), not {name}" in _one_error(out)
    code, _ = _cli("info", str(path), "--format", "cf32")
    assert code == 0


def test_cu8_read_as_cs8_is_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "g_915M_1M.bin"
    path.write_bytes(encode(_noise() * 0.1, datatype("cu8")).tobytes())
    with caplog.at_level(logging.WARNING, "rfclassify.sources"):
        code, _ = _cli("info", str(path), "--format", "cs8")
    assert code == 0
    assert "of the first samples are at full scale: an overloaded receiver, or a cu8 file read as ci8?" in caplog.text


def test_nan_later_in_a_cf32_file_is_zeroed_with_a_warning(tmp_path: Path, caplog) -> None:
    x = _noise(300_000)
    x[200_000:200_010] = np.nan
    path = tmp_path / "g_915M_1M.cf32"
    x.tofile(path)
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(path)) as src:
        y = src.read_all()
    assert np.isfinite(y).all() and (y[200_000:200_010] == 0).all()
    assert "10 NaN, infinite or absurd samples in the block at sample 0 set to 0" in caplog.text


def test_raw_file_cut_mid_sample_is_read_up_to_its_last_whole_sample(tmp_path: Path, caplog) -> None:
    x = _noise(1000)
    path = tmp_path / "g_915M_1M.cs16"
    path.write_bytes(encode(x, datatype("cs16")).tobytes()[:-3])
    with caplog.at_level(logging.WARNING, "rfclassify.sources"), open_source(str(path)) as src:
        assert src.num_samples == 999
        np.testing.assert_allclose(src.read_all(), x[:999], atol=1 / 32768)
    assert "truncated: 3997 bytes is not a whole number of ci16_le samples (4 bytes each); reading the first 999" \
        in caplog.text
