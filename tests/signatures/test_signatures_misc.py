"""Clutter signatures measured against their standards: adsb (Mode S, Mode A/C, UAT), zigbee, fm-broadcast.

Each test emits through ``SIGNATURE.emit`` and measures from the samples
(envelopes, pulse edges, PPM and chip decoding, instantaneous frequency,
PSDs, FM demodulation), then renders scenes through the RTL-SDR and wideband
receiver models to check the annotations and where the energy lands.
"""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.dsp.measure import instantaneous_frequency_hz, occupied_bandwidth_hz, psd
from rfclassify.signatures import get
from rfclassify.signatures.adsb import CRC24_POLY, UAT_SYNC_ADSB, UAT_SYNC_UPLINK
from rfclassify.signatures.zigbee import CHIPS
from rfclassify.synth.receiver import ideal, rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Scene, render
from rfclassify.testing.bursts import emit


def edges_s(x: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Rising and falling half-amplitude crossings of |x| (s), interpolated between samples."""
    env = np.abs(x)
    level = env - 0.5 * env.max()
    on = level > 0
    i = np.flatnonzero(on[1:] != on[:-1])
    frac = level[i] / (level[i] - level[i + 1])
    t = (i + frac) / fs_hz
    rising = on[i + 1]
    return t[rising], t[~rising]


def ppm_decode(x: np.ndarray, fs_hz: float, n_bits: int, t0_s: float) -> np.ndarray:
    """Mode S bits: energy in the first vs the second half of each 1 µs interval from 8 µs after ``t0_s``."""
    env = np.abs(x)
    bits = []
    for k in range(n_bits):
        a = round((t0_s + 8e-6 + k * 1e-6) * fs_hz)
        h = round(0.5e-6 * fs_hz)
        bits.append(int(env[a : a + h].sum() > env[a + h : a + 2 * h].sum()))
    return np.array(bits)


def crc_remainder(bits: np.ndarray) -> int:
    """Remainder of the whole message (data and parity) divided by the Mode S generator: 0 when valid."""
    register = 0
    for bit in bits:
        register = (register << 1) | int(bit)
        if register & (1 << 24):
            register ^= CRC24_POLY
    return register


def to_int(bits: np.ndarray) -> int:
    return int("".join(str(int(b)) for b in bits), 2)


# ---------------------------------------------------------------------------
# ADS-B / Mode S / Mode A/C at 1090 MHz


def test_mode_s_preamble_pulses_bit_period_and_parity():
    bursts = emit("adsb", 1.0, "1090", seed=1, aircraft=6, radars=0)
    mode_s = [b for b in bursts if b.meta["format"] in ("DF17", "DF11")]
    assert len(mode_s) > 20
    for b in mode_s[:30]:
        rising, falling = edges_s(b.samples, b.sample_rate_hz)
        t0 = rising[0]
        # preamble: pulses start at 0, 1.0, 3.5 and 4.5 µs and last 0.5 µs
        assert rising[:4] - t0 == pytest.approx([0.0, 1.0e-6, 3.5e-6, 4.5e-6], abs=0.03e-6)
        assert falling[:4] - rising[:4] == pytest.approx([0.5e-6] * 4, abs=0.05e-6)
        # data pulses start on the 0.5 µs grid from 8 µs: positions of a 1 µs PPM bit period
        data = rising[4:] - t0 - 8e-6
        assert np.all(data >= -0.03e-6)
        assert np.abs((data / 0.5e-6) - np.round(data / 0.5e-6)).max() < 0.06
        # reply length: 64 µs (56 bits) or 120 µs (112 bits), the last pulse ends 0 or 0.5 µs early
        span_s = falling[-1] - t0
        n_bits = 56 if span_s < 90e-6 else 112
        assert 8e-6 + n_bits * 1e-6 - 0.55e-6 <= span_s <= 8e-6 + n_bits * 1e-6 + 0.05e-6
        bits = ppm_decode(b.samples, b.sample_rate_hz, n_bits, t0)
        df = to_int(bits[:5])
        assert df == int(b.meta["format"][2:])
        assert crc_remainder(bits) == 0  # DF11 squitter (II = 0) and DF17: PI is the plain CRC
        assert f"{to_int(bits[8:32]):06X}" == b.meta["address"]


def test_mode_s_roll_call_replies_carry_address_parity():
    bursts = emit("adsb", 24.0, "1090", seed=2, aircraft=8, radars=2)
    replies = [b for b in bursts if b.meta["format"] in ("DF4", "DF5", "DF20", "DF21")]
    assert replies, "a Mode S radar's dwell should have passed some aircraft in 24 s"
    for b in replies[:10]:
        rising, _ = edges_s(b.samples, b.sample_rate_hz)
        n_bits = 112 if b.meta["format"] in ("DF20", "DF21") else 56
        bits = ppm_decode(b.samples, b.sample_rate_hz, n_bits, rising[0])
        assert crc_remainder(bits) == int(b.meta["address"], 16)  # AP = CRC ⊕ address


def test_extended_squitter_rates_per_aircraft():
    duration_s = 6.0
    bursts = emit("adsb", duration_s, "1090", seed=3, aircraft=12, radars=0)
    per_address: dict[str, dict[int, int]] = {}
    for b in bursts:
        rising, _ = edges_s(b.samples, b.sample_rate_hz)
        span = rising[-1] - rising[0]
        bits = ppm_decode(b.samples, b.sample_rate_hz, 112 if span > 90e-6 else 56, rising[0])
        counts = per_address.setdefault(f"{to_int(bits[8:32]):06X}", {})
        df = to_int(bits[:5])
        counts[df] = counts.get(df, 0) + 1
    es = [c.get(17, 0) / duration_s for c in per_address.values() if c.get(17)]
    acq = [c.get(11, 0) / duration_s for c in per_address.values()]
    assert es, "some aircraft carry ADS-B Out"
    # DO-260B airborne: 2 position + 2 velocity + 0.2 identification + ~0.8 target state + 0.4 status
    assert np.median(es) == pytest.approx(5.4, abs=0.6)
    assert np.median(acq) == pytest.approx(1.0, abs=0.25)


def test_mode_ac_framing_pulses_and_code_grid():
    bursts = emit("adsb", 12.0, "1090", seed=4, aircraft=10, radars=2)
    replies = [b for b in bursts if b.meta["format"] in ("mode-a", "mode-c")]
    assert len(replies) > 5
    for b in replies[:20]:
        rising, falling = edges_s(b.samples, b.sample_rate_hz)
        rel = rising - rising[0]
        widths = falling - rising
        assert widths == pytest.approx([0.45e-6] * len(widths), abs=0.05e-6)
        assert np.any(np.abs(rel - 20.3e-6) < 0.03e-6)  # F2, 20.3 µs after F1
        code = rel[(rel > 0.1e-6) & (rel < 20e-6)]
        assert np.abs(code / 1.45e-6 - np.round(code / 1.45e-6)).max() < 0.03
        assert not np.any(np.abs(code - 7 * 1.45e-6) < 0.1e-6)  # the X position is never sent


def test_bursts_outside_the_window_are_skipped():
    assert emit("adsb", 0.5, "1090", seed=5, window_hz=(1100e6, 1102e6), aircraft=10) == []
    assert emit("adsb", 2.0, "978", seed=5, window_hz=(990e6, 992e6), aircraft=4, ground_stations=2) == []
    assert emit("zigbee", 0.5, "2.4G", seed=5, window_hz=(2470e6, 2472e6), channel=11) == []
    assert emit("fm-broadcast", 0.5, "FM", seed=5, window_hz=(99.0e6, 99.5e6), channel_hz=98.1e6) == []
    # a window that catches the edge of the signal keeps it
    assert emit("zigbee", 0.5, "2.4G", seed=5, window_hz=(2406.0e6, 2408e6), channel=11)


# ---------------------------------------------------------------------------
# UAT at 978 MHz


def test_uat_deviation_bit_rate_sync_and_lengths():
    bursts = emit("adsb", 3.0, "978", seed=6, aircraft=4, ground_stations=2)
    # 276, 420 and 4452 bits at 1.041667 Mb/s
    for b in bursts:
        assert min(abs(b.duration_s - t) for t in (265.0e-6, 403.2e-6, 4273.9e-6)) < 0.5e-6
    for b in bursts[:8]:
        f = instantaneous_frequency_hz(b.samples, b.sample_rate_hz)
        low, high = np.percentile(f, [10, 90])
        f = f - 0.5 * (low + high)  # the carrier offset is not part of the deviation
        assert 0.5 * (high - low) == pytest.approx(312.5e3, rel=0.03)
        # transitions fall on one grid: phase coherence of their times at the bit period
        flips = np.flatnonzero(np.sign(f[1:]) != np.sign(f[:-1])) / b.sample_rate_hz
        coherence = {
            rate: abs(np.mean(np.exp(2j * np.pi * flips * rate))) for rate in (1.041667e6, 1.0e6, 1.09e6)
        }
        assert coherence[1.041667e6] > 0.9 > 2 * max(coherence[1.0e6], coherence[1.09e6])
        # the 36-bit sync, read at the bit centres
        sps = b.sample_rate_hz / 1.041667e6
        centres = (np.arange(36) * sps + sps / 2).astype(int)
        sync = to_int(f[centres] > 0)
        assert sync == (UAT_SYNC_UPLINK if b.meta["format"] == "uat-uplink" else UAT_SYNC_ADSB)


def test_uat_one_adsb_message_per_aircraft_per_second_on_the_mso_grid():
    bursts = emit("adsb", 4.0, "978", seed=7, aircraft=5, ground_stations=1)
    adsb = [b for b in bursts if b.meta["format"] != "uat-uplink"]
    uplinks = [b for b in bursts if b.meta["format"] == "uat-uplink"]
    assert len(adsb) == pytest.approx(5 * 4, abs=5)
    assert len(uplinks) == pytest.approx(4, abs=1)
    assert np.diff([b.t_start_s for b in uplinks]) == pytest.approx(1.0, abs=1e-9)
    for b in bursts:
        offset_s = (b.t_start_s - b.meta["frame_start_s"]) % 1.0
        if b.meta["format"] == "uat-uplink":  # at the start of one of 32 ground slots of 5.5 ms
            assert offset_s / 5.5e-3 == pytest.approx(round(offset_s / 5.5e-3), abs=1e-6)
            assert offset_s < 32 * 5.5e-3
        else:  # on an MSO of the ADS-B segment, 752…3951 × 250 µs
            mso = offset_s / 250e-6
            assert mso == pytest.approx(round(mso), abs=1e-6) and 752 <= round(mso) <= 3951


def test_uat_occupied_bandwidth():
    bursts = emit("adsb", 2.0, "978", seed=8, aircraft=6, ground_stations=2)
    x = np.concatenate([b.samples for b in bursts])
    bw, _, _ = occupied_bandwidth_hz(x, bursts[0].sample_rate_hz, nfft=2048)
    # Carson: 2·(312.5 kHz + 1.041667 Mb/s / 2) = 1.67 MHz; an unfiltered CPFSK pulse leaks a little more
    assert 0.9 * 1.67e6 < bw < 1.15 * 1.67e6


# ---------------------------------------------------------------------------
# Zigbee / IEEE 802.15.4


def oqpsk_chips(x: np.ndarray, sps: int) -> np.ndarray:
    """Chips of an O-QPSK half-sine signal: I at even chip peaks, Q at odd ones (0/1)."""
    n_chips = len(x) // sps - 1
    k = np.arange(n_chips)
    peaks = (k * sps + sps).astype(int)  # each chip's half-sine peaks one chip period after it starts
    values = np.where(k % 2 == 0, x[peaks].real, x[peaks].imag)
    return (values > 0).astype(np.int8)


def test_zigbee_chip_table_is_the_standards_rotation_and_conjugation():
    assert "".join(map(str, CHIPS[0])) == "11011001110000110101001000101110"
    assert "".join(map(str, CHIPS[1])) == "11101101100111000011010100100010"
    assert "".join(map(str, CHIPS[8])) == "10001100100101100000011101111011"
    signed = 2.0 * CHIPS - 1.0
    gram = signed @ signed.T
    assert np.all(np.diag(gram) == 32)
    assert np.abs(gram[~np.eye(16, dtype=bool)]).max() <= 12  # nearly orthogonal


def test_zigbee_oqpsk_despreads_to_shr_phr_and_matches_airtime():
    bursts = emit("zigbee", 0.5, "2.4G", seed=11, packet_rate_hz=40.0)
    assert len(bursts) > 5
    for b in bursts[:10]:
        sps = round(b.sample_rate_hz / 2e6)
        x = b.samples * np.exp(-1j * np.angle(b.samples[sps]))  # the first I chip is +1 (chip 1 of symbol 0)
        chips = 2.0 * oqpsk_chips(x, sps) - 1.0
        symbols = [int(np.argmax((2.0 * CHIPS - 1.0) @ chips[32 * i : 32 * i + 32])) for i in range(len(chips) // 32)]
        assert symbols[:8] == [0] * 8  # preamble
        assert symbols[8:10] == [0x7, 0xA]  # SFD 0xA7, low nibble first
        length = symbols[10] | (symbols[11] << 4)
        assert length == b.meta["psdu_octets"] and length <= 127
        # airtime (6 + L)·32 µs, at most 4.256 ms
        assert b.duration_s == pytest.approx((6 + length) * 32e-6, abs=2e-6)
        assert b.duration_s <= 4.256e-3 + 2e-6
        assert np.std(np.abs(b.samples[sps:-sps])) < 0.02  # constant envelope (MSK-like)


def test_zigbee_spectrum_chip_rate_and_bandwidth():
    bursts = emit("zigbee", 0.5, "2.4G", seed=12, packet_rate_hz=40.0, devices=2)
    fs = bursts[0].sample_rate_hz
    x = np.concatenate([b.samples for b in bursts if b.meta["device"] == 0])
    f, p = psd(x, fs, 4096)
    p_db = 10 * np.log10(p / p.max())
    # half-sine O-QPSK at 2 Mchip/s: first spectral nulls at ±0.75 × chip rate = ±1.5 MHz
    for null_hz in (-1.5e6, 1.5e6):
        near = np.abs(f - null_hz) < 0.15e6
        assert p_db[near].min() < -25
    bw, lo, hi = occupied_bandwidth_hz(x, fs, nfft=4096)
    assert 2.2e6 < bw < 2.7e6 and abs(lo + hi) < 0.1e6


def test_zigbee_ack_follows_after_turnaround_and_csma_gaps():
    bursts = emit("zigbee", 1.0, "2.4G", seed=13, packet_rate_hz=30.0)
    data_end = None
    gaps = []
    for b in bursts:
        if b.meta["frame"] == "ack" and data_end is not None:
            gaps.append(b.t_start_s - data_end)
            assert b.duration_s == pytest.approx(352e-6, abs=1e-6)
        if b.meta["frame"] == "data":
            data_end = b.t_start_s + b.duration_s
    assert gaps and np.allclose(gaps, 192e-6, atol=1e-6)
    starts = [b.t_start_s for b in bursts]
    ends = [b.t_start_s + b.duration_s for b in bursts]
    assert len(starts) > 1
    assert all(s >= e - 1e-9 for s, e in zip(starts[1:], ends[:-1]))  # one PAN, one frame at a time


def test_zigbee_channel_raster_through_a_wideband_receiver():
    rx = ideal(2440e6, 20e6)
    r = render(
        Scene([EmitterSpec("zigbee", 25.0, params={"channel": 17, "packet_rate_hz": 40.0}, emitter_id="z")], rx, 0.2),
        np.random.default_rng(14),
    )
    assert r.annotations and {a["core:label"] for a in r.annotations} == {"zigbee"}
    for a in r.annotations:
        centre = 0.5 * (a["core:freq_lower_edge"] + a["core:freq_upper_edge"])
        assert centre == pytest.approx(2405e6 + 5e6 * (17 - 11), abs=2435e6 * 20e-6 + 1.0)
    f, p = psd(r.components["z"], rx.sample_rate_hz, 4096)
    assert np.sum(f * p) / np.sum(p) == pytest.approx(-5e6, abs=0.1e6)


@pytest.mark.parametrize(("band", "chip_rate_hz", "bit_rate_hz"), [("915", 600e3, 40e3), ("868", 300e3, 20e3)])
def test_zigbee_sub_ghz_bpsk(band, chip_rate_hz, bit_rate_hz):
    bursts = emit("zigbee", 1.0, band, seed=15, packet_rate_hz=10.0)
    assert bursts
    fs = bursts[0].sample_rate_hz
    x = np.concatenate([b.samples for b in bursts])
    f, p = psd(x, fs, 2048)
    # raised cosine, roll-off 1: nothing beyond ± the chip rate
    assert p[np.abs(f) > 1.1 * chip_rate_hz].sum() < 1e-3 * p.sum()
    for b in bursts:
        assert b.duration_s == pytest.approx(8 * (6 + b.meta["psdu_octets"]) / bit_rate_hz, rel=1e-3)
    if band == "915":
        assert {round(b.rf_hz / 1e6) for b in bursts} <= {906 + 2 * k for k in range(10)}
    else:
        assert {round(b.rf_hz / 1e5) for b in bursts} == {8683}


# ---------------------------------------------------------------------------
# FM broadcast


def fm_demodulate(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """The multiplex as a deviation in Hz (PySDR-style discriminator)."""
    return instantaneous_frequency_hz(x, fs_hz)


def tone_amplitude(m: np.ndarray, fs_hz: float, f_hz: float) -> float:
    """Amplitude of the component of ``m`` at ``f_hz`` (projection over the whole record)."""
    t = np.arange(len(m)) / fs_hz
    return 2.0 * abs(np.mean(m * np.exp(-2j * np.pi * f_hz * t)))


def test_fm_pilot_subcarriers_and_deviation_from_the_demodulated_multiplex():
    (b,) = emit("fm-broadcast", 0.5, "FM", seed=21, stereo=True, rds=True)
    fs = b.sample_rate_hz
    m = fm_demodulate(b.samples, fs)
    m -= m.mean()
    # 19 kHz pilot at 8–10 % of 75 kHz; the 38 kHz subcarrier suppressed
    assert 0.08 * 75e3 <= tone_amplitude(m, fs, 19e3) <= 0.10 * 75e3
    assert tone_amplitude(m, fs, 38e3) < 0.01 * 75e3
    f, p = psd(m.astype(np.complex64), fs, 8192)
    df = f[1] - f[0]
    pilot = p[np.abs(f - 19e3) < 3 * df].max()
    assert pilot > 100 * np.median(p[(f > 16.5e3) & (f < 18.5e3)])
    # the L−R sidebands 23–53 kHz and the RDS ±2.4 kHz around 57 kHz carry power; nothing above 60 kHz

    def band(lo: float, hi: float) -> float:
        return float(p[(f >= lo) & (f <= hi)].sum())

    assert band(23e3, 53e3) > 1e-3 * band(0, 15e3)
    assert band(54.6e3, 59.4e3) > 20 * band(60e3, 65e3)
    # peak deviation: the processed programme reaches but does not exceed ~100 % (75 kHz)
    assert 60e3 < np.percentile(np.abs(m), 99.99) <= 80e3


def test_fm_rds_bit_rate():
    (b,) = emit("fm-broadcast", 0.5, "FM", seed=22, stereo=True, rds=True)
    fs = b.sample_rate_hz
    m = fm_demodulate(b.samples, fs)
    t = np.arange(len(m)) / fs
    # mix the 57 kHz subcarrier down (its phase from the record), low-pass ±2.4 kHz
    z = m * np.exp(-2j * np.pi * 57e3 * t)
    spectrum = np.fft.fft(z)
    freqs = np.fft.fftfreq(len(z), 1 / fs)
    spectrum[np.abs(freqs) > 2.4e3] = 0
    z = np.fft.ifft(spectrum)
    z *= np.exp(-1j * 0.5 * np.angle(np.mean(z**2)))  # BPSK: align the constellation with the real axis
    flips = np.flatnonzero(np.sign(z.real[1:]) != np.sign(z.real[:-1])) / fs
    # biphase symbols: zero crossings on a half-bit grid of 1/(2·1187.5) s
    coherence = {rate: abs(np.mean(np.exp(2j * np.pi * flips * rate))) for rate in (2375.0, 2300.0, 2450.0)}
    assert coherence[2375.0] > 0.6 > 2 * max(coherence[2300.0], coherence[2450.0])


def test_fm_occupied_bandwidth_raster_and_continuity():
    for seed in (23, 24, 25):
        (b,) = emit("fm-broadcast", 0.5, "FM", seed=seed)
        assert b.t_start_s == 0.0 and b.duration_s == pytest.approx(0.5, abs=1e-5)
        assert np.abs(np.abs(b.samples) - 1).max() < 1e-3  # constant envelope, no pause
        bw, _, _ = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, nfft=4096)
        assert 110e3 <= bw <= 256e3  # within Carson's 2·(75 + 53) kHz
        channel = b.meta["channel_hz"]
        assert round((channel - 87.9e6) / 200e3, 6) % 1 == 0 and 87.9e6 <= channel <= 107.9e6
        assert abs(b.rf_hz - channel) <= 2000
    # a station runs on across the 2 s pieces it is built in: no frequency jump at 2 s
    (long,) = emit("fm-broadcast", 2.2, "FM", seed=26)
    m = fm_demodulate(long.samples, long.sample_rate_hz)
    i = round(2.0 * long.sample_rate_hz)
    assert np.abs(m[i - 3 : i + 3]).max() <= 80e3
    assert get("fm-broadcast").continuous


# ---------------------------------------------------------------------------
# Rendered through the receiver models


@pytest.mark.parametrize(
    ("label", "params", "receiver"),
    [
        ("adsb", {"aircraft": 10, "radars": 1}, rtlsdr(1090e6, 2.4e6)),
        ("adsb", {"aircraft": 10, "radars": 1}, wideband(1090e6, 20e6)),
        ("adsb", {"aircraft": 6, "ground_stations": 2}, rtlsdr(978e6, 2.4e6)),
        ("zigbee", {"packet_rate_hz": 40.0, "channel": 18}, rtlsdr(2440.3e6, 2.4e6)),
        ("zigbee", {"packet_rate_hz": 40.0}, wideband(2440e6, 20e6)),
        ("fm-broadcast", {"channel_hz": 98.1e6}, rtlsdr(98.4e6, 2.4e6)),
        ("fm-broadcast", {"channel_hz": 98.1e6}, wideband(98e6, 20e6)),
    ],
)
def test_rendered_annotations_and_visible_energy(label, params, receiver):
    duration_s = {978e6: 1.0, 98e6: 0.05}.get(receiver.center_freq_hz, 0.25)
    spec = EmitterSpec(label, 20.0, params=params, emitter_id="e")
    r = render(Scene([spec], receiver, duration_s), np.random.default_rng(31))
    assert r.annotations and {a["core:label"] for a in r.annotations} == {label}
    fs, fc = r.sample_rate_hz, r.center_freq_hz
    clean = r.components["e"]
    mask = np.zeros(len(clean), bool)
    for a in r.annotations:
        s, n = a["core:sample_start"], a["core:sample_count"]
        mask[s : s + n] = True
        assert a["rfclassify:drone"] is False
        lo = a["rfclassify:visible_freq_lower_edge"] - fc
        hi = a["rfclassify:visible_freq_upper_edge"] - fc
        f, p = psd(clean[s : s + n], fs, min(1024, n))
        wide = 0.3 * (hi - lo) + 2 * (f[1] - f[0])
        assert p[(f >= lo - wide) & (f <= hi + wide)].sum() >= 0.9 * p.sum()
    energy = np.abs(clean) ** 2
    assert energy[mask].sum() >= 0.99 * energy.sum()
    # the recording holds it: more power where it is annotated than where it is not (or the whole recording)
    if label == "fm-broadcast":
        assert len(r.annotations) == 1 and r.annotations[0]["core:sample_count"] == len(clean)
        a = r.annotations[0]
        assert a["core:freq_upper_edge"] - a["core:freq_lower_edge"] == pytest.approx(256e3)
    else:
        rec = np.abs(r.samples) ** 2
        assert rec[mask].mean() > 1.5 * rec[~mask].mean()


def test_new_labels_are_clutter_in_their_bands():
    for label, freq_hz in (("adsb", 1090e6), ("adsb", 978e6), ("zigbee", 2425e6), ("zigbee", 868.3e6),
                           ("fm-broadcast", 98.1e6), ("fm-broadcast", 87.6e6)):
        sig = get(label)
        assert not sig.drone and sig.link == "none"
        assert sig.in_band(freq_hz)
    assert not get("adsb").in_band(1030e6)  # interrogations, not replies
    assert not get("fm-broadcast").in_band(110e6)
    assert not get("zigbee").in_band(5800e6)
