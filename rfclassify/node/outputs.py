"""Where events go: JSON lines on stdout, an appended ``.jsonl`` file, or an MQTT broker.

Output specs (``--output``, repeatable):

- ``-``: one JSON object per line on stdout, flushed per line (the
  convention of ``rtl_433 -F json``);
- ``FILE.jsonl`` (or any other path): appended, one line per event,
  flushed per line, never truncated;
- ``mqtt://HOST[:PORT]/TOPIC``: published with paho-mqtt at QoS 1 (at least
  once: a subscriber may see a duplicate ``report_id`` after a reconnection).
  Events go to ``TOPIC``, heartbeats to ``TOPIC/heartbeat``; ``TOPIC/status``
  is a retained ``online`` published on every (re)connection, with a
  last-will ``offline`` the broker publishes if the node vanishes (and the
  node publishes itself on a clean exit). The paho network thread reconnects
  with backoff (1 s … 60 s); while the broker is away paho keeps QoS 1
  messages in its own queue (bounded by ``max_queued``; beyond it messages
  are dropped, counted in :attr:`MqttOutput.dropped` and logged) and sends
  them after the reconnection. MQTT 3.1.1 (OASIS standard, 2014): QoS 1
  PUBLISH/PUBACK, retained messages and the will are sections 3.1.2.5–3.1.2.7
  and 3.3.1.3.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from rfclassify.errors import InputError

log = logging.getLogger("rfclassify.node")

DEFAULT_MQTT_PORT = 1883
DEFAULT_MAX_QUEUED = 100_000


class Output(Protocol):
    """A destination for event and heartbeat dicts."""

    def write(self, record: dict[str, Any]) -> None:
        """Send one record (an event, or a heartbeat with ``event: heartbeat``)."""

    def close(self) -> None:
        """Flush and release; no record is lost that was accepted before."""


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
    """JSON lines on a text stream (stdout by default), flushed per line."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def write(self, record: dict[str, Any]) -> None:
        self.stream.write(to_json(record) + "\n")
        self.stream.flush()

    def close(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            pass


class JsonlOutput:
    """JSON lines appended to a file, flushed per line (``tail -f`` friendly)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(self.path, "is a directory; --output needs a file name such as events.jsonl")
        try:
            self._file: IO[str] | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise InputError(self.path, f"cannot open for appending: {exc.strerror or exc}") from None

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise ValueError(f"{self.path}: output closed")
        self._file.write(to_json(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def parse_mqtt_url(url: str) -> tuple[str, int, str]:
    """``mqtt://HOST[:PORT]/TOPIC`` → ``(host, port, topic)``; :class:`InputError` if malformed."""
    parts = urlsplit(url)
    topic = parts.path.lstrip("/")
    try:
        port = parts.port or DEFAULT_MQTT_PORT
    except ValueError:
        raise InputError(url, "bad port (expected mqtt://HOST:PORT/TOPIC)") from None
    if parts.scheme != "mqtt" or not parts.hostname or not topic:
        raise InputError(url, "not an MQTT output (expected mqtt://HOST:PORT/TOPIC, e.g. mqtt://localhost/rfclassify)")
    if any(c in url for c in "#+") or parts.query:
        raise InputError(url, "an MQTT topic to publish on cannot contain the wildcards # or +")
    return parts.hostname, port, topic.rstrip("/")


class MqttOutput:
    """Events published to an MQTT broker at QoS 1 (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str = "",
        max_queued: int = DEFAULT_MAX_QUEUED,
        keepalive_s: int = 30,
        close_timeout_s: float = 5.0,
    ) -> None:
        import paho.mqtt.client as mqtt

        self.url = url
        self.host, self.port, self.topic = parse_mqtt_url(url)
        self.status_topic = f"{self.topic}/status"
        self.heartbeat_topic = f"{self.topic}/heartbeat"
        self.close_timeout_s = close_timeout_s
        self.dropped = 0
        self.connected = threading.Event()
        self._was_connected = False
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True
        )
        self._client.max_queued_messages_set(max_queued)
        self._client.reconnect_delay_set(1, 60)
        self._client.will_set(self.status_topic, "offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.connect_async(self.host, self.port, keepalive=keepalive_s)
        self._client.loop_start()

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("%s: broker refused the connection: %s", self.url, reason)
            return
        client.publish(self.status_topic, "online", qos=1, retain=True)
        if self._was_connected:
            log.warning("%s: reconnected to the broker", self.url)
        self._was_connected = True
        self.connected.set()

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.connected.clear()
        log.warning("%s: connection to the broker lost (%s); buffering, retrying", self.url, reason)

    def write(self, record: dict[str, Any]) -> None:
        import paho.mqtt.client as mqtt

        topic = self.heartbeat_topic if record.get("event") == "heartbeat" else self.topic
        info = self._client.publish(topic, to_json(record), qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            log.warning("%s: MQTT buffer full; %d record(s) dropped", self.url, self.dropped)

    def pending(self) -> int:
        """Messages accepted but not yet acknowledged by the broker."""
        return len(self._client._out_messages)  # paho has no public accessor

    def close(self) -> None:
        """Publish ``offline`` (retained), wait up to ``close_timeout_s`` for the broker to ack everything, disconnect."""
        self._client.publish(self.status_topic, "offline", qos=1, retain=True)
        deadline = time.monotonic() + self.close_timeout_s
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.pending():
            log.warning("%s: %d message(s) not delivered before exit", self.url, self.pending())
        self._client.disconnect()
        self._client.loop_stop()


def open_output(spec: str, *, client_id: str = "") -> Output:
    """``-`` → stdout, ``mqtt://…`` → :class:`MqttOutput`, anything else → :class:`JsonlOutput`."""
    if spec == "-":
        return StreamOutput()
    if spec.startswith("mqtt://"):
        return MqttOutput(spec, client_id=client_id)
    if "://" in spec:
        raise InputError(spec, "unknown output (use -, FILE.jsonl or mqtt://HOST:PORT/TOPIC)")
    return JsonlOutput(spec)
