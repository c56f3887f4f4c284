"""``rfclassify capture``: record a live receiver (RTL-SDR, rtl_tcp or SoapySDR) to a SigMF recording.

The samples are written as the receiver delivered them (``cu8`` from an
RTL-SDR, ``ci16_le`` from SoapySDR: the complex64 blocks are re-encoded
exactly to their original values), with the
metadata a reviewer needs: ``core:hw`` (dongle and tuner), centre frequency
and sample rate, UTC ``core:datetime`` of the first sample, gain, ppm and
bias-tee setting (``rfclassify:`` keys), ``core:geolocation`` as a GeoJSON
point (``[lon, lat(, alt)]``, RFC 7946) when ``--lat/--lon`` are given, and
``core:recorder``. If samples are lost on the way (a slow disk, an rtl_tcp
server that went away with ``--reconnect``), a new capture segment starts
where the recording resumes, with its own ``core:datetime``, so time in the
file stays right (SigMF: a discontinuity is a new capture). An existing
recording is never overwritten.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from rfclassify.cli.options import DURATION, FREQ, declared_options
from rfclassify.errors import InputError, SourceUnavailable
from rfclassify.node.options import NodeOptions
from rfclassify.options.declare import named
from rfclassify.sources import device_settings, is_live_spec, open_source
from rfclassify.sources.rtltcp import LiveSource
from rfclassify.sources.sigmf_io import SigMFWriter, sigmf_paths
from rfclassify.units import format_frequency


@dataclass
class CaptureResult:
    """What a capture wrote."""

    meta_path: Path
    num_samples: int
    dropped_samples: int
    segments: int
    error: str | None = None  # why the capture ended early, if it did


def capture_to_sigmf(
    source: LiveSource,
    path: str | Path,
    num_samples: int,
    *,
    geolocation: tuple[float, ...] | None = None,
    description: str | None = None,
    extra: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    block_size: int = 1 << 16,
) -> CaptureResult:
    """Record ``num_samples`` from ``source`` into ``path`` (a ``.sigmf-meta`` name) in the source's sample type.

    ``progress(n)`` is called with each block's sample count. A receiver lost
    for good ends the capture early: what was recorded is kept and
    ``CaptureResult.error`` says why. Refuses to overwrite (:class:`InputError`).
    """
    writer = SigMFWriter(
        path,
        datatype=source.wire.name,
        sample_rate_hz=source.rate_hz,
        center_freq_hz=source.freq_hz,
        hw=source.hardware,
        geolocation=geolocation,
        description=description,
        global_extra=extra,
    )
    source.num_samples = num_samples
    expected: int | None = None
    segments = 1
    error = None
    with writer:
        try:
            for block in source.blocks(block_size):
                if expected is None:
                    writer.add_capture(0, block.center_freq_hz, block.time_utc)
                elif block.sample_index != expected:
                    writer.add_capture(
                        writer.num_samples,
                        block.center_freq_hz,
                        block.time_utc,
                        {"rfclassify:samples_lost_before": block.sample_index - expected},
                    )
                    segments += 1
                writer.write(block.samples)
                expected = block.sample_index + len(block.samples)
                if progress is not None:
                    progress(len(block.samples))
        except SourceUnavailable as exc:
            error = str(exc)
    return CaptureResult(
        writer.meta_path, writer.num_samples, source.dropped_samples, segments, error
    )


def _status_printer(event: dict[str, Any]) -> None:
    if event.get("event") != "retuned":
        click.echo(f"\nrfclassify: {event['message']}", err=True)


@click.command("capture")
@click.argument("source")
@click.option("--freq", type=FREQ, required=True, help="Centre frequency, e.g. 915M.")
@click.option(
    "--rate", type=FREQ, default="2.4M", show_default=True, help="Sample rate, e.g. 2400k."
)
@click.option("--gain", default="auto", show_default=True, help="Tuner gain in dB, or 'auto'.")
@declared_options(*named(NodeOptions, "ppm", "agc", "bias_tee"))
@click.option("--bandwidth", type=FREQ, default=None,
              help="Analog filter bandwidth of a SoapySDR device, e.g. 20M (default: the driver's for the rate).")
@click.option(
    "--duration", type=DURATION, required=True, help="How long to record, e.g. 10s or 2min."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Recording to create: NAME.sigmf-meta (+ NAME.sigmf-data).",
)
@click.option("--lat", type=float, default=None, help="Receiver latitude in degrees (WGS 84).")
@click.option("--lon", type=float, default=None, help="Receiver longitude in degrees (WGS 84).")
@click.option("--alt", type=float, default=None, help="Receiver altitude in metres.")
@click.option("--description", default=None, help="Free text for core:description.")
@click.option(
    "--reconnect", is_flag=True, help="Keep recording across a lost rtl_tcp server or dongle."
)
def command(
    source: str,
    freq: float,
    rate: float,
    gain: str,
    ppm: int,
    agc: bool,
    bias_tee: bool,
    duration: float,
    output: str,
    lat: float | None,
    lon: float | None,
    alt: float | None,
    description: str | None,
    reconnect: bool,
    bandwidth: float | None,
) -> None:
    """Record a live receiver to a SigMF recording with full metadata.

    \b
    Examples:
      rfclassify capture rtlsdr: --freq 915M --rate 2.4M --gain 28 --duration 10s -o elrs.sigmf-meta
      rfclassify capture rtl_tcp://192.168.1.20:1234 --freq 868M --duration 1min \\
          -o site1.sigmf-meta --lat 52.2 --lon 0.12
      rfclassify capture soapy:driver=hackrf --freq 2.44G --rate 20M --gain 32 --bandwidth 20M \
          --duration 2s -o hackrf.sigmf-meta
    """
    if not is_live_spec(source):
        raise InputError(
            source,
            "capture records from a live receiver: rtlsdr:, rtlsdr:INDEX, rtl_tcp://HOST:PORT or soapy:driver=…",
        )
    if not duration > 0:
        raise InputError("--duration", "must be positive")
    if (lat is None) != (lon is None) or (alt is not None and lat is None):
        raise InputError(
            "--lat/--lon", "give both latitude and longitude (and --alt only with them)"
        )
    geolocation = None
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError("--lat/--lon", f"out of range: lat={lat}, lon={lon}")
        geolocation = (lat, lon) if alt is None else (lat, lon, alt)
    for p in sigmf_paths(output):
        if p.exists():
            raise InputError(
                p, "already exists; refusing to overwrite a recording (choose another name)"
            )
    num_samples = round(duration * rate)
    device_options = device_settings(source, agc=agc, bias_tee=bias_tee, bandwidth_hz=bandwidth)
    with open_source(
        source,
        sample_rate_hz=rate,
        center_freq_hz=freq,
        gain=gain,
        ppm=ppm,
        reconnect=reconnect,
        on_status=_status_printer,
        **device_options,
    ) as src:
        assert isinstance(src, LiveSource)
        extra = {
            "rfclassify:source": source,
            "rfclassify:gain": src.gain_db if src.gain_db is not None else "auto",
            "rfclassify:ppm": ppm,
            "rfclassify:agc": agc,
            "rfclassify:bias_tee": bias_tee,
        }
        label = f"capturing {format_frequency(freq)}Hz at {format_frequency(rate)}S/s"
        with click.progressbar(length=num_samples, label=label, file=sys.stderr) as bar:
            result = capture_to_sigmf(
                src,
                output,
                num_samples,
                geolocation=geolocation,
                description=description,
                extra=extra,
                progress=bar.update,
            )
    seconds = result.num_samples / rate
    lost = f", {result.dropped_samples} samples lost" if result.dropped_samples else ""
    click.echo(
        f"wrote {result.meta_path}: {result.num_samples} samples ({seconds:.3g} s){lost}", err=True
    )
    if result.error is not None:
        raise SourceUnavailable(
            f"{result.error}; kept the {seconds:.3g} s recorded in {result.meta_path}"
        )
