"""Live IQ from an RTL-SDR dongle on USB (``rtlsdr:``, ``rtlsdr:INDEX``, ``rtlsdr::SERIAL``) through pyrtlsdr.

The dongle is opened with pyrtlsdr (github.com/pyrtlsdr/pyrtlsdr, a ctypes
wrapper of librtlsdr from the osmocom rtl-sdr tree). Samples are read with
``read_bytes_async`` (librtlsdr's ``rtlsdr_read_async``: a ring of USB bulk
transfers, each handed to a callback as raw interleaved unsigned 8-bit I/Q)
in a reader thread; the callback only copies the bytes into the bounded
queue of :class:`rfclassify.sources.live.LiveSource`, and the consumer
unpacks them with the ``cu8`` lookup table of
:mod:`rfclassify.sources.datatypes` rather than pyrtlsdr's complex128
conversion. A full queue drops the transfer and counts it
(``dropped_samples``), reported like every other status. Retuning, settling,
timing and reconnection (a dongle unplugged and plugged back) follow
:class:`~rfclassify.sources.live.LiveSource`.

Gain is ``'auto'`` (tuner AGC) or dB, rounded by pyrtlsdr to the nearest
gain the tuner supports (``rtlsdr_get_tuner_gains``); ``ppm`` is the crystal
correction (``rtlsdr_set_freq_correction``); ``bias_tee`` powers an active
antenna on dongles that have one (RTL-SDR Blog V3 and later,
``rtlsdr_set_bias_tee``).

The device object is injectable (``device_factory``) so tests run a fake
librtlsdr device that produces known bytes; the real-dongle test is marked
``hardware`` and opt-in.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from rfclassify.errors import InputError, MissingDependency, SourceUnavailable
from rfclassify.sources.limits import check_rtl_rate, check_rtl_tuning
from rfclassify.sources.live import DEFAULT_SETTLE_S, LiveSource, StatusCallback, parse_gain
from rfclassify.sources.rtltcp_protocol import TUNER_NAMES

#: What to install when pyrtlsdr (or the librtlsdr it loads) is missing: the extra brings both
#: (pyrtlsdr, and pyrtlsdrlib's bundled librtlsdr); a system librtlsdr0 alone gives no Python module.
INSTALL_HINT = "pip install 'rfclassify[rtlsdr]' (pyrtlsdr and librtlsdr)"
#: What to check when the driver loads but opens no dongle.
NO_DONGLE_HINT = (
    "check that the dongle is plugged in (lsusb lists 0bda:2838 or 0bda:2832), that the DVB-T kernel driver does "
    "not hold it (blacklist dvb_usb_rtl28xxu in /etc/modprobe.d/, then replug), and that udev lets this user open "
    "it (the rtl-sdr udev rules, group plugdev); rtl_test tells which"
)

DeviceFactory = Callable[[int, "str | None"], Any]
"""``factory(index, serial)`` → an object with pyrtlsdr's ``RtlSdr`` interface."""

_SPEC_RE = re.compile(r"^rtlsdr:(?:(\d*)|:(.+))$")


def parse_rtlsdr_spec(spec: str) -> tuple[int, str | None]:
    """``rtlsdr:`` → (0, None); ``rtlsdr:2`` → (2, None); ``rtlsdr::SERIAL`` → (0, "SERIAL")."""
    match = _SPEC_RE.match(spec)
    if not match:
        raise InputError(
            spec, "not an RTL-SDR spec (expected rtlsdr:, rtlsdr:INDEX or rtlsdr::SERIAL)"
        )
    index, serial = match.groups()
    return (int(index) if index else 0), serial


def pyrtlsdr_device(index: int, serial: str | None) -> Any:
    """Open a dongle with pyrtlsdr (by serial number when given, else by index).

    Raises :class:`MissingDependency` when pyrtlsdr or librtlsdr cannot be loaded.
    """
    try:
        from rtlsdr import RtlSdr
    except Exception as exc:  # noqa: BLE001 - ImportError, OSError or AttributeError from ctypes
        raise MissingDependency(
            f"cannot load pyrtlsdr/librtlsdr ({_reason(exc)}); {INSTALL_HINT}"
        ) from None
    if serial is not None:
        return RtlSdr(serial_number=serial)
    return RtlSdr(device_index=index)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


class RtlSdrSource(LiveSource):
    """IQ blocks from an RTL-SDR dongle; parameters as :class:`~rfclassify.sources.rtltcp.RtlTcpSource`.

    ``device_factory(index, serial)`` returns the device (default: pyrtlsdr's
    ``RtlSdr``). The device is opened and tuned at construction, so a missing
    dongle is reported at once as :class:`SourceUnavailable` (with what to
    check: USB, the DVB-T driver, udev), a missing pyrtlsdr or librtlsdr as
    :class:`MissingDependency` (with what to install).
    """

    def __init__(
        self,
        spec: str,
        *,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
        gain: str | float | None = None,
        ppm: int = 0,
        agc: bool = False,
        bias_tee: bool = False,
        num_samples: int | None = None,
        reconnect: bool = False,
        queue_blocks: int | None = None,
        on_status: StatusCallback | None = None,
        settle_s: float = DEFAULT_SETTLE_S,
        backoff_s: tuple[float, float] = (0.5, 30.0),
        device_factory: DeviceFactory | None = None,
    ) -> None:
        self.index, self.serial = parse_rtlsdr_spec(spec)
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
            format_name="rtlsdr",
        )
        try:
            self.gain_db = parse_gain(gain)
        except ValueError as exc:
            raise InputError(spec, str(exc)) from None
        check_rtl_rate(spec, self.rate_hz)
        check_rtl_tuning(spec, self.freq_hz, self.gain_db)
        self.ppm = int(ppm)
        self.agc = bool(agc)
        self.bias_tee = bool(bias_tee)
        self.device_factory = device_factory or pyrtlsdr_device
        self.tuner_type: int | None = None
        self._device: Any = None
        self._dev_lock = threading.Lock()
        self._reading = False
        self._open_device()

    @property
    def hardware(self) -> str:
        tuner = TUNER_NAMES.get(self.tuner_type, None) if self.tuner_type is not None else None
        serial = f", serial {self.serial}" if self.serial else ""
        return f"RTL-SDR ({tuner} tuner{serial})" if tuner else f"RTL-SDR{serial}"

    def _open_device(self) -> None:
        try:
            device = self.device_factory(self.index, self.serial)
        except MissingDependency as exc:
            raise MissingDependency(f"{self.spec}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - any failure of the driver means "no dongle here"
            raise SourceUnavailable(
                f"{self.spec}: no RTL-SDR found: {_reason(exc)}; {NO_DONGLE_HINT}"
            ) from None
        try:
            self._configure(device)
        except Exception:
            _quiet(device.close)
            raise
        with self._dev_lock:
            self._device = device
        with self._lock:
            self._epoch += 1  # fresh tuning needs time to settle

    def _configure(self, device: Any) -> None:
        getter = getattr(device, "get_tuner_type", None)
        if callable(getter):
            try:
                self.tuner_type = int(getter())
            except Exception:  # noqa: BLE001 - describes the hardware; its limits are checked when known
                self.tuner_type = None
        check_rtl_tuning(self.spec, self.freq_hz, self.gain_db, self.tuner_type)
        steps: list[tuple[str, Callable[[], Any]]] = [
            (
                f"sample rate {self.rate_hz:g} Hz",
                lambda: setattr(device, "sample_rate", self.rate_hz),
            ),
            (
                f"frequency {self.freq_hz:g} Hz",
                lambda: setattr(device, "center_freq", self.freq_hz),
            ),
        ]
        if self.ppm:
            steps.append((f"ppm {self.ppm}", lambda: setattr(device, "freq_correction", self.ppm)))
        gain = "auto" if self.gain_db is None else self.gain_db
        steps.append((f"gain {gain}", lambda: setattr(device, "gain", gain)))
        if self.agc:
            steps.append(("RTL AGC", lambda: device.set_agc_mode(True)))
        if self.bias_tee:
            steps.append(("bias tee", lambda: device.set_bias_tee(True)))
        for what, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - librtlsdr reports every refusal as IOError
                raise InputError(self.spec, f"the dongle refused {what}: {_reason(exc)}") from None

    def _open(self) -> None:
        if self._device is None:
            self._open_device()

    def _tune(self, freq_hz: float) -> None:
        with self._dev_lock:
            device = self._device
        if device is not None:
            try:
                device.center_freq = freq_hz
            except Exception as exc:  # noqa: BLE001
                raise InputError(
                    self.spec, f"the dongle refused frequency {freq_hz:g} Hz: {_reason(exc)}"
                ) from None

    def _close_device(self) -> None:
        with self._dev_lock:
            device = self._device
            if device is None:
                return
            if self._reading:
                # the reader thread closes the device once read_bytes_async returns
                _quiet(device.cancel_read_async)
                return
            self._device = None
        _quiet(device.close)

    def _on_bytes(self, values: Any, context: Any = None) -> None:
        if self._stop.is_set():
            # pyrtlsdr passes the device as context; cancelling here also covers a
            # cancel_read_async() that raced ahead of read_bytes_async()
            if context is not None:
                _quiet(context.cancel_read_async)
            return
        # librtlsdr reuses its transfer buffers: copy before queueing
        self._deliver(np.frombuffer(values, dtype=np.uint8).copy())

    def _run_reader(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            with self._dev_lock:
                if self._stop.is_set():
                    return
                device = self._device
                self._reading = device is not None
            if device is None:
                next_attempt = self._reopen(
                    self._open_device, attempt, (SourceUnavailable, InputError), "dongle reopened"
                )
                if next_attempt is None:
                    return
                attempt = next_attempt
                continue
            why = "the driver stopped streaming"
            try:
                device.read_bytes_async(self._on_bytes, 2 * self.chunk_samples)
            except Exception as exc:  # noqa: BLE001 - LibUSBError/IOError: the dongle is gone
                why = _reason(exc)
            finally:
                with self._dev_lock:
                    self._reading = False
            if self._stop.is_set():
                return
            with self._dev_lock:
                self._device = None
            _quiet(device.close)
            self._mark_disconnected()
            self._report(
                "disconnected", f"{self.spec}: RTL-SDR lost ({why})", samples=self._next_index
            )
            if not self.reconnect:
                raise SourceUnavailable(f"{self.spec}: RTL-SDR lost ({why})")


def _quiet(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001, S110 - best effort while releasing a device
        pass
