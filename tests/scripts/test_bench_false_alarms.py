"""The false-alarm benchmark's clutter stream (scripts/bench_false_alarms.py): its receiver is the synthesizer's,
its scenes come from the registry, its stream is a node's, and a drone in it is counted."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_false_alarms as bfa

from rfclassify.signatures import REGISTRY
from rfclassify.synth import impairments as imp
from rfclassify.synth.receiver import receive, rtlsdr, wideband
from rfclassify.synth.scene import EmitterSpec, Scene, place


@pytest.mark.parametrize("make_receiver", [
    lambda rng: rtlsdr(915e6, rng=rng),
    lambda rng: wideband(2437e6, 20e6, "ci8", rng=rng),
])
def test_assembled_chunk_is_what_the_receiver_records(make_receiver) -> None:
    """Imbalance applied to each pooled part, then AGC, DC and ADC: the same samples as receive() (to an ADC step)."""
    rng = np.random.default_rng(3)
    receiver = make_receiver(rng)
    label = "ook-ism" if receiver.center_freq_hz < 1e9 else "bluetooth"
    for seed in range(4, 40):  # the first emitter whose channel is in view: the comparison needs a signal
        clean, annotations, _ = place(Scene([EmitterSpec(label, 20.0)], receiver, 0.05), np.random.default_rng(seed))
        if annotations:
            break
    assert annotations
    expected, expected_gain = receive(clean, receiver, np.random.default_rng(5))
    noise = imp.awgn(len(clean), np.random.default_rng(5))  # receive() draws its noise first
    iq = (lambda x: imp.iq_imbalance(x, receiver.iq_gain_db, receiver.iq_phase_deg))
    delay = len(clean) // 3
    got, gain = bfa.assemble(iq(noise), [(iq(np.roll(clean, -delay)), delay, np.float32(1.0))], receiver)
    assert gain == pytest.approx(expected_gain, rel=1e-5)
    held, _ = bfa.assemble(iq(noise), [(iq(np.roll(clean, -delay)), delay, np.float32(1.0))], receiver, gain)
    assert np.array_equal(held, got)  # a gain held from an earlier chunk scales as the AGC did
    step = 1 / 127.5 if receiver.datatype == "cu8" else 1 / 128
    assert got.dtype == np.complex64 and got.shape == expected.shape
    assert np.max(np.abs(got.real - expected.real)) <= step * 1.01
    assert np.max(np.abs(got.imag - expected.imag)) <= step * 1.01
    assert np.mean(got == expected) > 0.999  # float rounding moves a sample across a step only rarely


def test_scene_types_come_from_the_registry() -> None:
    for st in bfa.SCENE_TYPES:
        assert bfa.scene_type(st.name) is st
        labels = bfa.clutter_labels(st)
        assert labels, st.name
        for lab in labels:
            sig = REGISTRY[lab]
            assert not sig.drone and sig.band_limited
            assert any(b.overlaps(*st.span_hz) for b in sig.bands)
        bands = bfa.span_bands(st)
        assert any(REGISTRY[lab].drone and any(b in bands for b in REGISTRY[lab].bands) for lab in REGISTRY)
        rng = np.random.default_rng(1)
        for _ in range(20):
            rx = bfa.draw_receiver(st, rng)
            assert rx.sample_rate_hz == st.sample_rate_hz
            lo, hi = rx.window_hz
            assert any(b.overlaps(lo, hi) for b in bands), (st.name, rx.center_freq_hz)
            for spec in bfa.draw_emitters(st, rx, rng, 3):
                assert spec.label in labels and bfa.in_view(spec.label, rx.window_hz)
    with pytest.raises(KeyError):
        bfa.scene_type("60 GHz")


def test_clutter_stream_is_contiguous_across_chunks_and_retunes_between_dwells() -> None:
    st = bfa.scene_type("sub-GHz")
    source = bfa.ClutterSource(st, 2.5, seed=7, dwell_s=1.0, chunk_s=0.4, pool=1, max_emitters=2)
    blocks = list(source.blocks(1 << 16))
    index = 0
    centres = []
    for block in blocks:
        assert block.sample_index == index and block.sample_rate_hz == st.sample_rate_hz
        index += len(block.samples)
        if not centres or centres[-1] != block.center_freq_hz:
            centres.append(block.center_freq_hz)
    assert index == round(2.5 * st.sample_rate_hz)
    assert source.stats.dwells == 3 and len(centres) == 3  # dwells of 1, 1 and 0.5 s, each its own tuning
    assert source.stats.seconds == pytest.approx(2.5)
    assert source.truth
    assert all(0 <= a <= b <= 2.5 + 1e-9 for _, a, b, *_ in source.truth)


def test_pooled_chunks_differ_and_carry_their_truth() -> None:
    rx = rtlsdr(433.92e6, rng=np.random.default_rng(2))
    pool = bfa.DwellPool(rx, [EmitterSpec("ook-ism", 20.0, emitter_id="e0")], 0.3, 1, np.random.default_rng(3))
    rng = np.random.default_rng(4)
    a, b = pool.chunk(rng), pool.chunk(rng)
    assert len(a.samples) == len(b.samples) == round(0.3 * rx.sample_rate_hz)
    assert not np.array_equal(a.samples, b.samples)  # another delay, level and noise slice
    assert pool.gain is not None  # the first chunk's AGC gain, held for the dwell
    assert a.truth and {t[0] for t in a.truth} == {"ook-ism"}
    assert all(0 <= t0 < t1 <= 0.3 + 1e-9 for _, t0, t1, _, _ in a.truth)


def test_a_drone_in_the_stream_is_counted_as_an_alarm_and_named() -> None:
    """The counter can fail: an ExpressLRS link streamed the same way raises a start event with drone: true."""
    st = bfa.SceneType("test 915", (903e6, 927e6), "rtlsdr", 2.4e6, "ExpressLRS on the US 915 MHz band")
    elrs = EmitterSpec("elrs-900", 20.0, band="FCC915", params={"rate_hz": 200}, emitter_id="e0")
    out = bfa.run_stream(st, 3.0, 11, dwell_s=3.0, chunk_s=1.0, pool=2, emitters=[elrs])
    assert out["seconds"] == pytest.approx(3.0)
    assert out["alarms"], out["decided"]
    assert {a["label"] for a in out["alarms"]} <= {lab for lab, sig in REGISTRY.items() if sig.drone}
    assert any("elrs-900" in a["truth"] for a in out["alarms"])
    summary = bfa.summarize(st.name, [out])
    assert summary["per_hour"] == pytest.approx(len(out["alarms"]) * 3600 / 3.0)


def test_an_emitter_never_in_view_is_left_out_of_the_pool() -> None:
    rx = rtlsdr(433.92e6, rng=np.random.default_rng(2))
    hidden = EmitterSpec("ook-ism", 20.0, band="300-390", emitter_id="e0")  # 300-390 MHz, far outside the window
    pool = bfa.DwellPool(rx, [hidden], 0.1, 2, np.random.default_rng(3))
    assert pool.timelines == []
    chunk = pool.chunk(np.random.default_rng(4))
    assert chunk.truth == [] and len(chunk.samples) == round(0.1 * rx.sample_rate_hz)
