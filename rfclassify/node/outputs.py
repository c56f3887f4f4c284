"""Where events go: JSON lines on stdout, an appended ``.jsonl`` file, or an MQTT broker.

Output specs (``--output``, repeatable):

- ``-``: one JSON object per line on stdout, flushed per line (the
  convention of ``rtl_433 -F json``). A reader that goes away (``| head -1``)
  is a normal end: :attr:`StreamOutput.reader_gone` is set and the node stops.
- ``FILE.jsonl`` (or any other path): appended, one line per event,
  flushed per line, never truncated; a new file is created ``0600`` (events
  carry the sensor's position).
- ``mqtt[s]://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC[?ca=…&cert=…&key=…&password_file=…]``
  (:mod:`rfclassify.node.mqtt_settings`): published with paho-mqtt at QoS 1
  (at least once: a subscriber may see a duplicate ``report_id`` after a
  reconnection), over TLS for ``mqtts://``, with MQTT 5 where the broker has
  it (else 3.1.1). Events go to ``TOPIC``, heartbeats to ``TOPIC/heartbeat``;
  ``TOPIC/status`` is a retained ``online`` published on every
  (re)connection, with a last-will ``offline`` the broker publishes if the
  node vanishes (and the node publishes itself on a clean exit). The client
  id is ``PREFIX-<8 random hex digits>``, unique per run, so two nodes with
  one sensor id do not take each other's session. The paho network thread
  reconnects with backoff (1 s … 60 s); while the broker is away paho keeps
  QoS 1 messages in its own queue (bounded by ``max_queued``; beyond it
  messages are dropped and counted as lost) and sends them after the
  reconnection. MQTT 3.1.1 (OASIS standard, 2014): QoS 1 PUBLISH/PUBACK,
  retained messages and the will are sections 3.1.2.5–3.1.2.7 and 3.3.1.3;
  MQTT 5.0 (OASIS, 2019) answers a client of a version it lacks with CONNACK
  reason 0x84, and a 3.1.1 broker with return code 1 (section 3.2.2.3).

Every output counts what it could not deliver: :meth:`Output.status` gives
``pending`` (accepted, not yet acknowledged) and ``lost`` (dropped, or still
pending when the node exited), which :class:`OutputSet` adds to every
heartbeat and turns into the exit status.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol

from rfclassify.errors import InputError
from rfclassify.node.mqtt_settings import MqttSettings, parse_mqtt_url, redact_url
from rfclassify.private_files import open_fd

log = logging.getLogger("rfclassify.node")

DEFAULT_MAX_QUEUED = 100_000
#: An output not connected for this long counts as dead for ``--require-output``.
REQUIRE_OUTPUT_GRACE_S = 5.0
#: ``rfclassify watch`` exit status when records were lost (an output could not deliver them).
EXIT_LOST = 3
#: ``rfclassify watch --require-output`` exit status when an output died.
EXIT_OUTPUT_DEAD = 4


class Output(Protocol):
    """A destination for event and heartbeat dicts."""

    #: What messages call it (a file name, ``-``, or an MQTT URL without its password).
    display: str

    def write(self, record: dict[str, Any]) -> None:
        """Send one record (an event, or a heartbeat with ``event: heartbeat``)."""

    def status(self) -> dict[str, Any]:
        """``{"output", "state", "pending", "lost"}`` for heartbeats."""

    def dead_reason(self) -> str | None:
        """Why this output cannot deliver (``--require-output`` stops the node), or ``None``."""

    def close(self) -> None:
        """Flush and release; afterwards :meth:`status` counts every undelivered record as lost."""


def to_json(record: dict[str, Any]) -> str:
    """One compact JSON line (no newline); numpy scalars become plain numbers."""
    return json.dumps(record, separators=(",", ":"), default=_plain)


def _plain(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


class StreamOutput:
    """JSON lines on a text stream (stdout by default), flushed per line.

    A closed pipe (the reader exited) sets :attr:`reader_gone` and points the
    stream's descriptor at ``/dev/null``, so that nothing later (the
    interpreter's flush at exit included) fails on it.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.display = "-"
        self.reader_gone = False

    def write(self, record: dict[str, Any]) -> None:
        if self.reader_gone:
            return
        try:
            self.stream.write(to_json(record) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        self.reader_gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass  # not a file descriptor (a StringIO): nothing flushes it at exit

    def status(self) -> dict[str, Any]:
        return {"output": self.display, "state": "closed" if self.reader_gone else "ok", "pending": 0, "lost": 0}

    def dead_reason(self) -> str | None:
        return None  # a reader leaving is a normal end, not a failure

    def close(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._reader_left()
        except (OSError, ValueError):
            pass


class JsonlOutput:
    """JSON lines appended to a file, flushed per line (``tail -f`` friendly); a new file is ``0600``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.display = str(self.path)
        self.lost = 0
        self._error: str | None = None
        if self.path.is_dir():
            raise InputError(self.path, "is a directory; --output needs a file name such as events.jsonl")
        try:
            self._file: IO[str] | None = open(  # noqa: SIM115 - closed in close()
                open_fd(self.path, os.O_WRONLY | os.O_APPEND, private=True), "a", encoding="utf-8"
            )
        except OSError as exc:
            raise InputError(self.path, f"cannot open for appending: {exc.strerror or exc}") from None

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise ValueError(f"{self.path}: output closed")
        try:
            self._file.write(to_json(record) + "\n")
            self._file.flush()
        except OSError as exc:
            self.lost += 1
            if self._error is None:
                self._error = exc.strerror or str(exc)
                log.warning("%s: cannot write (%s); events are being lost", self.path, self._error)

    def status(self) -> dict[str, Any]:
        return {"output": self.display, "state": "failed" if self._error else "ok", "pending": 0, "lost": self.lost}

    def dead_reason(self) -> str | None:
        return f"cannot write: {self._error}" if self._error else None

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                self._error = self._error or exc.strerror or str(exc)
                log.warning("%s: cannot close (%s)", self.path, self._error)
            self._file = None


def tls_context(settings: MqttSettings) -> ssl.SSLContext:
    """A client TLS context: system CA store (or ``ca``), hostname checked, client certificate if given."""
    try:
        ctx = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(settings.display, f"ca={settings.ca_file}: not a usable PEM CA file ({exc})") from None
    if settings.cert_file is not None:
        try:
            ctx.load_cert_chain(str(settings.cert_file), str(settings.key_file) if settings.key_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(
                settings.display,
                f"cert={settings.cert_file}: certificate and key unusable together "
                f"(PEM, key unencrypted and matching the certificate?): {exc}",
            ) from None
    return ctx


#: CONNACK refusals only a change of configuration can cure: retrying would hammer the broker.
_LOGIN_REFUSALS = {
    "Bad user name or password",
    "Not authorized",
    "Client identifier not valid",
    "Banned",
    "Bad authentication method",
}


class MqttOutput:
    """Events published to an MQTT broker at QoS 1 (see the module docstring).

    ``client_id`` is a prefix; a random suffix makes it unique per run. The
    first connection is attempted here (TCP and TLS handshake, at most
    ``connect_timeout_s``) so that an unreachable broker is reported at once,
    in one line; paho's network thread then keeps reconnecting.
    """

    def __init__(
        self,
        url: str | MqttSettings,
        *,
        client_id: str = "rfclassify",
        max_queued: int = DEFAULT_MAX_QUEUED,
        keepalive_s: int = 30,
        close_timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        import paho.mqtt.client as mqtt

        self.settings = url if isinstance(url, MqttSettings) else parse_mqtt_url(url)
        s = self.settings
        self.display = s.display
        self.topic = s.topic
        self.status_topic = f"{s.topic}/status"
        self.heartbeat_topic = f"{s.topic}/heartbeat"
        self.client_id = f"{client_id or 'rfclassify'}-{secrets.token_hex(4)}"
        self.close_timeout_s = close_timeout_s
        self.dropped = 0
        self.lost_at_close = 0
        self.connected = threading.Event()
        self.refused: str | None = None
        self.protocol = "3.1.1" if s.protocol == "3.1.1" else "5"
        self._was_connected = False
        self._problem: str | None = None
        self._down_since = time.monotonic()
        self._closed = False
        version = mqtt.MQTTv311 if self.protocol == "3.1.1" else mqtt.MQTTv5
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=version,
            clean_session=True if version == mqtt.MQTTv311 else None,
        )
        if s.username is not None:
            self._client.username_pw_set(s.username, s.password)
        if s.tls:
            self._client.tls_set_context(tls_context(s))
        self._client.max_queued_messages_set(max_queued)
        self._client.reconnect_delay_set(1, 60)
        self._client.connect_timeout = connect_timeout_s
        self._client.will_set(self.status_topic, "offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        try:
            self._client.connect(s.host, s.port, keepalive=keepalive_s)
        except (OSError, ValueError) as exc:
            # the network thread retries; the operator learns now, in one line, what the node will lose
            self._report(
                "unreachable",
                f"{self.display}: cannot connect to the broker ({_reason(exc)}); buffering up to "
                f"{max_queued} messages and retrying",
            )
        self._client.loop_start()

    # -- paho callbacks (network thread) ----------------------------------------------
    def _report(self, problem: str, message: str) -> None:
        """Log ``message`` once per kind of problem (not at every retry)."""
        if problem != self._problem:
            log.warning("%s", message)
        self._problem = problem

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            name = str(getattr(reason, "getName", lambda: reason)())
            if name == "Unsupported protocol version" and self.protocol == "5" and self.settings.protocol == "auto":
                import paho.mqtt.client as mqtt

                # paho downgrades 3.1.1 to 3.1 the same way: the next CONNECT is built from these
                client._protocol = mqtt.MQTTv311
                client._clean_session = True
                self.protocol = "3.1.1"
                self._problem = "downgraded"  # the broker's hang-up that follows is expected
                log.warning("%s: the broker has no MQTT 5; using MQTT 3.1.1", self.display)
                return
            if name in _LOGIN_REFUSALS:
                self.refused = name
                self._report("refused", f"{self.display}: the broker refused the login: {name}")
                client.disconnect()  # retrying a refused login only hammers the broker
                return
            self._report(f"refused:{name}", f"{self.display}: the broker refused the connection: {name}")
            return
        client.publish(self.status_topic, "online", qos=1, retain=True)
        if self._was_connected or self._problem is not None:
            log.warning("%s: connected to the broker (MQTT %s)", self.display, self.protocol)
        self._was_connected = True
        self._problem = None
        self.connected.set()

    def _on_connect_fail(self, _client: Any, _userdata: Any) -> None:
        self._report("unreachable", f"{self.display}: cannot connect to the broker; buffering, retrying")

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if self.connected.is_set():
            self._down_since = time.monotonic()
        self.connected.clear()
        if self._closed or self.refused is not None or self._problem == "downgraded":
            return
        if self._was_connected:
            self._report("lost", f"{self.display}: connection to the broker lost ({reason}); buffering, retrying")
        else:
            self._report("closed", f"{self.display}: cannot connect: the broker closed the connection ({reason}); retrying")

    # -- Output -----------------------------------------------------------------------------
    def write(self, record: dict[str, Any]) -> None:
        import paho.mqtt.client as mqtt

        topic = self.heartbeat_topic if record.get("event") == "heartbeat" else self.topic
        info = self._client.publish(topic, to_json(record), qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("%s: MQTT buffer full; %d record(s) dropped", self.display, self.dropped)

    def pending(self) -> int:
        """Messages accepted but not yet acknowledged by the broker."""
        return len(self._client._out_messages)  # paho has no public accessor

    def status(self) -> dict[str, Any]:
        if self._closed:
            state = "closed"
        elif self.connected.is_set():
            state = "connected"
        elif self.refused is not None:
            state = "refused"
        else:
            state = "reconnecting" if self._was_connected else "connecting"
        pending = 0 if self._closed else self.pending()
        return {"output": self.display, "state": state, "pending": pending, "lost": self.dropped + self.lost_at_close}

    def dead_reason(self) -> str | None:
        if self.refused is not None:
            return f"the broker refused the login: {self.refused}"
        if self.dropped:
            return f"{self.dropped} record(s) dropped (buffer full)"
        down_s = time.monotonic() - self._down_since
        if not self.connected.is_set() and down_s >= REQUIRE_OUTPUT_GRACE_S:
            return f"not connected to the broker for {down_s:.0f} s"
        return None

    def close(self) -> None:
        """Publish ``offline`` (retained), wait up to ``close_timeout_s`` for the broker's acks, disconnect.

        Waiting is skipped for a broker never reached (nothing could arrive);
        what is still unacknowledged afterwards is counted in ``lost``.
        """
        if self._closed:
            return
        self._client.publish(self.status_topic, "offline", qos=1, retain=True)
        if self._was_connected and self.refused is None:
            deadline = time.monotonic() + self.close_timeout_s
            while self.pending() and time.monotonic() < deadline:
                time.sleep(0.02)
        self.lost_at_close = self.pending()
        self._closed = True
        self._client.disconnect()
        self._client.loop_stop()
        if self.lost_at_close:
            log.warning("%s: %d message(s) not delivered before exit", self.display, self.lost_at_close)


def _reason(exc: BaseException) -> str:
    """A short reason for a connection error (``Connection refused``, the TLS verification failure …)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verify failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def open_output(spec: str, *, client_id: str = "rfclassify") -> Output:
    """``-`` → stdout, ``mqtt://…``/``mqtts://…`` → :class:`MqttOutput`, anything else → :class:`JsonlOutput`."""
    if spec == "-":
        return StreamOutput()
    if spec.lower().startswith(("mqtt://", "mqtts://")):
        return MqttOutput(spec, client_id=client_id)
    if "://" in spec:
        raise InputError(redact_url(spec), "unknown output (use -, FILE.jsonl, mqtt://HOST:PORT/TOPIC or mqtts://…)")
    return JsonlOutput(spec)


class OutputSet:
    """The node's outputs together: writes every record to each, adds delivery counts to heartbeats.

    Heartbeats gain ``outputs`` (each output's :meth:`Output.status`) and
    ``undelivered`` (pending plus lost over all outputs).
    """

    def __init__(self, outputs: list[Output]) -> None:
        self.outputs = list(outputs)

    def write(self, record: dict[str, Any]) -> None:
        """Send ``record`` to every output (a heartbeat first gets the delivery counts)."""
        if record.get("event") == "heartbeat":
            statuses = [out.status() for out in self.outputs]
            record = {**record, "outputs": statuses, "undelivered": sum(s["pending"] + s["lost"] for s in statuses)}
        for out in self.outputs:
            out.write(record)

    @property
    def reader_gone(self) -> bool:
        """True when stdout was an output and its reader went away (a normal end)."""
        return any(getattr(out, "reader_gone", False) for out in self.outputs)

    def dead(self) -> str | None:
        """``"OUTPUT: reason"`` for the first output that cannot deliver, else ``None``."""
        for out in self.outputs:
            reason = out.dead_reason()
            if reason is not None:
                return f"{out.display}: {reason}"
        return None

    def close(self) -> int:
        """Close every output; the number of records they lost in all."""
        for out in self.outputs:
            out.close()
        return sum(out.status()["lost"] for out in self.outputs)


class OutputWatchdog:
    """For ``--require-output``: a thread that calls ``stop()`` once an output of ``outputs`` is dead.

    Checks every ``period_s`` whatever the node is doing (a quiet band emits
    nothing for a long time); :meth:`finish` ends the thread and returns the
    reason (``[]`` if every output stayed alive).
    """

    def __init__(self, outputs: OutputSet, stop: Any, period_s: float = 0.2) -> None:
        self.outputs = outputs
        self.reason: str | None = None
        self._stop_node = stop
        self._period_s = period_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="output watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(self._period_s):
            reason = self.outputs.dead()
            if reason is not None:
                self.reason = reason  # the CLI reports it, once, as it exits
                self._stop_node()
                return

    def finish(self) -> list[str]:
        """Stop watching; ``[reason]`` if an output died, else ``[]``."""
        self._done.set()
        self._thread.join(timeout=5)
        return [] if self.reason is None else [self.reason]
