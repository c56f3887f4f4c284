"""End a source's stream early, keeping what was found: after a duration, or at the first Ctrl-C.

``classify`` on a live receiver runs until stopped; a ``KeyboardInterrupt``
raised wherever the main thread happens to be would throw away every
emitter found so far. :class:`UntilStopped` instead ends the stream cleanly
at a block boundary, so the consumer finishes and reports; a second Ctrl-C
interrupts at once as usual.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from rfclassify.sources.base import DEFAULT_BLOCK_SAMPLES, Block, Source


class UntilStopped(Source):
    """The blocks of ``source`` up to ``duration_s`` of samples (all if ``None``) or until :meth:`stop`.

    Any other attribute is the wrapped source's (a recording's ``read`` for
    bearings, within :attr:`num_samples`).
    """

    def __init__(self, source: Source, duration_s: float | None = None) -> None:
        self.source = source
        self.info = source.info
        self.path = source.path
        self.duration_s = duration_s
        self.stopped = False

    @property
    def num_samples(self) -> int | None:
        """Samples this view will deliver at most (``None``: until stopped)."""
        total = self.info.num_samples
        if self.duration_s is None:
            return total
        limit = round(self.duration_s * self.info.sample_rate_hz)
        return limit if total is None else min(total, limit)

    def stop(self) -> None:
        """End the stream after the block being delivered."""
        self.stopped = True

    def blocks(self, block_size: int = DEFAULT_BLOCK_SAMPLES) -> Iterator[Block]:
        limit = None if self.duration_s is None else round(self.duration_s * self.info.sample_rate_hz)
        inner = self.source.blocks(block_size)
        try:
            for block in inner:
                if limit is not None and block.sample_index + len(block.samples) >= limit:
                    keep = max(0, limit - block.sample_index)
                    if keep:
                        yield dataclasses.replace(block, samples=block.samples[:keep])
                    return
                yield block
                if self.stopped:
                    return
        finally:
            inner.close()

    def __getattr__(self, name: str) -> Any:
        # Everything else (random access, captures …) is the wrapped source's; num_samples above bounds it.
        return getattr(self.source, name)

    @property
    def annotations(self) -> list[dict[str, Any]]:
        return self.source.annotations

    @property
    def metadata(self) -> dict[str, Any]:
        return self.source.metadata


@contextmanager
def stop_on_first_interrupt(view: UntilStopped) -> Iterator[None]:
    """While inside, the first Ctrl-C stops ``view`` (with a note on stderr); the second interrupts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: Any) -> None:
        if view.stopped:
            raise KeyboardInterrupt
        view.stop()
        click.echo("\nrfclassify: interrupted; reporting what was found (Ctrl-C again to abort)", err=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
