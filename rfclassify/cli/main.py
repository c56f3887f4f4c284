"""The ``rfclassify`` entry point: a click group that discovers ``*_cmd`` modules.

Errors that are the user's input (:class:`rfclassify.errors.RFClassifyError`)
become one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import click

from rfclassify import __version__
from rfclassify.errors import RFClassifyError


class _Group(click.Group):
    """A group that turns user errors into one line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RFClassifyError as exc:
            click.echo(f"rfclassify: error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("rfclassify: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="rfclassify")
def main() -> None:
    """Hear drone radio links in IQ recordings or live from an SDR, name them, point at the operator.

    \b
    Sources (SOURCE) are recordings or live receivers:
      rec.sigmf-meta | rec.sigmf     SigMF (any datatype, multi-channel, annotations)
      g001_915M_2400k.cu8            rtl_sdr raw; rate/frequency from the name or --rate/--freq
      x.cs8  x.cs16  x.cf32          HackRF / int16 / GNU Radio complex64 raw IQ
      x.wav                          two-channel I/Q WAV
      capture.bin --format cu8       any other extension, with an explicit --format
      rtlsdr:  rtlsdr:1  rtlsdr::SERIAL   a live RTL-SDR dongle
      rtl_tcp://127.0.0.1:1234       a live rtl_tcp server
      soapy:driver=hackrf            a live SoapySDR device (HackRF, Airspy, LimeSDR, ...)

    Frequencies and rates accept 915M, 2.4G, 2400k or 915e6.
    Run 'rfclassify COMMAND --help' for each command's options and examples.
    """


def _register() -> None:
    import rfclassify.cli as cli_pkg

    for info in sorted(pkgutil.iter_modules(cli_pkg.__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"rfclassify.cli.{info.name}")
            main.add_command(module.command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
