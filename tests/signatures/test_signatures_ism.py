"""ISM clutter measured against its standards: LoRaWAN 500 kHz (lora-iot), Z-Wave and wireless M-Bus
(ook-ism), frequency-hopping meters, cordless phones and Sidewalk (ism-fhss).

Every check measures the emitted samples — chirp slope and direction from the
instantaneous frequency, FSK deviation and chip rate from its clusters and run
lengths, occupied bandwidth from the PSD, channel plans from the set of RF
centres, dwell and timing from burst spans — and compares them with the numbers
of the sources (LoRa Alliance RP002, ITU-T G.9959, EN 13757-4, 47 CFR 15.247,
IEEE 802.15.4 SUN FSK), then renders the classes through the receiver models.
"""

from __future__ import annotations

import numpy as np
import pytest

from rfclassify.dsp.measure import instantaneous_frequency_hz, occupied_bandwidth_hz, psd
from rfclassify.signatures import get
from rfclassify.signatures.base import Burst
from rfclassify.synth.receiver import rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Scene, render
from rfclassify.testing.bursts import emit, occupied_bandwidth

LORA = get("lora-iot")
OOK = get("ook-ism")
FHSS = get("ism-fhss")
ELRS = get("elrs-900")


# --- measurements ------------------------------------------------------------------------------


def chirp_slope_hz_per_s(x: np.ndarray, fs_hz: float) -> float:
    """Slope of the instantaneous frequency inside the second preamble chirp (line fit between wraps)."""
    f = instantaneous_frequency_hz(x, fs_hz)
    span = np.percentile(f, 99) - np.percentile(f, 1)
    wraps = np.flatnonzero(np.abs(np.diff(f)) > span / 2)
    assert len(wraps) >= 3, "no chirps"
    a, b = wraps[0] + 1, wraps[1] + 1
    trim = (b - a) // 20
    seg = f[a + trim : b - trim]
    return float(np.polyfit(np.arange(len(seg)) / fs_hz, seg, 1)[0])


def centred_if_hz(x: np.ndarray, fs_hz: float) -> np.ndarray:
    """Instantaneous frequency less the midpoint of its two tones (robust to a carrier offset)."""
    f = instantaneous_frequency_hz(x, fs_hz)
    return f - 0.5 * (np.percentile(f, 2) + np.percentile(f, 98))


def fsk_deviation_hz(x: np.ndarray, fs_hz: float) -> float:
    """Half the distance between the two tone clusters of the instantaneous frequency."""
    f = centred_if_hz(x, fs_hz)
    return float((np.median(f[f > 0]) - np.median(f[f < 0])) / 2)


def chip_period_s(x: np.ndarray, fs_hz: float) -> float:
    """The shortest common run of one tone: the chip (symbol) period."""
    f = centred_if_hz(x, fs_hz)
    crossings = np.flatnonzero(np.diff(np.sign(f)) != 0)
    runs = np.diff(crossings)
    return float(np.percentile(runs, 25) / fs_hz)


def hard_chips(x: np.ndarray, fs_hz: float, chip_rate_hz: float) -> np.ndarray:
    """Tone decisions (0/1) at the centre of every chip of a packet that starts on a chip boundary."""
    f = instantaneous_frequency_hz(x, fs_hz)
    sps = fs_hz / chip_rate_hz
    centres = (np.arange(int(len(f) / sps)) * sps + sps / 2).astype(int)
    return (f[centres[centres < len(f)]] > 0).astype(int)


def visible_energy_ratio(rendered, annotation: dict) -> float:
    """Mean PSD inside the annotation's visible band over the mean PSD outside it, over its samples."""
    a = annotation
    x = rendered.samples[a["core:sample_start"] : a["core:sample_start"] + a["core:sample_count"]]
    fs, fc = rendered.sample_rate_hz, rendered.center_freq_hz
    f, p = psd(x, fs, nfft=min(1024, max(64, len(x) // 4)))
    lo = a["rfclassify:visible_freq_lower_edge"] - fc
    hi = a["rfclassify:visible_freq_upper_edge"] - fc
    inside = (f >= lo) & (f <= hi)
    return float(np.mean(p[inside]) / np.mean(p[~inside]))


# --- lora-iot: LoRaWAN US915/AU915 500 kHz ----------------------------------------------------


def test_lora_us915_500khz_uplinks_on_the_1_6_mhz_raster() -> None:
    ups = [b for s in range(30) for b in emit(LORA, 1.0, "US915", seed=s, bw_hz=500e3, downlink_prob=0.0)]
    n = np.array([(b.rf_hz - 903.0e6) / 1.6e6 for b in ups])
    assert np.allclose(n, np.round(n), atol=1e-9) and set(np.round(n).astype(int)) == set(range(8))
    assert {b.meta["channel"] for b in ups} == set(range(64, 72))  # RP002 channels 64-71
    b = ups[0]
    assert b.sample_rate_hz == 1e6
    # DR4 = SF8 / 500 kHz: chirp slope BW²/2^8, 500 kHz occupied
    assert chirp_slope_hz_per_s(b.samples, b.sample_rate_hz) == pytest.approx(500e3**2 / 2**8, rel=0.02)
    assert 0.9 * 500e3 < occupied_bandwidth(ups[:3], nfft=1024)[0] < 1.35 * 500e3
    # the draw mixes 125 kHz and 500 kHz uplinks
    drawn = [b.meta["bw_hz"] for s in range(40) for b in emit(LORA, 2.0, "US915", seed=s, downlink_prob=0.0)]
    assert 0.1 < np.mean(np.array(drawn) == 500e3) < 0.5 and 125e3 in drawn


def test_lora_us915_rx1_downlink_channel_delay_bandwidth_and_inverted_iq() -> None:
    seen = 0
    for seed in range(6):
        bursts = emit(LORA, 6.0, "US915", seed=seed, packets=3, downlink_prob=1.0)
        ups = {b.meta["channel"]: b for b in bursts if b.meta["direction"] == "uplink"}
        for down in (b for b in bursts if b.meta["direction"] == "downlink"):
            up = ups[down.meta["uplink_channel"]]
            # RP002: RX1 on 923.3 + 0.6·(uplink channel mod 8) MHz, 500 kHz, 1 s after the uplink ends
            assert down.rf_hz == pytest.approx(923.3e6 + 0.6e6 * (up.meta["channel"] % 8), abs=1)
            assert down.t_start_s - (up.t_start_s + up.duration_s) == pytest.approx(1.0, abs=1e-3)
            slope = chirp_slope_hz_per_s(down.samples, down.sample_rate_hz)
            sf = up.meta["sf"] if up.meta["bw_hz"] == 125e3 else 7  # DR0-3 → DR10-13, DR4 → DR13
            assert slope == pytest.approx(-(500e3**2) / 2**sf, rel=0.02)  # inverted IQ: down-chirp preamble
            assert chirp_slope_hz_per_s(up.samples, up.sample_rate_hz) > 0
            assert 0.9 * 500e3 < occupied_bandwidth([down], nfft=1024)[0] < 1.35 * 500e3
            seen += 1
    assert seen >= 5


def test_lora_dl923_band_holds_gateway_downlinks_only() -> None:
    bursts = [b for s in range(10) for b in emit(LORA, 1.0, "DL923", seed=s)]
    assert bursts and all(b.meta["direction"] == "downlink" for b in bursts)
    n = np.array([(b.rf_hz - 923.3e6) / 0.6e6 for b in bursts])
    assert np.allclose(n, np.round(n), atol=1e-9) and n.min() >= 0 and n.max() <= 7
    assert all(chirp_slope_hz_per_s(b.samples, b.sample_rate_hz) < 0 for b in bursts[:5])
    assert LORA.in_band(925.1e6, 500e3) and LORA.in_band(903.0e6, 500e3)


def test_lora_au915_500khz_raster_and_eu868_250khz() -> None:
    au = [b for s in range(30) for b in emit(LORA, 1.0, "AU915", seed=s, bw_hz=500e3, downlink_prob=0.0)]
    n = np.array([(b.rf_hz - 915.9e6) / 1.6e6 for b in au])
    assert np.allclose(n, np.round(n), atol=1e-9) and n.min() >= 0 and n.max() <= 7
    eu = emit(LORA, 1.0, "EU868", seed=3, bw_hz=250e3, packets=2, downlink_prob=0.0)
    assert len(eu) == 2
    assert all(b.rf_hz == 868.3e6 for b in eu)  # DR6 on 868.3 MHz
    assert chirp_slope_hz_per_s(eu[0].samples, eu[0].sample_rate_hz) == pytest.approx(250e3**2 / 2**7, rel=0.02)


# --- ook-ism: Z-Wave and wireless M-Bus ----------------------------------------------------------

# ITU-T G.9959 and EN 13757-4: (band, device) → (carrier Hz, chip rate Hz, deviation Hz)
FSK_SPECS = {
    ("915", "zwave-r1"): (908.42e6, 19.2e3, 20e3),
    ("915", "zwave-r2"): (908.42e6, 40e3, 20e3),
    ("915", "zwave-r3"): (916.00e6, 100e3, 29e3),
    ("868", "zwave-r1"): (868.42e6, 19.2e3, 20e3),
    ("868", "zwave-r3"): (869.85e6, 100e3, 29e3),
    ("868", "wmbus-s1"): (868.30e6, 32.768e3, 50e3),
    ("868", "wmbus-t1"): (868.95e6, 100e3, 50e3),
    ("868", "wmbus-c1"): (868.95e6, 100e3, 45e3),
}


@pytest.mark.parametrize(("band", "device"), list(FSK_SPECS))
def test_zwave_and_wmbus_carrier_deviation_and_chip_rate(band: str, device: str) -> None:
    carrier_hz, chip_hz, dev_hz = FSK_SPECS[(band, device)]
    encoding = device.split("-")[0]
    bursts = emit(OOK, 1.0, band, seed=2, encoding=encoding, device=device, report_interval_s=0.4)
    assert bursts and all(b.meta["device"] == device for b in bursts)
    b = bursts[0]
    assert abs(b.rf_hz - carrier_hz) <= 20e-6 * carrier_hz  # crystal error only
    shaped = device == "zwave-r3"  # GFSK BT 0.6: the IF rounds off between tones
    assert fsk_deviation_hz(b.samples, b.sample_rate_hz) == pytest.approx(dev_hz, rel=0.2 if shaped else 0.1)
    assert 1 / chip_period_s(b.samples, b.sample_rate_hz) == pytest.approx(chip_hz, rel=0.1)
    assert b.f_lo_hz < b.rf_hz - dev_hz and b.f_hi_hz > b.rf_hz + dev_hz
    lo, hi = occupied_bandwidth_hz(b.samples, b.sample_rate_hz, nfft=512)[1:]
    assert b.f_lo_hz - b.rf_hz <= lo and hi <= b.f_hi_hz - b.rf_hz  # annotation holds 99 % of the power


def test_zwave_r1_is_manchester_and_wmbus_t1_is_3_of_6() -> None:
    r1 = emit(OOK, 1.0, "915", seed=4, encoding="zwave", device="zwave-r1", report_interval_s=0.4)[0]
    chips = hard_chips(r1.samples, r1.sample_rate_hz, 19.2e3)
    body = chips[160:]  # after the 0x55 preamble (G.9959: 10 bytes, Manchester-coded)
    pairs = body[: len(body) // 2 * 2].reshape(-1, 2)
    assert np.all(pairs[:, 0] != pairs[:, 1])  # every bit is a transition: 9.6 kb/s of data
    t1 = emit(OOK, 1.0, "868", seed=4, encoding="wmbus", device="wmbus-t1", report_interval_s=0.4)[0]
    chips = hard_chips(t1.samples, t1.sample_rate_hz, 100e3)
    words = chips[38 : 38 + (len(chips) - 38) // 6 * 6].reshape(-1, 6)
    assert len(words) > 20 and np.all(words.sum(axis=1) == 3)  # every 6-chip word: three ones, three zeros
    c1 = emit(OOK, 1.0, "868", seed=4, encoding="wmbus", device="wmbus-c1", report_interval_s=0.4)[0]
    ones = hard_chips(c1.samples, c1.sample_rate_hz, 100e3)[32:]
    assert np.any(np.convolve(ones, np.ones(7), mode="valid") == 7)  # NRZ: long runs, unlike 3-of-6


def test_ook_modulation_draw_per_band_and_the_300_390_mhz_band() -> None:
    drawn = {band: {emit(OOK, 1.0, band, seed=s, report_interval_s=0.3)[0].meta["encoding"] for s in range(60)}
             for band in ("868", "915", "300-390")}
    assert drawn["868"] >= {"pwm", "ppm", "manchester", "fsk", "zwave", "wmbus"}
    assert drawn["915"] >= {"pwm", "fsk", "zwave"} and "wmbus" not in drawn["915"]
    assert drawn["300-390"] <= {"pwm", "ppm", "manchester", "fsk"}
    assert OOK.in_band(310e6) and OOK.in_band(390e6) and OOK.in_band(869.85e6)
    assert not OOK.in_band(1090e6) and not OOK.in_band(250e6)


# --- ism-fhss ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "params", "count", "first_hz", "spacing_hz"),
    [
        ("ISM915", {"family": "meter", "mode": "sun50k"}, 129, 902.2e6, 200e3),
        ("ISM915", {"family": "meter", "mode": "sun150k"}, 64, 902.4e6, 400e3),
        ("SRD868", {"family": "meter", "mode": "sun50k"}, 34, 863.125e6, 200e3),
        ("ISM915", {"family": "cordless", "n_channels": 50}, 50, 902.6e6, 250e3),
    ],
)
def test_ism_fhss_channel_set_and_raster(band, params, count, first_hz, spacing_hz) -> None:
    bursts = emit(FHSS, 20.0, band, seed=1, **params)
    rf = np.unique([b.rf_hz for b in bursts])
    assert len(rf) == count
    assert rf[0] == pytest.approx(first_hz, abs=1) and np.allclose(np.diff(rf), spacing_hz, atol=1)
    assert bursts
    assert all(b.f_lo_hz >= FHSS.band(band).lo_hz and b.f_hi_hz <= FHSS.band(band).hi_hz for b in bursts)


@pytest.mark.parametrize(
    "params",
    [{"family": "meter", "mode": m} for m in ("sun50k", "sun150k", "sun200k", "legacy19k2")]
    + [{"family": "cordless", "n_channels": 50}, {"family": "sidewalk"}],
)
def test_ism_fhss_obeys_15_247_channel_count_and_dwell(params) -> None:
    bursts = emit(FHSS, 20.0, "ISM915", seed=5, **params)
    width_hz = occupied_bandwidth(bursts[:20], nfft=1024)[0]
    # the hop set, from an emission long enough to visit every channel (Sidewalk sends ~2 messages/s)
    long = emit(FHSS, 150.0, "ISM915", seed=5, **params) if params["family"] == "sidewalk" else bursts
    n_channels = len({b.rf_hz for b in long})
    narrow = width_hz < 250e3
    window_s = 20.0 if narrow else 10.0
    assert n_channels >= (50 if narrow else 25)
    # average occupancy of any channel: at most 0.4 s in the 20 s (10 s) window
    for t0 in (0.0, 20.0 - window_s):
        dwell: dict[float, float] = {}
        for b in bursts:
            if t0 <= b.t_start_s < t0 + window_s:
                dwell[b.rf_hz] = dwell.get(b.rf_hz, 0.0) + b.duration_s
        assert max(dwell.values()) <= 0.4


def test_ism_fhss_meter_gfsk_deviation_and_bit_rate() -> None:
    for mode, rate_hz, dev_hz in (("sun50k", 50e3, 25e3), ("sun150k", 150e3, 37.5e3), ("legacy19k2", 19.2e3, 20e3)):
        b = emit(FHSS, 0.5, "ISM915", seed=3, family="meter", mode=mode)[0]
        preamble = b.samples[: round(60 / rate_hz * b.sample_rate_hz)]
        # the alternating preamble: an IF tone at half the bit rate, swinging to ± deviation (GFSK rounds it off)
        f = instantaneous_frequency_hz(preamble, b.sample_rate_hz)
        spec = np.abs(np.fft.rfft(f - f.mean(), 8192))
        assert np.argmax(spec) * b.sample_rate_hz / 8192 == pytest.approx(rate_hz / 2, rel=0.05)
        assert 0.7 * dev_hz < np.percentile(np.abs(f), 95) < 1.1 * dev_hz
        assert occupied_bandwidth([b], nfft=1024)[0] < 2 * dev_hz + 1.5 * rate_hz


def intervals_cv(bursts: list[Burst]) -> float:
    """Coefficient of variation of the intervals between successive burst starts."""
    d = np.diff(sorted(b.t_start_s for b in bursts))
    return float(np.std(d) / np.mean(d))


def test_ism_fhss_timing_is_irregular_where_elrs_is_fixed() -> None:
    elrs = [b for b in emit(ELRS, 2.0, "FCC915", seed=1, mode="50Hz", tlm_ratio=0)]
    assert intervals_cv(elrs) < 0.01  # a fixed packet rate
    assert len({b.rf_hz for b in elrs}) <= 40
    for family in ("meter", "sidewalk"):
        per_seed = [[b for b in emit(FHSS, 5.0, "ISM915", seed=s, family=family) if b.meta["kind"] == "data"]
                    for s in range(4)]
        assert all(len(p) > 5 and intervals_cv(p) > 0.25 for p in per_seed)  # random access, not a packet clock
    meter = emit(FHSS, 5.0, "ISM915", seed=2, family="meter", mode="sun50k")
    data = [b for b in meter if b.meta["kind"] == "data"]
    hops = np.diff([b.rf_hz for b in data])
    assert np.mean(hops != 0) > 0.95  # a new channel for every packet
    for ack in (b for b in meter if b.meta["kind"] == "ack"):
        before = max((d for d in data if d.t_start_s < ack.t_start_s), key=lambda d: d.t_start_s)
        assert ack.rf_hz == before.rf_hz  # the Enh-Ack answers on the data packet's channel
        assert ack.t_start_s - (before.t_start_s + before.duration_s) == pytest.approx(1e-3, abs=1e-5)
    # cordless: regular 10 ms TDD frames, two bursts per hop
    cordless = emit(FHSS, 1.0, "ISM915", seed=3, family="cordless", n_channels=95)
    base = [b for b in cordless if b.meta["kind"] == "base"]
    assert np.allclose(np.diff([b.t_start_s for b in base]), 10e-3, atol=1e-9)
    assert len({b.rf_hz for b in cordless}) > 40  # more channels than ELRS visits in the same second


def test_ism_fhss_draws_every_family_and_at_least_one_packet() -> None:
    families = set()
    for s in range(30):
        bursts = emit(FHSS, 0.5, "ISM915", seed=s)
        assert bursts and all(0 <= b.t_start_s < 0.5 for b in bursts)
        families.add(bursts[0].meta["family"])
    assert families == {"meter", "cordless", "sidewalk"}
    assert {emit(FHSS, 0.5, "SRD868", seed=s)[0].meta["family"] for s in range(5)} == {"meter"}
    # a window shows only what falls inside it, and the same seed sends the same packets
    window = (914.8e6, 917.2e6)
    seen = emit(FHSS, 2.0, "ISM915", seed=9, window_hz=window, family="meter", mode="sun50k")
    every = emit(FHSS, 2.0, "ISM915", seed=9, family="meter", mode="sun50k")
    assert seen and len(seen) < len(every)
    assert all(b.f_hi_hz > window[0] and b.f_lo_hz < window[1] for b in seen)
    same = {(b.t_start_s, b.rf_hz): b for b in every}
    assert all(np.array_equal(same[(b.t_start_s, b.rf_hz)].samples, b.samples) for b in seen)


# --- renders through the receiver models ---------------------------------------------------------


def rendered_annotations(label: str, receiver, band: str, seed: int, duration_s: float = 0.5, **params):
    emitter = EmitterSpec(label, 20.0, band=band, params=params, emitter_id=f"{label}-0", seed=seed)
    rendered = render(Scene([emitter], receiver, duration_s), np.random.default_rng(seed))
    return rendered, [a for a in rendered.annotations if a["core:label"] == label]


@pytest.mark.parametrize(
    ("label", "band", "receiver", "params"),
    [
        ("ook-ism", "915", rtlsdr(908.44e6, 0.25e6), {"encoding": "zwave", "device": "zwave-r2",
                                                        "report_interval_s": 0.2}),
        ("ook-ism", "300-390", rtlsdr(310.0e6, 0.25e6), {"encoding": "pwm", "report_interval_s": 0.2,
                                                       "offset_hz": 12e3}),
        ("lora-iot", "US915", rtlsdr(903.3e6, 2.4e6), {"bw_hz": 500e3, "packets": 6, "downlink_prob": 0.0}),
        ("ism-fhss", "ISM915", rtlsdr(915.0e6, 2.4e6), {"family": "cordless", "n_channels": 50}),
        ("ism-fhss", "ISM915", wideband(915.0e6, 20e6, "cf32_le"), {"family": "meter", "mode": "sun50k",
                                                                     "mean_gap_s": 0.02}),
        ("lora-iot", "DL923", wideband(925.0e6, 20e6, "ci8"), {"packets": 4}),
    ],
)
def test_renders_with_annotations_and_visible_energy(label, band, receiver, params) -> None:
    if label == "ook-ism" and band == "300-390":
        # the 310 MHz X10 carrier: pick a seed whose draw lands there, as a receiver at 310 MHz hears it
        seed = next(s for s in range(200) if emit(OOK, 0.5, band, seed=s, **params)[0].meta["nominal_hz"] == 310e6)
    else:
        seed = 7
    builder_seed = seed
    rendered, annotations = rendered_annotations(label, receiver, band, builder_seed, **params)
    assert annotations, f"{label} not seen through {receiver.name} at {receiver.sample_rate_hz:g} S/s"
    lo, hi = receiver.window_hz
    for a in annotations:
        assert a["rfclassify:visible_freq_lower_edge"] < hi and a["rfclassify:visible_freq_upper_edge"] > lo
        assert not a["rfclassify:drone"]
    ratios = [visible_energy_ratio(rendered, a) for a in annotations if a["core:sample_count"] > 256]
    assert ratios and np.median(ratios) > 3.0
    if receiver.sample_rate_hz == 20e6 and label == "ism-fhss":
        assert len({round(a["rfclassify:rf_hz"]) for a in annotations}) >= 4  # many hops in view
