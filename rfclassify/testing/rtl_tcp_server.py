"""A small ``rtl_tcp``-speaking TCP server that streams known ``cu8`` samples.

It plays the dongle's side of the protocol implemented by ``rtl_tcp`` in the
osmocom rtl-sdr tree (``src/rtl_tcp.c``; git.osmocom.org/rtl-sdr, mirrored at
github.com/steve-m/librtlsdr):

- on accept it sends a 12-byte ``dongle_info_t``: the magic ``b"RTL0"``, then
  the tuner type and the tuner's gain count, each a big-endian ``uint32``
  (tuner numbers from ``enum rtlsdr_tuner`` in ``include/rtl-sdr.h``:
  1 E4000, 2 FC0012, 3 FC0013, 4 FC2580, 5 R820T, 6 R828D);
- then it streams interleaved unsigned 8-bit I/Q (``cu8``) until the client
  goes away, and at the same time reads 5-byte commands (``struct command``:
  one byte command, one big-endian ``uint32`` parameter; see
  ``command_worker``): 0x01 frequency (Hz), 0x02 sample rate (Hz), 0x03 gain
  mode (0 auto, 1 manual), 0x04 gain (tenths of a dB), 0x05 frequency
  correction (ppm, signed), 0x06 IF stage gain, 0x07 test mode, 0x08 RTL AGC,
  0x09 direct sampling, 0x0a offset tuning, 0x0b/0x0c crystal frequencies,
  0x0d gain by index, 0x0e bias tee. Constants and packing are shared with
  the client in :mod:`rfclassify.sources.rtltcp_protocol`.

Like ``rtl_tcp`` it serves one client at a time. Every command received is
recorded in :attr:`RtlTcpServer.commands`; frequency and rate are honoured
(stored, and passed to a callable signal). The stream position is the
"air" timeline: it continues across connections and across :meth:`stop` /
:meth:`start`, and with ``realtime=True`` it also advances while nobody is
connected, as a real dongle's would, so a client's reconnection gap is
measurable. This is our own code; rtl_433's ``tests/rtl_tcp_serve.py``
plays the same role there.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rfclassify.sources.rtltcp_protocol import (
    CMD_SET_AGC_MODE,
    CMD_SET_BIAS_TEE,
    CMD_SET_FREQ_CORRECTION,
    CMD_SET_FREQUENCY,
    CMD_SET_GAIN,
    CMD_SET_GAIN_MODE,
    CMD_SET_SAMPLE_RATE,
    COMMAND_BYTES,
    dongle_info,
    parse_command,
    signed_param,
)

if TYPE_CHECKING:
    from typing_extensions import Self

TUNER_R820T = 5
R820T_GAIN_COUNT = 29  # entries of r82xx_gains[] in tuner_r82xx.c

SignalFn = Callable[[int, int, float, float], "bytes | np.ndarray"]
"""``fn(start_sample, num_samples, center_freq_hz, rate_hz)`` → ``2·num_samples`` cu8 bytes
(fewer, or none, ends the stream)."""


def _as_u8(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    arr = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    arr = np.ascontiguousarray(arr, dtype=np.uint8).reshape(-1)
    return arr[: len(arr) - (len(arr) % 2)]


class RtlTcpServer:
    """A real ``rtl_tcp`` server on loopback that streams ``samples_cu8``.

    ``samples_cu8`` is interleaved ``cu8`` I/Q (``bytes`` or a ``uint8``
    array), repeated when ``loop`` is true, or a callable
    ``fn(start_sample, num_samples, center_freq_hz, rate_hz)`` that returns
    the bytes for that stretch of the timeline (an empty result ends it).
    With ``realtime`` the stream is paced at the sample rate, otherwise it
    goes as fast as the client reads. ``port=0`` picks a free port; after
    :meth:`start` it is in :attr:`port` and is reused by a later
    :meth:`start`, so a test can stop and restart the "same" server.
    """

    def __init__(
        self,
        samples_cu8: bytes | np.ndarray | SignalFn,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_hz: float = 2.4e6,
        realtime: bool = False,
        loop: bool = True,
        *,
        center_freq_hz: float = 100e6,
        tuner_type: int = TUNER_R820T,
        gain_count: int = R820T_GAIN_COUNT,
        chunk_s: float = 0.005,
    ) -> None:
        self._fn: SignalFn | None = samples_cu8 if callable(samples_cu8) else None
        self._data = None if self._fn is not None else _as_u8(samples_cu8)  # type: ignore[arg-type]
        self.host = host
        self.port = port
        self.realtime = realtime
        self.loop = loop
        self.tuner_type = tuner_type
        self.gain_count = gain_count
        self.chunk_s = chunk_s
        self.rate_hz = float(rate_hz)
        self.center_freq_hz = float(center_freq_hz)
        self.gain_mode = 0
        self.gain_tenth_db = 0
        self.ppm = 0
        self.agc = 0
        self.bias_tee = 0
        self.commands: list[tuple[int, int]] = []
        self.connections = 0
        self.position = 0  # next sample of the "air" timeline
        self.samples_sent = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._anchor: tuple[float, int] | None = None  # (monotonic time, position) for realtime
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- life cycle ---------------------------------------------------------
    def start(self) -> Self:
        """Listen (on :attr:`port`, or a free one the first time) and serve in a thread."""
        if self._thread is not None:
            raise RuntimeError("server already running")
        lsock = socket.socket(
            socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM
        )
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((self.host, self.port))
        lsock.listen(1)
        lsock.settimeout(0.05)
        self.port = lsock.getsockname()[1]
        self._listener = lsock
        self._stopping.clear()
        with self._lock:
            if self.realtime and self._anchor is None:
                self._anchor = (time.monotonic(), self.position)
        self._thread = threading.Thread(
            target=self._serve, name=f"rtl_tcp_server:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and any client, as if the server process had been killed."""
        self._stopping.set()
        self.drop_client()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def drop_client(self) -> None:
        """Close the current client's connection (the listener keeps accepting)."""
        client = self._client
        if client is not None:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The spec a client opens: ``rtl_tcp://HOST:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rtl_tcp://{host}:{self.port}"

    def wait_for_command(self, cmd: int, timeout_s: float = 2.0, count: int = 1) -> int:
        """Block until ``count`` commands ``cmd`` have arrived; return the last one's parameter."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                params = [p for c, p in self.commands if c == cmd]
                if len(params) >= count:
                    return params[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"command 0x{cmd:02x} not received within {timeout_s} s")
                self._changed.wait(left)

    # -- serving ------------------------------------------------------------
    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                if self.realtime and self._anchor is not None:
                    # the dongle kept receiving while nobody listened
                    self.position = max(self.position, self._air_position(time.monotonic()))
            self._client = conn
            try:
                self._serve_client(conn)
            finally:
                self._client = None
                conn.close()

    def _air_position(self, now: float) -> int:
        assert self._anchor is not None
        t0, p0 = self._anchor
        return p0 + int((now - t0) * self.rate_hz)

    def _serve_client(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(dongle_info(self.tuner_type, self.gain_count))
        done = threading.Event()
        reader = threading.Thread(target=self._read_commands, args=(conn, done), daemon=True)
        reader.start()
        try:
            while not self._stopping.is_set() and not done.is_set():
                with self._lock:
                    start = self.position
                    rate_hz = self.rate_hz
                    freq_hz = self.center_freq_hz
                n = max(256, int(rate_hz * self.chunk_s))
                payload = self._payload(start, n, freq_hz, rate_hz)
                if len(payload) == 0:
                    break
                if self.realtime:
                    with self._lock:
                        due = self._anchor[0] + (start - self._anchor[1]) / self.rate_hz  # type: ignore[index]
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                try:
                    conn.sendall(payload.tobytes())
                except OSError:
                    break
                with self._lock:
                    self.position = start + len(payload) // 2
                    self.samples_sent += len(payload) // 2
        finally:
            if not self._stopping.is_set() and not done.is_set():
                # End of a finite stream: half-close so the client reads every byte,
                # and keep reading its commands until it hangs up (closing with
                # unread commands would reset the connection and lose the tail).
                try:
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                done.wait(timeout=2.0)
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join(timeout=2.0)

    def _payload(self, start: int, n: int, freq_hz: float, rate_hz: float) -> np.ndarray:
        if self._fn is not None:
            return _as_u8(self._fn(start, n, freq_hz, rate_hz))
        data = self._data
        assert data is not None
        total = len(data) // 2
        if total == 0:
            return data
        if not self.loop:
            return data[2 * start : 2 * min(total, start + n)]
        idx = (np.arange(start, start + n) % total) * 2
        return np.stack([data[idx], data[idx + 1]], axis=1).reshape(-1)

    def _read_commands(self, conn: socket.socket, done: threading.Event) -> None:
        buf = b""
        conn.settimeout(0.05)
        while not self._stopping.is_set():
            try:
                chunk = conn.recv(64)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= COMMAND_BYTES:
                cmd, param = parse_command(buf)
                buf = buf[COMMAND_BYTES:]
                self._apply(cmd, param)
        done.set()

    def _apply(self, cmd: int, param: int) -> None:
        signed = signed_param(param)
        with self._changed:
            self.commands.append((cmd, param))
            if cmd == CMD_SET_FREQUENCY:
                self.center_freq_hz = float(param)
            elif cmd == CMD_SET_SAMPLE_RATE and param > 0:
                if self.realtime and self._anchor is not None:
                    now = time.monotonic()
                    self._anchor = (now, max(self.position, self._air_position(now)))
                self.rate_hz = float(param)
            elif cmd == CMD_SET_GAIN_MODE:
                self.gain_mode = param
            elif cmd == CMD_SET_GAIN:
                self.gain_tenth_db = signed
            elif cmd == CMD_SET_FREQ_CORRECTION:
                self.ppm = signed
            elif cmd == CMD_SET_AGC_MODE:
                self.agc = param
            elif cmd == CMD_SET_BIAS_TEE:
                self.bias_tee = param
            self._changed.notify_all()


def main(argv: list[str] | None = None) -> int:
    """Serve a ``.cu8`` file over ``rtl_tcp`` until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m rfclassify.testing.rtl_tcp_server",
        description="Serve a cu8 recording as an rtl_tcp server (loops, paced at the sample rate).",
    )
    parser.add_argument("file", help="interleaved unsigned 8-bit I/Q (rtl_sdr .cu8)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1234)
    parser.add_argument(
        "--rate", type=float, default=2.4e6, help="sample rate in Hz for pacing (default 2.4e6)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="do not pace: send as fast as the client reads"
    )
    parser.add_argument("--once", action="store_true", help="play the file once instead of looping")
    args = parser.parse_args(argv)
    try:
        data = np.fromfile(args.file, dtype=np.uint8)
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    server = RtlTcpServer(
        data, args.host, args.port, args.rate, realtime=not args.fast, loop=not args.once
    )
    try:
        server.start()
    except OSError as exc:
        print(f"{args.host}:{args.port}: cannot listen: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"serving {args.file} at {server.url} (Ctrl-C stops)", file=sys.stderr)
    last: Any = None
    try:
        while True:
            time.sleep(1.0)
            state = (server.connections, server.center_freq_hz, server.rate_hz)
            if state != last:
                print(
                    f"clients {state[0]}, tuned {state[1] / 1e6:.6g} MHz at {state[2] / 1e6:.6g} MS/s",
                    file=sys.stderr,
                )
                last = state
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
