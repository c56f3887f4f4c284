"""Fuzz: over a thousand malformed inputs through ``info`` and ``classify``, and not one traceback.

Inputs come from a seeded generator (so a failure names a case that can be
replayed): mutated SigMF metadata (wrong types, missing keys, huge, negative
and non-finite numbers, truncated text, bad UTF-8) beside datasets of odd
lengths; raw files of random and structured bytes under every extension;
SigMF archives truncated, corrupted or compressed; and option values
(``--rate``, ``--freq``, ``--format``) from plausible to absurd. Every run
goes through the real CLI entry point in-process and must end with exit
status 0 (the input was usable) or 2 (one line saying why), with no
traceback and no numpy warning (they are raised as errors here).
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import random
import tarfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from rfclassify.cli.main import main
from rfclassify.sources.datatypes import datatype, encode
from rfclassify.sources.raw import RAW_EXTENSIONS
from rfclassify.sources.sigmf_io import write_archive, write_sigmf

SEED = 17
RATE_HZ = 250e3
SAMPLES = 2000  # 8 ms at 250 kS/s: classify is quick, the readers still see whole blocks

EVIL_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, -(2**63), 2**64, 10**30, 1e308, -1e308, 1e-320, float("nan"),
    float("inf"), -float("inf"), 0.5, "", "915M", "2.4G", "abc", "1e6", "-915M", "nan", [], [1, 2], {},
    {"a": 1}, "2023-13-45T99:00:00Z", "x" * 300,
]
GLOBAL_KEYS = [
    "core:datatype", "core:sample_rate", "core:num_channels", "core:version", "core:header_bytes",
    "core:trailing_bytes", "core:dataset", "core:sha512", "core:extensions", "core:description",
]
CAPTURE_KEYS = ["core:sample_start", "core:frequency", "core:datetime", "core:global_index"]
ANNOTATION_KEYS = [
    "core:sample_start", "core:sample_count", "core:freq_lower_edge", "core:freq_upper_edge",
    "core:label", "core:description",
]
RATE_VALUES = ["1e30", "10", "0", "-2.4M", "nan", "inf", "1e-300", "abc", "", "999", "1k", "250k", "2.4M",
               "100G", "1e12", "0.0001", "5e9"]
FREQ_VALUES = ["-915M", "0", "915M", "nan", "inf", "1e30", "abc", "", "2.4G", "3e12", "1e13", "-0", "433.92M",
               "1e-300"]


def _signal(rng: np.random.Generator, n: int = SAMPLES) -> np.ndarray:
    x = 0.05 * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    burst = slice(n // 4, n // 2)
    x[burst] += 0.5 * np.exp(2j * np.pi * 0.1 * np.arange(burst.stop - burst.start))
    return x.astype(np.complex64)


def _base_meta(rng: random.Random) -> dict[str, Any]:
    caps = [{"core:sample_start": 0, "core:frequency": 915e6, "core:datetime": "2024-05-01T12:00:00Z"}]
    if rng.random() < 0.5:
        caps.append({"core:sample_start": SAMPLES // 2, "core:frequency": 916e6})
    anns = [
        {"core:sample_start": rng.randrange(SAMPLES), "core:sample_count": rng.randrange(1, 500),
         "core:freq_lower_edge": 914.9e6, "core:freq_upper_edge": 915.1e6, "core:label": "burst"}
        for _ in range(rng.randrange(4))
    ]
    glob = {"core:datatype": rng.choice(["cu8", "ci8", "ci16_le", "cf32_le"]), "core:sample_rate": RATE_HZ,
            "core:version": "1.2.0"}
    return {"global": glob, "captures": caps, "annotations": anns}


def _mutate_meta(meta: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    meta = copy.deepcopy(meta)
    for _ in range(rng.randrange(1, 4)):
        what = rng.random()
        glob, caps, anns = meta.get("global"), meta.get("captures"), meta.get("annotations")
        if what < 0.35 and isinstance(glob, dict):
            glob[rng.choice(GLOBAL_KEYS)] = rng.choice(EVIL_VALUES)
        elif what < 0.6 and isinstance(caps, list) and caps and isinstance(caps[0], dict):
            rng.choice(caps)[rng.choice(CAPTURE_KEYS)] = rng.choice(EVIL_VALUES)
        elif what < 0.75 and isinstance(anns, list):
            anns.append({k: rng.choice(EVIL_VALUES) for k in rng.sample(ANNOTATION_KEYS, 3)})
        elif what < 0.85:
            section = rng.choice(["captures", "annotations", "global"])
            if rng.random() < 0.5:
                meta.pop(section, None)
            else:
                meta[section] = rng.choice(EVIL_VALUES)
        else:
            section = meta.get(rng.choice(["global", "captures"]))
            target = section[0] if isinstance(section, list) and section else section
            if isinstance(target, dict) and target:
                target.pop(rng.choice(list(target)))
    return meta


def _meta_bytes(meta: dict[str, Any], rng: random.Random) -> bytes:
    text = json.dumps(meta, allow_nan=True).encode()
    what = rng.random()
    if what < 0.1:
        return text[: rng.randrange(len(text))]
    if what < 0.2:
        pos = rng.randrange(len(text))
        return text[:pos] + bytes([0xFF, 0xFE, 0xC3]) + text[pos:]
    if what < 0.25:
        return b"[" * 100_000 + b"]" * 100_000
    if what < 0.3:
        return text.replace(b"250000", b"2" + b"5" * 5000)
    return text


def _data_bytes(dtype_name: str, rng: random.Random, nrng: np.random.Generator) -> bytes:
    what = rng.random()
    if what < 0.5:
        data = encode(_signal(nrng), datatype(dtype_name)).tobytes()
    else:
        data = nrng.integers(0, 256, rng.randrange(4 * SAMPLES), dtype=np.uint8).tobytes()
    if rng.random() < 0.4:
        data = data[: rng.randrange(len(data) + 1)]
    return data


def _sigmf_cases(tmp: Path, rng: random.Random, nrng: np.random.Generator, count: int) -> Iterator[list[str]]:
    for i in range(count):
        meta = _mutate_meta(_base_meta(rng), rng)
        dt = meta.get("global", {}).get("core:datatype") if isinstance(meta.get("global"), dict) else None
        stem = tmp / f"s{i}"
        (stem.with_suffix(".sigmf-meta")).write_bytes(_meta_bytes(meta, rng))
        if rng.random() < 0.95:
            dt_name = dt if isinstance(dt, str) and dt in ("cu8", "ci8", "ci16_le", "cf32_le") else "cu8"
            stem.with_suffix(".sigmf-data").write_bytes(_data_bytes(dt_name, rng, nrng))
        yield [str(stem.with_suffix(".sigmf-meta"))]


def _raw_cases(tmp: Path, rng: random.Random, nrng: np.random.Generator, count: int) -> Iterator[list[str]]:
    extensions = [*RAW_EXTENSIONS, ".wav", ".bin", ".sigmf-data", ".sigmf", ".iq", ""]
    for i in range(count):
        ext = rng.choice(extensions)
        name = rng.choice([f"r{i}_915M_250k", f"r{i}", f"r{i}_433.92M_1M", "gqrx_20240101_120000_915000000_250000_fc"])
        path = tmp / f"d{i}" / f"{name}{ext}"
        path.parent.mkdir()
        what = rng.random()
        if what < 0.4:
            data = nrng.integers(0, 256, rng.randrange(0, 9000), dtype=np.uint8).tobytes()
        elif what < 0.8:
            src = rng.choice(["cu8", "ci8", "ci16_le", "cf32_le"])
            data = encode(_signal(nrng), datatype(src)).tobytes()
            data = data[: rng.randrange(len(data) + 1)] if rng.random() < 0.5 else data
        else:
            data = bytes([rng.choice([0, 0x7F, 0x80, 0xFF])]) * rng.randrange(0, 5000)
        path.write_bytes(data)
        args = [str(path)]
        if rng.random() < 0.5:
            args += ["--format", rng.choice(["cu8", "cs8", "cs16", "cf32"])]
        if rng.random() < 0.3:
            args += ["--rate", "250k", "--freq", "915M"]
        yield args


def _archive_cases(tmp: Path, rng: random.Random, nrng: np.random.Generator, count: int) -> Iterator[list[str]]:
    pristine = {}
    for dt in ("cu8", "ci8", "ci16_le", "cf32_le"):
        meta = write_sigmf(tmp / f"pristine-{dt}", _signal(nrng), datatype=dt, sample_rate_hz=RATE_HZ,
                           center_freq_hz=915e6)
        pristine[dt] = write_archive(meta, tmp / f"pristine-{dt}.sigmf").read_bytes()
    for i in range(count):
        data = bytearray(pristine[rng.choice(list(pristine))])
        what = rng.random()
        if what < 0.4:
            data = data[: rng.randrange(len(data))]
        elif what < 0.8:
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif what < 0.9:
            data = bytearray(gzip.compress(bytes(data)))
        else:  # an archive whose metadata is garbage
            junk = _meta_bytes(_mutate_meta(_base_meta(rng), rng), rng)
            info = tarfile.TarInfo("rec/rec.sigmf-meta")
            info.size = len(junk)
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as tar:
                tar.addfile(info, io.BytesIO(junk))
            data = bytearray(buffer.getvalue())
        archive = tmp / f"a{i}.sigmf"
        archive.write_bytes(bytes(data))
        yield [str(archive)]


def _option_cases(tmp: Path, rng: random.Random, nrng: np.random.Generator, count: int) -> Iterator[list[str]]:
    good = write_sigmf(tmp / "good", _signal(nrng), datatype="cu8", sample_rate_hz=RATE_HZ, center_freq_hz=915e6)
    raw = tmp / "plain.cu8"
    raw.write_bytes(encode(_signal(nrng), datatype("cu8")).tobytes())
    for _ in range(count):
        args = [str(rng.choice([good, raw]))]
        for option, values in (("--rate", RATE_VALUES), ("--freq", FREQ_VALUES)):
            if rng.random() < 0.7:
                args += [option, rng.choice(values)]
        yield args


def _run(runner: CliRunner, command: str, args: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = runner.invoke(main, [command, *args], catch_exceptions=True)
    output = result.output
    exc = result.exception
    ok = exc is None or (isinstance(exc, SystemExit) and exc.code in (0, 2))
    assert ok and "Traceback" not in output, (command, args, repr(exc), output[-400:])
    if result.exit_code == 2:
        errors = [line for line in output.splitlines() if line.startswith(("rfclassify: error", "Error:"))]
        assert len(errors) == 1, (command, args, output[-400:])


CaseMaker = Callable[[Path, random.Random, np.random.Generator, int], Iterator[list[str]]]


@pytest.mark.parametrize(("maker", "count", "classify_every"), [
    (_sigmf_cases, 420, 7),
    (_raw_cases, 300, 6),
    (_archive_cases, 120, 5),
    (_option_cases, 160, 5),
], ids=["sigmf", "raw", "archive", "options"])
def test_malformed_inputs_never_give_a_traceback(tmp_path: Path, maker: CaseMaker, count: int,
                                                 classify_every: int) -> None:
    rng = random.Random(f"{SEED}-{maker.__name__}")
    nrng = np.random.default_rng(SEED)
    runner = CliRunner()
    seen = 0
    for i, args in enumerate(maker(tmp_path, rng, nrng, count)):
        _run(runner, "info", args)
        if i % classify_every == 0:
            _run(runner, "classify", args)
        seen += 1
    assert seen == count
