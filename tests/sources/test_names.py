"""File-name tokens: rtl_433, SDR#, SDR++, HDSDR and gqrx conventions, and their precedence."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rfclassify.errors import InputError
from rfclassify.sources.names import parse_name, resolve_rate_freq

UTC = timezone.utc

CASES = [
    # name, centre Hz, rate Hz, UTC start
    ("g001_915M_2400k.cu8", 915e6, 2.4e6, None),
    ("g001_433.92M_250k.cs16", 433.92e6, 250e3, None),
    ("g005_433.92M_1024k.cu8", 433.92e6, 1.024e6, None),
    ("g001_868.3M_1000k.cu8", 868.3e6, 1e6, None),
    ("x_915M_2.4M.cu8", 915e6, 2.4e6, None),
    ("hackrf_2.44G_20M.cs8", 2.44e9, 20e6, None),
    ("g001_433.92M_250k", 433.92e6, 250e3, None),  # no extension: ".92M_250k" is no suffix
    ("SDRSharp_20230101_120000Z_915000000Hz_IQ.wav", 915e6, None, datetime(2023, 1, 1, 12, tzinfo=UTC)),
    ("HDSDR_20230102_030405Z_915000kHz_RF.wav", 915e6, None, datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("baseband_915000000Hz_12-00-00_01-01-2023.wav", 915e6, None, None),
    ("rec_915MHz_2.4Msps.cf32", 915e6, 2.4e6, None),
    ("rec_2.4GHz.cs8", 2.4e9, None, None),
    ("gqrx_20230101_120000_915000000_2400000_fc.raw", 915e6, 2.4e6, None),
    ("capture.bin", None, None, None),
    ("gfile001.data", None, None, None),
    ("iq_0.5M.cu8", None, 0.5e6, None),  # 0.5 MHz is below any plausible centre: it is the rate
    ("/some/dir/g002_315M_250k.cu8", 315e6, 250e3, None),
]


@pytest.mark.parametrize(("name", "center", "rate", "when"), CASES)
def test_parse_name(name: str, center: float | None, rate: float | None, when: datetime | None) -> None:
    hints = parse_name(name)
    assert hints.center_freq_hz == (pytest.approx(center) if center is not None else None)
    assert hints.sample_rate_hz == (pytest.approx(rate) if rate is not None else None)
    assert hints.datetime_utc == when


def test_gqrx_names_say_complex_float() -> None:
    assert parse_name("gqrx_20230101_120000_915000000_2400000_fc.raw").format == "cf32_le"
    assert parse_name("g001_915M_2400k.cu8").format is None


def test_precedence_override_beats_header_beats_name() -> None:
    rate, freq, _ = resolve_rate_freq("g001_915M_2400k.cu8", rate_hz=None, freq_hz=None)
    assert (rate, freq) == (2.4e6, 915e6)
    rate, freq, _ = resolve_rate_freq("g001_915M_2400k.cu8", rate_hz=1e6, freq_hz=433e6)
    assert (rate, freq) == (1e6, 433e6)
    rate, freq, _ = resolve_rate_freq(
        "g001_915M_2400k.wav", rate_hz=None, freq_hz=None, header_rate_hz=48e3, header_freq_hz=7e6
    )
    assert (rate, freq) == (48e3, 7e6)


def test_missing_values_ask_for_them() -> None:
    with pytest.raises(InputError, match=r"capture\.bin: unknown sample rate .*--rate.*centre frequency .*--freq"):
        resolve_rate_freq("capture.bin", rate_hz=None, freq_hz=None)
    with pytest.raises(InputError, match="centre frequency") as err:
        resolve_rate_freq("x_2400k.cu8", rate_hz=None, freq_hz=None)
    assert "sample rate" not in str(err.value)
