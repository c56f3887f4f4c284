"""Evidence recording: a ring buffer of recent IQ and a SigMF snippet per confirmed drone emitter.

With ``--record-dir DIR`` the node keeps the last ``pre_s + post_s + slack_s``
seconds of IQ in memory (as ``cu8`` bytes when the receiver delivers ``cu8``,
so 2.4 MS/s costs 4.8 MB/s of ring, else ``ci16_le``). When a drone emitter
is confirmed (its ``start`` event), a snippet is scheduled from ``pre_s``
before the emitter's first burst (or the oldest sample still in the ring)
to ``post_s`` after the confirmation, and written as soon as the stream has
passed its end (or when the node stops). It is a SigMF recording (SigMF
1.x core: ``core:sample_start/sample_count``, ``core:freq_lower_edge``/
``upper_edge``, ``core:label``) whose annotations are the emitter's bursts
inside the snippet, with ``rfclassify:confidence``, ``rfclassify:snr_db``
and the event's ``report_id``: evidence for review and material for
retraining. Each CRC-valid DroneID frame decoded from a burst inside the
snippet gets an annotation of its own over the frame's samples and band,
its decoded record in ``rfclassify:droneid`` (positions as the node's
``--report-positions`` says; the IQ itself still holds them), so the file is
the audit trail of what was decoded from which samples. A gap or retune inside the window starts a new capture segment
(only samples at the emitter's centre frequency are kept).

Disk use is bounded: after each write, evidence files in DIR (only names
this module writes, ``evidence-<UTC>-<label>-<freq>-<emitter>[-n].sigmf-*``)
are deleted oldest first until their total is at most ``max_bytes``. Other
files in DIR are never touched; an existing file is never overwritten.

Snippets carry the sensor's position: files are created ``0600`` and the
directories the recorder creates ``0700``, whatever the umask
(:mod:`rfclassify.private_files`); an existing DIR keeps its mode.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify.classify.droneid import (
    ANNOTATION_KEY,
    DRONEID_LABEL,
    frame_duration_s,
    frame_record,
)
from rfclassify.classify.positions import PositionPolicy
from rfclassify.classify.tracking import Emitter
from rfclassify.dsp.droneid import OCCUPIED_HZ, DroneIDFrame
from rfclassify.private_files import make_dirs
from rfclassify.sources.base import Block
from rfclassify.sources.iq_ring import IQRing
from rfclassify.units import format_frequency

log = logging.getLogger("rfclassify.node")

EVIDENCE_RE = re.compile(r"^evidence-\d{8}T\d{6}Z-[A-Za-z0-9_.-]+\.sigmf-(meta|data)$")


@dataclass
class _Pending:
    emitter: Emitter
    event: dict[str, Any]
    a: int
    b: int
    center_freq_hz: float
    sample_rate_hz: float
    written: bool = field(default=False)


def evidence_files(directory: Path) -> list[Path]:
    """Evidence files in ``directory`` (only names :class:`EvidenceRecorder` writes)."""
    if not directory.is_dir():
        return []
    return [p for p in directory.iterdir() if p.is_file() and EVIDENCE_RE.match(p.name)]


def enforce_limit(directory: Path, max_bytes: int, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Delete evidence recordings (meta + data pairs) oldest first until they total ≤ ``max_bytes``.

    ``keep`` names files never deleted (the snippet just written). Returns the deleted paths.
    """
    files = evidence_files(directory)
    total = sum(p.stat().st_size for p in files)
    if total <= max_bytes:
        return []
    groups: dict[str, list[Path]] = {}
    for p in files:
        groups.setdefault(p.name.rsplit(".sigmf-", 1)[0], []).append(p)
    order = sorted(groups.values(), key=lambda ps: (min(p.stat().st_mtime for p in ps), ps[0].name))
    deleted: list[Path] = []
    for group in order:
        if total <= max_bytes:
            break
        if any(p in keep for p in group):
            continue
        for p in sorted(group, key=lambda q: q.suffix != ".sigmf-meta"):  # meta first: no orphan "complete" recording
            size = p.stat().st_size
            p.unlink(missing_ok=True)
            total -= size
            deleted.append(p)
    return deleted


class EvidenceRecorder:
    """Keeps the IQ ring and writes one SigMF snippet per confirmed drone emitter (see module docstring)."""

    def __init__(
        self,
        directory: str | Path,
        max_bytes: int,
        *,
        pre_s: float = 2.0,
        post_s: float = 2.0,
        slack_s: float = 2.0,
        sample_rate_hz: float = 2.4e6,
        datatype: str = "cu8",
        hw: str | None = None,
        geolocation: tuple[float, ...] | None = None,
        sensor_id: str = "",
        positions: PositionPolicy | None = None,
    ) -> None:
        self.directory = Path(directory)
        try:
            make_dirs(self.directory, private=True)
        except OSError as exc:
            from rfclassify.errors import InputError

            raise InputError(self.directory, f"cannot create the evidence directory: {exc.strerror or exc}") from None
        self.max_bytes = int(max_bytes)
        self.pre_s, self.post_s = float(pre_s), float(post_s)
        self.datatype = "cu8" if datatype == "cu8" else "ci16_le"
        self.ring = IQRing(round((pre_s + post_s + slack_s) * sample_rate_hz), self.datatype)
        self.hw = hw
        self.geolocation = geolocation
        self.sensor_id = sensor_id
        self.positions = positions or PositionPolicy()
        self.pending: list[_Pending] = []
        self.written: list[Path] = []
        self.deleted: list[Path] = []

    def push(self, block: Block) -> list[Path]:
        """Add a block to the ring; write (and return) the snippets whose window it completed."""
        self.ring.append(block)
        end = self.ring.end or 0
        due = [p for p in self.pending if p.b <= end]
        return [path for p in due if (path := self._write(p)) is not None]

    def trigger(self, event: dict[str, Any], emitter: Emitter, sample_rate_hz: float) -> None:
        """Schedule a snippet for a ``start`` event of a drone emitter (others are ignored)."""
        if event.get("event") != "start" or not event.get("drone"):
            return
        a = round((emitter.t_start_s - self.pre_s) * sample_rate_hz)
        b = round((emitter.t_end_s + self.post_s) * sample_rate_hz)
        fc = float(event.get("center_freq_hz") or emitter.bursts[-1].center_freq_hz)
        self.pending.append(_Pending(emitter, dict(event), a, b, fc, sample_rate_hz))

    def flush(self) -> list[Path]:
        """Write every scheduled snippet with what the ring holds (end of the stream)."""
        return [path for p in list(self.pending) if (path := self._write(p)) is not None]

    def _name(self, event: dict[str, Any], when: datetime | None) -> Path:
        when = when or datetime.now(timezone.utc)
        stamp = when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", str(event.get("label", "x")))
        base = f"evidence-{stamp}-{label}-{format_frequency(float(event.get('freq_hz', 0.0)))}-{event.get('emitter_id', 0)}"
        name, n = base, 0
        while (self.directory / f"{name}.sigmf-meta").exists() or (self.directory / f"{name}.sigmf-data").exists():
            n += 1
            name = f"{base}-{n}"
        return self.directory / name

    def _write(self, p: _Pending) -> Path | None:
        from rfclassify.sources.sigmf_io import SigMFWriter

        self.pending.remove(p)
        segs = self.ring.segments(p.a, p.b, p.center_freq_hz)
        if not segs:
            log.warning("evidence for %s: no IQ left in the ring", p.event.get("label"))
            return None
        first_index, first_utc, _ = segs[0]
        path = self._name(p.event, first_utc)
        writer = SigMFWriter(
            path,
            datatype=self.datatype,
            sample_rate_hz=p.sample_rate_hz,
            center_freq_hz=p.center_freq_hz,
            datetime_utc=first_utc,
            hw=self.hw,
            geolocation=self.geolocation,
            description=f"rfclassify watch evidence: {p.event.get('label')} at {p.event.get('freq_hz', 0) / 1e6:.4f} MHz",
            private=True,
            global_extra={
                "rfclassify:sensor_id": self.sensor_id,
                "rfclassify:report_id": p.event.get("report_id"),
                "rfclassify:stream_sample_start": first_index,
            },
        )
        with writer:
            offset = 0
            for start, when, x in segs:
                writer.add_capture(offset, p.center_freq_hz, when)
                writer.write(x)
                offset += len(x)
            self._annotate(writer, p, segs)
        self.written.append(writer.meta_path)
        self.deleted += enforce_limit(self.directory, self.max_bytes, keep=(writer.meta_path, writer.data_path))
        return writer.meta_path

    def _annotate(self, writer: Any, p: _Pending, segs: list[tuple[int, datetime | None, np.ndarray]]) -> None:
        fs = p.sample_rate_hz
        offset = 0
        for start, _when, x in segs:
            for burst in p.emitter.bursts:
                a, b = round(burst.t_start_s * fs), round(burst.t_end_s * fs)
                lo, hi = max(a, start), min(b, start + len(x))
                if hi <= lo:
                    continue
                writer.add_annotation(
                    {
                        "core:sample_start": offset + lo - start,
                        "core:sample_count": hi - lo,
                        "core:freq_lower_edge": burst.f_lo_hz,
                        "core:freq_upper_edge": burst.f_hi_hz,
                        "core:label": burst.label,
                        "core:generator": "rfclassify watch",
                        "rfclassify:confidence": round(float(burst.confidence), 4),
                        "rfclassify:snr_db": round(float(burst.snr_db), 2),
                        "rfclassify:emitter_confidence": p.event.get("confidence"),
                        "rfclassify:report_id": p.event.get("report_id"),
                    }
                )
                for frame in burst.droneid:
                    if frame.crc_ok:
                        self._annotate_frame(writer, frame, fs, start, len(x), offset, p)
            offset += len(x)

    def _annotate_frame(self, writer: Any, frame: DroneIDFrame, fs: float, start: int, n: int, offset: int,
                        p: _Pending) -> None:
        """An annotation over one decoded DroneID frame (``frame``) of a segment of ``n`` samples at ``start``."""
        a, b = round(frame.start_s * fs), round((frame.start_s + frame_duration_s(frame)) * fs)
        lo, hi = max(a, start), min(b, start + n)
        if hi <= lo:
            return
        writer.add_annotation(
            {
                "core:sample_start": offset + lo - start,
                "core:sample_count": hi - lo,
                "core:freq_lower_edge": frame.center_freq_hz - OCCUPIED_HZ / 2,
                "core:freq_upper_edge": frame.center_freq_hz + OCCUPIED_HZ / 2,
                "core:label": DRONEID_LABEL,
                "core:generator": "rfclassify watch",
                ANNOTATION_KEY: self.positions.apply(frame_record(frame)),
                "rfclassify:report_id": p.event.get("report_id"),
            }
        )
