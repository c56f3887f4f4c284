"""DroneID in the pipeline: classify records, per-burst records, watch events, evidence, position policy.

Frames built by the DroneID transmitter (:mod:`rfclassify.dsp.droneid_encode`) with
chosen field values go through ``classify_iq`` / ``rfclassify.watch`` (detector,
classifier, the stream engine's decoding, trackers); the NDSS Mavic Air 2 recording
through ``rfclassify classify``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import rfclassify
from rfclassify.classify.positions import PositionPolicy
from rfclassify.cli.main import main as cli
from rfclassify.dsp.droneid_encode import FlightInfo, droneid_capture, flight_info_payload
from rfclassify.errors import InputError
from rfclassify.sources import open_source

RATE_HZ = 20e6
#: The receiver is tuned 3 MHz below the DroneID channel 2459.5 MHz.
TUNING_HZ = 2456.5e6
POSITION = 3e-6  # degrees: positions are sent in steps of 1e-7 rad (5.7e-6 deg)
PERSON_KEYS = ("operator_lat", "operator_lon", "drone_lat", "drone_lon", "pilot_lat", "pilot_lon",
               "home_lat", "home_lon")


def capture(info: FlightInfo, sequence: int, seed: int, *, corrupt_crc: bool = False) -> np.ndarray:
    """10 ms at 20 MS/s holding one DroneID burst of ``info`` with ``sequence`` on 2459.5 MHz (25 dB)."""
    info = FlightInfo(**{**info.__dict__, "sequence": sequence})
    return droneid_capture(flight_info_payload(info), sample_rate_hz=RATE_HZ, offset_hz=3e6, snr_db=25.0,
                           lead_s=5e-3, tail_s=5e-3, corrupt_crc=corrupt_crc, rng=np.random.default_rng(seed))


@pytest.fixture(scope="module")
def two_frames(flight_info: FlightInfo) -> np.ndarray:
    """Two valid bursts (sequence 7, then 8) and one whose CRC-24 was corrupted."""
    return np.concatenate([capture(flight_info, 7, 1), capture(flight_info, 8, 2),
                           capture(flight_info, 9, 3, corrupt_crc=True)])


def ocusync(records: list[dict]) -> dict:
    """The one record named (or leaning to) ``dji-ocusync``; specks of a burst's edges may be others."""
    (record,) = [r for r in records if "dji-ocusync" in (r["label"], r.get("candidate"))]
    return record


def assert_info(record: dict, info: FlightInfo, sequence: int) -> None:
    """``record['droneid']`` holds every reported field of ``info`` with ``sequence``."""
    d = record["droneid"]
    assert d["crc_ok"] is True and d["serial"] == info.serial and d["sequence"] == sequence
    assert d["device_type"] == "Mavic 3" and d["gps_time_utc"] == "2022-04-21T11:53:46.258000+00:00"
    for key in PERSON_KEYS[2:]:
        assert d[key] == pytest.approx(getattr(info, key), abs=POSITION), key
    assert d["altitude_m"] == pytest.approx(info.altitude_m, abs=1 / 3.281)
    assert d["height_m"] == pytest.approx(info.height_m, abs=1 / 3.281)
    for key in ("v_north_mps", "v_east_mps", "v_up_mps"):
        assert d[key] == pytest.approx(getattr(info, key), abs=0.005), key
    assert d["freq_hz"] == pytest.approx(2459.5e6, abs=5e3)
    assert record["operator_lat"] == pytest.approx(info.pilot_lat, abs=POSITION)
    assert record["operator_lon"] == pytest.approx(info.pilot_lon, abs=POSITION)


def test_classify_iq_reports_the_latest_valid_frame_and_counts_the_bad_one(
    two_frames: np.ndarray, flight_info: FlightInfo
) -> None:
    record = ocusync(rfclassify.classify_iq(two_frames, RATE_HZ, TUNING_HZ))
    assert record["label"] == "dji-ocusync" and record["drone"] is True and record["bursts"] == 3
    assert_info(record, flight_info, 8)
    assert record["droneid_frames"] == 2 and record["droneid_crc_failures"] == 1
    second_s = two_frames.size / 3 / RATE_HZ + 5e-3  # the second capture's burst, 5 ms into it
    assert record["droneid"]["t_s"] == pytest.approx(second_s, abs=5e-6)


def test_per_burst_records_carry_their_own_frame_and_a_bad_frame_no_data(
    two_frames: np.ndarray, flight_info: FlightInfo
) -> None:
    records = [r for r in rfclassify.classify_iq(two_frames, RATE_HZ, TUNING_HZ, per_burst=True)
               if r["label"] == "dji-ocusync"]
    assert len(records) == 3
    assert_info(records[0], flight_info, 7)
    assert_info(records[1], flight_info, 8)
    bad = records[2]
    assert bad["droneid"] is None and bad["droneid_frames"] == 0 and bad["droneid_crc_failures"] == 1
    assert not any(key in bad for key in PERSON_KEYS)


def test_a_corrupted_frame_alone_gives_no_positions_and_no_drone_claim(flight_info: FlightInfo) -> None:
    record = ocusync(rfclassify.classify_iq(capture(flight_info, 9, 4, corrupt_crc=True), RATE_HZ, TUNING_HZ))
    assert record["droneid"] is None and record["droneid_crc_failures"] == 1
    assert not any(key in record for key in PERSON_KEYS)
    # One burst is not enough for the classifier's own drone claim; the failed CRC adds nothing.
    assert record["drone"] is False and record.get("candidate") == "dji-ocusync"


def test_one_valid_frame_claims_the_drone_at_once(flight_info: FlightInfo) -> None:
    record = ocusync(rfclassify.classify_iq(capture(flight_info, 5, 5), RATE_HZ, TUNING_HZ))
    assert record["bursts"] == 1 and record["label"] == "dji-ocusync" and record["drone"] is True
    assert_info(record, flight_info, 5)


def test_positions_redacted_or_coarsened_in_records(two_frames: np.ndarray, flight_info: FlightInfo) -> None:
    redacted = ocusync(rfclassify.classify_iq(two_frames, RATE_HZ, TUNING_HZ, report_positions="redact"))
    assert redacted["report_positions"] == "redact" and redacted["droneid"]["serial"] == flight_info.serial
    assert redacted["operator_lat"] is None and redacted["operator_lon"] is None
    assert all(redacted["droneid"][key] is None for key in PERSON_KEYS[2:])
    coarse = ocusync(rfclassify.classify_iq(two_frames, RATE_HZ, TUNING_HZ, report_positions="coarse:0.01"))
    assert coarse["report_positions"] == "coarse:0.01"
    assert coarse["operator_lat"] == -33.86 and coarse["operator_lon"] == 151.21
    assert coarse["droneid"]["drone_lat"] == -33.86 and coarse["droneid"]["home_lon"] == 151.22
    assert coarse["droneid"]["altitude_m"] == pytest.approx(flight_info.altitude_m, abs=1 / 3.281)
    with pytest.raises(InputError, match="report_positions"):
        rfclassify.classify_iq(two_frames, RATE_HZ, TUNING_HZ, report_positions="coarse:0")


@pytest.mark.parametrize("text", ["fuzzy", "redact:1", "coarse", "coarse:-1", "coarse:91", "coarse:x"])
def test_position_policy_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        PositionPolicy.parse(text)


def test_position_policy_text_round_trips() -> None:
    for text in ("exact", "redact", "coarse:0.01", "coarse:1"):
        assert str(PositionPolicy.parse(text)) == text
    record = {"label": "wifi", "sensor_lat": 1.23456}
    assert PositionPolicy.parse("redact").apply(record) == record  # the node's own position is not a person's


def test_watch_events_carry_the_frame_update_on_each_new_frame_and_evidence_annotates_it(
    two_frames: np.ndarray, tmp_path: Path, flight_info: FlightInfo
) -> None:
    source = open_source(two_frames, sample_rate_hz=RATE_HZ, center_freq_hz=TUNING_HZ)
    events = [e for e in rfclassify.watch(source, record_dir=str(tmp_path), report_positions="coarse:0.001",
                                          update_interval="10s") if e["event"] != "heartbeat"]
    assert [e["event"] for e in events] == ["start", "update", "end"]
    start, update, end = events
    assert start["drone"] is True and start["droneid"]["sequence"] == 7 and start["droneid_frames"] == 1
    assert update["droneid"]["sequence"] == 8 and update["droneid_frames"] == 2  # within update_interval
    assert end["droneid_crc_failures"] == 1 and end["droneid"]["sequence"] == 8
    for event in events:
        assert event["report_positions"] == "coarse:0.001"
        assert event["operator_lat"] == -33.857 and event["droneid"]["drone_lon"] == 151.215
    (meta,) = tmp_path.glob("*.sigmf-meta")
    annotations = json.loads(meta.read_text())["annotations"]
    decoded = [a for a in annotations if "rfclassify:droneid" in a]
    assert [a["rfclassify:droneid"]["sequence"] for a in decoded] == [7, 8]
    for a in decoded:
        assert a["rfclassify:droneid"]["pilot_lat"] == -33.857  # the node's position policy
        assert a["core:sample_count"] == pytest.approx(643.2e-6 * RATE_HZ, abs=2)
        assert a["core:freq_lower_edge"] == pytest.approx(2459.5e6 - 4.5e6, abs=5e3)
    # `info` reads the decoded frames back from the evidence recording.
    text = CliRunner().invoke(cli, ["info", str(meta)])
    assert text.exit_code == 0, text.output
    assert "DroneID frames    2" in text.output or "DroneID frames  2" in text.output
    assert text.output.count(f"DroneID {flight_info.serial} seq ") == 2
    listed = json.loads(CliRunner().invoke(cli, ["info", str(meta), "-F", "json"]).output)["droneid_frames"]
    assert [(f["sequence"], f["sample_start"]) for f in listed] == [
        (a["rfclassify:droneid"]["sequence"], a["core:sample_start"]) for a in decoded
    ]


@pytest.mark.realdata
def test_classify_on_the_ndss_mavic_air_2_recording_reports_drone_and_pilot(mavic_air_2: Path) -> None:
    result = CliRunner().invoke(cli, ["classify", str(mavic_air_2)])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.output.splitlines()]
    assert record["label"] == "dji-ocusync" and record["drone"] is True
    # Three complete bursts: a type-0x11 frame and flight information with sequence 589 and 591.
    assert record["droneid_frames"] == 3 and record["droneid_crc_failures"] == 0
    d = record["droneid"]
    assert d["serial"] == "1WNBH3900201N1" and d["device_type"] == "Mavic Air 2" and d["sequence"] == 591
    assert d["height_m"] == pytest.approx(12.8)
    # The published positions were converted with the NDSS receiver's 1 / 174533 scale; the exact
    # radians -> degrees conversion differs by 0.43 ppm (~2.5 m): see tests/dsp/test_droneid.py.
    scale = 180 / np.pi / 1e7 * 174533.0
    assert d["drone_lat"] / scale == pytest.approx(51.44633393, abs=2e-8)
    assert d["drone_lon"] / scale == pytest.approx(7.26721594, abs=2e-8)
    assert record["operator_lat"] / scale == pytest.approx(51.44620788, abs=2e-8)
    assert record["operator_lon"] / scale == pytest.approx(7.26710135, abs=2e-8)
    per_burst = CliRunner().invoke(cli, ["classify", "--per-burst", str(mavic_air_2)])
    bursts = [json.loads(line) for line in per_burst.output.splitlines()]
    # The first two bursts (69 us apart) are one detection: its record counts both frames.
    assert [(b["droneid_frames"], (b["droneid"] or {}).get("sequence")) for b in bursts] == [
        (2, 589), (1, 591), (0, None)]


@pytest.mark.realdata
def test_spectrogram_tags_decoded_droneid_bursts_with_serial_and_sequence(tmp_path: Path, mavic_air_2: Path) -> None:
    from rfclassify.viz import plot_spectrogram

    bursts = rfclassify.classify_file(mavic_air_2, per_burst=True)
    with open_source(str(mavic_air_2)) as source:
        fig = plot_spectrogram(source, bursts=bursts)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["DroneID 1WNBH3900201N1 #589 (2 frames)", "DroneID 1WNBH3900201N1 #591"]
    out = tmp_path / "mavic.png"
    result = CliRunner().invoke(cli, ["spectrogram", str(mavic_air_2), "-o", str(out), "--classify"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_a_crc_valid_frame_names_a_burst_the_model_was_unsure_of(two_frames: np.ndarray) -> None:
    """With the model made unsure of everything (its confidence floor raised to 0.999), the DroneID bursts
    are still decoded where its best class is dji-ocusync, and a CRC-valid frame names the burst; the
    corrupted frame's burst stays unknown."""
    from rfclassify.classify.pipeline import Classifier
    from rfclassify.classify.stream import classified_bursts
    from rfclassify.sources import open_source

    unsure = Classifier.load()
    unsure.model[-1].min_confidence = 0.999
    source = open_source(two_frames, sample_rate_hz=RATE_HZ, center_freq_hz=TUNING_HZ)
    decisions = [d for _, d in classified_bursts(source.blocks(), unsure) if d.candidate == "dji-ocusync"]
    named = [d for d in decisions if d.label == "dji-ocusync"]
    assert [d.reason for d in named] == ["droneid_frame", "droneid_frame"]
    assert sorted(f.sequence for d in named for f in d.droneid if f.crc_ok) == [7, 8]
    left = [d for d in decisions if d.label != "dji-ocusync"]
    assert left and all(d.label == "unknown" and not any(f.crc_ok for f in d.droneid) for d in left)
    assert any(not f.crc_ok for d in left for f in d.droneid)  # the corrupted frame was tried and refused
