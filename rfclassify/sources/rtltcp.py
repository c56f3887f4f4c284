"""Live IQ from an ``rtl_tcp`` server (``rtl_tcp://HOST:PORT``).

The protocol is the one of ``rtl_tcp`` in the osmocom rtl-sdr tree, described
(with its constants and command packing) in :mod:`rfclassify.sources.rtltcp_protocol`:
a 12-byte ``dongle_info_t`` header from the server, 5-byte commands from the
client, then unframed ``cu8`` samples.

This is our own client (pyrtlsdr's ``rtlsdrtcp`` is a different protocol).

The reader thread, queue, timeline, settling and reconnection are those of
:class:`~rfclassify.sources.live.LiveSource` (:mod:`rfclassify.sources.live`).
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import numpy as np

from rfclassify.errors import InputError, SourceUnavailable
from rfclassify.sources.limits import check_rtl_rate, check_rtl_tuning
from rfclassify.sources.live import DEFAULT_SETTLE_S, LiveSource, StatusCallback, parse_gain
from rfclassify.sources.rtltcp_protocol import (
    CMD_SET_AGC_MODE,
    CMD_SET_BIAS_TEE,
    CMD_SET_FREQ_CORRECTION,
    CMD_SET_FREQUENCY,
    CMD_SET_GAIN,
    CMD_SET_GAIN_MODE,
    CMD_SET_SAMPLE_RATE,
    HEADER_BYTES,
    HEADER_MAGIC,
    TUNER_NAMES,
    command,
    parse_dongle_info,
)

DEFAULT_PORT = 1234


def parse_rtltcp_spec(spec: str) -> tuple[str, int]:
    """``rtl_tcp://HOST[:PORT]`` → ``(host, port)``; IPv6 hosts in brackets. Port defaults to 1234."""
    # "rtl_tcp" is not a valid URL scheme (no "_" allowed), so split the authority ourselves
    prefix = "rtl_tcp://"
    parts = urlsplit("//" + spec[len(prefix) :]) if spec.startswith(prefix) else None
    if parts is None or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise InputError(spec, "not an rtl_tcp address (expected rtl_tcp://HOST:PORT)")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise InputError(spec, "bad port (expected rtl_tcp://HOST:PORT)") from None
    return parts.hostname, port


class RtlTcpSource(LiveSource):
    """IQ blocks from an ``rtl_tcp`` server; see the module docstring for the protocol.

    ``gain`` is ``'auto'``/``None`` or dB; ``ppm`` the crystal correction;
    ``agc`` the RTL2832's digital AGC; ``num_samples`` ends the stream after
    that many samples; ``reconnect`` retries a lost server with exponential
    backoff (``backoff_s`` = first, longest wait); ``timeout_s`` bounds the
    connection attempt and the silence that counts as a lost connection;
    ``queue_blocks`` is the queue capacity in chunks of about 10 ms (default:
    2 s of samples); ``on_status(dict)`` receives every report (keys
    ``source``, ``event``, ``message`` + event fields; events ``connected``,
    ``disconnected``, ``reconnecting``, ``reconnected``, ``dropped``,
    ``retuned``), otherwise warnings go to the ``rfclassify`` logger.
    The connection is made at construction, so an unreachable server is
    reported at once as :class:`SourceUnavailable`.
    """

    def __init__(
        self,
        spec: str,
        *,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
        gain: str | float | None = None,
        ppm: int = 0,
        agc: bool = False,
        bias_tee: bool = False,
        num_samples: int | None = None,
        reconnect: bool = False,
        timeout_s: float = 5.0,
        queue_blocks: int | None = None,
        on_status: StatusCallback | None = None,
        settle_s: float = DEFAULT_SETTLE_S,
        backoff_s: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self.host, self.port = parse_rtltcp_spec(spec)
        super().__init__(
            spec,
            rate_hz=rate_hz,
            freq_hz=freq_hz,
            num_samples=num_samples,
            reconnect=reconnect,
            queue_blocks=queue_blocks,
            on_status=on_status,
            settle_s=settle_s,
            backoff_s=backoff_s,
            format_name="rtl_tcp",
        )
        try:
            self.gain_db = parse_gain(gain)
        except ValueError as exc:
            raise InputError(spec, str(exc)) from None
        check_rtl_rate(spec, self.rate_hz)
        check_rtl_tuning(spec, self.freq_hz, self.gain_db)
        self.ppm = int(ppm)
        self.agc = bool(agc)
        self.bias_tee = bool(bias_tee)
        self.timeout_s = timeout_s
        self.tuner_type: int | None = None
        self.gain_count: int | None = None
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._connect()

    @property
    def tuner_name(self) -> str:
        """Tuner chip named in the server's header (``R820T`` …)."""
        return TUNER_NAMES.get(self.tuner_type or 0, f"tuner {self.tuner_type}")

    @property
    def hardware(self) -> str:
        return f"RTL-SDR ({self.tuner_name} tuner) via {self.spec}"

    def _tuning_commands(self) -> bytes:
        cmds = [
            command(CMD_SET_SAMPLE_RATE, round(self.rate_hz)),
            command(CMD_SET_FREQUENCY, round(self.freq_hz)),
            command(CMD_SET_FREQ_CORRECTION, self.ppm),
        ]
        if self.gain_db is None:
            cmds.append(command(CMD_SET_GAIN_MODE, 0))
        else:
            cmds += [command(CMD_SET_GAIN_MODE, 1), command(CMD_SET_GAIN, round(self.gain_db * 10))]
        cmds += [
            command(CMD_SET_AGC_MODE, int(self.agc)),
            command(CMD_SET_BIAS_TEE, int(self.bias_tee)),
        ]
        return b"".join(cmds)

    def _connect(self) -> None:
        """Connect, read the header, send the tuning; SourceUnavailable/InputError on failure."""
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise SourceUnavailable(
                f"{self.spec}: cannot connect to rtl_tcp server: {reason}"
            ) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            header = _recv_exact(sock, HEADER_BYTES)
            if header[:4] != HEADER_MAGIC:
                raise InputError(
                    self.spec, f"not an rtl_tcp server (header {header[:4]!r}, expected {HEADER_MAGIC!r})"
                )
            self.tuner_type, self.gain_count = parse_dongle_info(header)
            check_rtl_tuning(self.spec, self.freq_hz, self.gain_db, self.tuner_type)
            sock.sendall(self._tuning_commands())
        except (OSError, EOFError) as exc:
            sock.close()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SourceUnavailable(f"{self.spec}: rtl_tcp handshake failed: {reason}") from None
        except InputError:
            sock.close()
            raise
        with self._sock_lock:
            self._sock = sock
        with self._lock:
            self._epoch += 1  # the tuning just sent needs time to settle

    def _open(self) -> None:
        if self._sock is None:
            self._connect()

    def _close_device(self) -> None:
        with self._sock_lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _tune(self, freq_hz: float) -> None:
        if not freq_hz < 2**32:
            raise ValueError("rtl_tcp cannot tune above 4.29 GHz")
        with self._sock_lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.sendall(command(CMD_SET_FREQUENCY, round(freq_hz)))
            except OSError:
                pass  # the reader notices the lost connection; reconnection re-sends freq_hz

    def _run_reader(self) -> None:
        chunk_bytes = 2 * self.chunk_samples
        attempt = 0
        while not self._stop.is_set():
            with self._sock_lock:
                sock = self._sock
            if sock is None:
                if self._stop.is_set():
                    return
                next_attempt = self._reopen(self._connect, attempt, (SourceUnavailable,), "reconnected")
                if next_attempt is None:
                    return
                attempt = next_attempt
                continue
            sock.settimeout(self.timeout_s)
            why = self._read_socket(sock, chunk_bytes)
            if self._stop.is_set():
                return
            self._close_device()
            self._mark_disconnected()
            received = self._next_index
            self._report(
                "disconnected",
                f"{self.spec}: connection lost ({why}) after {received} samples",
                samples=received,
            )
            if not self.reconnect:
                raise SourceUnavailable(
                    f"{self.spec}: connection lost ({why}) after {received} samples"
                )

    def _read_socket(self, sock: socket.socket, chunk_bytes: int) -> str:
        """Read chunks until the connection ends; return why it ended."""
        while not self._stop.is_set():
            buf = bytearray(chunk_bytes)
            view = memoryview(buf)
            got = 0
            try:
                while got < chunk_bytes:
                    n = sock.recv_into(view[got:], chunk_bytes - got)
                    if n == 0:
                        self._deliver(np.frombuffer(buf, np.uint8, count=got - got % 2))
                        return "closed by the server"
                    got += n
            except TimeoutError:
                self._deliver(np.frombuffer(buf, np.uint8, count=got - got % 2))
                return f"no data for {self.timeout_s:g} s"
            except OSError as exc:
                self._deliver(np.frombuffer(buf, np.uint8, count=got - got % 2))
                return exc.strerror or type(exc).__name__
            self._deliver(np.frombuffer(buf, np.uint8))
        return "stopped"


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            raise EOFError(f"connection closed after {len(data)} of {n} header bytes")
        data += part
    return data
