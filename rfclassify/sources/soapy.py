"""Live IQ from any SoapySDR device: ``soapy:driver=hackrf``, ``soapy:driver=airspy,serial=…``, ``soapy:``.

SoapySDR (pothosware/SoapySDR) is the SDR ecosystem's vendor-neutral
hardware layer: one C++ API with a module per device family (HackRF, Airspy,
LimeSDR, PlutoSDR, bladeRF, UHD for USRPs, RTL-SDR…), and Python bindings
(SWIG) of that API. The spec after ``soapy:`` is SoapySDR's own device-args
string (``key=value`` pairs separated by commas, as ``SoapySDRUtil --find``
prints them); an empty one opens the first device found.

The device is driven through the documented ``SoapySDR::Device`` calls
(``setSampleRate``, ``setFrequency``, ``setGainMode``/``setGain``,
``setBandwidth``, ``setupStream``/``activateStream``/``readStream``), reading
``CS16`` (complex int16, every driver converts to it; a quarter of ``CF32``'s
memory traffic) into the bounded queue of
:class:`rfclassify.sources.live.LiveSource`; the consumer converts to
complex64 with the project's ``ci16_le`` decoder. ``readStream`` returning
``SOAPY_SDR_OVERFLOW`` (samples lost in the driver) re-anchors the timeline
on the wall clock, so the lost samples are counted as dropped and time stays
right; a device that stops answering (``SOAPY_SDR_TIMEOUT`` repeatedly, or
any other error) is reported lost and, with ``reconnect=True``, reopened with
backoff as the RTL-SDR and ``rtl_tcp`` sources are. A device with several RX
channels can stream them together (``channels=(0, 1)``): blocks then have
shape ``(n, channels)`` and feed the bearing path like a multi-channel
recording.

**Installing the bindings.** They are not on PyPI; Debian and Ubuntu package
them for the system Python: ``apt-get install python3-soapysdr`` plus the
module of the device (``soapysdr-module-hackrf``, ``-airspy``, ``-lms7``,
``-rtlsdr``, ``-uhd``…, or ``soapysdr-module-all``). A virtual environment
does not see the system's packages, so :func:`import_soapysdr` looks for
``SoapySDR.py`` in the interpreter's own path first and then in
``/usr/lib/python3/dist-packages`` (or ``RFCLASSIFY_SOAPY_PATH``), which
works when the venv's Python has the same version as the system's (the
bindings are compiled for one); the error message says which version it
needs otherwise.

Constants (``SOAPY_SDR_RX = 1``, ``SOAPY_SDR_TIMEOUT = -1``,
``SOAPY_SDR_OVERFLOW = -4``) are those of SoapySDR's ``Constants.h`` and
``Errors.h``. The device object is injectable (``device_factory``) so tests
run a fake device; the real-device test is marked ``hardware``.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.errors import InputError, MissingDependency, SourceUnavailable
from rfclassify.sources.live import DEFAULT_SETTLE_S, LiveSource, StatusCallback, parse_gain

SOAPY_SDR_RX = 1
SOAPY_SDR_TIMEOUT = -1
SOAPY_SDR_OVERFLOW = -4
CS16 = "CS16"
#: Where Debian's python3-soapysdr puts the bindings.
SYSTEM_DIST_PACKAGES = "/usr/lib/python3/dist-packages"
INSTALL_HINT = (
    "install the SoapySDR Python bindings and your device's module "
    "(Debian/Ubuntu: apt-get install python3-soapysdr soapysdr-module-hackrf, or soapysdr-module-all)"
)
#: Consecutive read timeouts (0.1 s each) after which a device is taken as lost.
MAX_TIMEOUTS = 20

DeviceFactory = Callable[[dict[str, str]], Any]
"""``factory(args)`` → an object with SoapySDR's ``Device`` interface."""


def parse_soapy_spec(spec: str) -> dict[str, str]:
    """``soapy:driver=hackrf,serial=ab12`` → ``{"driver": "hackrf", "serial": "ab12"}``; ``soapy:`` → ``{}``."""
    if not spec.startswith("soapy:"):
        raise InputError(spec, "not a SoapySDR spec (expected soapy:KEY=VALUE,...)")
    args: dict[str, str] = {}
    for part in spec[len("soapy:") :].split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InputError(spec, f"{part!r} is not KEY=VALUE (e.g. soapy:driver=hackrf,serial=…)")
        args[key.strip()] = value.strip()
    return args


def import_soapysdr() -> Any:
    """The ``SoapySDR`` module: from this interpreter's path, else from the system's dist-packages.

    Raises :class:`MissingDependency` with install advice when neither has it (or its bindings do not load).
    """
    try:
        return importlib.import_module("SoapySDR")
    except ImportError:
        pass
    where = os.environ.get("RFCLASSIFY_SOAPY_PATH", SYSTEM_DIST_PACKAGES)
    if not (Path(where) / "SoapySDR.py").exists():
        raise MissingDependency(f"SoapySDR Python bindings not found; {INSTALL_HINT}")
    # Only the bindings are taken from there: the path is removed again so that no other system
    # package shadows the venv's own.
    sys.path.insert(0, where)
    try:
        return importlib.import_module("SoapySDR")
    except ImportError as exc:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise MissingDependency(
            f"SoapySDR bindings in {where} do not load into Python {version} ({exc}); they are built for the "
            "system's python3: run rfclassify with a venv made from it (python3 -m venv …)"
        ) from None
    finally:
        if sys.path and sys.path[0] == where:
            sys.path.pop(0)


def soapy_device(args: dict[str, str]) -> Any:
    """Open a device with the SoapySDR bindings."""
    soapy = import_soapysdr()
    return soapy.Device(args)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SoapySource(LiveSource):
    """IQ blocks from a SoapySDR device (parameters as :class:`~rfclassify.sources.rtlsdr.RtlSdrSource`).

    ``bandwidth_hz`` sets the analog filter where the device has one (default:
    the driver's choice for the rate); ``channels`` selects the RX channels
    streamed together; ``antenna`` selects an input by name.
    """

    def __init__(
        self,
        spec: str,
        *,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
        gain: str | float | None = None,
        bandwidth_hz: float | None = None,
        antenna: str | None = None,
        channels: Sequence[int] = (0,),
        ppm: int = 0,
        num_samples: int | None = None,
        reconnect: bool = False,
        queue_blocks: int | None = None,
        on_status: StatusCallback | None = None,
        settle_s: float = DEFAULT_SETTLE_S,
        backoff_s: tuple[float, float] = (0.5, 30.0),
        device_factory: DeviceFactory | None = None,
    ) -> None:
        self.args = parse_soapy_spec(spec)
        chans = tuple(int(c) for c in channels)
        if not chans or len(set(chans)) != len(chans) or min(chans) < 0:
            raise InputError(spec, f"channels must be distinct channel numbers, not {channels!r}")
        super().__init__(
            spec,
            rate_hz=rate_hz,
            freq_hz=freq_hz,
            num_samples=num_samples,
            reconnect=reconnect,
            queue_blocks=queue_blocks,
            on_status=on_status,
            settle_s=settle_s,
            backoff_s=backoff_s,
            format_name="soapy",
            wire_datatype="ci16_le",
            num_channels=len(chans),
        )
        try:
            self.gain_db = parse_gain(gain)
        except ValueError as exc:
            raise InputError(spec, str(exc)) from None
        if bandwidth_hz is not None and not bandwidth_hz > 0:
            raise InputError(spec, f"bandwidth must be positive, not {bandwidth_hz!r}")
        self.bandwidth_hz = bandwidth_hz
        self.antenna = antenna
        self.channels = chans
        self.ppm = int(ppm)
        self.device_factory = device_factory or soapy_device
        self.driver = self.args.get("driver", "")
        self._device: Any = None
        self._stream: Any = None
        self._dev_lock = threading.Lock()
        self._open_device()

    @property
    def hardware(self) -> str:
        serial = self.args.get("serial")
        return f"SoapySDR {self.driver or 'device'}" + (f", serial {serial}" if serial else "")

    def _open_device(self) -> None:
        try:
            device = self.device_factory(dict(self.args))
        except MissingDependency as exc:
            raise MissingDependency(f"{self.spec}: {exc}") from None
        except SourceUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver failure means "no such device here"
            raise SourceUnavailable(
                f"{self.spec}: no SoapySDR device matches ({_reason(exc)}); list devices with SoapySDRUtil --find"
            ) from None
        try:
            self._configure(device)
            stream = device.setupStream(SOAPY_SDR_RX, CS16, list(self.channels))
            device.activateStream(stream)
        except InputError:
            _release(device, None)
            raise
        except Exception as exc:  # noqa: BLE001
            _release(device, None)
            raise SourceUnavailable(f"{self.spec}: cannot start streaming: {_reason(exc)}") from None
        with self._dev_lock:
            self._device, self._stream = device, stream
        with self._lock:
            self._epoch += 1  # fresh tuning needs time to settle

    def _configure(self, device: Any) -> None:
        self._check_ranges(device)
        if not self.driver:
            try:
                self.driver = str(device.getDriverKey())
            except Exception:  # noqa: BLE001 - only used to describe the hardware
                self.driver = ""
        for ch in self.channels:
            steps: list[tuple[str, Callable[[], Any]]] = [
                (f"sample rate {self.rate_hz:g} Hz", lambda ch=ch: device.setSampleRate(SOAPY_SDR_RX, ch, self.rate_hz)),
                (f"frequency {self.freq_hz:g} Hz", lambda ch=ch: device.setFrequency(SOAPY_SDR_RX, ch, self.freq_hz)),
            ]
            if self.bandwidth_hz is not None:
                steps.append((f"bandwidth {self.bandwidth_hz:g} Hz",
                              lambda ch=ch: device.setBandwidth(SOAPY_SDR_RX, ch, self.bandwidth_hz)))
            if self.antenna is not None:
                steps.append((f"antenna {self.antenna}", lambda ch=ch: device.setAntenna(SOAPY_SDR_RX, ch, self.antenna)))
            if self.ppm:
                steps.append((f"ppm {self.ppm}",
                              lambda ch=ch: device.setFrequencyCorrection(SOAPY_SDR_RX, ch, float(self.ppm))))
            if self.gain_db is None:
                steps.append(("automatic gain", lambda ch=ch: device.setGainMode(SOAPY_SDR_RX, ch, True)))
            else:
                steps.append(("manual gain", lambda ch=ch: device.setGainMode(SOAPY_SDR_RX, ch, False)))
                steps.append((f"gain {self.gain_db:g} dB", lambda ch=ch: device.setGain(SOAPY_SDR_RX, ch, self.gain_db)))
            for what, step in steps:
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 - drivers raise RuntimeError for refusals
                    raise InputError(self.spec, f"the device refused {what} on channel {ch}: {_reason(exc)}") from None

    def _check_ranges(self, device: Any) -> None:
        """Refuse channels, rates, frequencies and gains the device says it cannot do (one line each)."""
        count = int(device.getNumChannels(SOAPY_SDR_RX))
        if max(self.channels) >= count:
            raise InputError(self.spec, f"the device has {count} RX channel(s); asked for channels {list(self.channels)}")
        ch = self.channels[0]
        freq_ranges = [(float(r.minimum()), float(r.maximum())) for r in device.getFrequencyRange(SOAPY_SDR_RX, ch)]
        if freq_ranges and not any(lo <= self.freq_hz <= hi for lo, hi in freq_ranges):
            span = ", ".join(f"{lo / 1e6:g}–{hi / 1e6:g} MHz" for lo, hi in freq_ranges)
            raise InputError(self.spec, f"frequency {self.freq_hz / 1e6:g} MHz is outside the device's range {span}")
        rate_ranges = [(float(r.minimum()), float(r.maximum())) for r in device.getSampleRateRange(SOAPY_SDR_RX, ch)]
        if rate_ranges and not any(lo * 0.999 <= self.rate_hz <= hi * 1.001 for lo, hi in rate_ranges):
            span = ", ".join(f"{lo / 1e6:g}–{hi / 1e6:g}" if hi > lo else f"{lo / 1e6:g}" for lo, hi in rate_ranges)
            raise InputError(self.spec, f"sample rate {self.rate_hz / 1e6:g} MS/s is not one the device offers ({span} MS/s)")
        if self.gain_db is not None:
            g = device.getGainRange(SOAPY_SDR_RX, ch)
            lo, hi = float(g.minimum()), float(g.maximum())
            if hi > lo and not lo <= self.gain_db <= hi:
                raise InputError(self.spec, f"gain {self.gain_db:g} dB is outside the device's range {lo:g}–{hi:g} dB")

    def _open(self) -> None:
        if self._device is None:
            self._open_device()

    def _tune(self, freq_hz: float) -> None:
        with self._dev_lock:
            device = self._device
        if device is None:
            return
        for ch in self.channels:
            try:
                device.setFrequency(SOAPY_SDR_RX, ch, freq_hz)
            except Exception as exc:  # noqa: BLE001
                raise InputError(self.spec, f"the device refused frequency {freq_hz:g} Hz: {_reason(exc)}") from None

    def _close_device(self) -> None:
        with self._dev_lock:
            device, stream = self._device, self._stream
            self._device = self._stream = None
        if device is not None:
            _release(device, stream)

    def _read_into(self, device: Any, stream: Any, buffers: list[np.ndarray]) -> int:
        """One ``readStream``: samples read (≥ 0) or a SoapySDR error code (< 0)."""
        result = device.readStream(stream, buffers, len(buffers[0]) // 2, timeoutUs=100_000)
        return int(result.ret if hasattr(result, "ret") else result[0])

    def _run_reader(self) -> None:
        attempt = 0
        per_read = self.chunk_samples
        buffers = [np.empty(2 * per_read, dtype=np.int16) for _ in self.channels]
        while not self._stop.is_set():
            with self._dev_lock:
                device, stream = self._device, self._stream
            if device is None:
                next_attempt = self._reopen(self._open_device, attempt, (SourceUnavailable, InputError), "device reopened")
                if next_attempt is None:
                    return
                attempt = next_attempt
                continue
            why = self._stream_until_error(device, stream, buffers)
            if self._stop.is_set():
                return
            self._close_device()
            self._mark_disconnected()
            self._report("disconnected", f"{self.spec}: SoapySDR device lost ({why})", samples=self._next_index)
            if not self.reconnect:
                raise SourceUnavailable(f"{self.spec}: SoapySDR device lost ({why})")

    def _stream_until_error(self, device: Any, stream: Any, buffers: list[np.ndarray]) -> str:
        """Read and deliver until stopped (returns ``""``) or the device fails (returns why)."""
        timeouts = 0
        while not self._stop.is_set():
            try:
                n = self._read_into(device, stream, buffers)
            except Exception as exc:  # noqa: BLE001 - the driver's way of saying the device is gone
                return _reason(exc)
            if n == SOAPY_SDR_TIMEOUT:
                timeouts += 1
                if timeouts >= MAX_TIMEOUTS:
                    return f"no samples for {MAX_TIMEOUTS * 0.1:.0f} s"
                continue
            if n == SOAPY_SDR_OVERFLOW:
                self._mark_disconnected(overflow=True)  # the driver lost samples: re-anchor the timeline on the wall clock
                continue
            if n < 0:
                return f"readStream error {n}"
            timeouts = 0
            if n == 0:
                continue
            t_recv = time.time()
            if len(buffers) == 1:
                raw = buffers[0][: 2 * n].copy()
            else:  # interleave the channels per sample instant: I0 Q0 I1 Q1 …
                raw = np.stack([b[: 2 * n].reshape(n, 2) for b in buffers], axis=1).reshape(-1)
            self._deliver(raw, t_recv)
        return ""


def _release(device: Any, stream: Any) -> None:
    for step in (
        (lambda: device.deactivateStream(stream)) if stream is not None else None,
        (lambda: device.closeStream(stream)) if stream is not None else None,
        getattr(device, "close", None),
    ):
        if step is None:
            continue
        try:
            step()
        except Exception:  # noqa: BLE001, S110 - best effort while releasing a device
            pass
