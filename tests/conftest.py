"""Fixtures every test folder shares.

Every test runs with its own configuration folder and this machine's signing key in it:
``XDG_CONFIG_HOME`` points at a fresh folder (the developer's trusted keys and
``RFCLASSIFY_ALLOW_UNSIGNED_MODEL`` do not leak in), where a signing key is
made as ``rfclassify model keygen`` makes it: models the tests train are
signed with it and trusted, as on a user's machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rfclassify.classify.realdata import default_realdata_dir
from rfclassify.classify.signing import (
    ALLOW_UNSIGNED_ENV,
    config_dir,
    generate_key,
    local_signing_key,
)
from rfclassify.dsp.droneid_encode import FlightInfo

if TYPE_CHECKING:
    from rfclassify.classify.pipeline import Classifier


@pytest.fixture(scope="session", autouse=True)
def config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's ``XDG_CONFIG_HOME``, holding a trusted local signing key."""
    home = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(home))
        mp.delenv(ALLOW_UNSIGNED_ENV, raising=False)
        generate_key(local_signing_key(), config_dir() / "trusted-keys" / "local.pub")
        yield home


@pytest.fixture(scope="session")
def classifier(config_home: Path) -> Classifier:
    """The shipped model, loaded once (tests only read it)."""
    from rfclassify.classify.pipeline import Classifier

    return Classifier.load()


@pytest.fixture(scope="session")
def flight_info() -> FlightInfo:
    """DroneID flight information with every field set: a Mavic 3 near Sydney, its pilot and home point beside it."""
    return FlightInfo(
        serial="3NZCJ7E0010XYZ",
        sequence=4242,
        drone_lat=-33.8567844,
        drone_lon=151.2152967,
        altitude_m=120.5,
        height_m=33.2,
        v_north_mps=-3.21,
        v_east_mps=4.5,
        v_up_mps=0.7,
        yaw_deg=-45.5,
        gps_time_ms=1650542026258,
        pilot_lat=-33.8570001,
        pilot_lon=151.2149999,
        home_lat=-33.8569,
        home_lon=151.2151,
        device_type_code=68,
        uuid="1143635532171534336",
    )


@pytest.fixture(scope="session")
def mavic_air_2() -> Path:
    """The NDSS DroneID recording of a Mavic Air 2 (RUB-SysSec) in ``../shared/realdata``; skips where it is absent."""
    path = default_realdata_dir() / "RUB-SysSec_DroneSecurity" / "mavic_air_2.sigmf-meta"
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path
