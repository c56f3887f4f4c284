"""Streaming a long recording keeps the process's memory to about one block (no file mapping)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_streaming_a_large_file_keeps_rss_small(tmp_path):
    path = tmp_path / "big_915M_2400k.cu8"
    with open(path, "wb") as fh:  # 400 MB of real (non-sparse) data, so pages must be read
        chunk = bytes(range(256)) * (1 << 14)
        fh.writelines(chunk for _ in range(100))
    code = textwrap.dedent(
        f"""
        import resource
        from rfclassify.sources import open_source
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        total = 0
        with open_source({str(path)!r}) as src:
            for block in src.blocks(1 << 18):
                total += len(block.samples)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(total, (peak - base) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    samples, grown_mb = int(out[0]), int(out[1])
    assert samples == 100 * (1 << 22) // 2
    assert grown_mb < 64, f"RSS grew by {grown_mb} MB while streaming a 400 MB file"
