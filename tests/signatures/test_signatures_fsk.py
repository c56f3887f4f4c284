"""FSK-family signatures (frsky-d16, afhds-2a, dsmx, bluetooth, ook-ism) measured against their specs.

Each signal is generated at its natural rate and measured from the samples:
occupied bandwidth from the PSD, frequency deviation from the instantaneous
frequency, burst durations and repetition intervals from the envelope of a
"hop-following" timeline (every burst placed at its start time on one
baseband, as a receiver that follows the hops would see it), hop channel
counts and spacings from the set of RF centres over a long emission.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import pytest

from rfclassify.dsp.measure import burst_spans, instantaneous_frequency_hz
from rfclassify.signatures import REGISTRY, get
from rfclassify.signatures.base import Burst
from rfclassify.testing.bursts import emit, occupied_bandwidth, timeline

LABELS = ("frsky-d16", "afhds-2a", "dsmx", "bluetooth", "ook-ism")


def noisy_timeline(bursts: list[Burst], duration_s: float, pad_s: float = 5e-3) -> tuple[np.ndarray, float]:
    """:func:`timeline` over ``duration_s + pad_s`` with a faint noise floor (std 1e-3 per rail) for the detector."""
    x, fs = timeline(bursts, duration_s + pad_s)
    noise = np.random.default_rng(99).standard_normal((len(x), 2)) * 1e-3
    return x + (noise[:, 0] + 1j * noise[:, 1]).astype(np.complex64), fs


def spans(x: np.ndarray, fs: float, smooth_s: float = 4e-6, min_gap_s: float = 0.0) -> np.ndarray:
    return np.asarray(burst_spans(x, fs, threshold_db=10.0, smooth_s=smooth_s, min_gap_s=min_gap_s))


def peak_deviation_hz(bursts: list[Burst]) -> float:
    """99th percentile of |instantaneous frequency| over the bursts: the FSK peak deviation."""
    f = np.concatenate([instantaneous_frequency_hz(b.samples, b.sample_rate_hz) for b in bursts])
    return float(np.percentile(np.abs(f), 99))


def symbol_period_s(b: Burst) -> float:
    """Shortest common spacing of instantaneous-frequency zero crossings: one symbol (chip)."""
    f = instantaneous_frequency_hz(b.samples, b.sample_rate_hz)
    crossings = np.flatnonzero(np.diff(np.sign(f)) != 0) / b.sample_rate_hz
    d = np.diff(crossings)
    d = d[d > 0.5 / b.sample_rate_hz * 2]
    return float(np.percentile(d, 10))


# --- contract, common to all five labels -------------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
def test_registered_and_bursts_follow_contract(label: str) -> None:
    sig = REGISTRY[label]
    assert sig.drone == (label in ("frsky-d16", "afhds-2a", "dsmx"))
    assert sig.sources and sig.timing and sig.bandwidth_hz > 0
    for band in sig.bands:
        bursts = emit(sig, 0.5, band, seed=1)
        assert bursts, f"{label}/{band.name}: no bursts in 0.5 s"
        starts = [b.t_start_s for b in bursts]
        assert starts == sorted(starts)
        assert 0.0 <= starts[0] and starts[-1] < 0.5
        for b in bursts:
            assert b.samples.dtype == np.complex64
            assert abs(np.mean(np.abs(b.samples) ** 2) - 1.0) < 1e-3
            assert b.f_lo_hz < b.rf_hz < b.f_hi_hz
            assert band.lo_hz - 1e6 < b.rf_hz < band.hi_hz + 1e6
            assert b.link in ("control", "telemetry", "none")


@pytest.mark.parametrize("label", LABELS)
def test_same_seed_same_bursts_and_random_phase(label: str) -> None:
    a, b = emit(label, 0.3, seed=5), emit(label, 0.3, seed=5)
    assert [x.t_start_s for x in a] == [x.t_start_s for x in b]
    assert a and len(a) == len(b)
    assert all(np.array_equal(x.samples, y.samples) for x, y in zip(a, b))
    firsts = {round(emit(label, 1.0, seed=s)[0].t_start_s, 6) for s in range(6)}
    assert len(firsts) > 3, "the schedule phase should be random"


@pytest.mark.parametrize("label", LABELS)
def test_window_keeps_only_visible_bursts_and_is_fast(label: str) -> None:
    sig = get(label)
    band = sig.bands[0]
    everything = emit(sig, 1.0, band, seed=3)
    centre = everything[0].rf_hz
    window = (centre - 1.2e6, centre + 1.2e6)
    seen = emit(sig, 1.0, band, seed=3, window_hz=window)
    assert seen
    assert all(b.f_hi_hz > window[0] and b.f_lo_hz < window[1] for b in seen)
    if label != "ook-ism":  # hoppers: the window sees only part of the hop set
        assert len(seen) < len(everything)


@pytest.mark.parametrize("label", LABELS)
def test_annotation_edges_contain_the_signal(label: str) -> None:
    bursts = emit(label, 1.0, seed=2)[:60]
    _, lo, hi = occupied_bandwidth(bursts)
    b = bursts[0]
    assert b.f_lo_hz - b.rf_hz <= lo and hi <= b.f_hi_hz - b.rf_hz, (lo, hi, b.f_lo_hz - b.rf_hz)


# --- frsky-d16 ---------------------------------------------------------------------------------


def test_frsky_modulation_fcc_gfsk_and_lbt_fsk() -> None:
    fcc = [b for b in emit("frsky-d16", 0.2, band="FCC") if b.link == "control"]
    # CC2500 registers: ±57.1 kHz deviation at 70.0 kbaud (FCC), ±69.8 kHz at 100 kbaud (LBT)
    assert peak_deviation_hz(fcc) == pytest.approx(57.1e3, rel=0.08)
    assert symbol_period_s(fcc[0]) == pytest.approx(1 / 70.02e3, rel=0.1)
    bw, _, _ = occupied_bandwidth(fcc)
    assert 2 * 57.1e3 < bw < 1.1 * 2 * (57.1e3 + 35e3)  # between 2Δf and Carson
    lbt = [b for b in emit("frsky-d16", 0.2, band="EU-LBT") if b.link == "control"]
    assert peak_deviation_hz(lbt) == pytest.approx(69.8e3, rel=0.08)
    assert symbol_period_s(lbt[0]) == pytest.approx(1 / 99.98e3, rel=0.1)
    assert occupied_bandwidth(lbt)[0] > occupied_bandwidth(fcc)[0]  # unshaped 2-FSK spreads wider


def test_frsky_frame_burst_and_telemetry_timing() -> None:
    bursts = emit("frsky-d16", 0.5, seed=4, band="FCC", telemetry=True)
    x, fs = noisy_timeline(bursts, 0.5)
    sp = spans(x, fs)
    dur = sp[:, 1] - sp[:, 0]
    tx = sp[dur > 3.5e-3]
    tlm = sp[(dur > 2e-3) & (dur < 3.2e-3)]
    # 38 bytes at 70.02 kbaud = 4.34 ms; telemetry 23 bytes = 2.63 ms; 9 ms frame
    assert np.median(tx[:, 1] - tx[:, 0]) == pytest.approx(4.34e-3, abs=0.05e-3)
    assert np.median(tlm[:, 1] - tlm[:, 0]) == pytest.approx(2.63e-3, abs=0.05e-3)
    assert np.median(np.diff(tx[:, 0])) == pytest.approx(9e-3, abs=10e-6)
    assert len(tx) == pytest.approx(0.5 / 9e-3, abs=1.5)


@pytest.mark.parametrize("table", ["v1", "v2"])
def test_frsky_hops_over_47_channels_every_frame(table: str) -> None:
    bursts = [b for b in emit("frsky-d16", 1.0, seed=7, hop_table=table) if b.link == "control"]
    rf = np.array([b.rf_hz for b in bursts])
    assert len(np.unique(rf)) == 47
    assert np.all(rf[1:] != rf[:-1])  # a new channel every frame
    assert 2404e6 - 1 <= rf.min() and rf.max() <= 2404e6 + 234 * 299.93e3 + 1
    steps = np.diff(np.unique(rf)) / 299.927e3  # CC2500 channel grid
    assert np.allclose(steps, np.round(steps), atol=1e-3)
    if table == "v2":  # 5-channel (1.4996 MHz) grid
        assert np.allclose(np.diff(np.unique(rf)), 5 * 299.927e3, rtol=1e-4)


# --- afhds-2a ----------------------------------------------------------------------------------


def test_afhds2a_modulation_and_timing() -> None:
    bursts = emit("afhds-2a", 0.4, seed=1, telemetry_ratio=0.0)
    assert peak_deviation_hz(bursts) == pytest.approx(186e3, rel=0.1)
    assert symbol_period_s(bursts[0]) == pytest.approx(2e-6, rel=0.15)
    bw, _, _ = occupied_bandwidth(bursts)
    assert 2 * 186e3 < bw < 2 * (186e3 + 250e3)
    x, fs = noisy_timeline(bursts, 0.4)
    sp = spans(x, fs)
    # 78 bytes at 500 kb/s = 1.248 ms every 3.85 ms
    assert np.median(sp[:, 1] - sp[:, 0]) == pytest.approx(1.248e-3, abs=20e-6)
    assert np.median(np.diff(sp[:, 0])) == pytest.approx(3.85e-3, abs=5e-6)


def test_afhds2a_telemetry_replies_in_the_frame() -> None:
    bursts = emit("afhds-2a", 0.4, seed=2, telemetry_ratio=1.0)
    tx = np.array([b.t_start_s for b in bursts if b.link == "control"])
    rx = np.array([b.t_start_s for b in bursts if b.link == "telemetry"])
    assert len(rx) >= len(tx) - 1
    lag = rx[:, None] - tx[None, :]
    lag = np.where(lag > 0, lag, np.inf).min(axis=1)
    lag = lag[np.isfinite(lag)]  # a reply whose packet started before t = 0 has no partner
    assert len(lag) >= len(rx) - 1 and np.allclose(lag, 2.5e-3, atol=1e-6)


def test_afhds2a_hops_16_channels_one_parity() -> None:
    bursts = emit("afhds-2a", 1.0, seed=3, telemetry_ratio=0.0)
    ch = np.array([b.meta["channel"] for b in bursts])
    rf = np.unique([b.rf_hz for b in bursts])
    assert len(rf) == 16
    assert np.all(np.diff(rf) >= 1e6 - 1) and np.allclose(np.diff(rf) % 1e6, 0, atol=1)
    assert np.all(rf == 2400e6 + 0.5e6 * np.unique(ch))
    counts = np.histogram(np.unique(ch), bins=[1, 43, 86, 129, 169])[0]
    assert counts.max() <= 5
    assert np.all(np.diff([b.rf_hz for b in bursts]) != 0)


# --- dsmx --------------------------------------------------------------------------------------


def test_dsmx_chips_bandwidth_and_packet() -> None:
    bursts = emit("dsmx", 0.3, seed=1)
    assert symbol_period_s(bursts[0]) == pytest.approx(1e-6, rel=0.15)  # 1 Mchip/s
    bw, _, _ = occupied_bandwidth(bursts)
    assert 0.8e6 < bw < 1.25e6  # ~1 MHz (SIGNATURES.md)
    x, fs = noisy_timeline(bursts, 0.3)
    sp = spans(x, fs)
    assert np.median(sp[:, 1] - sp[:, 0]) == pytest.approx(1.536e-3, abs=20e-6)


@pytest.mark.parametrize("frame_s", [11e-3, 22e-3])
def test_dsmx_two_packets_per_frame(frame_s: float) -> None:
    bursts = emit("dsmx", 0.5, seed=2, frame_s=frame_s)
    x, fs = noisy_timeline(bursts, 0.5)
    starts = spans(x, fs)[:, 0]
    d = np.diff(starts)
    short, long_ = d[d < 6e-3], d[d >= 6e-3]
    assert np.allclose(short, 4.01e-3, atol=5e-6)
    assert np.allclose(long_, frame_s - 4.01e-3, atol=5e-6)
    assert abs(len(short) - len(long_)) <= 1


def test_dsmx_hops_23_channels() -> None:
    bursts = emit("dsmx", 1.0, seed=4)
    ch = np.array([b.meta["channel"] for b in bursts])
    rf = np.array([b.rf_hz for b in bursts])
    uniq = np.unique(rf)
    assert len(uniq) == 23
    assert 2403e6 <= uniq.min() and uniq.max() <= 2475e6
    assert np.all(np.diff(uniq) % 2e6 == 0)  # one parity: 2 MHz grid
    assert np.all(rf[1:] != rf[:-1])  # every packet on the next channel
    counts = np.histogram(np.unique(ch), bins=[3, 28, 52, 77])[0]
    assert list(counts) == [8, 7, 8]


# --- bluetooth ---------------------------------------------------------------------------------


def test_bluetooth_br_and_ble_modulation_index() -> None:
    br = emit("bluetooth", 0.2, seed=1, mode="br", traffic="acl")
    ble = emit("bluetooth", 1.0, seed=1, mode="ble", adv_interval_s=0.05)
    # h = 0.32 → ±160 kHz, h = 0.5 → ±250 kHz at 1 Msym/s
    assert peak_deviation_hz(br) == pytest.approx(160e3, rel=0.1)
    assert peak_deviation_hz(ble) == pytest.approx(250e3, rel=0.1)
    assert symbol_period_s(br[0]) == pytest.approx(1e-6, rel=0.15)
    assert 0.7e6 < occupied_bandwidth(br)[0] < 1.0e6
    assert 0.9e6 < occupied_bandwidth(ble)[0] < 1.2e6


@pytest.mark.parametrize("traffic", ["acl", "sco", "poll"])
def test_bluetooth_br_packets_start_on_625us_slots(traffic: str) -> None:
    bursts = emit("bluetooth", 0.3, seed=2, mode="br", traffic=traffic)
    x, fs = noisy_timeline(bursts, 0.3)
    sp = spans(x, fs, smooth_s=2e-6)
    starts, dur = sp[:, 0], sp[:, 1] - sp[:, 0]
    phase = (starts - starts[0]) / 625e-6
    assert np.allclose(phase, np.round(phase), atol=8e-6 / 625e-6)
    assert dur.max() <= 2.9e-3
    hops = np.array([b.rf_hz for b in bursts])
    assert np.mean(hops[1:] != hops[:-1]) > 0.9  # new frequency each packet
    if traffic == "sco":  # HV3: 366 µs, central+peripheral every 6 slots
        assert np.median(dur) == pytest.approx(366e-6, abs=10e-6)
        assert set(np.round(np.diff(starts) / 625e-6).astype(int)) == {1, 5}
    if traffic == "poll":
        assert np.median(dur) == pytest.approx(126e-6, abs=10e-6)
    if traffic == "acl":
        assert dur.max() > 1.622e-3  # DH5 packets span more than 3 slots


def test_bluetooth_br_uses_79_channels_at_1mhz() -> None:
    bursts = emit("bluetooth", 1.0, seed=3, mode="br", traffic="acl", afh_channels=79)
    rf = np.unique([b.rf_hz for b in bursts])
    assert len(rf) == 79 and rf[0] == 2402e6 and rf[-1] == 2480e6
    assert np.allclose(np.diff(rf), 1e6)


def test_bluetooth_ble_advertising_events() -> None:
    bursts = emit("bluetooth", 1.0, seed=4, mode="ble", adv_interval_s=0.1, payload_bytes=31)
    assert {b.rf_hz for b in bursts} == {2402e6, 2426e6, 2480e6}
    x, fs = noisy_timeline(bursts, 1.0)
    sp = spans(x, fs, smooth_s=2e-6)
    dur = sp[:, 1] - sp[:, 0]
    assert np.allclose(dur, (10 + 31) * 8e-6, atol=6e-6)  # PDU 80..376 µs
    events = spans(x, fs, smooth_s=2e-6, min_gap_s=15e-3)
    gaps = np.diff(events[:, 0])
    assert np.all((gaps >= 0.1 - 1e-5) & (gaps <= 0.11 + 1e-5))  # advInterval + 0..10 ms advDelay
    assert len(sp) == pytest.approx(3 * len(events), abs=2)


# --- ook-ism -----------------------------------------------------------------------------------


def pulse_widths_s(x: np.ndarray, fs: float, threshold: str = "half") -> tuple[np.ndarray, np.ndarray]:
    """Pulse widths and gaps of an OOK signal from its smoothed envelope.

    ``half``: crossings of half the peak power (the nominal width of a clean
    pulse); ``geo``: crossings of the geometric mean of noise floor and peak
    (robust for noisy recordings, as rtl_433's level slicer).
    """
    power = np.convolve(np.abs(x) ** 2, np.ones(5) / 5, mode="same")
    peak = np.percentile(power, 99.5)
    thr = 0.5 * peak if threshold == "half" else np.sqrt(np.percentile(power, 20) * peak)
    on = np.concatenate([[0], (power > thr).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(on))
    start, end = edges[::2] / fs, edges[1::2] / fs
    return end - start, start[1:] - end[:-1]


def with_noise(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    n = np.random.default_rng(seed).standard_normal((len(x), 2)) @ np.array([1, 1j])
    sigma = np.sqrt(np.max(np.abs(x) ** 2) / 10 ** (snr_db / 10) / 2)
    return (x + sigma * n).astype(np.complex64)


@pytest.mark.parametrize("encoding", ["pwm", "ppm", "manchester"])
def test_ook_line_codes(encoding: str) -> None:
    for seed in range(4):
        bursts = emit("ook-ism", 0.5, seed=seed, encoding=encoding, n_bits=40)
        b = bursts[0]
        w, g = pulse_widths_s(b.samples, b.sample_rate_hz)
        assert np.all((w > 0.09e-3) & (w < 2.5e-3)), w
        short_s = b.meta["short_s"]
        ratio = np.percentile(w, 95) / np.percentile(w, 5)
        if encoding == "pwm":  # short and long pulses, long = 2 or 3 × short
            assert np.percentile(w, 5) == pytest.approx(short_s, rel=0.1)
            assert round(ratio) in (2, 3)
        if encoding == "ppm":  # constant pulse, two gap lengths 1:2
            assert ratio < 1.1
            gr = np.percentile(g, 90) / np.percentile(g, 10)
            assert gr == pytest.approx(2.0, rel=0.1)
        if encoding == "manchester":  # pulses of one or two half-bits
            assert ratio == pytest.approx(2.0, rel=0.1)


def test_ook_repeats_bandwidth_and_offset() -> None:
    from rfclassify.signatures.ook_ism import REPEAT_GAP_S, REPEATS

    offsets: list[float] = []
    all_gaps: list[float] = []
    for seed in range(8):
        bursts = emit("ook-ism", 2.0, seed=seed, report_interval_s=30.0, encoding=("pwm", "ppm", "manchester")[seed % 3])
        n = len(bursts)
        lo_n, hi_n = REPEATS
        assert lo_n <= n <= hi_n or bursts[-1].t_start_s > 1.5  # one transmission, maybe cut by the end
        assert len({len(b.samples) for b in bursts}) == 1  # the same packet repeated
        gaps = np.diff([b.t_start_s for b in bursts]) - bursts[0].duration_s
        assert np.all((gaps >= REPEAT_GAP_S[0] - 1e-6) & (gaps <= REPEAT_GAP_S[1] + 1e-6))
        all_gaps.extend(gaps)
        bw = occupied_bandwidth(bursts, nfft=1024)[0]
        assert 5e3 < bw <= 60e3  # tens of kHz
        offsets.append(bursts[0].rf_hz - 433.92e6)
    offsets = np.array(offsets)
    assert np.all(np.abs(offsets) <= 100e3) and offsets.min() < 0 < offsets.max()
    # log-uniform gaps: both unbroken trains (AcuRite, ~2 ms) and well-separated repeats (Oregon, ~50 ms) occur
    assert min(all_gaps) < 4e-3 and max(all_gaps) > 20e-3


def test_fsk_ism_sensor_deviation_and_bit_rate() -> None:
    from rfclassify.dsp.measure import instantaneous_frequency_hz

    for seed, (rate_hz, dev_hz) in enumerate([(17.24e3, 30e3), (10e3, 19e3), (40e3, 55e3)]):
        bursts = emit("ook-ism", 1.0, seed=seed, report_interval_s=30.0, encoding="fsk", bit_rate_hz=rate_hz,
                      deviation_hz=dev_hz, repeats=2)
        assert 1 <= len(bursts) <= 2 and all(b.meta["encoding"] == "fsk" for b in bursts)
        b = bursts[0]
        f = instantaneous_frequency_hz(b.samples, b.sample_rate_hz)
        # the two FSK tones sit at ±deviation: the IF's upper and lower clusters
        hi, lo = np.median(f[f > 0]), np.median(f[f < 0])
        assert abs((hi - lo) / 2 - dev_hz) < 0.1 * dev_hz
        # bit period from the shortest runs of one tone (the alternating preamble)
        sign = np.sign(f)
        runs = np.diff(np.flatnonzero(np.diff(sign) != 0))
        bit_s = np.percentile(runs, 10) / b.sample_rate_hz
        assert abs(bit_s * rate_hz - 1) < 0.15
        assert b.f_hi_hz - b.f_lo_hz == pytest.approx(2 * (dev_hz + rate_hz))  # Carson


def test_ook_bands() -> None:
    nominal = {"433": 433.92e6, "868": 868.3e6, "915": 915e6, "300-390": 315e6}
    for name, f in nominal.items():
        b = emit("ook-ism", 1.0, seed=1, band=name, encoding="pwm", offset_hz=0.0)[0]
        assert abs(b.rf_hz - f) <= 100e3 or name == "300-390"
    # 15.231 remotes: OOK carriers across 300-390 MHz (310 MHz X10, 315/390 MHz openers, 345 MHz sensors ...)
    carriers = {round(emit("ook-ism", 1.0, seed=s, band="300-390", encoding="pwm", offset_hz=0.0)[0].rf_hz / 1e3)
                for s in range(100)}
    assert {310_000, 315_000, 345_000, 390_000} <= carriers
    assert all(300_000 <= c <= 390_000 for c in carriers)


REAL = str(Path(__file__).resolve().parents[3] / "shared" / "realdata" / "rtl_433_tests" / "tests")


@pytest.mark.skipif(not os.path.isdir(REAL), reason="rtl_433 test recordings not available")
def test_ook_pulse_widths_resemble_rtl_433_recordings() -> None:
    """Evaluation only: pulse widths of real 433.92 MHz OOK captures fall in the synthetic range."""
    real_w = []
    for path in sorted(glob.glob(f"{REAL}/*/01/*.data") + glob.glob(f"{REAL}/*/*/01/*.data")):
        if "ec3k" in path or "honda" in path:  # FSK / one unbroken carrier
            continue
        u = np.fromfile(path, dtype=np.uint8).astype(np.float32) - 127.5
        x = (u[0::2] + 1j * u[1::2]).astype(np.complex64)
        w, _ = pulse_widths_s(x, 250e3, threshold="geo")
        real_w.append(w[w > 80e-6])  # drop noise glitches, as a slicer would
    real_w = np.concatenate(real_w)
    synth_w = []
    for seed in range(40):
        b = emit("ook-ism", 0.3, seed=seed)[0]
        w, _ = pulse_widths_s(with_noise(b.samples, 20.0, seed), b.sample_rate_hz, threshold="geo")
        synth_w.append(w[w > 80e-6])
    synth_w = np.concatenate(synth_w)
    lo, hi = np.percentile(synth_w, [0.5, 99.5])
    inside = np.mean((real_w >= 0.9 * lo) & (real_w <= 1.1 * hi))
    assert inside > 0.9, f"{inside:.2f} of real pulse widths in the synthetic range {lo:.2e}..{hi:.2e} s"
