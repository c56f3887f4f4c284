"""Every test runs with its own configuration folder and this machine's signing key in it.

``XDG_CONFIG_HOME`` points at a fresh folder (the developer's trusted keys and
``RFCLASSIFY_ALLOW_UNSIGNED_MODEL`` do not leak in), where a signing key is
made as ``rfclassify model keygen`` makes it: models the tests train are
signed with it and trusted, as on a user's machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rfclassify.classify.signing import (
    ALLOW_UNSIGNED_ENV,
    config_dir,
    generate_key,
    local_signing_key,
)


@pytest.fixture(scope="session", autouse=True)
def config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's ``XDG_CONFIG_HOME``, holding a trusted local signing key."""
    home = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(home))
        mp.delenv(ALLOW_UNSIGNED_ENV, raising=False)
        generate_key(local_signing_key(), config_dir() / "trusted-keys" / "local.pub")
        yield home
