"""SigMF recordings: write them (whole or streamed) and read them back with bounded memory.

SigMF (Signal Metadata Format, https://github.com/sigmf/SigMF, specification
``sigmf-spec.md`` v1.2) stores a recording as a *dataset* file of raw
interleaved samples (``NAME.sigmf-data``) beside a JSON *metadata* file
(``NAME.sigmf-meta``) with three parts:

- ``global``: ``core:datatype`` (``cu8``, ``ci8``, ``ci16_le``, ``cf32_le`` …,
  grammar ``(c|r)(f32|f64|i32|i16|u32|u16|i8|u8)(_le|_be)?``),
  ``core:sample_rate``, ``core:version``, ``core:num_channels`` (channels are
  interleaved sample by sample), ``core:sha512`` of the dataset,
  ``core:extensions`` declaring every non-``core`` namespace used;
- ``captures``: segments sorted by ``core:sample_start``, each with its own
  ``core:frequency`` (centre, Hz) and ``core:datetime`` (ISO 8601 UTC, ``Z``);
- ``annotations``: sorted by ``core:sample_start``, with ``core:sample_count``,
  ``core:freq_lower_edge`` / ``core:freq_upper_edge`` (RF Hz) and ``core:label``.

A ``NAME.sigmf`` *archive* is an uncompressed POSIX tar holding
``NAME/NAME.sigmf-meta`` and ``NAME/NAME.sigmf-data``; we read the dataset
member in place with positioned reads at its byte offset inside the tar, as
sigmf-python's ``archivereader.py`` does, so an archive of any size costs no
extraction and no memory.

The schema check is the ``sigmf`` package's own (``sigmf.validate.validate``,
sigmf-python ≥ 1.2); it runs on every file we write and on every file we
read, where its complaints are kept in :attr:`SigMFSource.problems` rather
than refusing a recording that is usable but not perfectly conforming.
What makes a recording unusable (missing dataset, dataset shorter than its
captures and annotations declare, unsupported datatype, invalid JSON) raises
:class:`rfclassify.errors.InputError`.

rfclassify's own metadata keys use the ``rfclassify`` namespace, declared in
``core:extensions`` as :data:`RFCLASSIFY_EXTENSION`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import tarfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rfclassify import __version__
from rfclassify.errors import InputError
from rfclassify.private_files import open_fd
from rfclassify.sources.base import Capture, FileSource, SourceInfo
from rfclassify.sources.datatypes import DATATYPES, DataType, decode, encode
from rfclassify.sources.datatypes import datatype as lookup_datatype
from rfclassify.sources.fileview import FileComponents
from rfclassify.sources.limits import check_freq, check_rate, format_freq, format_rate, freq_problem
from rfclassify.sources.plausibility import FIRST_BLOCK_COMPONENTS, judge_first_block, zero_unusable

log = logging.getLogger("rfclassify.sources")

SIGMF_SPEC_VERSION = "1.2.0"
RFCLASSIFY_EXTENSION: dict[str, Any] = {"name": "rfclassify", "version": "1.0.0", "optional": True}
META_EXT = ".sigmf-meta"
DATA_EXT = ".sigmf-data"
ARCHIVE_EXT = ".sigmf"
PARTIAL_SUFFIX = ".partial"


def create_file(path: Path, *, private: bool = False) -> Any:
    """Open ``path`` for binary writing (created or truncated); ``private``: mode ``0600`` whatever the umask."""
    return open(open_fd(path, os.O_WRONLY | os.O_TRUNC, private=private), "wb")

_WRITE_CHUNK_SAMPLES = 1 << 18


# ---------------------------------------------------------------------------
# Datatypes beyond the four every source shares (read only).


@dataclass(frozen=True)
class _ReadType:
    """A SigMF complex datatype we can read: component dtype, offset to remove, scale to ±1."""

    name: str
    component: np.dtype
    scale: float
    offset: float

    @property
    def bytes_per_sample(self) -> int:
        return 2 * self.component.itemsize


def _read_types() -> dict[str, _ReadType | DataType]:
    types: dict[str, _ReadType | DataType] = dict(DATATYPES)
    extra = {
        "ci16_be": (">i2", 1 / 32768.0, 0.0),
        "cu16_le": ("<u2", 1 / 32767.5, 32767.5),
        "cu16_be": (">u2", 1 / 32767.5, 32767.5),
        "ci32_le": ("<i4", 1 / 2147483648.0, 0.0),
        "ci32_be": (">i4", 1 / 2147483648.0, 0.0),
        "cf32_be": (">f4", 1.0, 0.0),
        "cf64_le": ("<f8", 1.0, 0.0),
        "cf64_be": (">f8", 1.0, 0.0),
    }
    for name, (dt, scale, offset) in extra.items():
        types[name] = _ReadType(name, np.dtype(dt), scale, offset)
    # SigMF allows 8-bit types without an endianness suffix only; the bare
    # 16/32-bit spellings are not SigMF but appear in the wild, read as little-endian.
    types["ci16"] = types["ci16_le"]
    types["cu16"] = types["cu16_le"]
    types["cf32"] = types["cf32_le"]
    types["cf64"] = types["cf64_le"]
    return types


READ_DATATYPES: dict[str, _ReadType | DataType] = _read_types()
WRITE_DATATYPES: tuple[str, ...] = tuple(DATATYPES)


def decode_components(raw: np.ndarray, dtype: _ReadType | DataType, num_channels: int = 1) -> np.ndarray:
    """Interleaved components of any readable datatype → complex64 ``(n,)`` or ``(n, channels)``."""
    if isinstance(dtype, DataType):
        return decode(raw, dtype, num_channels)
    flat = raw.astype(np.float32)
    if dtype.offset:
        flat -= np.float32(dtype.offset)
    if dtype.scale != 1.0:
        flat *= np.float32(dtype.scale)
    out = flat.view(np.complex64)
    return out.reshape(-1, num_channels) if num_channels > 1 else out


# ---------------------------------------------------------------------------
# Paths, times, JSON.


def sigmf_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``(meta_path, data_path)`` for a base name, a ``.sigmf-meta`` or a ``.sigmf-data`` path."""
    p = Path(path)
    name = p.name
    for ext in (META_EXT, DATA_EXT):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    base = p.with_name(name)
    return base.with_name(name + META_EXT), base.with_name(name + DATA_EXT)


def format_datetime(when: datetime) -> str:
    """SigMF ``core:datetime``: ISO 8601 in UTC with a ``Z``; naive times are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def recording_info(
    format_name: str,
    datatype: str,
    rate_hz: float,
    first: Capture,
    num_samples: int,
    *,
    num_channels: int = 1,
    annotation_count: int = 0,
) -> SourceInfo:
    """The :class:`SourceInfo` of a recording of ``num_samples`` at ``rate_hz`` whose first capture is ``first``."""
    rate_hz = float(rate_hz)
    return SourceInfo(
        format=format_name,
        datatype=datatype,
        sample_rate_hz=rate_hz,
        center_freq_hz=first.center_freq_hz,
        num_channels=num_channels,
        num_samples=num_samples,
        duration_s=num_samples / rate_hz,
        datetime=format_datetime(first.datetime) if first.datetime else None,
        annotation_count=annotation_count,
    )


def parse_datetime(text: str) -> datetime:
    """Parse a SigMF ``core:datetime`` (``…Z`` or with an offset, any fraction digits) to aware UTC.

    Raises ``ValueError`` on text that is not ISO 8601.
    """
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    # Python < 3.11 accepts only 3 or 6 fraction digits: normalise to 6.
    head, sep, rest = t.partition(".")
    if sep:
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        t = f"{head}.{(digits + '000000')[:6]}{rest[i:]}"
    when = datetime.fromisoformat(t)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, datetime):
        return format_datetime(obj)
    raise TypeError(f"not JSON serialisable in SigMF metadata: {type(obj).__name__}")


def _plain(value: Any) -> Any:
    """Round-trip through JSON so numpy scalars become plain numbers (and errors show early)."""
    return json.loads(json.dumps(value, default=_json_default))


def _number(value: float) -> int | float:
    """Whole numbers as JSON integers (``2400000`` rather than ``2400000.0``)."""
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _geolocation(geo: Any) -> dict[str, Any]:
    """GeoJSON point from a dict, or ``(lat, lon)`` / ``(lat, lon, alt_m)`` degrees."""
    if isinstance(geo, Mapping):
        return dict(geo)
    vals = [float(v) for v in geo]
    if len(vals) not in (2, 3):
        raise ValueError("geolocation must be (lat, lon) or (lat, lon, alt_m)")
    lat, lon = vals[0], vals[1]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"geolocation out of range: lat={lat}, lon={lon}")
    return {"type": "Point", "coordinates": [lon, lat, *vals[2:]]}


def _namespaces(meta: Mapping[str, Any]) -> set[str]:
    used: set[str] = set()

    def scan(d: Mapping[str, Any]) -> None:
        used.update(k.split(":", 1)[0] for k in d if ":" in k)

    scan(meta.get("global", {}))
    for section in ("captures", "annotations"):
        for item in meta.get(section, []):
            scan(item)
    used.discard("core")
    return used


@functools.lru_cache(maxsize=1)
def _schema_validator() -> Any:
    """The ``sigmf`` package's schema as a ready validator: building one (and checking the schema
    itself, as ``jsonschema.validate`` does on every call) cost more than validating a recording."""
    import jsonschema
    from sigmf import schema

    ref = schema.get_schema()
    return jsonschema.validators.validator_for(ref)(ref)


def validation_problems(meta: Mapping[str, Any]) -> list[str]:
    """What the ``sigmf`` package's schema check says about ``meta`` (empty when valid)."""
    try:
        import jsonschema
        from sigmf.validate import validate
    except ImportError:  # pragma: no cover - sigmf is a dependency
        return []
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            error = jsonschema.exceptions.best_match(_schema_validator().iter_errors(dict(meta)))
            if error is not None:
                raise error
            # The package's checks beyond the schema (extension namespaces, sample_start order);
            # the schema itself was checked above, once per process.
            validate(dict(meta), ref_schema={})
        except jsonschema.exceptions.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            problems.append(f"{where or 'metadata'}: {exc.message}")
        except (KeyError, TypeError) as exc:
            problems.append(f"metadata: malformed ({exc})")
    problems.extend(str(w.message) for w in caught if issubclass(w.category, Warning))
    return problems


# ---------------------------------------------------------------------------
# Writing.


def _check_writable(paths: Sequence[Path], overwrite: bool) -> None:
    for p in paths:
        if p.exists() and not overwrite:
            raise InputError(p, "already exists; refusing to overwrite a recording (choose another name)")
        if p.is_dir():
            raise InputError(p, "is a directory")
    parent = paths[0].parent
    if not parent.is_dir():
        raise InputError(parent, "output directory does not exist")


class SigMFWriter:
    """Stream samples into a SigMF recording; the metadata is written on :meth:`close`.

    Samples go to ``NAME.sigmf-data.partial`` and are renamed to
    ``NAME.sigmf-data`` only on close, just before ``NAME.sigmf-meta``
    appears, so an interrupted run never leaves a recording that looks
    complete. Used as a context manager, the recording is finished on a clean
    exit or on ``KeyboardInterrupt`` (what was recorded until Ctrl-C is kept)
    and discarded on any other exception.

    The first capture segment (sample 0, ``center_freq_hz``, ``datetime_utc``)
    exists from the start; :meth:`add_capture` starts later segments.
    Annotation dicts use SigMF keys (``core:sample_start`` is required) and
    may carry ``rfclassify:*`` keys; they are sorted by start on close.
    With ``private=True`` (a node's evidence) both files are created ``0600``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        datatype: str,
        sample_rate_hz: float,
        center_freq_hz: float,
        num_channels: int = 1,
        global_extra: Mapping[str, Any] | None = None,
        datetime_utc: datetime | None = None,
        description: str | None = None,
        hw: str | None = None,
        geolocation: Any = None,
        capture_extra: Mapping[str, Any] | None = None,
        overwrite: bool = False,
        validate: bool = True,
        private: bool = False,
    ) -> None:
        try:
            self.datatype = lookup_datatype(datatype)
        except KeyError:
            raise ValueError(
                f"cannot write datatype {datatype!r}; choose one of {', '.join(WRITE_DATATYPES)}"
            ) from None
        if not (sample_rate_hz > 0 and math.isfinite(sample_rate_hz)):
            raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
        if num_channels < 1:
            raise ValueError("num_channels must be >= 1")
        self.meta_path, self.data_path = sigmf_paths(path)
        _check_writable([self.meta_path, self.data_path], overwrite)
        self.partial_path = self.data_path.with_name(self.data_path.name + PARTIAL_SUFFIX)
        self.sample_rate_hz = float(sample_rate_hz)
        self.num_channels = int(num_channels)
        self.num_samples = 0
        self._validate = validate
        self._private = private
        self._global: dict[str, Any] = {
            "core:datatype": self.datatype.name,
            "core:sample_rate": _number(sample_rate_hz),
            "core:version": SIGMF_SPEC_VERSION,
        }
        if num_channels != 1:
            self._global["core:num_channels"] = self.num_channels
        if description:
            self._global["core:description"] = description
        if hw:
            self._global["core:hw"] = hw
        if geolocation is not None:
            self._global["core:geolocation"] = _geolocation(geolocation)
        self._global["core:recorder"] = f"rfclassify {__version__}"
        self._global_extra = _plain(dict(global_extra or {}))
        self._captures: list[dict[str, Any]] = []
        self._annotations: list[dict[str, Any]] = []
        self.add_capture(0, center_freq_hz, datetime_utc, capture_extra)
        self._hash = hashlib.sha512()
        self._file = create_file(self.partial_path, private=private)  # closed in close()/abort()
        self._closed = False

    # -- samples and metadata ------------------------------------------------

    def write(self, samples: np.ndarray) -> None:
        """Append complex samples: shape ``(n,)`` for one channel, ``(n, channels)`` otherwise."""
        if self._closed:
            raise ValueError("write to a closed SigMFWriter")
        x = np.asarray(samples)
        if self.num_channels == 1 and x.ndim == 2 and x.shape[1] == 1:
            x = x[:, 0]
        expected = 1 if self.num_channels == 1 else 2
        if x.ndim != expected or (expected == 2 and x.shape[1] != self.num_channels):
            raise ValueError(
                f"samples of shape {x.shape} do not fit {self.num_channels} channel(s): "
                "expected (n,) for one channel or (n, channels)"
            )
        for i in range(0, len(x), _WRITE_CHUNK_SAMPLES):
            data = encode(x[i : i + _WRITE_CHUNK_SAMPLES], self.datatype).tobytes()
            self._file.write(data)
            self._hash.update(data)
        # Flushed per call so the bytes on disk (and progress shown from them) keep up.
        self._file.flush()
        self.num_samples += len(x)

    def add_capture(
        self,
        sample_start: int,
        center_freq_hz: float,
        datetime_utc: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Start a capture segment at ``sample_start`` (ascending) tuned to ``center_freq_hz``.

        A segment at the same start as the last one replaces it.
        """
        sample_start = int(sample_start)
        if self._captures and sample_start < self._captures[-1]["core:sample_start"]:
            raise ValueError("captures must be added in ascending core:sample_start order")
        cap: dict[str, Any] = {"core:sample_start": sample_start, "core:frequency": _number(center_freq_hz)}
        if datetime_utc is not None:
            cap["core:datetime"] = format_datetime(datetime_utc)
        cap.update(_plain(dict(extra or {})))
        if self._captures and self._captures[-1]["core:sample_start"] == sample_start:
            self._captures[-1] = cap
        else:
            self._captures.append(cap)

    def add_annotation(self, annotation: Mapping[str, Any]) -> None:
        """Add one annotation (SigMF keys; ``core:sample_start`` required)."""
        ann = _plain(dict(annotation))
        if "core:sample_start" not in ann:
            raise ValueError("an annotation needs core:sample_start")
        ann["core:sample_start"] = int(ann["core:sample_start"])
        if "core:sample_count" in ann:
            ann["core:sample_count"] = int(ann["core:sample_count"])
        self._annotations.append(ann)

    def metadata(self) -> dict[str, Any]:
        """The metadata as it stands (what :meth:`close` writes)."""
        glob = dict(self._global)
        if "core:sha512" not in self._global_extra:
            glob["core:sha512"] = self._hash.hexdigest()
        extra = dict(self._global_extra)
        extensions = [dict(e) for e in extra.pop("core:extensions", [])]
        glob.update(extra)
        meta = {
            "global": glob,
            "captures": list(self._captures),
            "annotations": sorted(self._annotations, key=lambda a: a["core:sample_start"]),
        }
        declared = {e.get("name") for e in extensions}
        for ns in sorted(_namespaces(meta) - declared):
            if ns == RFCLASSIFY_EXTENSION["name"]:
                extensions.append(dict(RFCLASSIFY_EXTENSION))
        if extensions:
            glob["core:extensions"] = extensions
        return meta

    # -- finishing -----------------------------------------------------------

    def close(self) -> Path:
        """Finish the recording: rename the dataset into place, then write the metadata."""
        if self._closed:
            return self.meta_path
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._closed = True
        meta = self.metadata()
        if self._validate:
            problems = [p for p in validation_problems(meta) if p]
            if problems:
                self.partial_path.unlink(missing_ok=True)
                raise ValueError(f"{self.meta_path}: SigMF metadata would be invalid: {problems[0]}")
        text = json.dumps(meta, indent=2, default=_json_default) + "\n"
        os.replace(self.partial_path, self.data_path)
        tmp_meta = self.meta_path.with_name(self.meta_path.name + PARTIAL_SUFFIX)
        with create_file(tmp_meta, private=self._private) as meta_file:
            meta_file.write(text.encode("utf-8"))
        os.replace(tmp_meta, self.meta_path)
        return self.meta_path

    def abort(self) -> None:
        """Discard the recording: nothing is left under the final names."""
        if not self._closed:
            self._file.close()
            self._closed = True
        self.partial_path.unlink(missing_ok=True)

    def __enter__(self) -> SigMFWriter:  # noqa: PYI034 - Python 3.10 has no typing.Self
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            self.close()
        else:
            self.abort()


def write_sigmf(
    path: str | os.PathLike[str],
    samples: np.ndarray,
    *,
    datatype: str,
    sample_rate_hz: float,
    center_freq_hz: float,
    annotations: Iterable[Mapping[str, Any]] = (),
    captures: Iterable[Mapping[str, Any]] | None = None,
    global_extra: Mapping[str, Any] | None = None,
    datetime_utc: datetime | None = None,
    description: str | None = None,
    hw: str | None = None,
    geolocation: Any = None,
    overwrite: bool = False,
) -> Path:
    """Write ``samples`` (complex, ``(n,)`` or ``(n, channels)``) as ``NAME.sigmf-data`` + ``.sigmf-meta``.

    ``path`` is the base name or the ``.sigmf-meta`` / ``.sigmf-data`` path.
    ``captures`` (SigMF capture dicts, ``core:sample_start`` required,
    ``core:frequency`` and ``core:datetime`` optional) replace the single
    default capture at sample 0. Identical inputs give identical bytes (no
    time stamp unless ``datetime_utc`` is given). Refuses to overwrite
    existing files (:class:`InputError`) unless ``overwrite``.
    Returns the ``.sigmf-meta`` path.
    """
    x = np.asarray(samples)
    num_channels = 1 if x.ndim == 1 else int(x.shape[1])
    writer = SigMFWriter(
        path,
        datatype=datatype,
        sample_rate_hz=sample_rate_hz,
        center_freq_hz=center_freq_hz,
        num_channels=num_channels,
        global_extra=global_extra,
        datetime_utc=datetime_utc,
        description=description,
        hw=hw,
        geolocation=geolocation,
        overwrite=overwrite,
    )
    try:
        writer.write(x)
        for cap in captures or ():
            cap = dict(cap)
            start = int(cap.pop("core:sample_start"))
            freq = cap.pop("core:frequency", center_freq_hz)
            when = cap.pop("core:datetime", None)
            if isinstance(when, str):
                when = parse_datetime(when)
            writer.add_capture(start, freq, when, cap)
        for ann in annotations:
            writer.add_annotation(ann)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def write_archive(
    meta_path: str | os.PathLike[str], archive_path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Pack a ``.sigmf-meta``/``.sigmf-data`` pair into an uncompressed ``NAME.sigmf`` tar archive.

    Members are ``NAME/NAME.sigmf-meta`` and ``NAME/NAME.sigmf-data`` with
    fixed owner and time, so the archive's bytes depend on the contents only.
    """
    meta, data = sigmf_paths(meta_path)
    out = Path(archive_path)
    if not out.name.endswith(ARCHIVE_EXT):
        out = out.with_name(out.name + ARCHIVE_EXT)
    _check_writable([out], overwrite)
    name = out.name[: -len(ARCHIVE_EXT)]
    tmp = out.with_name(out.name + PARTIAL_SUFFIX)
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for src, ext in ((meta, META_EXT), (data, DATA_EXT)):
            info = tar.gettarinfo(str(src), arcname=f"{name}/{name}{ext}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.mode = 0o644
            with open(src, "rb") as fh:
                tar.addfile(info, fh)
    os.replace(tmp, out)
    return out


# ---------------------------------------------------------------------------
# Reading.


def _load_json(text: bytes | str, where: object) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except UnicodeDecodeError:
        raise InputError(where, "metadata is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(where, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # numbers past int's digit limit, nesting past the stack
        raise InputError(where, f"invalid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("global"), dict):
        raise InputError(where, "not SigMF metadata: no \"global\" object")
    return meta


def _show(value: Any, limit: int = 40) -> str:
    """A metadata value as it reads in JSON (``null``, ``"915M"``), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_int(value: Any) -> int | None:
    """A JSON integer (or a float with an integral value), else ``None``; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _as_hz(value: Any) -> tuple[float | None, bool]:
    """``(Hz, was_text)`` of a JSON number, or of text in the CLI's unit syntax (``"915M"``).

    ``(None, False)`` for anything else (``null``, booleans, lists, unparsable
    text, non-finite numbers). Text is accepted because ``"915M"`` means one
    thing in the syntax ``--freq`` takes; the caller warns that it is text.
    """
    from rfclassify.units import parse_frequency

    if isinstance(value, bool):
        return None, False
    if isinstance(value, (int, float)):
        try:
            hz = float(value)
        except OverflowError:
            return None, False
        return (hz if math.isfinite(hz) else None), False
    if isinstance(value, str) and len(value) <= 40:
        try:
            hz = parse_frequency(value)
        except (ValueError, OverflowError):
            return None, False
        return (hz if math.isfinite(hz) else None), True
    return None, False


def _warn(where: object, problem: str) -> None:
    """One warning line naming the file, on the ``rfclassify.sources`` logger."""
    log.warning("%s: %s", where, problem)


def _summarise(where: object, what: str, problems: list[str]) -> None:
    """One warning for several skipped items: the first problem and how many more."""
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        _warn(where, f"{len(problems)} {what} skipped: {problems[0]}{more}")


def _items(meta: Mapping[str, Any], key: str, where: object) -> list[Any]:
    """The ``captures`` / ``annotations`` list (empty, with a warning, when it is not a list)."""
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _warn(where, f"{key} is {type(value).__name__}, not a list; ignored")
        return []
    return value


def _byte_count(glob: Mapping[str, Any], key: str, where: object) -> int:
    value = glob.get(key, 0)
    count = 0 if value is None else _as_int(value)
    if count is None or count < 0:
        raise InputError(where, f"{key} is not a byte count: {_show(value)}")
    return count


MAX_CHANNELS = 1024


class SigMFSource(FileSource):
    """A SigMF recording (pair or archive) read with positioned reads (bounded RSS).

    Blocks are complex64 ``(n,)`` or ``(n, channels)``; :attr:`captures`
    carries each segment's centre frequency and start time; annotations and
    the global object are available as :attr:`annotations` and
    :attr:`metadata`. ``rate_hz`` / ``freq_hz`` override the file's rate and
    every capture's centre frequency.

    What is valid is read and the rest is warned about (one line each on the
    ``rfclassify.sources`` logger): a capture or annotation that is not an
    object or whose sample range is not a pair of non-negative integers is
    skipped; a ``core:frequency`` that is not a number is unknown (the
    previous capture's frequency holds, and the first capture then needs
    ``freq_hz``), except text in the ``--freq`` syntax (``"915M"``), which
    is read; a bad ``core:datetime`` is unknown; unsorted captures are
    sorted; a dataset shorter than the captures or annotations declare, or
    not a whole number of samples long, is read up to its last whole sample,
    and captures and annotations that start past its end are dropped.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        rate_hz: float | None = None,
        freq_hz: float | None = None,
    ) -> None:
        p = Path(path)
        self.path = str(p)
        if p.name.endswith(ARCHIVE_EXT):
            meta, data_file, offset, size = self._open_archive(p)
            fmt = "sigmf-archive"
        else:
            meta_path, data_path = sigmf_paths(p)
            if not meta_path.is_file():
                raise InputError(meta_path, "SigMF metadata file not found")
            try:
                meta = _load_json(meta_path.read_bytes(), meta_path)
            except OSError as exc:
                raise InputError(meta_path, f"cannot read: {exc.strerror or exc}") from None
            if not data_path.is_file():
                raise InputError(meta_path, f"its dataset {data_path.name} is missing")
            data_file, offset, size = data_path, 0, data_path.stat().st_size
            fmt = "sigmf"
            self.path = str(meta_path)
        self.data_path = str(data_file)
        self._meta = meta
        glob: dict[str, Any] = meta["global"]
        where = self.path

        dt_value = glob.get("core:datatype", "")
        dt_name = dt_value if isinstance(dt_value, str) else _show(dt_value)
        dtype = READ_DATATYPES.get(dt_name.lower())
        if dtype is None:
            kind = "real-valued samples" if dt_name.startswith("r") else "this datatype"
            raise InputError(
                where,
                f"unsupported datatype {dt_name[:40]!r} ({kind}); supported: "
                + ", ".join(sorted(k for k in READ_DATATYPES if "_" in k or k in ("cu8", "ci8"))),
            )
        self._dtype = dtype
        channels_value = glob.get("core:num_channels", 1)
        channels = _as_int(channels_value)
        if channels is None:
            raise InputError(where, f"core:num_channels is not an integer: {_show(channels_value)}")
        if not 1 <= channels <= MAX_CHANNELS:
            raise InputError(where, f"core:num_channels must be 1 to {MAX_CHANNELS}, got {channels}")
        self._channels = channels

        if rate_hz is None:
            rate = glob.get("core:sample_rate")
            if rate is None:
                raise InputError(where, "no sample rate (core:sample_rate); give one with --rate")
            rate_hz, was_text = _as_hz(rate)
            if rate_hz is None:
                raise InputError(where, f"core:sample_rate is not a number: {_show(rate)}; give one with --rate")
            if was_text:
                _warn(where, f"core:sample_rate is text {_show(rate)}, not a number; read as {format_rate(rate_hz)}")
        check_rate(where, rate_hz)
        if freq_hz is not None:
            check_freq(where, freq_hz)

        frame_bytes = dtype.bytes_per_sample * channels
        trailing = _byte_count(glob, "core:trailing_bytes", where)
        header = _byte_count(glob, "core:header_bytes", where) if "core:dataset" in glob else 0
        usable = size - trailing - header
        if usable < 0:
            raise InputError(
                self.data_path,
                f"holds {size} bytes, fewer than its header and trailing bytes ({header} + {trailing})",
            )
        if usable % frame_bytes:
            _warn(
                self.data_path,
                f"truncated: {usable} bytes is not a whole number of {dtype.name} samples "
                f"({frame_bytes} bytes each" + (f" for {channels} channels)" if channels > 1 else ")")
                + f"; reading the first {usable // frame_bytes} samples",
            )
        n = usable // frame_bytes
        self._mm: np.ndarray | FileComponents
        if n:
            try:
                self._mm = FileComponents(data_file, dtype.component, offset + header, n * 2 * channels)
            except OSError as exc:
                raise InputError(self.data_path, f"cannot read: {exc.strerror or exc}") from None
        else:
            self._mm = np.zeros(0, dtype=dtype.component)
        self._zeroed = 0
        verdict = judge_first_block(self._mm[: min(n * 2 * channels, FIRST_BLOCK_COMPONENTS)], dtype.name)
        if verdict.error:
            self.close()
            raise InputError(self.data_path, f"{verdict.error}; is core:datatype right?")
        if verdict.warning:
            _warn(self.data_path, verdict.warning)

        self.captures = self._parse_captures(_items(meta, "captures", where), freq_hz, where, n)
        self._annotations = self._parse_annotations(_items(meta, "annotations", where), where, n)
        self.problems: list[str] = validation_problems(meta)

        self.info = recording_info(
            fmt,
            dtype.name,
            rate_hz,
            self.captures[0],
            n,
            num_channels=channels,
            annotation_count=len(self._annotations),
        )

    # -- opening ---------------------------------------------------------------

    @staticmethod
    def _open_archive(path: Path) -> tuple[dict[str, Any], Path, int, int]:
        if not path.is_file():
            raise InputError(path, "SigMF archive not found")
        try:
            # uncompressed only: reads need the bytes in place
            with tarfile.open(path, "r:") as tar:
                members = [m for m in tar.getmembers() if m.isfile()]
                metas = sorted((m for m in members if m.name.endswith(META_EXT)), key=lambda m: m.name)
                if not metas:
                    raise InputError(path, "archive holds no .sigmf-meta file")
                meta_member = metas[0]
                fh = tar.extractfile(meta_member)
                assert fh is not None
                meta = _load_json(fh.read(), f"{path}:{meta_member.name}")
        except (tarfile.TarError, EOFError) as exc:
            raise InputError(path, f"not an uncompressed SigMF tar archive, or a damaged one ({exc})") from None
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        want = meta_member.name[: -len(META_EXT)] + DATA_EXT
        data = next((m for m in members if m.name == want), None)
        if data is None:
            raise InputError(path, f"archive has no dataset {want}")
        present = max(0, min(data.size, path.stat().st_size - data.offset_data))
        if present < data.size:
            _warn(path, f"archive is truncated: its dataset {want} holds {present} of {data.size} bytes")
        return meta, path, data.offset_data, present

    def _parse_captures(
        self, raw_caps: list[Any], freq_hz: float | None, where: str, n: int
    ) -> list[Capture]:
        skipped: list[str] = []
        entries: list[tuple[int, int, dict[str, Any]]] = []
        for i, cap in enumerate(raw_caps):
            if not isinstance(cap, dict):
                skipped.append(f"capture {i} is {type(cap).__name__}, not an object")
                continue
            start_value = cap.get("core:sample_start", 0)
            start = _as_int(start_value)
            if start is None or start < 0:
                skipped.append(f"capture {i}: core:sample_start {_show(start_value)} is not a sample index")
                continue
            entries.append((start, i, cap))
        _summarise(where, "capture(s)", skipped)
        if [e[0] for e in entries] != sorted(e[0] for e in entries):
            _warn(where, "captures are not sorted by core:sample_start; read in sample order")
            entries.sort(key=lambda e: e[0])
        past_end = [e for e in entries[1:] if e[0] >= n]
        if past_end:
            _warn(
                where,
                f"dataset {Path(self.data_path).name} is shorter than declared: it holds {n} samples but "
                f"{len(past_end)} capture(s) start at or after sample {past_end[0][0]}; they are dropped",
            )
            entries = [e for e in entries if e is entries[0] or e[0] < n]
        if not entries:
            entries = [(0, 0, {})]

        caps: list[Capture] = []
        last_freq: float | None = None
        for start, i, cap in entries:
            f = self._capture_freq(cap, i, freq_hz, last_freq, where)
            last_freq = f
            when = None
            raw_when = cap.get("core:datetime")
            if raw_when:
                try:
                    when = parse_datetime(raw_when) if isinstance(raw_when, str) else None
                except (ValueError, OverflowError):
                    when = None
                if when is None:
                    _warn(where, f"capture {i}: core:datetime {_show(raw_when)} is not ISO 8601; start time unknown")
            extra = {k: v for k, v in cap.items() if k not in ("core:sample_start", "core:frequency", "core:datetime")}
            caps.append(Capture(start, f, when, extra))
        if caps[0].sample_start != 0:
            # Samples before the first segment belong to it (SigMF leaves them undefined).
            caps[0] = Capture(0, caps[0].center_freq_hz, caps[0].datetime, caps[0].extra)
        return caps

    @staticmethod
    def _capture_freq(
        cap: Mapping[str, Any], i: int, freq_hz: float | None, last_freq: float | None, where: str
    ) -> float:
        """A capture's centre frequency: the override, its own, else the previous capture's."""
        if freq_hz is not None:
            return float(freq_hz)
        why = "no core:frequency"
        if "core:frequency" in cap:
            value = cap["core:frequency"]
            hz, was_text = _as_hz(value)
            problem = freq_problem(hz) if hz is not None else None
            if hz is not None and problem is None:
                if was_text:
                    _warn(where, f"capture {i}: core:frequency is text {_show(value)}, not a number; "
                                 f"read as {format_freq(hz)}")
                return hz
            why = f"core:frequency {_show(value)} is " + (problem or "not a number")
            if last_freq is not None:
                _warn(where, f"capture {i}: {why}; keeping the previous capture's {format_freq(last_freq)}")
        if last_freq is not None:
            return last_freq
        raise InputError(where, f"no centre frequency (capture {i}: {why}); give one with --freq")

    @staticmethod
    def _parse_annotations(raw_anns: list[Any], where: str, n: int) -> list[dict[str, Any]]:
        """The annotations with a valid sample range (and numeric frequency edges where given)."""
        kept: list[dict[str, Any]] = []
        skipped: list[str] = []
        past_end = 0
        reach = 0
        for i, ann in enumerate(raw_anns):
            if not isinstance(ann, dict):
                skipped.append(f"annotation {i} is {type(ann).__name__}, not an object")
                continue
            problem = None
            for key, required in (("core:sample_start", True), ("core:sample_count", False)):
                if key not in ann and not required:
                    continue
                value = _as_int(ann.get(key))
                if value is None or value < 0:
                    problem = f"{key} {_show(ann.get(key))} is not a sample index"
                    break
            for key in ("core:freq_lower_edge", "core:freq_upper_edge"):
                if problem is None and ann.get(key) is not None:
                    edge = ann[key]
                    if isinstance(edge, bool) or not isinstance(edge, (int, float)) or not math.isfinite(edge):
                        problem = f"{key} {_show(edge)} is not a number"
            if problem is not None:
                skipped.append(f"annotation {i}: {problem}")
                continue
            first = int(ann["core:sample_start"])
            reach = max(reach, first + int(ann.get("core:sample_count", 0)))
            if first >= n:
                past_end += 1
            else:
                kept.append(ann)
        _summarise(where, "annotation(s)", skipped)
        if reach > n:
            dropped = f"; {past_end} annotation(s) starting after its end are dropped" if past_end else ""
            _warn(where, f"dataset is shorter than declared: it holds {n} samples but annotations "
                         f"reach sample {reach}{dropped}")
        return kept

    # -- reading ---------------------------------------------------------------

    def read(self, start: int, count: int) -> np.ndarray:
        """``count`` samples from ``start`` as complex64 ``(n,)`` or ``(n, channels)`` (a copy)."""
        n = self.num_samples
        start = max(0, min(int(start), n))
        stop = max(start, min(start + int(count), n))
        step = 2 * self._channels
        raw = np.array(self._mm[start * step : stop * step])
        out = decode_components(raw, self._dtype, self._channels)
        if self._dtype.component.kind == "f":
            zeroed = zero_unusable(out)
            if zeroed and not self._zeroed:
                _warn(self.data_path, f"{zeroed} NaN, infinite or absurd samples in the block at sample {start} "
                                      "set to 0 (later ones too)")
            self._zeroed += zeroed
        return out

    @property
    def annotations(self) -> list[dict[str, Any]]:
        """The recording's SigMF annotations (dicts, as in the file)."""
        return self._annotations

    @property
    def metadata(self) -> dict[str, Any]:
        """The SigMF ``global`` object."""
        return self._meta["global"]

    @property
    def sigmf(self) -> dict[str, Any]:
        """The whole metadata document (``global``, ``captures``, ``annotations``)."""
        return self._meta

    def close(self) -> None:
        if isinstance(self._mm, FileComponents):
            self._mm.close()
        self._mm = np.zeros(0, dtype=self._dtype.component)


def read_sigmf(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Whole recording and its metadata at once (small files and tests): ``(samples, meta)``."""
    with SigMFSource(path) as src:
        assert isinstance(src, SigMFSource)
        return src.read_all(), src.sigmf
