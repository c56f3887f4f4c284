"""Fixtures of the node's tests."""

from __future__ import annotations

import pytest

from rfclassify.testing.array_scene import LinkRecordings, write_link_recordings


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> LinkRecordings:
    """An ELRS-like link heard by a 5-element UCA: with and without ``rfclassify:array``, and channel 0 alone."""
    return write_link_recordings(tmp_path_factory.mktemp("link"))
