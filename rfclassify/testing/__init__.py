"""Test helpers that are real parts, not mocks: a loopback ``rtl_tcp`` server.

:class:`RtlTcpServer` speaks the real ``rtl_tcp`` protocol over TCP so the
live path (client, ``capture``, ``watch``) can be exercised without a dongle.
It is stdlib + numpy only, and also runnable for people::

    python -m rfclassify.testing.rtl_tcp_server rec_915M_2400k.cu8 --port 1234
"""

from __future__ import annotations

from typing import Any

__all__ = ["RtlTcpServer"]


def __getattr__(name: str) -> Any:
    # imported lazily so ``python -m rfclassify.testing.rtl_tcp_server`` does not load the module twice
    if name == "RtlTcpServer":
        from rfclassify.testing.rtl_tcp_server import RtlTcpServer

        return RtlTcpServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
