"""Parsing of frequencies, durations and sizes written by people."""

import pytest

from rfclassify.units import format_frequency, parse_duration, parse_frequency, parse_size


@pytest.mark.parametrize(
    "text,hz",
    [
        ("915M", 915e6),
        ("915MHz", 915e6),
        ("2.4G", 2.4e9),
        ("2400k", 2.4e6),
        ("915e6", 915e6),
        ("433.92M", 433.92e6),
        ("250000", 250e3),
        (" 1.024 M ", 1.024e6),
    ],
)
def test_parse_frequency(text, hz):
    assert parse_frequency(text) == pytest.approx(hz)


@pytest.mark.parametrize("bad", ["", "abc", "915X", "M915", "1..2M"])
def test_parse_frequency_rejects(bad):
    with pytest.raises(ValueError, match="not a frequency"):
        parse_frequency(bad)


@pytest.mark.parametrize(
    "text,s", [("0.5s", 0.5), ("500ms", 0.5), ("10", 10.0), ("2min", 120.0), ("1h", 3600.0)]
)
def test_parse_duration(text, s):
    assert parse_duration(text) == pytest.approx(s)


def test_parse_size():
    assert parse_size("2G") == 2 * 2**30
    assert parse_size("500M") == 500 * 2**20
    assert parse_size("1024") == 1024
    with pytest.raises(ValueError):
        parse_size("lots")


def test_format_frequency_roundtrips():
    for hz in (915e6, 2.4e9, 250e3, 433.92e6):
        assert parse_frequency(format_frequency(hz)) == pytest.approx(hz)
