"""The RTL-SDR source with a fake librtlsdr device that produces known bytes (and one opt-in real-dongle test)."""

from __future__ import annotations

import ctypes
import sys
import threading
import time

import numpy as np
import pytest

from rfclassify.cli.capture_cmd import capture_to_sigmf
from rfclassify.errors import InputError, MissingDependency, SourceUnavailable
from rfclassify.sources import open_source
from rfclassify.sources.datatypes import datatype, decode
from rfclassify.sources.rtlsdr import RtlSdrSource, parse_rtlsdr_spec

CU8 = datatype("cu8")


class FakeRtlSdr:
    """Stands in for pyrtlsdr's ``RtlSdr``: the same attributes and async read, fed from ``data``.

    Like librtlsdr it hands the callback a ctypes ``c_ubyte`` array that it
    reuses for the next transfer, and passes itself as the context. With
    ``marker`` the I bytes carry the tuned frequency (MHz mod 256) instead.
    ``fail_after`` raises an IOError (a dongle pulled out) after that many bytes.
    """

    def __init__(self, data, *, pace_hz=None, marker=False, fail_after=None):
        self.data = (
            np.frombuffer(bytes(data), np.uint8)
            if isinstance(data, bytes)
            else np.asarray(data, np.uint8)
        )
        self.pace_hz = pace_hz
        self.marker = marker
        self.fail_after = fail_after
        self.sample_rate = 2.048e6
        self.center_freq = 100e6
        self.freq_correction = 0
        self.gain = 0.0
        self.agc = False
        self.bias_tee = False
        self.closed = False
        self.bytes_sent = 0
        self._cancel = threading.Event()

    def set_bias_tee(self, enabled):
        self.bias_tee = bool(enabled)

    def set_agc_mode(self, enabled):
        self.agc = bool(enabled)

    def get_tuner_type(self):
        return 5

    def _next(self, num_bytes):
        if self.marker:
            out = np.zeros(num_bytes, np.uint8)
            out[0::2] = round(self.center_freq / 1e6) % 256
            return out
        idx = (self.bytes_sent + np.arange(num_bytes)) % len(self.data)
        return self.data[idx]

    def read_bytes_async(self, callback, num_bytes=1024, context=None):
        buf = (ctypes.c_ubyte * num_bytes)()
        t0 = time.monotonic()
        while not self._cancel.is_set():
            if self.fail_after is not None and self.bytes_sent >= self.fail_after:
                raise OSError("LIBUSB_ERROR_NO_DEVICE")
            np.frombuffer(buf, np.uint8)[:] = self._next(num_bytes)
            self.bytes_sent += num_bytes
            callback(buf, context or self)
            if self.pace_hz:
                delay = t0 + self.bytes_sent / 2 / self.pace_hz - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        self._cancel.clear()

    def cancel_read_async(self):
        self._cancel.set()

    def close(self):
        self.closed = True


class Factory:
    """A ``device_factory`` that records what it was asked for and hands out fakes."""

    def __init__(self, *devices):
        self.devices = list(devices)
        self.calls = []

    def __call__(self, index, serial):
        self.calls.append((index, serial))
        if not self.devices:
            raise OSError("LIBUSB_ERROR_NOT_FOUND")
        return self.devices.pop(0)


def random_cu8(num_samples, seed=4):
    return np.random.default_rng(seed).integers(0, 256, 2 * num_samples, dtype=np.uint8)


def test_samples_settings_and_lut_conversion():
    data = random_cu8(100_000)
    dev = FakeRtlSdr(data, pace_hz=5e6)
    factory = Factory(dev)
    src = RtlSdrSource(
        "rtlsdr:3", freq_hz=915e6, rate_hz=2.4e6, gain=28.0, ppm=5, bias_tee=True, agc=True,
        settle_s=0, num_samples=250_000, device_factory=factory,
    )  # fmt: skip
    assert factory.calls == [(3, None)]
    assert (dev.sample_rate, dev.center_freq, dev.gain, dev.freq_correction) == (
        2.4e6,
        915e6,
        28.0,
        5,
    )
    assert dev.bias_tee and dev.agc
    assert src.hardware == "RTL-SDR (R820T tuner)" and src.info.format == "rtlsdr"
    blocks = list(src.blocks(30_000))
    got = np.concatenate([b.samples for b in blocks])
    assert got.dtype == np.complex64 and len(got) == 250_000
    ref = decode(data, CU8)
    np.testing.assert_array_equal(got, np.concatenate([ref, ref, ref[:50_000]]))
    assert [b.sample_index for b in blocks] == list(range(0, 250_000, 30_000))
    assert src.dropped_samples == 0
    assert dev.closed  # released when the stream ended


def test_spec_serial_auto_gain_and_open_source():
    dev = FakeRtlSdr(random_cu8(1000), pace_hz=1e6)
    factory = Factory(dev)
    with open_source("rtlsdr::00000042", center_freq_hz="868M", sample_rate_hz="1M", device_factory=factory) as src:
        assert isinstance(src, RtlSdrSource)
        assert factory.calls == [(0, "00000042")] and dev.gain == "auto"
        assert "serial 00000042" in src.hardware
    assert dev.closed


@pytest.mark.parametrize(
    "spec,expected",
    [("rtlsdr:", (0, None)), ("rtlsdr:1", (1, None)), ("rtlsdr::SER1", (0, "SER1"))],
)
def test_parse_spec(spec, expected):
    assert parse_rtlsdr_spec(spec) == expected


@pytest.mark.parametrize("spec", ["rtlsdr:x", "rtlsdr:1:2", "rtlsdr::"])
def test_parse_spec_rejects(spec):
    with pytest.raises(InputError):
        parse_rtlsdr_spec(spec)


def test_slow_consumer_overflow_is_counted_and_reported():
    data = random_cu8(200_003)
    dev = FakeRtlSdr(data, pace_hz=1e6)
    events = []
    src = RtlSdrSource(
        "rtlsdr:", freq_hz=915e6, rate_hz=1e6, settle_s=0, queue_blocks=2,
        device_factory=Factory(dev), on_status=events.append,
    )  # fmt: skip
    blocks = []
    for block in src.blocks(10_000):
        blocks.append(block)
        time.sleep(0.03)  # three times slower than the dongle
        if len(blocks) == 12:
            break
    assert src.dropped_samples > 0
    dropped = [e for e in events if e["event"] == "dropped"]
    assert dropped and dropped[-1]["dropped_samples"] == src.dropped_samples
    ref = decode(data, CU8)
    for b in blocks:  # sample_index jumps over the drops: each block is where the dongle put it
        idx = (b.sample_index + np.arange(len(b.samples))) % len(ref)
        np.testing.assert_array_equal(b.samples, ref[idx])
    assert blocks[-1].sample_index > 12 * 10_000  # the timeline includes what was dropped


def test_retune_discards_in_flight_samples():
    dev = FakeRtlSdr(b"", pace_hz=1e6, marker=True)
    src = RtlSdrSource(
        "rtlsdr:", freq_hz=903e6, rate_hz=1e6, settle_s=0.02, device_factory=Factory(dev)
    )
    seen = []
    for block in src.blocks(5000):
        markers = np.unique(np.rint(block.samples.real * 127.5 + 127.5))
        seen.append((block.center_freq_hz, tuple(markers)))
        if len(seen) == 4:
            src.retune(915e6)
            assert dev.center_freq == 915e6
        if len(seen) == 10:
            break
    src.close()
    assert seen[:4] == [(903e6, (903 % 256,))] * 4
    assert seen[4:] == [(915e6, (915 % 256,))] * 6


def test_unplugged_dongle_without_reconnect_is_one_line():
    dev = FakeRtlSdr(random_cu8(10_000), pace_hz=1e6, fail_after=100_000)
    src = RtlSdrSource(
        "rtlsdr:", freq_hz=915e6, rate_hz=1e6, device_factory=Factory(dev), on_status=lambda e: None
    )
    with pytest.raises(SourceUnavailable) as err:
        for _ in src.blocks(5000):
            pass
    assert str(err.value).startswith("rtlsdr:: RTL-SDR lost") and "LIBUSB_ERROR_NO_DEVICE" in str(
        err.value
    )
    assert dev.closed


def test_unplugged_dongle_with_reconnect_reopens():
    first = FakeRtlSdr(random_cu8(10_000), pace_hz=1e6, fail_after=60_000)
    second = FakeRtlSdr(random_cu8(10_000), pace_hz=1e6)
    factory = Factory(first)  # the first retry finds nothing; the dongle comes back after that
    events = []

    def on_status(event):
        events.append(event)
        if event["event"] == "reconnecting":
            factory.devices.append(second)

    src = RtlSdrSource(
        "rtlsdr:", freq_hz=915e6, rate_hz=1e6, settle_s=0, reconnect=True, backoff_s=(0.05, 0.1),
        device_factory=factory, on_status=on_status,
    )  # fmt: skip
    blocks = []
    for block in src.blocks(10_000):
        blocks.append(block)
        if block.sample_index > 200_000:
            break
    src.close()
    kinds = [e["event"] for e in events]
    assert kinds.index("disconnected") < kinds.index("reconnecting") < kinds.index("reconnected")
    assert src.reconnects == 1 and first.closed and second.closed
    assert second.center_freq == 915e6 and second.sample_rate == 1e6  # tuning sent again
    assert src.dropped_samples >= 0.04 * 1e6  # at least the backoff wait is on the timeline
    indices = [b.sample_index for b in blocks]
    assert indices == sorted(indices)


def test_missing_pyrtlsdr_is_permanent_with_install_advice(monkeypatch):
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # what `import rtlsdr` meets where pyrtlsdr is not installed
    with pytest.raises(MissingDependency) as err:
        RtlSdrSource("rtlsdr:99", freq_hz=915e6)  # the real pyrtlsdr_device path
    message = str(err.value)
    assert message.startswith("rtlsdr:99: cannot load pyrtlsdr/librtlsdr") and "\n" not in message
    assert "pip install 'rfclassify[rtlsdr]'" in message and "apt-get" not in message
    assert not isinstance(err.value, SourceUnavailable)  # not retried by a node


def test_no_dongle_says_what_to_check():
    # a driver that loads but finds no dongle raises as librtlsdr does through pyrtlsdr
    with pytest.raises(SourceUnavailable) as err:
        RtlSdrSource("rtlsdr:", freq_hz=915e6, device_factory=Factory())
    message = str(err.value)
    assert message.startswith("rtlsdr:: no RTL-SDR found: LIBUSB_ERROR_NOT_FOUND") and "\n" not in message
    for advice in ("plugged in", "dvb_usb_rtl28xxu", "udev"):
        assert advice in message


def test_refused_setting_is_input_error_and_releases_the_dongle():
    class PickyRtlSdr(FakeRtlSdr):
        def __setattr__(self, name, value):
            if name == "sample_rate" and value == 3.2e6:
                raise OSError("Could not set sample rate to 3200000 Hz")
            super().__setattr__(name, value)

    dev = PickyRtlSdr(b"\x00\x00")
    with pytest.raises(InputError, match="refused sample rate"):
        RtlSdrSource("rtlsdr:", freq_hz=915e6, rate_hz=3.2e6, device_factory=Factory(dev))
    assert dev.closed


def test_capture_with_drops_starts_a_new_segment(tmp_path):
    data = random_cu8(100_000, seed=9)
    dev = FakeRtlSdr(data, pace_hz=1e6)
    src = RtlSdrSource(
        "rtlsdr:", freq_hz=433.92e6, rate_hz=1e6, settle_s=0, queue_blocks=2,
        device_factory=Factory(dev), on_status=lambda e: None,
    )  # fmt: skip
    slow = iter([0.08] + [0.0] * 1000)  # a disk that stalls once
    result = capture_to_sigmf(
        src,
        tmp_path / "drops.sigmf-meta",
        150_000,
        progress=lambda n: time.sleep(next(slow)),
        block_size=10_000,
    )
    assert result.error is None and result.num_samples == 150_000
    assert result.dropped_samples > 0 and result.segments >= 2
    with open_source(str(result.meta_path)) as rec:
        assert rec.info.num_samples == 150_000 and len(rec.captures) == result.segments
        starts = [c.sample_start for c in rec.captures]
        times = [c.datetime for c in rec.captures]
        lost = [c.extra.get("rfclassify:samples_lost_before", 0) for c in rec.captures]
        assert sum(lost) == result.dropped_samples
        # each segment's time = previous time + recorded + lost samples, at 1 MS/s
        for i in range(1, len(starts)):
            gap_s = (times[i] - times[i - 1]).total_seconds()
            assert gap_s == pytest.approx((starts[i] - starts[i - 1] + lost[i]) / 1e6, abs=2e-6)
        ref = decode(data, CU8)
        back = rec.read_all()
    # the first segment's samples are the dongle's first samples, byte for byte
    np.testing.assert_array_equal(back[: starts[1]], ref[: starts[1]])


@pytest.mark.hardware
def test_real_dongle_streams():
    with RtlSdrSource("rtlsdr:", freq_hz=100e6, rate_hz=2.048e6, num_samples=2**18) as src:
        blocks = list(src.blocks(2**16))
    x = np.concatenate([b.samples for b in blocks])
    assert len(x) == 2**18 and np.std(x) > 0
    assert src.dropped_samples == 0
