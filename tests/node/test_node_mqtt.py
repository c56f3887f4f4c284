"""MQTT login and TLS against a real Mosquitto, delivery accounting and exit status, stdout closed by its reader.

Certificates are generated per test session with the ``cryptography``
package (a test extra): a CA, a server certificate for 127.0.0.1/localhost
and a client certificate, all in Python, with no dependence on the
``openssl`` command line's version-specific options for subject alternative
names and extensions.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rfclassify.errors import InputError
from rfclassify.node.mqtt_settings import parse_mqtt_url, redact_url
from rfclassify.node.outputs import MqttOutput, open_output
from rfclassify.testing.mosquitto import MOSQUITTO, MOSQUITTO_PASSWD, Broker, Subscriber, free_port

pytestmark = pytest.mark.skipif(MOSQUITTO is None or MOSQUITTO_PASSWD is None,
                                reason="mosquitto is not installed (Debian/Ubuntu: apt-get install mosquitto)")

SECRET = "s3cr3t-Pa55"
NODE_USER, SUB_USER, SUB_PASSWORD = "node", "reader", "reader-pw"


# -- certificates ----------------------------------------------------------------------------------

def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key: Any, issuer: tuple[str, Any] | None, *, ca: bool = False, san: bool = False) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    issuer_name, issuer_key = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if san else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: Any = None, key: Any = None) -> Path:
    from cryptography.hazmat.primitives import serialization

    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """CA, server (127.0.0.1, localhost) and client certificates with their keys; a second, unrelated CA."""
    pytest.importorskip("cryptography")
    d = tmp_path_factory.mktemp("certs")
    ca_key, other_key, server_key, client_key = _key(), _key(), _key(), _key()
    ca = _cert("rfclassify test CA", ca_key, None, ca=True)
    return {
        "ca": _write(d / "ca.pem", ca),
        "other_ca": _write(d / "other-ca.pem", _cert("someone else's CA", other_key, None, ca=True)),
        "server": _write(d / "server.pem", _cert("127.0.0.1", server_key, ("rfclassify test CA", ca_key), san=True)),
        "server_key": _write(d / "server.key", key=server_key),
        "client": _write(d / "client.pem", _cert("node-1", client_key, ("rfclassify test CA", ca_key))),
        "client_key": _write(d / "client.key", key=client_key),
    }


@pytest.fixture()
def login_broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path, users={NODE_USER: SECRET, SUB_USER: SUB_PASSWORD}).start()
    yield b
    b.stop()


def _tls_broker(tmp_path: Path, certs: dict[str, Path], require_certificate: bool) -> Broker:
    return Broker(tmp_path, tls=(certs["ca"], certs["server"], certs["server_key"]),
                  require_certificate=require_certificate).start()


def _client_tls(certs: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs["ca"]))
    ctx.load_cert_chain(str(certs["client"]), str(certs["client_key"]))
    return ctx


def _wait(pred: Any, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _delivered(out: MqttOutput, sub: Subscriber, topic: str, marker: str) -> bool:
    assert sub.subscribed.wait(10)
    out.write({"event": "start", "report_id": marker})
    return _wait(lambda: any(e.get("report_id") == marker for e in sub.events(topic)))


# -- URL settings and the password ---------------------------------------------------------------

def test_url_settings_ports_tls_files_and_protocol(certs: dict[str, Path]) -> None:
    s = parse_mqtt_url("mqtt://h:1884/a/b", environ={})
    assert (s.host, s.port, s.topic, s.tls, s.username, s.password, s.protocol) == ("h", 1884, "a/b", False, None, None, "auto")
    s = parse_mqtt_url(f"mqtts://u@broker/t?ca={certs['ca']}&cert={certs['client']}&key={certs['client_key']}&protocol=3.1.1",
                       environ={})
    assert (s.port, s.tls, s.ca_file, s.cert_file, s.key_file, s.protocol) == (
        8883, True, certs["ca"], certs["client"], certs["client_key"], "3.1.1")
    assert s.display == "mqtts://u@broker:8883/t"
    for bad, problem in [
        ("mqtt://h", "no broker or topic"),
        ("mqtt://h/a/#", "wildcards"),
        ("mqtt://h/a/+/b", "wildcards"),
        ("mqtt://:x/t", "bad port"),
        ("mqtt://h/t?colour=red", "unknown parameter 'colour'"),
        (f"mqtt://h/t?ca={certs['ca']}", "need TLS: use mqtts://"),
        ("mqtts://h/t?ca=/nonexistent/ca.pem", "no such file"),
        (f"mqtts://h/t?key={certs['client_key']}", "key= needs cert="),
        ("mqtts://h/t?protocol=4", "protocol=4"),
    ]:
        with pytest.raises(InputError, match=problem):
            parse_mqtt_url(bad, environ={})


def test_password_from_url_file_or_environment_and_never_shown(tmp_path: Path) -> None:
    pw_file = tmp_path / "mqtt.pw"
    pw_file.write_text(SECRET + "\n")
    env = {"RFCLASSIFY_MQTT_PASSWORD": SECRET, "SITE_PW": "other"}
    assert parse_mqtt_url("mqtt://u:p%40ss%2Fw@h/t", environ={}).password == "p@ss/w"  # percent-encoded
    assert parse_mqtt_url(f"mqtt://u@h/t?password_file={pw_file}", environ={}).password == SECRET
    assert parse_mqtt_url("mqtt://u@h/t", environ=env).password == SECRET
    assert parse_mqtt_url("mqtt://u@h/t?password_env=SITE_PW", environ=env).password == "other"
    assert parse_mqtt_url("mqtt://h/t", environ=env).password is None  # no user: the variable is not for it
    settings = parse_mqtt_url(f"mqtts://u:{SECRET}@h:8884/t", environ={})
    for text in (repr(settings), str(settings), settings.display, f"{settings}", repr([settings])):
        assert SECRET not in text
    assert settings.display == "mqtts://u:***@h:8884/t"
    problems = [
        (f"mqtt://u:{SECRET}@h/t?password_file={pw_file}", "password given twice"),
        (f"mqtt://u:{SECRET}@h/t?password_env=SITE_PW", "password given twice"),
        ("mqtt://u@h/t?password_env=MISSING", "MISSING is not set"),
        (f"mqtt://u@h/t?password_file={tmp_path / 'none'}", "cannot read password_file"),
        (f"mqtt://:{SECRET}@h/t", "needs a user name"),
        (f"mqtt://u:{SECRET}@h", "no broker or topic"),
        (f"mqtt://u:{SECRET}@h:port/t", "bad port"),
        (f"mqtt://u:{SECRET}/x@h/t", "bad port"),  # an unencoded "/" in the password
        (f"mqtt://u:{SECRET}@h/t?what=1", "unknown parameter"),
    ]
    for url, problem in problems:
        with pytest.raises(InputError, match=problem) as err:
            parse_mqtt_url(url, environ=env)
        assert SECRET not in str(err.value) and SECRET not in repr(err.value)
    with pytest.raises(InputError) as err:
        open_output(f"mqtx://u:{SECRET}@h/t")
    assert SECRET not in str(err.value) and "mqtx://u:***@h/t" in str(err.value)
    assert redact_url(f"mqtts://u:{SECRET}@h/t") == "mqtts://u:***@h/t"


# -- login against a real broker ----------------------------------------------------------------

def test_broker_with_password_file_refuses_anonymous_and_wrong_password_accepts_the_right_one(
    login_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, "rfclassify")
    port, topic = login_broker.port, "site/login"
    sub = Subscriber(port, topic, username=SUB_USER, password=SUB_PASSWORD)
    try:
        anonymous = MqttOutput(f"mqtt://127.0.0.1:{port}/{topic}")
        wrong = MqttOutput(f"mqtt://{NODE_USER}:wrong-{SECRET}@127.0.0.1:{port}/{topic}")
        assert _wait(lambda: anonymous.refused is not None and wrong.refused is not None)
        assert anonymous.refused == "Not authorized" and wrong.refused == "Not authorized"
        assert not anonymous.connected.is_set() and not wrong.connected.is_set()
        assert wrong.dead_reason() == "the broker refused the login: Not authorized"
        wrong.write({"event": "start", "report_id": "never"})
        anonymous.close()
        wrong.close()
        assert wrong.status()["lost"] >= 1  # what it could not send is counted, not silently dropped
        refusals = [r.getMessage() for r in caplog.records if "refused the login" in r.getMessage()]
        assert f"mqtt://{NODE_USER}:***@127.0.0.1:{port}/{topic}: the broker refused the login: Not authorized" in refusals
        assert len(refusals) == 2  # once per output, not once per retry

        right = MqttOutput(f"mqtt://{NODE_USER}:{SECRET}@127.0.0.1:{port}/{topic}")
        assert right.connected.wait(10) and right.protocol == "5"
        assert _delivered(right, sub, topic, "via-url")
        right.close()
        assert right.status()["lost"] == 0

        pw_file = tmp_path / "pw"
        pw_file.write_text(SECRET + "\n")
        from_file = MqttOutput(f"mqtt://{NODE_USER}@127.0.0.1:{port}/{topic}?password_file={pw_file}&protocol=3.1.1")
        assert from_file.connected.wait(10) and from_file.protocol == "3.1.1"
        assert _delivered(from_file, sub, topic, "via-file")
        from_file.close()

        monkeypatch.setenv("RFCLASSIFY_MQTT_PASSWORD", SECRET)
        from_env = MqttOutput(f"mqtt://{NODE_USER}@127.0.0.1:{port}/{topic}")
        assert from_env.connected.wait(10)
        assert _delivered(from_env, sub, topic, "via-env")
        from_env.close()
    finally:
        sub.close()
    assert SECRET not in caplog.text


class Mqtt311Gate:
    """A TCP relay in front of a real Mosquitto that answers an MQTT 5 CONNECT as a 3.1.1-only broker does.

    MQTT 3.1.1 section 3.2.2.3: a server that does not support the protocol
    level sends CONNACK with return code 1 and closes the connection. Any
    other connection is relayed to the broker byte for byte.
    """

    def __init__(self, broker_port: int) -> None:
        import socket
        import threading

        self.broker_port = broker_port
        self.refused_v5 = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            head = client.recv(64)  # CONNECT's fixed header, "MQTT" and the protocol level fit in 9 bytes
            i = 1
            while head[i] & 0x80:  # the remaining-length varint
                i += 1
            level = head[i + 1 + 6]  # after the 2-byte length and "MQTT"
            if level == 5:
                self.refused_v5 += 1
                client.sendall(bytes([0x20, 0x02, 0x00, 0x01]))
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.broker_port))
            upstream.sendall(head)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: Any, b: Any) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def close(self) -> None:
        self.sock.close()


def test_mqtt5_falls_back_to_311_on_a_broker_without_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "rfclassify")
    broker = Broker(tmp_path).start()
    gate = Mqtt311Gate(broker.port)
    topic = "site/old-broker"
    sub = Subscriber(broker.port, topic)
    try:
        out = MqttOutput(f"mqtt://127.0.0.1:{gate.port}/{topic}")
        assert out.connected.wait(10)
        assert out.protocol == "3.1.1" and gate.refused_v5 == 1
        assert _delivered(out, sub, topic, "over-311")
        out.close()
        assert out.status()["lost"] == 0
        shown = f"mqtt://127.0.0.1:{gate.port}/{topic}"
        assert [r.getMessage() for r in caplog.records] == [
            f"{shown}: the broker has no MQTT 5; using MQTT 3.1.1", f"{shown}: connected to the broker (MQTT 3.1.1)"]
        forced = MqttOutput(f"mqtt://127.0.0.1:{gate.port}/{topic}?protocol=5", connect_timeout_s=2)
        assert not forced.connected.wait(2.5) and forced.protocol == "5"  # no fallback when 5 is asked for
        forced.close()
    finally:
        sub.close()
        gate.close()
        broker.stop()


def test_two_nodes_with_one_sensor_id_do_not_knock_each_other_off(tmp_path: Path) -> None:
    broker = Broker(tmp_path).start()
    try:
        url = f"mqtt://127.0.0.1:{broker.port}/site/twins"
        a = MqttOutput(url, client_id="rfclassify-mast-3")
        b = MqttOutput(url, client_id="rfclassify-mast-3")
        assert a.client_id != b.client_id and a.client_id.startswith("rfclassify-mast-3-")
        assert a.connected.wait(10) and b.connected.wait(10)
        time.sleep(1.0)  # a client-id collision would make the broker drop the first one by now
        assert a.connected.is_set() and b.connected.is_set()
        a.close()
        b.close()
    finally:
        broker.stop()


# -- TLS against a real broker -------------------------------------------------------------------

def test_tls_broker_with_the_ca_file_and_not_without(
    tmp_path: Path, certs: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "rfclassify")
    broker = _tls_broker(tmp_path, certs, require_certificate=False)
    topic = "site/tls"
    sub = Subscriber(broker.port, topic, tls=ssl.create_default_context(cafile=str(certs["ca"])))
    try:
        out = MqttOutput(f"mqtts://127.0.0.1:{broker.port}/{topic}?ca={certs['ca']}")
        assert out.connected.wait(10)
        assert _delivered(out, sub, topic, "over-tls")
        out.close()
        # the system CA store does not know our test CA; neither does another CA: refused, said at once
        for url in (f"mqtts://127.0.0.1:{broker.port}/{topic}",
                    f"mqtts://127.0.0.1:{broker.port}/{topic}?ca={certs['other_ca']}"):
            caplog.clear()
            bad = MqttOutput(url, connect_timeout_s=3)
            assert not bad.connected.wait(1.5)
            assert caplog.records[0].getMessage().startswith(
                f"mqtts://127.0.0.1:{broker.port}/{topic}: cannot connect to the broker (TLS certificate verify failed: ")
            bad.close()
        # plain MQTT to a TLS listener does not pass either
        plain = MqttOutput(f"mqtt://127.0.0.1:{broker.port}/{topic}", connect_timeout_s=2)
        assert not plain.connected.wait(1.5)
        plain.close()
    finally:
        sub.close()
        broker.stop()


def test_tls_broker_requiring_a_client_certificate(tmp_path: Path, certs: dict[str, Path]) -> None:
    broker = _tls_broker(tmp_path, certs, require_certificate=True)
    topic = "site/mtls"
    sub = Subscriber(broker.port, topic, tls=_client_tls(certs))
    try:
        without = MqttOutput(f"mqtts://127.0.0.1:{broker.port}/{topic}?ca={certs['ca']}", connect_timeout_s=2)
        assert not without.connected.wait(2)
        without.close()
        url = f"mqtts://127.0.0.1:{broker.port}/{topic}?ca={certs['ca']}&cert={certs['client']}&key={certs['client_key']}"
        out = MqttOutput(url)
        assert out.connected.wait(10)
        assert _delivered(out, sub, topic, "mutual-tls")
        out.close()
        with pytest.raises(InputError, match="certificate and key unusable together"):
            MqttOutput(f"mqtts://127.0.0.1:{broker.port}/{topic}?cert={certs['client']}&key={certs['server_key']}")
    finally:
        sub.close()
        broker.stop()


# -- the CLI: unreachable broker, --require-output, a closed stdout --------------------------------

def _noise_recording(directory: Path, seconds: float) -> Path:
    """Receiver noise as an rtl_sdr ``cu8`` file at 915 MHz, 250 kS/s (rate and frequency in the name)."""
    rng = np.random.default_rng(0)
    n = int(250e3 * seconds)
    path = directory / "noise_915M_250k.cu8"
    (127.5 + 8 * rng.standard_normal(2 * n)).clip(0, 255).astype(np.uint8).tofile(path)
    return path


def _rfclassify() -> list[str]:
    exe = Path(sys.executable).with_name("rfclassify")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "rfclassify.cli.main"]


def test_unreachable_broker_is_said_at_start_counted_in_heartbeats_and_exits_3(tmp_path: Path) -> None:
    rec = _noise_recording(tmp_path, 1.5)
    log_file = tmp_path / "events.jsonl"
    url = f"mqtt://node:{SECRET}@127.0.0.1:{free_port()}/site/x"
    proc = subprocess.run(
        [*_rfclassify(), "watch", str(rec), "--realtime", "--heartbeat", "0.3s", "-o", str(log_file), "-o", url],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert SECRET not in proc.stderr and SECRET not in log_file.read_text()
    shown = url.replace(SECRET, "***")
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"rfclassify: {shown}: cannot connect to the broker (Connection refused)")
    assert lines[-1].startswith("rfclassify: error:") and "not delivered" in lines[-1]
    assert "Traceback" not in proc.stderr
    beats = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert len(beats) >= 3 and all(b["event"] == "heartbeat" for b in beats)
    mqtt_status = [b["outputs"][1] for b in beats]
    assert all(s["output"] == shown and s["state"] == "connecting" for s in mqtt_status)
    assert [s["pending"] for s in mqtt_status] == list(range(len(beats)))  # every earlier heartbeat waits
    assert beats[-1]["undelivered"] == len(beats) - 1
    assert beats[0]["outputs"][0] == {"output": str(log_file), "state": "ok", "pending": 0, "lost": 0}
    assert (log_file.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("problem", ["unreachable", "wrong password"])
def test_require_output_stops_promptly_with_status_4(tmp_path: Path, problem: str) -> None:
    rec = _noise_recording(tmp_path, 30.0)
    if problem == "unreachable":
        url, broker = f"mqtt://127.0.0.1:{free_port()}/site/x", None
    else:
        broker = Broker(tmp_path, users={NODE_USER: SECRET}).start()
        url = f"mqtt://{NODE_USER}:wrong@127.0.0.1:{broker.port}/site/x"
    try:
        t0 = time.monotonic()
        proc = subprocess.run(
            [*_rfclassify(), "watch", str(rec), "--realtime", "--heartbeat", "0", "-o", url, "--require-output"],
            check=False, capture_output=True, text=True, timeout=60,
        )
        took_s = time.monotonic() - t0
    finally:
        if broker is not None:
            broker.stop()
    assert proc.returncode == 4, proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("rfclassify: error: mqtt://") and last.endswith("stopped (--require-output)")
    if problem == "unreachable":
        assert "not connected to the broker for 5 s" in last and took_s < 20
    else:
        assert "refused the login: Not authorized" in last and "wrong" not in proc.stderr and took_s < 15
    assert "Traceback" not in proc.stderr


def test_stdout_closed_by_its_reader_is_a_normal_end(tmp_path: Path) -> None:
    rec = _noise_recording(tmp_path, 20.0)
    proc = subprocess.Popen([*_rfclassify(), "watch", str(rec), "--realtime", "--heartbeat", "0.2s"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # what `| head -1` does: one line, then the pipe closes
        proc.stdout.close()
        rc = proc.wait(timeout=20)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(first)["event"] == "heartbeat"
    assert rc == 0 and err == ""


def test_evidence_and_event_log_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """Files 0600, created directories 0700, even with a umask of 0 (which would give 0666/0777)."""
    from rfclassify.node.evidence import EvidenceRecorder
    from rfclassify.node.outputs import JsonlOutput
    from rfclassify.sources.sigmf_io import SigMFWriter

    old = os.umask(0)
    try:
        target = tmp_path / "var" / "evidence"
        EvidenceRecorder(target, 10**6)
        log_path = tmp_path / "events.jsonl"
        JsonlOutput(log_path).close()
        writer = SigMFWriter(target / "evidence-x", datatype="cu8", sample_rate_hz=1e6, center_freq_hz=915e6, private=True)
        writer.write(np.zeros(10, np.complex64))
        writer.close()
        public = SigMFWriter(tmp_path / "capture", datatype="cu8", sample_rate_hz=1e6, center_freq_hz=915e6)
        public.close()
    finally:
        os.umask(old)
    mode = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "var", target, log_path, *target.iterdir())}
    assert mode == {"var": 0o700, "evidence": 0o700, "events.jsonl": 0o600,
                    "evidence-x.sigmf-meta": 0o600, "evidence-x.sigmf-data": 0o600}
    assert (tmp_path / "capture.sigmf-data").stat().st_mode & 0o777 == 0o666  # other recordings: the umask's call
