#!/usr/bin/env python3
"""Write the README's "What it knows" label table from the signature registry.

The table is derived, never edited by hand: ``make model`` rewrites it after
training (a new signature module appears there with the model that knows it),
and ``tests/signatures/test_registry.py`` checks it is current
(``--check`` exits 1 when it is not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN, END = "<!-- labels:begin -->", "<!-- labels:end -->"


def _bands(sig) -> str:
    """Band edges in MHz, rounded for reading (``any`` for a class without a band limit)."""
    if sig.bandwidth_hz <= 0:
        return "any"
    spans = sorted({(round(b.lo_hz / 1e6), round(b.hi_hz / 1e6)) for b in sig.bands})
    return ", ".join(f"{lo}–{hi}" for lo, hi in spans)


def render(registry=None) -> str:
    """The markdown table of ``registry`` (default: :data:`rfclassify.signatures.REGISTRY`)."""
    if registry is None:
        from rfclassify.signatures import REGISTRY as registry
    rows = ["| label | drone | link | bands (MHz) | what |", "|---|---|---|---|---|"]
    for label, sig in registry.items():
        link = sig.link if sig.link != "none" else "—"
        rows.append(f"| `{label}` | {'yes' if sig.drone else 'no'} | {link} | {_bands(sig)} | {sig.description} |")
    return "\n".join(rows)


def rewrite(text: str, table: str) -> str:
    """``text`` with the part between the markers replaced by ``table``."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{README}: markers {BEGIN} … {END} not found")
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main_rewrite() -> bool:
    """Rewrite the README's table if it is not current; True if it changed."""
    text = README.read_text(encoding="utf-8")
    new = rewrite(text, render())
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"{README}: label table rewritten")
    return new != text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README's table is not current")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = rewrite(text, render())
    if args.check:
        if new != text:
            print(f"{README}: label table out of date; run scripts/readme_labels.py", file=sys.stderr)
            return 1
        return 0
    main_rewrite()
    return 0


if __name__ == "__main__":
    sys.exit(main())
