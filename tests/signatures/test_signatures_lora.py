"""Measure the LoRa-family signatures (elrs-900, elrs-2g4, crossfire, lora-iot) against their specs.

Every check measures the emitted samples — burst lengths and spacing from the
envelope of a rendered timeline, chirp slope and symbol period from the
instantaneous frequency, symbol values by dechirping, occupied bandwidth from
the PSD, channel plans from the set of RF centres — and compares with the
numbers published in the sources (ExpressLRS ``common.cpp``/``FHSS.cpp``,
LoRaWAN RP002, Semtech datasheets), not with the builder's own formulas.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rfclassify.dsp.measure import instantaneous_frequency_hz, occupied_bandwidth_hz
from rfclassify.dsp.modulation import lora_chirps
from rfclassify.signatures import get
from rfclassify.testing.bursts import emit, on_runs, timeline

ELRS900 = get("elrs-900")
ELRS2G4 = get("elrs-2g4")
CROSSFIRE = get("crossfire")
LORA_IOT = get("lora-iot")


def preamble_chirp(x, fs_hz):
    """(slope_hz_per_s, symbol_period_s, sweep_hz) measured on the preamble upchirps.

    Symbol boundaries are the wraps of the instantaneous frequency (a jump of
    more than half its range; a drop for upchirps, a rise for inverted IQ); the slope is a line fit inside one symbol.
    """
    f = instantaneous_frequency_hz(x[: len(x) // 2], fs_hz)
    span = f.max() - f.min()
    wraps = np.flatnonzero(np.abs(np.diff(f)) > span / 2)
    assert len(wraps) >= 3, "no preamble chirps found"
    period = np.diff(wraps[:4])
    a, b = wraps[0] + 1, wraps[1] + 1
    trim = (b - a) // 20
    seg = f[a + trim : b - trim]
    t = np.arange(len(seg)) / fs_hz
    slope = np.polyfit(t, seg, 1)[0]
    return float(slope), float(np.median(period) / fs_hz), float(span)


def dechirp_values(x, sf, bw_hz, fs_hz, first_symbol, count):
    """Symbol values of ``count`` upchirps from ``first_symbol`` (dechirp with a reference chirp, FFT peak)."""
    n_sym = round(2**sf / bw_hz * fs_hz)
    ref = np.conj(lora_chirps([0], sf, bw_hz, fs_hz))
    step = round(fs_hz / bw_hz)
    values = []
    for k in range(first_symbol, first_symbol + count):
        d = (x[k * n_sym : (k + 1) * n_sym] * ref)[::step]
        values.append(int(np.argmax(np.abs(np.fft.fft(d)))))
    return values


# Time on air published in ExpressLRS common.cpp (ExpressLRS_AirRateRFperf), in seconds.
ELRS900_TOA_S = {"200Hz": 4380e-6, "100Hz": 8770e-6, "100HzFull": 6690e-6, "50Hz": 18560e-6, "25Hz": 29950e-6}
ELRS900_INTERVAL_S = {"200Hz": 5e-3, "100Hz": 10e-3, "100HzFull": 10e-3, "50Hz": 20e-3, "25Hz": 40e-3}
ELRS900_SF = {"200Hz": 6, "100Hz": 7, "100HzFull": 6, "50Hz": 8, "25Hz": 9}
ELRS2G4_TOA_S = {"500Hz": 1507e-6, "250Hz": 3300e-6, "150Hz": 5871e-6, "50Hz": 10798e-6, "F1000": 389e-6}
ELRS2G4_INTERVAL_S = {"500Hz": 2e-3, "250Hz": 4e-3, "150Hz": 6.666e-3, "50Hz": 20e-3, "F1000": 1e-3, "F500": 2e-3}
ELRS2G4_SF = {"500Hz": 5, "250Hz": 6, "150Hz": 7, "50Hz": 8}


@pytest.mark.parametrize("mode", list(ELRS900_TOA_S))
def test_elrs900_burst_length_interval_and_chirp(mode):
    bursts = emit(ELRS900, 1.0, "FCC915", seed=3, mode=mode)
    x, fs_hz = timeline(bursts, 1.0, whole_bursts=True)
    starts_s, ends_s = on_runs(x, fs_hz, threshold=0.5).T
    lengths_s = ends_s - starts_s
    assert np.allclose(lengths_s, ELRS900_TOA_S[mode], rtol=0.01)
    assert np.allclose(np.diff(starts_s), ELRS900_INTERVAL_S[mode], atol=2 / fs_hz)
    assert len(starts_s) == pytest.approx(1.0 / ELRS900_INTERVAL_S[mode], abs=1)
    slope, period_s, sweep_hz = preamble_chirp(bursts[0].samples, fs_hz)
    bw_hz = 500e3
    assert slope == pytest.approx(bw_hz**2 / 2 ** ELRS900_SF[mode], rel=0.02)
    assert period_s == pytest.approx(2 ** ELRS900_SF[mode] / bw_hz, rel=0.01)
    assert sweep_hz == pytest.approx(bw_hz, rel=0.05)
    obw_hz, _, _ = occupied_bandwidth_hz(x[: round(0.2 * fs_hz)], fs_hz, nfft=512)
    assert 0.9 * bw_hz < obw_hz < 1.35 * bw_hz


def test_elrs900_sync_word_and_payload_symbols():
    burst = emit(ELRS900, 0.05, "FCC915", seed=1, mode="200Hz")[0]
    # 8 preamble upchirps of value 0, then the 0x12 sync word as values 8 and 16;
    # after 2.25 downchirps (at 1 MS/s a symbol is 128 samples), 22 payload chirps.
    assert dechirp_values(burst.samples, 6, 500e3, burst.sample_rate_hz, 0, 10) == [0] * 8 + [8, 16]
    payload = dechirp_values(burst.samples[round(0.25 * 128) :], 6, 500e3, burst.sample_rate_hz, 12, 22)
    assert len(set(payload)) > 10  # random data, not a constant


@pytest.mark.parametrize(
    ("band", "count", "spacing_hz", "first_hz"),
    [("FCC915", 40, 600e3, 903.5e6), ("EU868", 13, 525e3, 863.275e6), ("AU433", 3, 500e3, 433.42e6)],
)
def test_elrs900_channel_plan_measured_from_hops(band, count, spacing_hz, first_hz):
    bursts = emit(ELRS900, 2.0, band, seed=7, mode="200Hz")  # 100 hops: two whole blocks
    rf = np.unique([b.rf_hz for b in bursts])
    assert len(rf) == count
    assert rf[0] == pytest.approx(first_hz, abs=1)
    assert np.allclose(np.diff(rf), spacing_hz, atol=1)


def test_elrs900_hops_every_4_packets_and_revisits_sync_channel():
    bursts = emit(ELRS900, 4.0, "FCC915", seed=11, mode="200Hz")
    rf = np.array([b.rf_hz for b in bursts])
    change = np.flatnonzero(np.diff(rf) != 0) + 1
    runs = np.diff(change)
    assert np.all(runs == 4)
    hops = rf[change]
    # One channel (the sync channel) comes back exactly every 40 hops, and
    # between two of its visits every one of the 40 channels is used once.
    sync = [c for c in np.unique(hops) if np.all(np.diff(np.flatnonzero(hops == c)) == 40)]
    assert len(sync) == 1
    visits = np.flatnonzero(hops == sync[0])
    assert len(visits) >= 3
    for a, b in itertools.pairwise(visits):
        assert len(set(hops[a:b])) == 40


def test_elrs900_25hz_hops_every_2_packets():
    rf = np.array([b.rf_hz for b in emit(ELRS900, 3.0, "FCC915", seed=2, mode="25Hz")])
    runs = np.diff(np.flatnonzero(np.diff(rf) != 0))
    assert len(runs) > 10 and np.all(runs == 2)


def test_elrs900_telemetry_slots():
    bursts = emit(ELRS900, 2.0, "FCC915", seed=5, mode="200Hz")
    tlm = [b for b in bursts if b.link == "telemetry"]
    ctl = [b for b in bursts if b.link == "control"]
    assert len(ctl) > len(tlm) >= 5
    gaps_s = np.diff([b.t_start_s for b in tlm])
    assert np.allclose(gaps_s, 64 * 5e-3, atol=1e-6)
    # A telemetry burst takes the last slot of a 4-packet hop: the uplink before it is on the same channel.
    index = {id(b): i for i, b in enumerate(bursts)}
    assert all(bursts[index[id(b)] - 1].rf_hz == b.rf_hz for b in tlm if index[id(b)] > 0)
    quiet = emit(ELRS900, 2.0, "FCC915", seed=5, mode="200Hz", tlm_ratio=0)
    assert len(quiet) == len(bursts) and all(b.link == "control" for b in quiet)


def test_elrs900_random_phase_window_and_determinism():
    firsts = {round(emit(ELRS900, 0.1, "FCC915", seed=s, mode="50Hz")[0].t_start_s, 6) for s in range(6)}
    assert len(firsts) == 6 and all(0 <= t < 0.02 for t in firsts)
    window = (913.8e6, 916.2e6)
    seen = emit(ELRS900, 1.0, "FCC915", seed=4, window_hz=window, mode="200Hz")
    every = emit(ELRS900, 1.0, "FCC915", seed=4, mode="200Hz")
    assert seen and len(seen) < len(every)
    assert all(b.f_hi_hz > window[0] and b.f_lo_hz < window[1] for b in seen)
    again = emit(ELRS900, 1.0, "FCC915", seed=4, mode="200Hz")
    assert all(np.array_equal(a.samples, b.samples) and a.rf_hz == b.rf_hz for a, b in zip(every, again))
    modes = {emit(ELRS900, 0.1, "EU868", seed=s)[0].meta["mode"] for s in range(30)}
    assert len(modes) >= 4  # unspecified modes are drawn


@pytest.mark.parametrize("mode", ["500Hz", "250Hz", "150Hz", "50Hz"])
def test_elrs2g4_lora_modes(mode):
    bursts = emit(ELRS2G4, 0.5, seed=2, mode=mode)
    x, fs_hz = timeline(bursts, 0.5, whole_bursts=True)
    starts_s, ends_s = on_runs(x, fs_hz, threshold=0.5).T
    lengths_s = ends_s - starts_s
    assert np.allclose(lengths_s, ELRS2G4_TOA_S[mode], rtol=0.02)
    assert np.allclose(np.diff(starts_s), ELRS2G4_INTERVAL_S[mode], atol=1e-5)
    slope, period_s, _ = preamble_chirp(bursts[0].samples, fs_hz)
    assert slope == pytest.approx(812.5e3**2 / 2 ** ELRS2G4_SF[mode], rel=0.02)
    assert period_s == pytest.approx(2 ** ELRS2G4_SF[mode] / 812.5e3, rel=0.01)


def test_elrs2g4_flrc_bitrate_burst_and_bandwidth():
    bursts = emit(ELRS2G4, 0.2, seed=3, mode="F1000")
    x, fs_hz = timeline(bursts, 0.2, whole_bursts=True)
    starts_s, ends_s = on_runs(x, fs_hz, threshold=0.5).T
    lengths_s = ends_s - starts_s
    assert np.allclose(lengths_s, ELRS2G4_TOA_S["F1000"], rtol=0.01)
    assert np.allclose(np.diff(starts_s), 1e-3, atol=1e-6)
    # The alternating preamble makes the instantaneous frequency a tone at half the bit rate.
    f = instantaneous_frequency_hz(bursts[0].samples[: round(32 / 650e3 * fs_hz)], fs_hz)
    spec = np.abs(np.fft.rfft(f - f.mean(), 4096))
    tone_hz = np.argmax(spec) * fs_hz / 4096
    assert tone_hz == pytest.approx(650e3 / 2, rel=0.03)
    obw_hz, _, _ = occupied_bandwidth_hz(x, fs_hz, nfft=1024)
    assert 0.55e6 < obw_hz < 1.0e6
    assert bursts[0].f_hi_hz - bursts[0].f_lo_hz == pytest.approx(obw_hz, rel=0.2)


def test_elrs2g4_channel_plan():
    rf = np.unique([b.rf_hz for b in emit(ELRS2G4, 1.0, seed=1, mode="F1000")])
    assert len(rf) == 80
    assert rf[0] == pytest.approx(2400.4e6) and rf[-1] == pytest.approx(2479.4e6)
    assert np.allclose(np.diff(rf), 1e6, atol=1)


def test_crossfire_150hz_gfsk():
    bursts = emit(CROSSFIRE, 1.0, "FCC915", seed=4, mode="150Hz")
    x, fs_hz = timeline(bursts, 1.0, whole_bursts=True)
    starts_s, ends_s = on_runs(x, fs_hz, threshold=0.5).T
    lengths_s = ends_s - starts_s
    assert np.allclose(np.diff(starts_s), 1 / 150, atol=2 / fs_hz)
    assert np.all(lengths_s < 1 / 150)
    f = instantaneous_frequency_hz(bursts[0].samples, fs_hz)
    assert np.percentile(np.abs(f), 95) == pytest.approx(50e3, rel=0.15)  # ±50 kHz deviation
    obw_hz, _, _ = occupied_bandwidth_hz(x, fs_hz, nfft=1024)
    assert 0.1e6 < obw_hz < 0.5e6
    rf = np.unique([b.rf_hz for b in emit(CROSSFIRE, 2.0, "FCC915", seed=4, mode="150Hz")])
    assert np.all((rf > 902e6) & (rf < 928e6))
    assert np.allclose(np.diff(rf), 250e3, atol=1) and len(rf) > 50


def test_crossfire_50hz_lora():
    bursts = emit(CROSSFIRE, 1.0, "EU868", seed=6, mode="50Hz")
    x, fs_hz = timeline(bursts, 1.0, whole_bursts=True)
    starts_s, _ = on_runs(x, fs_hz, threshold=0.5).T
    assert np.allclose(np.diff(starts_s), 0.02, atol=2 / fs_hz)
    slope, _, sweep_hz = preamble_chirp(bursts[0].samples, fs_hz)
    assert sweep_hz == pytest.approx(250e3, rel=0.05)
    assert slope == pytest.approx(250e3**2 / 2**6, rel=0.02)
    assert bursts
    assert all(863e6 < b.f_lo_hz and b.f_hi_hz < 870e6 for b in bursts)


def test_lora_iot_at_least_one_packet_per_short_recording():
    for seed in range(25):
        for band in ("EU868", "US915"):
            bursts = emit(LORA_IOT, 1.0, band, seed=seed)
            assert bursts and all(0 <= b.t_start_s < 1.0 for b in bursts)


@pytest.mark.parametrize(("sf", "toa_s"), [(7, 46.3e-3), (12, 1155.1e-3)])
def test_lora_iot_airtime_and_chirp(sf, toa_s):
    # Reference airtimes of a 13-byte PHYPayload (an empty uplink) at 125 kHz, CR 4/5, as LoRaWAN
    # airtime calculators list them (e.g. avbentem's airtime-calculator): SF7 46.3 ms, SF12 1155.1 ms.
    burst = emit(LORA_IOT, 1.0, "EU868", seed=1, sf=sf, payload_bytes=13, packets=1, bw_hz=125e3)[0]
    on = on_runs(burst.samples, burst.sample_rate_hz, threshold=0.5)
    lengths_s = on[:, 1] - on[:, 0]
    assert lengths_s.sum() == pytest.approx(toa_s, rel=0.005)
    slope, period_s, _ = preamble_chirp(burst.samples, burst.sample_rate_hz)
    assert slope == pytest.approx(125e3**2 / 2**sf, rel=0.02)
    assert period_s == pytest.approx(2**sf / 125e3, rel=0.01)


def test_lora_iot_public_sync_word_channels_and_downlink():
    bursts = emit(LORA_IOT, 3.0, "EU868", seed=2, sf=7, packets=2, downlink_prob=1.0, bw_hz=125e3)
    up = [b for b in bursts if b.meta["direction"] == "uplink"]
    down = [b for b in bursts if b.meta["direction"] == "downlink"]
    assert dechirp_values(up[0].samples, 7, 125e3, up[0].sample_rate_hz, 0, 10) == [0] * 8 + [24, 32]
    assert down, "RX1 downlink expected 1 s after the uplink"
    slope, _, _ = preamble_chirp(down[0].samples, down[0].sample_rate_hz)
    assert slope == pytest.approx(-(125e3**2) / 2**7, rel=0.02)  # inverted IQ
    ups = {b.rf_hz: b for b in up}
    first_up = min(up, key=lambda b: b.t_start_s)
    assert down[0].rf_hz in ups
    assert down[0].t_start_s - (first_up.t_start_s + first_up.duration_s) == pytest.approx(1.0, abs=1e-3)
    rf_eu = {b.rf_hz for s in range(20) for b in emit(LORA_IOT, 1.0, "EU868", seed=s)}
    assert rf_eu <= {867.1e6, 867.3e6, 867.5e6, 867.7e6, 867.9e6, 868.1e6, 868.3e6, 868.5e6}
    us = [b for s in range(20) for b in emit(LORA_IOT, 1.0, "US915", seed=s, bw_hz=125e3, downlink_prob=0.0)]
    n = np.array([(b.rf_hz - 902.3e6) / 0.2e6 for b in us])
    assert np.allclose(n, np.round(n), atol=1e-6) and n.min() >= 0 and n.max() <= 63
    assert {b.meta["sf"] for b in us} <= {7, 8, 9, 10}


@pytest.mark.parametrize("label", ["elrs-900", "elrs-2g4", "crossfire", "lora-iot"])
def test_one_second_through_rtlsdr_window_renders_only_the_window(label):
    sig = get(label)
    band = sig.bands[0]
    centre = band.channels_hz[len(band.channels_hz) // 2]
    # Only what the 2.4 MHz window shows is rendered (speed: scripts/bench_synth.py); a hop plan may
    # miss the window for a whole second, so the seeds together must show something.
    seen = [b for seed in range(3)
            for b in emit(sig, 1.0, band.name, seed=seed, window_hz=(centre - 1.2e6, centre + 1.2e6))]
    assert seen
    assert all(b.f_hi_hz > centre - 1.2e6 and b.f_lo_hz < centre + 1.2e6 for b in seen)
