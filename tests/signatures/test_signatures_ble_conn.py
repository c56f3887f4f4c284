"""LE connection traffic: data channels, hop increment, long data PDUs (Core Spec v5.3 Vol 6 Part B)."""

import numpy as np

from rfclassify.signatures.bluetooth import ADV_CHANNELS_HZ, ble_data_channel_hz
from rfclassify.testing.bursts import emit


def test_ble_connection_hops_data_channels_with_long_pdus():
    bursts = emit("bluetooth", 1.0, seed=3, mode="ble-conn", conn_interval_s=0.01, hop_increment=7,
                  max_payload_bytes=251)
    assert len(bursts) > 100
    rfs = {b.rf_hz for b in bursts}
    assert not rfs & set(ADV_CHANNELS_HZ)
    assert rfs <= {ble_data_channel_hz(k) for k in range(37)}
    assert len(rfs) == 37  # hop increment 7 is coprime with 37: every data channel is visited
    # on-air length from the samples: the envelope is constant while the PDU is on
    longest_s = max(np.count_nonzero(np.abs(b.samples) > 0.5) / b.sample_rate_hz for b in bursts)
    assert 1.0e-3 < longest_s <= 2.13e-3  # 251-byte PDUs are ~2.1 ms on air
    # consecutive events are one connection interval apart
    starts = np.array(sorted({round(b.t_start_s, 6) for b in bursts if b.meta["role"] == "central"}))
    gaps = np.diff(starts)
    assert np.any(np.isclose(gaps, 0.01, atol=1e-5))
