"""Fixtures of the node's tests: the scenes a node hears, the rtl_tcp server that streams them, a collector
of ``rfclassify.watch`` records, and the array recordings of the bearing tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rfclassify
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.testing.array_scene import LinkRecordings, write_link_recordings
from rfclassify.testing.rtl_tcp_server import RtlTcpServer

#: Length of the scenes (s).
SCENE_S = 2.0


def _rtlsdr_cu8(with_link: bool, seed: int) -> np.ndarray:
    """``SCENE_S`` of an RTL-SDR at 915 MHz, 2.4 MS/s, as ``cu8`` bytes: an ELRS-900 link (200 Hz packets in the
    FCC915 band, 20 dB SNR) or the receiver's noise alone."""
    from rfclassify.synth.receiver import rtlsdr
    from rfclassify.synth.scene import EmitterSpec, Scene, render

    emitters = [EmitterSpec("elrs-900", 20.0, band="FCC915", seed=3, params={"rate_hz": 200})] if with_link else []
    rendered = render(Scene(emitters, rtlsdr(915e6), SCENE_S), np.random.default_rng(seed), keep_components=False)
    return encode(rendered.samples, datatype("cu8"))


@pytest.fixture(scope="session")
def elrs_cu8() -> np.ndarray:
    """2 s of an ELRS-900 link at 20 dB SNR seen at 915 MHz, as rtl_sdr's ``cu8`` bytes."""
    return _rtlsdr_cu8(True, seed=7)


@pytest.fixture(scope="session")
def elrs_cu8_file(elrs_cu8: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`elrs_cu8` in a file whose name says its centre and rate."""
    path = tmp_path_factory.mktemp("node_scene") / "elrs_915M_2400k.cu8"
    elrs_cu8.tofile(path)
    return path


@pytest.fixture(scope="session")
def quiet_cu8() -> np.ndarray:
    """2 s of the same receiver hearing nothing but its own noise, as ``cu8`` bytes."""
    return _rtlsdr_cu8(False, seed=8)


@pytest.fixture()
def server(elrs_cu8: np.ndarray) -> Iterator[RtlTcpServer]:
    """A real rtl_tcp server streaming :func:`elrs_cu8` in a loop at its real rate."""
    srv = RtlTcpServer(elrs_cu8, realtime=True, loop=True).start()
    yield srv
    srv.stop()


class Collector:
    """Runs ``rfclassify.watch`` in a thread; keeps each record with the monotonic time it arrived (s).

    ``outputs`` (an option of the collector, not of ``watch``) are node outputs every record is also written to.
    """

    def __init__(self, source: str, **options: Any) -> None:
        self.records: list[tuple[float, dict[str, Any]]] = []
        self.service: Any = None
        self.error: BaseException | None = None
        self.outputs = options.pop("outputs", [])
        self._it = rfclassify.watch(source, on_service=self._hook, **options)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def events(self) -> list[dict[str, Any]]:
        """The records so far, in order."""
        return [record for _, record in list(self.records)]

    def _hook(self, service: Any) -> None:
        self.service = service

    def _run(self) -> None:
        try:
            for record in self._it:
                for out in self.outputs:
                    out.write(record)
                self.records.append((time.monotonic(), record))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            self.error = exc

    def wait_for(self, pred: Any, timeout_s: float = 20.0) -> list[dict[str, Any]]:
        """The records matching ``pred`` as soon as there is one; fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [e for e in self.events if pred(e)]
            if found:
                return found
            if self.error is not None:
                raise self.error
            time.sleep(0.02)
        raise AssertionError(f"nothing matching within {timeout_s} s; got {[e['event'] for e in self.events]}")

    def stop(self) -> list[dict[str, Any]]:
        """Stop the node, wait for its thread and return every record (re-raises the thread's error)."""
        self.service.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.events


@pytest.fixture()
def collector() -> Iterator[Callable[..., Collector]]:
    """``collector(source, **watch_options)`` starts a node and collects what it says (:class:`Collector`).

    A node the test left running (a failed assertion before its ``stop``) is stopped afterwards, so its
    receiver thread does not outlive the test into the next one.
    """
    started: list[Collector] = []

    def start(source: str, **options: Any) -> Collector:
        started.append(Collector(source, **options))
        return started[-1]

    yield start
    for c in started:
        if c.thread.is_alive() and c.service is not None:
            c.service.stop()
            c.thread.join(timeout=15)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> LinkRecordings:
    """An ELRS-like link heard by a 5-element UCA: with and without ``rfclassify:array``, and channel 0 alone."""
    return write_link_recordings(tmp_path_factory.mktemp("link"))
