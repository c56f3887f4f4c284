"""Rewrite one marked section of BENCHMARKS.md, leaving the others as they are.

Each benchmark script owns the text between ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->``; a missing section is appended.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def machine() -> str:
    """One line describing the machine and interpreter."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def header(title: str) -> str:
    """Section heading with the command line, machine and date."""
    cmd = shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    today = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"## {title}\n\nCommand: `python {cmd}` — {machine()} — {today}\n"


def update_section(name: str, text: str, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the section ``name`` of BENCHMARKS.md with ``text``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    body = path.read_text() if path.exists() else "# Benchmarks\n\nEvery figure here was produced by the command above it.\n"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in body and end in body:
        pre, rest = body.split(begin, 1)
        _, post = rest.split(end, 1)
        body = pre + block + post
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    path.write_text(body)


def _main() -> int:
    """``python scripts/benchmd.py NAME "TITLE" -- COMMAND…``: run a benchmark, put its stdout in section NAME."""
    import subprocess

    if "--" not in sys.argv or sys.argv.index("--") < 3:
        print(_main.__doc__, file=sys.stderr)
        return 2
    split = sys.argv.index("--")
    name, title = sys.argv[1], " ".join(sys.argv[2:split])
    command = sys.argv[split + 1 :]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    sys.stdout.write(done.stdout)
    if done.returncode:
        return done.returncode
    today = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = f"## {title}\n\nCommand: `{shlex.join(command)}` — {machine()} — {today}\n"
    update_section(name, head + "\n" + done.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
