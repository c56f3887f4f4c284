"""Every command's ``--help`` follows the same rules.

- Examples sit in one place: an ``Examples:`` block after the description, before ``Options:``,
  and every example parses (its options exist and its values are valid).
- Every option that takes a value says what it takes (a metavar or a type, never a bare
  ``TEXT``/``INTEGER``/``FLOAT``) and what happens when it is not given (its default).
- No option does two jobs: ``--format`` is only the sample format of an input, the output format
  is ``-F/--output-format``, and a flag shared by commands takes the same kind of value in each
  (``--model FILE`` everywhere).
"""

from __future__ import annotations

import re
import shlex
import warnings
from collections import defaultdict
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rfclassify import __version__
from rfclassify.cli.main import main
from rfclassify.sources import SOURCE_FORMATS

#: Placeholders that say only the type, not what the value is or its unit.
GENERIC_METAVARS = {"TEXT", "INTEGER", "FLOAT", "INTEGER RANGE", "FLOAT RANGE", "PATH", "BOOLEAN"}
#: Flags whose values are the command's own: where it writes (a picture, a model, a folder …) and what it
#: prints (each command has its own output formats).
OUTPUT_FLAGS = {"--output", "--output-format"}


def _walk(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], (*path, name))
    return out


COMMANDS = _walk(main)
IDS = [" ".join(("rfclassify", *p)) for p, _ in COMMANDS]


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="rfclassify", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _examples(text: str) -> list[str]:
    """The example command lines of a help text's ``Examples:`` block (continuations joined)."""
    block = text.split("Examples:", 1)[1].split("\nOptions:", 1)[0]
    lines: list[str] = []
    pending = ""
    for raw in block.splitlines():
        line = raw.strip()
        if pending:
            line = pending + " " + line
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        if line.startswith("rfclassify "):
            lines.append(line)
    return lines


def _options(cmd: click.Command) -> list[click.Option]:
    return [p for p in cmd.params if isinstance(p, click.Option) and p.name != "help"]


def _record(cmd: click.Command, opt: click.Option) -> tuple[str, str]:
    ctx = click.Context(cmd, info_name=cmd.name)
    record = opt.get_help_record(ctx)
    assert record is not None
    return record


def _metavar(cmd: click.Command, opt: click.Option) -> str:
    """The placeholder ``--help`` shows after the option's flags."""
    decl = _record(cmd, opt)[0]
    last = decl.split(", ")[-1]
    return last.split(" ", 1)[1] if " " in last else ""


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=IDS)
def test_examples_come_after_the_description_before_the_options(path, cmd):
    text = _help(path)
    assert "Examples:" in text, f"{' '.join(path)}: no Examples block"
    assert text.index("Examples:") < text.index("\nOptions:"), "examples must come before the options"
    after = text.split("\nOptions:", 1)[1]
    assert "Examples" not in after and "\n  rfclassify " not in after, "examples after the options"
    examples = _examples(text)
    prefix = " ".join(("rfclassify", *path))
    assert any(e.startswith(prefix) for e in examples), f"no example of {prefix}"


def _parse(argv: list[str]) -> None:
    """Parse a command line as ``rfclassify`` would, down to the last subcommand, without running it."""
    cmd: click.Command = main
    ctx = cmd.make_context("rfclassify", argv)
    while isinstance(cmd, click.Group):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        name, sub, args = cmd.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        cmd, ctx = sub, sub.make_context(name, args, parent=ctx)


def _check_parses(line: str) -> None:
    command = re.split(r"\s[|#]\s?", line)[0]  # a pipe into jq or a comment ends the command
    try:
        _parse(shlex.split(command)[1:])
    except click.ClickException as exc:
        pytest.fail(f"example {command!r}: {exc.format_message()}")


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=IDS)
def test_every_example_parses(path, cmd):
    for line in _examples(_help(path)):
        _check_parses(line)


def test_every_readme_command_parses():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    lines = [line for block in blocks for line in _examples("Examples:" + block.replace("\\\n", " ") + "\nOptions:")]
    assert len(lines) > 20
    for line in lines:
        _check_parses(line)


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=IDS)
def test_options_say_what_they_take_and_their_default(path, cmd):
    for opt in _options(cmd):
        if opt.is_flag:
            continue
        flag = opt.opts[-1]
        assert _metavar(cmd, opt) not in GENERIC_METAVARS, f"{flag} shows only a type: {_record(cmd, opt)[0]}"
        if not opt.required:
            assert "default" in _record(cmd, opt)[1].lower(), f"{flag}: its help does not say its default"


def test_no_option_does_two_jobs():
    metavars: dict[str, set[str]] = defaultdict(set)
    for path, cmd in COMMANDS:
        for opt in _options(cmd):
            where = f"{' '.join(path)} {opt.opts[-1]}"
            if isinstance(opt.type, click.Choice):
                choices = set(opt.type.choices)
                assert choices <= set(SOURCE_FORMATS) or not choices & set(SOURCE_FORMATS), (
                    f"{where} mixes sample formats with other choices"
                )
            if "--format" in opt.opts:
                assert isinstance(opt.type, click.Choice) and tuple(opt.type.choices) == tuple(SOURCE_FORMATS)
                assert not opt.multiple, where
            if opt.name == "output_format":
                assert opt.opts == ["-F", "--output-format"], where
            long = [o for o in opt.opts if o.startswith("--")]
            if long and long[-1] not in OUTPUT_FLAGS and not opt.is_flag:
                metavars[long[-1]].add(_metavar(cmd, opt))
    twice = {flag: m for flag, m in metavars.items() if len(m) > 1}
    assert not twice, f"flags taking different kinds of value in different commands: {twice}"
    assert metavars["--model"] == {"FILE"}


def test_output_format_is_chosen_with_F():
    """``classify`` prints jsonl or a table, ``info`` text or JSON, both chosen with ``-F``."""
    found = {
        " ".join(path): tuple(opt.type.choices)
        for path, cmd in COMMANDS for opt in _options(cmd) if opt.name == "output_format"
    }
    assert found == {"classify": ("jsonl", "table"), "info": ("text", "json")}


def test_version_prints_the_package_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"rfclassify, version {__version__}"
