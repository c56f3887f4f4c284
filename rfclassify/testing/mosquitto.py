"""A real Mosquitto broker on 127.0.0.1 for tests: plain, with a password file, or with TLS.

Mosquitto 2.x configuration (``mosquitto.conf(5)``): one ``listener`` on a
free loopback port; ``allow_anonymous``; ``password_file`` (written with
``mosquitto_passwd -b``, which ships with the broker in Debian's
``mosquitto`` package); ``cafile``/``certfile``/``keyfile`` for TLS and
``require_certificate`` to demand a client certificate.

Started as root, Mosquitto drops privileges to its ``user`` (default
``mosquitto``), which cannot read or write pytest's 0700 temporary
directories: it would then fail to save its database on exit, silently
forget a subscriber's persistent session and drop whatever a client re-sends
before the subscriber has re-subscribed (and could not read a password file
or key). ``user`` is therefore the account running the tests (a no-op when
that is not root).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_password_file(path: Path, users: dict[str, str]) -> Path:
    """A Mosquitto password file (hashed by ``mosquitto_passwd``) for ``{user: password}``."""
    if MOSQUITTO_PASSWD is None:
        raise RuntimeError("mosquitto_passwd is not installed")
    path.write_text("")
    for user, password in users.items():
        subprocess.run([MOSQUITTO_PASSWD, "-b", str(path), user, password], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path


class Broker:
    """A Mosquitto process with persistence (so sessions survive a restart), configured by keywords.

    ``users`` turns on a password file and refuses anonymous clients;
    ``tls=(ca, cert, key)`` makes the listener TLS-only; ``require_certificate``
    also demands a client certificate signed by ``ca``.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path, Path] | None = None,
        require_certificate: bool = False,
    ) -> None:
        if MOSQUITTO is None:
            raise RuntimeError("mosquitto is not installed")
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        self.db = workdir / "mosquitto.db"
        self.log = workdir / "mosquitto.log"
        user = pwd.getpwuid(os.geteuid()).pw_name
        lines = [f"listener {self.port} 127.0.0.1", f"user {user}", "persistence true",
                 f"persistence_location {workdir}/"]
        if users:
            lines += ["allow_anonymous false", f"password_file {write_password_file(workdir / 'passwd', users)}"]
        else:
            lines.append("allow_anonymous true")
        if tls is not None:
            ca, cert, key = tls
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}",
                      f"require_certificate {'true' if require_certificate else 'false'}"]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        """Start the broker and wait until it accepts TCP connections (10 s at most)."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(MOSQUITTO), "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        """Terminate the broker (it saves its database) and wait for it."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class Subscriber:
    """A paho subscriber with a persistent session (QoS 1) to ``TOPIC`` and ``TOPIC/#``, collecting messages.

    ``username``/``password`` log in; ``tls`` (an :class:`ssl.SSLContext`) connects over TLS.
    :attr:`subscribed` is set once the broker acknowledged the subscriptions.
    """

    def __init__(
        self,
        port: int,
        topic: str,
        *,
        client_id: str = "test-sub",
        username: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, bytes, bool]] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            self.client.tls_set_context(tls)
        self.client.reconnect_delay_set(1, 2)
        self.client.on_connect = lambda c, *_: c.subscribe([(topic, 1), (f"{topic}/#", 1)])
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, m.payload, m.retain))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def events(self, topic: str) -> list[dict[str, Any]]:
        """The JSON payloads received on ``topic``, in order."""
        return [json.loads(p) for t, p, _ in list(self.messages) if t == topic]

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()
