"""DroneID: transmitter -> channel -> receiver round trips, CRC rules, and the NDSS recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rfclassify.dsp.droneid import (
    DroneIDFrame,
    crc16_droneid,
    crc24a,
    decode_bursts,
    decode_soft_bits,
    gold_sequence,
    parse_message,
)
from rfclassify.dsp.droneid_encode import (
    FlightInfo,
    droneid_capture,
    encode_bits,
    flight_info_payload,
)

#: The keys of a frame's JSON record (issue 19), in order.
RECORD_KEYS = (
    "serial", "device_type", "drone_lat", "drone_lon", "altitude_m", "height_m", "v_north_mps", "v_east_mps",
    "v_up_mps", "pilot_lat", "pilot_lon", "home_lat", "home_lon", "sequence", "gps_time_utc", "crc_ok",
    "message_type",
)  # fmt: skip
FEET = 1 / 3.281
# 1e-7 rad = 5.7e-6 deg: positions are quantised to half of that (~0.3 m).


def assert_fields(frame: DroneIDFrame, info: FlightInfo) -> None:
    """Every field of ``info`` is recovered (to the resolution of its encoding)."""
    assert frame.crc_ok and frame.message_crc_ok and frame.message_type == 0x10
    assert frame.serial == info.serial and frame.sequence == info.sequence
    for name in ("drone_lat", "drone_lon", "pilot_lat", "pilot_lon", "home_lat", "home_lon"):
        assert getattr(frame, name) == pytest.approx(getattr(info, name), abs=3e-6), name
    assert frame.altitude_m == pytest.approx(info.altitude_m, abs=FEET)
    assert frame.height_m == pytest.approx(info.height_m, abs=FEET)
    for name in ("v_north_mps", "v_east_mps", "v_up_mps"):
        assert getattr(frame, name) == pytest.approx(getattr(info, name), abs=0.005), name
    assert frame.yaw_deg == pytest.approx(info.yaw_deg, abs=0.005)
    assert frame.gps_time_utc == "2022-04-21T11:53:46.258000+00:00"
    assert frame.device_type == "Mavic 3" and frame.uuid == info.uuid
    assert frame.state_info == info.state_info


def test_gold_sequence_matches_ts_36_211_with_c_init_one() -> None:
    # With c_init = 1 both m-sequences start 1000...; c(0..3) known from the recursion
    # of TS 36.211 §7.2 evaluated independently bit by bit.
    x1 = [1] + [0] * 30
    x2 = [1] + [0] * 30
    for n in range(1600 + 8):
        x1.append(x1[n + 3] ^ x1[n])
        x2.append(x2[n + 3] ^ x2[n + 2] ^ x2[n + 1] ^ x2[n])
    expected = [x1[1600 + i] ^ x2[1600 + i] for i in range(8)]
    assert gold_sequence(8, 1).tolist() == expected


def test_crc24a_of_a_block_with_its_parity_is_zero_and_detects_one_flip(flight_info: FlightInfo) -> None:
    payload = flight_info_payload(flight_info)
    bits = np.unpackbits(np.frombuffer(payload, np.uint8))
    parity = crc24a(bits)
    block = np.concatenate([bits, [(parity >> (23 - i)) & 1 for i in range(24)]])
    assert crc24a(block) == 0
    block[100] ^= 1
    assert crc24a(block) != 0


def test_message_layout_round_trips_through_the_parser(flight_info: FlightInfo) -> None:
    payload = flight_info_payload(flight_info)
    assert payload[0] == 88 and payload[1] == 0x10 and len(payload) == 173
    assert crc16_droneid(payload[:89]) == int.from_bytes(payload[89:91], "little")
    fields = parse_message(payload)
    assert fields["drone_lat"] == pytest.approx(flight_info.drone_lat, abs=3e-6)
    assert fields["device_type"] == "Mavic 3"


def test_noiseless_soft_bits_decode(flight_info: FlightInfo) -> None:
    bits = encode_bits(flight_info_payload(flight_info))
    decoded = decode_soft_bits(1.0 - 2.0 * bits)
    assert decoded.crc_ok and decoded.payload[:173] == flight_info_payload(flight_info)


@pytest.mark.parametrize(
    ("rate_hz", "offset_hz", "snr_db", "taps", "n_symbols"),
    [
        (15.36e6, 0.0, 30.0, (1.0,), 9),
        (20e6, 50e3, 8.0, (1.0, 0.4j, 0.2), 9),
        (20e6, 2.5e6 - 50e3, 8.0, (1.0, -0.3), 9),
        (50e6, -12.5e6 + 37e3, 6.0, (1.0, 0.5, 0.25j), 9),
        (50e6, 2e6 + 49e3, 10.0, (1.0,), 8),
    ],
)
def test_round_trip_through_the_channel_recovers_every_field(
    rate_hz: float, offset_hz: float, snr_db: float, taps: tuple[complex, ...], n_symbols: int,
    flight_info: FlightInfo,
) -> None:
    payload = flight_info_payload(flight_info)
    capture = droneid_capture(
        payload, sample_rate_hz=rate_hz, offset_hz=offset_hz, snr_db=snr_db, taps=taps,
        tap_spacing_s=0.2e-6, n_symbols=n_symbols, rng=np.random.default_rng(11),
    )  # fmt: skip
    frames = decode_bursts(capture, rate_hz, 2.4595e9)
    assert len(frames) == 1
    frame = frames[0]
    assert_fields(frame, flight_info)
    assert frame.n_symbols == n_symbols
    assert frame.center_freq_hz == pytest.approx(2.4595e9 + offset_hz, abs=2e3)
    assert frame.start_s == pytest.approx(400e-6, abs=1e-6)
    record = frame.to_record()
    assert tuple(record) == RECORD_KEYS
    assert record["pilot_lat"] == frame.pilot_lat and record["crc_ok"] is True


def test_turbo_decodes_a_frame_whose_systematic_bits_alone_do_not(flight_info: FlightInfo) -> None:
    payload = flight_info_payload(flight_info)
    capture = droneid_capture(
        payload, sample_rate_hz=20e6, snr_db=1.0, rng=np.random.default_rng(5)
    )
    turbo = decode_bursts(capture, 20e6)
    systematic = decode_bursts(capture, 20e6, systematic_only=True)
    assert len(turbo) == 1 and len(systematic) == 1
    assert_fields(turbo[0], flight_info)
    assert not systematic[0].crc_ok


def test_a_frame_with_a_bad_crc_never_yields_data(flight_info: FlightInfo) -> None:
    payload = flight_info_payload(flight_info)
    capture = droneid_capture(
        payload, sample_rate_hz=20e6, snr_db=20.0, corrupt_crc=True, rng=np.random.default_rng(2)
    )
    frames = decode_bursts(capture, 20e6)
    assert len(frames) == 1
    frame = frames[0]
    assert frame.crc_ok is False
    record = frame.to_record()
    assert tuple(record) == RECORD_KEYS and record["crc_ok"] is False
    assert all(record[k] is None for k in RECORD_KEYS if k != "crc_ok")


def test_noise_alone_gives_no_frames() -> None:
    rng = np.random.default_rng(0)
    noise = (rng.normal(size=100_000) + 1j * rng.normal(size=100_000)).astype(np.complex64)
    assert [f for f in decode_bursts(noise, 20e6) if f.crc_ok] == []


@pytest.mark.realdata
def test_ndss_mavic_air_2_recording_decodes_all_three_complete_bursts(mavic_air_2: Path) -> None:
    from rfclassify.sources import open_source

    source = open_source(str(mavic_air_2))
    samples = np.concatenate([block.samples for block in source])
    info = source.info
    frames = decode_bursts(samples, info.sample_rate_hz, info.center_freq_hz)
    valid = [f for f in frames if f.crc_ok]
    assert [f.message_type for f in valid] == [0x11, 0x10, 0x10]
    assert [f.sequence for f in valid[1:]] == [589, 591]
    assert {f.serial for f in valid} == {"1WNBH3900201N1"}
    assert all(f.message_crc_ok for f in valid)
    flight = valid[2]
    assert flight.device_type == "Mavic Air 2" and flight.height_m == pytest.approx(12.8)
    # The published values were converted with the NDSS receiver's 1 / 174533 scale;
    # the exact radians -> degrees conversion differs by 0.43 ppm (~2.5 m).
    scale = 180 / np.pi / 1e7 * 174533.0
    assert flight.drone_lat / scale == pytest.approx(51.44633393, abs=2e-8)
    assert flight.drone_lon / scale == pytest.approx(7.26721594, abs=2e-8)
    assert flight.pilot_lat / scale == pytest.approx(51.44620788, abs=2e-8)
    assert flight.pilot_lon / scale == pytest.approx(7.26710135, abs=2e-8)
    # The two bursts sit on two DroneID channels, ~2459.5 and ~2445.0 MHz.
    assert valid[1].center_freq_hz == pytest.approx(2459.5e6, abs=50e3)
    assert valid[2].center_freq_hz == pytest.approx(2445.0e6, abs=50e3)
