"""The SoapySDR source against a fake device with SoapySDR's ``Device`` interface (real devices: opt-in)."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from rfclassify.cli.capture_cmd import capture_to_sigmf
from rfclassify.errors import InputError, MissingDependency, SourceUnavailable
from rfclassify.sources import is_live_spec, open_source
from rfclassify.sources.soapy import (
    SOAPY_SDR_OVERFLOW,
    SOAPY_SDR_RX,
    SoapySource,
    import_soapysdr,
    parse_soapy_spec,
)


class _Range:
    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def minimum(self) -> float:
        return self.lo

    def maximum(self) -> float:
        return self.hi


class _Result:
    def __init__(self, ret: int) -> None:
        self.ret, self.flags, self.timeNs = ret, 0, 0


class FakeSoapyDevice:
    """Stands in for ``SoapySDR.Device``: CS16 samples whose I counts up per channel, paced at the rate.

    Channel ``c``'s sample ``k`` is ``I = (k + 1000·c) mod 30000, Q = −I``. ``overflow_at`` answers one
    read with ``SOAPY_SDR_OVERFLOW`` after that many samples and skips ``overflow_skip`` samples (lost
    in the driver); ``fail_at`` raises (device unplugged) after that many samples.
    """

    def __init__(self, *, channels: int = 1, pace: bool = True, overflow_at: int | None = None,
                 overflow_skip: int = 0, fail_at: int | None = None, samples: np.ndarray | None = None) -> None:
        self.num_channels = channels
        self.pace = pace
        self.overflow_at, self.overflow_skip, self.fail_at = overflow_at, overflow_skip, fail_at
        self.samples = samples  # complex int16 values to play instead of the counter (channel 0)
        self.settings: dict[tuple[str, int], object] = {}
        self.rate = 1e6
        self.sent = 0
        self.active = False
        self.closed = False
        self.t0: float | None = None

    # configuration ---------------------------------------------------------------------------
    def getNumChannels(self, direction):
        assert direction == SOAPY_SDR_RX
        return self.num_channels

    def getFrequencyRange(self, direction, ch):
        return [_Range(1e6, 6e9)]

    def getSampleRateRange(self, direction, ch):
        return [_Range(1e6, 20e6)]

    def getGainRange(self, direction, ch):
        return _Range(0.0, 62.0)

    def getDriverKey(self):
        return "fake"

    def setSampleRate(self, direction, ch, rate):
        self.rate = rate
        self.settings[("rate", ch)] = rate

    def setFrequency(self, direction, ch, freq):
        self.settings[("freq", ch)] = freq

    def setGainMode(self, direction, ch, automatic):
        self.settings[("agc", ch)] = automatic

    def setGain(self, direction, ch, gain):
        self.settings[("gain", ch)] = gain

    def setBandwidth(self, direction, ch, bw):
        self.settings[("bw", ch)] = bw

    # streaming -----------------------------------------------------------------------------------
    def setupStream(self, direction, fmt, channels):
        assert fmt == "CS16"
        self.stream_channels = list(channels)
        return "stream"

    def activateStream(self, stream):
        self.active = True

    def deactivateStream(self, stream):
        self.active = False

    def closeStream(self, stream):
        pass

    def close(self):
        self.closed = True

    def readStream(self, stream, buffers, num, timeoutUs=100000):
        if self.fail_at is not None and self.sent >= self.fail_at:
            raise RuntimeError("LIBUSB_ERROR_NO_DEVICE")
        if self.overflow_at is not None and self.sent >= self.overflow_at:
            self.overflow_at = None
            self.sent += self.overflow_skip
            return _Result(SOAPY_SDR_OVERFLOW)
        if self.pace:
            if self.t0 is None:
                self.t0 = time.monotonic()
            delay = self.t0 + (self.sent + num) / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        k = self.sent + np.arange(num)
        for c, buf in enumerate(buffers):
            if self.samples is not None and c == 0:
                v = self.samples[k % len(self.samples)]
                buf[0 : 2 * num : 2], buf[1 : 2 * num : 2] = v.real, v.imag
            else:
                i = (k + 1000 * self.stream_channels[c]) % 30000
                buf[0 : 2 * num : 2], buf[1 : 2 * num : 2] = i, -i
        self.sent += num
        return _Result(num)


def _open(device: FakeSoapyDevice, spec: str = "soapy:driver=fake", **kw):
    return open_source(spec, sample_rate_hz=kw.pop("rate", 1e6), center_freq_hz=kw.pop("freq", 2.44e9), device_factory=lambda a: device,
                       **kw)


def _expected_i(start: int, n: int, channel: int = 0) -> np.ndarray:
    return ((start + np.arange(n) + 1000 * channel) % 30000) / 32768.0


def test_spec_parsing_and_liveness():
    assert parse_soapy_spec("soapy:") == {}
    assert parse_soapy_spec("soapy:driver=hackrf,serial=ab12") == {"driver": "hackrf", "serial": "ab12"}
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_soapy_spec("soapy:hackrf")
    assert is_live_spec("soapy:driver=hackrf")


def test_blocks_carry_the_device_samples_in_order():
    dev = FakeSoapyDevice()
    with _open(dev, gain=30, bandwidth_hz=5e6, settle_s=0.0) as src:
        assert src.hardware == "SoapySDR fake" and src.info.datatype == "ci16_le"
        assert dev.settings[("gain", 0)] == 30 and dev.settings[("agc", 0)] is False
        assert dev.settings[("bw", 0)] == 5e6 and dev.settings[("freq", 0)] == 2.44e9
        src.num_samples = 50_000
        blocks = list(src.blocks(8192))
    assert len(blocks) == 7  # 6 of 8192 samples, then the rest
    x = np.concatenate([b.samples for b in blocks])
    assert len(x) == 50_000 and blocks[0].center_freq_hz == 2.44e9
    start = blocks[0].sample_index
    assert np.allclose(x.real, _expected_i(start, len(x)), atol=1e-6)
    assert np.allclose(x.imag, -x.real, atol=1e-6)
    assert all(b.sample_index == start + 8192 * k for k, b in enumerate(blocks))
    assert not dev.active  # released on close


def test_device_ranges_are_checked():
    with pytest.raises(InputError, match="outside the device's range"):
        _open(FakeSoapyDevice(), freq=7e9)
    with pytest.raises(InputError, match="sample rate 40 MS/s"):
        _open(FakeSoapyDevice(), rate=40e6)
    with pytest.raises(InputError, match="gain 99 dB"):
        _open(FakeSoapyDevice(), gain=99)
    with pytest.raises(InputError, match="1 RX channel"):
        _open(FakeSoapyDevice(), channels=(0, 1))
    with pytest.raises(SourceUnavailable, match="no SoapySDR device"):
        open_source("soapy:driver=none", sample_rate_hz=1e6, center_freq_hz=1e9, device_factory=lambda a: (_ for _ in ()).throw(
            RuntimeError("no match")))


def test_overflow_counts_dropped_samples_and_keeps_time():
    dev = FakeSoapyDevice(overflow_at=200_000, overflow_skip=100_000)
    with _open(dev, settle_s=0.0) as src:
        src.num_samples = 400_000
        blocks = list(src.blocks(1 << 14))
        dropped = src.dropped_samples
    gaps = [b.sample_index - (a.sample_index + len(a.samples)) for a, b in itertools.pairwise(blocks)]
    assert sum(1 for g in gaps if g > 0) == 1
    jump = max(gaps)
    assert 50_000 < jump < 200_000 and dropped == jump  # the lost 0.1 s, measured on the wall clock


def test_lost_device_reconnects_or_ends():
    dev = FakeSoapyDevice(fail_at=100_000)
    with _open(dev, settle_s=0.0) as src, pytest.raises(SourceUnavailable, match="device lost"):
        for _ in src.blocks(1 << 14):
            pass
    devices = [FakeSoapyDevice(fail_at=100_000), FakeSoapyDevice()]
    events: list[dict] = []
    src = open_source("soapy:driver=fake", sample_rate_hz=1e6, center_freq_hz=1e9, device_factory=lambda a: devices.pop(0),
                      reconnect=True, on_status=events.append, settle_s=0.0, backoff_s=(0.05, 0.1))
    with src:
        src.num_samples = 300_000
        n = sum(len(b.samples) for b in src.blocks(1 << 14))
    assert n == 300_000 and src.reconnects == 1
    assert [e["event"] for e in events if e["event"] in ("disconnected", "reconnected")] == ["disconnected", "reconnected"]


def test_two_channels_stream_together():
    dev = FakeSoapyDevice(channels=2)
    with _open(dev, channels=(0, 1), settle_s=0.0) as src:
        assert src.info.num_channels == 2
        src.num_samples = 20_000
        blocks = list(src.blocks(4096))
    x = np.concatenate([b.samples for b in blocks])
    assert x.shape == (20_000, 2)
    start = blocks[0].sample_index
    for ch in (0, 1):
        assert np.allclose(x[:, ch].real, _expected_i(start, 20_000, ch), atol=1e-6)


def test_retune_reaches_every_channel_and_every_later_block():
    dev = FakeSoapyDevice()
    seen = []
    with _open(dev, settle_s=0.001) as src:
        for k, block in enumerate(src.blocks(1 << 14)):
            seen.append(block.center_freq_hz)
            if k == 3:
                src.retune(2.45e9)
            if k == 8:
                break
    assert seen[:4] == [2.44e9] * 4 and seen[-1] == 2.45e9 and dev.settings[("freq", 0)] == 2.45e9
    assert seen[seen.index(2.45e9):] == [2.45e9] * (len(seen) - seen.index(2.45e9))


def test_capture_writes_the_device_values_exactly(tmp_path):
    dev = FakeSoapyDevice()
    with _open(dev, settle_s=0.0) as src:
        result = capture_to_sigmf(src, tmp_path / "h.sigmf-meta", 30_000)
    with open_source(str(result.meta_path)) as rec:
        assert rec.info.datatype == "ci16_le" and rec.info.center_freq_hz == 2.44e9
        x = np.concatenate([b.samples for b in rec.blocks()])
    assert len(x) == 30_000
    first = round(x[0].real * 32768)
    assert np.allclose(x.real, _expected_i(first, 30_000), atol=1e-6)


def test_watch_over_the_fake_device_confirms_a_drone():
    """A live node on a (fake) 2.4 MS/s SoapySDR stream of an ELRS link reports it."""
    from rfclassify.node.service import NodeOptions, WatchService
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    receiver = rtlsdr(915.0e6, 2.4e6)
    scene = Scene([EmitterSpec("elrs-900", snr_db=15.0, band="FCC915", params={"rate_hz": 200})], receiver,
                  duration_s=1.0)
    x = render(scene, np.random.default_rng(4), keep_components=False).samples
    x = x / np.max(np.abs(x)) * 0.5
    values = (np.round(x.real * 32767) + 1j * np.round(x.imag * 32767)).astype(np.complex64)
    dev = FakeSoapyDevice(samples=values)
    src = open_source("soapy:driver=fake", sample_rate_hz=2.4e6, center_freq_hz=915e6, device_factory=lambda a: dev, settle_s=0.0)
    service = WatchService(src, NodeOptions())
    starts = []
    timer = threading.Timer(8.0, service.stop)
    timer.start()
    try:
        for event in service.events():
            if event.get("event") == "start":
                starts.append(event)
                service.stop()
    finally:
        timer.cancel()
    assert starts and starts[0]["label"] == "elrs-900" and starts[0]["drone"] is True


def test_system_bindings_load_when_installed():
    """Debian's python3-soapysdr is found from this venv (CI installs it); skipped where it is absent."""
    try:
        soapy = import_soapysdr()
    except MissingDependency as exc:
        pytest.skip(str(exc))
    assert hasattr(soapy, "Device") and isinstance(list(soapy.Device.enumerate("driver=none_such")), list)


@pytest.mark.hardware
def test_real_soapy_device_streams():
    soapy = import_soapysdr()
    found = list(soapy.Device.enumerate())
    if not found:
        pytest.skip("no SoapySDR device attached")
    with open_source("soapy:", sample_rate_hz=2e6, center_freq_hz=2.44e9) as src:
        assert isinstance(src, SoapySource)
        src.num_samples = 200_000
        assert sum(len(b.samples) for b in src.blocks()) == 200_000


def test_receiver_settings_are_refused_where_the_receiver_has_none():
    from rfclassify.sources import device_settings

    assert device_settings("soapy:driver=hackrf", bandwidth_hz=20e6) == {"bandwidth_hz": 20e6}
    assert device_settings("rtlsdr:", agc=True) == {"agc": True, "bias_tee": False}
    with pytest.raises(InputError, match="RTL-SDR settings"):
        device_settings("soapy:driver=hackrf", bias_tee=True)
    with pytest.raises(InputError, match="SoapySDR device's filter"):
        device_settings("rtl_tcp://127.0.0.1:1234", bandwidth_hz=2e6)
