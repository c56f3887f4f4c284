"""The watch options are declared once (:mod:`rfclassify.node.options`): every surface agrees with the declarations.

The surfaces are the click options of ``rfclassify watch``, the keys of
``node.toml`` and the keywords of :func:`rfclassify.watch`. Real parts: the
click command itself, TOML files on disk, the shipped model on a synthesized
recording for the command-line-wins run.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import rfclassify
from rfclassify.cli.main import main
from rfclassify.cli.watch_cmd import command as watch_command
from rfclassify.errors import InputError
from rfclassify.node.config import load_config
from rfclassify.node.options import (
    OUTPUT,
    REQUIRE_OUTPUT,
    SOURCE,
    EventPolicy,
    NodeOptions,
    config_options,
)
from rfclassify.options.array import ArrayOptions
from rfclassify.options.declare import build, declared
from rfclassify.testing.array_scene import LinkRecordings

OPTIONS = declared(NodeOptions)
#: What the command adds to the node's options: SOURCE (an argument), OUTPUT, REQUIRE_OUTPUT, --config and --verbose.
COMMAND_ONLY = {"source", "output", "require_output", "config_path", "verbose"}
#: Keywords only Python has: the source itself, a built ArrayGeometry and the service hook.
PYTHON_ONLY = {"source", "geometry", "on_service"}
EXAMPLE_TOML = Path(__file__).resolve().parents[2] / "scripts" / "node.example.toml"


def test_every_declared_option_is_a_click_option_a_toml_key_and_a_keyword() -> None:
    params = {p.name: p for p in watch_command.params}
    keywords = inspect.signature(rfclassify.watch).parameters
    toml_keys = {o.name for o in config_options()}
    assert len(OPTIONS) >= 29
    for opt in OPTIONS:
        param = params[opt.name]
        assert isinstance(param, click.Option) and opt.flag in param.opts, opt.name
        assert opt.name in toml_keys
        assert keywords[opt.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert keywords[opt.name].default == opt.default, opt.name
        # the command line's default is the declared one, written as people write it
        cli_default = param.type_cast_value(click.Context(watch_command), param.default)
        assert cli_default == opt.command_default, opt.name
    # nothing on any surface that is not declared (beside the few named extras)
    assert set(params) - {o.name for o in OPTIONS} == COMMAND_ONLY
    assert set(keywords) - {o.name for o in OPTIONS} == PYTHON_ONLY
    assert toml_keys - {o.name for o in OPTIONS} == {SOURCE.name, OUTPUT.name, REQUIRE_OUTPUT.name}
    assert params["output"].multiple and "-o" in params["output"].opts


def test_groups_are_declared_once_and_flattened() -> None:
    names = [o.name for o in OPTIONS]
    assert len(names) == len(set(names))
    policy = [o.name for o in declared(EventPolicy)]
    array = [o.name for o in declared(ArrayOptions)]
    assert policy == ["min_confidence", "min_bursts", "update_interval", "quiet"]
    assert array == ["array", "elements", "radius", "spacing", "positions"]
    assert set(policy + array + ["method", "calibration"]) <= set(names)
    # the declared defaults are the dataclasses' defaults
    assert build(NodeOptions, {}, "test") == NodeOptions()
    assert NodeOptions().policy == EventPolicy() and NodeOptions().geometry is None


@pytest.mark.parametrize("opt", OPTIONS, ids=lambda o: o.name)
def test_values_parse_the_same_from_text_and_from_values(opt) -> None:
    for value in (opt.default, opt.command_default):
        if value is None:
            continue
        parsed = opt.parse(value)
        assert opt.parse(parsed) == parsed  # idempotent: click's, TOML's and Python's values meet
        if not opt.kind.flag:
            assert opt.parse(opt.show(value)) == parsed  # the text --help shows means the default


def test_quantities_are_parsed_alike_on_every_surface(tmp_path: Path) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text('freq = "915M"\nrecord-max = "1G"\nquiet = "500ms"\ngain = "auto"\nbias_tee = true\n')
    from_file = load_config(cfg)
    from_keywords = build(NodeOptions, {"freq": 915e6, "record_max": 2**30, "quiet": 0.5, "gain": "auto",
                                        "bias_tee": True}, "test")
    assert build(NodeOptions, from_file, "test") == from_keywords
    assert from_keywords.freq_hz == 915e6 and from_keywords.record_max_bytes == 2**30
    assert from_keywords.policy.quiet_s == 0.5 and from_keywords.bias_tee is True


def test_unknown_toml_keys_and_keywords_are_refused_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text('[watch]\nsource = "x.cu8"\nfraq = "915M"\n')
    result = CliRunner().invoke(main, ["watch", "--config", str(cfg)])
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"rfclassify: error: {cfg}: unknown option 'fraq' (known: source, output, require-output, freq,")
    with pytest.raises(InputError) as info:
        rfclassify.watch("x.cu8", fraq="915M")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("watch(): unknown option 'fraq' (known: freq, rate,")
    for bad, problem in (({"freq": "x"}, "freq: not a frequency"), ({"min_bursts": 0}, "min_bursts: must be at least 1"),
                         ({"realtime": 1}, "realtime: expected true or false"), ({"method": "esprit"}, "one of music")):
        with pytest.raises(InputError, match=problem):
            rfclassify.watch("x.cu8", **bad)


def test_the_array_geometry_merges_as_one_option(tmp_path: Path) -> None:
    """A UCA in the file and a ULA on the command line: the ULA replaces the whole UCA (its elements too)."""
    cfg = tmp_path / "node.toml"
    cfg.write_text('source = "x.cu8"\narray = "uca"\nelements = 5\nradius = 0.11\n')
    result = CliRunner().invoke(main, ["watch", "--config", str(cfg), "--array", "ula", "--spacing", "0.15"])
    assert result.exit_code == 2
    assert "--array ula needs --elements N" in result.stderr  # not the file's elements=5 nor its radius
    with pytest.raises(InputError, match="give geometry= or the array geometry options"):
        rfclassify.watch("x.cu8", geometry=ArrayOptions("uca", 5, 0.11).geometry(), elements=4)


def test_example_config_and_all_its_commented_options_load(tmp_path: Path) -> None:
    text = EXAMPLE_TOML.read_text()
    assert load_config(EXAMPLE_TOML)["sensor_id"] == "mast-3"
    uncommented = re.sub(r"^# ([a-z_-]+ = )", r"\1", text, flags=re.MULTILINE)
    assert uncommented != text
    path = tmp_path / "node.toml"
    path.write_text(uncommented)
    conf = load_config(path)
    assert conf["scan"] == "902M:928M" and conf["dwell"] == 0.5 and conf["method"] == "music"
    assert conf["array"] == "uca" and conf["calibration"] == "/etc/rfclassify/cal.json"


def test_command_line_wins_over_the_file(tmp_path: Path, recordings: LinkRecordings) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text(f'[watch]\nsource = "{recordings.one_channel}"\nsensor-id = "from-file"\nlat = 51.5\nlon = -0.1\n'
                   'heartbeat = 0\nupdate-interval = "100ms"\n')
    result = CliRunner().invoke(main, ["watch", "--config", str(cfg), "--sensor-id", "from-cli"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events and {e["event"] for e in events} >= {"start", "update", "end"}
    assert {e["sensor_id"] for e in events} == {"from-cli"}  # the command line wins ...
    assert {e["sensor_lat"] for e in events} == {51.5}  # ... and the file fills in the rest
