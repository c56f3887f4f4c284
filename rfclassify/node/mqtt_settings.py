"""An MQTT output's URL: broker, topic, login and TLS settings, with the password kept out of every message.

Form::

    mqtt[s]://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC[?KEY=VALUE&...]

``mqtt://`` is plain TCP (default port 1883), ``mqtts://`` is TLS (default
port 8883) verified against the system's CA store, or against ``ca=FILE``.
Settings that have no place in a URL's user and host parts are query
parameters, so that one ``--output`` (or one ``output`` entry of
``node.toml``) says everything:

=================  ==============================================================
``ca=FILE``        PEM CA certificate(s) the broker's certificate must chain to
``cert=FILE``      PEM client certificate (a broker with ``require_certificate``)
``key=FILE``       PEM private key of ``cert`` (unencrypted; if not inside ``cert``)
``password_file``  a file whose first line is the password
``password_env``   the environment variable holding the password
                   (default ``RFCLASSIFY_MQTT_PASSWORD``, used when the URL
                   names a user but gives no password)
``protocol``       ``auto`` (MQTT 5, falling back to 3.1.1), ``5`` or ``3.1.1``
=================  ==============================================================

Characters such as ``@ : / ? # %`` in a user name or password are written
percent-encoded (``p%40ss`` for ``p@ss``). The password is given once (URL,
file or environment); it appears in no message, log line, heartbeat,
exception or ``repr``: they all show :attr:`MqttSettings.display`, where it is
``***`` (and :func:`redact_url` for a URL that did not even parse).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from rfclassify.errors import InputError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
PASSWORD_ENV = "RFCLASSIFY_MQTT_PASSWORD"
PROTOCOLS = ("auto", "5", "3.1.1")
QUERY_KEYS = ("ca", "cert", "key", "password_file", "password_env", "protocol")

# Everything between "scheme://USER:" and the last "@": greedy, so that a password holding an
# unencoded "@", "/" or "#" is still hidden (over-redacting a path is harmless).
_USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*):.*@")


def redact_url(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (any scheme, even unparsable)."""
    return _USERINFO_PASSWORD.sub(r"\1:***@", url)


@dataclass(frozen=True)
class MqttSettings:
    """Where and how to publish: broker address, topic, login, TLS files and protocol version."""

    host: str
    port: int
    topic: str
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    protocol: str = "auto"

    @property
    def display(self) -> str:
        """The URL for messages: ``mqtts://user:***@host:port/topic`` (no password, no query)."""
        user = ""
        if self.username is not None:
            user = f"{self.username}:***@" if self.password is not None else f"{self.username}@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}/{self.topic}"

    def __repr__(self) -> str:
        return f"MqttSettings({self.display!r})"

    __str__ = __repr__


def _password_from_file(shown: str, path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise InputError(shown, f"cannot read password_file {path}: {reason}") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise InputError(shown, f"password_file {path} is empty (the password is its first line)")
    return lines[0]


def parse_mqtt_url(url: str, environ: Mapping[str, str] | None = None) -> MqttSettings:
    """Parse an ``mqtt://`` or ``mqtts://`` output URL (see the module docstring).

    ``environ`` (default :data:`os.environ`) supplies ``password_env``.
    Raises :class:`InputError` naming the redacted URL for anything malformed.
    """
    env = os.environ if environ is None else environ
    shown = redact_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError(shown, "not an MQTT output (expected mqtt://HOST:PORT/TOPIC or mqtts://…)")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise InputError(shown, f"bad port (expected {scheme}://HOST:PORT/TOPIC)") from None
    topic = parts.path.lstrip("/").rstrip("/")
    if not parts.hostname or not topic:
        raise InputError(shown, f"no broker or topic (expected {scheme}://HOST:PORT/TOPIC, e.g. {scheme}://localhost/rfclassify)")
    if "#" in url or "+" in topic:  # urlsplit takes "#" for a fragment, even an empty one
        raise InputError(shown, "an MQTT topic to publish on cannot contain the wildcards # or +")
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key not in QUERY_KEYS:
            raise InputError(shown, f"unknown parameter {key!r} (known: {', '.join(QUERY_KEYS)})")
        if key in query:
            raise InputError(shown, f"parameter {key!r} given twice")
        if not value:
            raise InputError(shown, f"parameter {key!r} has no value")
        query[key] = value
    tls = scheme == "mqtts"
    files = {k: Path(query[k]).expanduser() for k in ("ca", "cert", "key") if k in query}
    if files and not tls:
        raise InputError(shown, f"{', '.join(files)}= need TLS: use mqtts://")
    if "key" in files and "cert" not in files:
        raise InputError(shown, "key= needs cert= (the client certificate it belongs to)")
    for name, path in files.items():
        if not path.is_file():
            raise InputError(shown, f"{name}={path}: no such file")
    protocol = query.get("protocol", "auto")
    if protocol not in PROTOCOLS:
        raise InputError(shown, f"protocol={protocol} (expected one of {', '.join(PROTOCOLS)})")

    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if "password_file" in query:
        if password is not None:
            raise InputError(shown, "password given twice (in the URL and as password_file=)")
        password = _password_from_file(shown, Path(query["password_file"]).expanduser())
    if "password_env" in query:
        if password is not None:
            raise InputError(shown, "password given twice (password_env= and the URL or password_file=)")
        if query["password_env"] not in env:
            raise InputError(shown, f"password_env: the environment variable {query['password_env']} is not set")
        password = env[query["password_env"]]
    elif password is None and username is not None and env.get(PASSWORD_ENV):
        password = env[PASSWORD_ENV]
    if password is not None and username is None:
        raise InputError(shown, f"a password needs a user name ({scheme}://USER@HOST/TOPIC)")
    return MqttSettings(
        host=parts.hostname,
        port=port,
        topic=topic,
        tls=tls,
        username=username,
        password=password,
        ca_file=files.get("ca"),
        cert_file=files.get("cert"),
        key_file=files.get("key"),
        protocol=protocol,
    )
